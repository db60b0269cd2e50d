import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UsersRepository } from '../src/users/users.repository.js';
import { UsersService } from '../src/users/users.service.js';
import { snapshotFromSupabase } from '../src/users/user-snapshot.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.close();
});

async function rowCount(id: string): Promise<number> {
  const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM users WHERE id = $1', [id]);
  return rows[0].n;
}

describe('POST /auth/users/sync', () => {
  it('mirrors a user who signed in with supabase-js, with a profile named from user_metadata', async () => {
    const { id, email, accessToken } = await stack.signedInUser({ data: { first_name: 'Ada', last_name: 'Lovelace' } });

    const first = await stack.request('POST', '/auth/users/sync', { token: accessToken });
    expect(first.status).toBe(200);
    expect(first.body.created).toBe(true);
    expect(first.body.source).toBe('admin_api');
    expect(first.body.user).toMatchObject({ id, email, role: 'authenticated', isAnonymous: false, phone: null });
    expect(first.body.user.emailConfirmedAt).not.toBeNull();
    expect(first.body.user.lastSignInAt).not.toBeNull();
    expect(first.body.user.userMetadata).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
    expect(first.body.profile).toMatchObject({
      displayName: 'Ada Lovelace',
      firstName: 'Ada',
      lastName: 'Lovelace',
      onboardingCompleted: false,
    });

    const again = await stack.request('POST', '/auth/users/sync', { token: accessToken });
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);

    const me = await stack.request('GET', '/users/me', { token: accessToken });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(id);
    expect(me.body.profile.displayName).toBe('Ada Lovelace');
    expect(await rowCount(id)).toBe(1);
  });

  it('updates the row when the user changed in Supabase since the last sync', async () => {
    const { id, accessToken } = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    const before = await stack.db.query('SELECT updated_at FROM users WHERE id = $1', [id]);

    const { error } = await stack.admin.auth.admin.updateUserById(id, { user_metadata: { tier_hint: 'gold' }, phone: '447700900123' });
    expect(error).toBeNull();
    const after = await stack.request('POST', '/auth/users/sync', { token: accessToken });

    expect(after.status).toBe(200);
    expect(after.body.user.userMetadata.tier_hint).toBe('gold');
    expect(after.body.user.phone).toBe('+447700900123');
    const row = await stack.db.query('SELECT updated_at, phone FROM users WHERE id = $1', [id]);
    expect(row.rows[0].updated_at.getTime()).toBeGreaterThan(before.rows[0].updated_at.getTime());
  });

  it('makes exactly one row and one profile from 50 concurrent first syncs', async () => {
    const { id, accessToken } = await stack.signedInUser({ data: { full_name: 'Grace Hopper' } });

    const answers = await Promise.all(Array.from({ length: 50 }, () => stack.request('POST', '/auth/users/sync', { token: accessToken })));

    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(answers.filter((answer) => answer.body.created)).toHaveLength(1);
    expect(await rowCount(id)).toBe(1);
    const profiles = await stack.db.query('SELECT display_name FROM profiles WHERE user_id = $1', [id]);
    expect(profiles.rows).toEqual([{ display_name: 'Grace Hopper' }]);
  });

  it('falls back to the token claims when the admin API is unreachable, and never overwrites newer data', async () => {
    const fresh = await stack.signedInUser({ data: { first_name: 'Offline' } });
    stack.auth.faults.add({ path: /\/admin\/users/, status: 0 });
    try {
      const degraded = await stack.request('POST', '/auth/users/sync', { token: fresh.accessToken });
      expect(degraded.status).toBe(200);
      expect(degraded.body).toMatchObject({ created: true, source: 'token_claims' });
      expect(degraded.body.user).toMatchObject({ id: fresh.id, email: fresh.email, updatedAt: null });
    } finally {
      stack.auth.faults.clear();
    }
    const healed = await stack.request('POST', '/auth/users/sync', { token: fresh.accessToken });
    expect(healed.body).toMatchObject({ created: false, source: 'admin_api' });
    expect(healed.body.user.updatedAt).not.toBeNull();
    expect(healed.body.user.emailConfirmedAt).not.toBeNull();

    // A row that has a real version is left alone by the fallback, even with older claims.
    await stack.admin.auth.admin.updateUserById(fresh.id, { user_metadata: { first_name: 'Newer' } });
    await stack.request('POST', '/auth/users/sync', { token: fresh.accessToken });
    stack.auth.faults.add({ path: /\/admin\/users/, status: 503 });
    try {
      const stale = await stack.request('POST', '/auth/users/sync', { token: fresh.accessToken });
      expect(stale.status).toBe(200);
      expect(stale.body.source).toBe('token_claims');
      expect(stale.body.user.userMetadata.first_name).toBe('Newer');
    } finally {
      stack.auth.faults.clear();
    }
  });

  it('refuses a deleted user with 401 user_deleted and keeps only a tombstone', async () => {
    const { id, accessToken } = await stack.signedInUser({ data: { first_name: 'Gone' } });
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    const { error } = await stack.admin.auth.admin.deleteUser(id);
    expect(error).toBeNull();

    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await stack.request('POST', '/auth/users/sync', { token: accessToken });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('user_deleted');
    }
    const me = await stack.request('GET', '/users/me', { token: accessToken });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('user_deleted');

    const row = await stack.db.query('SELECT email, phone, user_metadata, deleted_at FROM users WHERE id = $1', [id]);
    expect(row.rows).toHaveLength(1);
    expect(row.rows[0]).toMatchObject({ email: null, phone: null, user_metadata: {} });
    expect(row.rows[0].deleted_at).toBeInstanceOf(Date);
    const profiles = await stack.db.query('SELECT 1 FROM profiles WHERE user_id = $1', [id]);
    expect(profiles.rowCount).toBe(0);
  });

  it('treats a soft-deleted Supabase user as deleted', async () => {
    const { id, accessToken } = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    await stack.admin.auth.admin.deleteUser(id, true);

    const answer = await stack.request('POST', '/auth/users/sync', { token: accessToken });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('user_deleted');
    const row = await stack.db.query('SELECT email, deleted_at FROM users WHERE id = $1', [id]);
    expect(row.rows[0].email).toBeNull();
    expect(row.rows[0].deleted_at).not.toBeNull();
  });

  it('cannot resurrect a user deleted while 50 syncs are in flight', async () => {
    const { id, accessToken } = await stack.signedInUser();
    const users = stack.app.get(UsersService);
    const syncs = Array.from({ length: 50 }, () => stack.request('POST', '/auth/users/sync', { token: accessToken }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await users.deleteUser(id);
    const answers = await Promise.all(syncs);

    expect(answers.every((answer) => answer.status === 200 || answer.body.code === 'user_deleted')).toBe(true);
    const row = await stack.db.query('SELECT email, deleted_at FROM users WHERE id = $1', [id]);
    expect(row.rows).toHaveLength(1);
    expect(row.rows[0].deleted_at).not.toBeNull();
    expect(row.rows[0].email).toBeNull();
    const profiles = await stack.db.query('SELECT 1 FROM profiles WHERE user_id = $1', [id]);
    expect(profiles.rowCount).toBe(0);
  });
});

