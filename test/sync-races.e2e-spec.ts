// First writes of one user racing each other: whoever commits second must see the row the
// first one committed, never take "no row in my snapshot" for a deletion (docs/design.md, invariant 10).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { DatabaseService } from '../src/database/database.service.js';
import { ProfilesService } from '../src/profiles/profiles.service.js';
import { snapshotFromClaims, snapshotFromSupabase, type UserSnapshot } from '../src/users/user-snapshot.js';
import { UsersService, type ApplyOutcome } from '../src/users/users.service.js';
import { newWebhookSecret, supabaseUser } from './support/deliveries.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const secret = newWebhookSecret();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: secret, RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0' } });
});

afterAll(async () => {
  await stack?.close();
});

/** `n` users that exist in the stand-in (never synced), each with an access token of their own. */
function freshUsers(n: number): Array<{ id: string; token: string }> {
  const users = Array.from({ length: n }, () => ({ id: randomUUID(), email: `race-${randomUUID()}@example.com` }));
  stack.auth.admin.bulkInsert(n, (i) => ({ id: users[i].id, email: users[i].email }));
  return users.map(({ id, email }) => ({ id, token: stack.auth.signAccessToken({ sub: id, email }) }));
}

function sync(token: string) {
  return stack.request('POST', '/auth/users/sync', { token });
}

describe('concurrent first syncs of one user', () => {
  it('answer 200 to both of a pair, and created: true to exactly one, for each of 150 users', async () => {
    const users = freshUsers(150);
    const pairs = await Promise.all(users.map(async (user) => Promise.all([sync(user.token), sync(user.token)])));

    const statuses = pairs.flat().map((answer) => `${answer.status} ${answer.body?.code ?? ''}`.trim());
    expect(statuses.filter((status) => status !== '200')).toEqual([]);
    expect(pairs.filter((pair) => pair.filter((answer) => answer.body.created).length !== 1)).toEqual([]);
  });

  it('answer 200 to every one of bursts of 10, with one created: true each, for 30 users', async () => {
    const users = freshUsers(30);
    const bursts = await Promise.all(users.map((user) => Promise.all(Array.from({ length: 10 }, () => sync(user.token)))));

    expect(
      bursts
        .flat()
        .filter((answer) => answer.status !== 200)
        .map((answer) => answer.body),
    ).toEqual([]);
    expect(bursts.map((burst) => burst.filter((answer) => answer.body.created).length)).toEqual(Array(30).fill(1));
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM profiles WHERE user_id = ANY($1::uuid[])', [
      users.map((user) => user.id),
    ]);
    expect(rows[0].n).toBe(30);
  });
});

/**
 * Holds the first write of a user uncommitted on a connection of its own, starts `second` (which
 * then waits on the user's key), commits the first, and returns what the second one answered.
 */
async function afterHeldFirstWrite<T>(firstWrite: (client: pg.PoolClient) => Promise<void>, second: () => Promise<T>): Promise<T> {
  const client = await stack.db.connect();
  try {
    await client.query('BEGIN');
    await firstWrite(client);
    const pending = second();
    await eventually(
      async () => (await stack.db.query('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted')).rows[0].n,
      (n) => n > 0,
    );
    await client.query('COMMIT');
    return await pending;
  } finally {
    client.release();
  }
}

function snapshotOf(id: string, updatedAt = '2026-03-01T10:00:00.000000Z'): UserSnapshot {
  return snapshotFromSupabase(supabaseUser(id, updatedAt));
}

async function insertRow(client: pg.PoolClient, id: string, updatedAt: string | null): Promise<void> {
  await client.query(`INSERT INTO users (id, email, created_at, updated_at, synced_at) VALUES ($1, $2, now(), $3, now())`, [
    id,
    `${id.slice(0, 8)}@example.com`,
    updatedAt,
  ]);
}

