import { Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../common/errors.js';
import { DatabaseService } from '../database/database.service.js';
import { prepared, type Sql } from '../database/sql.js';
import { Metrics, type DeliveryFormLabel } from '../metrics/metrics.js';
import { UsersService, type DeletionOptions } from '../users/users.service.js';
import { DeliveryAuthenticator, type DeliveryForm } from './delivery-authenticator.js';
import { parseDelivery, type DeliveryAction } from './delivery-parser.js';
import type { DeliveryResponse } from './dto/delivery-response.dto.js';

type Headers = Record<string, string | string[] | undefined>;

/** Where a delivery came from, as the ledger records it. */
export type DeliverySource = DeliveryForm | 'pull';
/** A delivery that changes the mirror. */
export type AppliedAction = Exclude<DeliveryAction, { kind: 'ignore' }>;

/** Claims the delivery id first: a repeat (or a concurrent twin, which waits on the row) does nothing. */
const RECORD_DELIVERY = prepared(
  'webhook_record_delivery',
  `INSERT INTO webhook_deliveries (delivery_id, source, event_type, user_id, action)
   VALUES ($1, $2, $3, $4::uuid, $5) ON CONFLICT (delivery_id) DO NOTHING`,
);

/** Why claimed deliveries left the mirror as it was, for the user's timeline (null in the ledger: applied). */
const MARK_IGNORED = `UPDATE webhook_deliveries SET outcome = $2 WHERE delivery_id = ANY($1::text[])`;

/** The ledger's claim of many delivery ids at once; answers the ids it had not seen. */
const RECORD_DELIVERIES = `
  INSERT INTO webhook_deliveries (delivery_id, source, event_type, user_id, action)
  SELECT id, $2, event_type, user_id, action FROM unnest($1::text[], $3::text[], $4::uuid[], $5::text[]) AS d(id, event_type, user_id, action)
  ON CONFLICT (delivery_id) DO NOTHING
  RETURNING delivery_id`;

/**
 * Receives Supabase deliveries, claiming the delivery id atomically with the effect: a repeat changes nothing, and a
 * failure leaves no record, so the sender's retry applies it (docs/design.md, "Supabase deliveries").
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly authenticator: DeliveryAuthenticator,
    private readonly db: DatabaseService,
    private readonly users: UsersService,
    private readonly metrics: Metrics,
  ) {}

  /** Counted by form and outcome (authmirror_deliveries_total; applied ones by applyOnce), a fresh change's lag too. */
  async receive(headers: Headers, body: Buffer): Promise<{ status: 200 | 202; response: DeliveryResponse }> {
    let form: DeliveryFormLabel = 'unknown';
    try {
      const delivery = this.authenticator.authenticate(headers, body);
      form = delivery.form;
      const action = parseDelivery(delivery.form, body);
      if (action.kind === 'ignore') {
        this.metrics.delivered(form, 'ignored');
        return { status: 202, response: { status: 'ignored', eventType: action.eventType, reason: action.reason } };
      }
      const outcome = await this.applyOnce(delivery.deliveryId, delivery.form, action);
      const changedAt = action.kind === 'apply' ? action.snapshot.updatedAt : action.deletedAt;
      if (outcome === 'created' || outcome === 'updated' || (action.kind === 'delete' && outcome === 'deleted')) {
        this.metrics.intakeLagOf(form, changedAt);
      }
      this.logger.log({ deliveryId: delivery.deliveryId, eventType: action.eventType, outcome }, 'delivery received');
      return {
        status: 200,
        response: { status: outcome === 'duplicate' ? 'duplicate' : 'applied', eventType: action.eventType, outcome },
      };
    } catch (error) {
      this.metrics.delivered(form, error instanceof ApiError && error.getStatus() < 500 ? 'rejected' : 'failed');
      throw error;
    }
  }

  /**
   * Applies a delivery's action once per delivery id (the ledger, webhook_deliveries): `duplicate` for a repeat. Pushed
   * deliveries and the pull intake's outbox rows both come through here, and are counted here by form and outcome.
   */
  async applyOnce(deliveryId: string, source: DeliverySource, action: AppliedAction): Promise<string> {
    const outcome = await this.applyOnceUncounted(deliveryId, source, action);
    // Applying a snapshot to a tombstone answers `deleted`: the user was already gone, nothing was deleted now.
    this.metrics.delivered(source, action.kind === 'apply' && outcome === 'deleted' ? 'already_deleted' : outcome);
    return outcome;
  }

  private async applyOnceUncounted(deliveryId: string, source: DeliverySource, action: AppliedAction): Promise<string> {
    if (action.kind === 'delete') return this.db.transaction((tx) => this.deleteOnce(deliveryId, source, action, tx));
    // The delivery id is claimed in the upsert's own statement: one round trip, atomic.
    const outcome = await this.users.applyUserSnapshotOnce(action.snapshot, { deliveryId, source, eventType: action.eventType });
    if (!outcome) return 'duplicate';
    // Rare (a late or repeated version), so it costs a statement of its own; a crash before it leaves the delivery
    // shown as applied on the timeline, and nothing else wrong.
    const ignored = IGNORED_BECAUSE[outcome.status];
    if (ignored) await this.db.sql.execute(MARK_IGNORED, [[deliveryId], ignored]);
    return outcome.status;
  }

  private async deleteOnce(
    deliveryId: string,
    source: DeliverySource,
    action: Extract<AppliedAction, { kind: 'delete' }>,
    tx: Sql,
  ): Promise<string> {
    const fresh = await tx.execute(RECORD_DELIVERY, [deliveryId, source, action.eventType, action.userId, 'delete']);
    if (fresh === 0) return 'duplicate';
    const { deleted } = await this.users.deleteUser(action.userId, { deletedAt: action.deletedAt, source: deletionSource(source) }, tx);
    if (!deleted) await tx.execute(MARK_IGNORED, [[deliveryId], 'already_deleted']);
    return deleted ? 'deleted' : 'already_deleted';
  }

  /**
   * Applies many deliveries in one transaction: the ledger takes the ids it has not seen, then each user's fresh ones act as
   * one, a deletion if there is one (deletion is final), else the last snapshot (only a newer version is written anyway).
   * Returns how many were fresh; the rest were repeats.
   */
  async applyBatchOnce(items: readonly DeliveryItem[], source: DeliverySource): Promise<number> {
    if (items.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      const claimed = await tx.query<{ delivery_id: string }>(RECORD_DELIVERIES, [
        items.map((item) => item.deliveryId),
        source,
        items.map((item) => item.action.eventType),
        items.map((item) => userIdOf(item.action)),
        items.map((item) => item.action.kind),
      ]);
      const fresh = new Set(claimed.map((row) => row.delivery_id));
      const byUser = new Map<string, AppliedAction>();
      for (const { deliveryId, action } of items) {
        if (fresh.has(deliveryId) && byUser.get(userIdOf(action))?.kind !== 'delete') byUser.set(userIdOf(action), action);
      }
      // Deletions first, then the snapshots, then once more the users a number still held by another made wait: a
      // number given up in this batch (a move, a deletion) is free once the first write is in sight.
      const actions = [...byUser.values()];
      const ignoredUsers = { already_deleted: [] as string[], not_newer: [] as string[] };
      for (const action of actions) {
        if (action.kind !== 'delete') continue;
        const { deleted } = await this.users.deleteUser(action.userId, { deletedAt: action.deletedAt, source: deletionSource(source) }, tx);
        if (!deleted) ignoredUsers.already_deleted.push(action.userId);
      }
      const snapshots = actions.flatMap((action) => (action.kind === 'apply' ? [action.snapshot] : []));
      const { flagged, unwritten, tombstoned } = await this.users.applyUserSnapshots(snapshots, { tx });
      ignoredUsers.not_newer.push(...unwritten);
      ignoredUsers.already_deleted.push(...tombstoned);
      for (const [reason, users] of Object.entries(ignoredUsers)) {
        const ignored = new Set(users);
        const ids = items.filter((item) => fresh.has(item.deliveryId) && ignored.has(userIdOf(item.action))).map((item) => item.deliveryId);
        if (ids.length > 0) await tx.execute(MARK_IGNORED, [ids, reason]);
      }
      if (flagged.length > 0) {
        const waiting = new Set(flagged);
        await this.users.applyUserSnapshots(
          snapshots.filter((snapshot) => waiting.has(snapshot.id)),
          { tx },
        );
      }
      return fresh.size;
    });
  }
}

/** One delivery of a batch: its id in the ledger and what it asks. */
export interface DeliveryItem {
  deliveryId: string;
  action: AppliedAction;
}

function userIdOf(action: AppliedAction): string {
  return action.kind === 'delete' ? action.userId : action.snapshot.id;
}

/** Outcomes of an applied snapshot that left the row as it was, as the ledger records them. */
const IGNORED_BECAUSE: Partial<Record<string, string>> = { unchanged: 'not_newer', stale: 'not_newer', deleted: 'already_deleted' };

function deletionSource(source: DeliverySource): DeletionOptions['source'] {
  return source === 'pull' ? 'pull' : 'webhook';
}
