// Public (user-facing) endpoints of the Auth stand-in, driven through the real supabase-js.
// Over ~300 lines on purpose: one stand-in started once serves every public-endpoint case below;
// each describe is one endpoint, read on its own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { DEV_KEYS, startAuthServer, type AuthServer } from './server.js';

const opts = { auth: { persistSession: false, autoRefreshToken: false } };
const RFC3339_MICRO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
let seq = 0;
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@Example.TEST`;

function client(server: AuthServer, key = DEV_KEYS.anonKey): SupabaseClient {
  return createClient(server.url, key, opts);
}

describe('auth stand-in: autoconfirm off (Supabase default)', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true });
  });
  afterAll(() => server.close());

  it('signUp returns a bare user without a session, email lower-cased', async () => {
    const email = uniqueEmail('signup');
    const { data, error } = await client(server).auth.signUp({ email, password: 'secret123', options: { data: { full_name: 'Ann' } } });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.email).toBe(email.toLowerCase());
    expect(data.user?.user_metadata).toEqual({ full_name: 'Ann' });
    expect(data.user?.app_metadata).toEqual({ provider: 'email', providers: ['email'] });
    expect(data.user?.email_confirmed_at).toBeUndefined();
    expect(data.user?.confirmation_sent_at).toMatch(RFC3339_MICRO);
    expect(data.user?.created_at).toMatch(RFC3339_MICRO);
    expect(data.user?.aud).toBe('authenticated');
    expect(data.user?.role).toBe('authenticated');
    expect(data.user?.identities).toHaveLength(1);
    expect(data.user?.identities?.[0]).toMatchObject({
      id: data.user?.id,
      user_id: data.user?.id,
      provider: 'email',
      email: email.toLowerCase(),
      identity_data: { sub: data.user?.id, email: email.toLowerCase(), email_verified: false, phone_verified: false, full_name: 'Ann' },
    });
  });

  it('signInWithPassword: email_not_confirmed only after a correct password', async () => {
    const email = uniqueEmail('unconfirmed');
    const c = client(server);
    await c.auth.signUp({ email, password: 'secret123' });
    const wrong = await c.auth.signInWithPassword({ email, password: 'nope-nope' });
    expect(wrong.error?.code).toBe('invalid_credentials');
    expect(wrong.error?.status).toBe(400);
    const right = await c.auth.signInWithPassword({ email, password: 'secret123' });
    expect(right.error?.code).toBe('email_not_confirmed');
    expect(right.error?.status).toBe(400);
    const unknown = await c.auth.signInWithPassword({ email: uniqueEmail('ghost'), password: 'secret123' });
    expect(unknown.error?.code).toBe('invalid_credentials');
  });

  it('repeated signUp of a confirmed user returns an obfuscated fake user with identities []', async () => {
    const admin = client(server, DEV_KEYS.serviceRoleKey);
    const email = uniqueEmail('dupe');
    const created = await admin.auth.admin.createUser({ email, password: 'secret123', email_confirm: true });
    expect(created.error).toBeNull();
    const { data, error } = await client(server).auth.signUp({ email, password: 'other-pass' });
    expect(error).toBeNull();
    expect(data.user?.id).not.toBe(created.data.user?.id);
    expect(data.user?.identities).toEqual([]);
    expect(data.user?.role).toBe('');
  });

  it('weak password → 422 weak_password with reasons', async () => {
    const { error } = await client(server).auth.signUp({ email: uniqueEmail('weak'), password: '123' });
    expect(error?.code).toBe('weak_password');
    expect(error?.status).toBe(422);
    expect(error?.name).toBe('AuthWeakPasswordError');
    expect((error as unknown as { reasons: string[] }).reasons).toEqual(['length']);
    expect(error?.message).toBe('Password should be at least 6 characters.');
  });

  it('phone signup stores the phone without "+"', async () => {
    const { data, error } = await client(server).auth.signUp({ phone: '+15551234567', password: 'secret123' });
    expect(error).toBeNull();
    expect(data.user?.phone).toBe('15551234567');
    expect(data.user?.email).toBe('');
    expect(data.user?.app_metadata).toEqual({ provider: 'phone', providers: ['phone'] });
    const bad = await client(server).auth.signUp({ phone: '+0123', password: 'secret123' });
    expect(bad.error?.code).toBe('validation_failed');
    expect(bad.error?.status).toBe(400);
  });
});

describe('auth stand-in: autoconfirm on, sessions and tokens', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true, autoconfirm: true });
  });
  afterAll(() => server.close());

  it('signUp returns a session with a real ES256 JWT carrying GoTrue claims', async () => {
    const email = uniqueEmail('auto');
    const { data, error } = await client(server).auth.signUp({ email, password: 'secret123', options: { data: { plan: 'free' } } });
    expect(error).toBeNull();
    const s = data.session!;
    expect(s).not.toBeNull();
    expect(s.token_type).toBe('bearer');
    expect(s.expires_in).toBe(3600);
    expect(s.refresh_token).toMatch(/^[a-z0-9]{12}$/);
    expect(data.user?.email_confirmed_at).toMatch(RFC3339_MICRO);
    expect(data.user?.confirmed_at).toBe(data.user?.email_confirmed_at);
    expect(data.user?.last_sign_in_at).toMatch(RFC3339_MICRO);
    expect(data.user?.user_metadata).toEqual({ plan: 'free', email_verified: true });

    const header = decodeProtectedHeader(s.access_token);
    expect(header).toEqual({ alg: 'ES256', kid: DEV_KEYS.kid, typ: 'JWT' });
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(s.access_token, jwks, { issuer: server.issuer, audience: 'authenticated', algorithms: ['ES256'] });
    expect(Object.keys(payload)).toEqual([
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'email',
      'phone',
      'app_metadata',
      'user_metadata',
      'role',
      'aal',
      'amr',
      'session_id',
      'is_anonymous',
    ]);
    expect(payload).toMatchObject({
      iss: `${server.url}/auth/v1`,
      sub: data.user!.id,
      aud: 'authenticated',
      email: email.toLowerCase(),
      phone: '',
      role: 'authenticated',
      aal: 'aal1',
      is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { plan: 'free', email_verified: true },
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }]);
    expect(payload.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.expires_at).toBe(payload.exp);
  });

  it('signUp of an existing confirmed user → 422 user_already_exists', async () => {
    const email = uniqueEmail('again');
    await client(server).auth.signUp({ email, password: 'secret123' });
    const { error } = await client(server).auth.signUp({ email, password: 'secret123' });
    expect(error?.code).toBe('user_already_exists');
    expect(error?.status).toBe(422);
  });

  it('password sign-in updates last_sign_in_at and updated_at (strictly increasing) and emits UPDATE', async () => {
    const email = uniqueEmail('signin');
    const c = client(server);
    const up = await c.auth.signUp({ email, password: 'secret123' });
    const before = server.admin.getUser(up.data.user!.id)!;
    const events: unknown[] = [];
    const listener = (e: unknown) => events.push(e);
    server.events.on('user.changed', listener);
    const { data, error } = await c.auth.signInWithPassword({ email: email.toUpperCase(), password: 'secret123' });
    server.events.off('user.changed', listener);
    expect(error).toBeNull();
    expect(data.session?.access_token.split('.')).toHaveLength(3);
    expect((data.user?.last_sign_in_at ?? '') > (before.last_sign_in_at ?? '')).toBe(true);
    expect((data.user?.updated_at ?? '') > before.updated_at).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'UPDATE',
      user: { id: before.id, last_sign_in_at: data.user?.last_sign_in_at },
      oldUser: { last_sign_in_at: before.last_sign_in_at },
    });
  });

  it('refreshSession rotates; reusing the parent of the active token answers the active one; unknown → refresh_token_not_found', async () => {
    const email = uniqueEmail('refresh');
    const c = client(server);
    const { data } = await c.auth.signUp({ email, password: 'secret123' });
    const first = data.session!;
    const r1 = await c.auth.refreshSession({ refresh_token: first.refresh_token });
    expect(r1.error).toBeNull();
    expect(r1.data.session?.refresh_token).toMatch(/^[a-z0-9]{12}$/);
    expect(r1.data.session?.refresh_token).not.toBe(first.refresh_token);
    expect(r1.data.user?.id).toBe(data.user!.id);
    const claims1 = JSON.parse(Buffer.from(r1.data.session!.access_token.split('.')[1], 'base64url').toString());
    const claims0 = JSON.parse(Buffer.from(first.access_token.split('.')[1], 'base64url').toString());
    expect(claims1.session_id).toBe(claims0.session_id);

    // The client lost the answer of its refresh and retries: GoTrue answers the active token again.
    const reuse = await client(server).auth.refreshSession({ refresh_token: first.refresh_token });
    expect(reuse.error).toBeNull();
    expect(reuse.data.session?.refresh_token).toBe(r1.data.session?.refresh_token);
    const after = await client(server).auth.refreshSession({ refresh_token: r1.data.session!.refresh_token });
    expect(after.error).toBeNull();

    const unknown = await client(server).auth.refreshSession({ refresh_token: 'zzzzzzzzzzzz' });
    expect(unknown.error?.code).toBe('refresh_token_not_found');
    expect(unknown.error?.status).toBe(400);
  });

  it('getUser: ok, no_authorization, bad_jwt, user_not_found', async () => {
    const email = uniqueEmail('getuser');
    const { data } = await client(server).auth.signUp({ email, password: 'secret123' });
    const token = data.session!.access_token;
    const ok = await client(server).auth.getUser(token);
    expect(ok.error).toBeNull();
    expect(ok.data.user?.id).toBe(data.user!.id);
    expect(ok.data.user?.identities?.[0]?.provider).toBe('email');

    const noAuth = await fetch(`${server.issuer}/user`, { headers: { apikey: DEV_KEYS.anonKey, 'X-Supabase-Api-Version': '2024-01-01' } });
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toEqual({ code: 'no_authorization', message: 'This endpoint requires a valid Bearer token' });

    const parts = token.split('.');
    const tampered = `${parts[0]}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(parts[1], 'base64url').toString()), role: 'service_role' })).toString('base64url')}.${parts[2]}`;
    const bad = await client(server).auth.getUser(tampered);
    expect(bad.error?.code).toBe('bad_jwt');
    expect(bad.error?.status).toBe(403);

    const expired = server.signAccessToken({ sub: data.user!.id, exp: Math.floor(Date.now() / 1000) - 10 });
    const exp = await client(server).auth.getUser(expired);
    expect(exp.error?.code).toBe('bad_jwt');

    const ghost = server.signAccessToken({ session_id: undefined });
    const gone = await client(server).auth.getUser(ghost);
    expect(gone.error?.code).toBe('user_not_found');
    expect(gone.error?.status).toBe(403);

    // The legacy anon key is a valid JWT but has no sub.
    const anon = await client(server).auth.getUser(DEV_KEYS.anonKey);
    expect(anon.error?.code).toBe('bad_jwt');
  });

  it('getClaims verifies locally via JWKS (ES256) without calling /user', async () => {
    const email = uniqueEmail('claims');
    const c = client(server);
    const { data } = await c.auth.signUp({ email, password: 'secret123' });
    const token = data.session!.access_token;
    const usersBefore = server.stats.count('GET', '/auth/v1/user');
    const { data: claims, error } = await c.auth.getClaims(token);
    expect(error).toBeNull();
    expect(claims?.claims.sub).toBe(data.user!.id);
    expect(claims?.header).toMatchObject({ alg: 'ES256', kid: DEV_KEYS.kid });
    expect(server.stats.count('GET', '/auth/v1/user')).toBe(usersBefore);

    // A token with our kid but signed by another key must fail local verification.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${cryptoSign('sha256', Buffer.from(`${h}.${p}`), { key: other, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const forgedRes = await c.auth.getClaims(forged);
    expect(forgedRes.error?.name).toBe('AuthInvalidJwtError');
    expect(server.stats.count('GET', '/auth/v1/user')).toBe(usersBefore);
  });

  it('JWKS endpoint lists the public key with Cache-Control', async () => {
    const res = await fetch(`${server.issuer}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=600');
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toEqual({
      kty: 'EC',
      kid: DEV_KEYS.kid,
      alg: 'ES256',
      use: 'sig',
      key_ops: ['verify'],
      crv: 'P-256',
      x: DEV_KEYS.es256PublicJwk.x,
      y: DEV_KEYS.es256PublicJwk.y,
    });
    expect(body.keys[0]).not.toHaveProperty('d');
  });

  it('signOut scopes: local, others, global (then getUser → session_not_found)', async () => {
    const email = uniqueEmail('logout');
    const up = await client(server).auth.signUp({ email, password: 'secret123' });
    const a = client(server);
    const b = client(server);
    const c = client(server);
    const sa = (await a.auth.signInWithPassword({ email, password: 'secret123' })).data.session!;
    const sb = (await b.auth.signInWithPassword({ email, password: 'secret123' })).data.session!;
    const sc = (await c.auth.signInWithPassword({ email, password: 'secret123' })).data.session!;

    // local: only a's session goes.
    expect((await a.auth.signOut({ scope: 'local' })).error).toBeNull();
    expect((await client(server).auth.getUser(sa.access_token)).error?.name).toBe('AuthSessionMissingError');
    expect((await client(server).auth.getUser(sb.access_token)).error).toBeNull();
    const refreshA = await client(server).auth.refreshSession({ refresh_token: sa.refresh_token });
    expect(refreshA.error?.code).toBe('refresh_token_not_found');

    // others: b keeps its session, c loses it.
    expect((await b.auth.signOut({ scope: 'others' })).error).toBeNull();
    expect((await client(server).auth.getUser(sb.access_token)).error).toBeNull();
    expect((await client(server).auth.getUser(sc.access_token)).error?.name).toBe('AuthSessionMissingError');

    // global: everything goes; the raw error code is session_not_found (403).
    const sd = (await client(server).auth.signInWithPassword({ email, password: 'secret123' })).data.session!;
    const res = await fetch(`${server.issuer}/logout?scope=global`, {
      method: 'POST',
      headers: { apikey: DEV_KEYS.anonKey, authorization: `Bearer ${sb.access_token}` },
    });
    expect(res.status).toBe(204);
    for (const t of [sb.access_token, sd.access_token, up.data.session!.access_token]) {
      const raw = await fetch(`${server.issuer}/user`, {
        headers: { apikey: DEV_KEYS.anonKey, authorization: `Bearer ${t}`, 'X-Supabase-Api-Version': '2024-01-01' },
      });
      expect(raw.status).toBe(403);
      expect(((await raw.json()) as { code: string }).code).toBe('session_not_found');
    }
    const bad = await fetch(`${server.issuer}/logout?scope=bogus`, {
      method: 'POST',
      headers: {
        apikey: DEV_KEYS.anonKey,
        authorization: `Bearer ${server.signAccessToken({ sub: up.data.user!.id, session_id: undefined })}`,
      },
    });
    expect(bad.status).toBe(400);
  });

  it('updateUser merges user metadata (null deletes a key) and bumps updated_at', async () => {
    const email = uniqueEmail('put');
    const c = client(server);
    const up = await c.auth.signUp({ email, password: 'secret123', options: { data: { a: 1, b: 2 } } });
    expect(up.error).toBeNull();
    const { data, error } = await c.auth.updateUser({ data: { b: null, c: 3 } });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toEqual({ a: 1, c: 3, email_verified: true });
    expect(data.user!.updated_at! > up.data.user!.updated_at!).toBe(true);
  });
});

