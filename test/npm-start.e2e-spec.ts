// `npm start` as a developer runs it (compiled, its own process, its own embedded Postgres and
// stand-in), stopped by each signal a terminal sends while requests are in flight: every request
// it took is answered (never a 5xx), nothing is logged at warn or above, and no Postgres is left.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../dev/postgres.js';
import { compileInto } from './support/compiled.js';
import { eventually } from './support/eventually.js';

const IN_FLIGHT = 40;
let outDir: string;
let dataDir: string;
let running: ChildProcess | null = null;

beforeAll(async () => {
  outDir = await compileInto('npm-start-test');
  dataDir = await mkdtemp(join(tmpdir(), 'authmirror-npm-start-'));
  await chmod(dataDir, 0o755); // as root, the embedded server runs as the `postgres` user
}, 120_000);

afterAll(async () => {
  running?.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  api: string;
  postgresPort: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function npmStart(): Promise<Started> {
  const [apiPort, authPort, postgresPort] = [await freePort(), await freePort(), await freePort()];
  // cwd outside the project: a developer's .env must not reach this process.
  const child = spawn(process.execPath, [join(outDir, 'dev/start.js')], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      LOCAL_AUTH_PORT: String(authPort),
      LOCAL_POSTGRES_PORT: String(postgresPort),
      LOCAL_DATA_DIR: dataDir,
      LOG_FORMAT: 'json',
      // Behind one proxy: each signup comes from an address of its own (X-Forwarded-For), for the
      // API's limits and, through Sb-Forwarded-For, the stand-in's.
      TRUST_PROXY: '1',
      // No confirmation emails: Supabase sends 30 an hour in all (GOTRUE_RATE_LIMIT_EMAIL_SENT).
      SIGNUP_EMAIL_CONFIRMATION: 'false',
    },
  });
  running = child;
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(
    () => output,
    (text) => text.includes('authmirror is running') || child.exitCode !== null,
    60_000,
  );
  if (!output.includes('authmirror is running')) throw new Error(`npm start did not start:\n${output}`);
  return { child, api: `http://127.0.0.1:${apiPort}`, postgresPort, output: () => output, exited };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(!socket.destroy()));
    socket.once('error', () => resolve(false));
  });
}

describe('stopping npm start', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    'on %s: answers what it took, logs no error, and leaves no Postgres behind',
    async (signal, exitCode) => {
      const started = await npmStart();
      const signups = Array.from({ length: IN_FLIGHT }, (_, i) =>
        fetch(`${started.api}/auth/signup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i + 1}` },
          body: JSON.stringify({ email: `stop-${randomUUID()}@example.com`, password: 'Correct-horse-9' }),
        }).then(
          (answer) => answer.status,
          () => 'not taken' as const, // a connection the closing server no longer accepted
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 15));
      started.child.kill(signal);

      const statuses = await Promise.all(signups);
      expect(await started.exited).toBe(exitCode);
      running = null;
      expect(statuses.filter((status) => status !== 201 && status !== 'not taken')).toEqual([]);
      expect(statuses).toContain(201);

      const lines = started.output().split('\n');
      const logged = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(logged.filter((entry) => entry.level >= 40)).toEqual([]);
      expect(lines.filter((line) => !line.startsWith('{') && /error|terminating/i.test(line))).toEqual([]);
      expect(await accepts(started.postgresPort)).toBe(false);
    },
    90_000,
  );
});

describe('the local Supabase database of npm start', () => {
  it("prints SUPABASE_DB_URL, and a user created through the stand-in reaches the mirror through the trigger's outbox", async () => {
    const started = await npmStart();
    try {
      const dbUrl = /SUPABASE_DB_URL=(\S+)/.exec(started.output())?.[1];
      expect(dbUrl).toMatch(/^postgresql:\/\/authmirror_intake:/);
      const anonKey = /SUPABASE_ANON_KEY=(\S+)/.exec(started.output())![1];
      const authUrl = /SUPABASE_URL=(\S+)/.exec(started.output())![1];
      const email = `pulled-${randomUUID()}@example.com`;
      const signup = await fetch(`${authUrl}/auth/v1/signup`, {
        method: 'POST',
        headers: { apikey: anonKey, 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'Correct-horse-9' }),
      });
      expect(signup.status).toBe(200);
      const mirror = new pg.Client({ connectionString: `postgresql://authmirror:authmirror@127.0.0.1:${started.postgresPort}/authmirror` });
      await mirror.connect();
      try {
        const rows = await eventually(
          async () => (await mirror.query('SELECT email FROM users WHERE email = $1', [email])).rows,
          (found) => found.length === 1,
        );
        expect(rows).toEqual([{ email }]);
      } finally {
        await mirror.end();
      }
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
      running = null;
    }
  }, 90_000);
  it('signs a phone user in with a code from the mailbox, lists two devices of a user, and revoking one ends it in the stand-in', async () => {
    const started = await npmStart();
    try {
      const authUrl = /SUPABASE_URL=(\S+)/.exec(started.output())![1];
      const anonKey = /SUPABASE_ANON_KEY=(\S+)/.exec(started.output())![1];
      const call = async (method: string, path: string, body?: unknown, token?: string) => {
        const answer = await fetch(`${started.api}${path}`, {
          method,
          headers: {
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            'x-forwarded-for': '198.51.100.7',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await answer.text();
        return { status: answer.status, body: text ? JSON.parse(text) : null };
      };
      const phone = `+49151${String(Date.now()).slice(-8)}`;
      expect((await call('POST', '/auth/otp', { phone })).status).toBe(202);
      const mailbox = (await (await fetch(`${authUrl}/mailbox/messages?to=${encodeURIComponent(phone)}`)).json()) as {
        messages: Array<{ code: string }>;
      };
      const verified = await call('POST', '/auth/otp/verify', { phone, code: mailbox.messages[0].code, deviceName: 'Phone' });
      expect(verified.status).toBe(200);
      expect(verified.body.device).toMatchObject({ name: 'Phone', current: true });

      const email = `devices-${randomUUID()}@example.com`;
      expect((await call('POST', '/auth/signup', { email, password: 'Correct-horse-9' })).status).toBe(201);
      const login = async () => (await call('POST', '/auth/login', { email, password: 'Correct-horse-9' })).body.session;
      const [kept, revoked] = [await login(), await login()];
      const listed = await call('GET', '/users/me/devices', undefined, kept.accessToken);
      expect(listed.body.items).toHaveLength(2);
      const target = listed.body.items.find((item: { current: boolean }) => !item.current).id;
      expect((await call('DELETE', `/users/me/devices/${target}`, undefined, kept.accessToken)).status).toBe(204);
      expect((await call('GET', '/users/me', undefined, revoked.accessToken)).body.code).toBe('session_revoked');
      // Ended in the stand-in by the job, through SUPABASE_DB_URL and authmirror.revoke_session.
      const refreshed = await eventually(
        async () =>
          (
            await fetch(`${authUrl}/auth/v1/token?grant_type=refresh_token`, {
              method: 'POST',
              headers: { apikey: anonKey, 'content-type': 'application/json' },
              body: JSON.stringify({ refresh_token: revoked.refreshToken }),
            })
          ).status,
        (status) => status !== 200,
      );
      expect(refreshed).toBe(400);
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
      running = null;
    }
  }, 90_000);
});
