// The SQL that writes mirror rows: the upsert of snapshots (one statement for one or a thousand),
// its answers, and the insert from token claims. UsersRepository runs them; nothing else writes
// `users` but its tombstone and purge statements.
import { prepared } from '../database/sql.js';
import { SNAPSHOT_PARAMS, snapshotInput } from './snapshot-params.js';

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

/**
 * Every column of `users`, in one list: the SQL reads them (USER_COLUMNS), MirrorUserRow types
 * them (`satisfies` checks each is one of its keys), and a test holds the list to the table.
 */
export const USER_ROW_COLUMNS = [
  'id',
  'email',
  'phone',
  'email_confirmed_at',
  'phone_confirmed_at',
  'last_sign_in_at',
  'banned_until',
  'role',
  'is_anonymous',
  'app_metadata',
  'user_metadata',
  'created_at',
  'updated_at',
  'synced_at',
  'deleted_at',
  'phone_conflict',
] as const satisfies ReadonlyArray<keyof MirrorUserRow>;

export const USER_COLUMNS = USER_ROW_COLUMNS.map((column) => `u.${column}`).join(', ');

/**
 * The version rule as a condition on a row `row` and a snapshot `snapshot` (SQL aliases): the
 * snapshot is strictly newer, or the row has no version (it came from token claims), or it is of
 * the same version and holds a phone conflict that a write may now heal. Whether the row may be
 * written at all also needs it to be live. The upsert's ON CONFLICT applies the same rule, with
 * the heal narrowed to snapshots whose number turned out free.
 */
export function snapshotIsNewer(row: string, snapshot: string): string {
  return `(${row}.updated_at IS NULL OR ${row}.updated_at < ${snapshot}.updated_at
      OR (${row}.updated_at = ${snapshot}.updated_at AND ${row}.phone_conflict IS NOT NULL))`;
}

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

interface UpsertShape {
  /** What `written` keeps of each row written (with `inserted`). */
  returning: string;
  /** The statement's last part, reading `written` and `input` (every snapshot). */
  answer: string;
  /** Set aside the snapshots that cannot be written before any row is locked (see upsertSnapshotsSql). */
  probe: boolean;
  /** An INSERT … RETURNING that must return a row for anything to be written (see WriteClaim). */
  claim?: string;
}

/**
 * Applies a batch of snapshots (distinct ids) in one statement: each is inserted, or overwrites
 * its row when strictly newer (or when the row came from token claims and has no version); a
 * tombstone is never touched. With `probe`, `candidates` first sets aside, by one index probe, the
 * snapshots whose row is a tombstone or already as new (rows only ever get newer, so the upsert
 * below would leave them alone too): an unchanged user costs no row lock and no write. Rows are
 * written in id order, so two batches lock the rows they share in the same order (no deadlock).
 * A concurrent deletion is ordered by the row and its key alone (see `tombstone`).
 * A phone held by another live user is flagged (`phone_taken`); a row flagged so is also
 * rewritten by a snapshot of the same version once the number is free (reconcile heals it).
 * Within the batch, of two snapshots with the same number the one whose row already holds it
 * wins, then the earliest created (`phone_ranks`, only over the snapshots that have a phone). The
 * snapshots arrive as one binary array per column ($1 to $13, see snapshot-params.ts): thirteen
 * parameters whatever their number, which Postgres reads without parsing text.
 *
 * Prepared statements run with a generic plan, made once per connection, often while `users` is
 * still small or empty, so every read of `users` is written to be an index lookup whatever the
 * planner believes: scalar subqueries by id instead of an EXISTS it could hash over the whole
 * table, and a LATERAL … OFFSET 0 lookup instead of a join it could turn into a sequential scan
 * (test/upsert-plan.e2e-spec.ts holds it to that).
 */
