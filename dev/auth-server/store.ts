// In-memory state of the Auth stand-in: users (shaped like `auth.users` rows), identities,
// their indexes and the change event of every user row; sessions and refresh tokens hang off
// it (sessions.ts), and so does the state file (persistence.ts).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { formatMicros, MicroClock, parseMicros } from './clock.js';
import { readState, StateWriter, type PersistedState } from './persistence.js';
import { PostgresSink, type CreateFlow, type UpdateFlow } from './postgres-sink.js';
import type { StoredIdentity, StoredUser, UserChangedEvent } from './rows.js';
import { SessionStore } from './sessions.js';
import { toUserJson, type UserJson } from './user-json.js';

export function cloneUser(u: StoredUser): StoredUser {
  return {
    ...u,
    raw_app_meta_data: structuredClone(u.raw_app_meta_data),
    raw_user_meta_data: structuredClone(u.raw_user_meta_data),
  };
}

/** The keys a user holds in Store.holders: its email (SSO users' are not unique) and its phone. */
function holderKeys(u: StoredUser): string[] {
  return [...(u.email && !u.is_sso_user ? ['e\0' + u.email.toLowerCase()] : []), ...(u.phone ? ['p\0' + u.phone] : [])];
}

/** `ts`, or the time `micros` when that is later. */
function atLeast(ts: string, micros: number): string {
  return parseMicros(ts) >= micros ? ts : formatMicros(micros);
}

function leastTs(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return parseMicros(a) <= parseMicros(b) ? a : b;
}

export class Store {
  readonly clock = new MicroClock();
  readonly users = new Map<string, StoredUser>();
  readonly identities = new Map<string, StoredIdentity[]>();
  readonly sessions = new SessionStore(
    this.clock,
    () => this.schedulePersist(),
    () => this.sink,
  );
  private readonly emailIndex = new Map<string, string>(); // aud \0 email -> id
  private readonly phoneIndex = new Map<string, string>(); // aud \0 phone -> id
  /** 'e' \0 email or 'p' \0 phone -> id, whatever the audience: the table's unique indexes span audiences. */
  private readonly holders = new Map<string, string>();
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
  private readonly writer: StateWriter | null = null;

  /** Writes users to the local Supabase database's auth schema as GoTrue would; none without one. */
  sink: PostgresSink | null = null;

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

  private indexUser(u: StoredUser): void {
    if (u.email) this.emailIndex.set(u.aud + '\0' + u.email.toLowerCase(), u.id);
    if (u.phone) this.phoneIndex.set(u.aud + '\0' + u.phone, u.id);
    for (const key of holderKeys(u)) this.holders.set(key, u.id);
  }

  private unindexUser(u: StoredUser): void {
    if (u.email) {
      const k = u.aud + '\0' + u.email.toLowerCase();
      if (this.emailIndex.get(k) === u.id) this.emailIndex.delete(k);
    }
    if (u.phone) {
      const k = u.aud + '\0' + u.phone;
      if (this.phoneIndex.get(k) === u.id) this.phoneIndex.delete(k);
    }
    for (const key of holderKeys(u)) if (this.holders.get(key) === u.id) this.holders.delete(key);
  }

