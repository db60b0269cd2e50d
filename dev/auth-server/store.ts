// In-memory state of the Auth stand-in: users (shaped like `auth.users` rows), identities,
// sessions and refresh tokens, with optional write-behind persistence to a JSON file.
import { createHash, randomBytes, randomUUID, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A user as stored: the columns of GoTrue's `auth.users` row that this stand-in keeps. */
export interface StoredUser {
  id: string;
  aud: string;
  role: string;
  email: string | null;
  /** scrypt hash (`scrypt$N$r$p$salt$hash`), or null. Never a clear-text password. */
  encrypted_password: string | null;
  email_confirmed_at: string | null;
  invited_at: string | null;
  confirmation_sent_at: string | null;
  recovery_sent_at: string | null;
  email_change: string | null;
  email_change_sent_at: string | null;
  last_sign_in_at: string | null;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  is_super_admin: boolean | null;
  created_at: string;
  updated_at: string;
  phone: string | null;
  phone_confirmed_at: string | null;
  phone_change: string | null;
  phone_change_sent_at: string | null;
  /** Generated like the DB column: LEAST(email_confirmed_at, phone_confirmed_at). */
  confirmed_at: string | null;
  reauthentication_sent_at: string | null;
  banned_until: string | null;
  deleted_at: string | null;
  is_sso_user: boolean;
  is_anonymous: boolean;
}

export interface StoredIdentity {
  /** identities row id (serialised as `identity_id`). */
  id: string;
  /** provider's user id (serialised as `id`). */
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AmrEntry {
  method: string;
  timestamp: number;
}

export interface StoredSession {
  id: string;
  user_id: string;
  created_at: string;
  updated_at: string;
  aal: string;
  amr: AmrEntry[];
}

export interface StoredRefreshToken {
  token: string;
  session_id: string;
  user_id: string;
  revoked: boolean;
  parent: string | null;
  created_at: string;
  /** Set when the token is revoked: the reuse interval counts from it (GoTrue's refresh_tokens.updated_at). */
  updated_at?: string;
}

export interface IdentityJson {
  identity_id: string;
  id: string;
  user_id: string;
  identity_data?: Record<string, unknown>;
  provider: string;
  last_sign_in_at?: string;
  created_at: string;
  updated_at: string;
  email?: string;
}

/** The User object exactly as GoTrue serialises it (reference §2). */
export interface UserJson {
  id: string;
  aud: string;
  role: string;
  email: string;
  email_confirmed_at?: string;
  invited_at?: string;
  phone: string;
  phone_confirmed_at?: string;
  confirmation_sent_at?: string;
  confirmed_at?: string;
  recovery_sent_at?: string;
  new_email?: string;
  email_change_sent_at?: string;
  new_phone?: string;
  phone_change_sent_at?: string;
  reauthentication_sent_at?: string;
  last_sign_in_at?: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: IdentityJson[] | null;
  created_at: string;
  updated_at: string;
  banned_until?: string;
  deleted_at?: string;
  is_anonymous: boolean;
}

export interface UserChangedEvent {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  user: StoredUser | null;
  oldUser: StoredUser | null;
}

/** Strictly increasing wall clock with microsecond resolution, formatted like GoTrue. */
export class MicroClock {
  private last = 0;
  nowMicros(): number {
    let us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    if (us <= this.last) us = this.last + 1;
    this.last = us;
    return us;
  }
  /** Make sure later timestamps are after `ts` (used when loading persisted state). */
  observe(ts: string | null | undefined): void {
    const us = parseMicros(ts);
    if (us > this.last) this.last = us;
  }
  now(): string {
    return formatMicros(this.nowMicros());
  }
}

export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  return iso.slice(0, 23) + String(us - ms * 1000).padStart(3, '0') + 'Z';
}

export function parseMicros(ts: string | null | undefined): number {
  if (!ts) return 0;
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(ts);
  if (!m) {
    const ms = Date.parse(ts);
    return Number.isNaN(ms) ? 0 : ms * 1000;
  }
  const base = Date.parse(m[1] + m[3]);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

// ---------------------------------------------------------------------------------------
// Passwords (scrypt with fast parameters: this is a development server)

const SCRYPT_N = 4096;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_LEN = 32;

export function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_LEN, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P }, (err, key) => {
      if (err) reject(err);
      else resolve(`scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`);
    });
  });
}

