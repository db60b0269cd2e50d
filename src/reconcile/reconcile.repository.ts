import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/sql.js';
import type { ReconcileSummary } from './reconcile-run.js';

/** One run at a time across instances and the CLI: a session-level advisory lock on the run's dedicated connection. */
const RECONCILE_LOCK_KEY = `hashtextextended('authmirror:reconcile', 0)`;

/**
 * The run's bookkeeping (lock, clock, ids seen, sweep candidates) on its dedicated `session`; it never writes `users`,
 * which goes through UsersService (docs/design.md, "Reconcile").
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

  /** No run has completed yet: this one is a first fill. */
  async isFirstFill(session: Sql): Promise<boolean> {
    const [row] = await session.query<{ first: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM reconcile_runs WHERE complete) AS first');
    return row.first;
  }

  /** Records a run that wrote, as it ended (see reconcile_runs). */
  async recordRun(summary: ReconcileSummary, startedAt: Date, session: Sql): Promise<void> {
    await session.query(
      `INSERT INTO reconcile_runs (started_at, complete, backfill, created, updated, deleted, failed) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [startedAt, summary.complete, summary.backfill, summary.created, summary.updated, summary.deleted, summary.failed],
    );
  }

  /** The database clock now: rows synced at or after it were written during this run. */
  async now(session: Sql): Promise<Date> {
    const [row] = await session.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    return row.now;
  }

  /** A session temp table for the listed ids the run did not write (written rows are told by their synced_at). */
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

  /** The next keyset batch of live rows neither listed (reconcile_seen) nor written since the run started (by anyone). */
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
