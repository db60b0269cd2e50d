// The stand-in writing its users to the local Supabase database's auth schema with GoTrue's
// statements (dev/auth-server/auth-database.ts), driven through supabase-js: the rows equal what its
// API answers, a trigger on auth.users fires as often and in the states GoTrue's flows make it, and
// the real install SQL carries each change to the mirror through the pull intake.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import { startAuthServer, type AuthServer } from '../dev/auth-server/server.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const CLIENT_OPTIONS = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

describe('the stand-in on the local Supabase database', () => {
  let supabase: LocalSupabase;
  let auth: AuthServer;
  let admin: SupabaseClient;
  let stack: TestStack;

  beforeAll(async () => {
    supabase = await startLocalSupabase({ pull: true });
    // Every fire of a row trigger on auth.users, with the state it saw.
    await supabase.auth.query(`
      CREATE TABLE public.fires (n bigserial, op text, id uuid, role text, confirmed boolean, deleted boolean, updated_at timestamptz);
      CREATE FUNCTION public.record_fire() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO public.fires (op, id, role, confirmed, deleted, updated_at)
        SELECT TG_OP, r.id, r.role, r.email_confirmed_at IS NOT NULL, r.deleted_at IS NOT NULL, r.updated_at
          FROM (SELECT (CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END).*) AS r;
        RETURN NULL;
      END $$;
      CREATE TRIGGER record_fire AFTER INSERT OR UPDATE OR DELETE ON auth.users FOR EACH ROW EXECUTE FUNCTION public.record_fire();`);
    auth = await startAuthServer({ quiet: true, autoconfirm: true, rateLimitTokenRefresh: 0, rateLimitOtp: 0, databaseUrl: supabase.url });
    admin = createClient(auth.url, auth.keys.serviceRoleKey, CLIENT_OPTIONS);
    stack = await startTestStack({
      env: {
        SUPABASE_URL: auth.url,
        SUPABASE_DB_URL: supabase.intakeUrl,
        SUPABASE_PULL_INTERVAL_MS: '100',
        JOBS_ENABLED: 'true',
      },
    });
  });

  afterAll(async () => {
    await stack?.close();
    await auth?.close();
    await supabase?.close();
  });

  const fires = async (id: string) =>
    (await supabase.auth.query('SELECT op, role, confirmed, deleted FROM public.fires WHERE id = $1 ORDER BY n', [id])).rows;
  const row = async (id: string) =>
    (
      await supabase.auth.query(
        `SELECT *, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS version FROM auth.users WHERE id = $1`,
        [id],
      )
    ).rows[0] as Record<string, any> | undefined;
  const mirrored = async (id: string) =>
    (await stack.db.query('SELECT * FROM users WHERE id = $1', [id])).rows[0] as Record<string, any> | undefined;
  const email = () => `pg-${randomBytes(5).toString('hex')}@example.com`;

  it('an admin create with email_confirm fires four times, the first with role "" and unconfirmed, and the row equals the API user', async () => {
    const created = await admin.auth.admin.createUser({
      email: email(),
      password: 'password-1',
      email_confirm: true,
      user_metadata: { plan: 'free' },
    });
    const user = created.data.user!;
    await eventually(
      () => fires(user.id),
      (found) => found.length === 4,
    );
    expect(await fires(user.id)).toEqual([
      { op: 'INSERT', role: '', confirmed: false, deleted: false },
      { op: 'UPDATE', role: 'authenticated', confirmed: false, deleted: false },
      { op: 'UPDATE', role: 'authenticated', confirmed: true, deleted: false },
      { op: 'UPDATE', role: 'authenticated', confirmed: true, deleted: false },
    ]);
    const stored = (await row(user.id))!;
    // The row's version is the one the API answers (microseconds included).
    expect(stored.version).toBe(user.updated_at!.replace(/(\.\d{6})\d*/, '$1').replace(/\+00:00$/, 'Z'));
    expect(stored).toMatchObject({ email: user.email, role: 'authenticated', raw_user_meta_data: { plan: 'free', email_verified: true } });
    // The mirror learns of it through the trigger's outbox and the pull intake, with the API's version.
    const mirror = await eventually(
      () => mirrored(user.id),
      (found) => found?.email_confirmed_at != null,
    );
    expect(mirror!.updated_at.toISOString()).toBe(new Date(stored.updated_at).toISOString());
  });

  it('a sign-in, a metadata change, a ban, a soft delete (three fires) and a hard delete reach auth.users and the mirror', async () => {
    const address = email();
    const { data } = await admin.auth.admin.createUser({ email: address, password: 'password-1', email_confirm: true });
    const id = data.user!.id;
    const client = createClient(auth.url, auth.keys.anonKey, CLIENT_OPTIONS);
    const signIn = await client.auth.signInWithPassword({ email: address, password: 'password-1' });
    expect(signIn.error).toBeNull();
    await client.auth.updateUser({ data: { display_name: 'Ada' } });
    await eventually(
      () => mirrored(id),
      (found) => found?.user_metadata?.display_name === 'Ada' && found.last_sign_in_at !== null,
    );

    await admin.auth.admin.updateUserById(id, { ban_duration: '24h' });
    await eventually(
      () => mirrored(id),
      (found) => found?.banned_until != null,
    );

    const before = (await fires(id)).length;
    await admin.auth.admin.deleteUser(id, true);
    await eventually(
      () => fires(id),
      (found) => found.length === before + 3,
    );
    expect((await fires(id)).slice(before).map((fire) => fire.deleted)).toEqual([true, true, true]);
    await eventually(
      () => mirrored(id),
      (found) => found?.deleted_at != null,
    );

    const other = await admin.auth.admin.createUser({ email: email(), password: 'password-1', email_confirm: true });
    const otherId = other.data.user!.id;
    await eventually(
      () => mirrored(otherId),
      (found) => found?.email_confirmed_at != null,
    );
    await admin.auth.admin.deleteUser(otherId);
    await eventually(
      () => row(otherId),
      (found) => found === undefined,
    );
    await eventually(
      () => mirrored(otherId),
      (found) => found?.deleted_at != null,
    );
  });

  it('a sign-in writes a session and its refresh token, a refresh rotates it, a logout removes them', async () => {
    const address = email();
    const { data } = await admin.auth.admin.createUser({ email: address, password: 'password-1', email_confirm: true });
    const id = data.user!.id;
    const client = createClient(auth.url, auth.keys.anonKey, CLIENT_OPTIONS);
    const signIn = await client.auth.signInWithPassword({ email: address, password: 'password-1' });
    const first = signIn.data.session!.refresh_token;
    const tokens = () =>
      supabase.auth
        .query('SELECT token, revoked, parent FROM auth.refresh_tokens WHERE user_id = $1 ORDER BY id', [id])
        .then((r) => r.rows);
    await eventually(tokens, (rows) => rows.length === 1);
    expect(await tokens()).toEqual([{ token: first, revoked: false, parent: null }]);
    const refreshed = await client.auth.refreshSession({ refresh_token: first });
    const second = refreshed.data.session!.refresh_token;
    await eventually(tokens, (rows) => rows.length === 2);
    expect(await tokens()).toEqual([
      { token: first, revoked: true, parent: null },
      { token: second, revoked: false, parent: first },
    ]);
    await client.auth.signOut();
    await eventually(
      () => supabase.auth.query('SELECT count(*)::int AS n FROM auth.sessions WHERE user_id = $1', [id]).then((r) => r.rows[0].n),
      (n) => n === 0,
    );
    expect(await tokens()).toEqual([]);
  });

  it('a signup through supabase-js (autoconfirm) is an INSERT and six UPDATEs, and the mirror has it without a sync', async () => {
    const client = createClient(auth.url, auth.keys.anonKey, CLIENT_OPTIONS);
    const { data, error } = await client.auth.signUp({
      email: email(),
      password: 'password-1',
      options: { data: { first_name: 'Grace' } },
    });
    expect(error).toBeNull();
    const id = data.user!.id;
    await eventually(
      () => fires(id),
      (found) => found.length === 7,
    );
    expect((await fires(id))[0]).toEqual({ op: 'INSERT', role: '', confirmed: false, deleted: false });
    const mirror = await eventually(
      () => mirrored(id),
      (found) => found?.last_sign_in_at != null,
    );
    expect(mirror!.user_metadata).toMatchObject({ first_name: 'Grace' });
  });
});
