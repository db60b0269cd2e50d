// Devices under races, 100 rounds each: a new session seen at once by two instances and a sync
// is one device and one device.added; a revocation racing the device's own refresh leaves no
// token of that session working, here or in the stand-in; two revocations of one device are one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from '@supabase/supabase-js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DeviceSightings } from '../src/devices/device-sightings.js';
import { eventually, until } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const ROUNDS = 100;
const PASSWORD = 'correct horse battery';
let supabase: LocalSupabase;
let stack: TestStack;
let second: { url: string; app: NestFastifyApplication };

beforeAll(async () => {
  supabase = await startLocalSupabase();
  stack = await startTestStack({
    auth: { databaseUrl: supabase.url },
    env: { SUPABASE_DB_URL: supabase.intakeUrl, RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0' },
  });
  second = await stack.secondInstance();
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await supabase?.close();
});

const anon = () => createClient(stack.auth.url, stack.auth.keys.anonKey, { auth: { persistSession: false, autoRefreshToken: false } }).auth;
const sessionIdOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { session_id: string }).session_id;

async function login(email: string): Promise<{ token: string; refreshToken: string; sessionId: string }> {
  const answer = await stack.request('POST', '/auth/login', { body: { email, password: PASSWORD } });
  expect(answer.status).toBe(200);
  return {
    token: answer.body.session.accessToken,
    refreshToken: answer.body.session.refreshToken,
    sessionId: sessionIdOf(answer.body.session.accessToken),
  };
}

