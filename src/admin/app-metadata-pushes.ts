import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { DatabaseService } from '../database/database.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { snapshotFromSupabase } from '../users/user-snapshot.js';
import { UsersService } from '../users/users.service.js';

export const PUSH_APP_METADATA_TASK = 'push_app_metadata';

/**
 * Tier and role changes that reach the user at once: an admin's change of `app_metadata` is written here with its push's
 * job (an outbox); the job merges every change not pushed yet, in order, into Supabase's user, mirrors the answer, and
 * forces a refresh, so that the user's older tokens get 401 `token_stale` and the client refreshes into the new claims.
 */
@Injectable()
export class AppMetadataPushes implements OnModuleInit {
  private readonly logger = new Logger(AppMetadataPushes.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly jobs: JobQueueService,
    private readonly supabase: SupabaseAdminService,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(PUSH_APP_METADATA_TASK, async (payload) => this.push((payload as { userId: string }).userId));
  }

  /** Records the change and its push in one transaction; false when the user is not a live user of the mirror. */
  async request(admin: AuthenticatedUser, userId: string, patch: Record<string, unknown>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const written = await tx.query(
        `INSERT INTO app_metadata_pushes (user_id, patch, admin_id)
         SELECT id, $2::jsonb, $3 FROM users WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [userId, JSON.stringify(patch), admin.id],
      );
      if (written.length === 0) return false;
      // The keys, not their values: an admin's action, as the audit keeps it.
      await this.audit.record(
        { userId, subjectId: userId, type: 'admin.app_metadata.changed', details: { adminId: admin.id, keys: Object.keys(patch) } },
        tx,
      );
      await this.jobs.add(PUSH_APP_METADATA_TASK, { userId }, { jobKey: `app-metadata:${userId}`, maxAttempts: 25 }, tx);
      return true;
    });
  }

  /** Pushes what is waiting for the user (one push at a time per user: an advisory lock); throws for a retry. */
  async push(userId: string): Promise<void> {
    const pushed = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`app-metadata:${userId}`]);
      const waiting = await tx.query<{ id: string; patch: Record<string, unknown> }>(
        'SELECT id::text, patch FROM app_metadata_pushes WHERE user_id = $1 AND pushed_at IS NULL ORDER BY id',
        [userId],
      );
      if (waiting.length === 0) return false;
      const merged = Object.assign({}, ...waiting.map((row) => row.patch)) as Record<string, unknown>;
      const result = await this.supabase.updateAppMetadata(userId, merged);
      if (result.kind !== 'ok') throw new Error(`Supabase did not take the app metadata (${result.reason})`);
      await tx.query('UPDATE app_metadata_pushes SET pushed_at = now() WHERE id = ANY($1::bigint[])', [waiting.map((row) => row.id)]);
      if (!result.value) {
        this.logger.log({ userId }, 'app metadata not pushed: Supabase has no such user');
        return false;
      }
      await this.users.applyUserSnapshot(snapshotFromSupabase(result.value), tx);
      return true;
    });
    // After the commit: a token refreshed from now on carries the new claims.
    if (pushed) await this.devices.forceRefresh(userId);
  }
}
