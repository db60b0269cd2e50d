import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { rateLimited } from '../common/errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { clientSubject } from './client-address.js';
import { RateLimitStore, type Limit } from './rate-limit.store.js';

export type { Limit } from './rate-limit.store.js';

/** What a sign-in attempt took (admitSignIn), to give back or keep once Supabase has answered (settleSignIn). */
export interface SignInAttempt {
  failures: Limit | null;
  /** This client's one try of the hour, taken because the account's failures are spent. */
  admitted: Limit | null;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The limits by subject, taken before the work and given back when it did not count (docs/security.md, "Rate limits"). */
@Injectable()
export class RateLimitsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: RateLimitStore,
  ) {}

  /**
   * Takes one request from each limit, the first (the address) alone, then the rest; 429 on a refusal. Limits after a
   * refusal are neither counted nor created, so a refused caller cannot grow the table with a new email per request.
   */
  async take(...limits: Array<Limit | null>): Promise<void> {
    const [first, ...rest] = distinct(limits);
    if (!first) return;
    for (const group of [[first], rest]) {
      const waits = await this.store.take(group);
      if (waits.length > 0) throw rateLimited(Math.max(1, ...waits));
    }
  }

  /** Returns one request to each limit: a request that turned out not to count. */
  async giveBack(...limits: Array<Limit | null>): Promise<void> {
    await this.store.giveBack(distinct(limits));
  }

  /**
   * Takes what one sign-in attempt (a password, a code) for `account` from `ip` costs, or refuses with 429: a call from the
   * address, a failure of the account from this client, and once the account's hourly failures across clients are spent,
   * this client's one try of the hour for it (taken atomically, so a burst gets one; the owner's client, which has not
   * failed, still gets its try). Settle the attempt with `settleSignIn` when Supabase has answered.
   */
  async admitSignIn(account: string, ip: string): Promise<SignInAttempt> {
    const failures = this.failedSignInsOf(account, ip);
    await this.take(this.authCallsFrom(ip), failures);
    const overall = this.failedSignInsAcross(account);
    const [accountWait] = overall ? await this.store.secondsToWait([overall]) : [];
    if (accountWait === undefined || accountWait <= 0) return { failures, admitted: null };
    const admitted = this.failedThisHour(account, ip);
    const [clientWait] = await this.store.take([admitted]);
    if (clientWait === undefined) return { failures, admitted };
    await this.giveBack(failures);
    throw rateLimited(Math.max(1, Math.min(accountWait, clientWait)));
  }

  /** A failed attempt counts against the account across clients and marks the client as failing; any other gives back. */
  async settleSignIn(attempt: SignInAttempt, account: string, ip: string, failed: boolean): Promise<void> {
    if (!failed) return this.giveBack(attempt.failures, attempt.admitted);
    const overall = this.failedSignInsAcross(account);
    if (overall) await this.store.take(attempt.admitted ? [overall] : [overall, this.failedThisHour(account, ip)]);
  }

  /** Signup, sign-in, refresh and password-check calls from one address (RATE_LIMIT_AUTH_PER_IP). */
  authCallsFrom(ip: string): Limit | null {
    return perMinute('auth-ip', clientSubject(ip), this.config.rateLimits.authPerIpPerMinute);
  }

  /** Signups for one email from one client (RATE_LIMIT_AUTH_PER_ACCOUNT). */
  signupsOf(email: string, ip: string): Limit | null {
    return perMinute('signups', accountAt(email, ip), this.config.rateLimits.authPerAccountPerMinute);
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
    return perMinute('lookups-ip', clientSubject(ip), this.config.rateLimits.lookupPerIpPerMinute);
  }

  /** One-time codes sent to one phone number (RATE_LIMIT_OTP_PER_PHONE, per hour): each is an SMS someone pays for. */
  codesTo(phone: string): Limit | null {
    return per('otp-phone', phone, this.config.rateLimits.otpPerPhonePerHour, HOUR_MS);
  }

  /** One-time codes sent from one address, to any number (RATE_LIMIT_OTP_PER_IP, per hour). */
  codesFrom(ip: string): Limit | null {
    return per('otp-ip', clientSubject(ip), this.config.rateLimits.otpPerIpPerHour, HOUR_MS);
  }

  /** Failed sign-ins of one account from one client (RATE_LIMIT_AUTH_PER_ACCOUNT), so a stranger cannot lock the owner out. */
  private failedSignInsOf(account: string, ip: string): Limit | null {
    return perMinute('sign-in-failures', accountAt(account, ip), this.config.rateLimits.authPerAccountPerMinute);
  }

  private failedSignInsAcross(account: string): Limit | null {
    return per('sign-in-failures-account', normalised(account), this.config.rateLimits.authFailuresPerAccountPerHour, HOUR_MS);
  }

  /** Spent by one failure: whether this client failed for this account within the hour. */
  private failedThisHour(account: string, ip: string): Limit {
    return per('sign-in-failed-client', accountAt(account, ip), 1, HOUR_MS)!;
  }
}

function normalised(account: string): string {
  return account.trim().toLowerCase();
}

function accountAt(account: string, ip: string): string {
  return `${normalised(account)}\u0000${clientSubject(ip)}`;
}

function perMinute(name: string, subject: string, limit: number): Limit | null {
  return per(name, subject, limit, MINUTE_MS);
}

function per(name: string, subject: string, limit: number, periodMs: number): Limit | null {
  if (limit === 0) return null;
  const hash = createHash('sha256').update(subject).digest('base64url').slice(0, 22);
  return { key: `${name}:${hash}`, stepMs: periodMs / limit, periodMs };
}

function distinct(limits: Array<Limit | null>): Limit[] {
  const byKey = new Map<string, Limit>();
  for (const limit of limits) if (limit) byKey.set(limit.key, limit);
  return [...byKey.values()];
}
