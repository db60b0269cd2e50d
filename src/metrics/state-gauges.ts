import { Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import { Gauge } from 'prom-client';
import { AccessRegistry } from '../access/access-registry.js';
import { DatabaseService } from '../database/database.service.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { SupabaseDatabaseService } from '../supabase/supabase-database.service.js';
import { Metrics } from './metrics.js';

/**
 * Gauges read when Prometheus scrapes, not kept up to date as things happen: the database pools, the access registry's
 * sizes and the job queue by task and state (one grouped query over graphile-worker's tables per scrape).
 */
@Injectable()
export class StateGauges {
  private readonly logger = new Logger(StateGauges.name);

  constructor(
    metrics: Metrics,
    private readonly db: DatabaseService,
    private readonly supabaseDb: SupabaseDatabaseService,
    private readonly jobs: JobQueueService,
    access: AccessRegistry,
  ) {
    const registers = [metrics.registry];
    const pools = () => this.pools();
    new Gauge({
      name: 'authmirror_db_pool_connections',
      help: 'Connections of each pool (mirror: requests and intakes; jobs: the job queue; supabase: SUPABASE_DB_URL), in use or idle',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const [pool, { totalCount, idleCount }] of pools()) {
          this.set({ pool, state: 'in_use' }, totalCount - idleCount);
          this.set({ pool, state: 'idle' }, idleCount);
        }
      },
    });
    new Gauge({
      name: 'authmirror_db_pool_waiting',
      help: 'Queries waiting for a connection of each pool (the pool is too small, or the database slow)',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [pool, { waitingCount }] of pools()) this.set({ pool }, waitingCount);
      },
    });
    new Gauge({
      name: 'authmirror_access_registry_entries',
      help: 'Entries of the in-memory access registry the guard asks: deleted users, bans, revoked sessions, token cutoffs',
      labelNames: ['kind'],
      registers,
      collect() {
        const sizes = access.sizes;
        this.set({ kind: 'deleted_users' }, sizes.deleted);
        this.set({ kind: 'banned_users' }, sizes.banned);
        this.set({ kind: 'revoked_sessions' }, sizes.revokedSessions);
        this.set({ kind: 'cutoffs' }, sizes.cutoffs);
      },
    });
    const jobCounts = () => this.jobCounts();
    new Gauge({
      name: 'authmirror_jobs',
      help: 'Background jobs by task and state (queued: waiting or running; failed: retrying; dead: attempts used up), shared by all instances',
      labelNames: ['task', 'state'],
      registers,
      async collect() {
        const counts = await jobCounts();
        if (counts === null) return; // the last figures stay: better than none while the database does not answer
        this.reset();
        for (const { task, queued, failed, dead } of counts) {
          this.set({ task, state: 'queued' }, queued);
          this.set({ task, state: 'failed' }, failed);
          this.set({ task, state: 'dead' }, dead);
        }
      },
    });
  }

  private *pools(): Generator<[string, pg.Pool]> {
    yield ['mirror', this.db.pool];
    const jobs = this.jobs.connectionPool;
    if (jobs) yield ['jobs', jobs];
    const supabase = this.supabaseDb.connectionPool;
    if (supabase) yield ['supabase', supabase];
  }

  /** null when the queue cannot be read (the database is down, or no worker has made its schema yet). */
  private async jobCounts() {
    try {
      return await this.jobs.countsByTask(this.db.sql);
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'metrics: the job queue could not be counted');
      return null;
    }
  }
}
