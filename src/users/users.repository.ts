import { Injectable, Logger } from '@nestjs/common';
import type { ProfileRow } from '../profiles/profile-row.js';
import { DatabaseService } from '../database/database.service.js';
import { prepared, type PreparedStatement, type Sql } from '../database/sql.js';
import {
  BATCH_LIMIT,
  deliveryClaimParams,
  INSERT_IF_ABSENT_STATEMENT,
  UPSERT_CLAIMING_DELIVERY,
  UPSERT_COUNTING_STATEMENT,
  UPSERT_REPAIRING_STATEMENT,
  UPSERT_SNAPSHOTS_STATEMENT,
  USER_COLUMNS,
  type ApplyCounts,
  type DeliveryClaim,
  type MirrorUserRow,
  type UpsertedRow,
} from './mirror-upsert.sql.js';
import { isPhoneRace } from './phone-number.js';
import { snapshotParams } from './snapshot-params.js';
import type { UserSnapshot } from './user-snapshot.js';

type PrefixedProfile = { [K in keyof ProfileRow as `p_${K}`]: ProfileRow[K] | null };

export const PREFIXED_PROFILE_COLUMNS = `p.display_name AS p_display_name, p.first_name AS p_first_name,
  p.last_name AS p_last_name, p.industry AS p_industry, p.job_title AS p_job_title,
  p.email_consent AS p_email_consent, p.onboarding_completed AS p_onboarding_completed,
  p.onboarded_at AS p_onboarded_at, p.updated_at AS p_updated_at`;

function unprefixProfile(row: PrefixedProfile): ProfileRow {
  return {
    display_name: row.p_display_name,
    first_name: row.p_first_name,
    last_name: row.p_last_name,
    industry: row.p_industry,
    job_title: row.p_job_title,
    email_consent: row.p_email_consent ?? false,
    onboarding_completed: row.p_onboarding_completed ?? false,
    onboarded_at: row.p_onboarded_at,
    updated_at: row.p_updated_at as Date,
  };
}

/** The `GET /users/me` read: the user's row (tombstone included) with the profile's columns prefixed `p_`. */
export const FIND_WITH_PROFILE = prepared(
  'mirror_find_with_profile',
  `SELECT ${USER_COLUMNS}, ${PREFIXED_PROFILE_COLUMNS}
   FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1::uuid`,
);

/** A row of FIND_WITH_PROFILE. */
export type UserWithProfileRow = MirrorUserRow & PrefixedProfile;

/** A FIND_WITH_PROFILE row as the user and their profile (null when the user has none yet). */
export function splitUserWithProfile(row: UserWithProfileRow): { user: MirrorUserRow; profile: ProfileRow | null } {
  return { user: row, profile: row.p_updated_at === null ? null : unprefixProfile(row) };
}

/** A live user found by phone: what a lookup may tell another user, and nothing more. */
export interface PhoneHolder {
  id: string;
  display_name: string | null;
}

/** A user with a flagged phone conflict, for operators. */
export interface PhoneConflictRow {
  id: string;
  phone_conflict: string;
  updated_at: Date | null;
}

/** How a counting upsert runs: in `tx`, and recording each write as a repair (reconcile). */
export interface CountingOptions {
  tx?: Sql;
  repairs?: boolean;
}

/** Statements after which a row committed by another first write must be in sight (one suffices). */
const UNSEEN_ROW_ATTEMPTS = 3;

/** How many times tombstone deletes and re-checks before it gives up (see tombstone). */
const TOMBSTONE_PASSES = 5;

/** The phone lookup: the live holder of an E.164 number and their display name, nothing else. */
export const FIND_LIVE_BY_PHONE = `SELECT u.id::text AS id, p.display_name
  FROM users u LEFT JOIN profiles p ON p.user_id = u.id
  WHERE u.phone = $1 AND u.deleted_at IS NULL`;

/** The mirror's SQL: Postgres decides each write (conditional upserts on the user's key), never read-then-write here. */
@Injectable()
export class UsersRepository {
  private readonly logger = new Logger(UsersRepository.name);

  constructor(private readonly db: DatabaseService) {}

  /** Applies snapshots of distinct users in one statement; returns each row as it stands (a taken phone is flagged, not an error). */
  async upsertIfNewer(snapshots: readonly UserSnapshot[], tx: Sql = this.db.sql): Promise<UpsertedRow[]> {
    if (snapshots.length === 0) return [];
    const rows = await this.retryingPhoneRace(() => tx.query<UpsertedRow>(UPSERT_SNAPSHOTS_STATEMENT, snapshotParams(snapshots)), tx);
    return this.withUnseenRowsRead(snapshots, rows, tx);
  }

