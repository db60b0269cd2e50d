// Bodies of the deliveries the Auth stand-in sends on every user change, in the two forms
// of docs/design.md "Supabase deliveries": a Supabase Database Webhook on auth.users (raw rows, as
// the pg_net trigger sends them) and a Standard Webhooks signed event (the user object as
// the admin API serialises it). See docs/supabase-auth.md §2 and §6.4.
import { createHash } from 'node:crypto';
import { parseMicros } from './clock.js';
import { NIL_UUID } from './http.js';
import type { StoredIdentity, StoredUser, UserChangedEvent } from './rows.js';
import { toUserJson } from './user-json.js';

export type DeliveryForm = 'database' | 'signed';
export type DatabaseEventType = 'INSERT' | 'UPDATE' | 'DELETE';
export type SignedEventType = 'user.created' | 'user.updated' | 'user.deleted';

/** A row of `auth.users` as `to_json(NEW)` renders it inside the webhook trigger (timestamps: pgTimestamp). */
export interface AuthUsersRow {
  instance_id: string;
  id: string;
  aud: string;
  role: string;
  email: string | null;
  /** Sensitive: sent by real Database Webhooks; a receiver must never store or log it. */
  encrypted_password: string | null;
  email_confirmed_at: string | null;
  invited_at: string | null;
  confirmation_token: string;
  confirmation_sent_at: string | null;
  recovery_token: string;
  recovery_sent_at: string | null;
  email_change_token_new: string;
  email_change: string;
  email_change_sent_at: string | null;
  last_sign_in_at: string | null;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  is_super_admin: boolean | null;
  created_at: string;
  updated_at: string;
  phone: string | null;
  phone_confirmed_at: string | null;
  phone_change: string;
  phone_change_token: string;
  phone_change_sent_at: string | null;
  confirmed_at: string | null;
  email_change_token_current: string;
  email_change_confirm_status: number;
  banned_until: string | null;
  reauthentication_token: string;
  reauthentication_sent_at: string | null;
  is_sso_user: boolean;
  deleted_at: string | null;
  is_anonymous: boolean;
}

export interface DatabaseWebhookBody {
  type: DatabaseEventType;
  table: 'users';
  schema: 'auth';
  record: AuthUsersRow | null;
  old_record: AuthUsersRow | null;
}

export interface SignedEventBody {
  type: SignedEventType;
  /** The admin API's user JSON; `{ id }` only after a hard delete. */
  user: Record<string, unknown>;
}

export interface DeliveryPayload {
  type: DatabaseEventType | SignedEventType;
  userId: string;
  /** The exact bytes sent (and, for the signed form, signed). */
  body: string;
}

/**
 * A timestamptz as Postgres renders it in JSON with the UTC session time zone used by
 * Supabase: `2026-11-23T11:14:02.909123+00:00`, trailing zeros of the fraction trimmed
 * (`.9091`, or no fraction at all on a whole second).
 */
export function pgTimestamp(ts: string): string;
export function pgTimestamp(ts: string | null): string | null;
export function pgTimestamp(ts: string | null): string | null {
  if (!ts) return null;
  const us = parseMicros(ts);
  if (us <= 0) return ts; // not a timestamp we can read: pass it through unchanged
  const ms = Math.floor(us / 1000);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = String(us - Math.floor(us / 1e6) * 1e6)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return base + (frac ? '.' + frac : '') + '+00:00';
}

/** GoTrue keeps token hashes as hex SHA-224 (crypto.GenerateTokenHash); these stand in where the stand-in keeps no real one (email links live in memory). */
function tokenHash(...parts: string[]): string {
  return createHash('sha224').update(parts.join('\0')).digest('hex');
}

/**
 * The full `auth.users` row, columns in table order, including the sensitive ones
 * (`encrypted_password`, token columns): a real Database Webhook sends them, and the
 * receiver must drop them.
 */
export function authUsersRow(u: StoredUser): AuthUsersRow {
  const pendingConfirmation = !!u.email && !!u.confirmation_sent_at && !u.email_confirmed_at;
  const pendingEmailChange = !!u.email_change && !!u.email_change_sent_at;
  return {
    instance_id: NIL_UUID,
    id: u.id,
    aud: u.aud,
    role: u.role,
    email: u.email,
    encrypted_password: u.encrypted_password,
    email_confirmed_at: pgTimestamp(u.email_confirmed_at),
    invited_at: pgTimestamp(u.invited_at),
    confirmation_token: u.confirmation_token ?? (pendingConfirmation ? tokenHash(u.email!, u.id, u.confirmation_sent_at!) : ''),
    confirmation_sent_at: pgTimestamp(u.confirmation_sent_at),
    recovery_token: '',
    recovery_sent_at: pgTimestamp(u.recovery_sent_at),
    email_change_token_new: pendingEmailChange ? tokenHash(u.email_change!, u.id, u.email_change_sent_at!) : '',
    email_change: u.email_change ?? '',
    email_change_sent_at: pgTimestamp(u.email_change_sent_at),
    last_sign_in_at: pgTimestamp(u.last_sign_in_at),
    raw_app_meta_data: u.raw_app_meta_data,
    raw_user_meta_data: u.raw_user_meta_data,
    is_super_admin: u.is_super_admin,
    created_at: pgTimestamp(u.created_at),
    updated_at: pgTimestamp(u.updated_at),
    phone: u.phone,
    phone_confirmed_at: pgTimestamp(u.phone_confirmed_at),
    phone_change: u.phone_change ?? '',
    phone_change_token: '',
    phone_change_sent_at: pgTimestamp(u.phone_change_sent_at),
    confirmed_at: pgTimestamp(u.confirmed_at),
    email_change_token_current: '',
    email_change_confirm_status: 0,
    banned_until: pgTimestamp(u.banned_until),
    reauthentication_token: '',
    reauthentication_sent_at: pgTimestamp(u.reauthentication_sent_at),
    is_sso_user: u.is_sso_user,
    deleted_at: pgTimestamp(u.deleted_at),
    is_anonymous: u.is_anonymous,
  };
}

function userIdOf(ev: UserChangedEvent): string {
  return (ev.user ?? ev.oldUser)!.id;
}

export function databasePayload(ev: UserChangedEvent): DeliveryPayload {
  const body: DatabaseWebhookBody = {
    type: ev.type,
    table: 'users',
    schema: 'auth',
    record: ev.type === 'DELETE' || !ev.user ? null : authUsersRow(ev.user),
    old_record: ev.type === 'INSERT' || !ev.oldUser ? null : authUsersRow(ev.oldUser),
  };
  return { type: ev.type, userId: userIdOf(ev), body: JSON.stringify(body) };
}

const SIGNED_TYPES: Record<DatabaseEventType, SignedEventType> = {
  INSERT: 'user.created',
  UPDATE: 'user.updated',
  DELETE: 'user.deleted',
};

/**
 * Signed form. A soft delete is an UPDATE of the row, so it is sent as `user.updated`
 * with `deleted_at` set (and the obfuscated email/phone GoTrue leaves behind); only a
 * hard delete is `user.deleted`, whose `user` is `{ id }`.
 */
export function signedPayload(ev: UserChangedEvent, identities: StoredIdentity[]): DeliveryPayload {
  const type = SIGNED_TYPES[ev.type];
  const userId = userIdOf(ev);
  const user = ev.type === 'DELETE' || !ev.user ? { id: userId } : toUserJson(ev.user, identities);
  const body: SignedEventBody = { type, user: user as unknown as Record<string, unknown> };
  return { type, userId, body: JSON.stringify(body) };
}
