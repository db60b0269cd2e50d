import type { Session } from '@supabase/supabase-js';
import { sessionIdOf, type AccessTokenClaims, type AuthenticatedUser } from '../common/authenticated-user.js';
import { isUuid } from '../common/uuid.js';

/**
 * The caller a session Supabase just issued stands for. Its access token came straight from Supabase over this service's
 * own call, so its claims are read, not verified.
 */
export function callerOfSession(session: Session): AuthenticatedUser | null {
  try {
    const claims = JSON.parse(Buffer.from(session.access_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as AccessTokenClaims;
    if (!isUuid(claims.sub)) return null;
    return { id: claims.sub.toLowerCase(), sessionId: sessionIdOf(claims), claims };
  } catch {
    return null;
  }
}
