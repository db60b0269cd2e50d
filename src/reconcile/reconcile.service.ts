import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { Metrics } from '../metrics/metrics.js';
import { DatabaseService } from '../database/database.service.js';
import { sqlOn, type Sql } from '../database/sql.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { DatabaseListing, type KeysetPage } from './database-listing.js';
import { ReconcilePages, readPage, type ReadPage, type ReadResult } from './reconcile-pages.js';
import { ReconcileRepository } from './reconcile.repository.js';
import {
  count,
  ReconcileAlreadyRunningError,
  reconcileCron,
  type ReconcileOptions,
  type ReconcileProgress,
  type ReconcileSummary,
  type RunState,
} from './reconcile-run.js';
import { UsersService } from '../users/users.service.js';

export const RECONCILE_TASK = 'reconcile';

const DEFAULT_PER_PAGE = 1000;
const PAGES_IN_FLIGHT = 3;
const PAGES_AHEAD = 4;
const SWEEP_BATCH = 500;
const SWEEP_CONCURRENCY = 8;

/**
 * Makes the mirror equal to Supabase's user list, one run at a time (docs/design.md, "Reconcile"). A run holds one pool
 * connection throughout and writes through others, so DATABASE_POOL_SIZE must be at least 2.
 */
@Injectable()
export class ReconcileService implements OnModuleInit {
  private readonly logger = new Logger(ReconcileService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DatabaseService,
    private readonly supabase: SupabaseAdminService,
    private readonly users: UsersService,
    private readonly repository: ReconcileRepository,
    private readonly pages: ReconcilePages,
    private readonly jobs: JobQueueService,
    private readonly listing: DatabaseListing,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const minutes = this.config.reconcileIntervalMinutes;
    if (minutes <= 0 || !this.config.jobsEnabled) return;
    const { cron, everyMinutes } = reconcileCron(minutes);
    if (everyMinutes !== minutes) {
      this.logger.warn({ requested: minutes, scheduled: everyMinutes }, 'RECONCILE_INTERVAL_MINUTES rounded down to fit a cron schedule');
    }
    this.jobs.register(RECONCILE_TASK, async () => {
      await this.runScheduled();
    });
    this.jobs.scheduleRecurring({ task: RECONCILE_TASK, cron });
  }

  /** The scheduled run: skips when another run holds the lock; logs the summary; never throws (the next run repairs). */
  async runScheduled(): Promise<ReconcileSummary | null> {
    try {
      const summary = await this.run();
      const level = summary.complete && summary.failed === 0 ? 'log' : 'error';
      this.logger[level](summary, 'scheduled reconcile finished');
      return summary;
    } catch (error) {
      if (error instanceof ReconcileAlreadyRunningError) {
        this.logger.log('scheduled reconcile skipped: another reconcile is running');
        return null;
      }
      this.logger.error({ reason: (error as Error).message }, 'scheduled reconcile failed');
      return null;
    }
  }

