// Local development stand-in for Supabase Auth (GoTrue), speaking its HTTP contract
// (see /work/shared/reference/supabase-auth.md, sections 1-5 and 8). Plain node:http,
// state in memory, optionally persisted to a JSON file. DEVELOPMENT ONLY.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DeliveryQueue, type AuthServerDeliveries } from './deliveries.js';
import type { DeliveryTarget } from './delivery-target.js';
import { DEV_KEYS, type DevKeys } from './dev-keys.js';
import { ApiError, CORS_HEADERS, sendError, validationFailed, wantsNewFormat } from './errors.js';
import {
  NIL_UUID,
  UUID_RE,
  getBool,
  getObject,
  getString,
  goEncodeValues,
  header,
  parseBearer,
  parseGoDuration,
  queryParams,
  readJson,
  send,
  validateEmail,
  validatePhone,
  type Ctx,
  type Json,
} from './http.js';
import { JwtError, JwtKeys, type SigningMode } from './jwt.js';
import { emailFlows } from './email-flows.js';
import { Mailbox, type MailMessage } from './mailbox.js';
import { AddressRateLimit } from './address-rate-limit.js';
import { parseMicros } from './clock.js';
import { hashPassword, hashPasswordSync, verifyPassword } from './passwords.js';
import type { StoredIdentity, StoredSession, StoredUser, UserChangedEvent } from './rows.js';
import { Store } from './store.js';
import { toUserJson, type UserJson } from './user-json.js';
import { mergeMetadata, obfuscateValue } from './user-rows.js';

export type { DevKeys } from './dev-keys.js';
export type { AuthServerDeliveries, DeliveryOutcome, DeliveryRecord, ReleaseOrder } from './deliveries.js';
export type { DeliveryChaos } from './delivery-chaos.js';
export type { DeliveryTarget } from './delivery-target.js';
export type { DatabaseWebhookBody, SignedEventBody, AuthUsersRow } from './delivery-payloads.js';
export { DEV_KEYS, isDevKey } from './dev-keys.js';
export type { StoredUser, StoredIdentity, UserChangedEvent } from './rows.js';
export type { UserJson, IdentityJson } from './user-json.js';

export interface AuthServerOptions {
  /** 0 = random; default 0 */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default 'es256' (ES256 with a kid, listed in JWKS); 'hs256' = legacy secret, no kid, JWKS {keys:[]} */
  signing?: SigningMode;
  /** "Confirm email" off when true; default false (like Supabase) */
  autoconfirm?: boolean;
  /** JSON file for state (write-behind, atomic rename); default none (memory only) */
  persistPath?: string;
  /** default 3600 */
  accessTokenTtlSeconds?: number;
  /** default 6 */
  minPasswordLength?: number;
  /** no per-request log lines when true */
  quiet?: boolean;
  /** Send a webhook delivery on every user change (see AuthServer.deliveries); default none. */
  deliveries?: DeliveryTarget;
  /** GOTRUE_RATE_LIMIT_TOKEN_REFRESH: POST /token calls per 5 minutes per address, bursts of 30; default 150, 0 = off. */
  rateLimitTokenRefresh?: number;
  /** GOTRUE_RATE_LIMIT_VERIFY: GET and POST /verify per 5 minutes per address, bursts of 30; default 30, 0 = off. */
  rateLimitVerify?: number;
  /** GOTRUE_RATE_LIMIT_OTP: /signup, /recover, /resend and PUT /user, each per 5 minutes per address; default 30, 0 = off. */
  rateLimitOtp?: number;
  /** GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED: rate-limit by the Sb-Forwarded-For address; default false. */
  sbForwardedFor?: boolean;
  /** GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL, in seconds; default 10. */
  refreshTokenReuseIntervalSeconds?: number;
  /** GOTRUE_RATE_LIMIT_EMAIL_SENT: emails an hour across all users; default 30, 0 = off. */
  rateLimitEmailSent?: number;
  /** GOTRUE_SITE_URL: where email links lead when their redirect_to is not allowed; default http://127.0.0.1:3000. */
  siteUrl?: string;
}

export interface AuthFault {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Tested against the request path including the query string, e.g. /auth/v1/admin/users?page=1. */
  path: RegExp;
  /**
   * 0 = destroy the socket (network error); 2xx/3xx = let the request through (use with
   * delayMs); anything else = answer with that status and an error body.
   */
  status: number;
  /** Error code in the body; default 'unexpected_failure' for 5xx, else 'unknown'. */
  code?: string;
  message?: string;
  /** How many requests to affect; default: all until cleared. */
  times?: number;
  /** Wait this long before failing / passing through. */
  delayMs?: number;
  /**
   * With a 2xx status: the request is handled at once and its answer leaves this much later, so
   * a client that gives up first never hears that it was done (the change is made all the same).
   */
  lateAnswerMs?: number;
}

export type BulkUserFields = Partial<StoredUser> & { password?: string };

export interface AuthServerAdmin {
  getUser(id: string): UserJson | null;
  /** Patch the stored row directly (DB column names); bumps updated_at unless given; emits UPDATE. */
  updateUserRaw(id: string, patch: Partial<StoredUser>): UserJson;
  userCount(): number;
  /** Insert n confirmed email users quickly (default password 'password123'); emits INSERT per user. */
  bulkInsert(n: number, make?: (i: number) => BulkUserFields): void;
}

export interface AuthServer {
  /** e.g. http://127.0.0.1:54321 (the SUPABASE_URL; routes live under /auth/v1) */
  url: string;
  /** `${url}/auth/v1` */
  issuer: string;
  keys: DevKeys;
  close(): Promise<void>;
  /** emits 'user.changed' with UserChangedEvent after every change of a user row */
  events: EventEmitter;
  faults: { add(f: AuthFault): void; clear(): void };
  admin: AuthServerAdmin;
  /** Webhook deliveries on user changes (Database Webhook or Standard Webhooks form), with chaos controls. */
  deliveries: AuthServerDeliveries;
  /** What the stand-in would have emailed (confirmation and recovery links, codes), newest first. */
  mailbox: { list(to?: string): MailMessage[] };
  /** Request counters, keyed by "METHOD /auth/v1/path" (no query). */
  stats: { count(method: string, path: string): number; reset(): void };
  signAccessToken(claimsOverride?: Record<string, unknown>, opts?: { header?: Record<string, unknown>; key?: SigningMode }): string;
}

const PREFIX = '/auth/v1';
const ADMIN_ROLES = new Set(['service_role', 'supabase_admin']);

