// Who is asking, as GoTrue decides it behind the gateway: the bearer's claims, the signed-in
// user and session (or the admin role), the audience, and the password strength rule.
import type { IncomingMessage } from 'node:http';
import { parseMicros } from './clock.js';
import { DEV_KEYS } from './dev-keys.js';
import { ApiError, validationFailed } from './errors.js';
import { NIL_UUID, UUID_RE, header, parseBearer, type Ctx, type Json } from './http.js';
import { JwtError } from './jwt.js';
import type { StoredSession, StoredUser } from './rows.js';
import type { AuthState } from './state.js';

const ADMIN_ROLES = new Set(['service_role', 'supabase_admin']);

export interface AuthResult {
  user: StoredUser;
  session: StoredSession | null;
  claims: Json;
}

export function isBanned(u: StoredUser): boolean {
  return !!u.banned_until && parseMicros(u.banned_until) > Date.now() * 1000;
}

/** GoTrue's checkPasswordStrength (internal/api/password.go): signup, PUT /user, admin update; never admin create. */
export function checkPassword(s: AuthState, password: string): void {
  if (Buffer.byteLength(password) > 72) throw validationFailed('Password cannot be longer than 72 characters');
  if (password.length < s.minPasswordLength) {
    throw new ApiError(422, 'weak_password', `Password should be at least ${s.minPasswordLength} characters.`, {
      weak_password: { reasons: ['length'] },
    });
  }
}

export function requestAud(req: IncomingMessage): string {
  return header(req, 'x-jwt-aud') || 'authenticated';
}

/** Claims of the bearer as GoTrue would see them behind the gateway. */
export function bearerClaims(s: AuthState, bearer: string): Json {
  // The gateway turns new-style keys into short-lived role JWTs without a sub.
  if (bearer === DEV_KEYS.secretKey) return { role: 'service_role' };
  if (bearer === DEV_KEYS.publishableKey) return { role: 'anon' };
  try {
    return s.jwt.verify(bearer).payload;
  } catch (e) {
    if (e instanceof JwtError) {
      throw new ApiError(403, 'bad_jwt', 'invalid JWT: unable to parse or verify signature, ' + e.message);
    }
    throw e;
  }
}

export function requireAdmin(s: AuthState, ctx: Ctx): void {
  let bearer = parseBearer(ctx.req);
  if (!bearer) {
    const apikey = header(ctx.req, 'apikey');
    // The gateway mints a role JWT from an sb_ key when no Authorization is sent.
    if (apikey === DEV_KEYS.secretKey || apikey === DEV_KEYS.publishableKey) bearer = apikey;
  }
  if (!bearer) throw new ApiError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
  const claims = bearerClaims(s, bearer);
  const role = claims.role;
  if (typeof role !== 'string' || !ADMIN_ROLES.has(role)) throw new ApiError(403, 'not_admin', 'User not allowed');
}

export async function authenticate(s: AuthState, ctx: Ctx): Promise<AuthResult> {
  const bearer = parseBearer(ctx.req);
  if (!bearer) throw new ApiError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
  const claims = bearerClaims(s, bearer);
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw new ApiError(403, 'bad_jwt', 'invalid claim: missing sub claim');
  if (!UUID_RE.test(sub)) throw new ApiError(400, 'bad_jwt', 'invalid claim: sub claim must be a UUID');
  const user = await s.store.user(sub.toLowerCase());
  if (!user) throw new ApiError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
  let session: StoredSession | null = null;
  const sid = claims.session_id;
  if (typeof sid === 'string' && sid !== '' && sid !== NIL_UUID) {
    if (!UUID_RE.test(sid)) throw new ApiError(403, 'bad_jwt', 'invalid claim: session_id claim must be a UUID');
    session = (await s.store.session(sid.toLowerCase())) ?? null;
    if (!session) throw new ApiError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
  }
  if (isBanned(user)) throw new ApiError(403, 'user_banned', 'User is banned');
  return { user, session, claims };
}
