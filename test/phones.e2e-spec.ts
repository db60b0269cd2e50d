import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service.js';
import { snapshotFromSupabase, type UserSnapshot } from '../src/users/user-snapshot.js';
import { PHONE_INDEX, isPhoneRace } from '../src/users/phone-number.js';
import { FIND_LIVE_BY_PHONE } from '../src/users/users.repository.js';
import { UsersService } from '../src/users/users.service.js';
import { captureLogLines } from './support/log-lines.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const LOOKUPS_PER_MINUTE = 20;

const { lines, destination: capture } = captureLogLines();

let stack: TestStack;
let users: UsersService;

beforeAll(async () => {
  stack = await startTestStack({
    env: { LOG_LEVEL: 'warn', RATE_LIMIT_LOOKUP_PER_USER: String(LOOKUPS_PER_MINUTE) },
    logDestination: capture,
  });
  users = stack.app.get(UsersService);
});

afterAll(async () => {
  await stack?.close();
});

/** A signed-in user whose Supabase phone is `phone` (as the admin API takes it), synced to the mirror. */
async function syncedUserWithPhone(phone: string, data?: Record<string, unknown>) {
  const user = await stack.signedInUser({ data });
  const { error } = await stack.admin.auth.admin.updateUserById(user.id, { phone });
  expect(error).toBeNull();
  const synced = await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
  expect(synced.status).toBe(200);
  return { ...user, synced: synced.body };
}

async function sync(accessToken: string) {
  const response = await stack.request('POST', '/auth/users/sync', { token: accessToken });
  expect(response.status).toBe(200);
  return response.body;
}

async function phoneRow(id: string): Promise<{ phone: string | null; phone_conflict: string | null }> {
  const { rows } = await stack.db.query('SELECT phone, phone_conflict FROM users WHERE id = $1', [id]);
  return rows[0];
}

function lookup(phone: string, token: string) {
  return stack.request('GET', `/users/lookup?phone=${encodeURIComponent(phone)}`, { token });
}

/** Someone else who looks numbers up (each test its own, so that no test spends another's rate limit). */
async function caller(): Promise<string> {
  return (await stack.signedInUser()).accessToken;
}

/** A new user's snapshot as Supabase would send it (a delivery or a reconcile page). */
function snapshot(phone: string, createdAt: string, id = randomUUID()): UserSnapshot {
  return snapshotFromSupabase({ id, email: `${id}@example.com`, phone, created_at: createdAt, updated_at: '2026-06-01T10:00:00.000001Z' });
}

describe('phone numbers in the mirror', () => {
  it('stores a Supabase phone held as bare digits in E.164 with its +', async () => {
    const { id, synced } = await syncedUserWithPhone('12345678901');

    expect(synced.user.phone).toBe('+12345678901');
    expect(await phoneRow(id)).toEqual({ phone: '+12345678901', phone_conflict: null });
  });

  it('refuses a second live row with the same number in the database itself, and lets tombstones keep one', async () => {
    await stack.db.query(`INSERT INTO users (id, phone, updated_at) VALUES ($1, '+442079460000', now())`, [randomUUID()]);

    await expect(
      stack.db.query(`INSERT INTO users (id, phone, updated_at) VALUES ($1, '+442079460000', now())`, [randomUUID()]),
    ).rejects.toMatchObject({ code: '23505', constraint: PHONE_INDEX });
    await stack.db.query(`INSERT INTO users (id, phone, deleted_at) VALUES ($1, '+442079460000', now())`, [randomUUID()]);
  });
});

