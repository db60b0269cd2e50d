import { sessionStartMs, type AuthenticatedUser } from '../common/authenticated-user.js';

/** A session seen in a token or a sign-in: the device it is. */
export interface Sighting {
  sessionId: string;
  userId: string;
  /** Kept to its first 512 characters. */
  userAgent: string | null;
  ip: string | null;
  at: Date;
  /** When the session began (its first sign-in): a session begun before a logout of others is not recorded after it. */
  startedAt: Date;
  /** Set by the user at sign-in (OTP verify); null keeps the stored name. */
  name?: string | null;
}

/** The device a caller's token stands for, seen now from `client`; null for a token without a session. */
export function sightingOf(
  caller: AuthenticatedUser | null,
  client: Pick<Sighting, 'ip' | 'userAgent'>,
  name?: string | null,
): Sighting | null {
  if (!caller || caller.sessionId === null) return null;
  return {
    sessionId: caller.sessionId,
    userId: caller.id,
    userAgent: client.userAgent,
    ip: client.ip,
    at: new Date(),
    startedAt: new Date(sessionStartMs(caller.claims)),
    name,
  };
}

/** A device's last-seen moves at most this often: a busy session costs one write a minute, not one a request. */
export const LAST_SEEN_EVERY_MS = 60_000;

/** Keys added within the last `ttlMs`; older ones are dropped as new ones arrive, so it holds about a window's worth. */
export class RecentSet {
  private readonly addedAt = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  has(key: string): boolean {
    const at = this.addedAt.get(key);
    return at !== undefined && Date.now() - at < this.ttlMs;
  }

  add(key: string): void {
    const now = Date.now();
    // Insertion order is age order (a re-added key moves to the end): drop from the front while expired.
    this.addedAt.delete(key);
    this.addedAt.set(key, now);
    for (const [oldest, at] of this.addedAt) {
      if (now - at < this.ttlMs) break;
      this.addedAt.delete(oldest);
    }
  }

  delete(key: string): void {
    this.addedAt.delete(key);
  }

  get size(): number {
    return this.addedAt.size;
  }
}
