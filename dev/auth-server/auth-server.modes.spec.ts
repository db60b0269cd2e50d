// hs256 (legacy secret) mode, persistence and the fixed development keys.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from '@supabase/supabase-js';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_KEYS, isDevKey, startAuthServer, type AuthServer } from './server.js';

const opts = { auth: { persistSession: false, autoRefreshToken: false } };
const secret = new TextEncoder().encode(DEV_KEYS.jwtSecret);

describe('auth stand-in: hs256 mode', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true, signing: 'hs256', autoconfirm: true, accessTokenTtlSeconds: 600 });
  });
  afterAll(() => server.close());

  it('JWKS is empty', async () => {
    const res = await fetch(`${server.issuer}/.well-known/jwks.json`);
    expect(await res.json()).toEqual({ keys: [] });
    expect(res.headers.get('cache-control')).toBe('public, max-age=600');
  });

  it('tokens are HS256 without kid and verify with the secret; getClaims falls back to /user', async () => {
    const c = createClient(server.url, DEV_KEYS.anonKey, opts);
    const email = `hs-${Date.now()}@example.test`;
    const { data, error } = await c.auth.signUp({ email, password: 'secret123' });
    expect(error).toBeNull();
    const token = data.session!.access_token;
    expect(data.session!.expires_in).toBe(600);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], issuer: server.issuer, audience: 'authenticated' });
    expect(payload.sub).toBe(data.user!.id);
    expect(payload.exp! - payload.iat!).toBe(600);

    const before = server.stats.count('GET', '/auth/v1/user');
    const claims = await c.auth.getClaims(token);
    expect(claims.error).toBeNull();
    expect(claims.data?.claims.sub).toBe(data.user!.id);
    expect(server.stats.count('GET', '/auth/v1/user')).toBe(before + 1);
  });

  it('rejects ES256 tokens (no such kid) with bad_jwt; admin via legacy service key works', async () => {
    const admin = createClient(server.url, DEV_KEYS.serviceRoleKey, opts);
    const u = (await admin.auth.admin.createUser({ email: `hs-admin-${Date.now()}@example.test` })).data.user!;
    const es = server.signAccessToken({ sub: u.id, session_id: undefined }, { key: 'es256' });
    expect(decodeProtectedHeader(es).kid).toBe(DEV_KEYS.kid);
    const r = await createClient(server.url, DEV_KEYS.anonKey, opts).auth.getUser(es);
    expect([r.error?.status, r.error?.code]).toEqual([403, 'bad_jwt']);
    const hs = server.signAccessToken({ sub: u.id, session_id: undefined });
    expect((await createClient(server.url, DEV_KEYS.anonKey, opts).auth.getUser(hs)).data.user?.id).toBe(u.id);
  });
});

describe('auth stand-in: persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-stand-in-'));
  const file = join(dir, 'nested', 'auth-state.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps users, sessions and refresh tokens across a restart (no clear-text passwords on disk)', async () => {
    const first = await startAuthServer({ quiet: true, autoconfirm: true, persistPath: file });
    const c = createClient(first.url, DEV_KEYS.anonKey, opts);
    const email = `persist-${Date.now()}@example.test`;
    const password = 'very-secret-password-42';
    const up = await c.auth.signUp({ email, password, options: { data: { k: 'v' } } });
    expect(up.error).toBeNull();
    const admin = createClient(first.url, DEV_KEYS.serviceRoleKey, opts);
    const other = (await admin.auth.admin.createUser({ email: `p2-${Date.now()}@example.test` })).data.user!;
    await admin.auth.admin.deleteUser(other.id, true);
    const before = first.admin.getUser(up.data.user!.id)!;
    await first.close();

    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(password);
    expect(text).toContain(email);

    const second = await startAuthServer({ quiet: true, autoconfirm: true, persistPath: file });
    try {
      expect(second.admin.userCount()).toBe(2);
      expect(second.admin.getUser(up.data.user!.id)).toEqual(before);
      expect(second.admin.getUser(other.id)?.deleted_at).toBeDefined();
      const c2 = createClient(second.url, DEV_KEYS.anonKey, opts);
      const refreshed = await c2.auth.refreshSession({ refresh_token: up.data.session!.refresh_token });
      expect(refreshed.error).toBeNull();
      const signIn = await c2.auth.signInWithPassword({ email, password });
      expect(signIn.error).toBeNull();
      expect(signIn.data.user!.updated_at! > before.updated_at).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('dev keys', () => {
  it('legacy anon/service_role keys are the Supabase CLI values, signed with the dev secret', async () => {
    for (const [key, role] of [
      [DEV_KEYS.anonKey, 'anon'],
      [DEV_KEYS.serviceRoleKey, 'service_role'],
    ] as const) {
      const { payload, protectedHeader } = await jwtVerify(key, secret, { algorithms: ['HS256'] });
      expect(payload).toEqual({ iss: 'supabase-demo', role, exp: 1983812996 });
      expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    }
    expect(DEV_KEYS.publishableKey.startsWith('sb_publishable_')).toBe(true);
    expect(DEV_KEYS.secretKey.startsWith('sb_secret_')).toBe(true);
  });

  it('the ES256 private JWK matches the published public JWK', async () => {
    const server = await startAuthServer({ quiet: true });
    try {
      const token = server.signAccessToken();
      const pub = await importJWK({ ...DEV_KEYS.es256PublicJwk, key_ops: ['verify'] }, 'ES256');
      const { payload } = await jwtVerify(token, pub, { issuer: server.issuer });
      expect(payload.role).toBe('authenticated');
      expect(DEV_KEYS.es256PrivateJwk.kid).toBe(DEV_KEYS.kid);
    } finally {
      await server.close();
    }
  });

  it('isDevKey recognises the dev keys only', () => {
    for (const k of [
      DEV_KEYS.anonKey,
      DEV_KEYS.serviceRoleKey,
      DEV_KEYS.publishableKey,
      DEV_KEYS.secretKey,
      DEV_KEYS.jwtSecret,
      ` ${DEV_KEYS.jwtSecret}\n`,
    ]) {
      expect(isDevKey(k)).toBe(true);
    }
    for (const k of ['', 'sb_secret_somethingelse', 'another-secret-with-at-least-32-characters!!', DEV_KEYS.anonKey.slice(0, -2) + 'xx']) {
      expect(isDevKey(k)).toBe(false);
    }
  });
});