describe('UsersService.applyUserSnapshot ordering', () => {
  function snapshotAt(id: string, second: number) {
    return snapshotFromSupabase({
      id,
      email: `v${second}@example.com`,
      role: 'authenticated',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: `2026-01-01T00:00:${String(second).padStart(2, '0')}.000001Z`,
      user_metadata: { version: second },
    });
  }

  it('never lets an older snapshot overwrite a newer one; an equal one is a no-op', async () => {
    const users = stack.app.get(UsersService);
    const id = '00000000-0000-4000-8000-00000000a001';
    expect((await users.applyUserSnapshot(snapshotAt(id, 20))).status).toBe('created');
    expect((await users.applyUserSnapshot(snapshotAt(id, 10))).status).toBe('stale');
    expect((await users.applyUserSnapshot(snapshotAt(id, 20))).status).toBe('unchanged');
    expect((await users.applyUserSnapshot(snapshotAt(id, 30))).status).toBe('updated');
    const row = await stack.db.query('SELECT email FROM users WHERE id = $1', [id]);
    expect(row.rows[0].email).toBe('v30@example.com');
  });

  it('keeps microsecond versions apart (two changes in the same millisecond)', async () => {
    const users = stack.app.get(UsersService);
    const id = '00000000-0000-4000-8000-00000000a003';
    const at = (micro: string, email: string) =>
      snapshotFromSupabase({ id, email, created_at: '2026-01-01T00:00:00Z', updated_at: `2026-01-01T00:00:00.123${micro}Z` });
    await users.applyUserSnapshot(at('456', 'later@example.com'));
    expect((await users.applyUserSnapshot(at('455', 'earlier@example.com'))).status).toBe('stale');
    const row = await stack.db.query('SELECT email FROM users WHERE id = $1', [id]);
    expect(row.rows[0].email).toBe('later@example.com');
  });

  it('ends at the newest of 60 snapshots applied concurrently in random order', async () => {
    const users = stack.app.get(UsersService);
    const id = '00000000-0000-4000-8000-00000000a002';
    const seconds = Array.from({ length: 60 }, (_, i) => i).sort(() => Math.random() - 0.5);
    await Promise.all(seconds.map((second) => users.applyUserSnapshot(snapshotAt(id, second))));
    const row = await stack.db.query('SELECT email, user_metadata FROM users WHERE id = $1', [id]);
    expect(row.rows[0].email).toBe('v59@example.com');
    expect(row.rows[0].user_metadata).toEqual({ version: 59 });
    expect(await rowCount(id)).toBe(1);
  });

  it('writes batches that share users concurrently without a deadlock, whatever their order', async () => {
    // Reconcile writes up to three pages at once, and a listing that shifts can put a user on two
    // of them. Rows are written in id order (tested below), so two batches lock the users they
    // share in the same order, never in opposite orders.
    const users = stack.app.get(UsersService);
    const ids = Array.from({ length: 300 }, () => randomUUID());
    await users.applyUserSnapshots(ids.map((id) => snapshotAt(id, 0)));
    for (let round = 1; round <= 10; round++) {
      // Batches of different sizes and orders: no accident of the plan gives them one order.
      const others = Array.from({ length: 100 * round }, () => snapshotAt(randomUUID(), 0));
      const ascending = ids.map((id) => snapshotAt(id, 2 * round - 1));
      const descending = [...ids.map((id) => snapshotAt(id, 2 * round)), ...others].reverse();
      const [first, second] = await Promise.all([users.applyUserSnapshots(ascending), users.applyUserSnapshots(descending)]);
      expect(first.updated + first.stale + second.updated + second.stale).toBe(2 * ids.length);
    }
    const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND email = 'v20@example.com'", [
      ids,
    ]);
    expect(rows[0].n).toBe(ids.length);
  });

  it('writes the rows of a batch in id order, whatever order they arrive in', async () => {
    // What keeps concurrent batches free of deadlocks (above): the order is the statement's own,
    // not the plan's (a hash join would otherwise hand the rows over in hash order).
    const repository = stack.app.get(UsersRepository);
    const ids = Array.from({ length: 50 }, () => randomUUID());
    for (const second of [0, 1]) {
      const rows = await repository.upsertIfNewer(ids.map((id) => snapshotAt(id, second)).reverse());
      const written = rows.filter((row) => row.written).map((row) => row.id);
      expect(written).toHaveLength(ids.length);
      expect(written).toEqual([...ids].sort());
    }
  });

  it('does not bring back a deleted user from a late snapshot', async () => {
    const users = stack.app.get(UsersService);
    const id = '00000000-0000-4000-8000-00000000a004';
    await users.deleteUser(id);
    expect((await users.applyUserSnapshot(snapshotAt(id, 59))).status).toBe('deleted');
    const row = await stack.db.query('SELECT email, deleted_at FROM users WHERE id = $1', [id]);
    expect(row.rows[0].email).toBeNull();
    expect(row.rows[0].deleted_at).not.toBeNull();
  });
});
