import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/sql.js';

/** The pull intake's advisory lock key in the Supabase database ('authmirr' in ASCII). */
const PULL_LOCK = '7022647185815204466';

/**
 * A batch transaction idle longer than this is ended by the server, which frees the leader's lock: a connection that went
 * silent mid-batch (a partition, a dropped NAT entry) then holds back other instances for this long at most.
 */
const IDLE_IN_BATCH = '10s';

/** A row of the outbox authmirror.user_changes, which supabase/authmirror-trigger.sql writes with each change. */
export interface UserChange {
  id: string;
  /** The change's delivery id (random, written with the row). */
  changeId: string;
  userId: string;
  eventType: string;
  userObject: Record<string, unknown>;
  changedAt: Date;
}

/**
 * The outbox in the Supabase database, through the install SQL's functions (authmirror_intake has no table privilege).
 * Plain statements, never named prepared ones: Supavisor's transaction mode gives each transaction whichever server
 * connection is free.
 */
@Injectable()
export class UserChangesRepository {
  /**
   * The oldest committed changes, or null while another instance is pulling: one leader per batch, by a transaction-level
   * advisory lock (it needs no privilege, unlike FOR UPDATE, and holds under Supavisor's transaction mode).
   */
  async claim(limit: number, tx: Sql): Promise<UserChange[] | null> {
    await tx.execute(`SET LOCAL idle_in_transaction_session_timeout = '${IDLE_IN_BATCH}'`);
    const [{ leader }] = await tx.query<{ leader: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS leader', [PULL_LOCK]);
    if (!leader) return null;
    const rows = await tx.query<{
      id: string;
      change_id: string;
      user_id: string;
      event_type: string;
      user_object: Record<string, unknown>;
      changed_at: Date;
    }>('SELECT id, change_id, user_id, event_type, user_object, changed_at FROM authmirror.pending_changes($1)', [limit]);
    return rows.map((row) => ({
      id: row.id,
      changeId: row.change_id,
      userId: row.user_id,
      eventType: row.event_type,
      userObject: row.user_object,
      changedAt: row.changed_at,
    }));
  }

  async remove(ids: readonly string[], tx: Sql): Promise<void> {
    await tx.query('SELECT authmirror.acknowledge_changes($1::bigint[])', [ids]);
  }

  /** Changes waiting, committed ones only. */
  async backlog(sql: Sql): Promise<number> {
    const [row] = await sql.query<{ n: string }>('SELECT authmirror.pending_count() AS n');
    return Number(row.n);
  }
}
