import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { DatabaseService } from '../database/database.service.js';
import type { Sql } from '../database/sql.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';

export const PUSH_PROFILE_METADATA_TASK = 'push_profile_metadata';

/** Enough for about two days of exponential back-off (graphile-worker caps a wait at e^10 s). */
const PUSH_MAX_ATTEMPTS = 25;

/** The profile fields the frontend reads from the access token, under their `user_metadata` keys. */
export interface PushedMetadata {
  display_name: string | null;
  onboarding_completed: boolean;
  industry: string | null;
  job_title: string | null;
  email_consent: boolean;
}

const LIVE_PUSHED_FIELDS = `
  SELECT p.display_name, p.onboarding_completed, p.industry, p.job_title, p.email_consent
  FROM profiles p JOIN users u ON u.id = p.user_id AND u.deleted_at IS NULL
  WHERE p.user_id = $1::uuid`;

/**
 * The outbox from the local profile to `user_metadata` (docs/design.md, "Profiles and onboarding"). A push sends the profile
 * as it is when the job runs, so a late or repeated job still sends the newest answers, and quick edits share one job key.
 */
@Injectable()
export class ProfileMetadataService implements OnModuleInit {
  private readonly logger = new Logger(ProfileMetadataService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly supabase: SupabaseAdminService,
    private readonly jobs: JobQueueService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(PUSH_PROFILE_METADATA_TASK, async (payload) => {
      await this.push((payload as { userId: string }).userId);
    });
  }

  /** Queues the push of the user's profile in `tx`, the transaction of the profile write. */
  async enqueue(userId: string, tx: Sql): Promise<void> {
    await this.jobs.add(
      PUSH_PROFILE_METADATA_TASK,
      { userId },
      { jobKey: `profile-metadata:${userId}`, maxAttempts: PUSH_MAX_ATTEMPTS },
      tx,
    );
  }

  /**
   * Sends the current profile; throws (a job retry) while Supabase cannot take it. An advisory lock across the call
   * serialises one user's pushes, so a newer edit's job runs after an in-flight push and has the last word.
   */
  async push(userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`profile-metadata:${userId}`]);
      const [metadata] = await tx.query<PushedMetadata>(LIVE_PUSHED_FIELDS, [userId]);
      if (!metadata) {
        this.logger.log({ userId }, 'profile metadata not pushed: the user is gone locally');
        return;
      }
      const result = await this.supabase.updateUserMetadata(userId, { ...metadata });
      if (result.kind !== 'ok') throw new Error(`Supabase did not take the profile metadata (${result.reason})`);
      if (!result.value) this.logger.log({ userId }, 'profile metadata not pushed: Supabase has no such user');
    });
  }
}
