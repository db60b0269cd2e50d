import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { CUTOFF_EVENT_COLUMNS, type CutoffEvent } from './access-events.js';
import type { AccessSnapshot } from './access-registry.js';

/** Reads what the guard must refuse, for an instance that starts or reconnects its listener. */
@Injectable()
export class AccessRepository {
  constructor(private readonly db: DatabaseService) {}

  /** One snapshot (one REPEATABLE READ transaction): tombstones, live bans, sessions Supabase may still refresh or ended less than `lifetimeSeconds` ago, and younger cutoffs. */
  async snapshot(lifetimeSeconds: number): Promise<AccessSnapshot> {
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const deleted = await tx.query<{ id: string }>('SELECT id FROM users WHERE deleted_at IS NOT NULL');
      const bans = await tx.query<{ user: string; until: string }>(
        `SELECT id AS "user", to_json(banned_until) #>> '{}' AS until FROM users WHERE banned_until > now() AND deleted_at IS NULL`,
      );
      const sessions = await tx.query<{ session: string; endedAt: string | null }>(
        `SELECT id AS session, to_json(supabase_ended_at) #>> '{}' AS "endedAt" FROM devices
         WHERE revoked_at IS NOT NULL AND (supabase_ended_at IS NULL OR supabase_ended_at > now() - make_interval(secs => $1::int))`,
        [lifetimeSeconds],
      );
      const cutoffs = await tx.query<CutoffEvent>(
        `SELECT ${CUTOFF_EVENT_COLUMNS} FROM token_cutoffs
         WHERE greatest(sessions_revoked_before, tokens_stale_before) > now() - make_interval(secs => $1::int)`,
        [lifetimeSeconds],
      );
      return {
        deleted: deleted.map((row) => row.id),
        bans,
        sessions,
        cutoffs,
      };
    });
  }
}
