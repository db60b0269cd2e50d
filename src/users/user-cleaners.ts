import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import type { Sql } from '../database/sql.js';

export const USER_CLEANUP_TASK = 'user_cleanup';

/** Removes what a deleted user left outside the database (stored files, third parties). */
export interface UserCleaner {
  /** Stable name: it is stored in queued jobs. */
  readonly name: string;
  /** Must be idempotent: a job may run again after a failure. */
  clean(userId: string): Promise<void>;
  /** Attempts (with exponential back-off) before the job stays failed for an operator; default 10. */
  readonly maxAttempts?: number;
}

/** The extension point for clean-up outside Postgres: register a cleaner at start-up (docs/design.md, "Deleting a user"). */
@Injectable()
export class UserCleanerRegistry implements OnModuleInit {
  private readonly cleaners = new Map<string, UserCleaner>();

  constructor(
    private readonly jobs: JobQueueService,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(USER_CLEANUP_TASK, async (payload, helpers) => {
      const { userId, cleaner } = payload as { userId: string; cleaner: string };
      const found = this.cleaners.get(cleaner);
      // Each outcome goes on the deleted user's timeline, kept like the deletion record (no userId: nothing to cascade from).
      const outcome = (type: string, details: object = {}) =>
        this.audit.recordDetached({
          userId: null,
          subjectId: userId,
          type,
          details: { cleaner, attempt: helpers.job.attempts, ...details },
        });
      try {
        if (!found) throw new Error(`no user cleaner named ${cleaner}`);
        await found.clean(userId);
      } catch (error) {
        await outcome('cleanup.failed', { lastAttempt: helpers.job.attempts >= helpers.job.max_attempts });
        throw error;
      }
      await outcome('cleanup.succeeded');
    });
  }

  /** One durable job per registered cleaner, in the deletion's transaction. */
  async queueCleanups(userId: string, tx: Sql): Promise<void> {
    for (const cleaner of this.cleaners.values()) {
      await this.jobs.add(
        USER_CLEANUP_TASK,
        { userId, cleaner: cleaner.name },
        { jobKey: `cleanup:${cleaner.name}:${userId}`, maxAttempts: cleaner.maxAttempts },
        tx,
      );
    }
  }

  register(cleaner: UserCleaner): void {
    if (this.cleaners.has(cleaner.name)) throw new Error(`a user cleaner named ${cleaner.name} is already registered`);
    this.cleaners.set(cleaner.name, cleaner);
  }
}
