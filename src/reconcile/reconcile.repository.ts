import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/sql.js';

/**
 * The one key every reconcile takes (session-level advisory lock on its dedicated connection), so
 * one run at a time across instances and the CLI. Same 64-bit key space as the per-user locks.
 */
const RECONCILE_LOCK_KEY = `hashtextextended('authmirror:reconcile', 0)`;

/**
 * The run's bookkeeping: its lock, its clock, the ids it saw, and the sweep's candidates. It never
 * writes `users`: every mirror write goes through UsersService (applyUserSnapshots / deleteUser),
 * which keeps the version and tombstone rules. `session` is the run's dedicated connection: it holds the lock and the temp table of
 * listed ids that the run did not write, so memory stays flat in the number of users.
 */
@Injectable()
export class ReconcileRepository {
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

  async recordSeen(ids: readonly string[], session: Sql): Promise<void> {
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
  async sweepCandidates(runStart: Date, after: string | null, limit: number, session: Sql): Promise<string[]> {
    const rows = await session.query<{ id: string }>(
      `SELECT u.id::text AS id FROM users u
       WHERE u.deleted_at IS NULL AND u.synced_at < $1 AND ($2::uuid IS NULL OR u.id > $2::uuid)
         AND NOT EXISTS (SELECT 1 FROM reconcile_seen s WHERE s.id = u.id)
       ORDER BY u.id LIMIT $3`,
      [runStart, after, limit],
    );
    return rows.map((row) => row.id);
  }
}
