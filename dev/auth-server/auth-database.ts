// The local Supabase database as the stand-in's store of record. Users, identities, sessions and
// refresh tokens are written with the statements GoTrue issues for each flow (docs/gotrue-statements.md),
// a request's writes in one transaction committed before it is answered, so that a trigger on
// auth.users sees locally what it sees on Supabase; and read back before each use, so that what
// was written to the tables by other means (SQL, a bulk fill) is what the API answers.
// Reads and writes run one at a time, in the order they were asked for.
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import {
  insertIdentities,
  insertRefreshToken,
  insertSession,
  insertUser,
  selectHeld,
  selectSession,
  selectSessionOfToken,
  selectUser,
  selectUserPage,
  updateUserColumns,
  upsertIdentities,
  type UserKey,
  type UserListQuery,
} from './auth-statements.js';
import { formatMicros, parseMicros } from './clock.js';
import {
  createSteps,
  diff,
  IDENTITIES,
  initialOverrides,
  rowColumns,
  splitUpdate,
  type CreateFlow,
  type UpdateFlow,
} from './flow-steps.js';
import type { StoredIdentity, StoredRefreshToken, StoredSession, StoredUser } from './rows.js';

type Job = (tx: pg.PoolClient) => Promise<void>;

/** What a request holds until its transaction is done: its writes, the changes to announce once they commit, its locks. */
interface RequestWork {
  jobs: Job[];
  announcements: (() => void)[];
  locks: Map<string, () => void>;
}

export class AuthDatabase {
  private tail: Promise<unknown> = Promise.resolve();
  /** The writes of the request running, held for its one transaction. */
  private readonly request = new AsyncLocalStorage<RequestWork>();
  /** Per key, the request holding it last: a later one waits for it to commit (GoTrue's row locks). */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    private readonly pool: pg.Pool,
    /** A write made outside any request (test hooks, the import at start) that failed. */
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * Runs `handle` with its writes held, then commits them in one transaction, as GoTrue runs a flow
   * in one; rejects when that transaction fails, and nothing of it is written.
   */
  async inRequest(handle: () => Promise<void>): Promise<void> {
    const work: RequestWork = { jobs: [], announcements: [], locks: new Map() };
    try {
      await this.request.run(work, handle);
    } finally {
      try {
        if (work.jobs.length > 0) await this.transaction(work.jobs);
        for (const announce of work.announcements) announce();
      } finally {
        for (const release of work.locks.values()) release();
      }
    }
  }

  /** Whether the running request has written: the database is behind memory until it commits, so nothing is read back. */
  writesHeld(): boolean {
    return (this.request.getStore()?.jobs.length ?? 0) > 0;
  }

  /**
   * Runs `announce` once the running request's writes commit, and never if they do not; at once
   * outside a request. A trigger's webhook is queued in the transaction and goes with its rollback.
   */
  afterCommit(announce: () => void): void {
    const held = this.request.getStore();
    if (held) held.announcements.push(announce);
    else announce();
  }

  /**
   * Waits until no other request holds `key`, then holds it until the running request has
   * committed: GoTrue's SELECT … FOR UPDATE of a refresh token, whose row a logout or a deletion
   * must wait for. Reads after it see what the previous holder wrote.
   */
  async lock(key: string): Promise<void> {
    const held = this.request.getStore();
    if (!held || held.locks.has(key)) return;
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.locks.set(key, mine);
    held.locks.set(key, () => {
      void previous.then(() => {
        release();
        if (this.locks.get(key) === mine) this.locks.delete(key);
      });
    });
    await previous;
  }

  readUser(key: UserKey) {
    return this.read((client) => selectUser(client, key));
  }

  readHeld(email: string | null, phone: string | null): Promise<boolean> {
    return this.read((client) => selectHeld(client, email, phone));
  }

  readUserPage(query: UserListQuery) {
    return this.read((client) => selectUserPage(client, query));
  }

  readSession(id: string) {
    return this.read((client) => selectSession(client, id));
  }

