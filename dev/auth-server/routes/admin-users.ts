// The admin user routes under /admin/ (internal/api/admin.go): the admin role first, then get,
// create, update and (soft) delete of one user; the list is in admin-list.ts.
import { randomUUID } from 'node:crypto';
import { checkPassword, requestAud, requireAdmin } from '../auth-checks.js';
import { ApiError, validationFailed } from '../errors.js';
import {
  NIL_UUID,
  UUID_RE,
  getBool,
  getObject,
  getString,
  parseGoDuration,
  readJson,
  send,
  validateEmail,
  validatePhone,
  type Ctx,
  type Handler,
  type Json,
} from '../http.js';
import { hashPassword } from '../passwords.js';
import type { StoredIdentity, StoredUser } from '../rows.js';
import type { AuthState } from '../state.js';
import type { Store } from '../store.js';
import { confirmEmail, confirmPhone, makeIdentity, mergeMetadata, obfuscateValue, upsertIdentity } from '../user-rows.js';
import { handleAdminList } from './admin-list.js';

/** Every path under /admin/, whatever its method: the admin role is checked before anything else. */
export function adminRoute(s: AuthState): Handler {
  return async (ctx) => {
    const { method, path } = ctx;
    requireAdmin(s, ctx);
    if (path === '/admin/users') {
      if (method === 'GET') return handleAdminList(s, ctx);
      if (method === 'POST') return handleAdminCreate(s, ctx);
      throw new ApiError(405, 'unknown', 'Method not allowed');
    }
    if (path.startsWith('/admin/users/')) {
      const id = path.slice('/admin/users/'.length);
      if (!id.includes('/')) {
        const user = await loadUser(s.store, decodeURIComponent(id));
        if (method === 'GET') {
          send(ctx.res, 200, s.store.userJsonString(user));
          return;
        }
        if (method === 'PUT') return handleAdminUpdate(s, ctx, user);
        if (method === 'DELETE') return handleAdminDelete(s, ctx, user);
        throw new ApiError(405, 'unknown', 'Method not allowed');
      }
    }
    throw new ApiError(404, 'not_found', 'Not Found');
  };
}

/** The user fields that `POST /admin/users` and `PUT /admin/users/{id}` both read (each validates them its own way, as GoTrue does). */
function adminUserAttributes(body: Json) {
  return {
    role: getString(body, 'role'),
    email: getString(body, 'email'),
    phone: getString(body, 'phone'),
    password: getString(body, 'password'),
    passwordHash: getString(body, 'password_hash'),
    emailConfirm: getBool(body, 'email_confirm'),
    phoneConfirm: getBool(body, 'phone_confirm'),
    userMeta: getObject(body, 'user_metadata'),
    appMeta: getObject(body, 'app_metadata'),
    banDuration: getString(body, 'ban_duration'),
  };
}

async function handleAdminCreate(s: AuthState, ctx: Ctx): Promise<void> {
  const body = await readJson(ctx);
  const idParam = getString(body, 'id');
  const audParam = getString(body, 'aud');
  const attributes = adminUserAttributes(body);
  const { password, passwordHash, emailConfirm, phoneConfirm, userMeta, appMeta, banDuration } = attributes;
  let { email, phone } = attributes;
  const role = attributes.role || 'authenticated';
  const aud = audParam || requestAud(ctx.req);

  if (!email && !phone) throw validationFailed('Cannot create a user without either an email or phone');
  if (email) {
    email = validateEmail(email);
    if (await s.store.userByEmail(aud, email)) {
      throw new ApiError(422, 'email_exists', 'A user with this email address has already been registered');
    }
  }
  if (phone) {
    phone = validatePhone(phone);
    if (await s.store.userByPhone(aud, phone)) throw new ApiError(422, 'phone_exists', 'Phone number already registered by another user');
  }
  if (password && passwordHash) throw validationFailed('Only a password or a password hash should be provided');
  if (passwordHash) {
    throw validationFailed(
      'password_hash is not supported by the local Auth stand-in (bcrypt/argon2 are not available); send password instead',
    );
  }
  // Admin create checks no password strength; bcrypt alone refuses over 72 bytes (internal/api/admin.go).
  if (password && Buffer.byteLength(password) > 72) throw validationFailed('bcrypt: password length exceeds 72 bytes');
  let id: string | undefined;
  if (idParam) {
    if (!UUID_RE.test(idParam)) throw validationFailed('ID must conform to the uuid v4 format');
    if (idParam === NIL_UUID) throw validationFailed('ID cannot be a nil uuid');
    id = idParam.toLowerCase();
  }
  let bannedMs: number | null = null;
  if (banDuration && banDuration !== 'none') {
    bannedMs = parseGoDuration(banDuration);
    if (bannedMs === null) throw validationFailed(`invalid format for ban duration: time: invalid duration "${banDuration}"`);
  }
  const hash = await hashPassword(password || randomUUID() + randomUUID());
  // GoTrue checks email and phone before its transaction and a custom id not at all: a taken id,
  // or the loser of a race for an email or phone, meets a unique index inside it, and the
  // answer is 500 (internal/api/admin.go adminUserCreate), which supabase-js reports as retryable.
  const taken =
    (email && (await s.store.userByEmail(aud, email))) ||
    (phone && (await s.store.userByPhone(aud, phone))) ||
    (id && (await s.store.user(id))) ||
    (await s.store.isHeldAnywhere(email || null, phone || null)); // another audience's: the unique index decides
  if (taken) throw new ApiError(500, 'unexpected_failure', 'Database error creating new user');
  const u = s.store.newUserRow({
    ...(id ? { id } : {}),
    aud,
    role,
    email: email || null,
    phone: phone || null,
    encrypted_password: hash,
    raw_user_meta_data: userMeta ? { ...userMeta } : {},
  });
  const identities: StoredIdentity[] = [];
  const providers: string[] = [];
  if (email) {
    identities.push(makeIdentity(u, 'email'));
    providers.push('email');
  }
  if (phone) {
    identities.push(makeIdentity(u, 'phone'));
    providers.push('phone');
  }
  u.raw_app_meta_data = { provider: providers[0], providers };
  if (appMeta) mergeMetadata(u.raw_app_meta_data, appMeta);
  if (emailConfirm) confirmEmail(u, identities, u.created_at);
  if (phoneConfirm) confirmPhone(u, identities, u.created_at);
  if (bannedMs !== null) u.banned_until = new Date(Date.now() + bannedMs).toISOString().replace('Z', '000Z');
  s.store.insertUser(u, identities);
  send(ctx.res, 200, s.store.userJsonString(s.store.users.get(u.id)!));
}

