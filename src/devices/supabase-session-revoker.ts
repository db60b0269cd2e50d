import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { announceAccess } from '../access/access-events.js';
import { AccessRegistry } from '../access/access-registry.js';
import { DatabaseService } from '../database/database.service.js';
import type { Sql } from '../database/sql.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { SupabaseSessionsService } from '../supabase/supabase-sessions.service.js';
import { DevicesRepository } from './devices.repository.js';

export const SESSION_REVOKE_TASK = 'supabase_session_revoke';

/**
 * Ends revoked devices' sessions in Supabase, as durable jobs retried until Supabase has done it; only then may the
 * revocation be forgotten (a token lifetime later), since until then Supabase could still refresh the session.
 */
@Injectable()
export class SupabaseSessionRevoker implements OnModuleInit {
  private readonly logger = new Logger(SupabaseSessionRevoker.name);

  constructor(
    private readonly jobs: JobQueueService,
    private readonly sessions: SupabaseSessionsService,
    private readonly db: DatabaseService,
    private readonly devices: DevicesRepository,
    private readonly access: AccessRegistry,
  ) {}

  onModuleInit(): void {
    this.jobs.register(SESSION_REVOKE_TASK, async (payload) => {
      const { sessionId } = payload as { sessionId: string };
      const existed = await this.sessions.revoke(sessionId);
      await this.ended(sessionId);
      this.logger.log({ sessionId, existed }, 'session ended in Supabase');
    });
  }

  /** Queued in the revocation's transaction: it exists exactly if the revocation commits. */
  async queue(sessionId: string, tx: Sql): Promise<void> {
    await this.jobs.add(SESSION_REVOKE_TASK, { sessionId }, { jobKey: `session-revoke:${sessionId}`, maxAttempts: 25 }, tx);
  }

  /** Recorded and announced: every instance forgets the revocation a token lifetime from now. */
  private async ended(sessionId: string): Promise<void> {
    const endedAt = await this.db.transaction(async (tx) => {
      const ended = await this.devices.endedInSupabase(sessionId, tx);
      if (ended) await announceAccess({ kind: 'session', session: sessionId, endedAt: ended }, tx);
      return ended;
    });
    if (endedAt) this.access.apply({ kind: 'session', session: sessionId, endedAt });
  }
}