  readSessionOfToken(token: string): Promise<string | null> {
    return this.read((client) => selectSessionOfToken(client, token));
  }

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
    return this.tail.then(() => undefined);
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
    this.statement('DELETE FROM auth.users AS users WHERE users.id = $1', [u.id]);
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
    this.statement('UPDATE auth.refresh_tokens SET revoked = true, updated_at = $2 WHERE token = $1', [
      rt.token,
      rt.updated_at ?? rt.created_at,
    ]);
  }

  /** UpdateOnlyRefreshInfo: refreshed_at (a timestamp without time zone, in UTC), user_agent, ip and updated_at. */
  sessionRefreshed(session: StoredSession): void {
    this.statement(
      `UPDATE auth.sessions SET refreshed_at = $2::timestamptz AT TIME ZONE 'UTC', user_agent = $3, ip = $4, updated_at = $2 WHERE id = $1`,
      [session.id, session.updated_at, session.user_agent ?? null, session.ip ?? null],
    );
  }

  /** A reused token revokes the session's whole family (RefreshTokenGrant). */
  sessionTokensRevoked(sessionId: string): void {
    this.statement('UPDATE auth.refresh_tokens SET revoked = true WHERE session_id = $1', [sessionId]);
  }

  /** Identities made or changed after their user was created (an email change, a confirmation's email_verified). */
  identitiesWritten(identities: readonly StoredIdentity[]): void {
    this.enqueue((tx) => upsertIdentities(tx, identities));
  }

  /** Logout of all the user's sessions, or all but one. */
  userSessionsDeleted(userId: string, exceptSessionId: string | null): void {
    this.statement('DELETE FROM auth.sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2', [userId, exceptSessionId]);
  }

  /** Logout: the session, and its refresh tokens by the foreign key's cascade. */
  sessionDeleted(sessionId: string): void {
    this.statement('DELETE FROM auth.sessions WHERE id = $1', [sessionId]);
  }

  /** Sessions and refresh tokens the database does not have yet (a state file from before it). */
  async backfillSessions(sessions: readonly StoredSession[], tokens: readonly StoredRefreshToken[]): Promise<void> {
    if (sessions.length === 0) return; // no state file: nothing to look up in a table of any size
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
    if (users.length === 0) return 0;
    const { rows } = await this.pool.query<{ id: string }>('SELECT id::text FROM auth.users');
    const known = new Set(rows.map((row) => row.id));
    const missing = users.filter((u) => !known.has(u.id));
    for (const u of missing) this.userCreated(u, identitiesOf(u.id), 'bulk');
    await this.settled();
    return missing.length;
  }

  private statement(sql: string, params: unknown[]): void {
    this.enqueue(async (tx) => {
      await tx.query(sql, params);
    });
  }

  /** Into the running request's transaction, or a transaction of its own. */
  private enqueue(work: Job): void {
    const held = this.request.getStore();
    if (held) held.jobs.push(work);
    else this.transaction([work]).catch((error: Error) => this.onError(error));
  }

  private transaction(jobs: readonly Job[]): Promise<void> {
    return this.serially(async () => {
      const tx = await this.pool.connect();
      // Postgres ending the connection mid-transaction is an 'error' event on the client, which the
      // pool listens for only while it is idle: unheard, it would end the process.
      let broken: Error | undefined;
      const onError = (error: Error) => (broken ??= error);
      tx.on('error', onError);
      try {
        await tx.query('BEGIN');
        for (const job of jobs) await job(tx);
        await tx.query('COMMIT');
      } catch (error) {
        await tx.query('ROLLBACK').catch((rollbackError: Error) => (broken ??= rollbackError));
        throw error;
      } finally {
        tx.off('error', onError);
        tx.release(broken); // a broken connection is not given back to the pool
      }
    });
  }

  private read<T>(query: (client: pg.Pool) => Promise<T>): Promise<T> {
    return this.serially(() => query(this.pool));
  }

  /** After everything asked for before it, whatever became of that. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
