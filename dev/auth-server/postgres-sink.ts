// Writes the stand-in's users to the local Supabase database's auth.users and auth.identities with
// the statements GoTrue issues for each flow (docs/gotrue-statements.md), one transaction per flow,
// in the order they happen, so that a trigger on auth.users sees locally what it sees on Supabase;
// sessions and refresh tokens as tokens.Service.IssueRefreshToken (v1) and logout write them.
import pg from 'pg';
import { formatMicros, parseMicros } from './clock.js';
import { NIL_UUID } from './http.js';
import { authUsersRow } from './delivery-payloads.js';
import type { StoredIdentity, StoredRefreshToken, StoredSession, StoredUser } from './rows.js';

/** How a user came to be: GoTrue's POST /signup, POST /admin/users, or a bulk fill (one INSERT, for benchmarks). */
export type CreateFlow = 'signup' | 'admin' | 'bulk';
/** Updates GoTrue writes in several statements; any other is one UpdateOnly. */
export type UpdateFlow = 'confirm' | 'soft_delete' | 'update';

type Columns = Record<string, unknown>;

export class PostgresSink {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly onError: (error: Error) => void,
  ) {}

  /** How many UPDATEs follow the INSERT of `flow`: the row's updated_at must leave room for them, a microsecond each. */
  static updatesAfterCreate(u: StoredUser, flow: CreateFlow): number {
    return createSteps(u, flow).length;
  }

  /** How many UPDATEs `flow` writes. */
  static updatesOf(flow: UpdateFlow): number {
    return flow === 'update' ? 1 : flow === 'confirm' ? 2 : 3;
  }

  /** Resolves once everything queued so far is written. */
  settled(): Promise<void> {
    return this.tail;
  }

  userCreated(u: StoredUser, identities: readonly StoredIdentity[], flow: CreateFlow): void {
    const steps = createSteps(u, flow);
    const created = parseMicros(u.created_at);
    // With no UPDATE to follow (a bulk fill, a backfill), the INSERT carries the row's own updated_at.
    const first = {
      ...rowColumns(u),
      ...(steps.length > 0 ? initialOverrides(u, flow) : {}),
      updated_at: steps.length > 0 ? u.created_at : u.updated_at,
    };
    this.enqueue(async (tx) => {
      await insertUser(tx, first);
      if (flow !== 'signup') await insertIdentities(tx, identities); // signup's identity comes after SetRole
      for (const [i, step] of steps.entries()) {
        if (step === IDENTITIES) {
          await insertIdentities(tx, identities);
          continue;
        }
        const at = i === steps.length - 1 ? u.updated_at : formatMicros(created + i + 1);
        await updateUserColumns(tx, u.id, { ...step, updated_at: at });
      }
    });
  }

  userUpdated(before: StoredUser, after: StoredUser, flow: UpdateFlow): void {
    const changed = diff(rowColumns(before), rowColumns(after));
    if (Object.keys(changed).length === 0 && before.updated_at === after.updated_at) return;
    // UpdateOnly always writes updated_at, even when nothing else changed.
    const steps = Object.keys(changed).length === 0 ? [{}] : splitUpdate(changed, flow);
    const start = parseMicros(before.updated_at);
    this.enqueue(async (tx) => {
      for (const [i, step] of steps.entries()) {
        const at = i === steps.length - 1 ? after.updated_at : formatMicros(start + i + 1);
        await updateUserColumns(tx, after.id, { ...step, updated_at: at });
      }
    });
  }

  /** tx.Destroy: identities go by the foreign key's cascade. */
  userDeleted(u: StoredUser): void {
    this.enqueue((tx) => tx.query('DELETE FROM auth.users AS users WHERE users.id = $1', [u.id]).then(() => undefined));
  }

  /** INSERT sessions (aal1, no factor), as GrantAuthenticatedUser does. */
  sessionCreated(session: StoredSession): void {
    this.enqueue((tx) => insertSession(tx, session));
  }

  /** INSERT refresh_tokens: a v1 token, its parent when rotated. */
  refreshTokenIssued(rt: StoredRefreshToken): void {
    this.enqueue((tx) => insertRefreshToken(tx, rt));
  }

  refreshTokenRevoked(rt: StoredRefreshToken): void {
    this.enqueue((tx) =>
      tx
        .query('UPDATE auth.refresh_tokens SET revoked = true, updated_at = $2 WHERE token = $1', [
          rt.token,
          rt.updated_at ?? rt.created_at,
        ])
        .then(() => undefined),
    );
  }

  /** A reused token revokes the session's whole family (RefreshTokenGrant). */
  sessionTokensRevoked(sessionId: string): void {
    this.enqueue((tx) =>
      tx.query('UPDATE auth.refresh_tokens SET revoked = true WHERE session_id = $1', [sessionId]).then(() => undefined),
    );
  }

  /** Logout: the session, and its refresh tokens by the foreign key's cascade. */
  sessionDeleted(sessionId: string): void {
    this.enqueue((tx) => tx.query('DELETE FROM auth.sessions WHERE id = $1', [sessionId]).then(() => undefined));
  }

  /** Sessions and refresh tokens the database does not have yet (a state file from before it). */
  async backfillSessions(sessions: readonly StoredSession[], tokens: readonly StoredRefreshToken[]): Promise<void> {
    const known = new Set((await this.pool.query<{ id: string }>('SELECT id::text FROM auth.sessions')).rows.map((row) => row.id));
    const users = new Set((await this.pool.query<{ id: string }>('SELECT id::text FROM auth.users')).rows.map((row) => row.id));
    const missing = sessions.filter((session) => !known.has(session.id) && users.has(session.user_id));
    const added = new Set(missing.map((session) => session.id));
    this.enqueue(async (tx) => {
      for (const session of missing) await insertSession(tx, session);
      for (const rt of tokens) if (added.has(rt.session_id)) await insertRefreshToken(tx, rt);
    });
    await this.settled();
  }

  /** Users the database does not have yet (a state file from before it), in one INSERT each. */
  async backfill(users: readonly StoredUser[], identitiesOf: (id: string) => readonly StoredIdentity[]): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id::text FROM auth.users');
    const known = new Set(rows.map((row) => row.id));
    const missing = users.filter((u) => !known.has(u.id));
    for (const u of missing) this.userCreated(u, identitiesOf(u.id), 'bulk');
    await this.settled();
    return missing.length;
  }

  private enqueue(work: (tx: pg.PoolClient) => Promise<void>): void {
    this.tail = this.tail.then(async () => {
      const tx = await this.pool.connect();
      try {
        await tx.query('BEGIN');
        await work(tx);
        await tx.query('COMMIT');
      } catch (error) {
        await tx.query('ROLLBACK').catch(() => undefined);
        this.onError(error as Error);
      } finally {
        tx.release();
      }
    });
  }
}