  /** One run. Throws only before it starts (the lock is held, the database fails); later errors end in the summary, unswept. */
  async run(options: ReconcileOptions = {}): Promise<ReconcileSummary> {
    const started = performance.now();
    const dryRun = options.dryRun ?? false;
    const perPage = options.perPage ?? DEFAULT_PER_PAGE;
    if (!Number.isInteger(perPage) || perPage < 1) throw new RangeError('perPage must be a positive integer');
    const summary: ReconcileSummary = {
      created: 0,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      keptDeleted: 0,
      failed: 0,
      pages: 0,
      seen: 0,
      failedPages: [],
      complete: false,
      error: null,
      durationMs: 0,
      dryRun,
      backfill: false,
    };

    const client = await this.db.pool.connect();
    // A connection lost while held must fail the run's next query, not crash the process.
    const onClientError = () => undefined;
    client.on('error', onClientError);
    const session = sqlOn(client);
    let broken: Error | undefined;
    let locked = false;
    try {
      locked = await this.repository.tryLock(session);
      if (!locked) throw new ReconcileAlreadyRunningError();
      await this.repository.createSeenTable(session);
      const runStart = await this.repository.now(session);
      summary.backfill = await this.repository.isFirstFill(session);
      const state: RunState = { summary, total: null, swept: 0, options, started, readFirst: true };
      try {
        const listed = this.listing.available
          ? await this.listFromDatabase(perPage, state, session)
          : await this.listAll(perPage, state, session);
        if (listed) {
          await this.repository.indexSeen(session);
          await this.sweep(runStart, state, session);
          summary.complete = true;
        }
      } catch (error) {
        summary.error = (error as Error).message;
        this.logger.error({ reason: summary.error }, 'reconcile stopped');
      }
      summary.durationMs = Math.round(performance.now() - started);
      // Bookkeeping: a run whose record is lost (the connection went) is still reported as it was.
      if (!dryRun)
        await this.repository
          .recordRun(summary, runStart, session)
          .catch((error: Error) => this.logger.warn({ reason: error.message }, 'reconcile run not recorded'));
      this.progress(state, 'done');
      this.metrics.reconciled(summary);
      return summary;
    } catch (error) {
      if (!(error instanceof ReconcileAlreadyRunningError)) broken = error as Error;
      if (!dryRun) this.metrics.reconcileNotRun(broken ? 'failed' : 'skipped');
      throw error;
    } finally {
      if (locked) {
        await this.repository.dropSeenTable(session).catch((error: Error) => (broken = error));
        await this.repository.unlock(session).catch((error: Error) => (broken = error));
      }
      // A connection whose lock or temp table could not be cleaned up is closed (which releases both).
      client.removeListener('error', onClientError);
      client.release(broken);
    }
  }

  /**
   * Reads every page in order, PAGES_AHEAD requested and PAGES_IN_FLIGHT applied at once so Supabase always has a request
   * to answer; never past X-Total-Count's last page, and the first short page ends it. False when a page failed.
   */
  private async listAll(perPage: number, state: RunState, session: Sql): Promise<boolean> {
    const inFlight: Array<Promise<void>> = [];
    const requested = new Map<number, Promise<ReadResult>>();
    let nextRequest = 1;
    // The short page that ends the listing (an empty one after an exactly full last page).
    const lastToRequest = () => (state.total === null ? Infinity : Math.floor(state.total / perPage) + 1);
    try {
      for (let page = 1; ; page++) {
        while (requested.size < PAGES_AHEAD && nextRequest <= Math.max(page, lastToRequest())) {
          const read = this.fetchAndRead(nextRequest, perPage, state.options);
          read.catch(() => undefined); // awaited in its turn; not an unhandled rejection if the run stops first
          requested.set(nextRequest, read);
          nextRequest++;
        }
        const result = await requested.get(page)!;
        requested.delete(page);
        if (result.kind === 'unavailable') {
          await Promise.all(inFlight);
          state.summary.failedPages.push(page);
          state.summary.error = `listUsers page ${page} failed: ${result.reason}`;
          this.logger.error({ page, reason: result.reason }, 'reconcile stopped: a page could not be read; nothing swept');
          return false;
        }
        const full = result.users.listed >= perPage;
        if (result.total !== null) state.total = result.total;
        await this.applyInFlight(result.users, state, session, inFlight);
        if (!full) {
          await Promise.all(inFlight);
          return true;
        }
      }
    } finally {
      // Requests past the end (or after a failed page) are left to finish; fetchPage never throws.
      await Promise.allSettled(inFlight);
    }
  }