  /** Like upsertIfNewer for one delivered snapshot, only if its delivery id is unclaimed (no row answered otherwise). */
  async upsertClaimingDelivery(snapshot: UserSnapshot, claim: DeliveryClaim): Promise<UpsertedRow | undefined> {
    const values = [...snapshotParams([snapshot]), ...deliveryClaimParams(claim, snapshot.id)];
    const rows = await this.retryingPhoneRace(() => this.db.sql.query<UpsertedRow>(UPSERT_CLAIMING_DELIVERY, values), this.db.sql);
    return (await this.withUnseenRowsRead([snapshot], rows, this.db.sql))[0];
  }

  /**
   * A null id is a row another first write committed while the statement ran: a new statement sees it, so those snapshots
   * are applied again, without the delivery claim (already taken). Absence is never a deletion (docs/design.md, "Invariants").
   */
  private async withUnseenRowsRead(snapshots: readonly UserSnapshot[], rows: UpsertedRow[], tx: Sql): Promise<UpsertedRow[]> {
    for (let attempt = 1; ; attempt++) {
      const seen = rows.filter((row) => row.id !== null);
      this.warnOfConflicts(seen);
      if (seen.length === rows.length) return rows;
      if (attempt > UNSEEN_ROW_ATTEMPTS) throw new Error(`a user's row stayed out of sight over ${attempt} statements`);
      const found = new Set(seen.map((row) => row.id));
      const unseen = snapshots.filter((snapshot) => !found.has(snapshot.id));
      const again = await this.retryingPhoneRace(() => tx.query<UpsertedRow>(UPSERT_SNAPSHOTS_STATEMENT, snapshotParams(unseen)), tx);
      rows = [...seen, ...again];
    }
  }

  /** Like upsertIfNewer, answering counts only; BATCH_LIMIT users a statement so none locks more rows than a default page. */
  async upsertCounting(snapshots: readonly UserSnapshot[], options: CountingOptions = {}): Promise<ApplyCounts> {
    return this.upsertCountingAttempt(
      snapshots,
      1,
      options.tx ?? this.db.sql,
      options.repairs ? UPSERT_REPAIRING_STATEMENT : UPSERT_COUNTING_STATEMENT,
    );
  }

  private async upsertCountingAttempt(
    snapshots: readonly UserSnapshot[],
    attempt: number,
    tx: Sql,
    statement: PreparedStatement,
  ): Promise<ApplyCounts> {
    const total: ApplyCounts = {
      created: 0,
      updated: 0,
      unchanged: 0,
      stale: 0,
      deleted: 0,
      missing: 0,
      flagged: [],
      unwritten: [],
      tombstoned: [],
    };
    for (let start = 0; start < snapshots.length; start += BATCH_LIMIT) {
      const batch = snapshots.slice(start, start + BATCH_LIMIT);
      const [counts] = await this.retryingPhoneRace(
        () => tx.query<ApplyCounts & { unseen: string[] }>(statement, snapshotParams(batch)),
        tx,
      );
      // Rows another writer committed while the statement ran (a user listed on two pages applied
      // at once, a sync): counted once they are in sight (see withUnseenRowsRead).
      if (counts.unseen.length > 0 && attempt < UNSEEN_ROW_ATTEMPTS) {
        const unseen = new Set(counts.unseen);
        const again = await this.upsertCountingAttempt(
          batch.filter((snapshot) => unseen.has(snapshot.id)),
          attempt + 1,
          tx,
          statement,
        );
        counts.missing -= unseen.size;
        addCounts(counts, again);
      }
      addCounts(total, counts);
    }
    if (attempt === 1) for (const userId of total.flagged) this.warnOfConflict(userId);
    return total;
  }

  /** Creates the row from token claims if there is none; returns the row as it stands. */
  async insertIfAbsent(snapshot: UserSnapshot, tx: Sql = this.db.sql): Promise<UpsertedRow> {
    const values = snapshotParams([snapshot]);
    for (let attempt = 1; ; attempt++) {
      const [row] = await this.retryingPhoneRace(() => tx.query<UpsertedRow>(INSERT_IF_ABSENT_STATEMENT, values), tx);
      // A null id: a first write committed while this statement ran (see withUnseenRowsRead).
      if (row.id !== null) {
        this.warnOfConflicts([row]);
        return row;
      }
      if (attempt >= UNSEEN_ROW_ATTEMPTS) throw new Error(`a user's row stayed out of sight over ${attempt} statements`);
    }
  }

  /** The live user holding this number (E.164), with their display name: an index scan on PHONE_INDEX. */
  async findLiveByPhone(phone: string): Promise<PhoneHolder | null> {
    const rows = await this.db.sql.query<PhoneHolder>(prepared('mirror_find_by_phone', FIND_LIVE_BY_PHONE), [phone]);
    return rows[0] ?? null;
  }

  /** Whether a live user holds the email, the phone (E.164), or both. */
  async identityTaken(email: string, phone: string | null): Promise<{ email: boolean; phone: boolean }> {
    const [row] = await this.db.sql.query<{ email: boolean; phone: boolean }>(
      `SELECT coalesce(bool_or(email = $1), false) AS email, coalesce(bool_or(phone = $2), false) AS phone
       FROM users WHERE deleted_at IS NULL AND (email = $1 OR phone = $2)`,
      [email, phone],
    );
    return row;
  }

