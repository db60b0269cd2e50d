import { ConfigError } from './config-error.js';
import { DEVELOPMENT_KEYS } from './development-keys.js';
import { isUuid } from '../common/uuid.js';

export { ConfigError };

/** Typed settings of the service, read once at start-up (README, Settings). */
export interface AppConfig {
  nodeEnv: string;
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `auto`: one colored line per entry when stdout is a terminal in development, JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  databaseUrl: string;
  databasePoolSize: number;
  supabase: {
    url: string;
    anonKey: string;
    serviceRoleKey: string;
    jwtSecret: string | null;
    jwtIssuer: string;
    jwksUrl: string;
    adminTimeoutMs: number;
    /** The project's database as role authmirror_intake (SUPABASE_DB_URL): the pull intake and reconcile by SQL; null: neither. */
    databaseUrl: string | null;
  };
  webhooks: {
    secrets: string[];
    dbWebhookToken: string | null;
  };
  /** The pull intake, on when SUPABASE_DB_URL is set. */
  pull: {
    intervalMs: number;
    batchSize: number;
    /** Also LISTEN for the trigger's notifications (direct or session-mode connections only). */
    listen: boolean;
  };
  /** Where user files live; the storage cleaner removes `<storageDir>/users/<id>` on deletion. */
  storageDir: string;
  /** Tombstones older than this are purged by a scheduled job. */
  tombstoneRetentionDays: number;
  /** Minutes between scheduled reconcile runs; 0 turns the schedule off. */
  reconcileIntervalMinutes: number;
  /** Run background jobs (cleanups, purges, reconcile) in this process. */
  jobsEnabled: boolean;
  signup: {
    /** New users must confirm their email before they can sign in. */
    emailConfirmation: boolean;
    passwordMinLength: number;
    /** Require a lower-case letter, an upper-case letter and a digit. */
    passwordRequireMixed: boolean;
  };
  rateLimits: {
    /** Signup, login and refresh calls per minute from one IP address; 0 = off. */
    authPerIpPerMinute: number;
    /** Failed sign-ins per minute of one account from one client (and signups, refreshes, password checks); 0 = off. */
    authPerAccountPerMinute: number;
    /** Failed sign-ins per hour of one account across all clients, past which failing clients are held back; 0 = off. */
    authFailuresPerAccountPerHour: number;
    /** Phone lookups per minute by one signed-in user; 0 = off. */
    lookupPerUserPerMinute: number;
    /** Phone lookups per minute from one IP address, whoever is signed in; 0 = off. */
    lookupPerIpPerMinute: number;
    /** One-time codes sent per hour to one phone number, and from one IP address; 0 = off. */
    otpPerPhonePerHour: number;
    otpPerIpPerHour: number;
  };
  access: {
    /** Supabase's access-token lifetime (its JWT expiry setting): how long a revocation is kept in memory. */
    tokenLifetimeSeconds: number;
  };
  /** What guarded routes do with Supabase anonymous users (`is_anonymous`); see the README. */
  anonymousUsers: 'allow' | 'refuse';
  /** How recent a sign-in must be to delete the account without giving the password again. */
  reauthenticationWindowMinutes: number;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For to believe for the client's address. */
  trustProxy: boolean | number | string[];
  /** CORS origins (`scheme://host[:port]`, or `*`); null: any port of localhost and 127.0.0.1 (the development default). */
  corsOrigins: string[] | null;
  /** `GET /metrics` (docs/operations.md, "Metrics and alerts"). */
  metrics: {
    /** Bearer token for /metrics on the API's port; null: refused there. */
    token: string | null;
    /** A second listener serving only /metrics, without a token (0: any free port); null: none. */
    port: number | null;
  };
  /** A user whose app_metadata is written on a schedule, expecting it back through the intake; null id: none. */
  canary: { userId: string | null; intervalSeconds: number };
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

function required(env: Env, name: string): string {
  const found = value(env, name);
  if (found === undefined) throw new ConfigError(`${name} is not set`);
  return found;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return parsed;
}

function httpUrl(name: string, raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${name} must start with http:// or https://`);
  }
  return raw.replace(/\/+$/, '');
}

function databaseUrl(raw: string, name = 'DATABASE_URL'): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new ConfigError(`${name} must be a postgresql:// URL`);
  }
  return raw;
}

