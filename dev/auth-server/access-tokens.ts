// Access tokens with GoTrue's claim set, the token response of a grant, and a sign-in (a new
// session and refresh token).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { clientAddress } from './address-rate-limit.js';
import { header, type Json } from './http.js';
import type { SigningMode } from './jwt.js';
import type { StoredSession, StoredUser } from './rows.js';
import type { SessionClient } from './sessions.js';
import type { AuthState } from './state.js';

function accessTokenFor(s: AuthState, user: StoredUser, session: StoredSession, iat: number): string {
  return s.jwt.sign({
    iss: s.issuer,
    sub: user.id,
    aud: user.aud,
    exp: iat + s.ttl,
    iat,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data,
    user_metadata: user.raw_user_meta_data,
    role: user.role,
    aal: session.aal,
    amr: session.amr,
    session_id: session.id,
    is_anonymous: user.is_anonymous,
  });
}

export function tokenResponse(s: AuthState, user: StoredUser, session: StoredSession, refreshToken: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const access = accessTokenFor(s, user, session, iat);
  return (
    '{"access_token":' +
    JSON.stringify(access) +
    ',"token_type":"bearer","expires_in":' +
    s.ttl +
    ',"expires_at":' +
    (iat + s.ttl) +
    ',"refresh_token":' +
    JSON.stringify(refreshToken) +
    ',"user":' +
    s.store.userJsonString(user) +
    '}'
  );
}

/** The User-Agent and address a session records at sign-in and refresh (GrantParams.FillGrantParams, RefreshTokenGrant). */
export function sessionClient(s: AuthState, req: IncomingMessage): SessionClient {
  return { user_agent: header(req, 'user-agent') || null, ip: clientAddress(req, s.sbForwardedFor) };
}

/** Create a session (with the client `req` came from) + refresh token and record the sign-in (last_sign_in_at). */
export function signIn(s: AuthState, user: StoredUser, method: string, req: IncomingMessage): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const session = s.store.sessions.createSession(user.id, [{ method, timestamp: nowSec }], sessionClient(s, req));
  const rt = s.store.sessions.issueRefreshToken(session, null);
  // The identity is touched inside the mutation so that the change event (and any
  // delivery built from it) already sees the identity's new last_sign_in_at.
  s.store.updateUser(user, (u) => {
    u.last_sign_in_at = s.store.clock.now();
    const provider = u.email ? 'email' : 'phone';
    const ident = s.store.identitiesOf(u.id).find((i) => i.provider === provider);
    if (ident) {
      ident.last_sign_in_at = u.last_sign_in_at;
      ident.updated_at = u.last_sign_in_at;
    }
  });
  return tokenResponse(s, user, session, rt.token);
}

/** A token as GoTrue would sign it for a made-up session; `claimsOverride` sets or (undefined) drops claims. */
export function signTestToken(
  s: AuthState,
  claimsOverride: Record<string, unknown> = {},
  opts: { header?: Record<string, unknown>; key?: SigningMode } = {},
): string {
  const iat = Math.floor(Date.now() / 1000);
  const claims: Json = {
    iss: s.issuer,
    sub: randomUUID(),
    aud: 'authenticated',
    exp: iat + s.ttl,
    iat,
    email: '',
    phone: '',
    app_metadata: {},
    user_metadata: {},
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: iat }],
    session_id: randomUUID(),
    is_anonymous: false,
  };
  for (const [k, v] of Object.entries(claimsOverride)) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  return s.jwt.sign(claims, opts.key ?? s.signing, opts.header);
}
