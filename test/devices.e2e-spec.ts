// Devices: every Supabase session is a device the user can list, name and sign out; a revoked
// device, a logout of others or all, and a ban are refused at once on every instance, and the
// ended sessions stop refreshing in the stand-in (its sessions live in the local Supabase
// database's auth schema, where authmirror.revoke_session deletes them).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from '@supabase/supabase-js';
import type { DeviceAdded } from '../src/devices/device-listeners.js';
import { DeviceListenerRegistry } from '../src/devices/device-listeners.js';
import { DevicesService } from '../src/devices/devices.service.js';
import { eventually, until } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';
import { DeviceSightings } from '../src/devices/device-sightings.js';

const PASSWORD = 'correct horse battery';
let supabase: LocalSupabase;
let stack: TestStack;
let second: string;
const added: DeviceAdded[] = [];

beforeAll(async () => {
  supabase = await startLocalSupabase({ pull: true });
  stack = await startTestStack({
    auth: { databaseUrl: supabase.url },
    env: { SUPABASE_DB_URL: supabase.intakeUrl, RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0' },
  });
  stack.app.get(DeviceListenerRegistry).register({ name: 'test-recorder', onDeviceAdded: async (event) => void added.push(event) });
  second = (await stack.secondInstance()).url;
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await supabase?.close();
});

interface Device {
  token: string;
  refreshToken: string;
  sessionId: string;
}

function sessionIdOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { session_id: string }).session_id;
}

/** Signs in through the API from a client that says it is `userAgent`. */
async function device(email: string, userAgent = 'test-agent'): Promise<Device> {
  const login = await stack.request('POST', '/auth/login', { body: { email, password: PASSWORD }, headers: { 'user-agent': userAgent } });
  expect(login.status).toBe(200);
  const { accessToken: token, refreshToken } = login.body.session;
  return { token, refreshToken, sessionId: sessionIdOf(token) };
}

async function me(token: string, via?: string): Promise<{ status: number; code?: string }> {
  const answer = await stack.request('GET', '/users/me', { token, via });
  return { status: answer.status, code: answer.body?.code };
}

/** Both instances answer this token with `status` (and `code`), within a second. */
async function bothAnswer(token: string, status: number, code?: string): Promise<boolean> {
  const expected = JSON.stringify({ status, code });
  return until(async () => {
    const answers = await Promise.all([me(token), me(token, second)]);
    return answers.every((answer) => JSON.stringify({ status: answer.status, code: answer.code }) === expected);
  }, 1_000);
}

/** True once the stand-in refuses the refresh token (the session was deleted from auth.sessions). */
async function refreshRefusedByAuthServer(refreshToken: string): Promise<boolean> {
  const anon = createClient(stack.auth.url, stack.auth.keys.anonKey, { auth: { persistSession: false, autoRefreshToken: false } });
  return until(async () => (await anon.auth.refreshSession({ refresh_token: refreshToken })).error !== null, 15_000);
}

async function newUser(): Promise<string> {
  return (await stack.signedInUser({ password: PASSWORD })).email;
}

