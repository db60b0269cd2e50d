import { Injectable, Logger } from '@nestjs/common';
import type { ProfileRow } from '../profiles/profile-row.js';
import { PrismaService, prepared, type PreparedStatement, type Sql } from '../prisma/prisma.service.js';
import type { UserSnapshot } from './user-snapshot.js';

/** A row of `users` as the SQL below returns it. */
export interface MirrorUserRow {
  id: string;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Date | null;
  phone_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  banned_until: Date | null;
  role: string | null;
  is_anonymous: boolean;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  created_at: Date | null;
  updated_at: Date | null;
  synced_at: Date;
  deleted_at: Date | null;
  /**
   * The number Supabase gave this user while another live user held it here (`phone` is then
   * null): flagged, not merged. Cleared by the first snapshot that finds the number free.
   */
  phone_conflict: string | null;
}

/** The outcome of an upsert: the row as it stands, and what the statement did to it. */
export interface UpsertedRow extends MirrorUserRow {
  /** True when this statement inserted the row. */
  inserted: boolean;
  /** True when this statement inserted or overwrote the row. */
  written: boolean;
  /** True when the row's version equals the snapshot's (compared in Postgres, to the microsecond). */
  same_version: boolean;
}

const USER_COLUMNS = `u.id, u.email, u.phone, u.email_confirmed_at, u.phone_confirmed_at,
  u.last_sign_in_at, u.banned_until, u.role, u.is_anonymous, u.app_metadata, u.user_metadata,
  u.created_at, u.updated_at, u.synced_at, u.deleted_at, u.phone_conflict`;

type PrefixedProfile = { [K in keyof ProfileRow as `p_${K}`]: ProfileRow[K] | null };

