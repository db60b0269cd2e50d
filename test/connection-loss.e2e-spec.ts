// Postgres ending a connection the service holds (pg_terminate_backend, a failover, a restart)
// costs the one request or job using it a retry, never the process: a checked-out client with no
// 'error' listener would throw an unhandled 'error' event and end the process.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AccessRegistry } from '../src/access/access-registry.js';
import { UsersService } from '../src/users/users.service.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
const uncaught: unknown[] = [];
const recordUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  process.on('uncaughtException', recordUncaught);
  stack = await startTestStack();
});

afterAll(async () => {
  process.off('uncaughtException', recordUncaught);
  await stack?.close();
});

beforeEach(() => stack.auth.faults.clear());

async function syncedUser() {
  const user = await stack.signedInUser();
  expect((await stack.request('POST', '/auth/users/sync', { token: user.accessToken })).status).toBe(200);
  return user;
}

/** Terminates the backends matching `where` (over pg_stat_activity of this database); returns how many. */
async function terminate(where: string): Promise<number> {
  const { rows } = await stack.db.query(
    `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${where}`,
  );
  return rows.filter((row) => row.done).length;
}

async function count(where: string): Promise<number> {
  const { rows } = await stack.db.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${where}`,
  );
  return rows[0].n;
}

describe('a connection ended by Postgres', () => {
  it("inside a job's transaction (the profile push, Supabase paused mid-call): the job is retried, the process lives", async () => {
    const user = await syncedUser();
    // Supabase answers the push's PUT only after 4 s: its transaction sits idle meanwhile.
    stack.auth.faults.add({ method: 'PUT', path: new RegExp(`/admin/users/${user.id}`), status: 200, delayMs: 4_000, times: 1 });

    const patched = await stack.request('PATCH', '/profiles/me', { token: user.accessToken, body: { displayName: 'Survivor' } });
    expect(patched.status).toBe(200);
    await eventually(
      () => count(`state LIKE 'idle in transaction%' AND application_name = 'authmirror'`),
      (n) => n > 0,
    );
    expect(await terminate(`state LIKE 'idle in transaction%' AND application_name = 'authmirror'`)).toBeGreaterThan(0);

    // The retry pushes the profile; meanwhile and after, the API answers as before.
    expect((await stack.request('GET', '/users/me', { token: user.accessToken })).status).toBe(200);
    await eventually(
      () => stack.auth.admin.getUser(user.id)?.user_metadata.display_name,
      (name) => name === 'Survivor',
      30_000,
    );
    expect((await stack.request('GET', '/health')).status).toBe(200);
    expect(uncaught).toEqual([]);
  });

  it("inside a request's transaction (waiting on a lock): that request answers 503, the next one works", async () => {
    const user = await syncedUser();
    const blocker = await stack.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM profiles WHERE user_id = $1 FOR UPDATE', [user.id]);
      const patch = stack.request('PATCH', '/profiles/me', { token: user.accessToken, body: { jobTitle: 'Waiting' } });
      await eventually(
        () => count(`application_name = 'authmirror' AND wait_event_type = 'Lock'`),
        (n) => n > 0,
      );
      expect(await terminate(`application_name = 'authmirror' AND wait_event_type = 'Lock'`)).toBe(1);

      const answer = await patch;
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe('database_unavailable');
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const again = await stack.request('PATCH', '/profiles/me', { token: user.accessToken, body: { jobTitle: 'Done' } });
    expect(again.status).toBe(200);
    expect(again.body.profile.jobTitle).toBe('Done');
    expect(uncaught).toEqual([]);
  });

  it('of every pooled connection at once, in the middle of a burst of transactions: failed requests are 503, none is 500, the pool recovers', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => syncedUser()));
    const burst = Array.from({ length: 120 }, (_, i) => {
      const user = users[i % users.length];
      return stack.request('PATCH', '/profiles/me', { token: user.accessToken, body: { jobTitle: `burst ${i}` } });
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await terminate(`application_name = 'authmirror'`);
    const answers = await Promise.all(burst);

    expect(answers.every((answer) => answer.status === 200 || answer.status === 503)).toBe(true);
    const after = await stack.request('PATCH', '/profiles/me', { token: users[0].accessToken, body: { jobTitle: 'after' } });
    expect(after.status).toBe(200);
    expect(uncaught).toEqual([]);
  });

  it('of the job queue (its LISTEN and its workers): jobs queued afterwards still run', async () => {
    const user = await syncedUser();
    await eventually(
      () => count(`application_name = 'authmirror-jobs'`),
      (n) => n > 0,
    );
    expect(await terminate(`application_name = 'authmirror-jobs'`)).toBeGreaterThan(0);

    const patched = await stack.request('PATCH', '/profiles/me', {
      token: user.accessToken,
      body: { displayName: 'After the queue lost its connections' },
    });
    expect(patched.status).toBe(200);
    await eventually(
      () => stack.auth.admin.getUser(user.id)?.user_metadata.display_name,
      (name) => name === 'After the queue lost its connections',
      30_000,
    );
    expect(uncaught).toEqual([]);
  });

  it('of the access LISTEN connection: it reconnects, and a deletion, a ban and a lifted ban committed meanwhile are refused or lifted', async () => {
    const user = await syncedUser();
    const banned = await syncedUser();
    const lifted = await syncedUser();
    await stack.db.query(`UPDATE users SET banned_until = now() + interval '1 day' WHERE id = $1`, [lifted.id]);
    const access = stack.app.get(AccessRegistry);
    const callerOf = (id: string) => ({ id, sessionId: null, claims: { sub: id, aud: 'authenticated', exp: 0, role: 'authenticated' } });
    await eventually(
      () => access.refusal(callerOf(lifted.id)),
      (refusal) => refusal === 'user_banned',
    );
    await eventually(
      () => count(`application_name = 'authmirror-access'`),
      (n) => n === 1,
    );
    expect(await terminate(`application_name = 'authmirror-access'`)).toBe(1);
    // Written by another instance while this one listens to nothing: only the reload after the reconnect can tell.
    await stack.db.query(`DELETE FROM users WHERE id = $1`, [user.id]);
    await stack.db.query(`INSERT INTO users (id, deleted_at, synced_at) VALUES ($1, now(), now())`, [user.id]);
    await stack.db.query(`UPDATE users SET banned_until = now() + interval '1 day' WHERE id = $1`, [banned.id]);
    await stack.db.query(`UPDATE users SET banned_until = NULL WHERE id = $1`, [lifted.id]);

    const users = stack.app.get(UsersService);
    await eventually(
      () => users.isDeleted(user.id),
      (deleted) => deleted,
      10_000,
    );
    expect(access.refusal(callerOf(banned.id))).toBe('user_banned');
    expect(access.refusal(callerOf(lifted.id))).toBeNull();
    await eventually(
      () => count(`application_name = 'authmirror-access'`),
      (n) => n === 1,
    );
    expect(uncaught).toEqual([]);
  });
});
