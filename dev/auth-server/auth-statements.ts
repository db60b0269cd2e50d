// The SQL the stand-in runs on the local Supabase database's auth schema: GoTrue's statements for
// its writes (docs/gotrue-statements.md) and its reads, each returning rows shaped as the stand-in
// keeps them (rows.ts). Timestamps are read as text: pg's Date would drop the microseconds.
import type pg from 'pg';
import { NIL_UUID } from './http.js';
import type { StoredIdentity, StoredRefreshToken, StoredSession, StoredUser } from './rows.js';

export type Columns = Record<string, unknown>;
type Client = Pick<pg.ClientBase, 'query'>;

/** A timestamp column as formatMicros writes it. */
const ts = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${column}`;

const USER_SELECT = `SELECT id::text, coalesce(aud, '') AS aud, coalesce(role, '') AS role, email, encrypted_password,
  ${['email_confirmed_at', 'invited_at'].map(ts).join(', ')}, coalesce(confirmation_token, '') AS confirmation_token,
  ${['confirmation_sent_at', 'recovery_sent_at'].map(ts).join(', ')},
  nullif(email_change, '') AS email_change, ${ts('email_change_sent_at')}, ${ts('last_sign_in_at')},
  coalesce(raw_app_meta_data, '{}') AS raw_app_meta_data, coalesce(raw_user_meta_data, '{}') AS raw_user_meta_data, is_super_admin,
  ${ts('created_at')}, ${ts('updated_at')}, phone, ${ts('phone_confirmed_at')}, nullif(phone_change, '') AS phone_change,
  ${['phone_change_sent_at', 'confirmed_at', 'reauthentication_sent_at', 'banned_until', 'deleted_at'].map(ts).join(', ')},
  is_sso_user, is_anonymous
  FROM auth.users AS users`;

export type UserKey = { id: string } | { aud: string; email: string } | { aud: string; phone: string };

/**
 * The user by id, or by email or phone within an audience as GoTrue's FindUserByEmailAndAudience and
 * FindUserByPhoneAndAudience look them up (internal/models/user.go: never an SSO user), with its identities.
 */
export async function selectUser(client: Client, key: UserKey): Promise<{ user: StoredUser; identities: StoredIdentity[] } | null> {
  const [where, params] =
    'id' in key
      ? ['users.id = $1', [key.id]]
      : 'email' in key
        ? [
            'users.instance_id = $1 AND lower(users.email) = lower($2) AND users.aud = $3 AND users.is_sso_user = false',
            [NIL_UUID, key.email, key.aud],
          ]
        : ['users.instance_id = $1 AND users.phone = $2 AND users.aud = $3 AND users.is_sso_user = false', [NIL_UUID, key.phone, key.aud]];
  const { rows } = await client.query<StoredUser>(`${USER_SELECT} WHERE ${where} LIMIT 1`, params);
  if (rows.length === 0) return null;
  const identities = await client.query<StoredIdentity>(
    `SELECT id::text, provider_id, user_id::text, identity_data, provider, ${ts('last_sign_in_at')}, ${ts('created_at')}, ${ts('updated_at')}
     FROM auth.identities WHERE user_id = $1 ORDER BY created_at, id`,
    [rows[0].id],
  );
  return { user: rows[0], identities: identities.rows };
}

/** Whether any user, whatever its audience, holds the email or phone: users_email_partial_key and users_phone_key span the table. */
export async function selectHeld(client: Client, email: string | null, phone: string | null): Promise<boolean> {
  const { rowCount } = await client.query(
    'SELECT 1 FROM auth.users AS users WHERE (lower(users.email) = lower($1) AND users.is_sso_user = false) OR users.phone = $2 LIMIT 1',
    [email, phone],
  );
  return (rowCount ?? 0) > 0;
}

export interface UserListQuery {
  aud: string;
  filter: string;
  desc: boolean;
  page: number;
  perPage: number;
}

/**
 * GoTrue's FindUsersInAudience (internal/models/user.go) under pop's Paginate: a COUNT, then ORDER BY
 * created_at with LIMIT and OFFSET and no tie-breaker, so that users sharing a created_at come in
 * whatever order Postgres' sort gives each page.
 */
export async function selectUserPage(client: Client, q: UserListQuery): Promise<{ users: StoredUser[]; count: number }> {
  const where = `users.instance_id = $1 AND users.aud = $2${q.filter ? ` AND (users.email LIKE $3 OR users.raw_user_meta_data->>'full_name' ILIKE $3)` : ''}`;
  const params: unknown[] = [NIL_UUID, q.aud, ...(q.filter ? [`%${q.filter}%`] : [])];
  const count = await client.query<{ count: string }>(`SELECT count(*) AS count FROM auth.users AS users WHERE ${where}`, params);
  const page = await client.query<StoredUser>(
    `${USER_SELECT} WHERE ${where} ORDER BY users.created_at ${q.desc ? 'DESC' : 'ASC'} LIMIT ${q.perPage} OFFSET ${(q.page - 1) * q.perPage}`,
    params,
  );
  return { users: page.rows, count: Number(count.rows[0].count) };
}

/** The session with every refresh token of it (GoTrue reads the family to find the active one). */
export async function selectSession(
  client: Client,
  id: string,
): Promise<{ session: Omit<StoredSession, 'amr'>; tokens: StoredRefreshToken[] } | null> {
  const { rows } = await client.query<Omit<StoredSession, 'amr'>>(
    `SELECT id::text, user_id::text, ${ts('created_at')}, ${ts('updated_at')}, aal::text AS aal, user_agent, host(ip) AS ip
     FROM auth.sessions WHERE id = $1`,
    [id],
  );
  if (rows.length === 0) return null;
  const tokens = await client.query<StoredRefreshToken>(
    `SELECT token, session_id::text, user_id, revoked, parent, ${ts('created_at')}, ${ts('updated_at')}
     FROM auth.refresh_tokens WHERE session_id = $1 ORDER BY id`,
    [id],
  );
  return { session: rows[0], tokens: tokens.rows };
}

/** The session a refresh token belongs to, if the token is still in the table. */
export async function selectSessionOfToken(client: Client, token: string): Promise<string | null> {
  const { rows } = await client.query<{ session_id: string | null }>('SELECT session_id::text FROM auth.refresh_tokens WHERE token = $1', [
    token,
  ]);
  return rows[0]?.session_id ?? null;
}

/** jsonb columns as JSON text; anything else (Dates included) as pg sends it. */
function sqlValue(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
}

export async function insertUser(tx: Client, columns: Columns): Promise<void> {
  const names = Object.keys(columns);
  await tx.query(
    `INSERT INTO auth.users (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    names.map((name) => sqlValue(columns[name])),
  );
}

