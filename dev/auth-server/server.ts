// Local development stand-in for Supabase Auth (GoTrue), speaking its HTTP contract
// (see docs/supabase-auth.md, sections 1-5 and 8). Plain node:http; its state in the local
// Supabase database's auth schema, or in memory with an optional JSON file. DEVELOPMENT ONLY.
// This file builds the one state object from the options, listens, and hands out the controls;
// router.ts and routes/ answer the requests.
import { EventEmitter } from 'node:events';
import { existsSync, renameSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pg from 'pg';
import { signIn, signTestToken } from './access-tokens.js';
import { AddressRateLimit } from './address-rate-limit.js';
import { adminApi, type AuthServerAdmin } from './admin-api.js';
import { DeliveryQueue, type AuthServerDeliveries } from './deliveries.js';
import type { DeliveryTarget } from './delivery-target.js';
import { DEV_KEYS, type DevKeys } from './dev-keys.js';
import { emailFlows } from './email-flows.js';
import { FaultList, type AuthFault } from './faults.js';
import { JwtKeys, type SigningMode } from './jwt.js';
import { Mailbox, type MailMessage } from './mailbox.js';
import { phoneFlows } from './phone-flows.js';
import { PREFIX, createRouter } from './router.js';
import type { UserChangedEvent } from './rows.js';
import type { AuthState } from './state.js';
import { Store } from './store.js';
import { AuthDatabase } from './auth-database.js';
import { confirmEmail } from './user-rows.js';

export type { DevKeys } from './dev-keys.js';
export type { AuthServerDeliveries, DeliveryOutcome, DeliveryRecord, ReleaseOrder } from './deliveries.js';
export type { DeliveryChaos } from './delivery-chaos.js';
export type { DeliveryTarget } from './delivery-target.js';
export type { DatabaseWebhookBody, SignedEventBody, AuthUsersRow } from './delivery-payloads.js';
export { DEV_KEYS, isDevKey } from './dev-keys.js';
export type { StoredUser, StoredIdentity, UserChangedEvent } from './rows.js';
export type { UserJson, IdentityJson } from './user-json.js';
export type { AuthFault } from './faults.js';
export type { AuthServerAdmin, BulkUserFields } from './admin-api.js';

export interface AuthServerOptions {
  /** 0 = random; default 0 */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default 'es256' (ES256 with a kid, listed in JWKS); 'hs256' = legacy secret, no kid, JWKS {keys:[]} */
  signing?: SigningMode;
  /** "Confirm email" off when true; default false (like Supabase) */
  autoconfirm?: boolean;
  /** GOTRUE_SMS_AUTOCONFIRM, "Confirm phone" off when true: phones confirmed at signup; default `autoconfirm`. */
  smsAutoconfirm?: boolean;
  /** JSON file for state (write-behind, atomic rename); default none (memory only). With databaseUrl: imported once, then renamed *.imported. */
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
  /** GOTRUE_RATE_LIMIT_OTP: /signup, /recover, /resend, /otp and PUT /user, each per 5 minutes per address; default 30, 0 = off. */
  rateLimitOtp?: number;
  /** GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED: rate-limit by the Sb-Forwarded-For address; default false. */
  sbForwardedFor?: boolean;
  /** GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL, in seconds; default 10. */
  refreshTokenReuseIntervalSeconds?: number;
  /** GOTRUE_RATE_LIMIT_EMAIL_SENT: emails an hour across all users; default 30, 0 = off. */
  rateLimitEmailSent?: number;
  /** GOTRUE_RATE_LIMIT_SMS_SENT: SMS codes an hour across all users (not counted with autoconfirm); default 30, 0 = off. */
  rateLimitSmsSent?: number;
  /** GOTRUE_SMS_MAX_FREQUENCY: seconds between two SMS codes to one user; default 60. */
  smsMaxFrequencySeconds?: number;
  /** GOTRUE_SMS_OTP_EXP: seconds an SMS code works; default 60. */
  smsOtpExpSeconds?: number;
  /** GOTRUE_SITE_URL: where email links lead when their redirect_to is not allowed; default http://127.0.0.1:3000. */
  siteUrl?: string;
  /**
   * The local Supabase database (dev/supabase-database.ts), as the store of record: users, identities, sessions and
   * refresh tokens are read from its auth schema and written with GoTrue's statements for each flow, so its triggers
   * see them. Default none (memory).
   */
  databaseUrl?: string;
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
  /** What the stand-in would have emailed or texted (confirmation and recovery links, codes), newest first; `to` a phone with or without '+'. */
  mailbox: { list(to?: string): MailMessage[] };
  /** Request counters, keyed by "METHOD /auth/v1/path" (no query). */
  stats: { count(method: string, path: string): number; reset(): void };
  signAccessToken(claimsOverride?: Record<string, unknown>, opts?: { header?: Record<string, unknown>; key?: SigningMode }): string;
}

/** How the stand-in's connections to the local Supabase database name themselves (pg_stat_activity). */
export const AUTH_STAND_IN_APPLICATION = 'auth stand-in';

function createState(options: AuthServerOptions): AuthState {
  const signing: SigningMode = options.signing ?? 'es256';
  const quiet = options.quiet ?? false;
  const jwt = new JwtKeys(signing);
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const store = new Store(events, options.persistPath);
  const mailbox = new Mailbox();
  const emailFlow = emailFlows({
    store,
    mailbox,
    externalUrl: () => state.issuer,
    siteUrl: options.siteUrl ?? 'http://127.0.0.1:3000',
    emailsPerHour: options.rateLimitEmailSent ?? 30,
    signIn: (user, method, req) => signIn(state, user, method, req),
    confirmEmail: (user) => store.updateUser(user, (u) => confirmEmail(u, store.identitiesOf(u.id), store.clock.now()), 'confirm'),
  });
  const phoneFlow = phoneFlows({
    store,
    mailbox,
    maxFrequencyMs: (options.smsMaxFrequencySeconds ?? 60) * 1000,
    otpExpSeconds: options.smsOtpExpSeconds ?? 60,
    smsPerHour: options.rateLimitSmsSent ?? 30,
    autoconfirm: options.smsAutoconfirm ?? options.autoconfirm ?? false,
    signIn: (user, method, req) => signIn(state, user, method, req),
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
    otp: perAddress(otpRate),
    user: perAddress(otpRate),
  };
  const deliveries = new DeliveryQueue((id) => store.identitiesOf(id), quiet);
  if (options.deliveries) deliveries.configure(options.deliveries);
  store.onChange = (ev) => deliveries.onUserChanged(ev);
  const state: AuthState = {
    signing,
    autoconfirm: options.autoconfirm ?? false,
    smsAutoconfirm: options.smsAutoconfirm ?? options.autoconfirm ?? false,
    ttl: options.accessTokenTtlSeconds ?? 3600,
    minPasswordLength: options.minPasswordLength ?? 6,
    quiet,
    reuseIntervalMs: (options.refreshTokenReuseIntervalSeconds ?? 10) * 1000,
    jwt,
    events,
    store,
    mailbox,
    emailFlow,
    phoneFlow,
    limits,
    sbForwardedFor: options.sbForwardedFor ?? false,
    deliveries,
    faults: new FaultList(),
    counters: new Map(),
    issuer: '',
    endSession: async (sessionId) => {
      const had = (await store.session(sessionId)) !== undefined;
      store.sessions.deleteSession(sessionId);
      return had;
    },
  };
  return state;
}

export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const state = createState(options);
  const { store, deliveries, events, counters } = state;
  let closed: Promise<void> | null = null;
  const database = options.databaseUrl
    ? new pg.Pool({ connectionString: options.databaseUrl, max: 2, application_name: AUTH_STAND_IN_APPLICATION })
    : null;
  if (database) {
    // pg-pool's end() resolves before its connections close: a Postgres stopped right after is not worth a warning.
    database.on('error', (error) => {
      if (!closed) process.emitWarning(`auth stand-in database: ${error.message}`);
    });
    const tables = new AuthDatabase(database, (error) =>
      process.emitWarning(`auth stand-in: a write to the auth schema failed: ${error.message}`),
    );
    // A state file kept before the database: its users and sessions are imported once, then it is set aside.
    await tables.backfill(store.listSorted(), (id) => store.identitiesOf(id));
    const { sessions, refreshTokens } = store.sessions.snapshot();
    await tables.backfillSessions(sessions, refreshTokens);
    if (options.persistPath && existsSync(options.persistPath)) renameSync(options.persistPath, `${options.persistPath}.imported`);
    store.useDatabase(tables);
    // As on Supabase, the function supabase/authmirror-trigger.sql installs (where it is not installed, PostgREST's 404).
    state.endSession = async (sessionId) =>
      (await database.query<{ revoked: boolean }>('SELECT authmirror.revoke_session($1::uuid) AS revoked', [sessionId])).rows[0].revoked;
  }
  const handle = createRouter(state);

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
  state.issuer = `${url}${PREFIX}`;

  return {
    url,
    issuer: state.issuer,
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
    mailbox: { list: (to) => state.mailbox.list(to) },
    stats: {
      count: (method, path) => counters.get(method.toUpperCase() + ' ' + path) ?? 0,
      reset: () => counters.clear(),
    },
    faults: {
      add: (f) => state.faults.add(f),
      clear: () => state.faults.clear(),
    },
    admin: adminApi(store),
    signAccessToken: (claimsOverride, opts) => signTestToken(state, claimsOverride, opts),
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        await Promise.all([store.flush(), deliveries.close()]);
        await database?.end();
        events.removeAllListeners();
      })();
      return closed;
    },
  };
}

export type { UserChangedEvent as AuthUserChangedEvent };
