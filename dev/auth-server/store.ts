// The Auth stand-in's users (shaped like `auth.users` rows), identities, their indexes and the
// change event of every user row; sessions and refresh tokens hang off it (sessions.ts). Kept in
// memory, with a state file behind (persistence.ts); or, with the local Supabase database, in its
// auth schema (auth-database.ts), memory then holding what requests read from it.
import { EventEmitter } from 'node:events';
import { formatMicros, MicroClock, parseMicros } from './clock.js';
import { readState, StateWriter, type PersistedState } from './persistence.js';
import { AuthDatabase } from './auth-database.js';
import type { CreateFlow, UpdateFlow } from './flow-steps.js';
import type { UserKey } from './auth-statements.js';
import type { StoredIdentity, StoredRefreshToken, StoredSession, StoredUser, UserChangedEvent } from './rows.js';
import { SessionStore } from './sessions.js';
import { UserIndex } from './user-index.js';
import { toUserJson, type UserJson } from './user-json.js';
import { leastTs, newUserRow } from './user-rows.js';

export function cloneUser(u: StoredUser): StoredUser {
  return {
    ...u,
    raw_app_meta_data: structuredClone(u.raw_app_meta_data),
    raw_user_meta_data: structuredClone(u.raw_user_meta_data),
  };
}

/** `ts`, or the time `micros` when that is later. */
function atLeast(ts: string, micros: number): string {
  return parseMicros(ts) >= micros ? ts : formatMicros(micros);
}

export class Store {
  readonly clock = new MicroClock();
  readonly users = new Map<string, StoredUser>();
  readonly identities = new Map<string, StoredIdentity[]>();
  readonly sessions = new SessionStore(
    this.clock,
    () => this.schedulePersist(),
    () => this.database,
  );
  private readonly index = new UserIndex();
  /** Users sorted by created_at ascending; rebuilt lazily. */
  private sorted: StoredUser[] | null = null;
  /** Cached serialisation of GET-style user JSON (with identities), per user id. */
  private readonly jsonCache = new Map<string, string>();

  /**
   * Called synchronously with every change before the 'user.changed' event, independent of
   * the emitter's listeners (the deliveries hang here). Must not mutate `ev`.
   */
  onChange: ((ev: UserChangedEvent) => void) | null = null;

  /** Writes the state file behind every change; none without a persist path. */
  private writer: StateWriter | null = null;

  /** The store of record where there is one: every lookup reads it first, every change is written to it. */
  database: AuthDatabase | null = null;

  constructor(
    readonly events: EventEmitter,
    persistPath?: string,
  ) {
    if (persistPath) {
      const state = readState(persistPath);
      if (state) this.restore(state);
      this.writer = new StateWriter(persistPath, () => ({
        version: 1,
        users: this.listSorted(),
        identities: [...this.identities.values()].flat(),
        ...this.sessions.snapshot(),
      }));
    }
  }

  // ---------------------------------------------------------------- indexes & lookups

  findByEmail(aud: string, email: string): StoredUser | undefined {
    const id = this.index.email(aud, email);
    return id === undefined ? undefined : this.users.get(id);
  }

  findByPhone(aud: string, phone: string): StoredUser | undefined {
    const id = this.index.phone(aud, phone);
    return id === undefined ? undefined : this.users.get(id);
  }

  /**
   * Whether any user, in any audience, holds this email or phone: GoTrue's checks before its transaction are per
   * audience, but users_email_partial_key and users_phone_key span the table (auth-schema.sql).
   */
  heldAnywhere(email: string | null, phone: string | null): boolean {
    return this.index.heldAnywhere(email, phone);
  }

  identitiesOf(userId: string): StoredIdentity[] {
    return this.identities.get(userId) ?? [];
  }

  userJson(u: StoredUser): UserJson {
    return toUserJson(u, this.identitiesOf(u.id));
  }

