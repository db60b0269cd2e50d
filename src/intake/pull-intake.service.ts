import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiError } from '../common/errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { isDatabaseOutage } from '../database/database-errors.js';
import { Metrics } from '../metrics/metrics.js';
import { SupabaseDatabaseService } from '../supabase/supabase-database.service.js';
import { parseSignedEvent } from '../webhooks/delivery-parser.js';
import { WebhooksService, type AppliedAction, type DeliveryItem } from '../webhooks/webhooks.service.js';
import { ChangeListener } from './change-listener.js';
import { UserChangesRepository, type UserChange } from './user-changes.repository.js';

/** A row that fails this many batches for another reason than an outage is dropped (logged; reconcile repairs). */
const ATTEMPTS_BEFORE_DROP = 3;
const MAX_BACKOFF_MS = 30_000;
const BACKLOG_EVERY_MS = 10_000;

/** What the intake has done since start; logged with each batch. */
export interface PullIntakeStatus {
  running: boolean;
  applied: number;
  duplicates: number;
  dropped: number;
  batches: number;
  /** From the change's time in Supabase to the mirror, for the last batch's oldest change. */
  lastLagMs: number | null;
  /** Changes waiting in the outbox when last counted. */
  backlog: number | null;
}

/**
 * The pull intake (docs/design.md, "Intakes"): as the batch's leader, takes the outbox's oldest changes, applies each once
 * through the delivery ledger (delivery id `pull:<change id>`), deletes them and commits. A crash before the commit
 * leaves the rows: they are taken again and the ledger answers `duplicate`. Every instance may pull; one leads a batch.
 */
