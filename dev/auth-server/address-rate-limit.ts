// GoTrue's per-address limits (supabase/auth internal/api/apilimiter/apilimiter.go): a token bucket
// per client address, `perFiveMinutes` requests per 5 minutes with bursts of 30, one set of buckets
// per limited route (tollbooth.NewLimiter(rate/(60*5)).SetBurst(30); internal/api/api.go applies
// them with limitHandler, internal/api/token.go before the grant). The address is the leftmost
// Sb-Forwarded-For value when GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED is on and it parses as an
// IP (internal/sbff/sbff.go), otherwise the connecting address, as hosted Supabase's gateway passes it.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ApiError } from './errors.js';

const BURST = 30;
const MAX_BUCKETS = 100_000;

export interface AddressRateLimitOptions {
  /** Requests per 5 minutes per address (GOTRUE_RATE_LIMIT_TOKEN_REFRESH, _VERIFY, _OTP); 0 = no limit. */
  perFiveMinutes: number;
  /** GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED (default false, as in GoTrue). */
  sbForwardedFor: boolean;
}

export class AddressRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(private readonly options: AddressRateLimitOptions) {
    this.perMs = options.perFiveMinutes / (5 * 60_000);
  }

  /** Throws GoTrue's 429 `over_request_rate_limit` when the address's bucket is empty. */
  take(req: IncomingMessage): void {
    if (this.options.perFiveMinutes <= 0) return;
    const key = this.addressOf(req);
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: BURST, at: now };
    bucket.tokens = Math.min(BURST, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens < 1) throw new ApiError(429, 'over_request_rate_limit', 'Request rate limit reached');
    bucket.tokens -= 1;
  }

  private addressOf(req: IncomingMessage): string {
    return sbForwardedAddress(req, this.options.sbForwardedFor) ?? req.socket.remoteAddress ?? 'unknown';
  }
}

function sbForwardedAddress(req: IncomingMessage, enabled: boolean): string | null {
  if (!enabled) return null;
  const raw = req.headers['sb-forwarded-for'];
  const first = (Array.isArray(raw) ? raw[0] : raw)?.split(',', 1)[0]?.trim();
  return first && isIP(first) ? first : null;
}

/**
 * The address a new session records (internal/utilities/request.go GetIPAddress): Sb-Forwarded-For
 * when enabled, else the first X-Forwarded-For value that parses as an IP, else the connection's.
 */
export function clientAddress(req: IncomingMessage, sbForwardedFor: boolean): string | null {
  const forwarded = req.headers['x-forwarded-for'];
  const xff = (Array.isArray(forwarded) ? forwarded[0] : forwarded)
    ?.split(',')
    .map((ip) => ip.trim())
    .find((ip) => isIP(ip));
  return sbForwardedAddress(req, sbForwardedFor) ?? xff ?? req.socket.remoteAddress ?? null;
}
