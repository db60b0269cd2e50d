import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { Sql } from '../database/sql.js';
import { CUTOFF_EVENT_COLUMNS, type CutoffEvent } from '../access/access-events.js';
import type { Sighting } from './sighting.js';

export interface DeviceRow {
  id: string;
  user_id: string;
  name: string | null;
  user_agent: string | null;
  ip: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'id, user_id, name, user_agent, ip, first_seen_at, last_seen_at, revoked_at';

/** The `devices` table and the per-user `token_cutoffs`. */
@Injectable()
export class DevicesRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * Inserts devices first seen, moves the others' last-seen forward (one statement for a batch). A device of a user not in
   * the mirror (yet) or deleted is skipped; a revoked one is not touched. Returns the rows written, and for each new one
   * whether its user already had another live device.
   */
  async record(
    sightings: readonly Sighting[],
    tx: Sql,
  ): Promise<Array<{ id: string; userId: string; added: boolean; hasOthers: boolean }>> {
    if (sightings.length === 0) return [];
    // Waits for a revocation or logout of these users in flight (lockUser), so that the statement below, on a snapshot
    // taken after it, sees its revoked devices and its cutoff: a session it ended is not recorded as a live device.
    await tx.query('SELECT 1 FROM users WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE', [[...new Set(sightings.map((s) => s.userId))]]);
    return tx.query(
      `WITH seen AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::timestamptz[])
           AS s(id, user_id, user_agent, ip, at, name, started_at)
       ), written AS (
         INSERT INTO devices AS d (id, user_id, name, user_agent, ip, first_seen_at, last_seen_at)
         SELECT s.id, s.user_id, s.name, left(s.user_agent, 512), s.ip, s.at, s.at
         FROM seen s JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL
         LEFT JOIN token_cutoffs c ON c.user_id = s.user_id
         -- A session a logout of others (or all) ended, seen just before it: not a device any more.
         WHERE c.sessions_revoked_before IS NULL OR s.id = c.kept_session_id
           OR s.started_at >= date_trunc('second', c.sessions_revoked_before)
         ORDER BY s.id
         -- A user deleted meanwhile is skipped: its row is gone (the tombstone put back is another row), never attached to.
         FOR KEY SHARE OF u
         ON CONFLICT (id) DO UPDATE SET
           last_seen_at = greatest(d.last_seen_at, EXCLUDED.last_seen_at),
           user_agent = coalesce(EXCLUDED.user_agent, d.user_agent),
           ip = coalesce(EXCLUDED.ip, d.ip),
           name = coalesce(EXCLUDED.name, d.name)
         WHERE d.user_id = EXCLUDED.user_id AND d.revoked_at IS NULL
         RETURNING d.id, d.user_id, xmax = 0 AS added
       )
       SELECT w.id, w.user_id AS "userId", w.added,
         EXISTS (SELECT FROM devices o WHERE o.user_id = w.user_id AND o.id <> w.id AND o.revoked_at IS NULL) AS "hasOthers"
       FROM written w`,
      [
        sightings.map((s) => s.sessionId),
        sightings.map((s) => s.userId),
        sightings.map((s) => s.userAgent),
        sightings.map((s) => s.ip),
        sightings.map((s) => s.at),
        sightings.map((s) => s.name ?? null),
        sightings.map((s) => s.startedAt),
      ],
    );
  }

  /**
   * Locks the user's row until `tx` ends, before a revocation or cutoff: against a deletion (which takes the user first,
   * then its devices: this takes them in the same order), and against a recording of the user's devices (`record` takes
   * the user FOR SHARE, which this mode conflicts with), so each sees what the other committed. False when the user is
   * deleted or not in the mirror.
   */
  async lockUser(userId: string, tx: Sql): Promise<boolean> {
    const rows = await tx.query('SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE', [userId]);
    return rows.length === 1;
  }

  /** Records that Supabase has ended the session; its end time, or null for a device gone with its user. */
  async endedInSupabase(id: string, tx: Sql): Promise<string | null> {
    const [row] = await tx.query<{ ended: string }>(
      `UPDATE devices SET supabase_ended_at = coalesce(supabase_ended_at, now()) WHERE id = $1
       RETURNING to_json(supabase_ended_at) #>> '{}' AS ended`,
      [id],
    );
    return row?.ended ?? null;
  }

  /** The user's devices, revoked ones too, most recently seen first (the operator's view; at most 200). */
  async all(userId: string): Promise<DeviceRow[]> {
    return this.db.sql.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE user_id = $1 ORDER BY last_seen_at DESC, id LIMIT 200`, [
      userId,
    ]);
  }

  /** The user's live devices, most recently seen first. */
  async live(userId: string): Promise<DeviceRow[]> {
    return this.db.sql.query<DeviceRow>(
      `SELECT ${COLUMNS} FROM devices WHERE user_id = $1 AND revoked_at IS NULL ORDER BY last_seen_at DESC, id`,
      [userId],
    );
  }

  async find(id: string, tx: Sql = this.db.sql): Promise<DeviceRow | null> {
    const [row] = await tx.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = $1`, [id]);
    return row ?? null;
  }

  /** Renames a live device of this user; null when there is none. */
  async rename(userId: string, id: string, name: string): Promise<DeviceRow | null> {
    const [row] = await this.db.sql.query<DeviceRow>(
      `UPDATE devices SET name = $3 WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [userId, id, name],
    );
    return row ?? null;
  }

  /** Revokes one live device of this user; null when it has none by that id (or it is already revoked). */
  async revoke(userId: string, id: string, tx: Sql): Promise<DeviceRow | null> {
    const [row] = await tx.query<DeviceRow>(
      `UPDATE devices SET revoked_at = now() WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [userId, id],
    );
    return row ?? null;
  }

  /** Revokes every live device of the user but `keep` (null: all of them). */
  async revokeAllBut(userId: string, keep: string | null, tx: Sql): Promise<DeviceRow[]> {
    return tx.query<DeviceRow>(
      `UPDATE devices SET revoked_at = now()
       WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2::uuid RETURNING ${COLUMNS}`,
      [userId, keep],
    );
  }

  /** Refuses the user's tokens issued before now (401 token_stale): the client refreshes and gets the new claims. */
  async markTokensStale(userId: string, tx: Sql): Promise<CutoffEvent> {
    const [cutoff] = await tx.query<CutoffEvent>(
      `INSERT INTO token_cutoffs (user_id, tokens_stale_before) VALUES ($1, now())
       ON CONFLICT (user_id) DO UPDATE SET tokens_stale_before = EXCLUDED.tokens_stale_before
       RETURNING ${CUTOFF_EVENT_COLUMNS}`,
      [userId],
    );
    return cutoff;
  }

  /** Refuses the user's tokens issued before now, of every session but `keep`: also those of sessions never seen here. */
  async cutOffSessions(userId: string, keep: string | null, tx: Sql): Promise<CutoffEvent> {
    const [cutoff] = await tx.query<CutoffEvent>(
      `INSERT INTO token_cutoffs (user_id, sessions_revoked_before, kept_session_id) VALUES ($1, now(), $2::uuid)
       ON CONFLICT (user_id) DO UPDATE SET sessions_revoked_before = EXCLUDED.sessions_revoked_before,
         kept_session_id = EXCLUDED.kept_session_id
       RETURNING ${CUTOFF_EVENT_COLUMNS}`,
      [userId, keep],
    );
    return cutoff;
  }
}
