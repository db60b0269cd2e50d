import { Injectable } from '@nestjs/common';
import { PrismaService, type Sql } from '../prisma/prisma.service.js';
import { snapshotIsNewer } from './mirror-upsert.sql.js';
import { timestampArray, uuidArray } from './snapshot-params.js';
import type { UserSnapshot } from './user-snapshot.js';

/** How a page of listed (id, version) pairs compares with the mirror (read only). */
export interface VersionComparison {
  /** No row at all: a real run creates them. */
  missing: number;
  /** Tombstones: a real run leaves them alone (no resurrection). */
  tombstones: number;
  /**
   * Rows older than the listing (or without a version, or holding a phone conflict that the apply
   * may now heal): a real run may write them.
   */
  newer: number;
  /** Rows already as new as the listing. */
  current: number;
  /** Positions (0-based) of the entries a real run may write: the missing and the newer. */
  writable: number[];
}

/**
 * The one key every reconcile takes (session-level advisory lock on its dedicated connection), so
 * one run at a time across instances and the CLI. Same 64-bit key space as the per-user locks.
 */
const RECONCILE_LOCK_KEY = `hashtextextended('authmirror:reconcile', 0)`;

/**
 * Reads (and run bookkeeping) for reconcile. It never writes `users`: every mirror write goes
 * through UsersService (applyUserSnapshots / deleteUser), which keeps the version and tombstone
 * rules. `session` is the run's dedicated connection: it holds the lock and the temp table of
 * listed ids that the run did not write, so memory stays flat in the number of users.
 */
@Injectable()
export class ReconcileRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Takes the reconcile lock if free; false when another run holds it. */
  async tryLock(session: Sql): Promise<boolean> {
    const [row] = await session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${RECONCILE_LOCK_KEY}) AS locked`);
    return row?.locked === true;
  }

  async unlock(session: Sql): Promise<void> {
    await session.query(`SELECT pg_advisory_unlock(${RECONCILE_LOCK_KEY})`);
  }

  /** The database clock now: rows synced at or after it were written during this run. */
  async now(session: Sql): Promise<Date> {
    const [row] = await session.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    return row.now;
  }

  /**
   * Listed ids that the run did not write (a written row is told apart by its synced_at), in a
   * temp table of the session (gone with the connection).
   */
  async createSeenTable(session: Sql): Promise<void> {
    await session.query('DROP TABLE IF EXISTS pg_temp.reconcile_seen');
    // No key while the listing fills it (cheaper inserts; a user listed twice is harmless): the
    // index comes once, before the sweep (indexSeen).
    await session.query('CREATE TEMP TABLE reconcile_seen (id uuid NOT NULL)');
  }

  async dropSeenTable(session: Sql): Promise<void> {
    await session.query('DROP TABLE IF EXISTS pg_temp.reconcile_seen');
  }

  async recordSeen(session: Sql, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await session.query('INSERT INTO reconcile_seen (id) SELECT unnest($1::uuid[])', [ids]);
  }

  /** The index and fresh statistics for the sweep's anti-join, built once after the listing. */
  async indexSeen(session: Sql): Promise<void> {
    await session.query('CREATE INDEX ON reconcile_seen (id)');
    await session.query('ANALYZE reconcile_seen');
  }

  /**
   * The next batch of sweep candidates, in id order after `after` (keyset pagination): live rows
   * the listing did not show, synced before the run started (a row written during the run, by the
   * run itself, a sync or a delivery, is never a candidate; the listed rows the run did not write
   * are in reconcile_seen).
   */
  async sweepCandidates(session: Sql, runStart: Date, after: string | null, limit: number): Promise<string[]> {
    const rows = await session.query<{ id: string }>(
      `SELECT u.id::text AS id FROM users u
       WHERE u.deleted_at IS NULL AND u.synced_at < $1 AND ($2::uuid IS NULL OR u.id > $2::uuid)
         AND NOT EXISTS (SELECT 1 FROM reconcile_seen s WHERE s.id = u.id)
       ORDER BY u.id LIMIT $3`,
      [runStart, after, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Of these ids, the ones that already are tombstones here. */
  async tombstoneIdsAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.prisma.sql.query<{ id: string }>(
      'SELECT id::text AS id FROM users WHERE id = ANY($1::uuid[]) AND deleted_at IS NOT NULL',
      [ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * How each listed (id, version) compares with the mirror, compared in Postgres (microseconds),
   * answered as counts and the positions that may need a write: one row, whatever the page size.
   * The pairs go as binary arrays, as the upserts' snapshots do (see snapshot-params.ts).
   */
  async compareVersions(entries: ReadonlyArray<Pick<UserSnapshot, 'id' | 'updatedAt'>>): Promise<VersionComparison> {
    if (entries.length === 0) return { missing: 0, tombstones: 0, newer: 0, current: 0, writable: [] };
    const [row] = await this.prisma.sql.query<VersionComparison>(
      `SELECT count(*) FILTER (WHERE state = 'missing')::int AS missing,
         count(*) FILTER (WHERE state = 'tombstone')::int AS tombstones,
         count(*) FILTER (WHERE state = 'newer')::int AS newer,
         count(*) FILTER (WHERE state = 'current')::int AS current,
         coalesce(array_agg((position - 1)::int) FILTER (WHERE state IN ('missing', 'newer')), '{}') AS writable
       FROM (
         SELECT i.position, CASE WHEN u.id IS NULL THEN 'missing' WHEN u.deleted_at IS NOT NULL THEN 'tombstone'
           WHEN ${snapshotIsNewer('u', 'i')} THEN 'newer'
           ELSE 'current' END AS state
         FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS i(id, updated_at, position)
         LEFT JOIN LATERAL (SELECT u.id, u.deleted_at, u.updated_at, u.phone_conflict FROM users u WHERE u.id = i.id OFFSET 0) AS u ON true
       ) AS compared`,
      [uuidArray(entries.map((entry) => entry.id)), timestampArray(entries.map((entry) => entry.updatedAt))],
    );
    return row;
  }
}