  async findLiveIdByEmail(email: string): Promise<string | null> {
    const rows = await this.db.sql.query<{ id: string }>('SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL LIMIT 1', [email]);
    return rows[0]?.id ?? null;
  }

  /** Whether a live user with an email holds this number without having confirmed it. */
  async holdsUnconfirmedPhone(phone: string): Promise<boolean> {
    const rows = await this.db.sql.query(
      'SELECT 1 FROM users WHERE phone = $1 AND deleted_at IS NULL AND phone_confirmed_at IS NULL AND email IS NOT NULL LIMIT 1',
      [phone],
    );
    return rows.length > 0;
  }

  /** Live users whose Supabase phone could not be stored here, in id order after `after`. */
  async phoneConflicts(after: string | null, limit: number): Promise<PhoneConflictRow[]> {
    return this.db.sql.query<PhoneConflictRow>(
      `SELECT id::text AS id, phone_conflict, updated_at FROM users
       WHERE phone_conflict IS NOT NULL AND deleted_at IS NULL AND ($1::uuid IS NULL OR id > $1::uuid)
       ORDER BY id LIMIT $2`,
      [after, limit],
    );
  }

  /**
   * Runs a write once more after a lost phone race, only outside a transaction: inside one the failure aborted it,
   * so the caller retries the whole transaction (`retryOnceIf: isPhoneRace`).
   */
  private async retryingPhoneRace<T>(write: () => Promise<T>, tx: Sql): Promise<T> {
    if (tx !== this.db.sql) return write();
    try {
      return await write();
    } catch (error) {
      if (!isPhoneRace(error)) throw error;
      return write();
    }
  }

  /** Logs each conflict this write flagged, by user id only: the number is personal data. */
  private warnOfConflicts(rows: ReadonlyArray<Pick<UpsertedRow, 'id' | 'written' | 'phone_conflict'>>): void {
    for (const row of rows) if (row.written && row.phone_conflict !== null) this.warnOfConflict(row.id);
  }

  private warnOfConflict(userId: string): void {
    this.logger.warn({ userId }, 'phone number held by another live user: stored as a conflict, not merged');
  }

  /** The row (tombstone included) with the user's profile, in one query: the `GET /users/me` path. */
  async findWithProfile(id: string): Promise<{ user: MirrorUserRow; profile: ProfileRow | null } | null> {
    const rows = await this.db.sql.query<UserWithProfileRow>(FIND_WITH_PROFILE, [id]);
    return rows[0] ? splitUserWithProfile(rows[0]) : null;
  }

  /**
   * Deletes the row (its data goes by ON DELETE CASCADE) and puts back a tombstone; false if it already was one. Ordered
   * by the row and key without a lock: an uncommitted first insert is waited for on the key and deleted on the next pass
   * (docs/design.md, "How the mirror stays correct").
   */
  async tombstone(id: string, deletedAt: string | null, tx: Sql): Promise<boolean> {
    for (let pass = 1; ; pass++) {
      const removed = await tx.execute('DELETE FROM users WHERE id = $1::uuid AND deleted_at IS NULL', [id]);
      const created = await tx.execute(
        `INSERT INTO users (id, deleted_at, synced_at) VALUES ($1::uuid, coalesce($2::timestamptz, now()), now())
         ON CONFLICT (id) DO NOTHING`,
        [id, deletedAt],
      );
      if (removed > 0 || created > 0) return true;
      // The key is taken: by a tombstone, or by a first write that committed while this pass ran.
      const [row] = await tx.query<{ live: boolean }>('SELECT deleted_at IS NULL AS live FROM users WHERE id = $1::uuid', [id]);
      if (row && !row.live) return false;
      // Each pass waits for the write it found to commit: a second pass finds it; more would mean
      // the row keeps coming back, which no write does (tombstones are never written over).
      if (pass >= TOMBSTONE_PASSES) throw new Error(`user ${id} was written again on each of ${pass} passes of its deletion`);
    }
  }

  /** Removes tombstones older than the retention period; returns how many. */
  async purgeTombstones(retentionDays: number): Promise<number> {
    return this.db.sql.execute(`DELETE FROM users WHERE deleted_at IS NOT NULL AND deleted_at < now() - make_interval(days => $1::int)`, [
      retentionDays,
    ]);
  }
}

function addCounts(total: ApplyCounts, more: ApplyCounts): void {
  for (const key of ['created', 'updated', 'unchanged', 'stale', 'deleted', 'missing'] as const) total[key] += more[key];
  total.flagged.push(...more.flagged);
  total.unwritten.push(...more.unwritten);
  total.tombstoned.push(...more.tombstoned);
}
