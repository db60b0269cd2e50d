import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/sql.js';

/** The pull intake's advisory lock key in the Supabase database ('authmirr' in ASCII). */
const PULL_LOCK = '7022647185815204466';

/** A row of the outbox authmirror.user_changes, which supabase/authmirror-trigger.sql writes with each change. */
export interface UserChange {
  id: string;
  /** The writing transaction: with the user id, the change's delivery id, unique for the cluster's life. */
  txid: string;
  userId: string;
  eventType: string;
  userObject: Record<string, unknown>;
  changedAt: Date;
}

/**
 * The outbox in the Supabase database, read as role authmirror_intake. Plain statements, never named prepared ones:
 * Supavisor's transaction mode gives each transaction whichever server connection is free.
 */
@Injectable()
export class UserChangesRepository {
  /**
   * The oldest committed changes, or null while another instance is pulling: one leader per batch, by a transaction-level
   * advisory lock (it needs no privilege, unlike FOR UPDATE, and holds under Supavisor's transaction mode).
   */
  async claim(limit: number, tx: Sql): Promise<UserChange[] | null> {
    const [{ leader }] = await tx.query<{ leader: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS leader', [PULL_LOCK]);
    if (!leader) return null;
    const rows = await tx.query<{
      id: string;
      txid: string;
      user_id: string;
      event_type: string;
      user_object: Record<string, unknown>;
      changed_at: Date;
    }>(
      `SELECT id, txid::text AS txid, user_id, event_type, user_object, changed_at
         FROM authmirror.user_changes ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      id: row.id,
      txid: row.txid,
      userId: row.user_id,
      eventType: row.event_type,
      userObject: row.user_object,
      changedAt: row.changed_at,
    }));
  }

  async remove(ids: readonly string[], tx: Sql): Promise<void> {
    await tx.execute('DELETE FROM authmirror.user_changes WHERE id = ANY($1::bigint[])', [ids]);
  }

  /** Changes waiting, committed ones only. */
  async backlog(sql: Sql): Promise<number> {
    const [row] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM authmirror.user_changes');
    return row.n;
  }
}
