import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { apiError } from '../common/errors.js';
import { DatabaseService } from '../database/database.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import type { AdminJobsQuery, AdminJobsResponse } from './dto/admin-jobs.dto.js';

/** Dead letters: the background jobs that failed or gave up, and a retry for each; retries are audited. */
@Injectable()
export class AdminJobsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly jobs: JobQueueService,
    private readonly audit: AuditService,
  ) {}

  async list(query: AdminJobsQuery): Promise<AdminJobsResponse> {
    const limit = query.limit ?? 50;
    const rows = await this.jobs.troubledJobs(query.state, limit + 1, query.cursor ?? null, this.db.sql);
    const page = rows.slice(0, limit);
    return {
      items: page.map(({ runAt, createdAt, ...job }) => ({
        ...job,
        runAt: runAt.toISOString(),
        createdAt: createdAt.toISOString(),
      })),
      nextCursor: rows.length > limit ? page.at(-1)!.id : null,
    };
  }

  /** The job runs again at once with all its attempts back; 404 `job_not_found` for no such job (or one running now). */
  async retry(admin: AuthenticatedUser, id: string): Promise<void> {
    const retried = await this.jobs.retry(id, this.db.sql);
    if (!retried) throw apiError('job_not_found');
    await this.audit.recordDetached({ userId: admin.id, subjectId: null, type: 'admin.job.retried', details: { jobId: id } });
  }
}
