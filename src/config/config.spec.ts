import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';
import { DEVELOPMENT_ANON_KEY, DEVELOPMENT_JWT_SECRET, DEVELOPMENT_SERVICE_ROLE_KEY } from './development-keys.js';

const valid = {
  DATABASE_URL: 'postgresql://app:secret@db.internal:5432/app',
  SUPABASE_URL: 'https://abcd.supabase.co/',
  SUPABASE_ANON_KEY: 'sb_publishable_0123456789abcdef',
  SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_0123456789abcdef',
};

function failure(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted a bad configuration');
}

describe('loadConfig', () => {
  it('derives the documented defaults from the required settings', () => {
    const config = loadConfig(valid);
    expect(config.supabase.databaseUrl).toBeNull();
    expect(config.pull).toEqual({ intervalMs: 1000, batchSize: 500, listen: false });
    expect(config.port).toBe(3000);
    expect(config.supabase.url).toBe('https://abcd.supabase.co');
    expect(config.supabase.jwtIssuer).toBe('https://abcd.supabase.co/auth/v1');
    expect(config.supabase.jwksUrl).toBe('https://abcd.supabase.co/auth/v1/.well-known/jwks.json');
    expect(config.supabase.jwtSecret).toBeNull();
    expect(config.webhooks.secrets).toEqual([]);
  });

  it.each(['DATABASE_URL', 'SUPABASE_URL', 'SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY'])(
    'stops with one line naming a missing %s',
    (name) => {
      const message = failure({ ...valid, [name]: undefined });
      expect(message).toBe(`${name} is not set`);
    },
  );

  it.each([
    ['PORT', 'eighty', 'PORT must be an integer'],
    ['DATABASE_URL', 'mysql://x@y/z', 'DATABASE_URL must be a postgresql:// URL'],
    ['SUPABASE_URL', 'abcd.supabase.co', 'SUPABASE_URL is not a valid URL'],
    ['SUPABASE_SERVICE_ROLE_KEY', 'not-a-key', 'SUPABASE_SERVICE_ROLE_KEY must be'],
    ['SUPABASE_JWT_SECRET', 'short', 'SUPABASE_JWT_SECRET must be at least 32 characters'],
    ['SUPABASE_WEBHOOK_SECRET', 'plain-secret', 'SUPABASE_WEBHOOK_SECRET must be'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of'],
    ['ANONYMOUS_USERS', 'maybe', 'ANONYMOUS_USERS must be one of refuse, allow'],
    ['TRUST_PROXY', 'the load balancer', 'TRUST_PROXY must be'],
    ['REAUTHENTICATION_WINDOW_MINUTES', '-1', 'REAUTHENTICATION_WINDOW_MINUTES must be an integer'],
    ['RATE_LIMIT_LOOKUP_PER_IP', '1.5', 'RATE_LIMIT_LOOKUP_PER_IP must be an integer'],
    ['SUPABASE_DB_URL', 'https://abcd.supabase.co', 'SUPABASE_DB_URL must be a postgresql:// URL'],
    ['SUPABASE_PULL_INTERVAL_MS', '10', 'SUPABASE_PULL_INTERVAL_MS must be an integer'],
    ['SUPABASE_PULL_BATCH_SIZE', '0', 'SUPABASE_PULL_BATCH_SIZE must be an integer'],
  ])('names a malformed %s', (name, bad, expected) => {
    expect(failure({ ...valid, [name]: bad })).toContain(expected);
  });

  it('reads the abuse settings, with defaults that refuse anonymous users and trust no proxy', () => {
    const defaults = loadConfig(valid);
    expect(defaults.anonymousUsers).toBe('refuse');
    expect(defaults.trustProxy).toBe(false);
    expect(defaults.reauthenticationWindowMinutes).toBe(10);
    expect(defaults.rateLimits.lookupPerIpPerMinute).toBe(60);
    expect(defaults.rateLimits.authFailuresPerAccountPerHour).toBe(100);
    expect(loadConfig({ ...valid, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...valid, TRUST_PROXY: '10.0.0.0/8, 192.168.1.7' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.7']);
    expect(loadConfig({ ...valid, ANONYMOUS_USERS: 'allow' }).anonymousUsers).toBe('allow');
  });

  it('reads CORS_ORIGINS: the local default in development, none in production, listed origins as given', () => {
    expect(loadConfig(valid).corsOrigins).toBeNull();
    expect(loadConfig({ ...valid, NODE_ENV: 'production' }).corsOrigins).toEqual([]);
    expect(loadConfig({ ...valid, CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(loadConfig({ ...valid, CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(failure({ ...valid, CORS_ORIGINS: 'https://app.example.com/' })).toContain('CORS_ORIGINS must list origins');
    expect(failure({ ...valid, CORS_ORIGINS: 'app.example.com' })).toContain('CORS_ORIGINS must list origins');
  });

  it('accepts legacy JWT keys and several webhook secrets during rotation', () => {
    const config = loadConfig({
      ...valid,
      SUPABASE_ANON_KEY: DEVELOPMENT_ANON_KEY,
      SUPABASE_SERVICE_ROLE_KEY: DEVELOPMENT_SERVICE_ROLE_KEY,
      SUPABASE_WEBHOOK_SECRET: 'v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw v1,whsec_dGhpcyBpcyBhIHNlY3JldCBrZXk=',
    });
    expect(config.webhooks.secrets).toHaveLength(2);
  });

  it('reads the metrics and canary settings: off by default, a short token, a clashing port or a bad id refused', () => {
    expect(loadConfig(valid)).toMatchObject({ metrics: { token: null, port: null }, canary: { userId: null, intervalSeconds: 60 } });
    const id = 'A0B1C2D3-0000-4000-8000-000000000001';
    const config = loadConfig({
      ...valid,
      METRICS_TOKEN: 'x'.repeat(16),
      METRICS_PORT: '9464',
      CANARY_USER_ID: id,
      CANARY_INTERVAL_SECONDS: '5',
    });
    expect(config).toMatchObject({
      metrics: { token: 'x'.repeat(16), port: 9464 },
      canary: { userId: id.toLowerCase(), intervalSeconds: 5 },
    });
    expect(failure({ ...valid, METRICS_TOKEN: 'short' })).toBe('METRICS_TOKEN must be at least 16 characters');
    expect(failure({ ...valid, METRICS_PORT: '3000' })).toBe('METRICS_PORT must differ from PORT');
    expect(failure({ ...valid, CANARY_USER_ID: 'canary' })).toBe('CANARY_USER_ID must be a user id (a UUID)');
    expect(failure({ ...valid, CANARY_INTERVAL_SECONDS: '0' })).toContain('CANARY_INTERVAL_SECONDS must be an integer');
  });

  it.each([
    ['SUPABASE_ANON_KEY', DEVELOPMENT_ANON_KEY],
    ['SUPABASE_SERVICE_ROLE_KEY', DEVELOPMENT_SERVICE_ROLE_KEY],
    ['SUPABASE_JWT_SECRET', DEVELOPMENT_JWT_SECRET],
  ])('refuses the development %s when NODE_ENV=production', (name, key) => {
    expect(failure({ ...valid, NODE_ENV: 'production', [name]: key })).toContain(`${name} is a fixed development key`);
    expect(() => loadConfig({ ...valid, NODE_ENV: 'development', [name]: key })).not.toThrow();
  });
});