describe('auth stand-in: gateway keys, error formats, malformed input', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true, autoconfirm: true });
  });
  afterAll(() => server.close());

  it('requires a known apikey', async () => {
    const missing = await fetch(`${server.issuer}/user`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toBe('No API key found in request');
    const invalid = await fetch(`${server.issuer}/signup`, { method: 'POST', headers: { apikey: 'nope' }, body: '{}' });
    expect(invalid.status).toBe(401);
    expect(((await invalid.json()) as { message: string }).message).toBe('Invalid API key');
    const c = createClient(server.url, 'sb_publishable_not_a_real_key', opts);
    const { error } = await c.auth.signUp({ email: uniqueEmail('k'), password: 'secret123' });
    expect(error?.status).toBe(401);
  });

  it('legacy error format without the version header; new format + header with it', async () => {
    const email = uniqueEmail('fmt');
    await client(server).auth.signUp({ email, password: 'secret123' });
    const body = JSON.stringify({ email, password: 'wrong-password' });
    const legacy = await fetch(`${server.issuer}/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: DEV_KEYS.anonKey, 'content-type': 'application/json' },
      body,
    });
    expect(legacy.status).toBe(400);
    expect(legacy.headers.get('x-supabase-api-version')).toBeNull();
    expect(legacy.headers.get('x-sb-error-code')).toBe('invalid_credentials');
    expect(await legacy.json()).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });

    const modern = await fetch(`${server.issuer}/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: DEV_KEYS.anonKey, 'content-type': 'application/json', 'X-Supabase-Api-Version': '2024-01-01' },
      body,
    });
    expect(modern.status).toBe(400);
    expect(modern.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    expect(modern.headers.get('x-sb-error-code')).toBe('invalid_credentials');
    expect(await modern.json()).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' });

    const weak = await fetch(`${server.issuer}/signup`, {
      method: 'POST',
      headers: { apikey: DEV_KEYS.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail('w'), password: 'x' }),
    });
    expect(weak.status).toBe(422);
    expect(await weak.json()).toEqual({
      code: 422,
      error_code: 'weak_password',
      msg: 'Password should be at least 6 characters.',
      weak_password: { reasons: ['length'] },
    });
  });

  it('malformed JSON → 400 bad_json; wrong types → bad_json; unknown route → 404; never 500', async () => {
    const h = { apikey: DEV_KEYS.anonKey, 'content-type': 'application/json', 'X-Supabase-Api-Version': '2024-01-01' };
    const cases: [string, string, string | undefined, number, string][] = [
      ['POST', '/signup', '{"email":', 400, 'bad_json'],
      ['POST', '/signup', '', 400, 'bad_json'],
      ['POST', '/signup', '[1,2]', 400, 'bad_json'],
      ['POST', '/signup', '{"email":42,"password":"secret123"}', 400, 'bad_json'],
      ['POST', '/signup', '{"email":"x@y.z","password":"secret123","data":"str"}', 400, 'bad_json'],
      ['POST', '/signup', '{"email":"not-an-email","password":"secret123"}', 400, 'validation_failed'],
      ['POST', '/signup', '{"email":"a@b.co"}', 400, 'validation_failed'],
      ['POST', '/token?grant_type=password', 'nope', 400, 'bad_json'],
      ['POST', '/token?grant_type=magic', '{}', 400, 'invalid_credentials'],
      ['POST', '/token?grant_type=refresh_token', '{"refresh_token":"short"}', 400, 'validation_failed'],
      ['GET', '/does-not-exist', undefined, 404, 'not_found'],
      ['GET', '/admin/users/not-a-uuid', undefined, 401, 'no_authorization'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await fetch(`${server.issuer}${path}`, { method, headers: h, body });
      const json = (await res.json()) as { code: string };
      expect([path, body, res.status, json.code]).toEqual([path, body, status, code]);
    }
  });

  it('sb_publishable_ works for public routes; sb_secret_ for admin routes', async () => {
    const pub = client(server, DEV_KEYS.publishableKey);
    const email = uniqueEmail('pub');
    const up = await pub.auth.signUp({ email, password: 'secret123' });
    expect(up.error).toBeNull();
    expect((await pub.auth.getUser()).data.user?.email).toBe(email.toLowerCase());
    const notAdmin = await client(server, DEV_KEYS.publishableKey).auth.admin.listUsers();
    expect(notAdmin.error?.code).toBe('not_admin');
    expect(notAdmin.error?.status).toBe(403);
    const sec = client(server, DEV_KEYS.secretKey);
    const got = await sec.auth.admin.getUserById(up.data.user!.id);
    expect(got.error).toBeNull();
    expect(got.data.user?.email).toBe(email.toLowerCase());
    // The secret key in `apikey` alone (no Authorization) also authorises admin calls.
    const raw = await fetch(`${server.issuer}/admin/users/${up.data.user!.id}`, { headers: { apikey: DEV_KEYS.secretKey } });
    expect(raw.status).toBe(200);
  });

  it('CORS exposes pagination headers', async () => {
    const res = await fetch(`${server.issuer}/admin/users`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Total-Count');
    expect(res.headers.get('access-control-expose-headers')).toContain('Link');
  });
});
