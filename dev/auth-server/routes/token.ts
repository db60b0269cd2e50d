// POST /token: the password and refresh_token grants (internal/api/token.go, token_refresh.go).
import { isBanned, requestAud } from '../auth-checks.js';
import { sessionClient, signIn, tokenResponse } from '../access-tokens.js';
import { parseMicros } from '../clock.js';
import { ApiError, validationFailed } from '../errors.js';
import { getString, queryParams, readJson, send, type Ctx, type Routes } from '../http.js';
import { verifyPassword } from '../passwords.js';
import type { StoredUser } from '../rows.js';
import type { SessionClient } from '../sessions.js';
import type { AuthState } from '../state.js';

export function tokenRoutes(s: AuthState): Routes {
  return { '/token': { POST: (ctx) => handleToken(s, ctx) } };
}

async function handleToken(s: AuthState, ctx: Ctx): Promise<void> {
  const grant = queryParams(ctx.rawQuery).get('grant_type') ?? '';
  if (grant !== 'password' && grant !== 'refresh_token') throw new ApiError(400, 'invalid_credentials', 'unsupported_grant_type');
  s.limits.token.take(ctx.req);
  const body = await readJson(ctx);
  if (grant === 'password') {
    const email = getString(body, 'email');
    const phone = getString(body, 'phone');
    const password = getString(body, 'password');
    if (email && phone) throw validationFailed('Only an email address or phone number should be provided on login.');
    const aud = requestAud(ctx.req);
    let user: StoredUser | undefined;
    let provider: 'email' | 'phone';
    if (email) {
      provider = 'email';
      user = await s.store.userByEmail(aud, email.toLowerCase());
    } else if (phone) {
      provider = 'phone';
      user = await s.store.userByPhone(aud, phone.replace(/^\+/, '').replaceAll(' ', ''));
    } else {
      throw validationFailed('missing email or phone');
    }
    const invalid = new ApiError(400, 'invalid_credentials', 'Invalid login credentials');
    if (!user || user.is_sso_user || !user.encrypted_password) throw invalid;
    // The ban is checked before the password (internal/api/token.go ResourceOwnerPasswordGrant).
    if (isBanned(user)) throw new ApiError(400, 'user_banned', 'User is banned');
    if (!(await verifyPassword(password, user.encrypted_password))) throw invalid;
    // The user may have been deleted while scrypt ran.
    if (s.store.users.get(user.id) !== user) throw invalid;
    if (provider === 'email' && !user.email_confirmed_at) throw new ApiError(400, 'email_not_confirmed', 'Email not confirmed');
    if (provider === 'phone' && !user.phone_confirmed_at) throw new ApiError(400, 'phone_not_confirmed', 'Phone not confirmed');
    send(ctx.res, 200, signIn(s, user, 'password', ctx.req));
    return;
  }
  if (grant === 'refresh_token') {
    send(ctx.res, 200, await refreshGrant(s, getString(body, 'refresh_token'), sessionClient(s, ctx.req)));
    return;
  }
  throw new ApiError(400, 'invalid_credentials', 'unsupported_grant_type');
}

/**
 * The refresh_token grant as GoTrue runs it (internal/api/token_refresh.go, internal/tokens/service.go
 * RefreshTokenGrant). A revoked token that is the parent of the session's active one is answered
 * with that active token (the client lost the answer of its refresh: supabase-js retries after
 * timeouts); an older revoked one is still accepted within the reuse interval of its revocation,
 * and beyond it revokes the whole session's family. A refresh writes the user's last sign-in.
 */
async function refreshGrant(s: AuthState, token: string, client: SessionClient): Promise<string> {
  // Only v1 tokens (12 of [a-z0-9]) are issued here; GoTrue refuses anything it cannot parse first.
  if (!/^[a-z0-9]{12}$/.test(token)) throw validationFailed('Refresh token is not valid');
  const notFound = new ApiError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
  const found = await s.store.refreshToken(token);
  if (!found) throw notFound;
  // GoTrue reads the token again FOR UPDATE in its transaction: a concurrent refresh, logout or
  // deletion of the user goes first or waits, and what it wrote is what is read here.
  await s.store.lockUser(found.user_id);
  const rt = await s.store.refreshToken(token);
  if (!rt) throw notFound;
  const user = await s.store.user(rt.user_id);
  const session = s.store.sessions.get(rt.session_id);
  if (!user) throw new ApiError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
  if (isBanned(user)) throw new ApiError(400, 'user_banned', 'Invalid Refresh Token: User Banned');
  if (!session) throw new ApiError(400, 'session_not_found', 'Invalid Refresh Token: No Valid Session Found');
  if (rt.revoked) {
    const active = s.store.sessions.activeTokenOf(session.id);
    if (active && active.parent === rt.token) {
      s.store.sessions.refreshed(session, client);
      return tokenResponse(s, user, session, active.token);
    }
    if (Date.now() > parseMicros(rt.updated_at ?? rt.created_at) / 1000 + s.reuseIntervalMs) {
      s.store.sessions.revokeTokenFamily(session.id);
      throw new ApiError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
    }
  }
  s.store.sessions.revokeToken(rt);
  s.store.sessions.refreshed(session, client);
  const next = s.store.sessions.issueRefreshToken(session, rt.token);
  // GrantRefreshTokenSwap → createRefreshToken → user.UpdateLastSignInAt (internal/models/refresh_token.go).
  s.store.updateUser(user, (u) => {
    u.last_sign_in_at = s.store.clock.now();
  });
  return tokenResponse(s, user, session, next.token);
}