/** GoTrue's UpdateOnly: the columns given, updated_at among them. */
export async function updateUserColumns(tx: Client, id: string, columns: Columns): Promise<void> {
  const names = Object.keys(columns);
  await tx.query(`UPDATE auth.users AS users SET ${names.map((name, i) => `${name} = $${i + 2}`).join(', ')} WHERE users.id = $1`, [
    id,
    ...names.map((name) => sqlValue(columns[name])),
  ]);
}

export async function insertIdentities(tx: Client, identities: readonly StoredIdentity[]): Promise<void> {
  for (const identity of identities) {
    await tx.query(
      `INSERT INTO auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      identityValues(identity),
    );
  }
}

/** New identities inserted, changed ones updated (GoTrue's UpdateIdentityData writes identity_data and updated_at). */
export async function upsertIdentities(tx: Client, identities: readonly StoredIdentity[]): Promise<void> {
  for (const identity of identities) {
    await tx.query(
      `INSERT INTO auth.identities AS identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET provider_id = excluded.provider_id, identity_data = excluded.identity_data, last_sign_in_at = excluded.last_sign_in_at, updated_at = excluded.updated_at`,
      identityValues(identity),
    );
  }
}

function identityValues(identity: StoredIdentity): unknown[] {
  return [
    identity.id,
    identity.provider_id,
    identity.user_id,
    JSON.stringify(identity.identity_data),
    identity.provider,
    identity.last_sign_in_at,
    identity.created_at,
    identity.updated_at,
  ];
}

/** models.NewSession with ApplyGrantParams: the client's User-Agent and address, where known. */
export async function insertSession(tx: Client, session: StoredSession): Promise<void> {
  await tx.query(
    `INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip) VALUES ($1, $2, $3, $4, $5::auth.aal_level, $6, $7)`,
    [session.id, session.user_id, session.created_at, session.updated_at, session.aal, session.user_agent ?? null, session.ip ?? null],
  );
}

export async function insertRefreshToken(tx: Client, rt: StoredRefreshToken): Promise<void> {
  await tx.query(
    `INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [NIL_UUID, rt.token, rt.user_id, rt.revoked, rt.created_at, rt.updated_at ?? rt.created_at, rt.parent, rt.session_id],
  );
}
