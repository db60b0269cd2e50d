// Admin endpoints, events and faults of the Auth stand-in, driven through the real supabase-js.
// Over ~300 lines on purpose: one stand-in started once serves every admin case below; each
// describe is one endpoint or fault, read on its own.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createClient, type SupabaseClient, type User } from '@supabase/supabase-js';
import { createHash, randomUUID } from 'node:crypto';
import { DEV_KEYS, startAuthServer, type AuthServer, type UserChangedEvent } from './server.js';

const opts = { auth: { persistSession: false, autoRefreshToken: false } };
let seq = 0;
type Paged = { users: User[]; aud: string; nextPage: number | null; lastPage: number; total: number };
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.test`;

describe('auth stand-in: admin API', () => {
  let server: AuthServer;
  let admin: SupabaseClient;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true });
    admin = createClient(server.url, DEV_KEYS.serviceRoleKey, opts);
  });
  afterAll(() => server.close());

  it('createUser: 200 user, confirmations, metadata merged over {provider, providers}, custom id', async () => {
    const id = randomUUID();
    const email = uniqueEmail('Create').toUpperCase();
    const { data, error } = await admin.auth.admin.createUser({
      id,
      email,
      phone: '+44 7700 900123',
      password: 'secret123',
      email_confirm: true,
      user_metadata: { full_name: 'Bo' },
      app_metadata: { roles: ['admin'], provider: 'custom' },
    });
    expect(error).toBeNull();
    const u = data.user!;
    expect(u.id).toBe(id);
    expect(u.email).toBe(email.toLowerCase());
    expect(u.phone).toBe('447700900123');
    expect(u.email_confirmed_at).toBeDefined();
    expect(u.phone_confirmed_at).toBeUndefined();
    expect(u.confirmed_at).toBe(u.email_confirmed_at);
    expect(u.app_metadata).toEqual({ provider: 'custom', providers: ['email', 'phone'], roles: ['admin'] });
    expect(u.user_metadata).toEqual({ full_name: 'Bo', email_verified: true });
    expect(u.identities?.map((i) => i.provider)).toEqual(['email', 'phone']);
    expect(u.last_sign_in_at).toBeUndefined();
    // Sign-in works with the admin-set password.
    const signIn = await createClient(server.url, DEV_KEYS.anonKey, opts).auth.signInWithPassword({ email, password: 'secret123' });
    expect(signIn.error).toBeNull();
  });

  it('createUser errors: email_exists, phone_exists, validation_failed', async () => {
    const email = uniqueEmail('exists');
    expect((await admin.auth.admin.createUser({ email, phone: '15550001111' })).error).toBeNull();
    const dupEmail = await admin.auth.admin.createUser({ email: email.toUpperCase() });
    expect([dupEmail.error?.status, dupEmail.error?.code]).toEqual([422, 'email_exists']);
    const dupPhone = await admin.auth.admin.createUser({ phone: '+15550001111' });
    expect([dupPhone.error?.status, dupPhone.error?.code]).toEqual([422, 'phone_exists']);
    const neither = await admin.auth.admin.createUser({ user_metadata: { a: 1 } });
    expect([neither.error?.status, neither.error?.code]).toEqual([400, 'validation_failed']);
    expect(neither.error?.message).toBe('Cannot create a user without either an email or phone');
    const badEmail = await admin.auth.admin.createUser({ email: 'nope' });
    expect([badEmail.error?.status, badEmail.error?.code]).toEqual([400, 'validation_failed']);
    const nilId = await admin.auth.admin.createUser({ email: uniqueEmail('nil'), id: '00000000-0000-0000-0000-000000000000' });
    expect([nilId.error?.status, nilId.error?.code]).toEqual([400, 'validation_failed']);
  });

  it('getUserById / updateUserById / errors', async () => {
    const created = (
      await admin.auth.admin.createUser({ email: uniqueEmail('upd'), user_metadata: { a: 1, b: 2 }, app_metadata: { tier: 'x' } })
    ).data.user!;
    const got = await admin.auth.admin.getUserById(created.id);
    expect(got.error).toBeNull();
    expect(got.data.user).toEqual(created);

    const newEmail = uniqueEmail('renamed').toUpperCase();
    const upd = await admin.auth.admin.updateUserById(created.id, {
      email: newEmail,
      user_metadata: { b: null, c: 3 },
      app_metadata: { tier: null, plan: 'pro' },
      email_confirm: true,
      ban_duration: '24h',
    });
    expect(upd.error).toBeNull();
    const u = upd.data.user!;
    expect(u.email).toBe(newEmail.toLowerCase());
    expect(u.user_metadata).toEqual({ a: 1, c: 3, email_verified: true });
    expect(u.app_metadata).toEqual({ provider: 'email', providers: ['email'], plan: 'pro' });
    expect(u.email_confirmed_at).toBeDefined();
    expect(Date.parse(u.banned_until!)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(u.updated_at! > created.updated_at!).toBe(true);
    expect(u.identities?.[0]?.identity_data?.email).toBe(newEmail.toLowerCase());

    // email_confirm:false does not unconfirm (GoTrue only acts on true); ban "none" lifts the ban.
    const again = await admin.auth.admin.updateUserById(created.id, { email_confirm: false, ban_duration: 'none' });
    expect(again.data.user?.email_confirmed_at).toBe(u.email_confirmed_at);
    expect(again.data.user?.banned_until).toBeUndefined();

    const missing = await admin.auth.admin.getUserById(randomUUID());
    expect([missing.error?.status, missing.error?.code]).toEqual([404, 'user_not_found']);
    const missingUpd = await admin.auth.admin.updateUserById(randomUUID(), { user_metadata: { a: 1 } });
    expect([missingUpd.error?.status, missingUpd.error?.code]).toEqual([404, 'user_not_found']);
    const weak = await admin.auth.admin.updateUserById(created.id, { password: '1' });
    expect(weak.error?.code).toBe('weak_password');
    // supabase-js refuses non-UUIDs before sending, so check the server with a raw request.
    const raw = await fetch(`${server.issuer}/admin/users/not-a-uuid`, {
      headers: {
        apikey: DEV_KEYS.serviceRoleKey,
        authorization: `Bearer ${DEV_KEYS.serviceRoleKey}`,
        'X-Supabase-Api-Version': '2024-01-01',
      },
    });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ code: 'validation_failed', message: 'user_id must be an UUID' });
  });

  it('deleteUser (hard): 200 {}, then user_not_found; sessions die with the user', async () => {
    const email = uniqueEmail('hard');
    const created = (await admin.auth.admin.createUser({ email, password: 'secret123', email_confirm: true })).data.user!;
    const session = (await createClient(server.url, DEV_KEYS.anonKey, opts).auth.signInWithPassword({ email, password: 'secret123' })).data
      .session!;
    const events: UserChangedEvent[] = [];
    const listener = (e: UserChangedEvent) => events.push(e);
    server.events.on('user.changed', listener);
    const del = await admin.auth.admin.deleteUser(created.id);
    server.events.off('user.changed', listener);
    expect(del.error).toBeNull();
    // supabase-js GETs the user first and returns that (the server itself answers {}).
    expect(del.data.user?.id).toBe(created.id);
    expect(events).toEqual([{ type: 'DELETE', user: null, oldUser: expect.objectContaining({ id: created.id, email }) }]);
    expect((await admin.auth.admin.getUserById(created.id)).error?.code).toBe('user_not_found');
    expect(server.admin.getUser(created.id)).toBeNull();
    const getUser = await createClient(server.url, DEV_KEYS.anonKey, opts).auth.getUser(session.access_token);
    expect(getUser.error?.code).toBe('user_not_found');
    const refresh = await createClient(server.url, DEV_KEYS.anonKey, opts).auth.refreshSession({ refresh_token: session.refresh_token });
    expect(refresh.error?.code).toBe('refresh_token_not_found');
    const rawDelete = await fetch(`${server.issuer}/admin/users/${created.id}`, {
      method: 'DELETE',
      headers: { apikey: DEV_KEYS.serviceRoleKey, authorization: `Bearer ${DEV_KEYS.serviceRoleKey}` },
    });
    expect(rawDelete.status).toBe(404);
    expect(await rawDelete.json()).toEqual({ code: 404, error_code: 'user_not_found', msg: 'User not found' });
    const other = (await admin.auth.admin.createUser({ email: uniqueEmail('raw-del') })).data.user!;
    const rawOk = await fetch(`${server.issuer}/admin/users/${other.id}`, {
      method: 'DELETE',
      headers: { apikey: DEV_KEYS.serviceRoleKey, authorization: `Bearer ${DEV_KEYS.serviceRoleKey}` },
    });
    expect(rawOk.status).toBe(200);
    expect(await rawOk.text()).toBe('{}');
    expect(server.admin.getUser(other.id)).toBeNull();
  });

  it('deleteUser (soft): row stays with deleted_at, email/phone obfuscated, metadata emptied, sessions removed', async () => {
    const email = uniqueEmail('soft');
    const created = (
      await admin.auth.admin.createUser({
        email,
        phone: '15557654321',
        password: 'secret123',
        email_confirm: true,
        user_metadata: { x: 1 },
        app_metadata: { y: 2 },
      })
    ).data.user!;
    const session = (await createClient(server.url, DEV_KEYS.anonKey, opts).auth.signInWithPassword({ email, password: 'secret123' })).data
      .session!;
    const events: UserChangedEvent[] = [];
    const listener = (e: UserChangedEvent) => events.push(e);
    server.events.on('user.changed', listener);
    const del = await admin.auth.admin.deleteUser(created.id, true);
    server.events.off('user.changed', listener);
    expect(del.error).toBeNull();
    expect(del.data.user?.id).toBe(created.id);
    expect(events.map((e) => e.type)).toEqual(['UPDATE']);

    const got = (await admin.auth.admin.getUserById(created.id)).data.user!;
    const obfuscated = createHash('sha256')
      .update(created.id + email)
      .digest('base64url');
    expect(got.deleted_at).toBeDefined();
    expect(got.email).toBe(obfuscated);
    expect(got.phone).toBe(
      createHash('sha256')
        .update(created.id + '15557654321')
        .digest('base64url')
        .slice(0, 15),
    );
    expect(got.user_metadata).toEqual({});
    expect(got.app_metadata).toEqual({});
    expect(got.identities?.every((i) => Object.keys(i.identity_data ?? {}).length === 0)).toBe(true);
    expect(got.updated_at! > created.updated_at!).toBe(true);
    expect(events[0].user?.deleted_at).toBe(got.deleted_at);

    const raw = await fetch(`${server.issuer}/user`, {
      headers: { apikey: DEV_KEYS.anonKey, authorization: `Bearer ${session.access_token}`, 'X-Supabase-Api-Version': '2024-01-01' },
    });
    expect(raw.status).toBe(403);
    expect(((await raw.json()) as { code: string }).code).toBe('session_not_found');
    const signIn = await createClient(server.url, DEV_KEYS.anonKey, opts).auth.signInWithPassword({ email, password: 'secret123' });
    expect(signIn.error?.code).toBe('invalid_credentials');
    // Still listed, and soft-deleting again is a no-op.
    const list = await admin.auth.admin.listUsers({ page: 1, perPage: 1000 });
    expect(list.data.users.find((u) => u.id === created.id)?.deleted_at).toBe(got.deleted_at);
    expect((await admin.auth.admin.deleteUser(created.id, true)).error).toBeNull();
    expect((await admin.auth.admin.getUserById(created.id)).data.user?.updated_at).toBe(got.updated_at);
    // The email is free again.
    expect((await admin.auth.admin.createUser({ email })).error).toBeNull();
  });

  it('admin routes: no_authorization, bad_jwt, not_admin (anon key)', async () => {
    const anon = createClient(server.url, DEV_KEYS.anonKey, opts);
    const notAdmin = await anon.auth.admin.listUsers();
    expect([notAdmin.error?.status, notAdmin.error?.code]).toEqual([403, 'not_admin']);
    const notAdmin2 = await anon.auth.admin.createUser({ email: uniqueEmail('x') });
    expect(notAdmin2.error?.code).toBe('not_admin');
    // A user's own token is not admin either.
    const userToken = server.signAccessToken();
    const asUser = await fetch(`${server.issuer}/admin/users`, {
      headers: { apikey: DEV_KEYS.anonKey, authorization: `Bearer ${userToken}`, 'X-Supabase-Api-Version': '2024-01-01' },
    });
    expect([asUser.status, ((await asUser.json()) as { code: string }).code]).toEqual([403, 'not_admin']);
    // A service_role JWT signed with the wrong secret.
    const forged = DEV_KEYS.serviceRoleKey.slice(0, DEV_KEYS.serviceRoleKey.lastIndexOf('.')) + '.AAAA';
    const bad = await createClient(server.url, DEV_KEYS.anonKey, {
      ...opts,
      global: { headers: { Authorization: `Bearer ${forged}` } },
    }).auth.admin.listUsers();
    expect(bad.error?.code).toBe('bad_jwt');
    const res = await fetch(`${server.issuer}/admin/users`, {
      headers: { apikey: DEV_KEYS.anonKey, 'X-Supabase-Api-Version': '2024-01-01' },
    });
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([401, 'no_authorization']);
    // Custom admin token (role service_role, ES256 with kid) is accepted.
    const svc = server.signAccessToken({ role: 'service_role', sub: undefined, session_id: undefined });
    const ok = await fetch(`${server.issuer}/admin/users?per_page=1`, {
      headers: { apikey: DEV_KEYS.anonKey, authorization: `Bearer ${svc}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe('auth stand-in: listUsers paging', () => {
  let server: AuthServer;
  let admin: SupabaseClient;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true });
    admin = createClient(server.url, DEV_KEYS.secretKey, opts);
  });
  afterAll(() => server.close());

  it('zero users: Link exactly like GoTrue', async () => {
    const res = await fetch(`${server.issuer}/admin/users`, { headers: { apikey: DEV_KEYS.secretKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('link')).toBe('</admin/users?page=0>; rel="last"');
    expect(res.headers.get('x-total-count')).toBe('0');
    expect(await res.json()).toEqual({ users: [], aud: 'authenticated' });
    const viaJs = await admin.auth.admin.listUsers();
    expect(viaJs.error).toBeNull();
    expect(viaJs.data).toMatchObject({ users: [], aud: 'authenticated', nextPage: null, lastPage: 0, total: 0 });
  });

  it('pages through 23 users (newest first) with nextPage/lastPage/total', async () => {
    server.admin.bulkInsert(20, (i) => ({ email: `bulk${i}@example.test`, raw_user_meta_data: { i } }));
    for (let i = 20; i < 23; i++)
      expect((await admin.auth.admin.createUser({ email: `bulk${i}@example.test`, user_metadata: { i } })).error).toBeNull();
    expect(server.admin.userCount()).toBe(23);

    const raw = await fetch(`${server.issuer}/admin/users?page=2&per_page=5`, { headers: { apikey: DEV_KEYS.secretKey } });
    expect(raw.headers.get('link')).toBe('</admin/users?page=3&per_page=5>; rel="next", </admin/users?page=5&per_page=5>; rel="last"');
    expect(raw.headers.get('x-total-count')).toBe('23');

    const seen: number[] = [];
    let page: number | null = 1;
    const pages: Array<{ nextPage: number | null; lastPage: number; total: number }> = [];
    while (page) {
      const res = await admin.auth.admin.listUsers({ page, perPage: 5 });
      expect(res.error).toBeNull();
      const data = res.data as Paged;
      pages.push({ nextPage: data.nextPage, lastPage: data.lastPage, total: data.total });
      for (const u of data.users) seen.push(u.user_metadata.i as number);
      expect(data.users.every((u) => u.identities === null)).toBe(true);
      page = data.nextPage;
    }
    expect(pages).toEqual([
      { nextPage: 2, lastPage: 5, total: 23 },
      { nextPage: 3, lastPage: 5, total: 23 },
      { nextPage: 4, lastPage: 5, total: 23 },
      { nextPage: 5, lastPage: 5, total: 23 },
      { nextPage: null, lastPage: 5, total: 23 },
    ]);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, k) => 22 - k));

    // Past the end: empty page, only rel="last".
    const beyond = await fetch(`${server.issuer}/admin/users?page=9&per_page=5`, { headers: { apikey: DEV_KEYS.secretKey } });
    expect(beyond.headers.get('link')).toBe('</admin/users?page=5&per_page=5>; rel="last"');
    expect(((await beyond.json()) as { users: unknown[] }).users).toEqual([]);
    // Oldest first with sort, and a bad page value.
    const asc = await fetch(`${server.issuer}/admin/users?page=1&per_page=2&sort=created_at%20asc`, {
      headers: { apikey: DEV_KEYS.secretKey },
    });
    const ascBody = (await asc.json()) as { users: Array<{ user_metadata: { i: number } }> };
    expect(ascBody.users.map((u) => u.user_metadata.i)).toEqual([0, 1]);
    expect(asc.headers.get('link')).toBe(
      '</admin/users?page=2&per_page=2&sort=created_at+asc>; rel="next", </admin/users?page=12&per_page=2&sort=created_at+asc>; rel="last"',
    );
    const badPage = await fetch(`${server.issuer}/admin/users?page=x`, { headers: { apikey: DEV_KEYS.secretKey } });
    expect(badPage.status).toBe(400);
    // Default paging through supabase-js (page/per_page sent empty).
    const def = (await admin.auth.admin.listUsers()).data as Paged;
    expect(def.users).toHaveLength(23);
    expect(def.total).toBe(23);
    expect(def.nextPage).toBeNull();
  });
});

