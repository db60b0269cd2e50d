import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { APP_CONFIG } from '../config/config.module.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import type { AppConfig } from '../config/config.js';

/** Algorithms this service accepts on user access tokens. */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'] as const;

interface CachedKey {
  alg: string;
  key: KeyObject;
}

const REFRESH_INTERVAL_MS = 10 * 60_000;
/** A token with an unknown `kid` may trigger a JWKS fetch at most this often. */
const UNKNOWN_KID_REFETCH_MS = 30_000;

/** The JWKS (by `kid`, refetched at most every 30 s for an unknown one) and the legacy HS256 secret; known keys need no network. */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys = new Map<string, CachedKey>();
  private readonly hsSecret: KeyObject | null;
  private lastFetchAt = 0;
  private inflight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verified: VerifiedTokenCache,
  ) {
    const secret = config.supabase.jwtSecret;
    this.hsSecret = secret ? createSecretKey(Buffer.from(secret, 'utf8')) : null;
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The HS256 secret, when the project still uses the legacy secret. */
  get legacySecret(): KeyObject | null {
    return this.hsSecret;
  }

  /** The verification key for an asymmetric token, or null when there is none for this kid and alg. */
  async keyFor(kid: string, alg: string): Promise<KeyObject | null> {
    let found = this.keys.get(kid);
    if (!found && Date.now() - this.lastFetchAt >= UNKNOWN_KID_REFETCH_MS) {
      await this.refresh();
      found = this.keys.get(kid);
    }
    return found && found.alg === alg ? found.key : null;
  }

  /** Fetches the JWKS once (concurrent callers share the same fetch). */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastFetchAt = Date.now();
    try {
      const response = await fetch(this.config.supabase.jwksUrl, {
        headers: { apikey: this.config.supabase.anonKey },
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
      const body = (await response.json()) as { keys?: unknown };
      const keys = parseJwks(body.keys);
      // A key that left the set must stop vouching for the tokens it signed.
      if ([...this.keys.keys()].some((kid) => !keys.has(kid))) this.verified.clear();
      this.keys = keys;
      this.logger.log({ kids: [...this.keys.keys()] }, 'signing keys loaded');
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'could not load the signing keys (JWKS); keeping the cached ones');
    }
  }
}

function parseJwks(keys: unknown): Map<string, CachedKey> {
  const parsed = new Map<string, CachedKey>();
  if (!Array.isArray(keys)) return parsed;
  for (const jwk of keys as Array<JsonWebKey & { kid?: string; alg?: string }>) {
    const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'RSA' ? 'RS256' : undefined);
    if (!jwk.kid || !alg || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) continue;
    try {
      parsed.set(jwk.kid, { alg, key: createPublicKey({ key: jwk, format: 'jwk' }) });
    } catch {
      // A malformed key in the set is skipped; the others still work.
    }
  }
  return parsed;
}
