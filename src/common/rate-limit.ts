import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { AppConfig } from '../config/config.js';
import { ApiError } from './api-error.js';

const MINUTE = 60_000;

/** A limit of 0 switches a limiter off (benchmarks, trusted networks). */
function perMinute(limit: number): number {
  return limit === 0 ? Number.MAX_SAFE_INTEGER : limit;
}

function accountOf(request: { body?: unknown }): string {
  const body = (request.body ?? {}) as { email?: unknown; refreshToken?: unknown };
  if (typeof body.email === 'string') return `email:${body.email.trim().toLowerCase()}`;
  if (typeof body.refreshToken === 'string') return `refresh:${createHash('sha256').update(body.refreshToken).digest('hex')}`;
  return 'account:none';
}

/**
 * The limiters: `ip` and `account` (the email, or the refresh token's hash) for signup, login and
 * refresh; `user` (the signed-in caller) for lookups. Routes opt in with @UseGuards(RateLimitGuard)
 * and @SkipThrottle the limiters that do not apply to them.
 */
export function rateLimitOptions(config: AppConfig): ThrottlerModuleOptions {
  // One budget per limiter and tracker across every route that uses it (the default key is per route).
  const generateKey = (_context: unknown, tracker: string, name: string) => `${name}:${tracker}`;
  return [
    { name: 'ip', ttl: MINUTE, limit: perMinute(config.rateLimits.authPerIpPerMinute), getTracker: (request) => String(request.ip), generateKey },
    { name: 'account', ttl: MINUTE, limit: perMinute(config.rateLimits.authPerAccountPerMinute), getTracker: (request) => accountOf(request), generateKey },
    {
      name: 'user',
      ttl: MINUTE,
      limit: perMinute(config.rateLimits.lookupPerUserPerMinute),
      getTracker: (request) => String((request.user as { id?: string } | undefined)?.id ?? request.ip),
      generateKey,
    },
  ];
}

/** The throttler guard, answering 429 `rate_limited` in the one error shape with `Retry-After`. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const reply = context.switchToHttp().getResponse<{ header(name: string, value: string): unknown }>();
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    reply.header('retry-after', String(seconds));
    throw new ApiError(429, 'rate_limited', `Too many requests; try again in ${seconds} s`);
  }
}
