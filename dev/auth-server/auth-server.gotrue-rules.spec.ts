// Where GoTrue is harsher than a convenient fake would be, the stand-in is too: races answered 500,
// refresh-token reuse rules, the per-address limit on POST /token, unstable paging of equal
// created_at, and smaller rules. Each is driven through supabase-js, as the service meets it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthRetryableFetchError, createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomUUID } from 'node:crypto';
import { DEV_KEYS, startAuthServer, type AuthServer, type UserChangedEvent } from './server.js';

const opts = { auth: { persistSession: false, autoRefreshToken: false } };
let seq = 0;
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.test`;

function anonClient(server: AuthServer, headers: Record<string, string> = {}): SupabaseClient {
  return createClient(server.url, DEV_KEYS.anonKey, { ...opts, global: { headers } });
}

describe('auth stand-in: GoTrue rules (internal/api/admin.go, token.go, logout.go, tokens/service.go)', () => {
  let server: AuthServer;
  let admin: SupabaseClient;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true, autoconfirm: true, rateLimitTokenRefresh: 0 });
    admin = createClient(server.url, DEV_KEYS.serviceRoleKey, opts);
  });
  afterAll(() => server.close());

  it('admin create: of 20 concurrent creates with one email, one succeeds and the losers of the race get 500 (retryable in supabase-js)', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(Array.from({ length: 20 }, () => admin.auth.admin.createUser({ email, password: 'secret123' })));
    expect(results.filter((result) => result.error === null)).toHaveLength(1);
    const failures = results.filter((result) => result.error !== null).map((result) => result.error);
    expect(failures.every((error) => error.status === 500 || (error.status === 422 && error.code === 'email_exists'))).toBe(true);
    expect(failures.filter((error) => error.status === 500).length).toBeGreaterThan(0);
    expect(failures.find((error) => error.status === 500)).toBeInstanceOf(AuthRetryableFetchError);
  });

  it('admin create: a taken custom id is a 500, not a clean 422', async () => {
    const id = randomUUID();
    expect((await admin.auth.admin.createUser({ id, email: uniqueEmail('first') })).error).toBeNull();
    const again = await admin.auth.admin.createUser({ id, email: uniqueEmail('second') });
    expect(again.error?.status).toBe(500);
    expect(again.error).toBeInstanceOf(AuthRetryableFetchError);
  });

  it('admin create checks no password strength; over 72 bytes is 400 validation_failed (bcrypt)', async () => {
    const weak = await admin.auth.admin.createUser({ email: uniqueEmail('weak'), password: 'abc' });
    expect(weak.error).toBeNull();
    const long = await admin.auth.admin.createUser({ email: uniqueEmail('long'), password: 'é'.repeat(37) });
    expect([long.error?.status, long.error?.code]).toEqual([400, 'validation_failed']);
    // Signup and updates check strength, and refuse over 72 bytes with 400 too.
    const update = await admin.auth.admin.updateUserById(weak.data.user!.id, { password: 'x'.repeat(73) });
    expect([update.error?.status, update.error?.code]).toEqual([400, 'validation_failed']);
    const weakUpdate = await admin.auth.admin.updateUserById(weak.data.user!.id, { password: 'abc' });
    expect([weakUpdate.error?.status, weakUpdate.error?.code]).toEqual([422, 'weak_password']);
  });

  it('password grant: a banned user is told so before the password is checked', async () => {
    const email = uniqueEmail('banned');
    const { data } = await admin.auth.admin.createUser({ email, password: 'secret123', email_confirm: true, ban_duration: '24h' });
    expect(data.user).not.toBeNull();
    const wrong = await anonClient(server).auth.signInWithPassword({ email, password: 'not it' });
    expect([wrong.error?.status, wrong.error?.code]).toEqual([400, 'user_banned']);
  });

  it('refresh: the parent of the active token gets the active one back; an older token within the reuse interval gets a new one', async () => {
    const email = uniqueEmail('reuse');
    const c = anonClient(server);
    const signedIn = (await c.auth.signUp({ email, password: 'secret123' })).data.session!;
    const second = (await c.auth.refreshSession({ refresh_token: signedIn.refresh_token })).data.session!;
    const third = (await c.auth.refreshSession({ refresh_token: second.refresh_token })).data.session!;

    const parent = await c.auth.refreshSession({ refresh_token: second.refresh_token });
    expect(parent.data.session?.refresh_token).toBe(third.refresh_token);
    const grandparent = await c.auth.refreshSession({ refresh_token: signedIn.refresh_token });
    expect(grandparent.error).toBeNull();
    expect(grandparent.data.session?.refresh_token).not.toBe(third.refresh_token);
  });

  it('refresh writes the user (last_sign_in_at and updated_at move), as a change of auth.users', async () => {
    const email = uniqueEmail('refresh-writes');
    const c = anonClient(server);
    const session = (await c.auth.signUp({ email, password: 'secret123' })).data.session!;
    const before = server.admin.getUser(session.user.id)!;
    const events: UserChangedEvent[] = [];
    const record = (event: UserChangedEvent) => event.user?.id === before.id && events.push(event);
    server.events.on('user.changed', record);
    try {
      await c.auth.refreshSession({ refresh_token: session.refresh_token });
    } finally {
      server.events.off('user.changed', record);
    }
    const after = server.admin.getUser(before.id)!;
    expect(after.updated_at > before.updated_at).toBe(true);
    expect(after.last_sign_in_at! > before.last_sign_in_at!).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['UPDATE']);
  });

  it('refresh: empty, short and malformed tokens are 400 validation_failed', async () => {
    for (const token of ['', 'abc', 'ABCDEFGHIJKL', 'a'.repeat(40)]) {
      const response = await fetch(`${server.issuer}/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { apikey: DEV_KEYS.anonKey, 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' },
        body: JSON.stringify({ refresh_token: token }),
      });
      expect([token, response.status, ((await response.json()) as { code: string }).code]).toEqual([token, 400, 'validation_failed']);
    }
  });

  it('logout with scope=local and a token without a session logs out every session', async () => {
    const email = uniqueEmail('local');
    const c = anonClient(server);
    const first = (await c.auth.signUp({ email, password: 'secret123' })).data.session!;
    const second = (await c.auth.signInWithPassword({ email, password: 'secret123' })).data.session!;
    const sessionless = server.signAccessToken({ sub: first.user.id, session_id: undefined });
    expect((await admin.auth.admin.signOut(sessionless, 'local')).error).toBeNull();
    for (const session of [first, second]) {
      // The sessions are gone, and their refresh tokens with them (foreign key cascade).
      expect((await c.auth.refreshSession({ refresh_token: session.refresh_token })).error?.code).toBe('refresh_token_not_found');
    }
  });

  it('list: users with equal created_at come in a different order from one request to the next', async () => {
    const createdAt = '2026-05-01T00:00:00.000000Z';
    server.admin.bulkInsert(30, (i) => ({ email: `tie-${i}-${randomUUID()}@example.test`, created_at: createdAt, updated_at: createdAt }));
    const page = async () => {
      const response = await fetch(`${server.issuer}/admin/users?page=1&per_page=10&sort=created_at%20asc`, {
        headers: { apikey: DEV_KEYS.secretKey },
      });
      const body = (await response.json()) as { users: Array<{ id: string; created_at: string }> };
      return body.users
        .filter((user) => user.created_at === createdAt)
        .map((user) => user.id)
        .join();
    };
    const orders = new Set<string>();
    for (let i = 0; i < 5; i++) orders.add(await page());
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe('auth stand-in: refresh-token reuse past the reuse interval (GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL=0)', () => {
  it('revokes the whole family: the active token stops working too', async () => {
    const server = await startAuthServer({ quiet: true, autoconfirm: true, refreshTokenReuseIntervalSeconds: 0 });
    try {
      const c = anonClient(server);
      const signedIn = (await c.auth.signUp({ email: uniqueEmail('family'), password: 'secret123' })).data.session!;
      const second = (await c.auth.refreshSession({ refresh_token: signedIn.refresh_token })).data.session!;
      const third = (await c.auth.refreshSession({ refresh_token: second.refresh_token })).data.session!;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const reused = await c.auth.refreshSession({ refresh_token: signedIn.refresh_token });
      expect([reused.error?.status, reused.error?.code]).toEqual([400, 'refresh_token_already_used']);
      expect((await c.auth.refreshSession({ refresh_token: third.refresh_token })).error?.code).toBe('refresh_token_already_used');
    } finally {
      await server.close();
    }
  });
});

describe('auth stand-in: the POST /token limit (GOTRUE_RATE_LIMIT_TOKEN_REFRESH, bursts of 30)', () => {
  it('answers 429 over_request_rate_limit past 30 calls from one address; Sb-Forwarded-For counts only when enabled', async () => {
    for (const sbForwardedFor of [false, true]) {
      const server = await startAuthServer({ quiet: true, autoconfirm: true, sbForwardedFor });
      try {
        const email = uniqueEmail('limited');
        await anonClient(server).auth.signUp({ email, password: 'secret123' });
        // signUp with autoconfirm signs in through /signup, not /token: the bucket is full.
        const fromOneUser = await Promise.all(
          Array.from({ length: 32 }, () =>
            anonClient(server, { 'Sb-Forwarded-For': '203.0.113.7' }).auth.signInWithPassword({ email, password: 'secret123' }),
          ),
        );
        const limited = fromOneUser.filter((result) => result.error?.status === 429);
        expect(limited).toHaveLength(2);
        expect(limited[0].error?.code).toBe('over_request_rate_limit');
        const otherUser = await anonClient(server, { 'Sb-Forwarded-For': '203.0.113.8' }).auth.signInWithPassword({
          email,
          password: 'secret123',
        });
        // Enabled: another end user's address has a bucket of its own. Disabled: all share the caller's.
        expect(otherUser.error?.status ?? 200).toBe(sbForwardedFor ? 200 : 429);
      } finally {
        await server.close();
      }
    }
  });
});
