// The operator's user query as SQL: filters that are each an index scan of live users (migration
// 20261130140000_user_search), and keyset pages on (sort expression, id), so that a page after a
// cursor is found by an index probe and rows written between pages neither repeat nor hide others.
import { isTimestamp } from '../common/rfc3339.js';
import { isStorableString } from '../common/storable-text.js';
import { isUuid } from '../common/uuid.js';

export const USER_SORTS = ['createdAt', '-createdAt', 'lastSignInAt', '-lastSignInAt', 'email', '-email'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export const USER_STATUSES = ['live', 'banned', 'deleted'] as const;

export interface UserSearch {
  /** Part of the email, any case. */
  email?: string;
  emailDomain?: string;
  /** In the stored form (E.164 with its `+`). */
  phone?: string;
  onboarded?: boolean;
  provider?: string;
  createdAfter?: string;
  createdBefore?: string;
  lastSignInAfter?: string;
  lastSignInBefore?: string;
  /** Absent: live and banned users (not deleted ones). */
  status?: (typeof USER_STATUSES)[number];
  sort: UserSort;
  limit: number;
  cursor?: string;
}

/** The expression each sort orders by, with NULLs as a value a cursor can hold (the same as the indexes'). */
const SORT_EXPRESSIONS: Record<string, { expression: string; type: string }> = {
  createdAt: { expression: `coalesce(u.created_at, '-infinity'::timestamptz)`, type: 'timestamptz' },
  lastSignInAt: { expression: `coalesce(u.last_sign_in_at, '-infinity'::timestamptz)`, type: 'timestamptz' },
  email: { expression: `coalesce(u.email, '')`, type: 'text' },
};

export class InvalidCursorError extends Error {}

/** The opaque cursor after a row: its sort, sort value and id. */
export function encodeCursor(sort: UserSort, value: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: UserSort, type: string): { value: string; id: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('cursor is not one this API gave');
  }
  if (!Array.isArray(decoded) || decoded.length !== 3 || typeof decoded[1] !== 'string' || !isUuid(decoded[2])) {
    throw new InvalidCursorError('cursor is not one this API gave');
  }
  if (decoded[0] !== sort) throw new InvalidCursorError('cursor belongs to another sort: ask again from the first page');
  const value = decoded[1];
  // What Postgres would refuse is refused here: a 400, not a failed statement.
  const readable = type === 'text' ? isStorableString(value) : value === '-infinity' || isTimestamp(value);
  if (!readable) throw new InvalidCursorError('cursor is not one this API gave');
  return { value, id: decoded[2] };
}

/** `%` and `_` of the user's text taken literally in LIKE. */
function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The page's statement: `limit + 1` rows (the extra one says there is a next page), each with its `sort_value`. */
export function userSearchSql(search: UserSearch, columns: string): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown, type = '') => `$${values.push(value)}${type}`;
  const where: string[] = [];
  if (search.status === 'deleted') where.push('u.deleted_at IS NOT NULL');
  else where.push('u.deleted_at IS NULL');
  if (search.status === 'live') where.push('(u.banned_until IS NULL OR u.banned_until <= now())');
  if (search.status === 'banned') where.push('u.banned_until > now()');
  if (search.email !== undefined) where.push(`u.email LIKE ${param(likeContains(search.email))}`);
  if (search.emailDomain !== undefined)
    where.push(`split_part(u.email, '@', 2) = ${param(search.emailDomain.replace(/^@/, '').toLowerCase())}`);
  if (search.phone !== undefined) where.push(`u.phone = ${param(search.phone)}`);
  // A user without a profile has not onboarded. Written without coalesce, so that profiles' index can serve it.
  if (search.onboarded !== undefined) where.push(search.onboarded ? 'p.onboarding_completed' : 'p.onboarding_completed IS NOT TRUE');
  if (search.provider !== undefined) where.push(`u.app_metadata -> 'providers' @> jsonb_build_array(${param(search.provider, '::text')})`);
  // Each range also bounds the sort's expression (the same rows: a null time is outside any range), so a walk of the
  // sort's index starts and stops at the range instead of reading past every newer user to reach an old day.
  const range = (column: string, sortExpression: string, operator: string, value: string) => {
    const bound = param(value, '::timestamptz');
    where.push(`u.${column} ${operator} ${bound}`, `${sortExpression} ${operator} ${bound}`);
  };
  if (search.createdAfter !== undefined) range('created_at', SORT_EXPRESSIONS.createdAt.expression, '>=', search.createdAfter);
  if (search.createdBefore !== undefined) range('created_at', SORT_EXPRESSIONS.createdAt.expression, '<', search.createdBefore);
  if (search.lastSignInAfter !== undefined)
    range('last_sign_in_at', SORT_EXPRESSIONS.lastSignInAt.expression, '>=', search.lastSignInAfter);
  if (search.lastSignInBefore !== undefined)
    range('last_sign_in_at', SORT_EXPRESSIONS.lastSignInAt.expression, '<', search.lastSignInBefore);
  const descending = search.sort.startsWith('-');
  const { expression, type } = SORT_EXPRESSIONS[search.sort.replace(/^-/, '')];
  if (search.cursor !== undefined) {
    const after = decodeCursor(search.cursor, search.sort, type);
    where.push(`(${expression}, u.id) ${descending ? '<' : '>'} (${param(after.value, `::${type}`)}, ${param(after.id, '::uuid')})`);
  }
  const direction = descending ? 'DESC' : 'ASC';
  const text = `SELECT ${columns}, to_json(${expression}) #>> '{}' AS sort_value
    FROM users u LEFT JOIN profiles p ON p.user_id = u.id
    WHERE ${where.join(' AND ')}
    ORDER BY ${expression} ${direction}, u.id ${direction}
    LIMIT ${param(search.limit + 1, '::int')}`;
  return { text, values };
}