const IDENTITIES = Symbol('insert the identities here');
type Step = Columns | typeof IDENTITIES;

/** What the INSERT of `flow` holds that later statements change (GoTrue inserts with role '' and nothing confirmed). */
function initialOverrides(u: StoredUser, flow: CreateFlow): Columns {
  if (flow === 'bulk') return {};
  const data = withoutVerified(u.raw_user_meta_data);
  return {
    role: '',
    email_confirmed_at: null,
    phone_confirmed_at: null,
    confirmation_token: '',
    confirmation_sent_at: null,
    last_sign_in_at: null,
    banned_until: null,
    raw_user_meta_data: data,
    ...(flow === 'signup' ? { raw_app_meta_data: {} } : {}),
  };
}

/** The UPDATEs after the INSERT, as GoTrue's signupNewUser / adminUserCreate write them. */
function createSteps(u: StoredUser, flow: CreateFlow): Step[] {
  if (flow === 'bulk') return [];
  const confirmed = u.email_confirmed_at !== null || u.phone_confirmed_at !== null;
  const confirm: Step[] = confirmed
    ? [
        { confirmation_token: '', email_confirmed_at: u.email_confirmed_at, phone_confirmed_at: u.phone_confirmed_at },
        { raw_user_meta_data: u.raw_user_meta_data },
      ]
    : [];
  const extras: Step[] = [
    ...(u.confirmation_sent_at !== null && !confirmed
      ? [{ confirmation_token: authUsersRow(u).confirmation_token, confirmation_sent_at: u.confirmation_sent_at }]
      : []),
    ...(u.banned_until !== null ? [{ banned_until: u.banned_until }] : []),
    ...(u.last_sign_in_at !== null ? [{ last_sign_in_at: u.last_sign_in_at }] : []),
  ];
  // The metadata as the row ends, where confirming did not write it (the INSERT left verification flags out).
  const metadata: Step[] =
    !confirmed && JSON.stringify(withoutVerified(u.raw_user_meta_data)) !== JSON.stringify(u.raw_user_meta_data)
      ? [{ raw_user_meta_data: u.raw_user_meta_data }]
      : [];
  if (flow === 'admin') return [{ role: u.role }, ...confirm, ...extras, ...metadata];
  // signup: SetRole, the identity, the metadata taken from it, the providers, then confirmation or its email.
  return [
    { role: u.role },
    IDENTITIES,
    { raw_user_meta_data: withoutVerified(u.raw_user_meta_data) },
    { raw_app_meta_data: u.raw_app_meta_data },
    ...confirm,
    ...extras,
    ...metadata,
  ];
}

