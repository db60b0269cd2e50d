import type { Sql } from '../database/sql.js';

/** The channel every change that ends access notifies, inside its own transaction: listeners hear it on commit. */
export const ACCESS_CHANNEL = 'authmirror_access';

/**
 * What a notification on ACCESS_CHANNEL says. Instants are ISO 8601 strings. `ban` is also sent by the trigger on the
 * `users` table (migration 20261130120000_devices), whichever intake wrote the row.
 */
export type AccessEvent =
  | { kind: 'deleted'; user: string }
  | { kind: 'ban'; user: string; until: string | null }
  /** A revoked session; `endedAt`: when Supabase ended it (it can refresh no more), null while not yet. */
  | { kind: 'session'; session: string; endedAt: string | null }
  | { kind: 'cutoff'; user: string; sessionsRevokedBefore: string | null; keptSession: string | null; tokensStaleBefore: string | null };

/** A user's cutoff of older tokens, as announced. */
export type CutoffEvent = Extract<AccessEvent, { kind: 'cutoff' }>;

/** A `token_cutoffs` row as the CutoffEvent it announces: a select list, or a RETURNING one. */
export const CUTOFF_EVENT_COLUMNS = `'cutoff' AS kind, user_id AS "user", kept_session_id AS "keptSession",
  to_json(sessions_revoked_before) #>> '{}' AS "sessionsRevokedBefore", to_json(tokens_stale_before) #>> '{}' AS "tokensStaleBefore"`;

/** Notifies every instance (this one included) when `tx` commits. */
export async function announceAccess(event: AccessEvent, tx: Sql): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [ACCESS_CHANNEL, JSON.stringify(event)]);
}

/** The event a notification carries, or null for a payload this version does not know. */
export function parseAccessEvent(payload: string): AccessEvent | null {
  try {
    const event = JSON.parse(payload) as Partial<AccessEvent> | null;
    if (!event || typeof event !== 'object') return null;
    switch (event.kind) {
      case 'deleted':
      case 'ban':
      case 'cutoff':
        return typeof event.user === 'string' ? (event as AccessEvent) : null;
      case 'session':
        return typeof event.session === 'string' && (event.endedAt === null || typeof event.endedAt === 'string')
          ? (event as AccessEvent)
          : null;
      default:
        return null;
    }
  } catch {
    return null;
  }
}