  findByEmail(aud: string, email: string): StoredUser | undefined {
    const id = this.emailIndex.get(aud + '\0' + email.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  findByPhone(aud: string, phone: string): StoredUser | undefined {
    const id = this.phoneIndex.get(aud + '\0' + phone);
    return id === undefined ? undefined : this.users.get(id);
  }

  /**
   * Whether any user, in any audience, holds this email or phone: GoTrue's checks before its transaction are per
   * audience, but users_email_partial_key and users_phone_key span the table (auth-schema.sql).
   */
  heldAnywhere(email: string | null, phone: string | null): boolean {
    return (email !== null && this.holders.has('e\0' + email.toLowerCase())) || (phone !== null && this.holders.has('p\0' + phone));
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

  // ---------------------------------------------------------------- mutations

  newUserRow(fields: Partial<StoredUser> & { id?: string }): StoredUser {
    const now = this.clock.now();
    const u: StoredUser = {
      id: randomUUID(),
      aud: 'authenticated',
      role: 'authenticated',
      email: null,
      encrypted_password: null,
      email_confirmed_at: null,
      invited_at: null,
      confirmation_sent_at: null,
      recovery_sent_at: null,
      email_change: null,
      email_change_sent_at: null,
      last_sign_in_at: null,
      raw_app_meta_data: {},
      raw_user_meta_data: {},
      is_super_admin: null,
      created_at: now,
      updated_at: now,
      phone: null,
      phone_confirmed_at: null,
      phone_change: null,
      phone_change_sent_at: null,
      confirmed_at: null,
      reauthentication_sent_at: null,
      banned_until: null,
      deleted_at: null,
      is_sso_user: false,
      is_anonymous: false,
      ...fields,
    };
    u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
    return u;
  }

  /** Insert a new user (and its identities) as `flow` does. Emits INSERT. */
  insertUser(u: StoredUser, identities: StoredIdentity[] = [], flow: CreateFlow = 'admin'): StoredUser {
    u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
    // GoTrue's INSERT is followed by UPDATEs, each moving updated_at: the row's last is later than created_at.
    if (this.sink) u.updated_at = atLeast(u.updated_at, parseMicros(u.created_at) + PostgresSink.updatesAfterCreate(u, flow));
    this.clock.observe(u.updated_at);
    this.users.set(u.id, u);
    this.indexUser(u);
    if (identities.length) this.identities.set(u.id, identities);
    this.sorted = null;
    this.jsonCache.delete(u.id);
    this.sink?.userCreated(cloneUser(u), identities, flow);
    this.emit({ type: 'INSERT', user: cloneUser(u), oldUser: null });
    return u;
  }

  /**
   * Apply `mutate` to the user; bumps updated_at (strictly increasing) unless the mutation
   * set it explicitly, recomputes confirmed_at, re-indexes, emits UPDATE.
   */
  updateUser(u: StoredUser, mutate: (u: StoredUser) => void, flow: UpdateFlow = 'update'): StoredUser {
    const old = cloneUser(u);
    this.unindexUser(u);
    const before = u.updated_at;
    mutate(u);
    if (u.updated_at === before) u.updated_at = this.clock.now();
    if (this.sink) u.updated_at = atLeast(u.updated_at, parseMicros(before) + PostgresSink.updatesOf(flow));
    this.clock.observe(u.updated_at);
    u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
    this.indexUser(u);
    if (u.created_at !== old.created_at) this.sorted = null;
    this.jsonCache.delete(u.id);
    this.sink?.userUpdated(old, cloneUser(u), flow);
    this.emit({ type: 'UPDATE', user: cloneUser(u), oldUser: old });
    return u;
  }

  touchIdentities(userId: string): void {
    this.jsonCache.delete(userId);
    this.schedulePersist();
  }

  /** Hard delete: the row and everything referencing it (FK cascade). Emits DELETE. */
  deleteUser(u: StoredUser): void {
    const old = cloneUser(u);
    this.unindexUser(u);
    this.users.delete(u.id);
    this.identities.delete(u.id);
    this.sessions.deleteSessionsOf(u.id);
    this.sorted = null;
    this.jsonCache.delete(u.id);
    this.sink?.userDeleted(old);
    this.emit({ type: 'DELETE', user: null, oldUser: old });
  }

  private emit(ev: UserChangedEvent): void {
    this.schedulePersist();
    this.onChange?.(ev);
    if (this.events.listenerCount('user.changed') > 0) this.events.emit('user.changed', ev);
  }

  // ---------------------------------------------------------------- persistence

  private restore(state: PersistedState): void {
    for (const u of state.users ?? []) {
      this.users.set(u.id, u);
      this.indexUser(u);
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
    await Promise.all([this.writer?.flush(), this.sink?.settled()]);
  }
}
