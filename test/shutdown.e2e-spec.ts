// Stopping the API while it works: requests in flight are answered in full, and nothing of the
// app stays connected to Postgres once close() returns (a leftover connection dies with an error
// when the database goes: the "terminating connection due to administrator command" of a test
// teardown or of Ctrl-C on npm start).
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestStack, TEST_POOL_NAME, type TestStack } from './support/test-stack.js';

const ROUNDS = 5;
const IN_FLIGHT = 20;

async function appConnections(stack: TestStack): Promise<string[]> {
  const { rows } = await stack.db.query<{ application_name: string }>(
    // Client connections only: an autovacuum worker of the test's database (application_name '') is Postgres' own.
    `SELECT application_name FROM pg_stat_activity
     WHERE datname = current_database() AND backend_type = 'client backend' AND application_name <> $1`,
    [TEST_POOL_NAME],
  );
  return rows.map((row) => row.application_name);
}

describe('closing the API', () => {
  it(`answers ${ROUNDS} x ${IN_FLIGHT} signups in flight at close, then holds no connection`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const stack = await startTestStack({ env: { RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0' } });
      try {
        // Every request waits on Supabase when close() begins, and needs the database after.
        stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 200, delayMs: 300 });
        const answers = Array.from({ length: IN_FLIGHT }, () =>
          stack.request('POST', '/auth/signup', { body: { email: `closing-${randomUUID()}@example.com`, password: 'Correct-horse-9' } }),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect((await appConnections(stack)).length).toBeGreaterThan(0);

        await stack.app.close();

        const settled = await Promise.all(answers);
        expect(settled.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(201));
        expect(await appConnections(stack)).toEqual([]);
      } finally {
        await stack.close();
      }
    }
  }, 120_000);
});
