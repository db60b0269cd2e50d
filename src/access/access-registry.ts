import { sessionStartMs, type AuthenticatedUser } from '../common/authenticated-user.js';
import type { AccessEvent, CutoffEvent } from './access-events.js';

/** Why the guard refuses a verified token: each is also the error code it answers with. */
export type Refusal = 'user_deleted' | 'user_banned' | 'session_revoked' | 'token_stale';

interface Cutoff {
  sessionsRevokedBefore: number | null;
  keptSession: string | null;
  tokensStaleBefore: number | null;
  forgetAt: number;
}

/** What a starting (or reconnected) instance loads, as the events that made it. */
export interface AccessSnapshot {
  deleted: string[];
  bans: Array<{ user: string; until: string }>;
  sessions: Array<{ session: string; endedAt: string | null }>;
  cutoffs: CutoffEvent[];
}

/**
 * Who may no longer call, in memory, so the guard decides without a query (docs/design.md, invariant 9). A revoked session
 * is kept for the access-token lifetime after Supabase ended it (no token of it is valid by then, and none can be minted),
 * a cutoff for the lifetime after it.
 */
export class AccessRegistry {
  private readonly deleted = new Set<string>();
  private readonly bannedUntil = new Map<string, number>();
  /** Revoked session id → when to forget it (Infinity while Supabase may still refresh it). */
  private readonly revokedSessions = new Map<string, number>();
  private readonly cutoffs = new Map<string, Cutoff>();

  constructor(
    private readonly tokenLifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The refusal for this caller, or null: a few map lookups, on every guarded request. */
  refusal(user: AuthenticatedUser): Refusal | null {
    if (this.deleted.has(user.id)) return 'user_deleted';
    const ban = this.bannedUntil.get(user.id);
    if (ban !== undefined && ban > this.now()) return 'user_banned';
    const session = user.sessionId;
    if (session !== null && this.revokedSessions.has(session)) return 'session_revoked';
    const cutoff = this.cutoffs.get(user.id);
    if (cutoff === undefined) return null;
    // Claims have whole seconds: what happened in the cutoff's own second passes (a new sign-in must not be refused).
    const issuedAt = (user.claims.iat ?? 0) * 1000;
    if (
      cutoff.sessionsRevokedBefore !== null &&
      session !== cutoff.keptSession &&
      sessionStartMs(user.claims) < cutoff.sessionsRevokedBefore
    ) {
      return 'session_revoked';
    }
    if (cutoff.tokensStaleBefore !== null && issuedAt < cutoff.tokensStaleBefore) return 'token_stale';
    return null;
  }

  isDeleted(userId: string): boolean {
    return this.deleted.has(userId);
  }

  apply(event: AccessEvent): void {
    switch (event.kind) {
      case 'deleted':
        this.deleted.add(event.user);
        return;
      case 'ban': {
        const until = event.until === null ? NaN : Date.parse(event.until);
        if (until > this.now()) this.bannedUntil.set(event.user, until);
        else this.bannedUntil.delete(event.user);
        return;
      }
      case 'session': {
        const forgetAt = event.endedAt === null ? Infinity : Date.parse(event.endedAt) + this.tokenLifetimeMs;
        if (forgetAt > this.now()) this.revokedSessions.set(event.session, forgetAt);
        else this.revokedSessions.delete(event.session);
        return;
      }
      case 'cutoff':
        this.applyCutoff(event);
    }
  }

  /** Loads a snapshot: bans are replaced (a lifted ban is absent from it), everything else only ever adds. */
  load(snapshot: AccessSnapshot): void {
    for (const user of snapshot.deleted) this.deleted.add(user);
    this.bannedUntil.clear();
    for (const ban of snapshot.bans) this.apply({ kind: 'ban', ...ban });
    for (const session of snapshot.sessions) this.apply({ kind: 'session', ...session });
    for (const cutoff of snapshot.cutoffs) this.apply(cutoff);
  }

  /** Drops revocations whose tokens have all expired and bans that have ended; returns how many. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const map of [this.revokedSessions, this.bannedUntil] as Array<Map<string, number>>) {
      for (const [key, until] of map) {
        if (until <= now && map.delete(key)) dropped++;
      }
    }
    for (const [user, cutoff] of this.cutoffs) {
      if (cutoff.forgetAt <= now && this.cutoffs.delete(user)) dropped++;
    }
    return dropped;
  }

  /** Entries held, by kind (for tests and metrics). */
  get sizes(): { deleted: number; banned: number; revokedSessions: number; cutoffs: number } {
    return {
      deleted: this.deleted.size,
      banned: this.bannedUntil.size,
      revokedSessions: this.revokedSessions.size,
      cutoffs: this.cutoffs.size,
    };
  }

  private applyCutoff(event: CutoffEvent): void {
    const revoked = instant(event.sessionsRevokedBefore);
    const stale = instant(event.tokensStaleBefore);
    const forgetAt = Math.max(revoked ?? 0, stale ?? 0) + this.tokenLifetimeMs;
    if (forgetAt <= this.now()) return;
    const known = this.cutoffs.get(event.user);
    // Cutoffs only move forward: a late notification of an older one changes nothing.
    const keepNewer = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
    const sessionsRevokedBefore = keepNewer(known?.sessionsRevokedBefore ?? null, revoked);
    this.cutoffs.set(event.user, {
      sessionsRevokedBefore,
      keptSession: sessionsRevokedBefore === revoked ? event.keptSession : (known?.keptSession ?? null),
      tokensStaleBefore: keepNewer(known?.tokensStaleBefore ?? null, stale),
      forgetAt: Math.max(forgetAt, known?.forgetAt ?? 0),
    });
  }
}

/** An instant truncated to its second, as `iat` is: tokens issued in that second pass. */
function instant(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000) * 1000;
}
