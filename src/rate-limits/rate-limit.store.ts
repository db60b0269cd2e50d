import { Injectable, type OnModuleInit } from '@nestjs/common';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { DatabaseService } from '../database/database.service.js';
import { prepared } from '../database/sql.js';

export const PURGE_RATE_LIMITS_TASK = 'purge_rate_limits';

/** One subject's budget: `periodMs ÷ stepMs` requests a period, taken as a burst or spread out. */
export interface Limit {
  /** The limit's name and a hash of its subject: no email or address is stored in clear. */
  readonly key: string;
  /** Milliseconds one request takes from the budget (period ÷ limit). */
  readonly stepMs: number;
  readonly periodMs: number;
}

/**
 * GCRA in one statement for any number of limits (docs/security.md, "Rate limits"). A refused key fails the conflict WHERE,
 * so it gets no new row version and is missing from the answer; concurrent first uses meet on the unique index; rows are
 * taken in key order, so requests sharing keys cannot deadlock.
 */
const TAKE = prepared(
  'rate_limit_take',
  `INSERT INTO rate_limits AS r (key, tat, step_ms, period_ms)
   SELECT k.key, now() + make_interval(secs => k.step_ms / 1000), k.step_ms, k.period_ms
   FROM unnest($1::text[], $2::float8[], $3::float8[]) AS k(key, step_ms, period_ms)
   ORDER BY k.key
   ON CONFLICT (key) DO UPDATE SET
     tat = greatest(r.tat, now()) + make_interval(secs => EXCLUDED.step_ms / 1000),
     step_ms = EXCLUDED.step_ms, period_ms = EXCLUDED.period_ms
   WHERE greatest(r.tat, now()) + make_interval(secs => EXCLUDED.step_ms / 1000) <= now() + make_interval(secs => EXCLUDED.period_ms / 1000)
   RETURNING r.key`,
);

/** Seconds until each of these keys could take one more request (0 or less: it can now). */
const WAIT = prepared(
  'rate_limit_wait',
  `SELECT key, ceil(extract(epoch FROM greatest(tat, now()) + make_interval(secs => step_ms / 1000)
     - now() - make_interval(secs => period_ms / 1000)))::int AS seconds
   FROM rate_limits WHERE key = ANY($1::text[])`,
);

const GIVE_BACK = prepared(
  'rate_limit_give_back',
  `UPDATE rate_limits SET tat = tat - make_interval(secs => step_ms / 1000) WHERE key = ANY($1::text[])`,
);

/** Rows whose budget is whole again say nothing: purged in batches, so no statement holds many locks. */
const PURGE = `DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE tat < now() LIMIT 10000)`;

/** The rate-limit rows in Postgres: shared by every instance, so instances do not multiply a limit. */
@Injectable()
export class RateLimitStore implements OnModuleInit {
  constructor(
    private readonly db: DatabaseService,
    private readonly jobs: JobQueueService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(PURGE_RATE_LIMITS_TASK, async () => {
      while ((await this.db.sql.execute(PURGE)) > 0);
    });
    this.jobs.scheduleRecurring({ task: PURGE_RATE_LIMITS_TASK, cron: '23 * * * *' });
  }

  /** Takes one request from each limit that has room; answers the seconds to wait for the others (empty: none refused). */
  async take(limits: readonly Limit[]): Promise<number[]> {
    if (limits.length === 0) return [];
    const taken = await this.db.sql.query<{ key: string }>(TAKE, [
      limits.map((limit) => limit.key),
      limits.map((limit) => limit.stepMs),
      limits.map((limit) => limit.periodMs),
    ]);
    if (taken.length === limits.length) return [];
    const takenKeys = new Set(taken.map((row) => row.key));
    return this.secondsToWait(limits.filter((limit) => !takenKeys.has(limit.key)));
  }

  /** Seconds until each limit could take one more request; a limit with no row (whole) is left out. */
  async secondsToWait(limits: readonly Limit[]): Promise<number[]> {
    if (limits.length === 0) return [];
    const rows = await this.db.sql.query<{ seconds: number }>(WAIT, [limits.map((limit) => limit.key)]);
    return rows.map((row) => row.seconds);
  }

  async giveBack(limits: readonly Limit[]): Promise<void> {
    if (limits.length > 0) await this.db.sql.execute(GIVE_BACK, [limits.map((limit) => limit.key)]);
  }
}