interface AuthResult {
  user: StoredUser;
  session: StoredSession | null;
  claims: Json;
}

/**
 * GoTrue pages the admin list with ORDER BY created_at LIMIT … OFFSET … and nothing after
 * created_at (internal/models/user.go FindUsersInAudience): users with equal created_at (a bulk
 * import) come in whatever order Postgres' sort returns for that page, so from one page to the
 * next they may be skipped or repeated. Each request here orders them anew, at random.
 */
function shuffleTies(users: StoredUser[]): void {
  for (let start = 0; start < users.length;) {
    let end = start + 1;
    while (end < users.length && users[end].created_at === users[start].created_at) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(Math.random() * (i - start + 1));
      [users[i], users[j]] = [users[j], users[i]];
    }
    start = end;
  }
}

/** Holds the answer back: `end` (which sends the head too) runs `ms` later. */
function answerLate(res: ServerResponse, ms: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    setTimeout(() => end(...args), ms).unref();
    return res;
  }) as ServerResponse['end'];
}

function isBanned(u: StoredUser): boolean {
  return !!u.banned_until && parseMicros(u.banned_until) > Date.now() * 1000;
}

// ----------------------------------------------------------------------------- server

export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const signing: SigningMode = options.signing ?? 'es256';
  const autoconfirm = options.autoconfirm ?? false;
  const ttl = options.accessTokenTtlSeconds ?? 3600;
  const minPasswordLength = options.minPasswordLength ?? 6;
  const quiet = options.quiet ?? false;
  const jwt = new JwtKeys(signing);
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const store = new Store(events, options.persistPath);
  const mailbox = new Mailbox();
  const emailFlow = emailFlows({
    store,
    mailbox,
    externalUrl: () => issuer,
    siteUrl: options.siteUrl ?? 'http://127.0.0.1:3000',
    emailsPerHour: options.rateLimitEmailSent ?? 30,
    signIn: (user, method) => signIn(user, method),
    confirmEmail: (user) => store.updateUser(user, (u) => confirmEmail(u, store.identitiesOf(u.id), store.clock.now())),
  });
  const perAddress = (perFiveMinutes: number) => new AddressRateLimit({ perFiveMinutes, sbForwardedFor: options.sbForwardedFor ?? false });
  const otpRate = options.rateLimitOtp ?? 30;
  // One limiter per route, as GoTrue's limiterOpts (internal/api/apilimiter/apilimiter.go).
  const limits = {
    token: perAddress(options.rateLimitTokenRefresh ?? 150),
    verify: perAddress(options.rateLimitVerify ?? 30),
    signup: perAddress(otpRate),
    recover: perAddress(otpRate),
    resend: perAddress(otpRate),
    user: perAddress(otpRate),
  };
  const reuseIntervalMs = (options.refreshTokenReuseIntervalSeconds ?? 10) * 1000;
  const deliveries = new DeliveryQueue((id) => store.identitiesOf(id), quiet);
  if (options.deliveries) deliveries.configure(options.deliveries);
  store.onChange = (ev) => deliveries.onUserChanged(ev);
  let issuer = '';

  const knownApiKeys = new Set([DEV_KEYS.anonKey, DEV_KEYS.serviceRoleKey, DEV_KEYS.publishableKey, DEV_KEYS.secretKey]);
  const jwksBody = JSON.stringify({ keys: signing === 'es256' ? [jwt.publicJwk] : [] });

  interface ActiveFault extends AuthFault {
    remaining: number;
  }
  let faults: ActiveFault[] = [];
  const counters = new Map<string, number>();

  // -------------------------------------------------------------------------- auth checks

  /** GoTrue's checkPasswordStrength (internal/api/password.go): signup, PUT /user, admin update; never admin create. */
  function checkPassword(password: string): void {
    if (Buffer.byteLength(password) > 72) throw validationFailed('Password cannot be longer than 72 characters');
    if (password.length < minPasswordLength) {
      throw new ApiError(422, 'weak_password', `Password should be at least ${minPasswordLength} characters.`, {
        weak_password: { reasons: ['length'] },
      });
    }
  }

  function requestAud(req: IncomingMessage): string {
    return header(req, 'x-jwt-aud') || 'authenticated';
  }

  /** Claims of the bearer as GoTrue would see them behind the gateway. */
  function bearerClaims(bearer: string): Json {
    // The gateway turns new-style keys into short-lived role JWTs without a sub.
    if (bearer === DEV_KEYS.secretKey) return { role: 'service_role' };
    if (bearer === DEV_KEYS.publishableKey) return { role: 'anon' };
    try {
      return jwt.verify(bearer).payload;
    } catch (e) {
      if (e instanceof JwtError) {
        throw new ApiError(403, 'bad_jwt', 'invalid JWT: unable to parse or verify signature, ' + e.message);
      }
      throw e;
    }
  }

  function requireAdmin(ctx: Ctx): void {
    let bearer = parseBearer(ctx.req);
    if (!bearer) {
      const apikey = header(ctx.req, 'apikey');
      // The gateway mints a role JWT from an sb_ key when no Authorization is sent.
      if (apikey === DEV_KEYS.secretKey || apikey === DEV_KEYS.publishableKey) bearer = apikey;
    }
    if (!bearer) throw new ApiError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
    const claims = bearerClaims(bearer);
    const role = claims.role;
    if (typeof role !== 'string' || !ADMIN_ROLES.has(role)) throw new ApiError(403, 'not_admin', 'User not allowed');
  }

  function authenticate(ctx: Ctx): AuthResult {
    const bearer = parseBearer(ctx.req);
    if (!bearer) throw new ApiError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
    const claims = bearerClaims(bearer);
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub === '') throw new ApiError(403, 'bad_jwt', 'invalid claim: missing sub claim');
    if (!UUID_RE.test(sub)) throw new ApiError(400, 'bad_jwt', 'invalid claim: sub claim must be a UUID');
    const user = store.users.get(sub.toLowerCase());
    if (!user) throw new ApiError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
    let session: StoredSession | null = null;
    const sid = claims.session_id;
    if (typeof sid === 'string' && sid !== '' && sid !== NIL_UUID) {
      if (!UUID_RE.test(sid)) throw new ApiError(403, 'bad_jwt', 'invalid claim: session_id claim must be a UUID');
      session = store.sessions.get(sid.toLowerCase()) ?? null;
      if (!session) throw new ApiError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
    }
    if (isBanned(user)) throw new ApiError(403, 'user_banned', 'User is banned');
    return { user, session, claims };
  }

  // -------------------------------------------------------------------------- tokens

  function accessTokenFor(user: StoredUser, session: StoredSession, iat: number): string {
    return jwt.sign({
      iss: issuer,
      sub: user.id,
      aud: user.aud,
      exp: iat + ttl,
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

  function tokenResponse(user: StoredUser, session: StoredSession, refreshToken: string): string {
    const iat = Math.floor(Date.now() / 1000);
    const access = accessTokenFor(user, session, iat);
    return (
      '{"access_token":' +
      JSON.stringify(access) +
      ',"token_type":"bearer","expires_in":' +
      ttl +
      ',"expires_at":' +
      (iat + ttl) +
      ',"refresh_token":' +
      JSON.stringify(refreshToken) +
      ',"user":' +
      store.userJsonString(user) +
      '}'
    );
  }

  /** Create a session + refresh token and record the sign-in (last_sign_in_at). */
  function signIn(user: StoredUser, method: string): string {
    const nowSec = Math.floor(Date.now() / 1000);
    const session = store.sessions.createSession(user.id, [{ method, timestamp: nowSec }]);
    const rt = store.sessions.issueRefreshToken(session, null);
    // The identity is touched inside the mutation so that the change event (and any
    // delivery built from it) already sees the identity's new last_sign_in_at.
    store.updateUser(user, (u) => {
      u.last_sign_in_at = store.clock.now();
      const provider = u.email ? 'email' : 'phone';
      const ident = store.identitiesOf(u.id).find((i) => i.provider === provider);
      if (ident) {
        ident.last_sign_in_at = u.last_sign_in_at;
        ident.updated_at = u.last_sign_in_at;
      }
    });
    return tokenResponse(user, session, rt.token);
  }

  // -------------------------------------------------------------------------- user building

  function makeIdentity(user: StoredUser, provider: 'email' | 'phone', extra?: Json): StoredIdentity {
    const data: Json = { sub: user.id };
    if (provider === 'email') data.email = user.email ?? '';
    else data.phone = user.phone ?? '';
    data.email_verified = false;
    data.phone_verified = false;
    if (extra) for (const [k, v] of Object.entries(extra)) if (!(k in data)) data[k] = v;
    return {
      id: randomUUID(),
      provider_id: user.id,
      user_id: user.id,
      identity_data: data,
      provider,
      last_sign_in_at: null,
      created_at: user.created_at,
      updated_at: user.created_at,
    };
  }

  /** GoTrue's User.Confirm: email_confirmed_at + email_verified in metadata and identity. */
  function confirmEmail(u: StoredUser, identities: StoredIdentity[], now: string): void {
    u.email_confirmed_at = now;
    u.raw_user_meta_data.email_verified = true;
    for (const i of identities) if (i.provider === 'email') i.identity_data.email_verified = true;
  }

  function confirmPhone(u: StoredUser, identities: StoredIdentity[], now: string): void {
    u.phone_confirmed_at = now;
    for (const i of identities) if (i.provider === 'phone') i.identity_data.phone_verified = true;
  }

  /** The obfuscated fake user GoTrue returns for a repeated signup (sanitizeUser). */
  function sanitizedUser(user: StoredUser, provider: string, data: Json): UserJson {
    const now = store.clock.now();
    const fake = store.newUserRow({
      ...user,
      id: randomUUID(),
      role: '',
      aud: '',
      email: provider === 'email' ? user.email : null,
      phone: provider === 'phone' ? user.phone : null,
      email_change: null,
      created_at: now,
      updated_at: now,
      confirmation_sent_at: now,
      last_sign_in_at: null,
      email_change_sent_at: null,
      email_confirmed_at: null,
      phone_confirmed_at: null,
      raw_user_meta_data: data,
      raw_app_meta_data: { provider, providers: [provider] },
    });
    fake.confirmed_at = null;
    return toUserJson(fake, []);
  }

  // -------------------------------------------------------------------------- handlers

  async function handleSignup(ctx: Ctx): Promise<void> {
    const body = await readJson(ctx);
    let email = getString(body, 'email');
    let phone = getString(body, 'phone');
    const password = getString(body, 'password');
    const data = getObject(body, 'data') ?? {};
    getString(body, 'channel');
    getString(body, 'code_challenge');
    getString(body, 'code_challenge_method');
    if (email && phone) throw validationFailed('Only an email address or phone number should be provided on signup.');
    if (!email && !phone) {
      if (!password) throw new ApiError(422, 'anonymous_provider_disabled', 'Anonymous sign-ins are disabled');
      throw validationFailed('To signup, please provide your email or phone number');
    }
    limits.signup.take(ctx.req); // after the anonymous branch, as internal/api/api.go
    if (!password) throw validationFailed('Signup requires a valid password');
    checkPassword(password);
    const provider = email ? 'email' : 'phone';
    if (email) email = validateEmail(email);
    else phone = validatePhone(phone);
    const aud = requestAud(ctx.req);
    const existing = email ? store.findByEmail(aud, email) : store.findByPhone(aud, phone);
    if (existing) {
      const confirmed = provider === 'email' ? !!existing.email_confirmed_at : !!existing.phone_confirmed_at;
      if (confirmed) {
        if (autoconfirm) throw new ApiError(422, 'user_already_exists', 'User already registered');
        send(ctx.res, 200, JSON.stringify(sanitizedUser(existing, provider, data)));
        return;
      }
      // Unconfirmed: GoTrue does not touch the row (it cannot be sure of the claimed identity).
      send(ctx.res, 200, store.userJsonString(existing));
      return;
    }
    const hash = await hashPassword(password);
    // GoTrue checks for duplicates before its transaction; the loser of a race meets the unique
    // index inside it: 500 (internal/api/signup.go, "Database error saving new user").
    if (email ? store.findByEmail(aud, email) : store.findByPhone(aud, phone)) {
      throw new ApiError(500, 'unexpected_failure', 'Database error saving new user');
    }
    const u = store.newUserRow({
      aud,
      email: email || null,
      phone: phone || null,
      encrypted_password: hash,
      raw_user_meta_data: { ...data },
      raw_app_meta_data: { provider, providers: [provider] },
    });
    const identities = [makeIdentity(u, provider, data)];
    if (autoconfirm) {
      if (provider === 'email') confirmEmail(u, identities, u.created_at);
      else confirmPhone(u, identities, u.created_at);
    } else {
      if (provider === 'email') emailFlow.reserveEmail();
      u.confirmation_sent_at = u.created_at;
    }
    store.insertUser(u, identities);
    const stored = store.users.get(u.id)!;
    if (autoconfirm) {
      send(ctx.res, 200, signIn(stored, 'password'));
      return;
    }
    if (provider === 'email') emailFlow.sendReservedConfirmation(stored, queryParams(ctx.rawQuery).get('redirect_to'));
    send(ctx.res, 200, store.userJsonString(stored));
  }

  async function handleToken(ctx: Ctx): Promise<void> {
    const grant = queryParams(ctx.rawQuery).get('grant_type') ?? '';
    if (grant !== 'password' && grant !== 'refresh_token') throw new ApiError(400, 'invalid_credentials', 'unsupported_grant_type');
    limits.token.take(ctx.req);
    const body = await readJson(ctx);
    if (grant === 'password') {
      const email = getString(body, 'email');
      const phone = getString(body, 'phone');
      const password = getString(body, 'password');
      if (email && phone) throw validationFailed('Only an email address or phone number should be provided on login.');
      const aud = requestAud(ctx.req);
      let user: StoredUser | undefined;
      let provider: 'email' | 'phone';
      if (email) {
        provider = 'email';
        user = store.findByEmail(aud, email.toLowerCase());
      } else if (phone) {
        provider = 'phone';
        user = store.findByPhone(aud, phone.replace(/^\+/, '').replaceAll(' ', ''));
      } else {
        throw validationFailed('missing email or phone');
      }
      const invalid = new ApiError(400, 'invalid_credentials', 'Invalid login credentials');
      if (!user || user.is_sso_user || !user.encrypted_password) throw invalid;
      // The ban is checked before the password (internal/api/token.go ResourceOwnerPasswordGrant).
      if (isBanned(user)) throw new ApiError(400, 'user_banned', 'User is banned');
      if (!(await verifyPassword(password, user.encrypted_password))) throw invalid;
      // The user may have been deleted while scrypt ran.
      if (store.users.get(user.id) !== user) throw invalid;
      if (provider === 'email' && !user.email_confirmed_at) throw new ApiError(400, 'email_not_confirmed', 'Email not confirmed');
      if (provider === 'phone' && !user.phone_confirmed_at) throw new ApiError(400, 'phone_not_confirmed', 'Phone not confirmed');
      send(ctx.res, 200, signIn(user, 'password'));
      return;
    }
    if (grant === 'refresh_token') {
      send(ctx.res, 200, refreshGrant(getString(body, 'refresh_token')));
      return;
    }
    throw new ApiError(400, 'invalid_credentials', 'unsupported_grant_type');
  }

  /**
   * The refresh_token grant as GoTrue runs it (internal/api/token_refresh.go, internal/tokens/service.go
   * RefreshTokenGrant). A revoked token that is the parent of the session's active one is answered
   * with that active token (the client lost the answer of its refresh: supabase-js retries after
   * timeouts); an older revoked one is still accepted within the reuse interval of its revocation,
   * and beyond it revokes the whole session's family. A refresh writes the user's last sign-in.
   */
  function refreshGrant(token: string): string {
    // Only v1 tokens (12 of [a-z0-9]) are issued here; GoTrue refuses anything it cannot parse first.
    if (!/^[a-z0-9]{12}$/.test(token)) throw validationFailed('Refresh token is not valid');
    const rt = store.sessions.refreshToken(token);
    if (!rt) throw new ApiError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
    const user = store.users.get(rt.user_id);
    const session = store.sessions.get(rt.session_id);
    if (!user) throw new ApiError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
    if (isBanned(user)) throw new ApiError(400, 'user_banned', 'Invalid Refresh Token: User Banned');
    if (!session) throw new ApiError(400, 'session_not_found', 'Invalid Refresh Token: No Valid Session Found');
    if (rt.revoked) {
      const active = store.sessions.activeTokenOf(session.id);
      if (active && active.parent === rt.token) {
        session.updated_at = store.clock.now();
        return tokenResponse(user, session, active.token);
      }
      if (Date.now() > parseMicros(rt.updated_at ?? rt.created_at) / 1000 + reuseIntervalMs) {
        store.sessions.revokeTokenFamily(session.id);
        throw new ApiError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
      }
    }
    store.sessions.revokeToken(rt);
    session.updated_at = store.clock.now();
    const next = store.sessions.issueRefreshToken(session, rt.token);
    // GrantRefreshTokenSwap → createRefreshToken → user.UpdateLastSignInAt (internal/models/refresh_token.go).
    store.updateUser(user, (u) => {
      u.last_sign_in_at = store.clock.now();
    });
    return tokenResponse(user, session, next.token);
  }

  function handleGetUser(ctx: Ctx): void {
    const { user, claims } = authenticate(ctx);
    const aud = header(ctx.req, 'x-jwt-aud');
    if (aud) {
      const tokAud = claims.aud;
      const ok = Array.isArray(tokAud) ? tokAud.includes(aud) : tokAud === aud;
      if (!ok) throw validationFailed("Token audience doesn't match request audience");
    }
    send(ctx.res, 200, store.userJsonString(user));
  }

  async function handlePutUser(ctx: Ctx): Promise<void> {
    const { user } = authenticate(ctx);
    limits.user.take(ctx.req);
    const body = await readJson(ctx);
    const email = getString(body, 'email');
    const phone = getString(body, 'phone');
    const password = getString(body, 'password');
    const data = getObject(body, 'data');
    const appData = getObject(body, 'app_metadata');
    getString(body, 'nonce');
    getString(body, 'channel');
    if (appData && !(user.role === 'admin' && user.aud === 'authenticated')) {
      throw new ApiError(403, 'not_admin', 'Updating app_metadata requires admin privileges');
    }
    let newEmail: string | null = null;
    let newPhone: string | null = null;
    if (email) {
      newEmail = validateEmail(email);
      const dup = store.findByEmail(user.aud, newEmail);
      if (dup && dup.id !== user.id) {
        throw new ApiError(422, 'email_exists', 'A user with this email address has already been registered');
      }
      if (newEmail === user.email) newEmail = null;
    }
    if (phone) {
      newPhone = validatePhone(phone);
      const dup = store.findByPhone(user.aud, newPhone);
      if (dup && dup.id !== user.id) {
        throw new ApiError(422, 'phone_exists', 'A user with this phone number has already been registered');
      }
      if (newPhone === user.phone) newPhone = null;
    }
    let hash: string | null = null;
    if (password) {
      checkPassword(password);
      hash = await hashPassword(password);
    }
    if (store.users.get(user.id) !== user) throw new ApiError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
    if (data || appData || newEmail || newPhone || hash) {
      store.updateUser(user, (u) => {
        const now = store.clock.now();
        if (data) mergeMetadata(u.raw_user_meta_data, data);
        if (appData) mergeMetadata(u.raw_app_meta_data, appData);
        if (hash) u.encrypted_password = hash;
        if (newEmail) {
          if (autoconfirm) {
            u.email = newEmail;
            upsertIdentity(u, 'email');
          } else {
            u.email_change = newEmail;
            u.email_change_sent_at = now;
          }
        }
        if (newPhone) {
          if (autoconfirm) {
            u.phone = newPhone;
            upsertIdentity(u, 'phone');
          } else {
            u.phone_change = newPhone;
            u.phone_change_sent_at = now;
          }
        }
      });
    }
    send(ctx.res, 200, store.userJsonString(user));
  }

  function handleLogout(ctx: Ctx): void {
    const { user, session } = authenticate(ctx);
    const scope = queryParams(ctx.rawQuery).get('scope') ?? '';
    if (!['', 'global', 'local', 'others'].includes(scope)) throw validationFailed(`Unsupported logout scope "${scope}"`);
    // A token without a session logs out every session, whatever the scope (internal/api/logout.go).
    if (session && scope === 'local') store.sessions.deleteSession(session.id);
    else if (session && scope === 'others') store.sessions.deleteSessionsOf(user.id, session.id);
    else store.sessions.deleteSessionsOf(user.id);
    ctx.res.writeHead(204, CORS_HEADERS);
    ctx.res.end();
  }

  /** Create or refresh the email/phone identity after the user's email/phone changed. */
  function upsertIdentity(u: StoredUser, provider: 'email' | 'phone'): void {
    let list = store.identities.get(u.id);
    if (!list) store.identities.set(u.id, (list = []));
    const now = store.clock.now();
    const existing = list.find((i) => i.provider === provider);
    if (existing) {
      if (provider === 'email') existing.identity_data.email = u.email ?? '';
      else existing.identity_data.phone = u.phone ?? '';
      existing.updated_at = now;
    } else {
      const ident = makeIdentity(u, provider);
      ident.created_at = now;
      ident.updated_at = now;
      list.push(ident);
      const providers = Array.isArray(u.raw_app_meta_data.providers) ? [...(u.raw_app_meta_data.providers as unknown[])] : [];
      if (!providers.includes(provider)) providers.push(provider);
      u.raw_app_meta_data.providers = providers;
      if (!u.raw_app_meta_data.provider) u.raw_app_meta_data.provider = provider;
    }
  }

  // ---- admin

  function handleAdminList(ctx: Ctx): void {
    const q = queryParams(ctx.rawQuery);
    const parseUint = (name: string, def: number): number => {
      const v = q.get(name) ?? '';
      if (v === '') return def;
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
        throw validationFailed(`Bad Pagination Parameters: strconv.ParseUint: parsing "${v}": invalid syntax`);
      }
      return Number(v);
    };
    const page = parseUint('page', 1);
    const perPage = parseUint('per_page', 50);
    let desc = true;
    const sort = q.get('sort') ?? '';
    if (sort !== '') {
      for (const part of sort.split(',')) {
        const [field, dir = 'desc', ...rest] = part.trim().split(/\s+/);
        if (field !== 'created_at' || rest.length || (dir !== 'asc' && dir !== 'desc')) {
          throw validationFailed(
            `Bad Sort Parameters: ${field !== 'created_at' ? `${field} is not a valid sort field` : `bad direction for sort: ${dir}`}`,
          );
        }
        desc = dir === 'desc';
      }
    }
    const filter = q.get('filter') ?? '';
    const aud = requestAud(ctx.req);
    const all = store.listSorted();
    const filterLower = filter.toLowerCase();
    const matches: StoredUser[] = [];
    for (let i = desc ? all.length - 1 : 0; desc ? i >= 0 : i < all.length; desc ? i-- : i++) {
      const u = all[i];
      if (u.aud !== aud) continue;
      if (filter) {
        const fullName = u.raw_user_meta_data.full_name;
        const inEmail = !!u.email && u.email.includes(filter);
        const inName = typeof fullName === 'string' && fullName.toLowerCase().includes(filterLower);
        if (!inEmail && !inName) continue;
      }
      matches.push(u);
    }
    // pop's Paginate: page < 1 -> 1, per_page < 1 -> 20
    const effPage = page < 1 ? 1 : page;
    const effPer = perPage < 1 ? 20 : perPage;
    shuffleTies(matches);
    const slice = matches.slice((effPage - 1) * effPer, effPage * effPer);
    const count = matches.length;
    const totalPages = Math.ceil(count / effPer);
    // Link header exactly like GoTrue's addPaginationHeaders (request query re-encoded, keys sorted).
    const values = new Map<string, string[]>();
    for (const [k, v] of q) {
      const arr = values.get(k);
      if (arr) arr.push(v);
      else values.set(k, [v]);
    }
    let link = '';
    if (totalPages > page) {
      values.set('page', [String(page + 1)]);
      link += `</admin/users?${goEncodeValues(values)}>; rel="next", `;
    }
    values.set('page', [String(totalPages)]);
    link += `</admin/users?${goEncodeValues(values)}>; rel="last"`;
    let body = '{"users":[';
    for (let i = 0; i < slice.length; i++) {
      if (i) body += ',';
      body += JSON.stringify(toUserJson(slice[i], null));
    }
    body += '],"aud":' + JSON.stringify(aud) + '}';
    send(ctx.res, 200, body, { Link: link, 'X-Total-Count': String(count) });
  }

  /** The user fields that `POST /admin/users` and `PUT /admin/users/{id}` both read (each validates them its own way, as GoTrue does). */
  function adminUserAttributes(body: Json) {
    return {
      role: getString(body, 'role'),
      email: getString(body, 'email'),
      phone: getString(body, 'phone'),
      password: getString(body, 'password'),
      passwordHash: getString(body, 'password_hash'),
      emailConfirm: getBool(body, 'email_confirm'),
      phoneConfirm: getBool(body, 'phone_confirm'),
      userMeta: getObject(body, 'user_metadata'),
      appMeta: getObject(body, 'app_metadata'),
      banDuration: getString(body, 'ban_duration'),
    };
  }

  async function handleAdminCreate(ctx: Ctx): Promise<void> {
    const body = await readJson(ctx);
    const idParam = getString(body, 'id');
    const audParam = getString(body, 'aud');
    const attributes = adminUserAttributes(body);
    const { password, passwordHash, emailConfirm, phoneConfirm, userMeta, appMeta, banDuration } = attributes;
    let { email, phone } = attributes;
    const role = attributes.role || 'authenticated';
    const aud = audParam || requestAud(ctx.req);

    if (!email && !phone) throw validationFailed('Cannot create a user without either an email or phone');
    if (email) {
      email = validateEmail(email);
      if (store.findByEmail(aud, email)) {
        throw new ApiError(422, 'email_exists', 'A user with this email address has already been registered');
      }
    }
    if (phone) {
      phone = validatePhone(phone);
      if (store.findByPhone(aud, phone)) throw new ApiError(422, 'phone_exists', 'Phone number already registered by another user');
    }
    if (password && passwordHash) throw validationFailed('Only a password or a password hash should be provided');
    if (passwordHash) {
      throw validationFailed(
        'password_hash is not supported by the local Auth stand-in (bcrypt/argon2 are not available); send password instead',
      );
    }
    // Admin create checks no password strength; bcrypt alone refuses over 72 bytes (internal/api/admin.go).
    if (password && Buffer.byteLength(password) > 72) throw validationFailed('bcrypt: password length exceeds 72 bytes');
    let id: string | undefined;
    if (idParam) {
      if (!UUID_RE.test(idParam)) throw validationFailed('ID must conform to the uuid v4 format');
      if (idParam === NIL_UUID) throw validationFailed('ID cannot be a nil uuid');
      id = idParam.toLowerCase();
    }
    let bannedMs: number | null = null;
    if (banDuration && banDuration !== 'none') {
      bannedMs = parseGoDuration(banDuration);
      if (bannedMs === null) throw validationFailed(`invalid format for ban duration: time: invalid duration "${banDuration}"`);
    }
    const hash = await hashPassword(password || randomUUID() + randomUUID());
    // GoTrue checks email and phone before its transaction and a custom id not at all: a taken id,
    // or the loser of a race for an email or phone, meets a unique index inside it, and the
    // answer is 500 (internal/api/admin.go adminUserCreate), which supabase-js reports as retryable.
    const taken = (email && store.findByEmail(aud, email)) || (phone && store.findByPhone(aud, phone)) || (id && store.users.has(id));
    if (taken) throw new ApiError(500, 'unexpected_failure', 'Database error creating new user');
    const u = store.newUserRow({
      ...(id ? { id } : {}),
      aud,
      role,
      email: email || null,
      phone: phone || null,
      encrypted_password: hash,
      raw_user_meta_data: userMeta ? { ...userMeta } : {},
    });
    const identities: StoredIdentity[] = [];
    const providers: string[] = [];
    if (email) {
      identities.push(makeIdentity(u, 'email'));
      providers.push('email');
    }
    if (phone) {
      identities.push(makeIdentity(u, 'phone'));
      providers.push('phone');
    }
    u.raw_app_meta_data = { provider: providers[0], providers };
    if (appMeta) mergeMetadata(u.raw_app_meta_data, appMeta);
    if (emailConfirm) confirmEmail(u, identities, u.created_at);
    if (phoneConfirm) confirmPhone(u, identities, u.created_at);
    if (bannedMs !== null) u.banned_until = new Date(Date.now() + bannedMs).toISOString().replace('Z', '000Z');
    store.insertUser(u, identities);
    send(ctx.res, 200, store.userJsonString(store.users.get(u.id)!));
  }

  function loadUser(id: string): StoredUser {
    if (!UUID_RE.test(id)) throw new ApiError(404, 'validation_failed', 'user_id must be an UUID');
    const u = store.users.get(id.toLowerCase());
    if (!u) throw new ApiError(404, 'user_not_found', 'User not found');
    return u;
  }

  async function handleAdminUpdate(ctx: Ctx, user: StoredUser): Promise<void> {
    const body = await readJson(ctx);
    const attributes = adminUserAttributes(body);
    const { role, password, passwordHash, emailConfirm, phoneConfirm, userMeta, appMeta, banDuration } = attributes;
    let { email, phone } = attributes;
    if (email) {
      email = validateEmail(email);
      const dup = store.findByEmail(user.aud, email);
      if (dup && dup.id !== user.id) {
        throw new ApiError(422, 'email_exists', 'A user with this email address has already been registered');
      }
    }
    if (phone) {
      phone = validatePhone(phone);
      const dup = store.findByPhone(user.aud, phone);
      if (dup && dup.id !== user.id) throw new ApiError(422, 'phone_exists', 'Phone number already registered by another user');
    }
    if (password && passwordHash) throw validationFailed('Only a password or a password hash should be provided');
    if (passwordHash) throw validationFailed('password_hash is not supported by the local Auth stand-in; send password instead');
    if (password) checkPassword(password);
    let banned: string | null | undefined;
    if (banDuration) {
      if (banDuration === 'none') banned = null;
      else {
        const ms = parseGoDuration(banDuration);
        if (ms === null) throw validationFailed(`invalid format for ban duration: time: invalid duration "${banDuration}"`);
        banned = new Date(Date.now() + ms).toISOString().replace('Z', '000Z');
      }
    }
    const hash = password ? await hashPassword(password) : null;
    if (store.users.get(user.id) !== user) throw new ApiError(404, 'user_not_found', 'User not found');
    const changes = role || email || phone || hash || emailConfirm || phoneConfirm || userMeta || appMeta || banned !== undefined;
    if (changes) {
      store.updateUser(user, (u) => {
        const now = store.clock.now();
        const identities = store.identities.get(u.id) ?? [];
        if (role) u.role = role;
        if (email && email !== u.email) {
          u.email = email;
          upsertIdentity(u, 'email');
        }
        if (phone && phone !== u.phone) {
          u.phone = phone;
          upsertIdentity(u, 'phone');
        }
        if (hash) u.encrypted_password = hash;
        if (appMeta) mergeMetadata(u.raw_app_meta_data, appMeta);
        if (userMeta) mergeMetadata(u.raw_user_meta_data, userMeta);
        // email_confirm:false does nothing, exactly like GoTrue.
        if (emailConfirm) confirmEmail(u, store.identities.get(u.id) ?? identities, now);
        if (phoneConfirm) confirmPhone(u, store.identities.get(u.id) ?? identities, now);
        if (banned !== undefined) u.banned_until = banned;
      });
    }
    send(ctx.res, 200, store.userJsonString(user));
  }

  async function handleAdminDelete(ctx: Ctx, user: StoredUser): Promise<void> {
    const body = await readJson(ctx, true);
    const soft = getBool(body, 'should_soft_delete');
    if (store.users.get(user.id) === user) {
      if (!soft) store.deleteUser(user);
      else if (!user.deleted_at) {
        store.sessions.deleteSessionsOf(user.id);
        store.updateUser(user, (u) => {
          // GoTrue's SoftDeleteUser: obfuscate (even empty values), clear secrets, empty metadata.
          u.email = obfuscateValue(u.id, u.email ?? '');
          u.phone = obfuscateValue(u.id, u.phone ?? '').slice(0, 15);
          u.email_change = obfuscateValue(u.id, u.email_change ?? '');
          u.phone_change = obfuscateValue(u.id, u.phone_change ?? '').slice(0, 15);
          u.encrypted_password = null;
          u.deleted_at = store.clock.now();
          u.raw_user_meta_data = {};
          u.raw_app_meta_data = {};
          for (const i of store.identities.get(u.id) ?? []) {
            i.provider_id = obfuscateValue(u.id, i.provider_id);
            i.identity_data = {};
            i.updated_at = u.deleted_at;
          }
        });
      }
    }
    send(ctx.res, 200, '{}');
  }

  // -------------------------------------------------------------------------- routing

  async function route(ctx: Ctx): Promise<void> {
    const { method, path } = ctx;
    switch (path) {
      case '/signup':
        if (method === 'POST') return handleSignup(ctx);
        break;
      case '/token':
        if (method === 'POST') return handleToken(ctx);
        break;
      case '/user':
        if (method === 'GET') return handleGetUser(ctx);
        if (method === 'PUT') return handlePutUser(ctx);
        break;
      case '/logout':
        if (method === 'POST') return handleLogout(ctx);
        break;
      case '/recover':
        if (method === 'POST') {
          limits.recover.take(ctx.req);
          return emailFlow.recover(ctx);
        }
        break;
      case '/resend':
        if (method === 'POST') {
          limits.resend.take(ctx.req);
          return emailFlow.resend(ctx);
        }
        break;
      case '/verify':
        if (method === 'POST') {
          limits.verify.take(ctx.req);
          return emailFlow.verifyCode(ctx);
        }
        break;
      case '/settings':
        if (method === 'GET') {
          send(
            ctx.res,
            200,
            JSON.stringify({
              external: { anonymous_users: false, email: true, phone: true },
              disable_signup: false,
              mailer_autoconfirm: autoconfirm,
              phone_autoconfirm: autoconfirm,
              sms_provider: '',
              saml_enabled: false,
            }),
          );
          return;
        }
        break;
      case '/admin/users':
        requireAdmin(ctx);
        if (method === 'GET') return handleAdminList(ctx);
        if (method === 'POST') return handleAdminCreate(ctx);
        throw new ApiError(405, 'unknown', 'Method not allowed');
      default:
        if (path.startsWith('/admin/users/')) {
          requireAdmin(ctx);
          const id = path.slice('/admin/users/'.length);
          if (id.includes('/')) break;
          const user = loadUser(decodeURIComponent(id));
          if (method === 'GET') {
            send(ctx.res, 200, store.userJsonString(user));
            return;
          }
          if (method === 'PUT') return handleAdminUpdate(ctx, user);
          if (method === 'DELETE') return handleAdminDelete(ctx, user);
          throw new ApiError(405, 'unknown', 'Method not allowed');
        }
        if (path.startsWith('/admin/')) requireAdmin(ctx);
    }
    throw new ApiError(404, 'not_found', 'Not Found');
  }

  function applyFault(req: IncomingMessage, res: ServerResponse, target: string): Promise<boolean> | false {
    const method = req.method ?? 'GET';
    const idx = faults.findIndex((f) => (!f.method || f.method.toUpperCase() === method) && f.path.test(target));
    if (idx < 0) return false;
    const f = faults[idx];
    f.remaining--;
    if (f.remaining <= 0) faults.splice(idx, 1);
    const act = (): boolean => {
      if (f.status === 0) {
        req.socket.destroy();
        return true;
      }
      if (f.status >= 200 && f.status < 400) {
        if (f.lateAnswerMs) answerLate(res, f.lateAnswerMs);
        return false; // delay only
      }
      const code = f.code ?? (f.status >= 500 ? 'unexpected_failure' : 'unknown');
      sendError(
        res,
        new ApiError(f.status, code, f.message ?? `Injected fault (${f.status})`),
        wantsNewFormat(req.headers['x-supabase-api-version']),
      );
      return true;
    };
    if (f.delayMs && f.delayMs > 0) {
      return new Promise((resolve) => setTimeout(() => resolve(act()), f.delayMs).unref());
    }
    return Promise.resolve(act());
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = quiet ? 0 : performance.now();
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    const fullPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
    const method = req.method ?? 'GET';
    const newFormat = wantsNewFormat(req.headers['x-supabase-api-version']);
    const counterKey = method + ' ' + fullPath;
    const prev = counters.get(counterKey);
    if (prev !== undefined) counters.set(counterKey, prev + 1);
    else if (counters.size < 10_000) counters.set(counterKey, 1); // bounded: ids appear in paths
    if (!quiet) {
      res.on('finish', () => {
        // Path only: query strings and bodies may carry secrets.
        console.log(`[auth-stand-in] ${method} ${fullPath} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
      });
    }
    try {
      if (faults.length) {
        const handled = applyFault(req, res, rawUrl);
        if (handled && (await handled)) return;
      }
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          ...CORS_HEADERS,
          'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
          'Access-Control-Allow-Headers':
            header(req, 'access-control-request-headers') ?? 'authorization, apikey, content-type, x-client-info, x-supabase-api-version',
          'Access-Control-Max-Age': '86400',
        });
        res.end();
        return;
      }
      if (method === 'GET' && (fullPath === '/mailbox' || fullPath === '/mailbox/messages')) {
        mailbox.serve(req, res, fullPath, queryParams(rawQuery).get('to'));
        return;
      }
      if (fullPath !== PREFIX && !fullPath.startsWith(PREFIX + '/')) {
        send(res, 404, '{"message":"no Route matched with those values"}');
        return;
      }
      const path = fullPath.length === PREFIX.length ? '/' : fullPath.slice(PREFIX.length);
      // Open routes (no apikey needed, like the self-hosted gateway).
      if (method === 'GET') {
        if (path === '/.well-known/jwks.json') {
          send(res, 200, jwksBody, { 'Cache-Control': 'public, max-age=600' });
          return;
        }
        if (path === '/.well-known/openid-configuration') {
          send(
            res,
            200,
            JSON.stringify({
              issuer,
              jwks_uri: `${issuer}/.well-known/jwks.json`,
              response_types_supported: ['code'],
              subject_types_supported: ['public'],
              id_token_signing_alg_values_supported: [signing === 'es256' ? 'ES256' : 'HS256'],
            }),
          );
          return;
        }
        // Email links are followed by a browser, with no apikey (an open route of the gateway).
        if (path === '/verify') {
          limits.verify.take(req);
          emailFlow.verifyLink({ req, res, method, path, rawQuery, newFormat });
          return;
        }
        if (path === '/health') {
          send(
            res,
            200,
            JSON.stringify({ version: 'local-stand-in', name: 'GoTrue', description: 'Local Supabase Auth stand-in (development only)' }),
          );
          return;
        }
      }
      // Gateway: apikey header (or ?apikey=) must be a known key.
      let apikey = header(req, 'apikey');
      if (!apikey && rawQuery.includes('apikey=')) apikey = queryParams(rawQuery).get('apikey') ?? undefined;
      if (!apikey) {
        send(
          res,
          401,
          JSON.stringify({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' }),
        );
        return;
      }
      if (!knownApiKeys.has(apikey)) {
        send(
          res,
          401,
          JSON.stringify({ message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' }),
        );
        return;
      }
      await route({ req, res, method, path, rawQuery, newFormat });
    } catch (e) {
      if (res.headersSent || res.destroyed) return;
      if (e instanceof ApiError) {
        sendError(res, e, newFormat);
        return;
      }
      if (!quiet) console.error('[auth-stand-in] unexpected error:', e);
      sendError(
        res,
        new ApiError(500, 'unexpected_failure', 'Unexpected failure, please check server logs for more information'),
        newFormat,
      );
    }
  }

  // -------------------------------------------------------------------------- lifecycle

  const sockets = new Set<Socket>();
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    void handle(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${hostForUrl}:${addr.port}`;
  issuer = `${url}${PREFIX}`;

  let defaultBulkHash: string | null = null;
  let bulkSeq = 0;
  let closed: Promise<void> | null = null;

  return {
    url,
    issuer,
    keys: DEV_KEYS,
    events,
    deliveries: {
      configure: (target) => deliveries.configure(target),
      chaos: (o) => deliveries.chaos(o),
      dropNext: (n) => deliveries.dropNext(n),
      hold: () => deliveries.hold(),
      release: (order) => deliveries.release(order),
      idle: () => deliveries.idle(),
      sent: deliveries.sent,
    },
    mailbox: { list: (to) => mailbox.list(to) },
    stats: {
      count: (method, path) => counters.get(method.toUpperCase() + ' ' + path) ?? 0,
      reset: () => counters.clear(),
    },
    faults: {
      add(f: AuthFault) {
        if (!(f.path instanceof RegExp)) throw new TypeError('fault.path must be a RegExp');
        faults.push({ ...f, remaining: f.times ?? Infinity });
      },
      clear() {
        faults = [];
      },
    },
    admin: {
      getUser(id) {
        const u = store.users.get(id.toLowerCase());
        return u ? structuredClone(store.userJson(u)) : null;
      },
      updateUserRaw(id, patch) {
        const u = store.users.get(id.toLowerCase());
        if (!u) throw new Error(`no user ${id}`);
        store.updateUser(u, (row) => {
          for (const [k, v] of Object.entries(patch)) {
            if (k === 'id' || v === undefined) continue;
            (row as unknown as Record<string, unknown>)[k] = k.startsWith('raw_') ? structuredClone(v) : v;
          }
        });
        return structuredClone(store.userJson(u));
      },
      userCount: () => store.users.size,
      bulkInsert(n, make) {
        const hashes = new Map<string, string>();
        for (let i = 0; i < n; i++) {
          const { password, ...fields } = make?.(i) ?? {};
          let hash: string;
          if (password === undefined) hash = defaultBulkHash ??= hashPasswordSync('password123');
          else {
            let h = hashes.get(password);
            if (!h) hashes.set(password, (h = hashPasswordSync(password)));
            hash = h;
          }
          const seq = ++bulkSeq;
          const email = fields.email === undefined ? `bulk-${seq}-${randomUUID().slice(0, 8)}@example.test` : fields.email;
          const u = store.newUserRow({
            encrypted_password: hash,
            raw_app_meta_data: { provider: email ? 'email' : 'phone', providers: [email ? 'email' : 'phone'] },
            ...fields,
            email: email ? email.toLowerCase() : null,
          });
          if (fields.email_confirmed_at === undefined && u.email) u.email_confirmed_at = u.created_at;
          if (u.phone) u.phone = u.phone.replace(/^\+/, '');
          if (store.users.has(u.id)) throw new Error(`bulkInsert: duplicate id ${u.id}`);
          if (u.email && store.findByEmail(u.aud, u.email)) throw new Error(`bulkInsert: duplicate email ${u.email}`);
          if (u.phone && store.findByPhone(u.aud, u.phone)) throw new Error(`bulkInsert: duplicate phone ${u.phone}`);
          const ids: StoredIdentity[] = [];
          if (u.email) ids.push(makeIdentity(u, 'email'));
          if (u.phone) ids.push(makeIdentity(u, 'phone'));
          if (u.email_confirmed_at) for (const x of ids) if (x.provider === 'email') x.identity_data.email_verified = true;
          store.insertUser(u, ids);
        }
      },
    },
    signAccessToken(claimsOverride = {}, opts = {}) {
      const iat = Math.floor(Date.now() / 1000);
      const claims: Json = {
        iss: issuer,
        sub: randomUUID(),
        aud: 'authenticated',
        exp: iat + ttl,
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
      return jwt.sign(claims, opts.key ?? signing, opts.header);
    },
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        await Promise.all([store.flush(), deliveries.close()]);
        events.removeAllListeners();
      })();
      return closed;
    },
  };
}

export type { UserChangedEvent as AuthUserChangedEvent };