function optionalUuid(env: Env, name: string): string | null {
  const raw = value(env, name);
  if (raw === undefined) return null;
  if (!isUuid(raw)) throw new ConfigError(`${name} must be a user id (a UUID)`);
  return raw.toLowerCase();
}

function optionalDatabaseUrl(env: Env, name: string): string | null {
  const raw = value(env, name);
  return raw === undefined ? null : databaseUrl(raw, name);
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A Supabase API key is a legacy JWT or a new-style `sb_publishable_…` / `sb_secret_…` key. */
function apiKey(name: string, raw: string, newPrefix: 'sb_publishable_' | 'sb_secret_'): string {
  if (JWT_SHAPE.test(raw) || (raw.startsWith(newPrefix) && raw.length > newPrefix.length + 8)) return raw;
  throw new ConfigError(`${name} must be a Supabase JWT key or an ${newPrefix}… key`);
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** The first choice is the default. */
function oneOf<T extends string>(env: Env, name: string, choices: readonly [T, ...T[]]): T {
  const raw = value(env, name);
  if (raw === undefined) return choices[0];
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** `false` (default), `true`, a number of proxy hops, or a comma-separated list of proxy addresses or CIDRs. */
function trustProxy(raw: string | undefined): AppConfig['trustProxy'] {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const proxies = raw.split(',').map((proxy) => proxy.trim());
  if (proxies.some((proxy) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(proxy))) {
    throw new ConfigError('TRUST_PROXY must be true, false, a number of hops, or proxy addresses/CIDRs separated by commas');
  }
  return proxies;
}

/** Comma-separated origins (or `*`); unset: the local default in development, none in production. */
function corsOrigins(raw: string | undefined, nodeEnv: string): string[] | null {
  if (raw === undefined) return nodeEnv === 'production' ? [] : null;
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // refused below
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS must list origins such as https://app.example.com (scheme, host and port, no path or trailing slash), got "${origin}"`,
      );
    }
  }
  return origins;
}

function webhookSecrets(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const secrets = raw.split(/\s+/);
  for (const secret of secrets) {
    if (!/^(v1,)?whsec_[A-Za-z0-9+/=]{16,}$/.test(secret)) {
      throw new ConfigError('SUPABASE_WEBHOOK_SECRET must be one or more "v1,whsec_<base64>" secrets separated by spaces');
    }
  }
  return secrets;
}

