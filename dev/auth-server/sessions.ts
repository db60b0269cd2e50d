// GoTrue's auth.sessions and auth.refresh_tokens in memory: the sessions of each user, the
// refresh tokens of each session, their rotation and revocation.
import { randomBytes, randomUUID } from 'node:crypto';
import type { MicroClock } from './clock.js';
import type { AuthDatabase } from './auth-database.js';
import type { AmrEntry, StoredRefreshToken, StoredSession } from './rows.js';

/** Who signed in: the User-Agent and address GoTrue records on a new session (GrantParams.FillGrantParams). */
export type SessionClient = Pick<StoredSession, 'user_agent' | 'ip'>;

export class SessionStore {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly sessionsByUser = new Map<string, Set<string>>();
  private readonly refreshTokens = new Map<string, StoredRefreshToken>();
  private readonly tokensBySession = new Map<string, Set<string>>();

  constructor(
    private readonly clock: MicroClock,
    /** Called after every change (the state file is written behind it). */
    private readonly changed: () => void,
    /** The local Supabase database's auth schema, where there is one. */
    private readonly database: () => AuthDatabase | null = () => null,
  ) {}

  get(sessionId: string): StoredSession | undefined {
    return this.sessions.get(sessionId);
  }

  refreshToken(token: string): StoredRefreshToken | undefined {
    return this.refreshTokens.get(token);
  }

  createSession(userId: string, amr: AmrEntry[], client: SessionClient = { user_agent: null, ip: null }): StoredSession {
    const now = this.clock.now();
    const s: StoredSession = { id: randomUUID(), user_id: userId, created_at: now, updated_at: now, aal: 'aal1', amr, ...client };
    this.sessions.set(s.id, s);
    let set = this.sessionsByUser.get(userId);
    if (!set) this.sessionsByUser.set(userId, (set = new Set()));
    set.add(s.id);
    this.database()?.sessionCreated(s);
    this.changed();
    return s;
  }

  deleteSession(sessionId: string): void {
    if (!this.drop(sessionId)) return;
    this.database()?.sessionDeleted(sessionId);
    this.changed();
  }

  /** Removes the session and its tokens from memory; whether there was one. */
  private drop(sessionId: string): boolean {
    const s = this.sessions.get(sessionId);
    if (!s) return false;
    this.sessions.delete(sessionId);
    this.sessionsByUser.get(s.user_id)?.delete(sessionId);
    const toks = this.tokensBySession.get(sessionId);
    if (toks) for (const t of toks) this.refreshTokens.delete(t);
    this.tokensBySession.delete(sessionId);
    return true;
  }

  /**
   * Takes the session as the database has it (null: it has none). auth.sessions keeps no amr (GoTrue
   * keeps it in mfa_amr_claims, not in the local schema): a session not made here since the start
   * counts as a password sign-in at its creation.
   */
  adopt(sessionId: string, row: { session: Omit<StoredSession, 'amr'>; tokens: StoredRefreshToken[] } | null): void {
    const amr = this.sessions.get(sessionId)?.amr ?? [
      { method: 'password', timestamp: Math.floor(Date.parse(row?.session.created_at ?? '') / 1000) },
    ];
    this.drop(sessionId);
    if (row) this.restore([{ ...row.session, amr }], row.tokens);
  }

  clear(): void {
    for (const id of [...this.sessions.keys()]) this.drop(id);
  }

  /** Logout of every session, or of all but one (models.Logout, LogoutAllExceptMe: one DELETE). */
  deleteSessionsOf(userId: string, exceptSessionId?: string): void {
    this.forgetSessionsOf(userId, exceptSessionId);
    this.database()?.userSessionsDeleted(userId, exceptSessionId ?? null);
    this.changed();
  }

  /** From memory only: the database dropped them itself (the user's row is gone, its sessions by the foreign key). */
  forgetSessionsOf(userId: string, exceptSessionId?: string): void {
    const set = this.sessionsByUser.get(userId);
    if (!set) return;
    for (const sid of [...set]) if (sid !== exceptSessionId) this.drop(sid);
    if (set.size === 0) this.sessionsByUser.delete(userId);
  }

  issueRefreshToken(session: StoredSession, parent: string | null): StoredRefreshToken {
    let token: string;
    do token = newRefreshToken();
    while (this.refreshTokens.has(token));
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
    this.database()?.refreshTokenIssued(rt);
    this.changed();
    return rt;
  }

  /** Marks a token used: its child is now the session's active token. */
  revokeToken(rt: StoredRefreshToken): void {
    rt.revoked = true;
    rt.updated_at = this.clock.now();
    this.database()?.refreshTokenRevoked(rt);
    this.changed();
  }

  /** A refresh of the session: GoTrue's UpdateOnlyRefreshInfo moves its refreshed_at and updated_at, and records the client. */
  refreshed(session: StoredSession, client: SessionClient): void {
    session.updated_at = this.clock.now();
    Object.assign(session, client);
    this.database()?.sessionRefreshed(session);
    this.changed();
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
    this.database()?.sessionTokensRevoked(sessionId);
    this.changed();
  }

  /** Everything, for the state file. */
  snapshot(): { sessions: StoredSession[]; refreshTokens: StoredRefreshToken[] } {
    return { sessions: [...this.sessions.values()], refreshTokens: [...this.refreshTokens.values()] };
  }

  /** Load from the state file; a token of a session not kept is dropped. */
  restore(sessions: StoredSession[], refreshTokens: StoredRefreshToken[]): void {
    for (const s of sessions) {
      this.sessions.set(s.id, s);
      let set = this.sessionsByUser.get(s.user_id);
      if (!set) this.sessionsByUser.set(s.user_id, (set = new Set()));
      set.add(s.id);
    }
    for (const t of refreshTokens) {
      if (!this.sessions.has(t.session_id)) continue;
      this.refreshTokens.set(t.token, t);
      let set = this.tokensBySession.get(t.session_id);
      if (!set) this.tokensBySession.set(t.session_id, (set = new Set()));
      set.add(t.token);
    }
  }
}

/** A v1 refresh token as GoTrue's crypto.SecureToken makes one: 12 characters of [a-z0-9]. */
export function newRefreshToken(): string {
  const bytes = randomBytes(12);
  let token = '';
  for (let i = 0; i < 12; i++) token += 'abcdefghijklmnopqrstuvwxyz0123456789'[bytes[i] % 36];
  return token;
}
