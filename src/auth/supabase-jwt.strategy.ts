import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { sessionIdOf, type AccessTokenClaims, type AuthenticatedUser } from '../common/authenticated-user.js';
import { ASYMMETRIC_ALGORITHMS, SigningKeysService } from './signing-keys.service.js';
import { isUuid } from '../common/uuid.js';

export const SUPABASE_JWT = 'supabase-jwt';

interface JwtHeader {
  alg?: unknown;
  kid?: unknown;
}

function decodeHeader(token: string): JwtHeader | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null ? header : null;
  } catch {
    return null;
  }
}

function asKey(key: KeyObject): string {
  return key as unknown as string;
}

/** Verifies Supabase user access tokens locally; the anon and service-role keys fail its checks (docs/design.md, "Tokens"). */
@Injectable()
export class SupabaseJwtStrategy extends PassportStrategy(Strategy, SUPABASE_JWT) {
  constructor(@Inject(APP_CONFIG) config: AppConfig, keys: SigningKeysService) {
    const algorithms = [...ASYMMETRIC_ALGORITHMS, ...(keys.legacySecret ? ['HS256' as const] : [])];
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms,
      audience: 'authenticated',
      issuer: config.supabase.jwtIssuer,
      ignoreExpiration: false,
      // jsonwebtoken accepts KeyObjects; passport-jwt's typings only name strings and Buffers.
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (error: unknown, key?: string) => void) => {
        const header = decodeHeader(rawToken);
        const alg = header?.alg;
        if (alg === 'HS256' && keys.legacySecret) return done(null, asKey(keys.legacySecret));
        if (typeof alg !== 'string' || typeof header?.kid !== 'string') return done(new Error('unknown signing key'));
        keys.keyFor(header.kid, alg).then(
          (key) => (key ? done(null, asKey(key)) : done(new Error('unknown signing key'))),
          (error: unknown) => done(error),
        );
      },
    });
  }

  validate(claims: AccessTokenClaims): AuthenticatedUser | false {
    if (claims.role !== 'authenticated') return false;
    if (!isUuid(claims.sub)) return false;
    if (typeof claims.exp !== 'number') return false;
    return {
      id: claims.sub.toLowerCase(),
      sessionId: sessionIdOf(claims),
      claims,
    };
  }
}
