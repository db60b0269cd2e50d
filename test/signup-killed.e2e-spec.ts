// The process killed mid-saga, for real: an API process (compiled, spawned) takes 20 signups,
// Supabase creates the users but answers late, and the process is SIGKILLed before any answer
// arrives. Another instance's recovery must roll every one forward: mirrored, profiled, kept.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from '../dev/postgres.js';
import { SignupRecoveryService } from '../src/accounts/signup/signup-recovery.service.js';
import { compileInto, root, stackEnv } from './support/compiled.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let outDir: string;
let stack: TestStack;
let child: ChildProcess | null = null;

beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0' } });
  outDir = await compileInto('killed-saga-test');
}, 120_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await stack?.close();
});

async function startApi(port: number): Promise<ChildProcess> {
  const api = spawn('node', [`${outDir}/src/main.js`], {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...stackEnv(stack),
      SUPABASE_ADMIN_TIMEOUT_MS: '20000',
      // This process only takes requests: recovery is the other instance's (the test's) to do.
      JOBS_ENABLED: 'false',
      RECONCILE_INTERVAL_MINUTES: '0',
      RATE_LIMIT_AUTH_PER_IP: '0',
      RATE_LIMIT_AUTH_PER_ACCOUNT: '0',
      HOST: '127.0.0.1',
      PORT: String(port),
    },
  });
  await eventually(
    () =>
      fetch(`http://127.0.0.1:${port}/health`).then(
        (answer) => answer.status,
        () => 0,
      ),
    (status) => status === 200,
    30_000,
  );
  return api;
}

describe('an API process killed in the middle of signups', () => {
  it('leaves sagas that another instance completes: every user Supabase made is mirrored and kept', async () => {
    const port = await freePort();
    child = await startApi(port);
    // Supabase makes each user at once and answers 10 s later: the process dies before any answer.
    stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 200, lateAnswerMs: 10_000 });
    const emails = Array.from({ length: 20 }, () => `killed-${randomUUID()}@example.com`);
    const requests = emails.map((email) =>
      fetch(`http://127.0.0.1:${port}/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'Correct-Horse-42', displayName: 'Survivor' }),
      }).catch(() => null),
    );
    const ids = await eventually(
      async () =>
        (await stack.db.query(`SELECT user_id FROM signup_sagas WHERE email = ANY($1) AND state = 'pending'`, [emails])).rows.map(
          (row) => row.user_id,
        ),
      (rows) => rows.length === 20 && rows.every((id: string) => stack.auth.admin.getUser(id) !== null),
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = null;
    expect((await Promise.all(requests)).every((answer) => answer === null)).toBe(true);
    stack.auth.faults.clear();

    // The dead process's lease has not run out: look ahead past it, as the minutely job would later.
    await stack.app.get(SignupRecoveryService).recoverDueSagas(10 * 60_000);

    const sagas = await stack.db.query(`SELECT state, count(*)::int AS n FROM signup_sagas WHERE user_id = ANY($1) GROUP BY state`, [ids]);
    expect(sagas.rows).toEqual([{ state: 'completed', n: 20 }]);
    const mirrored = await stack.db.query(
      `SELECT count(*)::int AS n FROM users u JOIN profiles p ON p.user_id = u.id WHERE u.id = ANY($1) AND u.deleted_at IS NULL AND p.display_name = 'Survivor'`,
      [ids],
    );
    expect(mirrored.rows[0].n).toBe(20);
    expect(ids.every((id) => stack.auth.admin.getUser(id) !== null)).toBe(true);
  }, 90_000);
});