/** A soft delete is three UPDATEs (the row, then user then app metadata); a confirmation two; anything else one. */
function splitUpdate(changed: Columns, flow: UpdateFlow): Columns[] {
  const { raw_user_meta_data: userMeta, raw_app_meta_data: appMeta, ...rest } = changed;
  const parts: Columns[] = [rest];
  if (flow === 'update') return [changed];
  if (userMeta !== undefined) parts.push({ raw_user_meta_data: userMeta });
  if (flow === 'soft_delete' && appMeta !== undefined) parts.push({ raw_app_meta_data: appMeta });
  else if (appMeta !== undefined) parts[0] = { ...parts[0], raw_app_meta_data: appMeta };
  return parts.filter((part) => Object.keys(part).length > 0);
}

function withoutVerified(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'email_verified' && key !== 'phone_verified'));
}

/** The auth.users columns of a stored user as a Database Webhook shows the row (tokens included), but the generated one. */
function rowColumns(u: StoredUser): Columns {
  const columns: Columns = { ...authUsersRow(u) };
  delete columns.confirmed_at;
  return columns;
}

function diff(before: Columns, after: Columns): Columns {
  const changed: Columns = {};
  for (const [name, value] of Object.entries(after)) {
    if (name === 'updated_at') continue;
    if (JSON.stringify(before[name]) !== JSON.stringify(value)) changed[name] = value;
  }
  return changed;
}

/** jsonb columns as JSON text; anything else (Dates included) as pg sends it. */
function sqlValue(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
}

async function insertUser(tx: pg.PoolClient, columns: Columns): Promise<void> {
  const names = Object.keys(columns);
  await tx.query(
    `INSERT INTO auth.users (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    names.map((name) => sqlValue(columns[name])),
  );
}

/** GoTrue's UpdateOnly: the columns given, updated_at among them. */
export async function updateUserColumns(tx: Pick<pg.ClientBase, 'query'>, id: string, columns: Columns): Promise<void> {
  const names = Object.keys(columns);
  await tx.query(`UPDATE auth.users AS users SET ${names.map((name, i) => `${name} = $${i + 2}`).join(', ')} WHERE users.id = $1`, [
    id,
    ...names.map((name) => sqlValue(columns[name])),
  ]);
}

async function insertIdentities(tx: pg.PoolClient, identities: readonly StoredIdentity[]): Promise<void> {
  for (const identity of identities) {
    await tx.query(
      `INSERT INTO auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        identity.id,
        identity.provider_id,
        identity.user_id,
        JSON.stringify(identity.identity_data),
        identity.provider,
        identity.last_sign_in_at,
        identity.created_at,
        identity.updated_at,
      ],
    );
  }
}

async function insertSession(tx: pg.PoolClient, session: StoredSession): Promise<void> {
  await tx.query(`INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal) VALUES ($1, $2, $3, $4, $5::auth.aal_level)`, [
    session.id,
    session.user_id,
    session.created_at,
    session.updated_at,
    session.aal,
  ]);
}

async function insertRefreshToken(tx: pg.PoolClient, rt: StoredRefreshToken): Promise<void> {
  await tx.query(
    `INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [NIL_UUID, rt.token, rt.user_id, rt.revoked, rt.created_at, rt.updated_at ?? rt.created_at, rt.parent, rt.session_id],
  );
}
