import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Sql } from '../database/sql.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { SupabaseSessionsService } from '../supabase/supabase-sessions.service.js';

export const SESSION_REVOKE_TASK = 'supabase_session_revoke';

/** Ends revoked devices' sessions in Supabase, as durable jobs retried until Supabase has done it. */
@Injectable()
export class SupabaseSessionRevoker implements OnModuleInit {
  private readonly logger = new Logger(SupabaseSessionRevoker.name);

  constructor(
    private readonly jobs: JobQueueService,
    private readonly sessions: SupabaseSessionsService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(SESSION_REVOKE_TASK, async (payload) => {
      const { sessionId } = payload as { sessionId: string };
      const existed = await this.sessions.revoke(sessionId);
      this.logger.log({ sessionId, existed }, 'session ended in Supabase');
    });
  }

  /** Queued in the revocation's transaction: it exists exactly if the revocation commits. */
  async queue(sessionId: string, tx: Sql): Promise<void> {
    await this.jobs.add(SESSION_REVOKE_TASK, { sessionId }, { jobKey: `session-revoke:${sessionId}`, maxAttempts: 25 }, tx);
  }
}
