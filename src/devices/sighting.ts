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
