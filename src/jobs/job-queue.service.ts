import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { Logger as GraphileLogger, run, type Runner, type Task, type TaskList } from 'graphile-worker';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { endPool, openPool } from '../database/pools.js';
import type { Sql } from '../database/sql.js';

export interface JobOptions {
  /** Attempts before the job stays failed (the dead-letter state: kept, with its last error). */
  maxAttempts?: number;
  /** A job with the same key replaces a pending one instead of queueing twice. */
  jobKey?: string;
  /** Not before this time (default: now). */
  runAt?: Date;
  /** With `jobKey`: keep the pending job's run time instead of moving it (a burst of adds cannot postpone it). */
  keepRunAt?: boolean;
}

/** A recurring job: a graphile-worker crontab line without its task name, e.g. `0 * * * *`. */
export interface ScheduledJob {
  task: string;
  cron: string;
}

/**
 * Durable jobs on graphile-worker, added in the caller's transaction so that they exist exactly if it commits
 * (docs/operations.md, "Background jobs").
 */
@Injectable()
export class JobQueueService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobQueueService.name);
  private readonly tasks: TaskList = {};
  private readonly schedule: ScheduledJob[] = [];
  private runner: Runner | null = null;
  private pool: pg.Pool | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Registers the handler of a task; call from a provider's constructor or onModuleInit. */
  register(name: string, handler: Task): void {
    this.tasks[name] = handler;
  }

  /** Runs `task` on a cron schedule (in one worker across all instances: graphile-worker locks cron items). */
  scheduleRecurring(job: ScheduledJob): void {
    this.schedule.push(job);
  }

  /** Adds a job through `tx`: inside the caller's transaction, it exists exactly if that commits. */
  async add(task: string, payload: Record<string, unknown>, options: JobOptions, tx: Sql): Promise<void> {
    await tx.query(
      `SELECT graphile_worker.add_job($1, $2::json, max_attempts => $3::int, job_key => $4::text, run_at => $5::timestamptz,
         job_key_mode => $6::text)::text`,
      [
        task,
        JSON.stringify(payload),
        options.maxAttempts ?? 10,
        options.jobKey ?? null,
        options.runAt ?? null,
        options.keepRunAt ? 'preserve_run_at' : 'replace',
      ],
    );
  }

  /** Jobs whose attempts are used up: the dead-letter state. */
  async failedJobs(tx: Sql): Promise<Array<{ id: string; task: string; attempts: number; last_error: string | null }>> {
    return tx.query(`
      SELECT j.id::text, t.identifier AS task, j.attempts, j.last_error
      FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE j.attempts >= j.max_attempts ORDER BY j.id`);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.jobsEnabled) return;
    // A pool of its own, named so that operators (and tests) can tell the queue's connections apart.
    this.pool = openPool({ connectionString: this.config.databaseUrl, max: 4, application_name: 'authmirror-jobs' }, this.logger);
    this.runner = await run({
      pgPool: this.pool,
      concurrency: 4,
      noHandleSignals: true,
      pollInterval: 2_000,
      taskList: this.tasks,
      crontab: this.schedule.map((job) => `${job.cron} ${job.task}`).join('\n'),
      logger: graphileLogger(this.logger),
    });
  }

  /** First at shutdown: no new job starts; running ones finish (their database pool closes last). */
  async onModuleDestroy(): Promise<void> {
    await this.runner?.stop();
    this.runner = null;
    if (this.pool) await endPool(this.pool);
    this.pool = null;
  }
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message) => {
    if (level === 'error') logger.error(message);
    else if (level === 'warning') logger.warn(message);
    else if (level === 'info') logger.debug(message);
  });
}