const PREFIXED_PROFILE_COLUMNS = `p.display_name AS p_display_name, p.first_name AS p_first_name,
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

/** The advisory lock key of a user: every writer of that user's row takes it ($1 = the id). */
const USER_LOCK_KEY = `hashtextextended('user:' || $1, 0)`;


/** The columns a snapshot writes, in the order of the statements below. */
const WRITTEN_COLUMNS = `id, email, phone, email_confirmed_at, phone_confirmed_at, last_sign_in_at, banned_until, role,
  is_anonymous, app_metadata, user_metadata, created_at, updated_at, phone_conflict, synced_at`;

/**
 * True when the snapshot's phone is held by another live user here: then the phone is stored as
 * NULL and the number as `phone_conflict` (flagged, never merged, and never a unique violation).
 * `s` is the snapshot, `r.phone_rank` its place among the batch's snapshots with that number.
 */
const PHONE_TAKEN = `(s.phone IS NOT NULL AND (r.phone_rank > 1
  OR EXISTS (SELECT 1 FROM users o WHERE o.phone = s.phone AND o.id <> s.id AND o.deleted_at IS NULL)))`;

/**
 * Applies a batch of snapshots (distinct ids) in one statement: each is inserted, or overwrites
 * its row when strictly newer (or when the row came from token claims and has no version); a
 * tombstone is never touched. With `probe`, `candidates` first sets aside, by one index probe, the
 * snapshots whose row is a tombstone or already as new (rows only ever get newer, so the upsert
 * below would leave them alone too): an unchanged user costs no lock and no write. Before the first row is
 * written the statement takes every candidate's advisory lock, in lock-key order (so two batches
 * cannot deadlock), which orders it against a concurrent deletion (see `tombstone`). A phone held
 * by another live user is flagged (`phone_taken`); a row flagged so is also rewritten by a
 * snapshot of the same version once the number is free (reconcile heals it). Within the batch, of
 * two snapshots with the same number the one whose row already holds it wins, then the earliest
 * created (`phone_ranks`, only over the snapshots that have a phone). The snapshots arrive as one
 * JSON array of rows ($1, see snapshotRows): one parameter to send and parse, whatever their
 * number.
 *
 * Prepared statements run with a generic plan, made once per connection, often while `users` is
 * still small or empty, so every read of `users` is written to be an index lookup whatever the
 * planner believes: scalar subqueries by id instead of an EXISTS it could hash over the whole
 * table, and a LATERAL … OFFSET 0 lookup instead of a join it could turn into a sequential scan
 * (test/upsert-plan.e2e-spec.ts holds it to that).
 */
/** The columns of a snapshot in the JSON rows of `$1` (see snapshotRows), as the statements read them. */
const INPUT_COLUMNS = `(e->>0)::uuid AS id, e->>1 AS email, e->>2 AS phone, (e->>3)::timestamptz AS email_confirmed_at,
      (e->>4)::timestamptz AS phone_confirmed_at, (e->>5)::timestamptz AS last_sign_in_at,
      (e->>6)::timestamptz AS banned_until, e->>7 AS role, (e->>8)::boolean AS is_anonymous,
      e->9 AS app_metadata, e->10 AS user_metadata, (e->>11)::timestamptz AS created_at,
      (e->>12)::timestamptz AS updated_at`;

interface UpsertShape {
  /** What `written` keeps of each row written (with `inserted`). */
  returning: string;
  /** The statement's last part, reading `written` and `input` (every snapshot). */
  answer: string;
  /** Set aside the snapshots that cannot be written before locking (see upsertSnapshotsSql). */
  probe: boolean;
  /** An INSERT … RETURNING that must return a row for anything to be written (see WriteClaim). */
  claim?: string;
}

function upsertSnapshotsSql({ returning, answer, probe, claim }: UpsertShape): string {
  return `
  WITH ${claim ? `claim AS (${claim}), ` : ''}input AS (
    SELECT ${INPUT_COLUMNS}
    FROM jsonb_array_elements($1::jsonb) AS e${claim ? '\n    WHERE EXISTS (SELECT 1 FROM claim)' : ''}
  ), candidates AS (
    ${probe ? `SELECT i.* FROM input i
    WHERE NOT coalesce((SELECT c.deleted_at IS NOT NULL OR c.updated_at > i.updated_at
      OR (c.updated_at = i.updated_at AND c.phone_conflict IS NULL) FROM users c WHERE c.id = i.id), false)` : 'SELECT * FROM input'}
  ), locks AS (
    SELECT count(pg_advisory_xact_lock(k)) AS taken
    FROM (SELECT hashtextextended('user:' || id::text, 0) AS k FROM candidates ORDER BY 1) AS keys
  ), phone_ranks AS (
    SELECT p.id, row_number() OVER (PARTITION BY p.phone ORDER BY p.holds DESC, p.created_at NULLS LAST, p.id) AS phone_rank
    FROM (SELECT i.id, i.phone, i.created_at, coalesce((SELECT c.phone FROM users c WHERE c.id = i.id) = i.phone, false) AS holds
          FROM candidates i WHERE i.phone IS NOT NULL) AS p
  ), resolved AS (
    SELECT s.*, ${PHONE_TAKEN} AS phone_taken
    FROM candidates s LEFT JOIN phone_ranks r ON r.id = s.id
    WHERE (SELECT taken FROM locks) IS NOT NULL
  ), written AS (
    INSERT INTO users AS u (${WRITTEN_COLUMNS})
    SELECT s.id, s.email, CASE WHEN s.phone_taken THEN NULL ELSE s.phone END, s.email_confirmed_at,
      s.phone_confirmed_at, s.last_sign_in_at, s.banned_until, s.role, s.is_anonymous, s.app_metadata,
      s.user_metadata, s.created_at, s.updated_at, CASE WHEN s.phone_taken THEN s.phone END, now()
    FROM resolved s
    ON CONFLICT (id) DO UPDATE SET
      email = EXCLUDED.email, phone = EXCLUDED.phone, phone_conflict = EXCLUDED.phone_conflict,
      email_confirmed_at = EXCLUDED.email_confirmed_at, phone_confirmed_at = EXCLUDED.phone_confirmed_at,
      last_sign_in_at = EXCLUDED.last_sign_in_at, banned_until = EXCLUDED.banned_until,
      role = EXCLUDED.role, is_anonymous = EXCLUDED.is_anonymous,
      app_metadata = EXCLUDED.app_metadata, user_metadata = EXCLUDED.user_metadata,
      created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, synced_at = now()
    WHERE u.deleted_at IS NULL AND (u.updated_at IS NULL OR u.updated_at < EXCLUDED.updated_at
      OR (u.updated_at = EXCLUDED.updated_at AND u.phone_conflict IS NOT NULL AND EXCLUDED.phone_conflict IS NULL))
    RETURNING ${returning}, (xmax = 0) AS inserted
  )
  ${answer}`;
}

/**
 * Every user that has a row, as it stands: the written rows, then the others (read in the
 * statement's snapshot, as the version rule saw them). `same_version` compares in Postgres, to the
 * microsecond.
 */
const ROWS_ANSWER = `
  SELECT w.*, true AS written, true AS same_version FROM written w
  UNION ALL
  SELECT ${USER_COLUMNS}, false, false, coalesce(u.updated_at = i.updated_at, false)
  FROM input i CROSS JOIN LATERAL (SELECT * FROM users u WHERE u.id = i.id OFFSET 0) AS u
  WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)`;

/**
 * One row of counts (see ApplyCounts), the ids whose phone this write flagged and the ids of the
 * live rows it left as they were: for pages of many users.
 */
const COUNTS_ANSWER = `
  , unwritten AS (
    SELECT u.id, u.deleted_at, coalesce(u.updated_at = i.updated_at, false) AS same_version
    FROM input i CROSS JOIN LATERAL (SELECT * FROM users u WHERE u.id = i.id OFFSET 0) AS u
    WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)
  )
  SELECT w.created, w.updated, n.unchanged, n.stale, n.deleted,
    (SELECT count(*) FROM input)::int - w.created - w.updated - n.unchanged - n.stale - n.deleted AS missing,
    w.flagged, n.unwritten
  FROM (SELECT count(*) FILTER (WHERE inserted)::int AS created, count(*) FILTER (WHERE NOT inserted)::int AS updated,
          coalesce(array_agg(id::text) FILTER (WHERE phone_conflict IS NOT NULL), '{}') AS flagged FROM written) AS w,
       (SELECT count(*) FILTER (WHERE deleted_at IS NULL AND same_version)::int AS unchanged,
          count(*) FILTER (WHERE deleted_at IS NULL AND NOT same_version)::int AS stale,
          count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted,
          coalesce(array_agg(id::text) FILTER (WHERE deleted_at IS NULL), '{}') AS unwritten FROM unwritten) AS n`;

const FULL_UPSERT: UpsertShape = { returning: USER_COLUMNS, answer: ROWS_ANSWER, probe: true };

export const UPSERT_SNAPSHOTS = upsertSnapshotsSql(FULL_UPSERT);

const UPSERT_SNAPSHOTS_STATEMENT = prepared('mirror_upsert_snapshots', UPSERT_SNAPSHOTS);

/**
 * The same upsert answering counts only (reconcile pages): nothing per user to send or parse.
 * Without the probe: reconcile sends the users a read of versions found writable, or, after pages
 * that were mostly written (a first run), every user, so a probe would be spent for nothing (the
 * upsert's own conflict check applies the same rules).
 */
export const UPSERT_COUNTING = upsertSnapshotsSql({ returning: 'u.id, u.phone_conflict', answer: COUNTS_ANSWER, probe: false });

const UPSERT_COUNTING_STATEMENT = prepared('mirror_upsert_counting', UPSERT_COUNTING);

/** The most users one upsert statement takes (see upsertCounting). */
export const BATCH_LIMIT = 1000;

/** What a batch of snapshots did, by outcome (see ApplyOutcome). */
export interface ApplyCounts {
  created: number;
  updated: number;
  /** Rows of the same version: nothing to write. */
  unchanged: number;
  /** Rows newer than the snapshot (a sync or delivery got there first). */
  stale: number;
  /** Tombstones: left alone. */
  deleted: number;
  /** Snapshots that left no row (none in practice: kept so that counts always add up). */
  missing: number;
  /** Ids whose phone was stored as a conflict by this write. */
  flagged: string[];
  /** Ids of the live users whose rows this write left as they were (unchanged or stale). */
  unwritten: string[];
}

/**
 * A claim that must succeed for a write to happen, checked in the write's own statement: an
 * INSERT … ON CONFLICT DO NOTHING RETURNING 1 of the caller's, e.g. a delivery id. If it returns
 * no row (already claimed), the statement writes and locks nothing. Its parameters follow the
 * snapshots' ($2 on).
 */
export interface WriteClaim {
  /** Names the prepared statement: one per distinct claim SQL. */
  readonly name: string;
  readonly sql: string;
  readonly values: readonly unknown[];
}

const claimedStatements = new Map<string, PreparedStatement>();

function upsertWithClaim(claim: WriteClaim): PreparedStatement {
  let statement = claimedStatements.get(claim.name);
  if (!statement) {
    statement = prepared(`mirror_upsert_${claim.name}`, upsertSnapshotsSql({ ...FULL_UPSERT, claim: claim.sql }));
    claimedStatements.set(claim.name, statement);
  }
  return statement;
}

/** The snapshots as the `$1` of the upserts: a JSON array of rows, in INPUT_COLUMNS' order. */
function snapshotRows(snapshots: readonly UserSnapshot[]): string {
  return JSON.stringify(
    snapshots.map((s) => [
      s.id, s.email, s.phone, s.emailConfirmedAt, s.phoneConfirmedAt, s.lastSignInAt, s.bannedUntil, s.role,
      s.isAnonymous, s.appMetadata, s.userMetadata, s.createdAt, s.updatedAt,
    ]),
  );
}

/** Creates the row from token claims only when there is no row at all (no version: any snapshot wins later). */
const INSERT_IF_ABSENT = `
  WITH snapshot AS (
    SELECT $1::uuid AS id, $2::text AS email, $3::text AS phone, $4::timestamptz AS email_confirmed_at,
      $5::timestamptz AS phone_confirmed_at, $6::timestamptz AS last_sign_in_at, $7::timestamptz AS banned_until,
      $8::text AS role, $9::boolean AS is_anonymous, $10::jsonb AS app_metadata, $11::jsonb AS user_metadata,
      $12::timestamptz AS created_at, NULL::timestamptz AS updated_at
    FROM (SELECT pg_advisory_xact_lock(${USER_LOCK_KEY})) AS per_user_lock
  ), written AS (
    INSERT INTO users AS u (${WRITTEN_COLUMNS})
    SELECT s.id, s.email, CASE WHEN ${PHONE_TAKEN} THEN NULL ELSE s.phone END, s.email_confirmed_at,
      s.phone_confirmed_at, s.last_sign_in_at, s.banned_until, s.role, s.is_anonymous, s.app_metadata,
      s.user_metadata, s.created_at, s.updated_at, CASE WHEN ${PHONE_TAKEN} THEN s.phone END, now()
    FROM snapshot s CROSS JOIN (SELECT 1 AS phone_rank) AS r
    ON CONFLICT (id) DO NOTHING
    RETURNING ${USER_COLUMNS}, true AS inserted
  )
  SELECT w.*, true AS written, false AS same_version FROM written w
  UNION ALL
  SELECT ${USER_COLUMNS}, false, false, false FROM users u WHERE u.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM written)`;

const INSERT_IF_ABSENT_STATEMENT = prepared('mirror_insert_if_absent', INSERT_IF_ABSENT);

const FIND_WITH_PROFILE = prepared(
  'mirror_find_with_profile',
  `SELECT ${USER_COLUMNS}, ${PREFIXED_PROFILE_COLUMNS}
   FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1::uuid`,
);

/** A live user found by phone: what a lookup may tell another user, and nothing more. */
export interface PhoneHolder {
  id: string;
  display_name: string | null;
}

/** The index the phone lookup uses and the flagging guards: unique phone among live users. */
export const PHONE_INDEX = 'users_phone_live_key';

/** A user with a flagged phone conflict, for operators. */
export interface PhoneConflictRow {
  id: string;
  phone_conflict: string;
  updated_at: Date | null;
}

/**
 * Two statements that give the same number to two users at the same moment both see it free;
 * the second to commit fails on the index. Its retry sees the first one's row and flags instead.
 */
/** A unique violation on the live-phone index: two writes raced for one number. Retrying sees the winner. */
export function isPhoneRace(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === PHONE_INDEX;
}

/** The phone lookup: the live holder of an E.164 number and their display name, nothing else. */
export const FIND_LIVE_BY_PHONE = `SELECT u.id::text AS id, p.display_name
  FROM users u LEFT JOIN profiles p ON p.user_id = u.id
  WHERE u.phone = $1 AND u.deleted_at IS NULL`;

/**
 * The SQL behind the mirror. Every write is one statement or runs inside the caller's transaction,
 * and Postgres decides the outcome (conditional upserts, a per-user advisory lock), never
 * read-then-write in the application.
 */
@Injectable()
export class UsersRepository {
  private readonly logger = new Logger(UsersRepository.name);

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Applies snapshots of distinct users under the version and tombstone rules in one statement;
   * returns each row as it stands (a user absent from the answer has no row at all). A phone that
   * another live user holds is flagged on the row (`phone_conflict`), never an error.
   */
  async upsertIfNewer(snapshots: readonly UserSnapshot[], sql: Sql = this.prisma.sql, claim?: WriteClaim): Promise<UpsertedRow[]> {
    if (snapshots.length === 0) return [];
    const values = claim ? [snapshotRows(snapshots), ...claim.values] : [snapshotRows(snapshots)];
    const statement = claim ? upsertWithClaim(claim) : UPSERT_SNAPSHOTS_STATEMENT;
    const rows = await this.retryingPhoneRace(sql, () => sql.query<UpsertedRow>(statement, values));
    this.warnOfConflicts(rows);
    return rows;
  }

  /**
   * Like upsertIfNewer, answering only how many users had each outcome (for pages of many users).
   * At most BATCH_LIMIT users per statement, so that one statement never holds more advisory locks
   * than a default Postgres lock table can take beside everyone else's (64 per connection).
   */
  async upsertCounting(snapshots: readonly UserSnapshot[], sql: Sql = this.prisma.sql): Promise<ApplyCounts> {
    const total: ApplyCounts = { created: 0, updated: 0, unchanged: 0, stale: 0, deleted: 0, missing: 0, flagged: [], unwritten: [] };
    for (let start = 0; start < snapshots.length; start += BATCH_LIMIT) {
      const values = [snapshotRows(snapshots.slice(start, start + BATCH_LIMIT))];
      const [counts] = await this.retryingPhoneRace(sql, () => sql.query<ApplyCounts>(UPSERT_COUNTING_STATEMENT, values));
      for (const key of ['created', 'updated', 'unchanged', 'stale', 'deleted', 'missing'] as const) total[key] += counts![key];
      for (const userId of counts!.flagged) this.warnOfConflict(userId);
      total.flagged.push(...counts!.flagged);
      total.unwritten.push(...counts!.unwritten);
    }
    return total;
  }

  /** Creates the row from token claims if there is none; returns the row as it stands. */
  async insertIfAbsent(snapshot: UserSnapshot, sql: Sql = this.prisma.sql): Promise<UpsertedRow | null> {
    const s = snapshot;
    const values = [
      s.id, s.email, s.phone, s.emailConfirmedAt, s.phoneConfirmedAt, s.lastSignInAt, s.bannedUntil, s.role,
      s.isAnonymous, JSON.stringify(s.appMetadata), JSON.stringify(s.userMetadata), s.createdAt,
    ];
    const rows = await this.retryingPhoneRace(sql, () => sql.query<UpsertedRow>(INSERT_IF_ABSENT_STATEMENT, values));
    this.warnOfConflicts(rows);
    return rows[0] ?? null;
  }

  /** The live user holding this number (E.164), with their display name: an index scan on PHONE_INDEX. */
  async findLiveByPhone(phone: string): Promise<PhoneHolder | null> {
    const rows = await this.prisma.sql.query<PhoneHolder>(prepared('mirror_find_by_phone', FIND_LIVE_BY_PHONE), [phone]);
    return rows[0] ?? null;
  }

  /** Live users whose Supabase phone could not be stored here, in id order after `after`. */
  async phoneConflicts(after: string | null, limit: number): Promise<PhoneConflictRow[]> {
    return this.prisma.sql.query<PhoneConflictRow>(
      `SELECT id::text AS id, phone_conflict, updated_at FROM users
       WHERE phone_conflict IS NOT NULL AND deleted_at IS NULL AND ($1::uuid IS NULL OR id > $1::uuid)
       ORDER BY id LIMIT $2`,
      [after, limit],
    );
  }

  /**
   * Runs a write once more when it lost a phone race (see isPhoneRace). Only outside a
   * transaction: inside one, the failed statement has aborted the transaction, so the caller
   * retries the whole transaction (PrismaService.transaction's `retryOnceIf: isPhoneRace`).
   */
  private async retryingPhoneRace<T>(sql: Sql, write: () => Promise<T>): Promise<T> {
    if (sql !== this.prisma.sql) return write();
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
    const rows = await this.prisma.sql.query<MirrorUserRow & PrefixedProfile>(FIND_WITH_PROFILE, [id]);
    const row = rows[0];
    if (!row) return null;
    return { user: row, profile: row.p_updated_at === null ? null : unprefixProfile(row) };
  }

  /**
   * Turns the user into a tombstone, inside the caller's transaction: the row is deleted (so
   * everything the user owns goes by ON DELETE CASCADE) and put back with its id and deletion
   * time only. The per-user advisory lock orders it against every upsert of the same id: an
   * upsert that started first is committed before the DELETE reads, one that starts later sees
   * the tombstone. Returns false when the user already was a tombstone.
   */
  async tombstone(tx: Sql, id: string, deletedAt: string | null): Promise<boolean> {
    await tx.query(`SELECT pg_advisory_xact_lock(${USER_LOCK_KEY})`, [id]);
    const removed = await tx.execute('DELETE FROM users WHERE id = $1::uuid AND deleted_at IS NULL', [id]);
    const created = await tx.execute(
      `INSERT INTO users (id, deleted_at, synced_at) VALUES ($1::uuid, coalesce($2::timestamptz, now()), now())
       ON CONFLICT (id) DO NOTHING`,
      [id, deletedAt],
    );
    return removed > 0 || created > 0;
  }

  /** The ids of every tombstone (for the in-memory set the guard checks). */
  async tombstoneIds(): Promise<string[]> {
    const rows = await this.prisma.sql.query<{ id: string }>('SELECT id FROM users WHERE deleted_at IS NOT NULL');
    return rows.map((row) => row.id);
  }

  /** Removes tombstones older than the retention period; returns how many. */
  async purgeTombstones(retentionDays: number): Promise<number> {
    return this.prisma.sql.execute(
      `DELETE FROM users WHERE deleted_at IS NOT NULL AND deleted_at < now() - make_interval(days => $1::int)`,
      [retentionDays],
    );
  }
}
