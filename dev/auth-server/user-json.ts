// Users and identities as GoTrue serialises them in its answers (reference §2).
import type { StoredIdentity, StoredUser } from './rows.js';

export interface IdentityJson {
  identity_id: string;
  id: string;
  user_id: string;
  identity_data?: Record<string, unknown>;
  provider: string;
  last_sign_in_at?: string;
  created_at: string;
  updated_at: string;
  email?: string;
}

/** The User object exactly as GoTrue serialises it (reference §2). */
export interface UserJson {
  id: string;
  aud: string;
  role: string;
  email: string;
  email_confirmed_at?: string;
  invited_at?: string;
  phone: string;
  phone_confirmed_at?: string;
  confirmation_sent_at?: string;
  confirmed_at?: string;
  recovery_sent_at?: string;
  new_email?: string;
  email_change_sent_at?: string;
  new_phone?: string;
  phone_change_sent_at?: string;
  reauthentication_sent_at?: string;
  last_sign_in_at?: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: IdentityJson[] | null;
  created_at: string;
  updated_at: string;
  banned_until?: string;
  deleted_at?: string;
  is_anonymous: boolean;
}

function identityJson(i: StoredIdentity): IdentityJson {
  const o: Record<string, unknown> = {
    identity_id: i.id,
    id: i.provider_id,
    user_id: i.user_id,
    identity_data: i.identity_data,
    provider: i.provider,
  };
  if (i.last_sign_in_at) o.last_sign_in_at = i.last_sign_in_at;
  o.created_at = i.created_at;
  o.updated_at = i.updated_at;
  const email = i.identity_data?.email;
  if (typeof email === 'string' && email !== '') o.email = email.toLowerCase();
  return o as unknown as IdentityJson;
}

export function toUserJson(u: StoredUser, identities: StoredIdentity[] | null): UserJson {
  const o: Record<string, unknown> = { id: u.id, aud: u.aud, role: u.role, email: u.email ?? '' };
  if (u.email_confirmed_at) o.email_confirmed_at = u.email_confirmed_at;
  if (u.invited_at) o.invited_at = u.invited_at;
  o.phone = u.phone ?? '';
  if (u.phone_confirmed_at) o.phone_confirmed_at = u.phone_confirmed_at;
  if (u.confirmation_sent_at) o.confirmation_sent_at = u.confirmation_sent_at;
  if (u.confirmed_at) o.confirmed_at = u.confirmed_at;
  if (u.recovery_sent_at) o.recovery_sent_at = u.recovery_sent_at;
  if (u.email_change) o.new_email = u.email_change;
  if (u.email_change_sent_at) o.email_change_sent_at = u.email_change_sent_at;
  if (u.phone_change) o.new_phone = u.phone_change;
  if (u.phone_change_sent_at) o.phone_change_sent_at = u.phone_change_sent_at;
  if (u.reauthentication_sent_at) o.reauthentication_sent_at = u.reauthentication_sent_at;
  if (u.last_sign_in_at) o.last_sign_in_at = u.last_sign_in_at;
  o.app_metadata = u.raw_app_meta_data;
  o.user_metadata = u.raw_user_meta_data;
  o.identities = identities === null ? null : identities.map(identityJson);
  o.created_at = u.created_at;
  o.updated_at = u.updated_at;
  if (u.banned_until) o.banned_until = u.banned_until;
  if (u.deleted_at) o.deleted_at = u.deleted_at;
  o.is_anonymous = u.is_anonymous;
  return o as unknown as UserJson;
}