describe('a write that waits for another first write of the same user to commit', () => {
  it('answers the committed row (unchanged), not "deleted": the snapshot path, from the pool and inside a transaction', async () => {
    const users = stack.app.get(UsersService);
    const prisma = stack.app.get(DatabaseService);
    const outcomes: ApplyOutcome['status'][] = [];
    for (const inTransaction of [false, true]) {
      const id = randomUUID();
      const snapshot = snapshotOf(id);
      const outcome = await afterHeldFirstWrite(
        (client) => insertRow(client, id, '2026-03-01T10:00:00Z'),
        () => (inTransaction ? prisma.transaction((tx) => users.applyUserSnapshot(snapshot, tx)) : users.applyUserSnapshot(snapshot)),
      );
      outcomes.push(outcome.status);
    }
    expect(outcomes).toEqual(['unchanged', 'unchanged']);
  });

  it('answers the committed row from the delivery path, and the delivery counts as applied (its claim is kept)', async () => {
    const users = stack.app.get(UsersService);
    const id = randomUUID();
    const deliveryId = `signed:${randomUUID()}`;
    const claim = { deliveryId, source: 'signed', eventType: 'user.created' };
    const outcome = await afterHeldFirstWrite(
      (client) => insertRow(client, id, '2026-03-01T10:00:00Z'),
      () => users.applyUserSnapshotOnce(snapshotOf(id), claim),
    );
    expect(outcome?.status).toBe('unchanged');
    expect((await stack.db.query('SELECT 1 FROM webhook_deliveries WHERE delivery_id = $1', [deliveryId])).rowCount).toBe(1);
    expect(await users.applyUserSnapshotOnce(snapshotOf(id), claim)).toBeNull();
  });

  it('counts the committed row from the batch path (reconcile pages), not a missing one', async () => {
    const users = stack.app.get(UsersService);
    const id = randomUUID();
    const counts = await afterHeldFirstWrite(
      (client) => insertRow(client, id, '2026-03-01T10:00:00Z'),
      () => users.applyUserSnapshots([snapshotOf(id)]),
    );
    expect(counts).toMatchObject({ created: 0, updated: 0, unchanged: 1, missing: 0, unwritten: [id] });
  });

  it('answers the committed row from the token-claims path', async () => {
    const users = stack.app.get(UsersService);
    const id = randomUUID();
    const claims = { sub: id, role: 'authenticated', email: 'claims@example.com' };
    const outcome = await afterHeldFirstWrite(
      (client) => insertRow(client, id, '2026-03-01T10:00:00Z'),
      () => users.applyTokenClaims(snapshotFromClaims(claims)),
    );
    expect(outcome.status).toBe('unchanged');
  });

  it('answers the profile another request has just made, not "no live user"', async () => {
    const profiles = stack.app.get(ProfilesService);
    const id = randomUUID();
    await stack.db.query(`INSERT INTO users (id, created_at, updated_at, synced_at) VALUES ($1, now(), now(), now())`, [id]);
    const ensured = await afterHeldFirstWrite(
      async (client) => {
        await client.query(`INSERT INTO profiles (user_id, display_name, updated_at) VALUES ($1, 'First', now())`, [id]);
      },
      () => profiles.ensureProfile(id, { displayName: 'Second', firstName: null, lastName: null }),
    );
    expect(ensured).toMatchObject({ created: false, profile: { displayName: 'First' } });
  });

  it('still answers deleted for a tombstone (decided from the tombstone row)', async () => {
    const users = stack.app.get(UsersService);
    const id = randomUUID();
    await users.deleteUser(id, { source: 'admin' });
    expect((await users.applyUserSnapshot(snapshotOf(id))).status).toBe('deleted');
    expect((await users.applyTokenClaims(snapshotFromClaims({ sub: id, role: 'authenticated' }))).status).toBe('deleted');
  });
});

describe('signups racing their own user.created deliveries', () => {
  it('all succeed: 120 signups (8 at a time) while the stand-in delivers every change at once', async () => {
    stack.auth.deliveries.configure({ url: `${stack.url}/webhooks/supabase`, form: 'signed', secret, backoffMs: 10 });
    try {
      const answers: Array<{ status: number; body: any }> = [];
      const emails = Array.from({ length: 120 }, (_, i) => `signup-race-${i}-${randomUUID().slice(0, 8)}@example.com`);
      for (let start = 0; start < emails.length; start += 8) {
        answers.push(
          ...(await Promise.all(
            emails
              .slice(start, start + 8)
              .map((email) => stack.request('POST', '/auth/signup', { body: { email, password: 'Correct-Horse-42' } })),
          )),
        );
      }
      await stack.auth.deliveries.idle();

      expect(answers.filter((answer) => answer.status !== 201).map((answer) => answer.body)).toEqual([]);
      const { rows } = await stack.db.query(`SELECT state, count(*)::int AS n FROM signup_sagas GROUP BY state`);
      expect(rows).toEqual([{ state: 'completed', n: 120 }]);
      for (const answer of answers) expect(stack.auth.admin.getUser(answer.body.user.id)).not.toBeNull();
    } finally {
      stack.auth.deliveries.configure(null);
    }
  });
});