  /** Serialised user JSON with identities; cached until the user changes. */
  userJsonString(u: StoredUser): string {
    let s = this.jsonCache.get(u.id);
    if (s === undefined) {
      s = JSON.stringify(this.userJson(u));
      this.jsonCache.set(u.id, s);
    }
    return s;
  }

  /** Users in `aud`, sorted by created_at (ties: insertion order). */
  listSorted(): StoredUser[] {
    if (!this.sorted) {
      const arr = [...this.users.values()];
      // Stable sort keeps insertion order for equal created_at values.
      arr.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
      this.sorted = arr;
    }
    return this.sorted;
  }

  // ---------------------------------------------------------------- lookups (read from the database first)

  async user(id: string): Promise<StoredUser | undefined> {
    return this.fresh({ id }, () => this.users.get(id));
  }

  async userByEmail(aud: string, email: string): Promise<StoredUser | undefined> {
    return this.fresh({ aud, email }, () => this.findByEmail(aud, email));
  }

  async userByPhone(aud: string, phone: string): Promise<StoredUser | undefined> {
    return this.fresh({ aud, phone }, () => this.findByPhone(aud, phone));
  }

  async isHeldAnywhere(email: string | null, phone: string | null): Promise<boolean> {
    return this.reading() ? this.database!.readHeld(email, phone) : this.heldAnywhere(email, phone);
  }

  /** The session (and its refresh tokens) as the database has it. */
  async session(id: string): Promise<StoredSession | undefined> {
    if (this.reading()) this.sessions.adopt(id, await this.database!.readSession(id));
    return this.sessions.get(id);
  }

  /** The refresh token, with its session and the session's other tokens, as the database has them. */
  async refreshToken(token: string): Promise<StoredRefreshToken | undefined> {
    if (this.reading()) {
      const sessionId = (await this.database!.readSessionOfToken(token)) ?? this.sessions.refreshToken(token)?.session_id;
      if (sessionId) await this.session(sessionId);
    }
    return this.sessions.refreshToken(token);
  }

  /**
   * Holds the user until the running request has committed, as GoTrue's row locks do: a refresh, a
   * logout and a deletion of one user's rows take their turns, each reading what the last wrote.
   */
  async lockUser(id: string): Promise<void> {
    await this.database?.lock(`user:${id}`);
  }

  /** Whether lookups read the database: not while the request's own writes wait for its commit. */
  private reading(): boolean {
    return this.database !== null && !this.database.writesHeld();
  }

  private async fresh(key: UserKey, cached: () => StoredUser | undefined): Promise<StoredUser | undefined> {
    if (!this.reading()) return cached();
    const found = await this.database!.readUser(key);
    const stale = cached();
    if (stale && stale.id !== found?.user.id) this.forget(stale);
    return found ? this.adopt(found.user, found.identities) : undefined;
  }

  /** Takes a row read from the database, into the object requests already hold where there is one. */
  private adopt(row: StoredUser, identities: StoredIdentity[]): StoredUser {
    this.clock.observe(row.updated_at);
    const held = this.users.get(row.id);
    if (held) this.index.remove(held);
    const u = held ? Object.assign(held, row) : row;
    this.users.set(u.id, u);
    this.index.add(u);
    this.identities.set(u.id, identities);
    this.jsonCache.delete(u.id);
    this.sorted = null;
    return u;
  }

  /** Drops a user from memory, and only from memory (deleteUser tells the database itself). */
  private forget(u: StoredUser): void {
    this.index.remove(u);
    this.users.delete(u.id);
    this.identities.delete(u.id);
    this.jsonCache.delete(u.id);
    this.sorted = null;
  }

  /** From now on the database is the store of record; memory starts empty and the state file is no longer written. */
  useDatabase(database: AuthDatabase): void {
    this.database = database;
    this.writer = null;
    for (const u of [...this.users.values()]) this.forget(u);
    this.sessions.clear();
  }

  // ---------------------------------------------------------------- mutations

