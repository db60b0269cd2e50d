// Without SUPABASE_DB_URL the service ends a revoked device's session through PostgREST with the
// service-role key: supabase-js calls authmirror.revoke_session, which the stand-in serves as
// PostgREST does (in its database, where supabase/authmirror-trigger.sql installed it), and which
// no other role may call.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from '@supabase/supabase-js';
import { until } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const PASSWORD = 'correct horse battery';
let supabase: LocalSupabase;
let stack: TestStack;

beforeAll(async () => {
  supabase = await startLocalSupabase();
  stack = await startTestStack({
    auth: { databaseUrl: supabase.url },
    env: { RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0' },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await supabase?.close();
});

const rpc = (key: string, sessionId: string) =>
  createClient(stack.auth.url, key, { db: { schema: 'authmirror' }, auth: { persistSession: false } }).rpc('revoke_session', {
    session_id: sessionId,
  });

describe('revoking a device through PostgREST', () => {
  it('ends the session in Supabase: its refresh token stops working', async () => {
    const { email } = await stack.signedInUser({ password: PASSWORD });
    const login = async () => (await stack.request('POST', '/auth/login', { body: { email, password: PASSWORD } })).body.session;
    const [kept, revoked] = [await login(), await login()];
    const devices = await stack.request('GET', '/users/me/devices', { token: kept.accessToken });
    const target = devices.body.items.find((item: { current: boolean }) => !item.current).id as string;
    expect((await stack.request('DELETE', `/users/me/devices/${target}`, { token: kept.accessToken })).status).toBe(204);
    const anon = createClient(stack.auth.url, stack.auth.keys.anonKey, { auth: { persistSession: false } }).auth;
    expect(await until(async () => (await anon.refreshSession({ refresh_token: revoked.refreshToken })).error !== null, 15_000)).toBe(true);
    expect((await supabase.auth.query('SELECT 1 FROM auth.sessions WHERE id = $1', [target])).rowCount).toBe(0);
  });

  it('refuses the anon key and a user token, and answers false for a session that does not exist', async () => {
    const user = await stack.signedInUser({ password: PASSWORD });
    const sessionId = (JSON.parse(Buffer.from(user.accessToken.split('.')[1], 'base64url').toString()) as { session_id: string })
      .session_id;
    const asAnon = await rpc(stack.auth.keys.anonKey, sessionId);
    expect([asAnon.status, asAnon.error?.code]).toEqual([401, '42501']);
    const asUser = await createClient(stack.auth.url, stack.auth.keys.anonKey, {
      db: { schema: 'authmirror' },
      global: { headers: { authorization: `Bearer ${user.accessToken}` } },
    }).rpc('revoke_session', { session_id: sessionId });
    expect([asUser.status, asUser.error?.code]).toEqual([403, '42501']);
    expect((await supabase.auth.query('SELECT 1 FROM auth.sessions WHERE id = $1', [sessionId])).rowCount).toBe(1);
    const missing = await rpc(stack.auth.keys.serviceRoleKey, '00000000-0000-4000-8000-000000000000');
    expect([missing.status, missing.data]).toEqual([200, false]);
    const malformed = await rpc(stack.auth.keys.serviceRoleKey, 'not-a-uuid');
    expect([malformed.status, malformed.error?.code]).toEqual([400, '22P02']);
  });
});
