import { type ApiError, apiError } from '../common/errors.js';
import { decodeUtf8 } from '../common/http-edges.js';
import type { SupabaseUser } from '../supabase/supabase-user.js';
import { isTimestamp } from '../common/rfc3339.js';
import { InvalidSnapshotError, snapshotFromSupabase, type UserSnapshot } from '../users/user-snapshot.js';
import type { DeliveryForm } from './delivery-authenticator.js';
import { isUuid } from '../common/uuid.js';

/** What a delivery asks of the mirror. */
export type DeliveryAction =
  | { kind: 'apply'; eventType: string; snapshot: UserSnapshot }
  | { kind: 'delete'; eventType: string; userId: string; deletedAt: string | null }
  | { kind: 'ignore'; eventType: string; reason: string };

function invalidPayload(message: string): ApiError {
  return apiError('invalid_payload', { message });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(body: Buffer): Record<string, unknown> {
  const text = decodeUtf8(body);
  if (text === null) throw invalidPayload('The body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidPayload('The body is not JSON');
  }
  if (!isObject(parsed)) throw invalidPayload('The body is not a JSON object');
  return parsed;
}

function userId(value: unknown, where: string): string {
  if (!isUuid(value)) throw invalidPayload(`${where} is not a user id`);
  return value.toLowerCase();
}

function snapshot(user: SupabaseUser): UserSnapshot {
  try {
    return snapshotFromSupabase(user);
  } catch (error) {
    if (error instanceof InvalidSnapshotError) throw invalidPayload(`The user is not usable: ${error.message}`);
    throw error;
  }
}

/** A Database Webhook's raw `auth.users` row, reduced to the mirror's columns: secrets are dropped before anything is stored or logged. */
function userFromRawRow(row: Record<string, unknown>): SupabaseUser {
  return {
    id: row.id as string,
    email: row.email as string | null,
    phone: row.phone as string | null,
    email_confirmed_at: row.email_confirmed_at as string | null,
    phone_confirmed_at: row.phone_confirmed_at as string | null,
    last_sign_in_at: row.last_sign_in_at as string | null,
    banned_until: row.banned_until as string | null,
    role: row.role as string,
    is_anonymous: row.is_anonymous === true,
    app_metadata: row.raw_app_meta_data as Record<string, unknown> | null,
    user_metadata: row.raw_user_meta_data as Record<string, unknown> | null,
    created_at: row.created_at as string | null,
    updated_at: row.updated_at as string | null,
    deleted_at: row.deleted_at as string | null,
  };
}

function fromDatabaseWebhook(body: Record<string, unknown>): DeliveryAction {
  const { type, table, schema, record, old_record: oldRecord } = body;
  const eventType = typeof type === 'string' ? type.slice(0, 40) : 'unknown';
  if (typeof type !== 'string') throw invalidPayload('type is missing');
  if (schema !== 'auth' || table !== 'users') return { kind: 'ignore', eventType, reason: 'not auth.users' };
  if (type === 'DELETE') {
    if (!isObject(oldRecord)) throw invalidPayload('old_record is missing');
    return { kind: 'delete', eventType, userId: userId(oldRecord.id, 'old_record.id'), deletedAt: null };
  }
  if (type !== 'INSERT' && type !== 'UPDATE') return { kind: 'ignore', eventType, reason: 'unknown type' };
  if (!isObject(record)) throw invalidPayload('record is missing');
  const user = snapshot(userFromRawRow(record));
  return user.deletedAt
    ? { kind: 'delete', eventType, userId: user.id, deletedAt: user.deletedAt }
    : { kind: 'apply', eventType, snapshot: user };
}

/** A signed event's body, `{ type, user }`: what the trigger pushes, and what its outbox holds for the pull intake. */
export function parseSignedEvent(body: Record<string, unknown>): DeliveryAction {
  const { type, user } = body;
  if (typeof type !== 'string') throw invalidPayload('type is missing');
  const eventType = type.slice(0, 40);
  if (type !== 'user.created' && type !== 'user.updated' && type !== 'user.deleted') {
    return { kind: 'ignore', eventType, reason: 'unknown type' };
  }
  if (!isObject(user)) throw invalidPayload('user is missing');
  if (type === 'user.deleted') {
    // The deletion happens whatever its time says: one Postgres could not store is replaced by now.
    const deletedAt = typeof user.deleted_at === 'string' && isTimestamp(user.deleted_at) ? user.deleted_at : null;
    return { kind: 'delete', eventType, userId: userId(user.id, 'user.id'), deletedAt };
  }
  const parsed = snapshot(user as unknown as SupabaseUser);
  return parsed.deletedAt
    ? { kind: 'delete', eventType, userId: parsed.id, deletedAt: parsed.deletedAt }
    : { kind: 'apply', eventType, snapshot: parsed };
}

/** Reads an authenticated delivery; 400 `invalid_payload` when it is not one of the two delivery forms (docs/design.md). */
export function parseDelivery(form: DeliveryForm, body: Buffer): DeliveryAction {
  const json = parseJson(body);
  return form === 'database' ? fromDatabaseWebhook(json) : parseSignedEvent(json);
}