export function hashPasswordSync(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, SCRYPT_LEN, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P });
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function verifyPassword(password: string, encoded: string | null): Promise<boolean> {
  if (!encoded) return Promise.resolve(false);
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return Promise.resolve(false);
  const [, n, r, p, saltB64, keyB64] = parts;
  const expected = Buffer.from(keyB64, 'base64');
  return new Promise((resolve) => {
    scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) }, (err, key) => {
      resolve(!err && key.length === expected.length && timingSafeEqual(key, expected));
    });
  });
}

// ---------------------------------------------------------------------------------------

export function cloneUser(u: StoredUser): StoredUser {
  return {
    ...u,
    raw_app_meta_data: structuredClone(u.raw_app_meta_data),
    raw_user_meta_data: structuredClone(u.raw_user_meta_data),
  };
}

function leastTs(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return parseMicros(a) <= parseMicros(b) ? a : b;
}

/** SHA-256 based obfuscation exactly like GoTrue's soft delete (`obfuscateValue`). */
export function obfuscateValue(id: string, value: string): string {
  return createHash('sha256')
    .update(id + value)
    .digest('base64url');
}

function identityJson(i: StoredIdentity): IdentityJson {
  const o: Record<string, unknown> = {
    identity_id: i.id,
    id: i.provider_id,
    user_id: i.user_id,
    identity_data: i.identity_data,
    provider: i.provider,
  };
  if (i.last_sign_in_at) o.last_sign_in_at = i.last_sign_in_at;
  o.created_at = i.created_at;
  o.updated_at = i.updated_at;
  const email = i.identity_data?.email;
  if (typeof email === 'string' && email !== '') o.email = email.toLowerCase();
  return o as unknown as IdentityJson;
}

export function toUserJson(u: StoredUser, identities: StoredIdentity[] | null): UserJson {
  const o: Record<string, unknown> = { id: u.id, aud: u.aud, role: u.role, email: u.email ?? '' };
  if (u.email_confirmed_at) o.email_confirmed_at = u.email_confirmed_at;
  if (u.invited_at) o.invited_at = u.invited_at;
  o.phone = u.phone ?? '';
  if (u.phone_confirmed_at) o.phone_confirmed_at = u.phone_confirmed_at;
  if (u.confirmation_sent_at) o.confirmation_sent_at = u.confirmation_sent_at;
  if (u.confirmed_at) o.confirmed_at = u.confirmed_at;
  if (u.recovery_sent_at) o.recovery_sent_at = u.recovery_sent_at;
  if (u.email_change) o.new_email = u.email_change;
  if (u.email_change_sent_at) o.email_change_sent_at = u.email_change_sent_at;
  if (u.phone_change) o.new_phone = u.phone_change;
  if (u.phone_change_sent_at) o.phone_change_sent_at = u.phone_change_sent_at;
  if (u.reauthentication_sent_at) o.reauthentication_sent_at = u.reauthentication_sent_at;
  if (u.last_sign_in_at) o.last_sign_in_at = u.last_sign_in_at;
  o.app_metadata = u.raw_app_meta_data;
  o.user_metadata = u.raw_user_meta_data;
  o.identities = identities === null ? null : identities.map(identityJson);
  o.created_at = u.created_at;
  o.updated_at = u.updated_at;
  if (u.banned_until) o.banned_until = u.banned_until;
  if (u.deleted_at) o.deleted_at = u.deleted_at;
  o.is_anonymous = u.is_anonymous;
  return o as unknown as UserJson;
}

/** Shallow merge; a key set to null is deleted (GoTrue's UpdateUserMetaData/UpdateAppMetaData). */
export function mergeMetadata(target: Record<string, unknown>, updates: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(updates)) {
    if (v === null) delete target[k];
    else target[k] = v;
  }
}

interface PersistedState {
  version: 1;
  users: StoredUser[];
  identities: StoredIdentity[];
  sessions: StoredSession[];
  refreshTokens: StoredRefreshToken[];
}

export class Store {
  readonly clock = new MicroClock();
  readonly users = new Map<string, StoredUser>();
  readonly identities = new Map<string, StoredIdentity[]>();
  readonly sessions = new Map<string, StoredSession>();
  readonly sessionsByUser = new Map<string, Set<string>>();
  readonly refreshTokens = new Map<string, StoredRefreshToken>();
  readonly tokensBySession = new Map<string, Set<string>>();
  private readonly emailIndex = new Map<string, string>(); // aud \0 email -> id
  private readonly phoneIndex = new Map<string, string>(); // aud \0 phone -> id
  /** Users sorted by created_at ascending; rebuilt lazily. */
  private sorted: StoredUser[] | null = null;
  /** Cached serialisation of GET-style user JSON (with identities), per user id. */
  private readonly jsonCache = new Map<string, string>();

