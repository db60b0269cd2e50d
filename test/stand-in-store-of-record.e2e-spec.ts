// The stand-in keeps its state in the local Supabase database's auth schema, as GoTrue does: what
// SQL writes there is what its API answers; a request's writes commit together before it is
// answered, and a failed commit (a refusing trigger, Postgres ending the connection) is GoTrue's
// 500 with nothing written; users and sessions outlive a restart without a state file; and the
// unique indexes decide between concurrent signups of one email.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Session } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import { AUTH_STAND_IN_APPLICATION, startAuthServer, type AuthServer, type AuthServerOptions } from '../dev/auth-server/server.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';

const CLIENT_OPTIONS = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };
const PASSWORD = 'password-1';

describe("the stand-in's store of record is the auth schema", () => {
  let supabase: LocalSupabase;
  let auth: AuthServer;
  let options: AuthServerOptions;

  beforeAll(async () => {
    supabase = await startLocalSupabase();
    options = {
      quiet: true,
      autoconfirm: true,
      rateLimitOtp: 0,
      rateLimitTokenRefresh: 0,
      rateLimitEmailSent: 0,
      databaseUrl: supabase.url,
    };
    auth = await startAuthServer(options);
  });

  afterAll(async () => {
    await auth?.close();
    await supabase?.close();
  });

  const email = (prefix = 'store') => `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
  const sql = (text: string, params: unknown[] = []) => supabase.auth.query(text, params);
  const rowsWithEmail = async (address: string) =>
    (await supabase.auth.query<{ n: number }>('SELECT count(*)::int AS n FROM auth.users WHERE email = $1', [address])).rows[0].n;
  const admin = (server = auth) => createClient(server.url, server.keys.serviceRoleKey, CLIENT_OPTIONS).auth.admin;
  const anon = (server = auth) => createClient(server.url, server.keys.anonKey, CLIENT_OPTIONS).auth;

  /** POST /signup as a browser sends it: the status and GoTrue's error code, if any. */
  async function signUp(address: string): Promise<{ status: number; code?: string }> {
    const res = await fetch(`${auth.url}/auth/v1/signup`, {
      method: 'POST',
      headers: { apikey: auth.keys.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email: address, password: PASSWORD }),
    });
    const body = (await res.json()) as { error_code?: string };
    return { status: res.status, code: body.error_code };
  }

  async function signedUp(server = auth): Promise<{ id: string; email: string; session: Session }> {
    const address = email();
    const { data, error } = await anon(server).signUp({ email: address, password: PASSWORD });
    expect(error).toBeNull();
    return { id: data.user!.id, email: address, session: data.session! };
  }

  it('answers what SQL wrote to auth.users: metadata, a ban, a deletion', async () => {
    const user = await signedUp();
    await sql(`UPDATE auth.users SET raw_user_meta_data = raw_user_meta_data || '{"from_sql": true}' WHERE id = $1`, [user.id]);
    expect((await admin().getUserById(user.id)).data.user?.user_metadata.from_sql).toBe(true);

    await sql(`UPDATE auth.users SET banned_until = now() + interval '1 day' WHERE id = $1`, [user.id]);
    expect((await anon().signInWithPassword({ email: user.email, password: PASSWORD })).error?.code).toBe('user_banned');

    await sql('DELETE FROM auth.users WHERE id = $1', [user.id]);
    expect((await admin().getUserById(user.id)).error?.status).toBe(404);
    const again = await anon().signUp({ email: user.email, password: PASSWORD });
    expect(again.error).toBeNull();
    expect(again.data.user!.id).not.toBe(user.id);
  });

  it('refuses a session SQL deleted: its access token and its refresh token', async () => {
    const { session } = await signedUp();
    const claims = JSON.parse(Buffer.from(session.access_token.split('.')[1], 'base64url').toString()) as { session_id: string };
    await sql('DELETE FROM auth.sessions WHERE id = $1', [claims.session_id]);
    // supabase-js reads GoTrue's 403 session_not_found as a missing session (lib/fetch.ts handleError).
    expect((await anon().getUser(session.access_token)).error?.name).toBe('AuthSessionMissingError');
    expect((await anon().refreshSession({ refresh_token: session.refresh_token })).error?.code).toBe('refresh_token_not_found');
  });

  it('lists users SQL inserted, counted and paged by the database', async () => {
    const tag = randomBytes(4).toString('hex');
    await sql(
      `INSERT INTO auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
       SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
              'listed-' || $1 || '-' || i || '@example.com', '{}', '{}', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'
       FROM generate_series(1, 25) AS i`,
      [tag],
    );
    const page = async (n: number, perPage: number) => {
      const res = await fetch(`${auth.url}/auth/v1/admin/users?filter=listed-${tag}&per_page=${perPage}&page=${n}`, {
        headers: { apikey: auth.keys.serviceRoleKey, authorization: `Bearer ${auth.keys.serviceRoleKey}` },
      });
      return { total: res.headers.get('x-total-count'), users: ((await res.json()) as { users: { email: string }[] }).users };
    };
    const first = await page(1, 10);
    expect(first.total).toBe('25');
    expect(first.users).toHaveLength(10);
    expect((await page(3, 10)).users).toHaveLength(5);
    expect(new Set((await page(1, 100)).users.map((u) => u.email)).size).toBe(25);
  });

  it("answers GoTrue's 500 when its transaction fails, with nothing of the signup written, and serves the next", async () => {
    await sql(`CREATE FUNCTION public.refuse_identity() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.identity_data->>'email' LIKE 'refused-%' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await sql('CREATE TRIGGER refuse_identity BEFORE INSERT ON auth.identities FOR EACH ROW EXECUTE FUNCTION public.refuse_identity()');
    const address = email('refused');
    try {
      // The users row is written before the identity: one transaction, so it goes too.
      expect(await signUp(address)).toEqual({ status: 500, code: 'unexpected_failure' });
      expect(await rowsWithEmail(address)).toBe(0);
    } finally {
      await sql('DROP TRIGGER refuse_identity ON auth.identities');
      await sql('DROP FUNCTION public.refuse_identity()');
    }
    // Not "already registered": the failed signup left nothing behind, in memory either.
    expect((await signUp(address)).status).toBe(200);
    expect(await rowsWithEmail(address)).toBe(1);
  });

  it('answers 500 when Postgres ends its connection inside the transaction, writes nothing, and keeps serving', async () => {
    await sql(`CREATE FUNCTION public.slow_identity() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.identity_data->>'email' LIKE 'slow-%' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`);
    await sql('CREATE TRIGGER slow_identity BEFORE INSERT ON auth.identities FOR EACH ROW EXECUTE FUNCTION public.slow_identity()');
    try {
      for (let round = 0; round < 5; round++) {
        const address = email('slow');
        const answer = signUp(address);
        const pid = await eventually(
          async () =>
            (
              await supabase.auth.query<{ pid: number }>(
                `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE 'INSERT INTO auth.identities%'`,
                [AUTH_STAND_IN_APPLICATION],
              )
            ).rows[0]?.pid,
          (found) => found !== undefined,
        );
        await sql('SELECT pg_terminate_backend($1)', [pid]);
        expect(await answer).toEqual({ status: 500, code: 'unexpected_failure' });
        expect(await rowsWithEmail(address)).toBe(0);
      }
    } finally {
      await sql('DROP TRIGGER slow_identity ON auth.identities');
      await sql('DROP FUNCTION public.slow_identity()');
    }
    expect((await signedUp()).session.access_token).toBeTruthy();
  });

  it('writes what an email link does before it redirects: the confirmation is in the row', async () => {
    const confirming = await startAuthServer({ ...options, autoconfirm: false });
    try {
      const address = email('link');
      expect((await anon(confirming).signUp({ email: address, password: PASSWORD })).error).toBeNull();
      const [mail] = confirming.mailbox.list(address);
      const res = await fetch(mail.link, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toContain('access_token=');
      const row = await supabase.auth.query<{ confirmed: boolean }>(
        'SELECT email_confirmed_at IS NOT NULL AS confirmed FROM auth.users WHERE email = $1',
        [address],
      );
      expect(row.rows[0].confirmed).toBe(true);
    } finally {
      await confirming.close();
    }
  });

  it('keeps users and sessions across a restart, with no state file', async () => {
    const first = await startAuthServer(options);
    const user = await signedUp(first);
    await first.close();
    const second = await startAuthServer(options);
    try {
      expect((await anon(second).signInWithPassword({ email: user.email, password: PASSWORD })).error).toBeNull();
      const refreshed = await anon(second).refreshSession({ refresh_token: user.session.refresh_token });
      expect(refreshed.error).toBeNull();
      expect((await anon(second).getUser(refreshed.data.session!.access_token)).data.user?.id).toBe(user.id);
    } finally {
      await second.close();
    }
  });

  it('lets the unique index decide between two concurrent signups of one email: one row, one 200 (100 pairs)', async () => {
    for (let pair = 0; pair < 100; pair++) {
      const address = email('pair');
      const answers = await Promise.all([signUp(address), signUp(address)]);
      const winners = answers.filter((a) => a.status === 200);
      expect(winners).toHaveLength(1);
      // The loser saw the winner's row (422) or met the unique index inside its transaction (500).
      const loser = answers.find((a) => a.status !== 200)!;
      expect([
        { status: 422, code: 'user_already_exists' },
        { status: 500, code: 'unexpected_failure' },
      ]).toContainEqual(loser);
      expect(await rowsWithEmail(address)).toBe(1);
    }
  });
});