describe('GET /users/lookup', () => {
  it('finds the user whatever the format, and answers only their id and display name', async () => {
    const { id } = await syncedUserWithPhone('12345678902', { first_name: 'Ada', last_name: 'Lovelace' });
    const token = await caller();

    for (const phone of ['+1 (234) 567-8902', '001 234 567 8902', '12345678902', '+12345678902', '+1.234.567.8902']) {
      const found = await lookup(phone, token);
      expect([phone, found.status]).toEqual([phone, 200]);
      expect(found.body).toEqual({ id, displayName: 'Ada Lovelace' });
    }
    // A `+` left unencoded in the query string reads as a space: still the same number.
    const raw = await stack.request('GET', '/users/lookup?phone=+12345678902', { token });
    expect(raw.body).toEqual({ id, displayName: 'Ada Lovelace' });
  });

  it('reads the 00 international prefix and the national trunk 0 of other countries', async () => {
    const { id } = await syncedUserWithPhone('442012345678');
    const token = await caller();

    for (const phone of ['0044 20 1234 5678', '+44 (0)20 1234 5678', '442012345678', '+44 20 1234 5678']) {
      expect([phone, (await lookup(phone, token)).body]).toEqual([phone, { id, displayName: null }]);
    }
  });

  it('answers 404 user_not_found for a number nobody has', async () => {
    const response = await lookup('+1 234 567 0000', await caller());

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ statusCode: 404, code: 'user_not_found' });
    expect(typeof response.body.requestId).toBe('string');
  });

  it('answers 400 validation_failed for what is not a phone number', async () => {
    const token = await caller();
    for (const path of ['/users/lookup?phone=garbage', '/users/lookup?phone=%2B1', '/users/lookup', '/users/lookup?phone=1&phone=2']) {
      const response = await stack.request('GET', path, { token });
      expect([path, response.status, response.body.code]).toEqual([path, 400, 'validation_failed']);
    }
    const garbage = await lookup('call me maybe', token);
    expect(garbage.body.details).toEqual([{ field: 'phone', problems: [expect.stringContaining('phone must be a phone number')] }]);
    const unknownField = await stack.request('GET', '/users/lookup?phone=12345678901&email=x', { token });
    expect(unknownField.status).toBe(400);
  });

  it('answers 401 without a token or with a bad one', async () => {
    await syncedUserWithPhone('12345678903');

    const missing = await stack.request('GET', '/users/lookup?phone=12345678903');
    const bad = await stack.request('GET', '/users/lookup?phone=12345678903', { token: 'not-a-token' });

    expect([missing.status, missing.body.code]).toEqual([401, 'invalid_token']);
    expect([bad.status, bad.body.code]).toEqual([401, 'invalid_token']);
  });

  it('is rate-limited per caller: 429 rate_limited past the limit, others unaffected', async () => {
    const greedy = await caller();
    for (let i = 0; i < LOOKUPS_PER_MINUTE; i += 1) {
      expect((await lookup(`+1 234 567 ${String(1000 + i)}`, greedy)).status).toBe(404);
    }
    const refused = await lookup('+1 234 567 0999', greedy);
    expect([refused.status, refused.body.code]).toEqual([429, 'rate_limited']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // Same IP, another user: their own budget.
    expect((await lookup('+1 234 567 0999', await caller())).status).toBe(404);
  });

  it('uses the partial unique index with 10,000 users, and still answers correctly', async () => {
    await stack.db.query(
      `INSERT INTO users (id, phone, updated_at)
       SELECT gen_random_uuid(), '+1555' || lpad(n::text, 7, '0'), now() FROM generate_series(1, 10000) n`,
    );
    await stack.db.query('ANALYZE users');

    const { rows } = await stack.db.query(`EXPLAIN (FORMAT JSON) ${FIND_LIVE_BY_PHONE}`, ['+15550005000']);
    const nodes = planNodes(rows[0]['QUERY PLAN'][0].Plan);
    const onUsers = nodes.filter((node) => node['Relation Name'] === 'users');
    expect(onUsers.map((node) => [node['Node Type'], node['Index Name']])).toEqual([
      [expect.stringMatching(/^Index (Only )?Scan$/), PHONE_INDEX],
    ]);

    const { rows: expected } = await stack.db.query(`SELECT id FROM users WHERE phone = '+15550005000'`);
    const found = await lookup('+1 (555) 000-5000', await caller());
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ id: expected[0].id, displayName: null });
  });
});

