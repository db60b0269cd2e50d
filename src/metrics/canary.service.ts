import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { DatabaseService } from '../database/database.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { CANARY_KEY, CanaryWatch } from './canary-watch.js';

export const CANARY_TASK = 'canary';

/**
 * Writes `app_metadata.authmirror_canary = <now>` on the canary user (CANARY_USER_ID) every CANARY_INTERVAL_SECONDS, so that
 * an intake that stopped shows as a canary sent and not seen back (docs/operations.md, "Metrics and alerts"). app_metadata,
 * because only the service role writes it (the canary user cannot forge a return) and it reaches the mirror by every
 * form of delivery. One durable job that queues its next run: one write per interval across all instances, any interval
 * (graphile-worker's cron steps by whole minutes).
 */
@Injectable()
export class CanaryService implements OnModuleInit {
  private readonly logger = new Logger(CanaryService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobQueueService,
    private readonly db: DatabaseService,
    private readonly supabase: SupabaseAdminService,
    private readonly watch: CanaryWatch,
  ) {}

  onModuleInit(): void {
    if (this.config.canary.userId === null) return;
    this.jobs.register(CANARY_TASK, async () => {
      await this.send();
    });
    this.jobs.queueAtStart(CANARY_TASK, {}, { jobKey: CANARY_TASK });
  }

  /**
   * Queues the next run first, so that a failed write does not end the chain (the running job's key passes to the new
   * one); a failed write is logged, never thrown: a retry would write late and a dead canary job would raise DeadJobs.
   */
  async send(): Promise<void> {
    const userId = this.config.canary.userId!;
    const runAt = new Date(Date.now() + this.config.canary.intervalSeconds * 1000);
    await this.jobs.add(CANARY_TASK, {}, { jobKey: CANARY_TASK, runAt }, this.db.sql);
    const sentAt = new Date();
    const result = await this.supabase.updateAppMetadata(userId, { [CANARY_KEY]: sentAt.toISOString() });
    if (result.kind === 'ok' && result.value !== null) {
      this.watch.sent(sentAt);
      return;
    }
    const reason = result.kind === 'ok' ? 'CANARY_USER_ID names no Supabase user' : result.reason;
    this.logger.warn({ userId, reason }, 'the canary could not be written');
  }
}
