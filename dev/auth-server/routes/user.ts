// The signed-in user's own routes: GET and PUT /user (internal/api/user.go), POST /logout.
import { authenticate, checkPassword } from '../auth-checks.js';
import { ApiError, CORS_HEADERS, validationFailed } from '../errors.js';
import { getObject, getString, header, queryParams, readJson, send, validateEmail, validatePhone, type Ctx, type Routes } from '../http.js';
import { hashPassword } from '../passwords.js';
import type { AuthState } from '../state.js';
import { mergeMetadata, upsertIdentity } from '../user-rows.js';

export function userRoutes(s: AuthState): Routes {
  return {
    '/user': { GET: (ctx) => handleGetUser(s, ctx), PUT: (ctx) => handlePutUser(s, ctx) },
    '/logout': { POST: (ctx) => handleLogout(s, ctx) },
  };
}

async function handleGetUser(s: AuthState, ctx: Ctx): Promise<void> {
  const { user, claims } = await authenticate(s, ctx);
  const aud = header(ctx.req, 'x-jwt-aud');
  if (aud) {
    const tokAud = claims.aud;
    const ok = Array.isArray(tokAud) ? tokAud.includes(aud) : tokAud === aud;
    if (!ok) throw validationFailed("Token audience doesn't match request audience");
  }
  send(ctx.res, 200, s.store.userJsonString(user));
}

async function handlePutUser(s: AuthState, ctx: Ctx): Promise<void> {
  const { user } = await authenticate(s, ctx);
  s.limits.user.take(ctx.req);
  const body = await readJson(ctx);
  const email = getString(body, 'email');
  const phone = getString(body, 'phone');
  const password = getString(body, 'password');
  const data = getObject(body, 'data');
  const appData = getObject(body, 'app_metadata');
  getString(body, 'nonce');
  getString(body, 'channel');
  if (appData && !(user.role === 'admin' && user.aud === 'authenticated')) {
    throw new ApiError(403, 'not_admin', 'Updating app_metadata requires admin privileges');
  }
  let newEmail: string | null = null;
  let newPhone: string | null = null;
  if (email) {
    newEmail = validateEmail(email);
    const dup = await s.store.userByEmail(user.aud, newEmail);
    if (dup && dup.id !== user.id) {
      throw new ApiError(422, 'email_exists', 'A user with this email address has already been registered');
    }
    if (newEmail === user.email) newEmail = null;
  }
  if (phone) {
    newPhone = validatePhone(phone);
    const dup = await s.store.userByPhone(user.aud, newPhone);
    if (dup && dup.id !== user.id) {
      throw new ApiError(422, 'phone_exists', 'A user with this phone number has already been registered');
    }
    if (newPhone === user.phone) newPhone = null;
  }
  let hash: string | null = null;
  if (password) {
    checkPassword(s, password);
    hash = await hashPassword(password);
  }
  if (s.store.users.get(user.id) !== user) throw new ApiError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
  if (data || appData || newEmail || newPhone || hash) {
    s.store.updateUser(user, (u) => {
      const now = s.store.clock.now();
      if (data) mergeMetadata(u.raw_user_meta_data, data);
      if (appData) mergeMetadata(u.raw_app_meta_data, appData);
      if (hash) u.encrypted_password = hash;
      if (newEmail) {
        if (s.autoconfirm) {
          u.email = newEmail;
          upsertIdentity(s.store, u, 'email');
        } else {
          u.email_change = newEmail;
          u.email_change_sent_at = now;
        }
      }
      if (newPhone) {
        if (s.smsAutoconfirm) {
          u.phone = newPhone;
          upsertIdentity(s.store, u, 'phone');
        } else {
          u.phone_change = newPhone;
          u.phone_change_sent_at = now;
        }
      }
    });
  }
  send(ctx.res, 200, s.store.userJsonString(user));
}

async function handleLogout(s: AuthState, ctx: Ctx): Promise<void> {
  const { user, session } = await authenticate(s, ctx);
  const scope = queryParams(ctx.rawQuery).get('scope') ?? '';
  if (!['', 'global', 'local', 'others'].includes(scope)) throw validationFailed(`Unsupported logout scope "${scope}"`);
  // Deleting the sessions waits for a refresh holding one of their tokens (GoTrue's row lock).
  await s.store.lockUser(user.id);
  // A token without a session logs out every session, whatever the scope (internal/api/logout.go).
  if (session && scope === 'local') s.store.sessions.deleteSession(session.id);
  else if (session && scope === 'others') s.store.sessions.deleteSessionsOf(user.id, session.id);
  else s.store.sessions.deleteSessionsOf(user.id);
  ctx.res.writeHead(204, CORS_HEADERS);
  ctx.res.end();
}
