// User rows as GoTrue makes and changes them for several routes: a new row, identities,
// confirmation, metadata merges and a soft delete's obfuscation.
import { createHash, randomUUID } from 'node:crypto';
import { parseMicros } from './clock.js';
import type { Json } from './http.js';
import type { StoredIdentity, StoredUser } from './rows.js';
import type { Store } from './store.js';

export function makeIdentity(user: StoredUser, provider: 'email' | 'phone', extra?: Json): StoredIdentity {
  const data: Json = { sub: user.id };
  if (provider === 'email') data.email = user.email ?? '';
  else data.phone = user.phone ?? '';
  data.email_verified = false;
  data.phone_verified = false;
  if (extra) for (const [k, v] of Object.entries(extra)) if (!(k in data)) data[k] = v;
  return {
    id: randomUUID(),
    provider_id: user.id,
    user_id: user.id,
    identity_data: data,
    provider,
    last_sign_in_at: null,
    created_at: user.created_at,
    updated_at: user.created_at,
  };
}

/** A new auth.users row with GoTrue's defaults, created and updated `now`. */
export function newUserRow(now: string, fields: Partial<StoredUser> & { id?: string }): StoredUser {
  const u: StoredUser = {
    id: randomUUID(),
    aud: 'authenticated',
    role: 'authenticated',
    email: null,
    encrypted_password: null,
    email_confirmed_at: null,
    invited_at: null,
    confirmation_sent_at: null,
    recovery_sent_at: null,
    email_change: null,
    email_change_sent_at: null,
    last_sign_in_at: null,
    raw_app_meta_data: {},
    raw_user_meta_data: {},
    is_super_admin: null,
    created_at: now,
    updated_at: now,
    phone: null,
    phone_confirmed_at: null,
    phone_change: null,
    phone_change_sent_at: null,
    confirmed_at: null,
    reauthentication_sent_at: null,
    banned_until: null,
    deleted_at: null,
    is_sso_user: false,
    is_anonymous: false,
    ...fields,
  };
  u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
  return u;
}

/** The generated confirmed_at: LEAST(email_confirmed_at, phone_confirmed_at). */
export function leastTs(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return parseMicros(a) <= parseMicros(b) ? a : b;
}

/** GoTrue's User.Confirm: email_confirmed_at + email_verified in metadata and identity; the confirmation token cleared. */
export function confirmEmail(u: StoredUser, identities: StoredIdentity[], now: string): void {
  u.email_confirmed_at = now;
  u.confirmation_token = '';
  u.raw_user_meta_data.email_verified = true;
  for (const i of identities) if (i.provider === 'email') i.identity_data.email_verified = true;
}

/** A phone confirmed by an admin or at signup (User.ConfirmPhone, which clears the shared confirmation token). */
export function confirmPhone(u: StoredUser, identities: StoredIdentity[], now: string): void {
  u.phone_confirmed_at = now;
  u.confirmation_token = '';
  for (const i of identities) if (i.provider === 'phone') i.identity_data.phone_verified = true;
}

/** Create or refresh the email/phone identity after the user's email/phone changed. */
export function upsertIdentity(store: Store, u: StoredUser, provider: 'email' | 'phone'): void {
  let list = store.identities.get(u.id);
  if (!list) store.identities.set(u.id, (list = []));
  const now = store.clock.now();
  const existing = list.find((i) => i.provider === provider);
  if (existing) {
    if (provider === 'email') existing.identity_data.email = u.email ?? '';
    else existing.identity_data.phone = u.phone ?? '';
    existing.updated_at = now;
  } else {
    const ident = makeIdentity(u, provider);
    ident.created_at = now;
    ident.updated_at = now;
    list.push(ident);
    const providers = Array.isArray(u.raw_app_meta_data.providers) ? [...(u.raw_app_meta_data.providers as unknown[])] : [];
    if (!providers.includes(provider)) providers.push(provider);
    u.raw_app_meta_data.providers = providers;
    if (!u.raw_app_meta_data.provider) u.raw_app_meta_data.provider = provider;
  }
}

/** Shallow merge; a key set to null is deleted (GoTrue's UpdateUserMetaData/UpdateAppMetaData). */
export function mergeMetadata(target: Record<string, unknown>, updates: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(updates)) {
    if (v === null) delete target[k];
    else target[k] = v;
  }
}

/** SHA-256 based obfuscation exactly like GoTrue's soft delete (`obfuscateValue`). */
export function obfuscateValue(id: string, value: string): string {
  return createHash('sha256')
    .update(id + value)
    .digest('base64url');
}
