import { Injectable } from '@nestjs/common';
import { PrismaService, type Sql } from '../prisma/prisma.service.js';

/** What the mirror holds for a listed user, for a dry run (nothing is written). */
export interface ExistingVersion {
  id: string;
  /** No row at all: a real run would create it. */
  missing: boolean;
  /** A tombstone: a real run leaves it alone (no resurrection). */
  tombstone: boolean;
  /**
   * The listed snapshot is strictly newer than the row (or the row has no version, or holds a phone
   * conflict that the apply may now heal): a real run may write it.
   */
  newer: boolean;
}

/**
 * The one key every reconcile takes (session-level advisory lock on its dedicated connection), so
 * one run at a time across instances and the CLI. Same 64-bit key space as the per-user locks.
 */
const RECONCILE_LOCK_KEY = `hashtextextended('authmirror:reconcile', 0)`;

/**
 * Reads (and run bookkeeping) for reconcile. It never writes `users`: every mirror write goes
 * through UsersService (applyUserSnapshots / deleteUser), which keeps the version and tombstone
 * rules. `session` is the run's dedicated connection: it holds the lock and the temp table of ids
 * seen in the listing, so memory stays flat in the number of users.
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

  /** The ids seen in this run's listing, in a temp table of the session (gone with the connection). */
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
   * the listing did not show, synced before the run started (a row written during the run by a
   * sync or a delivery is newer than the listing and is never a candidate).
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

  /** For a dry run: how each listed (id, version) compares with the mirror, compared in Postgres (microseconds). */
  async compareVersions(entries: ReadonlyArray<{ id: string; updatedAt: string | null }>): Promise<ExistingVersion[]> {
    if (entries.length === 0) return [];
    return this.prisma.sql.query<ExistingVersion>(
      `SELECT i.id::text AS id, (u.id IS NULL) AS missing, (u.deleted_at IS NOT NULL) AS tombstone,
         (u.id IS NOT NULL AND (u.updated_at IS NULL OR u.updated_at < i.updated_at
           OR (u.updated_at = i.updated_at AND u.phone_conflict IS NOT NULL))) AS newer
       FROM unnest($1::uuid[], $2::timestamptz[]) AS i(id, updated_at) LEFT JOIN users u ON u.id = i.id`,
      [entries.map((entry) => entry.id), entries.map((entry) => entry.updatedAt)],
    );
  }
}
