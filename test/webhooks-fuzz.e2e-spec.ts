import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { newWebhookSecret, rawUserRow, signedHeaders, supabaseUser } from './support/deliveries.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const secret = newWebhookSecret();
const dbToken = 'fuzz-db-webhook-token-0123456789';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: secret, SUPABASE_DB_WEBHOOK_TOKEN: dbToken } });
});

afterAll(async () => {
  await stack?.close();
});

// A seeded generator, so a failure can be replayed: the seed is in the test name.
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
let state = seed;
function random(): number {
  state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
  return state / 2_147_483_648;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

const STRANGE_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  '',
  ' ',
  'x'.repeat(5000),
  '2026-13-45T99:99:99Z',
  'not-a-uuid',
  randomUUID(),
  [],
  [1, 2],
  {},
  { nested: { deeper: [null] } },
  '\u0000',
  '💥',
  '__proto__',
  { __proto__: { polluted: true } },
];

function mutate(value: unknown, depth = 0): unknown {
  if (depth > 3 || random() < 0.15) return pick(STRANGE_VALUES);
  if (Array.isArray(value)) return value.map((item) => mutate(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const roll = random();
      if (roll < 0.1) continue; // drop a field
      copy[key] = roll < 0.35 ? mutate(item, depth + 1) : item;
    }
    if (random() < 0.1) copy[pick(['extra', 'deleted_at', 'updated_at', 'id'])] = pick(STRANGE_VALUES);
    return copy;
  }
  return random() < 0.5 ? value : pick(STRANGE_VALUES);
}

function validPayload(): unknown {
  const id = randomUUID();
  return pick([
    { type: pick(['user.created', 'user.updated']), user: supabaseUser(id, '2026-03-01T00:00:00.000001Z') },
    { type: 'user.deleted', user: { id } },
    {
      type: pick(['INSERT', 'UPDATE']),
      table: 'users',
      schema: 'auth',
      record: rawUserRow(id, '2026-03-01T00:00:00+00:00'),
      old_record: null,
    },
    { type: 'DELETE', table: 'users', schema: 'auth', record: null, old_record: rawUserRow(id, '2026-03-01T00:00:00+00:00') },
  ]);
}

function body(): string {
  const roll = random();
  if (roll < 0.1) return randomBytes(Math.floor(random() * 300)).toString('latin1');
  if (roll < 0.2) return JSON.stringify(pick(STRANGE_VALUES));
  if (roll < 0.25) return JSON.stringify(validPayload()).slice(0, Math.floor(random() * 100));
  return JSON.stringify(mutate(validPayload()));
}

function headers(payload: string): Record<string, string> {
  const roll = random();
  const contentType = pick([
    'application/json',
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-8',
  ]);
  if (roll < 0.35) return { ...signedHeaders(secret, payload), 'content-type': contentType };
  if (roll < 0.6) return { 'content-type': contentType, authorization: `Bearer ${dbToken}` };
  const junk: Record<string, string> = { 'content-type': contentType };
  if (random() < 0.5) junk['webhook-id'] = pick(['', randomUUID(), 'x'.repeat(300)]);
  if (random() < 0.5) junk['webhook-timestamp'] = pick(['', 'abc', '-1', String(Math.floor(Date.now() / 1000)), '99999999999999999999']);
  if (random() < 0.5) junk['webhook-signature'] = pick(['', 'v1,', 'v1,AAAA', 'v2,abc v1,def', ',,,']);
  if (random() < 0.5) junk.authorization = pick(['', 'Bearer', 'Bearer ', `Bearer ${dbToken}x`, 'Basic abc', `bearer ${dbToken}`]);
  return junk;
}

describe(`POST /webhooks/supabase under fuzzing (seed ${seed})`, () => {
  it('never answers 5xx to 3,000 random and malformed deliveries', async () => {
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let batch = 0; batch < 60; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const payload = body();
          const answer = await stack.request('POST', '/webhooks/supabase', { body: payload, headers: headers(payload) });
          if (answer.status >= 500 && failures.length < 5) failures.push(`${answer.status} for ${payload.slice(0, 200)}`);
          return answer;
        }),
      );
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
    expect(failures).toEqual([]);
    expect([...statuses.keys()].every((status) => [200, 202, 400, 401, 415].includes(status))).toBe(true);
    // The fuzzer reached every kind of answer, so the checks behind each were exercised.
    expect([200, 400, 401].every((status) => (statuses.get(status) ?? 0) > 0)).toBe(true);
    const health = await stack.request('GET', '/health');
    expect(health.status).toBe(200);
  });
});