describe('auth stand-in: events, raw admin controls, faults', () => {
  let server: AuthServer;
  let admin: SupabaseClient;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true, autoconfirm: true });
    admin = createClient(server.url, DEV_KEYS.serviceRoleKey, opts);
  });
  beforeEach(() => server.faults.clear());
  afterAll(() => server.close());

  it('emits INSERT / UPDATE / DELETE with snapshots; updated_at strictly increases per change', async () => {
    const events: UserChangedEvent[] = [];
    server.events.on('user.changed', (e: UserChangedEvent) => events.push(e));
    const u = (await admin.auth.admin.createUser({ email: uniqueEmail('ev') })).data.user!;
    const versions = [u.updated_at];
    for (let i = 0; i < 20; i++) {
      const r = await admin.auth.admin.updateUserById(u.id, { user_metadata: { n: i } });
      versions.push(r.data.user!.updated_at);
    }
    const raw = server.admin.updateUserRaw(u.id, { raw_app_meta_data: { provider: 'email', providers: ['email'], raw: true } });
    versions.push(raw.updated_at);
    for (let i = 1; i < versions.length; i++) expect(versions[i]! > versions[i - 1]!).toBe(true);
    await admin.auth.admin.deleteUser(u.id);
    server.events.removeAllListeners('user.changed');
    expect(events.map((e) => e.type)).toEqual(['INSERT', ...Array(21).fill('UPDATE'), 'DELETE']);
    expect(events[0].oldUser).toBeNull();
    expect(events[0].user?.id).toBe(u.id);
    expect(events[1].oldUser?.raw_user_meta_data).toEqual({});
    expect(events[1].user?.raw_user_meta_data).toEqual({ n: 0 });
    expect(events[21].user?.raw_app_meta_data).toEqual({ provider: 'email', providers: ['email'], raw: true });
    expect(events[22].user).toBeNull();
    // Passwords are never in clear text in the stored row.
    expect(events[0].user?.encrypted_password).toMatch(/^scrypt\$/);
  });

  it('faults: 503 N times (retryable error), custom code, then recovery', async () => {
    server.faults.add({ path: /\/admin\/users/, status: 503, times: 2 });
    const a = await admin.auth.admin.listUsers();
    expect(a.error?.name).toBe('AuthRetryableFetchError');
    expect(a.error?.status).toBe(503);
    const b = await admin.auth.admin.createUser({ email: uniqueEmail('f') });
    expect(b.error?.status).toBe(503);
    const c = await admin.auth.admin.listUsers();
    expect(c.error).toBeNull();

    server.faults.add({ method: 'POST', path: /\/token/, status: 429, code: 'over_request_rate_limit', times: 1 });
    const limited = await createClient(server.url, DEV_KEYS.anonKey, opts).auth.signInWithPassword({
      email: 'a@b.co',
      password: 'secret123',
    });
    expect([limited.error?.status, limited.error?.code]).toEqual([429, 'over_request_rate_limit']);
  });

  it('faults: status 0 destroys the socket (network error), delayMs delays', async () => {
    server.faults.add({ path: /\/admin\/users/, status: 0, times: 1 });
    const dead = await admin.auth.admin.listUsers();
    expect(dead.error?.name).toBe('AuthRetryableFetchError');
    expect(dead.error?.status).toBe(0);

    server.faults.add({ path: /\/admin\/users/, status: 200, delayMs: 150, times: 1 });
    const t0 = Date.now();
    const slow = await admin.auth.admin.listUsers();
    expect(slow.error).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    server.faults.add({ path: /\/admin\/users/, status: 500 });
    expect((await admin.auth.admin.listUsers()).error?.status).toBe(500);
    expect((await admin.auth.admin.listUsers()).error?.status).toBe(500);
    server.faults.clear();
    expect((await admin.auth.admin.listUsers()).error).toBeNull();
  });
});
