import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { Logger as GraphileLogger, run, type Runner, type Task, type TaskList } from 'graphile-worker';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { endPool, openPool } from '../database/pools.js';
import { sqlOn, type Sql } from '../database/sql.js';
import { Metrics } from '../metrics/metrics.js';

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

/** A job that failed (and is retrying) or is dead, as an operator sees it: payloads hold ids, never secrets. */
export interface TroubledJob {
  id: string;
  task: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAt: Date;
  createdAt: Date;
}

/** Jobs of one task by state, as the metrics count them (the states of GET /admin/jobs, and `queued`). */
export interface TaskJobCounts {
  task: string;
  /** Waiting or running, never failed. */
  queued: number;
  /** Failed at least once, attempts left. */
  failed: number;
  /** Attempts used up. */
  dead: number;
}

/** A job added once the worker runs, unless one with its key is pending (see queueAtStart). */
interface StartJob {
  task: string;
  payload: Record<string, unknown>;
  options: JobOptions & { jobKey: string };
}

/** A job's state as an operator sees it, as a condition on graphile_worker's jobs (`j`): one spelling for lists and counts. */
const JOB_STATES = {
  /** Waiting or running, never failed. */
  queued: 'j.attempts < j.max_attempts AND j.last_error IS NULL',
  /** Failed at least once, attempts left. */
  failed: 'j.last_error IS NOT NULL AND j.attempts < j.max_attempts',
  /** Attempts used up (and not running its last one now). */
  dead: 'j.attempts >= j.max_attempts AND j.locked_at IS NULL',
} as const;

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
  private readonly atStart: StartJob[] = [];
  private runner: Runner | null = null;
  private pool: pg.Pool | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** Registers the handler of a task; call from a provider's constructor or onModuleInit. */
  register(name: string, handler: Task): void {
    this.tasks[name] = handler;
  }

  /** Runs `task` on a cron schedule (in one worker across all instances: graphile-worker locks cron items). */
  scheduleRecurring(job: ScheduledJob): void {
    this.schedule.push(job);
  }

  /**
   * Adds a job when the worker starts (its schema exists by then), keeping a pending one with the same key and its run
   * time: a job that schedules its own next run (the canary) is started by the first instance and never doubled.
   */
  queueAtStart(task: string, payload: Record<string, unknown>, options: JobOptions & { jobKey: string }): void {
    this.atStart.push({ task, payload, options: { ...options, keepRunAt: true } });
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

  /**
   * Jobs in trouble, oldest first, after `afterId`: `failed` ones are retrying (they failed at least once, attempts are
   * left), `dead` ones have used up their attempts (the last one over) and wait for an operator.
   */
  async troubledJobs(state: 'failed' | 'dead', limit: number, afterId: string | null, tx: Sql): Promise<TroubledJob[]> {
    return tx.query<TroubledJob>(
      `SELECT j.id::text, t.identifier AS task, j.payload, j.attempts, j.max_attempts AS "maxAttempts",
         left(j.last_error, 2000) AS "lastError", j.run_at AS "runAt", j.created_at AS "createdAt"
       FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
       WHERE ${JOB_STATES[state]}
         AND j.id > $1::bigint
       ORDER BY j.id LIMIT $2::int`,
      [afterId ?? '0', limit],
    );
  }

  /** Jobs by task and state, every task the queue knows (zeros included), for the metrics. */
  async countsByTask(tx: Sql): Promise<TaskJobCounts[]> {
    return tx.query<TaskJobCounts>(`
      SELECT t.identifier AS task,
        count(j.id) FILTER (WHERE ${JOB_STATES.queued})::int AS queued,
        count(j.id) FILTER (WHERE ${JOB_STATES.failed})::int AS failed,
        count(j.id) FILTER (WHERE ${JOB_STATES.dead})::int AS dead
      FROM graphile_worker._private_tasks t LEFT JOIN graphile_worker._private_jobs j ON j.task_id = t.id
      GROUP BY t.identifier`);
  }

  /** The queue's own pool while the worker runs, for the metrics. */
  get connectionPool(): pg.Pool | null {
    return this.pool;
  }

  /** Runs a failed or dead job again now, with all its attempts back; false when there is no such job or it is running. */
  async retry(id: string, tx: Sql): Promise<boolean> {
    const rows = await tx.query(
      'SELECT id FROM graphile_worker.reschedule_jobs(ARRAY[$1::bigint], run_at => now(), attempts => 0::smallint)',
      [id],
    );
    return rows.length === 1;
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
    this.countAttempts(this.runner);
    for (const { task, payload, options } of this.atStart) await this.add(task, payload, options, sqlOn(this.pool));
  }

  /** A failed attempt with attempts left is retried later; `job:failed` follows `job:error` when none are left. */
  private countAttempts(runner: Runner): void {
    runner.events.on('job:success', ({ job }) => this.metrics.jobAttempt(job.task_identifier, 'succeeded'));
    runner.events.on('job:error', ({ job }) => {
      if (job.attempts < job.max_attempts) this.metrics.jobAttempt(job.task_identifier, 'failed');
    });
    runner.events.on('job:failed', ({ job }) => this.metrics.jobAttempt(job.task_identifier, 'dead'));
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
