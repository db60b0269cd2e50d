import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { rateLimited } from '../common/api-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { PrismaService, prepared } from '../prisma/prisma.service.js';

const MINUTE_MS = 60_000;

export const PURGE_RATE_LIMITS_TASK = 'purge_rate_limits';

/** One subject's budget: `limit` requests a period, taken as a burst or spread out. */
export interface Limit {
  /** The limit's name and a hash of its subject: no email or address is stored in clear. */
  readonly key: string;
  /** Milliseconds one request takes from the budget (period ÷ limit). */
  readonly stepMs: number;
  readonly periodMs: number;
}

/**
 * GCRA in one statement per request, whatever the number of limits: each key's row holds the time
 * at which its budget is whole again (`tat`). A request moves it one step later unless that would
 * put it more than a period ahead, in which case it is refused and the row is left as it was.
 * Rows are locked in key order, so concurrent requests sharing keys cannot deadlock.
 */
const TAKE = prepared(
  'rate_limit_take',
  `INSERT INTO rate_limits AS r (key, tat, step_ms, period_ms, refused)
   SELECT k.key, now() + make_interval(secs => k.step_ms / 1000), k.step_ms, k.period_ms, false
   FROM unnest($1::text[], $2::float8[], $3::float8[]) AS k(key, step_ms, period_ms)
   ORDER BY k.key
   ON CONFLICT (key) DO UPDATE SET
     step_ms = EXCLUDED.step_ms, period_ms = EXCLUDED.period_ms,
     refused = greatest(r.tat, now()) + make_interval(secs => EXCLUDED.step_ms / 1000) > now() + make_interval(secs => EXCLUDED.period_ms / 1000),
     tat = CASE WHEN greatest(r.tat, now()) + make_interval(secs => EXCLUDED.step_ms / 1000) > now() + make_interval(secs => EXCLUDED.period_ms / 1000)
           THEN r.tat ELSE greatest(r.tat, now()) + make_interval(secs => EXCLUDED.step_ms / 1000) END
   RETURNING r.refused,
     ceil(extract(epoch FROM greatest(r.tat, now()) + make_interval(secs => r.step_ms / 1000) - now() - make_interval(secs => r.period_ms / 1000)))::int AS retry_after`,
);

const GIVE_BACK = prepared(
  'rate_limit_give_back',
  `UPDATE rate_limits SET tat = tat - make_interval(secs => step_ms / 1000) WHERE key = ANY($1::text[])`,
);

/**
 * Rate limits shared by every instance: the state is in Postgres, so two instances (or twenty) do
 * not multiply a limit. Services take from the limits of a request before the work it limits,
 * and give back what turned out not to count (a correct password does not count as a failure).
 * A limit set to 0 in the configuration is off.
 */
@Injectable()
export class RateLimitsService implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly jobs: JobQueueService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(PURGE_RATE_LIMITS_TASK, async () => {
      await this.prisma.sql.execute('DELETE FROM rate_limits WHERE tat < now()');
    });
    this.jobs.scheduleRecurring({ task: PURGE_RATE_LIMITS_TASK, cron: '23 * * * *' });
  }

  /**
   * Takes one request from each limit, or throws 429 `rate_limited` with Retry-After when any of
   * them is used up. A request counts against every limit that lets it through, even when another
   * one refuses it: hammering on one limit spends the others.
   */
  async take(...limits: Array<Limit | null>): Promise<void> {
    const active = distinct(limits);
    if (active.length === 0) return;
    const rows = await this.prisma.sql.query<{ refused: boolean; retry_after: number }>(TAKE, [
      active.map((limit) => limit.key),
      active.map((limit) => limit.stepMs),
      active.map((limit) => limit.periodMs),
    ]);
    const refused = rows.filter((row) => row.refused);
    if (refused.length > 0) throw rateLimited(Math.max(1, ...refused.map((row) => row.retry_after)));
  }

  /** Returns one request to each limit: a request that turned out not to count. */
  async giveBack(...limits: Array<Limit | null>): Promise<void> {
    const active = distinct(limits);
    if (active.length > 0) await this.prisma.sql.execute(GIVE_BACK, [active.map((limit) => limit.key)]);
  }

  /** Signup, sign-in and refresh calls from one address (RATE_LIMIT_AUTH_PER_IP). */
  authCallsFrom(ip: string): Limit | null {
    return perMinute('auth-ip', ip, this.config.rateLimits.authPerIpPerMinute);
  }

  /**
   * Failed sign-ins of one account from one client (RATE_LIMIT_AUTH_PER_ACCOUNT): a stranger's
   * failures for someone else's email never lock its owner out from their own client.
   */
  failedSignInsOf(account: string, ip: string): Limit | null {
    return perMinute('sign-in-failures', `${account.trim().toLowerCase()}\u0000${ip}`, this.config.rateLimits.authPerAccountPerMinute);
  }

  /** Signups for one email from one client (RATE_LIMIT_AUTH_PER_ACCOUNT). */
  signupsOf(email: string, ip: string): Limit | null {
    return perMinute('signups', `${email.trim().toLowerCase()}\u0000${ip}`, this.config.rateLimits.authPerAccountPerMinute);
  }

  /** Uses of one refresh token (RATE_LIMIT_AUTH_PER_ACCOUNT). */
  refreshesOf(refreshToken: string): Limit | null {
    return perMinute('refreshes', refreshToken, this.config.rateLimits.authPerAccountPerMinute);
  }

  /** Wrong passwords given by one signed-in user to confirm an account deletion (RATE_LIMIT_AUTH_PER_ACCOUNT). */
  failedPasswordChecksOf(userId: string): Limit | null {
    return perMinute('password-check-failures', userId, this.config.rateLimits.authPerAccountPerMinute);
  }

  /** Phone lookups by one signed-in user (RATE_LIMIT_LOOKUP_PER_USER). */
  lookupsBy(userId: string): Limit | null {
    return perMinute('lookups-user', userId, this.config.rateLimits.lookupPerUserPerMinute);
  }

  /** Phone lookups from one address, whoever is signed in (RATE_LIMIT_LOOKUP_PER_IP). */
  lookupsFrom(ip: string): Limit | null {
    return perMinute('lookups-ip', ip, this.config.rateLimits.lookupPerIpPerMinute);
  }
}

function perMinute(name: string, subject: string, limit: number): Limit | null {
  if (limit === 0) return null;
  const hash = createHash('sha256').update(subject).digest('base64url').slice(0, 22);
  return { key: `${name}:${hash}`, stepMs: MINUTE_MS / limit, periodMs: MINUTE_MS };
}

function distinct(limits: Array<Limit | null>): Limit[] {
  const byKey = new Map<string, Limit>();
  for (const limit of limits) if (limit) byKey.set(limit.key, limit);
  return [...byKey.values()];
}
