import type { SupabaseUser } from '../supabase/supabase-user.js';
import { isStorableString, MAX_JSON_DEPTH, unstorableTextAt } from '../common/storable-text.js';
import { toStoredPhone } from './phone-number.js';
import { isUuid } from '../common/uuid.js';
import { isTimestamp } from '../common/rfc3339.js';

/**
 * A Supabase user normalised for the mirror. Timestamps stay RFC 3339 strings so that Supabase's microseconds survive
 * into the version comparison (a JS Date would cut them to milliseconds).
 */
export interface UserSnapshot {
  id: string;
  email: string | null;
  phone: string | null;
  emailConfirmedAt: string | null;
  phoneConfirmedAt: string | null;
  lastSignInAt: string | null;
  bannedUntil: string | null;
  role: string | null;
  isAnonymous: boolean;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  createdAt: string | null;
  /** Supabase's `updated_at`: the version of this snapshot. Null only for token-derived rows. */
  updatedAt: string | null;
  deletedAt: string | null;
}

export class InvalidSnapshotError extends Error {
  override name = 'InvalidSnapshotError';
}

/** RFC 5321's longest address; the email index could not hold much longer text (a B-tree entry is at most ~2,700 bytes). */
export const MAX_EMAIL_LENGTH = 254;

/** Lower-cased email, or null for none. */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  return email === '' ? null : email;
}

/** E.164 with its `+` (Supabase stores bare digits), or null; every mirror write and the phone lookup read phones alike. */
export function normalizePhone(raw: unknown): string | null {
  return toStoredPhone(raw);
}

function timestamp(raw: unknown, field: string): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' || !isTimestamp(raw)) throw new InvalidSnapshotError(`${field} is not an RFC 3339 timestamp`);
  return raw;
}

function object(raw: unknown): Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/** Metadata as Postgres can store it, or an error naming the first field it could not. */
function storableObject(raw: unknown, field: string): Record<string, unknown> {
  const value = object(raw);
  const at = unstorableTextAt(value);
  if (at !== null)
    throw new InvalidSnapshotError(
      `${field}${at ? `.${at}` : ''} holds text Postgres cannot store (a NUL character or an unpaired surrogate) or nests deeper than ${MAX_JSON_DEPTH} levels`,
    );
  return value;
}

/** Text as Postgres can store it, or an error naming the field. */
function storableText<T extends string | null>(value: T, field: string): T {
  if (value !== null && !isStorableString(value))
    throw new InvalidSnapshotError(`${field} holds text Postgres cannot store (a NUL character or an unpaired surrogate)`);
  return value;
}

/** Checks and normalises a user object from the admin API or a delivery. */
export function snapshotFromSupabase(user: SupabaseUser): UserSnapshot {
  if (!isUuid(user.id)) throw new InvalidSnapshotError('id is not a UUID');
  return {
    id: user.id.toLowerCase(),
    email: storableEmail(normalizeEmail(user.email)),
    phone: normalizePhone(user.phone),
    emailConfirmedAt: timestamp(user.email_confirmed_at, 'email_confirmed_at'),
    phoneConfirmedAt: timestamp(user.phone_confirmed_at, 'phone_confirmed_at'),
    lastSignInAt: timestamp(user.last_sign_in_at, 'last_sign_in_at'),
    bannedUntil: timestamp(user.banned_until, 'banned_until'),
    role: storableText(typeof user.role === 'string' && user.role !== '' ? user.role : null, 'role'),
    isAnonymous: user.is_anonymous === true,
    appMetadata: storableObject(user.app_metadata, 'app_metadata'),
    userMetadata: storableObject(user.user_metadata, 'user_metadata'),
    createdAt: timestamp(user.created_at, 'created_at'),
    updatedAt: timestamp(user.updated_at, 'updated_at') ?? failVersion(),
    deletedAt: timestamp(user.deleted_at, 'deleted_at'),
  };
}

function storableEmail(email: string | null): string | null {
  if (email !== null && email.length > MAX_EMAIL_LENGTH)
    throw new InvalidSnapshotError(`email is longer than ${MAX_EMAIL_LENGTH} characters`);
  return storableText(email, 'email');
}

function failVersion(): never {
  throw new InvalidSnapshotError('updated_at is required: it is the version of the snapshot');
}

/** What a verified access token says about its user: a snapshot without a version. */
export interface TokenIdentity {
  sub: string;
  email?: unknown;
  phone?: unknown;
  role?: unknown;
  is_anonymous?: unknown;
  app_metadata?: unknown;
  user_metadata?: unknown;
}

/** A provisional row from token claims (the next real snapshot overwrites it); unstorable text is left out, not refused. */
export function snapshotFromClaims(claims: TokenIdentity): UserSnapshot {
  const email = normalizeEmail(claims.email);
  const storable = (value: Record<string, unknown>) => (unstorableTextAt(value) === null ? value : {});
  return {
    id: claims.sub.toLowerCase(),
    email: email !== null && email.length <= MAX_EMAIL_LENGTH && isStorableString(email) ? email : null,
    phone: normalizePhone(claims.phone),
    emailConfirmedAt: null,
    phoneConfirmedAt: null,
    lastSignInAt: null,
    bannedUntil: null,
    role: typeof claims.role === 'string' && isStorableString(claims.role) ? claims.role : null,
    isAnonymous: claims.is_anonymous === true,
    appMetadata: storable(object(claims.app_metadata)),
    userMetadata: storable(object(claims.user_metadata)),
    createdAt: null,
    updatedAt: null,
    deletedAt: null,
  };
}