function upsertSnapshotsSql({ returning, answer, probe, claim }: UpsertShape): string {
  // Without the probe the snapshots are written from `input` itself: a `candidates` CTE that only
  // repeated it would be materialised as a second copy of every row.
  const candidates = probe ? 'candidates' : 'input';
  return `
  WITH ${claim ? `claim AS (${claim}), ` : ''}input AS (
    SELECT * FROM ${snapshotInput('e')}${claim ? '\n    WHERE EXISTS (SELECT 1 FROM claim)' : ''}
  ), ${
    probe
      ? `candidates AS (
    SELECT i.* FROM input i
    WHERE coalesce((SELECT c.deleted_at IS NULL AND ${snapshotIsNewer('c', 'i')} FROM users c WHERE c.id = i.id), true)
  ), `
      : ''
  }phone_ranks AS (
    SELECT p.id, row_number() OVER (PARTITION BY p.phone ORDER BY p.holds DESC, p.created_at NULLS LAST, p.id) AS phone_rank
    FROM (SELECT i.id, i.phone, i.created_at, coalesce((SELECT c.phone FROM users c WHERE c.id = i.id) = i.phone, false) AS holds
          FROM ${candidates} i WHERE i.phone IS NOT NULL) AS p
  ), resolved AS (
    SELECT s.*, ${PHONE_TAKEN} AS phone_taken
    FROM ${candidates} s LEFT JOIN phone_ranks r ON r.id = s.id
  ), written AS (
    INSERT INTO users AS u (${WRITTEN_COLUMNS})
    SELECT s.id, s.email, CASE WHEN s.phone_taken THEN NULL ELSE s.phone END, s.email_confirmed_at,
      s.phone_confirmed_at, s.last_sign_in_at, s.banned_until, s.role, s.is_anonymous, s.app_metadata,
      s.user_metadata, s.created_at, s.updated_at, CASE WHEN s.phone_taken THEN s.phone END, now()
    FROM resolved s ORDER BY s.id
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
 * A row per snapshot, as it stands: the written rows, then the others (read in the statement's
 * snapshot, as the version rule saw them). `same_version` compares in Postgres, to the
 * microsecond. A row whose first write committed while this statement ran was left alone by the
 * conflict check, yet this statement's snapshot cannot see it: it answers with a null `id` (see
 * UsersRepository.upsertIfNewer), never as if there were no user.
 */
const ROWS_ANSWER = `
  SELECT w.*, true AS written, true AS same_version FROM written w
  UNION ALL
  SELECT ${USER_COLUMNS}, false, false, coalesce(u.updated_at = i.updated_at, false)
  FROM input i LEFT JOIN LATERAL (SELECT * FROM users u WHERE u.id = i.id OFFSET 0) AS u ON true
  WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)`;

/**
 * One row of counts (see ApplyCounts), the ids whose phone this write flagged, the ids of the
 * live rows it left as they were, and the ids of rows out of its sight (committed by another
 * writer while it ran; see ROWS_ANSWER): for pages of many users.
 */
const COUNTS_ANSWER = `
  , unwritten AS (
    SELECT u.id, u.deleted_at, coalesce(u.updated_at = i.updated_at, false) AS same_version
    FROM input i CROSS JOIN LATERAL (SELECT * FROM users u WHERE u.id = i.id OFFSET 0) AS u
    WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)
  )
  SELECT w.created, w.updated, n.unchanged, n.stale, n.deleted,
    (SELECT count(*) FROM input)::int - w.created - w.updated - n.unchanged - n.stale - n.deleted AS missing,
    w.flagged, n.unwritten,
    ARRAY(SELECT i.id::text FROM input i WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)
      AND NOT EXISTS (SELECT 1 FROM unwritten n WHERE n.id = i.id)) AS unseen
  FROM (SELECT count(*) FILTER (WHERE inserted)::int AS created, count(*) FILTER (WHERE NOT inserted)::int AS updated,
          coalesce(array_agg(id::text) FILTER (WHERE phone_conflict IS NOT NULL), '{}') AS flagged FROM written) AS w,
       (SELECT count(*) FILTER (WHERE deleted_at IS NULL AND same_version)::int AS unchanged,
          count(*) FILTER (WHERE deleted_at IS NULL AND NOT same_version)::int AS stale,
          count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted,
          coalesce(array_agg(id::text) FILTER (WHERE deleted_at IS NULL), '{}') AS unwritten FROM unwritten) AS n`;

const FULL_UPSERT: UpsertShape = { returning: USER_COLUMNS, answer: ROWS_ANSWER, probe: true };

export const UPSERT_SNAPSHOTS = upsertSnapshotsSql(FULL_UPSERT);

export const UPSERT_SNAPSHOTS_STATEMENT = prepared('mirror_upsert_snapshots', UPSERT_SNAPSHOTS);

/**
 * The same upsert answering counts only (reconcile pages): nothing per user to send or parse.
 * Without the probe: reconcile sends the users a read of versions found writable, or, after pages
 * that were mostly written (a first run), every user, so a probe would be spent for nothing (the
 * upsert's own conflict check applies the same rules).
 */
export const UPSERT_COUNTING = upsertSnapshotsSql({ returning: 'u.id, u.phone_conflict', answer: COUNTS_ANSWER, probe: false });

export const UPSERT_COUNTING_STATEMENT = prepared('mirror_upsert_counting', UPSERT_COUNTING);

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
  /** Snapshots that left no row in sight even when applied again (none in practice: kept so that counts always add up). */
  missing: number;
  /** Ids whose phone was stored as a conflict by this write. */
  flagged: string[];
  /** Ids of the live users whose rows this write left as they were (unchanged or stale). */
  unwritten: string[];
}

/** A webhook delivery the write is the effect of: claimed by the write's own statement (see UPSERT_CLAIMING_DELIVERY). */
export interface DeliveryClaim {
  deliveryId: string;
  /** How it arrived: `signed` or `database`. */
  source: string;
  eventType: string;
}

/** The claim's values, after the snapshots' ($14 on). */
export function deliveryClaimParams(claim: DeliveryClaim, userId: string): unknown[] {
  return [claim.deliveryId, claim.source, claim.eventType, userId];
}

/**
 * The upsert of one delivered snapshot, claiming the delivery id in the same statement: the claim
 * and the write commit together, in one round trip (a delivery's whole cost; `npm run bench`). If
 * the id was claimed already (a repeat), the statement writes and locks nothing. The claim row is
 * the webhooks module's (webhook_deliveries); this statement is the only other writer of it.
 */
export const UPSERT_CLAIMING_DELIVERY = prepared(
  'mirror_upsert_delivery_claim',
  upsertSnapshotsSql({
    ...FULL_UPSERT,
    claim: `INSERT INTO webhook_deliveries (delivery_id, source, event_type, user_id, action)
      VALUES ($${SNAPSHOT_PARAMS + 1}, $${SNAPSHOT_PARAMS + 2}, $${SNAPSHOT_PARAMS + 3}, $${SNAPSHOT_PARAMS + 4}::uuid, 'apply')
      ON CONFLICT (delivery_id) DO NOTHING RETURNING 1`,
  }),
);

/**
 * Creates the row from token claims only when there is no row at all (no version: any snapshot
 * wins later). The one snapshot's parameters are those of the upserts (snapshotParams). Like the
 * upsert's answer, a row another first write committed meanwhile comes back with a null `id`.
 */
const INSERT_IF_ABSENT = `
  WITH snapshot AS (
    SELECT * FROM ${snapshotInput('e')}
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
  SELECT ${USER_COLUMNS}, false, false, false
  FROM snapshot s LEFT JOIN LATERAL (SELECT * FROM users u WHERE u.id = s.id OFFSET 0) AS u ON true
  WHERE NOT EXISTS (SELECT 1 FROM written)`;

export const INSERT_IF_ABSENT_STATEMENT = prepared('mirror_insert_if_absent', INSERT_IF_ABSENT);