  /** Every user from the project's database by keyset on id (SUPABASE_DB_URL); pages are applied while the next is read. */
  private async listFromDatabase(perPage: number, state: RunState, session: Sql): Promise<boolean> {
    const inFlight: Array<Promise<void>> = [];
    let after: string | null = null;
    try {
      for (let page = 1; ; page++) {
        const result: KeysetPage = await this.retrying(
          () => this.listing.page(after, perPage),
          `page after ${after ?? 'the start'}`,
          state.options,
        );
        if (result.kind === 'unavailable') {
          await Promise.all(inFlight);
          state.summary.failedPages.push(page);
          state.summary.error = `reading users after ${after ?? 'the start'} failed: ${result.reason}`;
          this.logger.error({ after, reason: result.reason }, 'reconcile stopped: users could not be read; nothing swept');
          return false;
        }
        after = result.lastId;
        await this.applyInFlight(result.users, state, session, inFlight);
        if (result.users.listed < perPage) {
          await Promise.all(inFlight);
          return true;
        }
      }
    } finally {
      await Promise.allSettled(inFlight);
    }
  }

  /** Applies a page while PAGES_IN_FLIGHT others may still be applying; waits for the oldest when that many are. */
  private async applyInFlight(users: ReadPage, state: RunState, session: Sql, inFlight: Array<Promise<void>>): Promise<void> {
    const work = this.pages.applyPage(users, state, session).then(() => {
      state.summary.pages++;
      this.progress(state, 'listing');
    });
    work.catch(() => undefined); // awaited in its turn; not an unhandled rejection meanwhile
    inFlight.push(work);
    if (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
  }

  /** `read`, retried with back-off while it answers unavailable. */
  private async retrying<T extends { kind: string }>(read: () => Promise<T>, what: string, options: ReconcileOptions): Promise<T> {
    const attempts = options.pageAttempts ?? 4;
    let delay = options.retryBackoffMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      const result = await read();
      if (result.kind !== 'unavailable' || attempt >= attempts) return result;
      this.logger.warn({ what, attempt, reason: (result as { reason?: string }).reason }, 'reading users failed; retrying');
      await sleep(delay);
      delay *= 2;
    }
  }

  /** One page, read into snapshots on arrival, so the parsed response dies young instead of waiting its turn in the heap. */
  private async fetchAndRead(page: number, perPage: number, options: ReconcileOptions): Promise<ReadResult> {
    const result = await this.fetchPage(page, perPage, options);
    return result.kind === 'ok' ? { kind: 'page', users: readPage(result.value.users), total: result.value.total } : result;
  }

  /** One page, retried with back-off. Never throws. */
  private fetchPage(page: number, perPage: number, options: ReconcileOptions) {
    return this.retrying(() => this.supabase.listUsers(page, perPage), `listUsers page ${page}`, options);
  }

  /** Local live users the listing did not show, each confirmed with getUserById first: pages shift under deletions mid-run. */
  private async sweep(runStart: Date, state: RunState, session: Sql): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const batch = await this.repository.sweepCandidates(runStart, after, SWEEP_BATCH, session);
      if (batch.length === 0) return;
      after = batch[batch.length - 1];
      await forEachConcurrently(batch, SWEEP_CONCURRENCY, (id) => this.confirmCandidate(id, state));
      state.swept += batch.length;
      this.progress(state, 'sweeping');
      if (batch.length < SWEEP_BATCH) return;
    }
  }

  private async confirmCandidate(id: string, state: RunState): Promise<void> {
    const summary = state.summary;
    const lookup = this.listing.available ? await this.listing.user(id) : await this.supabase.getUserById(id);
    if (lookup.kind !== 'ok') {
      count(summary, 'failed');
      return;
    }
    if (!lookup.value) {
      if (summary.dryRun) count(summary, 'deleted');
      else count(summary, (await this.users.deleteUser(id, { source: 'reconcile' })).deleted ? 'deleted' : 'unchanged');
      return;
    }
    await this.pages.applyRead(readPage([lookup.value]), state);
  }

  private progress(state: RunState, phase: ReconcileProgress['phase']): void {
    if (!state.options.onProgress) return;
    state.summary.durationMs = Math.round(performance.now() - state.started);
    try {
      state.options.onProgress({ phase, total: state.total, swept: state.swept, summary: { ...state.summary } });
    } catch {
      // progress display must never break a run
    }
  }
}

async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
