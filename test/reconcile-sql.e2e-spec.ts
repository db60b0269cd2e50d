// Reconcile by SQL (SUPABASE_DB_URL): users read from GoTrue's auth.users through the install
// SQL's authmirror.users_after, by keyset on id, as role authmirror_intake. Users sharing one
// created_at (which the admin API's OFFSET pages may skip or repeat) are each seen once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { GoTrueWrites } from '../dev/auth-server/gotrue-writes.js';
import { ReconcileService } from '../src/reconcile/reconcile.service.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

describe('reconcile by SQL', () => {
  let stack: TestStack;
  let supabase: LocalSupabase;
  let auth: pg.Pool;
  let reconcile: ReconcileService;
  const gotrue = new GoTrueWrites();

  beforeAll(async () => {
    supabase = await startLocalSupabase({}); // neither intake: the mirror learns only from reconcile here
    auth = supabase.auth;
    stack = await startTestStack({ env: { SUPABASE_DB_URL: supabase.intakeUrl } });
    reconcile = stack.app.get(ReconcileService);
  });

  afterAll(async () => {
    await stack?.close();
    await supabase?.close();
  });

  const inTransaction = <T>(work: (tx: pg.PoolClient) => Promise<T>) => supabase.inTransaction(work);
  const newEmail = () => `sql-${randomBytes(5).toString('hex')}@example.com`;
  const mirrorLive = async () =>
    (await stack.db.query<{ id: string }>('SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id')).rows.map((row) => row.id);

  it('makes the mirror equal to auth.users: 250 users sharing one created_at, a soft delete, a stale row and one Supabase no longer has', async () => {
    // 250 users in one statement: one created_at for all, the ties OFFSET paging by created_at cannot page stably.
    const { rows } = await auth.query<{ id: string }>(
      `INSERT INTO auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
       SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'tie-' || i || '-' || $1 || '@example.com',
              '{"provider": "email"}', '{}', now(), now()
         FROM generate_series(1, 250) AS i RETURNING id`,
      [randomBytes(3).toString('hex')],
    );
    const tied = rows.map((row) => row.id);
    const edited = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    const softDeleted = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    // A mirror-only live user (deleted in Supabase while no intake ran).
    const gone = randomUUID();
    await stack.db.query(`INSERT INTO users (id, email, updated_at, created_at) VALUES ($1, 'gone@example.com', now(), now())`, [gone]);

    const first = await reconcile.run({ perPage: 40 });
    expect(first).toMatchObject({ complete: true, failed: 0, created: 252, seen: 252, deleted: 1 });
    expect(await mirrorLive()).toEqual([...tied, edited, softDeleted].sort());

    await inTransaction((tx) => gotrue.updateUser(tx, edited, { raw_user_meta_data: { display_name: 'Lin' } }));
    await inTransaction((tx) => gotrue.softDelete(tx, softDeleted));
    const second = await reconcile.run({ perPage: 40 });
    expect(second).toMatchObject({ complete: true, failed: 0, created: 0, updated: 1, unchanged: 250, deleted: 1, seen: 252 });
    const { rows: after } = await stack.db.query('SELECT id, user_metadata, deleted_at FROM users WHERE id = ANY($1::uuid[])', [
      [edited, softDeleted],
    ]);
    expect(after.find((row) => row.id === edited)?.user_metadata).toEqual({ display_name: 'Lin' });
    expect(after.find((row) => row.id === softDeleted)?.deleted_at).not.toBeNull();
  });

  it('changes nothing in a dry run, and says what it would do', async () => {
    const added = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    const summary = await reconcile.run({ perPage: 40, dryRun: true });
    expect(summary).toMatchObject({ complete: true, dryRun: true, created: 1 });
    expect(await mirrorLive()).not.toContain(added);
  });

  it('stops unswept when the project database cannot be read, and says why', async () => {
    await auth.query('REVOKE EXECUTE ON FUNCTION authmirror.users_after(uuid, integer) FROM authmirror_intake');
    try {
      const summary = await reconcile.run({ perPage: 40, pageAttempts: 1 });
      expect(summary.complete).toBe(false);
      expect(summary.error).toMatch(/permission denied/);
    } finally {
      await auth.query('GRANT EXECUTE ON FUNCTION authmirror.users_after(uuid, integer) TO authmirror_intake');
    }
  });
});