  newUserRow(fields: Partial<StoredUser> & { id?: string }): StoredUser {
    return newUserRow(this.clock.now(), fields);
  }

  /** Insert a new user (and its identities) as `flow` does. Emits INSERT. */
  insertUser(u: StoredUser, identities: StoredIdentity[] = [], flow: CreateFlow = 'admin'): StoredUser {
    u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
    // GoTrue's INSERT is followed by UPDATEs, each moving updated_at: the row's last is later than created_at.
    if (this.database) u.updated_at = atLeast(u.updated_at, parseMicros(u.created_at) + AuthDatabase.updatesAfterCreate(u, flow));
    this.clock.observe(u.updated_at);
    this.users.set(u.id, u);
    this.index.add(u);
    if (identities.length) this.identities.set(u.id, identities);
    this.sorted = null;
    this.jsonCache.delete(u.id);
    this.database?.userCreated(cloneUser(u), identities, flow);
    this.emit({ type: 'INSERT', user: cloneUser(u), oldUser: null });
    return u;
  }

  /**
   * Apply `mutate` to the user; bumps updated_at (strictly increasing) unless the mutation
   * set it explicitly, recomputes confirmed_at, re-indexes, emits UPDATE.
   */
  updateUser(u: StoredUser, mutate: (u: StoredUser) => void, flow: UpdateFlow = 'update'): StoredUser {
    const old = cloneUser(u);
    this.index.remove(u);
    const before = u.updated_at;
    const identitiesBefore = this.database ? new Map(this.identitiesOf(u.id).map((i) => [i.id, JSON.stringify(i)])) : null;
    mutate(u);
    if (u.updated_at === before) u.updated_at = this.clock.now();
    if (this.database) u.updated_at = atLeast(u.updated_at, parseMicros(before) + AuthDatabase.updatesOf(flow));
    this.clock.observe(u.updated_at);
    u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
    this.index.add(u);
    if (u.created_at !== old.created_at) this.sorted = null;
    this.jsonCache.delete(u.id);
    this.database?.userUpdated(old, cloneUser(u), flow);
    const identitiesChanged = identitiesBefore
      ? this.identitiesOf(u.id).filter((i) => identitiesBefore.get(i.id) !== JSON.stringify(i))
      : [];
    if (identitiesChanged.length > 0) this.database?.identitiesWritten(structuredClone(identitiesChanged));
    this.emit({ type: 'UPDATE', user: cloneUser(u), oldUser: old });
    return u;
  }

  /** Hard delete: the row and everything referencing it (FK cascade). Emits DELETE. */
  deleteUser(u: StoredUser): void {
    const old = cloneUser(u);
    this.forget(u);
    this.sessions.forgetSessionsOf(u.id);
    this.database?.userDeleted(old);
    this.emit({ type: 'DELETE', user: null, oldUser: old });
  }

  /** Announced once the change is written: with the database, when the request's transaction commits. */
  private emit(ev: UserChangedEvent): void {
    this.schedulePersist();
    const announce = () => {
      this.onChange?.(ev);
      if (this.events.listenerCount('user.changed') > 0) this.events.emit('user.changed', ev);
    };
    if (this.database) this.database.afterCommit(announce);
    else announce();
  }

  // ---------------------------------------------------------------- persistence

  private restore(state: PersistedState): void {
    for (const u of state.users ?? []) {
      this.users.set(u.id, u);
      this.index.add(u);
      this.clock.observe(u.updated_at);
      this.clock.observe(u.created_at);
    }
    for (const i of state.identities ?? []) {
      let arr = this.identities.get(i.user_id);
      if (!arr) this.identities.set(i.user_id, (arr = []));
      arr.push(i);
    }
    this.sessions.restore(state.sessions ?? [], state.refreshTokens ?? []);
  }

  schedulePersist(): void {
    this.writer?.schedule();
  }

  /** Write pending state now (used on close). */
  async flush(): Promise<void> {
    await Promise.all([this.writer?.flush(), this.database?.settled()]);
  }
}
