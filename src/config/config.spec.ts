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
  it('derives the defaults of api.md from the required settings', () => {
    const config = loadConfig(valid);
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
  ])('names a malformed %s', (name, bad, expected) => {
    expect(failure({ ...valid, [name]: bad })).toContain(expected);
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

  it.each([
    ['SUPABASE_ANON_KEY', DEVELOPMENT_ANON_KEY],
    ['SUPABASE_SERVICE_ROLE_KEY', DEVELOPMENT_SERVICE_ROLE_KEY],
    ['SUPABASE_JWT_SECRET', DEVELOPMENT_JWT_SECRET],
  ])('refuses the development %s when NODE_ENV=production', (name, key) => {
    expect(failure({ ...valid, NODE_ENV: 'production', [name]: key })).toContain(`${name} is a fixed development key`);
    expect(() => loadConfig({ ...valid, NODE_ENV: 'development', [name]: key })).not.toThrow();
  });
});
