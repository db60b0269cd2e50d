import { isTimestamp } from '../common/rfc3339.js';

/** One thing that happened to a user, from whichever table knows it. */
export interface TimelineRow {
  at: Date;
  /** The row's place in the order: the time as RFC 3339 with microseconds, then a key unique across sources. */
  at_text: string;
  key: string;
  type: string;
  details: Record<string, unknown>;
}

/** Where a page starts: after (older than) this time and key. */
export interface TimelinePosition {
  atText: string;
  key: string;
}

const AT_TEXT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/**
 * Keys sort like ids within a source: the source's letter, then the id (numbers padded). No `$2 IS NULL OR`: the pool
 * runs every statement with a generic plan, which cannot drop that branch, so the row comparison was a filter and a
 * page deep in a long timeline read every newer row again. Here it is an index condition (`at <= $2`) on each page.
 */
const BEFORE = (column: string, key: string) => `(${column}, ${key}) < ($2::timestamptz, $3::text)`;

/** Each source newest first, so that each reads only one page from its index. */
function source(select: string, table: string, at: string, key: string, where: string): string {
  return `(SELECT ${at} AS at, ${AT_TEXT(at)} AS at_text, ${key} AS key, ${select}
    FROM ${table} WHERE ${where} AND ${BEFORE(at, key)} ORDER BY ${at} DESC, ${key} DESC LIMIT $4)`;
}

const AUDIT_KEY = `'a' || lpad(id::text, 19, '0')`;
// A delivery id is any header text: its hash keeps the cursor plain ASCII.
const DELIVERY_KEY = `'d' || md5(delivery_id)`;
const PUSH_KEY = `'p' || lpad(id::text, 19, '0')`;
const DEVICE_KEY = `'v' || id::text`;

/**
 * The user's timeline, newest first: the audit events about them (sign-up, syncs with their source, sign-ins and
 * failures, profile and onboarding, devices, reconcile repairs, deletion, clean-up outcomes), the deliveries the ledger
 * claimed for them (applied, or ignored and why), the app_metadata pushes Supabase took, and when each device was first
 * seen (`device.added` is the news of a further device only). Ids, types and times only:
 * no payload and nothing personal is stored in any of them. $1 user, $2/$3 position, $4 limit (see timelineParams).
 */
export const TIMELINE = `
  SELECT * FROM (
    ${source('type, details', 'audit_events', 'created_at', AUDIT_KEY, 'subject_id = $1::uuid')}
    UNION ALL
    ${source(
      `CASE WHEN outcome IS NULL THEN 'delivery.applied' ELSE 'delivery.ignored' END AS type,
      jsonb_strip_nulls(jsonb_build_object('form', source, 'eventType', event_type, 'action', action, 'reason', outcome)) AS details`,
      'webhook_deliveries',
      'received_at',
      DELIVERY_KEY,
      'user_id = $1::uuid',
    )}
    UNION ALL
    ${source(
      `'app_metadata.pushed' AS type, jsonb_build_object('keys', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]') FROM jsonb_object_keys(patch) AS k),
        'adminId', admin_id) AS details`,
      'app_metadata_pushes',
      'pushed_at',
      PUSH_KEY,
      'user_id = $1::uuid AND pushed_at IS NOT NULL',
    )}
    UNION ALL
    ${source(`'device.first_seen' AS type, jsonb_build_object('deviceId', id) AS details`, 'devices', 'first_seen_at', DEVICE_KEY, 'user_id = $1::uuid')}
  ) AS events
  ORDER BY at DESC, key DESC LIMIT $4`;

export function encodeTimelineCursor(row: TimelineRow): string {
  return Buffer.from(JSON.stringify([row.at_text, row.key])).toString('base64url');
}

/** The first page starts after every entry: (infinity, '') is past any time a row has. */
const FIRST_PAGE: TimelinePosition = { atText: 'infinity', key: '' };

/** TIMELINE's parameters: the page after `position` (the first page when null), `limit` entries and one more. */
export function timelineParams(userId: string, position: TimelinePosition | null, limit: number): [string, string, string, number] {
  const { atText, key } = position ?? FIRST_PAGE;
  return [userId, atText, key, limit + 1];
}

/**
 * The time exactly as AT_TEXT writes it. RFC 3339 allows more than a cursor ever holds, some of which Postgres refuses
 * (a fraction of some 130 digits: a failed statement, not a 400).
 */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The position a cursor names, or null for a cursor this API did not give. */
export function decodeTimelineCursor(cursor: string): TimelinePosition | null {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) return null;
  const [atText, key] = decoded as unknown[];
  if (typeof atText !== 'string' || !CURSOR_TIME.test(atText) || !isTimestamp(atText)) return null;
  if (typeof key !== 'string' || !/^[adpv][\x21-\x7e]{1,300}$/.test(key)) return null;
  return { atText, key };
}
