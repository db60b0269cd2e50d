import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { UsersRepository } from './users.repository.js';

export const PURGE_TOMBSTONES_TASK = 'purge_tombstones';

/** Tombstones are kept TOMBSTONE_RETENTION_DAYS (a late delivery must still find them), then purged hourly. */
@Injectable()
export class TombstonePurgeService implements OnModuleInit {
  private readonly logger = new Logger(TombstonePurgeService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly jobs: JobQueueService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(PURGE_TOMBSTONES_TASK, async () => {
      await this.purgeTombstones();
    });
    this.jobs.scheduleRecurring({ task: PURGE_TOMBSTONES_TASK, cron: '17 * * * *' });
  }

  /** Removes tombstones older than TOMBSTONE_RETENTION_DAYS; the deletion audit records stay. */
  async purgeTombstones(): Promise<number> {
    const purged = await this.users.purgeTombstones(this.config.tombstoneRetentionDays);
    if (purged > 0) this.logger.log({ purged }, 'purged old tombstones');
    return purged;
  }
}