describe('devices under races', () => {
  it(`records a session seen at once by two instances and a sync as one device and one device.added (${ROUNDS} rounds), then leaves last-seen alone within the minute`, async () => {
    const { email } = await stack.signedInUser({ password: PASSWORD });
    await login(email); // a first device: every later one is news
    const sessions: string[] = [];
    let firstToken = '';
    for (let round = 0; round < ROUNDS; round++) {
      const { data } = await anon().signInWithPassword({ email, password: PASSWORD });
      const token = data.session!.access_token;
      firstToken ||= token;
      sessions.push(sessionIdOf(token));
      const answers = await Promise.all([
        stack.request('GET', '/users/me', { token }),
        stack.request('GET', '/users/me', { token, via: second.url }),
        stack.request('POST', '/auth/users/sync', { token, via: round % 2 ? second.url : undefined }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    }
    await Promise.all([stack.app.get(DeviceSightings).flush(), second.app.get(DeviceSightings).flush()]);
    const devices = await stack.db.query<{ id: string; added: number }>(
      `SELECT d.id, (SELECT count(*)::int FROM audit_events a WHERE a.type = 'device.added' AND a.details->>'deviceId' = d.id::text) AS added
       FROM devices d WHERE d.id = ANY($1::uuid[])`,
      [sessions],
    );
    expect(devices.rows.length).toBe(ROUNDS);
    expect(devices.rows.filter((row) => row.added !== 1)).toEqual([]);

    const lastSeen = async () =>
      (await stack.db.query('SELECT last_seen_at FROM devices WHERE id = $1', [sessions[0]])).rows[0].last_seen_at as Date;
    const before = await lastSeen();
    for (let i = 0; i < 20; i++) expect((await stack.request('GET', '/users/me', { token: firstToken })).status).toBe(200);
    await stack.app.get(DeviceSightings).flush();
    expect(await lastSeen()).toEqual(before);
  });

  it(`leaves no working token of a device revoked while it refreshes (${ROUNDS} rounds)`, async () => {
    const { email } = await stack.signedInUser({ password: PASSWORD });
    const controller = await login(email);
    const refreshTokens: string[] = [];
    const revokedSessions: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const target = await login(email);
      refreshTokens.push(target.refreshToken);
      revokedSessions.push(target.sessionId);
      const [revoked, refreshed] = await Promise.all([
        stack.request('DELETE', `/users/me/devices/${target.sessionId}`, {
          token: controller.token,
          via: round % 2 ? second.url : undefined,
        }),
        stack.request('POST', '/auth/refresh', { body: { refreshToken: target.refreshToken }, via: round % 2 ? undefined : second.url }),
      ]);
      expect(revoked.status).toBe(204);
      const tokens = [target.token];
      if (refreshed.status === 200) {
        tokens.push(refreshed.body.session.accessToken);
        refreshTokens.push(refreshed.body.session.refreshToken);
      } else {
        expect([401]).toContain(refreshed.status);
      }
      // At once on the instance that revoked, within a second on the other (its notification is on the way).
      const [revoking, other] = round % 2 ? [second.url, undefined] : [undefined, second.url];
      for (const token of tokens) {
        const answer = await stack.request('GET', '/users/me', { token, via: revoking });
        expect([answer.status, answer.body.code]).toEqual([401, 'session_revoked']);
        expect(
          await until(async () => (await stack.request('GET', '/users/me', { token, via: other })).body.code === 'session_revoked', 1_000),
        ).toBe(true);
      }
    }
    expect((await stack.request('GET', '/users/me', { token: controller.token })).status).toBe(200);
    // Every revoked session is gone from auth.sessions (durable jobs), so none of their refresh tokens works there.
    const left = () =>
      supabase.auth.query('SELECT id FROM auth.sessions WHERE id = ANY($1::uuid[])', [revokedSessions]).then((r) => r.rows);
    await eventually(left, (rows) => rows.length === 0, 30_000).catch(async (error: Error) => {
      const jobs = await stack.db.query('SELECT task_identifier, attempts, last_error FROM graphile_worker.jobs LIMIT 3');
      throw new Error(`${error.message}; jobs: ${JSON.stringify(jobs.rows)}`);
    });
    for (const refreshToken of refreshTokens) expect((await anon().refreshSession({ refresh_token: refreshToken })).error).not.toBeNull();
  });

  it(`answers one of two concurrent revocations of one device with 204 and the other with 404 (${ROUNDS} rounds)`, async () => {
    const { email } = await stack.signedInUser({ password: PASSWORD });
    const controller = await login(email);
    for (let round = 0; round < ROUNDS; round++) {
      const target = await login(email);
      const statuses = await Promise.all(
        [undefined, second.url].map(
          async (via) => (await stack.request('DELETE', `/users/me/devices/${target.sessionId}`, { token: controller.token, via })).status,
        ),
      );
      expect(statuses.sort()).toEqual([204, 404]);
    }
    const revokedAudits = await stack.db.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'device.revoked' AND subject_id = (SELECT user_id FROM devices WHERE id = $1)`,
      [controller.sessionId],
    );
    expect(revokedAudits.rows[0].n).toBe(ROUNDS);
  });
  it(`leaves no device of a user deleted while the device is being recorded (${ROUNDS} rounds)`, async () => {
    const ids: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const user = await stack.signedInUser({ password: PASSWORD });
      ids.push(user.id);
      expect((await stack.request('POST', '/auth/users/sync', { token: user.accessToken })).status).toBe(200);
      const [, deleted] = await Promise.all([
        stack.request('POST', '/auth/users/sync', { token: user.accessToken, via: round % 2 ? second.url : undefined }),
        stack.request('DELETE', '/users/me', { token: user.accessToken, body: {} }),
        stack.request('GET', '/users/me/devices', { token: user.accessToken, via: round % 2 ? undefined : second.url }),
      ]);
      expect(deleted.status).toBe(204);
    }
    await Promise.all([stack.app.get(DeviceSightings).flush(), second.app.get(DeviceSightings).flush()]);
    const left = await stack.db.query('SELECT count(*)::int AS n FROM devices WHERE user_id = ANY($1::uuid[])', [ids]);
    expect(left.rows[0].n).toBe(0);
  });
});
