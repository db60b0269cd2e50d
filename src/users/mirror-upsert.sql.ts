// The SQL that writes mirror rows (snapshot upserts, the token-claims insert), run by UsersRepository;
// nothing else writes `users` but its tombstone and purge statements.
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
  /** A number another live user holds here (`phone` is then null): flagged, not merged; cleared once it is free. */
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

/** Every column of `users`: the SQL reads them, `satisfies` holds them to MirrorUserRow, a test holds them to the table. */
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
 * The version rule on SQL aliases: strictly newer, or a row without a version (token claims), or the same version with a
 * phone conflict to heal. Liveness is checked apart; the upsert's ON CONFLICT narrows the heal to numbers now free.
 */
export function snapshotIsNewer(row: string, snapshot: string): string {
  return `(${row}.updated_at IS NULL OR ${row}.updated_at < ${snapshot}.updated_at
      OR (${row}.updated_at = ${snapshot}.updated_at AND ${row}.phone_conflict IS NOT NULL))`;
}

/** The columns a snapshot writes, in the order of the statements below. */
const WRITTEN_COLUMNS = `id, email, phone, email_confirmed_at, phone_confirmed_at, last_sign_in_at, banned_until, role,
  is_anonymous, app_metadata, user_metadata, created_at, updated_at, phone_conflict, synced_at`;

/**
 * The snapshot's phone (`s`) is held by another live user, or by an earlier snapshot of the batch (`r.phone_rank`): it is
 * stored as `phone_conflict`, never merged and never a unique violation (docs/design.md, "Phone numbers").
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
  /** An INSERT … RETURNING that must return a row for anything to be written (see DeliveryClaim). */
  claim?: string;
}

/**
 * Applies a batch of snapshots (distinct ids, one binary array per column) in one statement; tombstones are never touched.
 * `probe` first sets aside tombstones and rows already as new by one index probe: an unchanged user costs no lock or write.
 * Rows are written in id order, so batches sharing rows cannot deadlock; of two snapshots with one number, the one whose
 * row holds it wins, then the earliest created. The generic plan is often made on an empty `users`, so every read of it
 * is an index lookup (by id, LATERAL … OFFSET 0; test/upsert-plan.e2e-spec.ts) (docs/design.md, "How the mirror stays correct").
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
 * A row per snapshot as it stands. A row whose first write committed while this statement ran is out of its snapshot:
 * it comes back with a null `id` (see UsersRepository.upsertIfNewer), never as if there were no user.
 */
const ROWS_ANSWER = `
  SELECT w.*, true AS written, true AS same_version FROM written w
  UNION ALL
  SELECT ${USER_COLUMNS}, false, false, coalesce(u.updated_at = i.updated_at, false)
  FROM input i LEFT JOIN LATERAL (SELECT * FROM users u WHERE u.id = i.id OFFSET 0) AS u ON true
  WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)`;

/** For pages of many users: one row of counts (ApplyCounts) and the ids flagged, left as they were, or out of sight (see ROWS_ANSWER). */
const COUNTS_ANSWER = `
  , unwritten AS (
    SELECT u.id, u.deleted_at, coalesce(u.updated_at = i.updated_at, false) AS same_version
    FROM input i CROSS JOIN LATERAL (SELECT * FROM users u WHERE u.id = i.id OFFSET 0) AS u
    WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)
  )
  SELECT w.created, w.updated, n.unchanged, n.stale, n.deleted,
    (SELECT count(*) FROM input)::int - w.created - w.updated - n.unchanged - n.stale - n.deleted AS missing,
    w.flagged, n.unwritten, n.tombstoned,
    ARRAY(SELECT i.id::text FROM input i WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = i.id)
      AND NOT EXISTS (SELECT 1 FROM unwritten n WHERE n.id = i.id)) AS unseen
  FROM (SELECT count(*) FILTER (WHERE inserted)::int AS created, count(*) FILTER (WHERE NOT inserted)::int AS updated,
          coalesce(array_agg(id::text) FILTER (WHERE phone_conflict IS NOT NULL), '{}') AS flagged FROM written) AS w,
       (SELECT count(*) FILTER (WHERE deleted_at IS NULL AND same_version)::int AS unchanged,
          count(*) FILTER (WHERE deleted_at IS NULL AND NOT same_version)::int AS stale,
          count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted,
          coalesce(array_agg(id::text) FILTER (WHERE deleted_at IS NULL), '{}') AS unwritten,
          coalesce(array_agg(id::text) FILTER (WHERE deleted_at IS NOT NULL), '{}') AS tombstoned FROM unwritten) AS n`;

const FULL_UPSERT: UpsertShape = { returning: USER_COLUMNS, answer: ROWS_ANSWER, probe: true };

export const UPSERT_SNAPSHOTS = upsertSnapshotsSql(FULL_UPSERT);

export const UPSERT_SNAPSHOTS_STATEMENT = prepared('mirror_upsert_snapshots', UPSERT_SNAPSHOTS);

/**
 * The same upsert answering counts only (reconcile pages). No probe: reconcile sends only users a version read found
 * writable, or every user after mostly-written pages, so a probe would be spent for nothing.
 */
export const UPSERT_COUNTING = upsertSnapshotsSql({ returning: 'u.id, u.phone_conflict', answer: COUNTS_ANSWER, probe: false });

export const UPSERT_COUNTING_STATEMENT = prepared('mirror_upsert_counting', UPSERT_COUNTING);

/**
 * The counting upsert of a reconcile page, which also records, per user it wrote, a `reconcile.repaired` audit event
 * in the same statement: each such write is a change the intake missed (the user's timeline shows it).
 */
export const UPSERT_REPAIRING_STATEMENT = prepared(
  'mirror_upsert_repairing',
  upsertSnapshotsSql({
    returning: 'u.id, u.phone_conflict',
    answer: `
  , repairs AS (
    INSERT INTO audit_events (user_id, subject_id, type, details)
    SELECT w.id, w.id, 'reconcile.repaired', jsonb_build_object('change', CASE WHEN w.inserted THEN 'created' ELSE 'updated' END)
    FROM written w JOIN input i ON i.id = w.id
    -- The row as it was (this part of the statement still sees it): a write at the same version only healed a phone
    -- conflict, after an event the intake did apply freed the number; no event was missed.
    LEFT JOIN LATERAL (SELECT c.updated_at FROM users c WHERE c.id = w.id OFFSET 0) AS b ON true
    WHERE w.inserted OR b.updated_at IS DISTINCT FROM i.updated_at
  )${COUNTS_ANSWER}`,
    probe: false,
  }),
);

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
  /** Ids of the snapshots that found a tombstone (left alone). */
  tombstoned: string[];
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
 * The upsert of one delivered snapshot, claiming the delivery id in the same statement: claim and write commit together
 * in one round trip, and a repeat writes and locks nothing. The only writer of webhook_deliveries outside the webhooks module.
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
 * Creates the row from token claims only when there is none (no version: any snapshot wins later); as in the upsert,
 * a row another first write committed meanwhile comes back with a null `id`.
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