describe('GET, PATCH and DELETE /users/me/devices', () => {
  it('lists two devices of one user with `current` right, renames one, and revoking it signs out only that one, everywhere', async () => {
    const email = await newUser();
    const laptop = await device(email, 'Laptop browser');
    const phone = await device(email, 'Phone app');
    const listed = await stack.request('GET', '/users/me/devices', { token: laptop.token });
    expect(listed.status).toBe(200);
    const items = listed.body.items as Array<{ id: string; userAgent: string; current: boolean; ip: string; firstSeenAt: string }>;
    expect(items.map((item) => [item.id, item.userAgent, item.current]).sort()).toEqual(
      [
        [laptop.sessionId, 'Laptop browser', true],
        [phone.sessionId, 'Phone app', false],
      ].sort(),
    );
    expect(items[0].ip).toBe('127.0.0.1');

    const renamed = await stack.request('PATCH', `/users/me/devices/${phone.sessionId}`, {
      token: laptop.token,
      body: { name: '  Phone  ' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.device).toMatchObject({ id: phone.sessionId, name: 'Phone', current: false });
    expect((await stack.request('PATCH', `/users/me/devices/${phone.sessionId}`, { token: laptop.token, body: { name: '' } })).status).toBe(
      400,
    );

    expect((await stack.request('DELETE', `/users/me/devices/${phone.sessionId}`, { token: laptop.token })).status).toBe(204);
    expect(await bothAnswer(phone.token, 401, 'session_revoked')).toBe(true);
    expect(await bothAnswer(laptop.token, 200)).toBe(true);
    expect((await stack.request('POST', '/auth/refresh', { body: { refreshToken: phone.refreshToken } })).status).toBe(401);
    expect(await refreshRefusedByAuthServer(phone.refreshToken)).toBe(true);
    const sessions = await supabase.auth.query('SELECT id FROM auth.sessions WHERE id = $1', [phone.sessionId]);
    expect(sessions.rowCount).toBe(0);
    const after = await stack.request('GET', '/users/me/devices', { token: laptop.token });
    expect(after.body.items.map((item: { id: string }) => item.id)).toEqual([laptop.sessionId]);
  });

  it('records a device at its first sync, and writes it no more within the minute however often the app syncs', async () => {
    const { data } = await stack.anon().auth.signInWithPassword({ email: await newUser(), password: PASSWORD });
    const token = data.session!.access_token;
    const version = async () =>
      (await stack.db.query('SELECT xmin::text AS v FROM devices WHERE id = $1', [sessionIdOf(token)])).rows[0]?.v;
    expect(await version()).toBeUndefined();
    expect((await stack.request('POST', '/auth/users/sync', { token })).status).toBe(200);
    expect(await version()).toBeDefined();
    await stack.app.get(DeviceSightings).flush(); // the guard's own sighting of that request
    const first = await version();
    expect(first).toBeDefined();
    for (let i = 0; i < 5; i++) expect((await stack.request('POST', '/auth/users/sync', { token })).status).toBe(200);
    await stack.app.get(DeviceSightings).flush();
    expect(await version()).toBe(first);
  });

  it("answers 404 for another user's device, an unknown id, a revoked one and a malformed one", async () => {
    const mine = await device(await newUser());
    const theirs = await device(await newUser());
    for (const id of [theirs.sessionId, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const renamed = await stack.request('PATCH', `/users/me/devices/${id}`, { token: mine.token, body: { name: 'x' } });
      const revoked = await stack.request('DELETE', `/users/me/devices/${id}`, { token: mine.token });
      expect([renamed.status, renamed.body.code, revoked.status, revoked.body.code]).toEqual([
        404,
        'device_not_found',
        404,
        'device_not_found',
      ]);
    }
    expect(await bothAnswer(theirs.token, 200)).toBe(true);
    const spare = await device((await stack.request('GET', '/users/me', { token: mine.token })).body.user.email);
    expect((await stack.request('DELETE', `/users/me/devices/${spare.sessionId}`, { token: mine.token })).status).toBe(204);
    expect((await stack.request('DELETE', `/users/me/devices/${spare.sessionId}`, { token: mine.token })).status).toBe(404);
  });

  it('tells registered listeners of a second device (durably, as a job), not of the first', async () => {
    const email = await newUser();
    const first = await device(email);
    expect(await until(() => false, 300)).toBe(false); // the first sign-in's jobs, if any, would have had time to start
    expect(added.filter((event) => event.deviceId === first.sessionId)).toEqual([]);
    const next = await device(email, 'Second device');
    const event = await eventually(() => added.find((found) => found.deviceId === next.sessionId), Boolean);
    expect(event).toMatchObject({ userAgent: 'Second device', ip: '127.0.0.1' });
    const audit = await stack.db.query(`SELECT details FROM audit_events WHERE type = 'device.added' AND subject_id = $1`, [event!.userId]);
    expect(audit.rows).toEqual([{ details: { deviceId: next.sessionId } }]);
  });
});

describe('POST /auth/logout', () => {
  it('`others` signs out every other session, also one this service never saw, and keeps this one', async () => {
    const email = await newUser();
    const unseen = await createClient(stack.auth.url, stack.auth.keys.anonKey, { auth: { persistSession: false } }).auth.signInWithPassword(
      {
        email,
        password: PASSWORD,
      },
    );
    const [kept, other] = [await device(email), await device(email)];
    // A session never seen here is told apart by when it began, in whole seconds (`amr`): one that began in the logout's
    // own second would pass.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    expect((await stack.request('POST', '/auth/logout', { token: kept.token, body: { scope: 'others' } })).status).toBe(204);
    expect(await bothAnswer(other.token, 401, 'session_revoked')).toBe(true);
    expect(await bothAnswer(unseen.data.session!.access_token, 401, 'session_revoked')).toBe(true);
    expect(await bothAnswer(kept.token, 200)).toBe(true);
    expect(await refreshRefusedByAuthServer(other.refreshToken)).toBe(true);
    expect(await refreshRefusedByAuthServer(unseen.data.session!.refresh_token)).toBe(true);
  });

  it('`global` signs out every session; signing in again afterwards works at once', async () => {
    const email = await newUser();
    const [one, two] = [await device(email), await device(email)];
    expect((await stack.request('POST', '/auth/logout', { token: one.token, body: { scope: 'global' } })).status).toBe(204);
    for (const ended of [one, two]) expect(await bothAnswer(ended.token, 401, 'session_revoked')).toBe(true);
    expect(await refreshRefusedByAuthServer(two.refreshToken)).toBe(true);
    const again = await device(email);
    expect(await bothAnswer(again.token, 200)).toBe(true);
  });
});

describe('PUT /users/me/password', () => {
  it('ends every other session here and in Supabase, and answers a new session signed in with the new password', async () => {
    const email = await newUser();
    const [here, other] = [await device(email), await device(email)];
    const weak = await stack.request('PUT', '/users/me/password', {
      token: here.token,
      body: { password: 'short', currentPassword: PASSWORD },
    });
    expect([weak.status, weak.body.code]).toEqual([422, 'weak_password']);
    const wrong = await stack.request('PUT', '/users/me/password', {
      token: here.token,
      body: { password: 'Correct-Horse-43', currentPassword: 'not the password' },
    });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_credentials']);

    const changed = await stack.request('PUT', '/users/me/password', {
      token: here.token,
      body: { password: 'Correct-Horse-43', currentPassword: PASSWORD },
    });
    expect(changed.status).toBe(200);
    for (const ended of [here, other]) expect(await bothAnswer(ended.token, 401, 'session_revoked')).toBe(true);
    expect(await bothAnswer(changed.body.session.accessToken, 200)).toBe(true);
    expect(await refreshRefusedByAuthServer(other.refreshToken)).toBe(true);
    expect((await stack.request('POST', '/auth/login', { body: { email, password: PASSWORD } })).status).toBe(401);
    expect((await stack.request('POST', '/auth/login', { body: { email, password: 'Correct-Horse-43' } })).status).toBe(200);
    const audit = await stack.db.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'password.changed' AND subject_id = (SELECT id FROM users WHERE email = $1)`,
      [email],
    );
    expect(audit.rows[0].n).toBe(1);
  });
});

describe('a forced refresh (DevicesService.forceRefresh)', () => {
  it('answers older tokens 401 token_stale on both instances; a refreshed token passes, and sessions stay signed in', async () => {
    const email = await newUser();
    const signedIn = await device(email);
    const id = (await stack.request('GET', '/users/me', { token: signedIn.token })).body.user.id as string;
    // A token from a second before: whole seconds decide.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    expect(await stack.app.get(DevicesService).forceRefresh(id)).toBe(true);
    expect(await bothAnswer(signedIn.token, 401, 'token_stale')).toBe(true);
    const refreshed = await stack.request('POST', '/auth/refresh', { body: { refreshToken: signedIn.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(await bothAnswer(refreshed.body.session.accessToken, 200)).toBe(true);
  });
});

describe('a ban through the admin API', () => {
  it('reaches the mirror, every guarded route answers 403 user_banned on both instances, and lifting it restores access', async () => {
    const email = await newUser();
    const signedIn = await device(email);
    const id = (await stack.request('GET', '/users/me', { token: signedIn.token })).body.user.id as string;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/users/me'],
      ['POST', '/auth/users/sync'],
      ['PATCH', '/profiles/me', { firstName: 'Ada' }],
      ['GET', '/users/lookup?phone=%2B447700900123'],
      ['GET', '/users/me/devices'],
    ];
    const answers = (via?: string) =>
      Promise.all(
        routes.map(async ([method, path, body]) => (await stack.request(method, path, { token: signedIn.token, body, via })).body?.code),
      );
    expect((await stack.admin.auth.admin.updateUserById(id, { ban_duration: '876000h' })).error).toBeNull();
    expect(await until(async () => (await me(signedIn.token)).code === 'user_banned', 10_000)).toBe(true);
    expect(await bothAnswer(signedIn.token, 403, 'user_banned')).toBe(true);
    for (const via of [undefined, second]) expect(await answers(via)).toEqual(routes.map(() => 'user_banned'));

    expect((await stack.admin.auth.admin.updateUserById(id, { ban_duration: 'none' })).error).toBeNull();
    expect(await until(async () => (await me(signedIn.token)).status === 200, 10_000)).toBe(true);
    expect(await bothAnswer(signedIn.token, 200)).toBe(true);
  });
});
