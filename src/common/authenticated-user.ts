import { isUuid } from './uuid.js';

/** The claims of a Supabase access token that the service relies on. */
export interface AccessTokenClaims {
  sub: string;
  iss?: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  role: string;
  email?: string;
  phone?: string;
  session_id?: string;
  is_anonymous?: boolean;
  aal?: string;
  /** How the session was authenticated, newest first: `{ method, timestamp }` (or plain strings from old hooks). */
  amr?: Array<{ method?: unknown; timestamp?: unknown } | string>;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

/** Who is calling: the verified token's subject and claims. */
export interface AuthenticatedUser {
  id: string;
  sessionId: string | null;
  claims: AccessTokenClaims;
}

/** The token's session (its device), or null: GoTrue writes a UUID, and anything else names no session. */
export function sessionIdOf(claims: Pick<AccessTokenClaims, 'session_id'>): string | null {
  return isUuid(claims.session_id) ? claims.session_id.toLowerCase() : null;
}

/**
 * When the token's session began, in ms: its first authentication in `amr` (a refreshed token keeps them), else its `iat`.
 * Whole seconds, as the claims have them.
 */
export function sessionStartMs(claims: Pick<AccessTokenClaims, 'amr' | 'iat'>): number {
  let first = claims.iat ?? 0;
  for (const entry of claims.amr ?? []) {
    const at = typeof entry === 'object' && typeof entry.timestamp === 'number' ? entry.timestamp : Infinity;
    if (at < first) first = at;
  }
  return first * 1000;
}