  /**
   * Called synchronously with every change before the 'user.changed' event, independent of
   * the emitter's listeners (the deliveries hang here). Must not mutate `ev`.
   */
  onChange: ((ev: UserChangedEvent) => void) | null = null;

  private persistTimer: NodeJS.Timeout | null = null;
  private persistRunning: Promise<void> | null = null;
  private persistDirty = false;

  constructor(
    readonly events: EventEmitter,
    private readonly persistPath?: string,
  ) {
    if (persistPath && existsSync(persistPath)) this.load(persistPath);
  }

  // ---------------------------------------------------------------- indexes & lookups

  private indexUser(u: StoredUser): void {
    if (u.email) this.emailIndex.set(u.aud + '\0' + u.email.toLowerCase(), u.id);
    if (u.phone) this.phoneIndex.set(u.aud + '\0' + u.phone, u.id);
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
  }

  findByEmail(aud: string, email: string): StoredUser | undefined {
    const id = this.emailIndex.get(aud + '\0' + email.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  findByPhone(aud: string, phone: string): StoredUser | undefined {
    const id = this.phoneIndex.get(aud + '\0' + phone);
    return id === undefined ? undefined : this.users.get(id);
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

  /** Insert a new user (and its identities). Emits INSERT. */
  insertUser(u: StoredUser, identities: StoredIdentity[] = []): StoredUser {
    u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
    this.clock.observe(u.updated_at);
    this.users.set(u.id, u);
    this.indexUser(u);
    if (identities.length) this.identities.set(u.id, identities);
    this.sorted = null;
    this.jsonCache.delete(u.id);
    this.emit({ type: 'INSERT', user: cloneUser(u), oldUser: null });
    return u;
  }

  /**
   * Apply `mutate` to the user; bumps updated_at (strictly increasing) unless the mutation
   * set it explicitly, recomputes confirmed_at, re-indexes, emits UPDATE.
   */
  updateUser(u: StoredUser, mutate: (u: StoredUser) => void): StoredUser {
    const old = cloneUser(u);
    this.unindexUser(u);
    const before = u.updated_at;
    mutate(u);
    if (u.updated_at === before) u.updated_at = this.clock.now();
    else this.clock.observe(u.updated_at);
    u.confirmed_at = leastTs(u.email_confirmed_at, u.phone_confirmed_at);
    this.indexUser(u);
    if (u.created_at !== old.created_at) this.sorted = null;
    this.jsonCache.delete(u.id);
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
    this.deleteSessionsOf(u.id);
    this.sorted = null;
    this.jsonCache.delete(u.id);
    this.emit({ type: 'DELETE', user: null, oldUser: old });
  }

  private emit(ev: UserChangedEvent): void {
    this.schedulePersist();
    this.onChange?.(ev);
    if (this.events.listenerCount('user.changed') > 0) this.events.emit('user.changed', ev);
  }

  // ---------------------------------------------------------------- sessions & tokens

  createSession(userId: string, amr: AmrEntry[]): StoredSession {
    const now = this.clock.now();
    const s: StoredSession = { id: randomUUID(), user_id: userId, created_at: now, updated_at: now, aal: 'aal1', amr };
    this.sessions.set(s.id, s);
    let set = this.sessionsByUser.get(userId);
    if (!set) this.sessionsByUser.set(userId, (set = new Set()));
    set.add(s.id);
    this.schedulePersist();
    return s;
  }

  deleteSession(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sessions.delete(sessionId);
    this.sessionsByUser.get(s.user_id)?.delete(sessionId);
    const toks = this.tokensBySession.get(sessionId);
    if (toks) for (const t of toks) this.refreshTokens.delete(t);
    this.tokensBySession.delete(sessionId);
    this.schedulePersist();
  }

  deleteSessionsOf(userId: string, exceptSessionId?: string): void {
    const set = this.sessionsByUser.get(userId);
    if (!set) return;
    for (const sid of [...set]) if (sid !== exceptSessionId) this.deleteSession(sid);
    if (set.size === 0) this.sessionsByUser.delete(userId);
  }

  issueRefreshToken(session: StoredSession, parent: string | null): StoredRefreshToken {
    // Legacy-format refresh token: 12 characters of [a-z0-9], like GoTrue's v1 tokens.
    let token: string;
    do {
      const bytes = randomBytes(12);
      token = '';
      for (let i = 0; i < 12; i++) token += 'abcdefghijklmnopqrstuvwxyz0123456789'[bytes[i] % 36];
    } while (this.refreshTokens.has(token));
    const rt: StoredRefreshToken = {
      token,
      session_id: session.id,
      user_id: session.user_id,
      revoked: false,
      parent,
      created_at: this.clock.now(),
    };
    this.refreshTokens.set(token, rt);
    let set = this.tokensBySession.get(session.id);
    if (!set) this.tokensBySession.set(session.id, (set = new Set()));
    set.add(token);
    this.schedulePersist();
    return rt;
  }

  /** Marks a token used: its child is now the session's active token. */
  revokeToken(rt: StoredRefreshToken): void {
    rt.revoked = true;
    rt.updated_at = this.clock.now();
    this.schedulePersist();
  }

  /** The session's newest token not revoked (GoTrue's FindCurrentlyActiveRefreshToken), if any. */
  activeTokenOf(sessionId: string): StoredRefreshToken | null {
    let active: StoredRefreshToken | null = null;
    for (const token of this.tokensBySession.get(sessionId) ?? []) {
      const rt = this.refreshTokens.get(token);
      if (rt && !rt.revoked && (!active || rt.created_at >= active.created_at)) active = rt;
    }
    return active;
  }

  revokeTokenFamily(sessionId: string): void {
    const set = this.tokensBySession.get(sessionId);
    if (set)
      for (const t of set) {
        const rt = this.refreshTokens.get(t);
        if (rt) rt.revoked = true;
      }
    this.schedulePersist();
  }

  // ---------------------------------------------------------------- persistence

  private load(path: string): void {
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
    } catch (e) {
      throw new Error(`auth stand-in: cannot read state file ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (!state || state.version !== 1) throw new Error(`auth stand-in: unsupported state file ${path}`);
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
    for (const s of state.sessions ?? []) {
      this.sessions.set(s.id, s);
      let set = this.sessionsByUser.get(s.user_id);
      if (!set) this.sessionsByUser.set(s.user_id, (set = new Set()));
      set.add(s.id);
    }
    for (const t of state.refreshTokens ?? []) {
      if (!this.sessions.has(t.session_id)) continue;
      this.refreshTokens.set(t.token, t);
      let set = this.tokensBySession.get(t.session_id);
      if (!set) this.tokensBySession.set(t.session_id, (set = new Set()));
      set.add(t.token);
    }
  }

  schedulePersist(): void {
    if (!this.persistPath) return;
    this.persistDirty = true;
    if (this.persistTimer || this.persistRunning) return; // a running loop picks it up
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      void this.startPersistLoop();
    }, 25);
  }

  private startPersistLoop(): Promise<void> {
    if (!this.persistRunning) {
      this.persistRunning = this.persistLoop().finally(() => {
        this.persistRunning = null;
        // A change that slipped in after the loop's last check.
        if (this.persistDirty) this.schedulePersist();
      });
    }
    return this.persistRunning;
  }

  /** Writes until no change is pending; one loop at a time (single writer, atomic rename). */
  private async persistLoop(): Promise<void> {
    const path = this.persistPath!;
    while (this.persistDirty) {
      this.persistDirty = false;
      const state: PersistedState = {
        version: 1,
        users: this.listSorted(),
        identities: [...this.identities.values()].flat(),
        sessions: [...this.sessions.values()],
        refreshTokens: [...this.refreshTokens.values()],
      };
      const data = JSON.stringify(state);
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        mkdirSync(dirname(path), { recursive: true });
        await writeFile(tmp, data, { mode: 0o600 });
        await rename(tmp, path);
      } catch (e) {
        process.emitWarning(`auth stand-in: could not persist state: ${(e as Error).message}`);
      }
    }
  }

  /** Write pending state now (used on close). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.persistTimer) {
        clearTimeout(this.persistTimer);
        this.persistTimer = null;
      }
      if (this.persistRunning) await this.persistRunning;
      else if (this.persistDirty && this.persistPath) await this.startPersistLoop();
      else return;
    }
  }
}