async function loadUser(store: Store, id: string): Promise<StoredUser> {
  if (!UUID_RE.test(id)) throw new ApiError(404, 'validation_failed', 'user_id must be an UUID');
  const u = await store.user(id.toLowerCase());
  if (!u) throw new ApiError(404, 'user_not_found', 'User not found');
  return u;
}

async function handleAdminUpdate(s: AuthState, ctx: Ctx, user: StoredUser): Promise<void> {
  const body = await readJson(ctx);
  const attributes = adminUserAttributes(body);
  const { role, password, passwordHash, emailConfirm, phoneConfirm, userMeta, appMeta, banDuration } = attributes;
  let { email, phone } = attributes;
  if (email) {
    email = validateEmail(email);
    const dup = await s.store.userByEmail(user.aud, email);
    if (dup && dup.id !== user.id) {
      throw new ApiError(422, 'email_exists', 'A user with this email address has already been registered');
    }
  }
  if (phone) {
    phone = validatePhone(phone);
    const dup = await s.store.userByPhone(user.aud, phone);
    if (dup && dup.id !== user.id) throw new ApiError(422, 'phone_exists', 'Phone number already registered by another user');
  }
  if (password && passwordHash) throw validationFailed('Only a password or a password hash should be provided');
  if (passwordHash) throw validationFailed('password_hash is not supported by the local Auth stand-in; send password instead');
  if (password) checkPassword(s, password);
  let banned: string | null | undefined;
  if (banDuration) {
    if (banDuration === 'none') banned = null;
    else {
      const ms = parseGoDuration(banDuration);
      if (ms === null) throw validationFailed(`invalid format for ban duration: time: invalid duration "${banDuration}"`);
      banned = new Date(Date.now() + ms).toISOString().replace('Z', '000Z');
    }
  }
  const hash = password ? await hashPassword(password) : null;
  if (s.store.users.get(user.id) !== user) throw new ApiError(404, 'user_not_found', 'User not found');
  const changes = role || email || phone || hash || emailConfirm || phoneConfirm || userMeta || appMeta || banned !== undefined;
  if (changes) {
    // A new password ends every session of the user: UpdatePassword(tx, nil) → Logout (internal/api/admin.go, models/user.go).
    if (hash) s.store.sessions.deleteSessionsOf(user.id);
    s.store.updateUser(user, (u) => {
      const now = s.store.clock.now();
      const identities = s.store.identities.get(u.id) ?? [];
      if (role) u.role = role;
      if (email && email !== u.email) {
        u.email = email;
        upsertIdentity(s.store, u, 'email');
      }
      if (phone && phone !== u.phone) {
        u.phone = phone;
        upsertIdentity(s.store, u, 'phone');
      }
      if (hash) u.encrypted_password = hash;
      if (appMeta) mergeMetadata(u.raw_app_meta_data, appMeta);
      if (userMeta) mergeMetadata(u.raw_user_meta_data, userMeta);
      // email_confirm:false does nothing, exactly like GoTrue.
      if (emailConfirm) confirmEmail(u, s.store.identities.get(u.id) ?? identities, now);
      if (phoneConfirm) confirmPhone(u, s.store.identities.get(u.id) ?? identities, now);
      if (banned !== undefined) u.banned_until = banned;
    });
  }
  send(ctx.res, 200, s.store.userJsonString(user));
}

async function handleAdminDelete(s: AuthState, ctx: Ctx, user: StoredUser): Promise<void> {
  const body = await readJson(ctx, true);
  const soft = getBool(body, 'should_soft_delete');
  if (s.store.users.get(user.id) === user) {
    if (!soft) s.store.deleteUser(user);
    else if (!user.deleted_at) {
      s.store.sessions.deleteSessionsOf(user.id);
      s.store.updateUser(
        user,
        (u) => {
          // GoTrue's SoftDeleteUser: obfuscate (even empty values), clear secrets, empty metadata.
          u.email = obfuscateValue(u.id, u.email ?? '');
          u.phone = obfuscateValue(u.id, u.phone ?? '').slice(0, 15);
          u.email_change = obfuscateValue(u.id, u.email_change ?? '');
          u.phone_change = obfuscateValue(u.id, u.phone_change ?? '').slice(0, 15);
          u.encrypted_password = null;
          u.confirmation_token = '';
          u.deleted_at = s.store.clock.now();
          u.raw_user_meta_data = {};
          u.raw_app_meta_data = {};
          for (const i of s.store.identities.get(u.id) ?? []) {
            i.provider_id = obfuscateValue(u.id, i.provider_id);
            i.identity_data = {};
            i.updated_at = u.deleted_at;
          }
        },
        'soft_delete',
      );
    }
  }
  send(ctx.res, 200, '{}');
}
