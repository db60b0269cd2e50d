import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobQueueService } from '../src/jobs/job-queue.service.js';
import { DatabaseService } from '../src/database/database.service.js';
import type { Sql } from '../src/database/sql.js';
import { UserCleanerRegistry } from '../src/users/user-cleaners.js';
import { snapshotFromSupabase, type UserSnapshot } from '../src/users/user-snapshot.js';
import { UsersService } from '../src/users/users.service.js';
import { until } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let storageDir: string;
let failingCleanups = 0;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'authmirror-storage-'));
  stack = await startTestStack({ env: { STORAGE_DIR: storageDir, TOMBSTONE_RETENTION_DAYS: '30' } });
});

afterAll(async () => {
  await stack?.close();
  await rm(storageDir, { recursive: true, force: true });
});

async function count(sql: string, id: string): Promise<number> {
  return (await stack.db.query(sql, [id])).rows[0].n;
}

describe('deleting a user', () => {
  it('removes everything they own in one transaction, keeps a tombstone and the deletion record, and cleans their files', async () => {
    const { id, email, accessToken } = await stack.signedInUser({ data: { first_name: 'Owner' } });
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    await stack.db.query(
      `INSERT INTO audit_events (user_id, subject_id, type, details)
       SELECT $1, $1, 'app.event', jsonb_build_object('n', n) FROM generate_series(1, 5000) AS n`,
      [id],
    );
    const folder = join(storageDir, 'users', id, 'avatars');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'me.png'), 'not really a png');

    const result = await stack.app.get(UsersService).deleteUser(id, { source: 'admin' });

    expect(result).toEqual({ deleted: true });
    expect(await count('SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1', id)).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM profiles WHERE user_id = $1', id)).toBe(0);
    const tombstone = (await stack.db.query('SELECT * FROM users WHERE id = $1', [id])).rows[0];
    expect(tombstone).toMatchObject({ email: null, phone: null, role: null, user_metadata: {}, app_metadata: {} });
    expect(tombstone.deleted_at).toBeInstanceOf(Date);
    const records = (await stack.db.query('SELECT user_id, type, details FROM audit_events WHERE subject_id = $1', [id])).rows;
    expect(records).toEqual([{ user_id: null, type: 'user.deleted', details: { source: 'admin' } }]);
    expect(JSON.stringify(records)).not.toContain(email);

    expect(await until(async () => !existsSync(join(storageDir, 'users', id)))).toBe(true);
  });

  it.each([
    ['one snapshot (sync, deliveries)', (users: UsersService, snapshot: UserSnapshot, tx: Sql) => users.applyUserSnapshot(snapshot, tx)],
    [
      'a page of snapshots (reconcile)',
      (users: UsersService, snapshot: UserSnapshot, tx: Sql) => users.applyUserSnapshots([snapshot], { tx }),
    ],
  ])('waits for a first write of the user that is still in flight, then deletes it with what it owns: %s', async (_case, write) => {
    // The write has inserted the row (and a profile) and not committed when the deletion starts:
    // the deletion cannot see the row yet, so it must wait for it on the user's key rather than
    // skip the cascade and report deleted a live user that keeps its profile.
    const users = stack.app.get(UsersService);
    const id = randomUUID();
    const snapshot = snapshotFromSupabase({
      id,
      email: `${id.slice(0, 8)}@example.com`,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    });
    let release!: () => void;
    let written!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rowWritten = new Promise<void>((resolve) => (written = resolve));
    const writing = stack.app.get(DatabaseService).transaction(async (tx) => {
      await write(users, snapshot, tx);
      await tx.query('INSERT INTO profiles (user_id, display_name) VALUES ($1, $2)', [id, 'In flight']);
      written();
      await held;
    });
    await rowWritten;
    const deleting = users.deleteUser(id, { source: 'webhook' });
    expect(await until(async () => (await stack.db.query('SELECT 1 FROM pg_locks WHERE NOT granted')).rowCount! > 0)).toBe(true);
    release();
    await writing;
    expect(await deleting).toEqual({ deleted: true });
    const { rows } = await stack.db.query('SELECT email, deleted_at FROM users WHERE id = $1', [id]);
    expect(rows).toEqual([{ email: null, deleted_at: expect.any(Date) }]);
    expect(await count('SELECT count(*)::int AS n FROM profiles WHERE user_id = $1', id)).toBe(0);
  });

  it('is idempotent: a second deletion records and queues nothing more', async () => {
    const { id, accessToken } = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    const users = stack.app.get(UsersService);
    expect(await users.deleteUser(id)).toEqual({ deleted: true });
    expect(await users.deleteUser(id)).toEqual({ deleted: false });
    expect(await count("SELECT count(*)::int AS n FROM audit_events WHERE subject_id = $1 AND type = 'user.deleted'", id)).toBe(1);
  });

  it('rolls back entirely when a step fails: no tombstone, no record, no job', async () => {
    const { id, accessToken } = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    const prisma = stack.app.get(DatabaseService);
    await stack.db.query(`CREATE OR REPLACE FUNCTION fail_deletion_record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$`);
    await stack.db.query(`CREATE TRIGGER fail_deletion_record BEFORE INSERT ON audit_events
      FOR EACH ROW WHEN (NEW.type = 'user.deleted') EXECUTE FUNCTION fail_deletion_record()`);
    try {
      await expect(stack.app.get(UsersService).deleteUser(id)).rejects.toThrow('audit store unavailable');
    } finally {
      await stack.db.query('DROP TRIGGER fail_deletion_record ON audit_events');
    }
    const row = (
      await prisma.sql.query<{ email: string | null; deleted_at: Date | null }>('SELECT email, deleted_at FROM users WHERE id = $1', [id])
    )[0];
    expect(row.deleted_at).toBeNull();
    expect(row.email).not.toBeNull();
    expect(await count('SELECT count(*)::int AS n FROM profiles WHERE user_id = $1', id)).toBe(1);
    expect(stack.app.get(UsersService).isDeleted(id)).toBe(false);
    expect((await stack.request('GET', '/users/me', { token: accessToken })).status).toBe(200);
  });

  it('leaves a clean-up that keeps failing in the dead-letter state with its error', async () => {
    stack.app.get(UserCleanerRegistry).register({
      name: 'always-down-third-party',
      maxAttempts: 1,
      clean: async () => {
        failingCleanups++;
        throw new Error('third party is down');
      },
    });
    const { id, accessToken } = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    await stack.app.get(UsersService).deleteUser(id);
    const jobs = stack.app.get(JobQueueService);
    const prisma = stack.app.get(DatabaseService);
    expect(
      await until(async () => (await jobs.failedJobs(prisma.sql)).some((job) => job.last_error?.includes('third party is down'))),
    ).toBe(true);
    expect(failingCleanups).toBe(1);
  });

  it('purges tombstones older than the retention period, keeping the deletion record', async () => {
    const { id, accessToken } = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    const users = stack.app.get(UsersService);
    await users.deleteUser(id);
    const recent = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: recent.accessToken });
    await users.deleteUser(recent.id);
    await stack.db.query("UPDATE users SET deleted_at = now() - interval '31 days' WHERE id = $1", [id]);

    expect(await users.purgeTombstones()).toBeGreaterThanOrEqual(1);
    expect(await count('SELECT count(*)::int AS n FROM users WHERE id = $1', id)).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM users WHERE id = $1', recent.id)).toBe(1);
    expect(await count("SELECT count(*)::int AS n FROM audit_events WHERE subject_id = $1 AND type = 'user.deleted'", id)).toBe(1);
  });
});
