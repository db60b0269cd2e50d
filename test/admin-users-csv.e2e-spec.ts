// GET /admin/users.csv over 100,000 users streams: the whole export arrives, one line a user, while
// the service's heap stays flat (it reads 1,000 users a page and writes them out before the next).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestStack, type TestStack } from './support/test-stack.js';

const USERS = 100_000;
let stack: TestStack;
let adminToken: string;

/** Heap in use after a full collection (the API runs in this process). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}

beforeAll(async () => {
  stack = await startTestStack();
  adminToken = (await stack.signedInAdmin()).accessToken;
  await stack.db.query(`
    INSERT INTO users (id, email, created_at, updated_at, app_metadata, synced_at)
    SELECT gen_random_uuid(), 'csv' || g || '@export.example', timestamptz '2025-01-01' + g * interval '1 minute', now(),
      '{"provider":"email","providers":["email"]}', now()
    FROM generate_series(1, ${USERS}) AS g`);
  await stack.db.query(
    `INSERT INTO profiles (user_id, display_name) SELECT id, 'User ' || email FROM users WHERE email LIKE '%@export.example'`,
  );
  await stack.db.query('ANALYZE users');
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('GET /admin/users.csv at 100,000 users', () => {
  it('streams every user while the heap stays flat', async () => {
    const before = heapAfterGc();
    const answer = await fetch(`${stack.url}/admin/users.csv?emailDomain=export.example&sort=createdAt`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(answer.status).toBe(200);
    let lines = 0;
    let bytes = 0;
    let peak = 0;
    const decoder = new TextDecoder();
    for await (const chunk of answer.body!) {
      const text = decoder.decode(chunk as Uint8Array, { stream: true });
      bytes += text.length;
      const counted = lines;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
      // A sample every 10,000 lines: what the service holds while it streams.
      if (Math.floor(lines / 10_000) > Math.floor(counted / 10_000)) peak = Math.max(peak, heapAfterGc() - before);
    }
    expect(lines).toBe(USERS + 1);
    expect(bytes).toBeGreaterThan(10_000_000);
    // The export is over 10 MB of text and 100,000 users as objects would be well over 100 MB: a page is about 2 MB.
    expect(peak).toBeLessThan(30 * 1024 * 1024);
  }, 120_000);
});