/** Reads and validates every setting; throws a ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = value(env, 'NODE_ENV') ?? 'development';
  const supabaseUrl = httpUrl('SUPABASE_URL', required(env, 'SUPABASE_URL'));
  const jwtIssuer = value(env, 'SUPABASE_JWT_ISSUER') ?? `${supabaseUrl}/auth/v1`;
  const logLevel = (value(env, 'LOG_LEVEL') ?? 'info') as AppConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const jwtSecret = value(env, 'SUPABASE_JWT_SECRET') ?? null;
  if (jwtSecret !== null && jwtSecret.length < 32) {
    throw new ConfigError('SUPABASE_JWT_SECRET must be at least 32 characters');
  }
  const config: AppConfig = {
    nodeEnv,
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: value(env, 'HOST') ?? '0.0.0.0',
    logLevel,
    logFormat: oneOf(env, 'LOG_FORMAT', ['auto', 'json', 'pretty']),
    databaseUrl: databaseUrl(required(env, 'DATABASE_URL')),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
    supabase: {
      url: supabaseUrl,
      anonKey: apiKey('SUPABASE_ANON_KEY', required(env, 'SUPABASE_ANON_KEY'), 'sb_publishable_'),
      serviceRoleKey: apiKey('SUPABASE_SERVICE_ROLE_KEY', required(env, 'SUPABASE_SERVICE_ROLE_KEY'), 'sb_secret_'),
      jwtSecret,
      jwtIssuer: httpUrl('SUPABASE_JWT_ISSUER', jwtIssuer),
      jwksUrl: `${supabaseUrl}/auth/v1/.well-known/jwks.json`,
      adminTimeoutMs: integer(env, 'SUPABASE_ADMIN_TIMEOUT_MS', 5000, 100, 120_000),
      databaseUrl: optionalDatabaseUrl(env, 'SUPABASE_DB_URL'),
    },
    webhooks: {
      secrets: webhookSecrets(value(env, 'SUPABASE_WEBHOOK_SECRET')),
      dbWebhookToken: value(env, 'SUPABASE_DB_WEBHOOK_TOKEN') ?? null,
    },
    pull: {
      intervalMs: integer(env, 'SUPABASE_PULL_INTERVAL_MS', 1000, 50, 60_000),
      batchSize: integer(env, 'SUPABASE_PULL_BATCH_SIZE', 500, 1, 10_000),
      listen: flag(env, 'SUPABASE_PULL_LISTEN', false),
    },
    storageDir: value(env, 'STORAGE_DIR') ?? '.data/storage',
    tombstoneRetentionDays: integer(env, 'TOMBSTONE_RETENTION_DAYS', 30, 1, 3650),
    reconcileIntervalMinutes: integer(env, 'RECONCILE_INTERVAL_MINUTES', 15, 0, 1440),
    jobsEnabled: flag(env, 'JOBS_ENABLED', true),
    signup: {
      emailConfirmation: flag(env, 'SIGNUP_EMAIL_CONFIRMATION', true),
      passwordMinLength: integer(env, 'PASSWORD_MIN_LENGTH', 8, 6, 72),
      passwordRequireMixed: flag(env, 'PASSWORD_REQUIRE_MIXED', true),
    },
    rateLimits: {
      authPerIpPerMinute: integer(env, 'RATE_LIMIT_AUTH_PER_IP', 30, 0, 1_000_000),
      authPerAccountPerMinute: integer(env, 'RATE_LIMIT_AUTH_PER_ACCOUNT', 10, 0, 1_000_000),
      authFailuresPerAccountPerHour: integer(env, 'RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT', 100, 0, 1_000_000),
      lookupPerUserPerMinute: integer(env, 'RATE_LIMIT_LOOKUP_PER_USER', 30, 0, 1_000_000),
      lookupPerIpPerMinute: integer(env, 'RATE_LIMIT_LOOKUP_PER_IP', 60, 0, 1_000_000),
      otpPerPhonePerHour: integer(env, 'RATE_LIMIT_OTP_PER_PHONE', 5, 0, 1_000_000),
      otpPerIpPerHour: integer(env, 'RATE_LIMIT_OTP_PER_IP', 20, 0, 1_000_000),
    },
    access: { tokenLifetimeSeconds: integer(env, 'SUPABASE_JWT_EXPIRY', 3600, 30, 604_800) },
    anonymousUsers: oneOf(env, 'ANONYMOUS_USERS', ['refuse', 'allow'] as const),
    reauthenticationWindowMinutes: integer(env, 'REAUTHENTICATION_WINDOW_MINUTES', 10, 0, 1440),
    trustProxy: trustProxy(value(env, 'TRUST_PROXY')),
    corsOrigins: corsOrigins(value(env, 'CORS_ORIGINS'), nodeEnv),
    metrics: {
      token: value(env, 'METRICS_TOKEN') ?? null,
      port: value(env, 'METRICS_PORT') === undefined ? null : integer(env, 'METRICS_PORT', 0, 0, 65535),
    },
    canary: { userId: optionalUuid(env, 'CANARY_USER_ID'), intervalSeconds: integer(env, 'CANARY_INTERVAL_SECONDS', 60, 1, 86_400) },
  };
  const dbToken = config.webhooks.dbWebhookToken;
  if (dbToken !== null && dbToken.length < 16) {
    throw new ConfigError('SUPABASE_DB_WEBHOOK_TOKEN must be at least 16 characters');
  }
  const { token, port } = config.metrics;
  if (token !== null && token.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
  if (port !== null && port !== 0 && port === config.port) throw new ConfigError('METRICS_PORT must differ from PORT');
  if (nodeEnv === 'production') refuseDevelopmentKeys(config);
  return config;
}

function refuseDevelopmentKeys(config: AppConfig): void {
  const checks: Array<[string, string | null]> = [
    ['SUPABASE_ANON_KEY', config.supabase.anonKey],
    ['SUPABASE_SERVICE_ROLE_KEY', config.supabase.serviceRoleKey],
    ['SUPABASE_JWT_SECRET', config.supabase.jwtSecret],
  ];
  for (const [name, setting] of checks) {
    if (setting !== null && DEVELOPMENT_KEYS.has(setting)) {
      throw new ConfigError(`${name} is a fixed development key, refused with NODE_ENV=production`);
    }
  }
}
