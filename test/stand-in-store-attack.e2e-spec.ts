// An attacker's pass over the stand-in with the local Supabase database as its store of record:
// concurrent requests on one user or one refresh token must end as GoTrue's row locks make them
// end (never a 500 GoTrue would not give, never two live tokens where GoTrue keeps one), a
// refresh writes what GoTrue's does to the session, a change whose transaction fails is never
// announced, Postgres ending the stand-in's connections does not end the process, and the admin
// list's parameters reach SQL only as values.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { AUTH_STAND_IN_APPLICATION, startAuthServer, type AuthServer, type UserChangedEvent } from '../dev/auth-server/server.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';

const PASSWORD = 'password-1';
const ROUNDS = 100;

interface Answer {
  status: number;
  body: { refresh_token?: string; access_token?: string; error_code?: string; user?: { id: string } };
}

describe('the stand-in on the auth schema, under attack', () => {
  let supabase: LocalSupabase;
  let auth: AuthServer;

  beforeAll(async () => {
    supabase = await startLocalSupabase();
    auth = await startAuthServer({
      quiet: true,
      autoconfirm: true,
      rateLimitOtp: 0,
      rateLimitTokenRefresh: 0,
      rateLimitEmailSent: 0,
      databaseUrl: supabase.url,
    });
  });

  afterAll(async () => {
    await auth?.close();
    await supabase?.close();
  });

  const email = (prefix = 'attack') => `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
  const sql = async <T extends object>(text: string, params: unknown[] = []) => (await supabase.auth.query<T>(text, params)).rows;
  const adminHeaders = () => ({
    apikey: auth.keys.serviceRoleKey,
    authorization: `Bearer ${auth.keys.serviceRoleKey}`,
    'content-type': 'application/json',
  });

  async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
    const res = await fetch(`${auth.url}/auth/v1${path}`, {
      method: init.method ?? 'POST',
      headers: init.headers ?? { apikey: auth.keys.anonKey, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  }

  const signUp = (address = email()) => call('/signup', { body: { email: address, password: PASSWORD } });
  const refresh = (token: string) => call('/token?grant_type=refresh_token', { body: { refresh_token: token } });
  const logout = (accessToken: string) =>
    call('/logout?scope=global', { headers: { apikey: auth.keys.anonKey, authorization: `Bearer ${accessToken}` } });

  async function session(): Promise<{ userId: string; refreshToken: string; accessToken: string }> {
    const answer = await signUp();
    expect(answer.status).toBe(200);
    return { userId: answer.body.user!.id, refreshToken: answer.body.refresh_token!, accessToken: answer.body.access_token! };
  }

  const liveTokens = async (userId: string) =>
    (await sql<{ n: number }>('SELECT count(*)::int AS n FROM auth.refresh_tokens WHERE user_id = $1 AND NOT revoked', [userId]))[0].n;
  const sessionsOf = async (userId: string) =>
    (await sql<{ n: number }>('SELECT count(*)::int AS n FROM auth.sessions WHERE user_id = $1', [userId]))[0].n;

  it('answers two concurrent refreshes of one token with the same new token, one live in the table (100 rounds)', async () => {
    const { userId, refreshToken } = await session();
    let token = refreshToken;
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await Promise.all([refresh(token), refresh(token)]);
      // GoTrue locks the token's row: the second finds it revoked, the parent of the active one, and answers that.
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.body.refresh_token).toBe(a.body.refresh_token);
      expect(await liveTokens(userId)).toBe(1);
      token = a.body.refresh_token!;
    }
  });

  it('never answers 500 to a refresh racing a global logout, and leaves no session behind (100 rounds)', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { userId, refreshToken, accessToken } = await session();
      const [refreshed, loggedOut] = await Promise.all([refresh(refreshToken), logout(accessToken)]);
      expect(loggedOut.status).toBe(204);
      expect([200, 400]).toContain(refreshed.status);
      if (refreshed.status === 400) expect(refreshed.body.error_code).toBe('refresh_token_not_found');
      expect(await sessionsOf(userId)).toBe(0);
    }
  });

  it('never answers 500 to a refresh racing the deletion of its user (100 rounds)', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { userId, refreshToken } = await session();
      const [refreshed, deleted] = await Promise.all([
        refresh(refreshToken),
        call(`/admin/users/${userId}`, { method: 'DELETE', headers: adminHeaders() }),
      ]);
      expect(deleted.status).toBe(200);
      expect([200, 400]).toContain(refreshed.status);
      expect((await sql('SELECT 1 FROM auth.users WHERE id = $1', [userId])).length).toBe(0);
    }
  });

  it('answers a refresh whose user is deleted between its reads and its commit as GoTrue does, not with 500', async () => {
    const { userId, refreshToken } = await session();
    // The deletion reads its user, then waits for the rest of its body.
    const url = new URL(`${auth.url}/auth/v1/admin/users/${userId}`);
    const deleting = request(url, { method: 'DELETE', headers: { ...adminHeaders(), 'content-length': '2' } });
    const deleted = new Promise<number>((resolve, reject) => {
      deleting.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      deleting.on('error', reject);
    });
    deleting.write('{');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The refresh reads its token and session, then waits on auth.identities while reading its user.
    const locker = await supabase.auth.connect();
    let refreshed: Promise<Answer>;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE auth.identities IN ACCESS EXCLUSIVE MODE');
      refreshed = refresh(refreshToken);
      await eventually(
        async () =>
          (
            await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [
              AUTH_STAND_IN_APPLICATION,
            ])
          ).length,
        (n) => n > 0,
      );
      // The deletion's body ends: its transaction is queued while the refresh still reads.
      deleting.end('}');
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect(await deleted).toBe(200);
    const answer = await refreshed;
    expect([200, 400]).toContain(answer.status);
    expect((await sql('SELECT 1 FROM auth.users WHERE id = $1', [userId])).length).toBe(0);
  });

  it('ends an admin update racing an admin delete of one user with the row gone and no 500 (100 rounds)', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { userId } = await session();
      const [updated, deleted] = await Promise.all([
        call(`/admin/users/${userId}`, { method: 'PUT', headers: adminHeaders(), body: { user_metadata: { round } } }),
        call(`/admin/users/${userId}`, { method: 'DELETE', headers: adminHeaders() }),
      ]);
      expect(deleted.status).toBe(200);
      expect([200, 404]).toContain(updated.status);
      expect((await sql('SELECT 1 FROM auth.users WHERE id = $1', [userId])).length).toBe(0);
      expect((await call(`/admin/users/${userId}`, { method: 'GET', headers: adminHeaders() })).status).toBe(404);
    }
  });

  it("writes the session's refreshed_at and updated_at on a refresh, as GoTrue's UpdateOnlyRefreshInfo does", async () => {
    const { refreshToken, accessToken } = await session();
    const sessionId = (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { session_id: string }).session_id;
    const row = async () =>
      (
        await sql<{ updated_at: Date; refreshed_at: Date | null }>(
          `SELECT updated_at, refreshed_at AT TIME ZONE 'UTC' AS refreshed_at FROM auth.sessions WHERE id = $1`,
          [sessionId],
        )
      )[0];
    const before = await row();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const answer = await refresh(refreshToken);
    expect(answer.status).toBe(200);
    const after = await row();
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    expect(after.refreshed_at?.getTime()).toBe(after.updated_at.getTime());
  });

  it('reads a rotated family back as it was written: the revoked parent is answered with its live child', async () => {
    const { userId, refreshToken } = await session();
    const first = await refresh(refreshToken);
    expect(first.status).toBe(200);
    const restarted = await startAuthServer({ quiet: true, autoconfirm: true, rateLimitTokenRefresh: 0, databaseUrl: supabase.url });
    try {
      const res = await fetch(`${restarted.url}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { apikey: restarted.keys.anonKey, 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { refresh_token: string }).refresh_token).toBe(first.body.refresh_token);
    } finally {
      await restarted.close();
    }
    const rows = await sql<{ token: string; revoked: boolean; parent: string | null }>(
      'SELECT token, revoked, parent FROM auth.refresh_tokens WHERE user_id = $1 ORDER BY id',
      [userId],
    );
    expect(rows).toEqual([
      { token: refreshToken, revoked: true, parent: null },
      { token: first.body.refresh_token, revoked: false, parent: refreshToken },
    ]);
  });

  it('announces no change whose transaction failed', async () => {
    const seen: UserChangedEvent[] = [];
    const listen = (ev: UserChangedEvent) => seen.push(ev);
    auth.events.on('user.changed', listen);
    await sql(`CREATE FUNCTION public.refuse_attack() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.identity_data->>'email' LIKE 'unannounced-%' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await sql('CREATE TRIGGER refuse_attack BEFORE INSERT ON auth.identities FOR EACH ROW EXECUTE FUNCTION public.refuse_attack()');
    const address = email('unannounced');
    try {
      expect((await signUp(address)).status).toBe(500);
    } finally {
      await sql('DROP TRIGGER refuse_attack ON auth.identities');
      await sql('DROP FUNCTION public.refuse_attack()');
      auth.events.off('user.changed', listen);
    }
    expect(seen.filter((ev) => ev.user?.email === address || ev.oldUser?.email === address)).toEqual([]);
    // A change that commits is still announced.
    const announced: UserChangedEvent[] = [];
    const hear = (ev: UserChangedEvent) => announced.push(ev);
    auth.events.on('user.changed', hear);
    try {
      expect((await signUp(address)).status).toBe(200);
    } finally {
      auth.events.off('user.changed', hear);
    }
    expect(announced.map((ev) => ev.type)).toEqual(['INSERT', 'UPDATE']);
  });

  it('survives Postgres ending its idle connections, and its connection mid-read, and serves the next request', async () => {
    const failures: unknown[] = [];
    const record = (error: unknown) => failures.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      const { userId } = await session();
      for (let round = 0; round < 5; round++) {
        await sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [AUTH_STAND_IN_APPLICATION]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect((await call(`/admin/users/${userId}`, { method: 'GET', headers: adminHeaders() })).status).toBe(200);
      }
      const locker = await supabase.auth.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE auth.users IN ACCESS EXCLUSIVE MODE');
        const answer = call(`/admin/users/${userId}`, { method: 'GET', headers: adminHeaders() });
        const pid = await eventually(
          async () =>
            (
              await sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`, [
                AUTH_STAND_IN_APPLICATION,
              ])
            )[0]?.pid,
          (found) => found !== undefined,
        );
        await sql('SELECT pg_terminate_backend($1)', [pid]);
        expect((await answer).status).toBe(500);
      } finally {
        await locker.query('ROLLBACK');
        locker.release();
      }
      expect((await call(`/admin/users/${userId}`, { method: 'GET', headers: adminHeaders() })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
    expect(failures).toEqual([]);
  });

  it("passes the admin list's filter to SQL as a value, and refuses page parameters that are not numbers", async () => {
    const { userId } = await session();
    const list = (query: string) => call(`/admin/users?${query}`, { method: 'GET', headers: adminHeaders() });
    for (const filter of ["' OR 1=1 --", "'); DELETE FROM auth.users; --", '\\', "%' OR 'a'='a"]) {
      const answer = await list(`filter=${encodeURIComponent(filter)}`);
      expect(answer.status).toBe(200);
      expect((answer.body as { users: unknown[] }).users).toEqual([]);
    }
    for (const page of ['1;DROP TABLE auth.users', '1 OFFSET 0', '-1', '1e3']) {
      expect((await list(`page=${encodeURIComponent(page)}`)).status).toBe(400);
      expect((await list(`per_page=${encodeURIComponent(page)}`)).status).toBe(400);
    }
    expect((await sql('SELECT 1 FROM auth.users WHERE id = $1', [userId])).length).toBe(1);
  });
});