@Injectable()
export class PullIntakeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PullIntakeService.name);
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private listener: ChangeListener | null = null;
  /** A notification came while a batch was in hand: pull again without pausing. */
  private notified = false;
  private readonly attempts = new Map<string, number>();
  private readonly dropped = new Set<string>();
  private lastBacklogAt = 0;
  readonly status: PullIntakeStatus = { running: false, applied: 0, duplicates: 0, dropped: 0, batches: 0, lastLagMs: null, backlog: null };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly supabaseDb: SupabaseDatabaseService,
    private readonly changes: UserChangesRepository,
    private readonly webhooks: WebhooksService,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    const url = this.supabaseDb.url;
    if (url === null || !this.config.jobsEnabled) return; // the CLI and API-only instances do not pull
    if (this.config.pull.listen) {
      this.listener = new ChangeListener(url, () => this.notify(), this.logger, Math.max(this.config.pull.intervalMs, 1000));
      this.listener.start();
    }
    this.status.running = true;
    this.loop = this.run();
  }

  /** A change committed: pull now, or right after the batch in hand. */
  private notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Stops before the mirror's pool closes: the batch in hand finishes (or rolls back and is claimed again later). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.listener?.stop();
    await this.loop;
    this.status.running = false;
  }

  private async run(): Promise<void> {
    const { intervalMs, batchSize } = this.config.pull;
    let failures = 0;
    while (!this.stopping) {
      let claimed: number;
      try {
        claimed = await this.pullOnce(batchSize);
        failures = 0;
      } catch (error) {
        failures++;
        this.metrics.intakeBatch('failed');
        const backoffMs = Math.min(intervalMs * 2 ** failures, MAX_BACKOFF_MS);
        this.logger.warn({ reason: (error as Error).message, retryInMs: backoffMs }, 'pull intake: batch not applied, claimed again later');
        await this.pause(backoffMs);
        continue;
      }
      if (claimed < batchSize && !this.notified) await this.pause(intervalMs);
      this.notified = false;
    }
  }

  /** One batch in one Supabase transaction: claim, apply, delete, commit. Returns how many rows it claimed. */
  private async pullOnce(batchSize: number): Promise<number> {
    const claimed = await this.supabaseDb.transaction(async (tx) => {
      const rows = await this.changes.claim(batchSize, tx);
      if (rows === null || rows.length === 0) return [];
      await this.applyAll(rows);
      await this.changes.remove(
        rows.map((row) => row.id),
        tx,
      );
      return rows;
    });
    if (claimed.length > 0) {
      for (const row of claimed) {
        this.attempts.delete(row.id);
        this.dropped.delete(row.id);
      }
      this.status.batches++;
      this.status.lastLagMs = Date.now() - Math.min(...claimed.map((row) => row.changedAt.getTime()));
      this.metrics.intakeBatch('applied');
      for (const row of claimed) this.metrics.intakeLagOf('pull', row.changedAt);
    }
    // A count of the outbox reads every row waiting: at most every BACKLOG_EVERY_MS, not after every full batch of a drain.
    if (Date.now() - this.lastBacklogAt > BACKLOG_EVERY_MS) {
      this.lastBacklogAt = Date.now();
      this.status.backlog = await this.changes.backlog(this.supabaseDb.sql!);
      this.metrics.intakeBacklog(this.status.backlog);
    }
    if (claimed.length > 0) this.logger.log({ batch: claimed.length, ...this.status }, 'pull intake applied a batch');
    return claimed.length;
  }

  /**
   * The batch in one transaction of the mirror (the ledger takes the fresh ids, each user's changes act as one). If that
   * fails for another reason than an outage, row by row, so that one change the mirror refuses cannot hold the rest.
   */
  private async applyAll(rows: UserChange[]): Promise<void> {
    const items: Array<DeliveryItem & { row: UserChange }> = [];
    for (const row of rows) {
      const action = this.parse(row);
      if (action !== null) items.push({ deliveryId: `pull:${row.changeId}`, action, row });
    }
    try {
      const fresh = await this.webhooks.applyBatchOnce(items, 'pull');
      this.status.applied += fresh;
      this.status.duplicates += items.length - fresh;
      this.metrics.delivered('pull', 'applied', fresh);
      this.metrics.delivered('pull', 'duplicate', items.length - fresh);
    } catch (error) {
      if (isDatabaseOutage(error as Error)) throw error;
      this.logger.warn({ reason: (error as Error).message }, 'pull intake: the batch failed as a whole; applying it row by row');
      for (const item of items) await this.applyOne(item);
    }
  }

  /** The row's action, or null when it asks nothing (an unknown event) or cannot be read (dropped: reconcile repairs). */
  private parse(row: UserChange): AppliedAction | null {
    try {
      const action = parseSignedEvent({ type: row.eventType, user: row.userObject });
      return action.kind === 'ignore' ? null : action;
    } catch (error) {
      this.drop(row, error as Error, 'pull intake dropped a change it cannot read');
      return null;
    }
  }

  private async applyOne({ deliveryId, action, row }: DeliveryItem & { row: UserChange }): Promise<void> {
    try {
      const outcome = await this.webhooks.applyOnce(deliveryId, 'pull', action);
      if (outcome === 'duplicate') this.status.duplicates++;
      else this.status.applied++;
    } catch (error) {
      // An outage fails the batch: it is claimed again once Postgres answers.
      if (isDatabaseOutage(error as Error)) throw error;
      const attempts = (this.attempts.get(row.id) ?? 0) + 1;
      this.attempts.set(row.id, attempts);
      const unusable = error instanceof ApiError && error.getStatus() < 500; // the change itself is bad: no retry mends it
      if (!unusable && attempts < ATTEMPTS_BEFORE_DROP) throw error;
      this.drop(row, error as Error, 'pull intake dropped a change it cannot apply');
    }
  }

  /** Counted and logged once, though a batch taken again after a failure reads the row again until the batch commits. */
  private drop(row: UserChange, error: Error, message: string): void {
    if (this.dropped.has(row.id)) return;
    this.dropped.add(row.id);
    this.status.dropped++;
    this.metrics.delivered('pull', 'rejected');
    this.logger.error({ changeId: row.id, userId: row.userId, reason: error.message }, message);
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