describe('a number another live user holds', () => {
  it('is flagged on the newcomer, not merged; the holder keeps it; it heals once the number is free', async () => {
    const first = await syncedUserWithPhone('12345678904');
    // The first user moves to another number in Supabase, and a second user takes theirs, before
    // the mirror hears of the move: the second user's sync finds the number held here.
    expect((await stack.admin.auth.admin.updateUserById(first.id, { phone: '12345678905' })).error).toBeNull();
    lines.length = 0;
    const second = await syncedUserWithPhone('12345678904');

    expect(second.synced.user.phone).toBeNull();
    expect(await phoneRow(second.id)).toEqual({ phone: null, phone_conflict: '+12345678904' });
    expect(await phoneRow(first.id)).toEqual({ phone: '+12345678904', phone_conflict: null });
    expect((await lookup('+12345678904', await caller())).body.id).toBe(first.id);
    expect((await users.phoneConflicts()).items).toContainEqual(expect.objectContaining({ id: second.id, phone: '+12345678904' }));
    const warnings = lines.filter((line) => line.includes('stored as a conflict'));
    expect(warnings.map((line) => JSON.parse(line).userId)).toEqual([second.id]);
    expect(lines.join('\n')).not.toContain('2345678904');

    // The first user's move reaches the mirror; the second user's next sync (same Supabase version) stores the number.
    expect((await sync(first.accessToken)).user.phone).toBe('+12345678905');
    expect((await sync(second.accessToken)).user.phone).toBe('+12345678904');
    expect(await phoneRow(second.id)).toEqual({ phone: '+12345678904', phone_conflict: null });
    expect((await lookup('+12345678904', await caller())).body.id).toBe(second.id);
    expect((await users.phoneConflicts()).items.map((item) => item.id)).not.toContain(second.id);
  });

  it('is flagged within one batch too: the earliest-created user of the batch keeps it', async () => {
    const earlier = snapshot('12345678906', '2026-01-01T00:00:00Z');
    const later = snapshot('+1 234 567 8906', '2026-02-01T00:00:00Z');

    const counts = await users.applyUserSnapshots([later, earlier]);

    expect(counts).toEqual({
      created: 2,
      updated: 0,
      unchanged: 0,
      stale: 0,
      deleted: 0,
      missing: 0,
      flagged: [later.id],
      unwritten: [],
      tombstoned: [],
    });
    expect(await phoneRow(earlier.id)).toEqual({ phone: '+12345678906', phone_conflict: null });
    expect(await phoneRow(later.id)).toEqual({ phone: null, phone_conflict: '+12345678906' });
  });

  it('never fails a concurrent write: the statement that loses the race is retried and flags (pool and transaction)', async () => {
    const prisma = stack.app.get(DatabaseService);
    for (const [index, loserInTransaction] of [
      [7, false],
      [8, true],
    ] as const) {
      const phone = `1234567890${index}`;
      const winner = snapshot(phone, '2026-01-01T00:00:00Z');
      const loser = snapshot(phone, '2026-01-01T00:00:00Z');
      let release!: () => void;
      let written!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const winnerWritten = new Promise<void>((resolve) => (written = resolve));
      // The winner's row is written but not committed while the loser's statement runs: the
      // loser sees the number free, then waits on the index for the winner's commit.
      const winning = prisma.transaction(async (tx) => {
        await users.applyUserSnapshot(winner, tx);
        written();
        await held;
      });
      await winnerWritten;
      const losing = loserInTransaction
        ? prisma.transaction((tx) => users.applyUserSnapshot(loser, tx), { retryOnceIf: isPhoneRace })
        : users.applyUserSnapshot(loser);
      await waitForRowLockWaiters(1);
      release();
      await winning;

      expect((await losing).status).toBe('created');
      expect(await phoneRow(winner.id)).toEqual({ phone: `+${phone}`, phone_conflict: null });
      expect(await phoneRow(loser.id)).toEqual({ phone: null, phone_conflict: `+${phone}` });
    }
  });
});

describe('a deleted user', () => {
  it('frees their number: the lookup stops finding them and another user can hold it', async () => {
    const gone = await syncedUserWithPhone('12345678909');
    const token = await caller();
    expect((await lookup('+12345678909', token)).body.id).toBe(gone.id);

    expect((await stack.admin.auth.admin.deleteUser(gone.id)).error).toBeNull();
    expect(await users.deleteUser(gone.id, { source: 'admin' })).toEqual({ deleted: true });

    expect((await lookup('+12345678909', token)).status).toBe(404);
    const next = await syncedUserWithPhone('12345678909');
    expect(next.synced.user.phone).toBe('+12345678909');
    expect((await lookup('+12345678909', token)).body.id).toBe(next.id);
  });
});

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** Waits until `count` sessions of this test database wait on a lock held by another transaction. */
async function waitForRowLockWaiters(count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0].n === count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`expected ${count} sessions waiting on a lock`);
}
