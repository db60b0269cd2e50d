// The pull intake against the local Supabase database: the real install SQL (outbox written in the
// change's own transaction, role authmirror_intake), GoTrue's statement sequences, and the service
// reading the outbox with SUPABASE_DB_URL. Nothing committed while the service is down is lost;
// a connection killed mid-batch applies nothing twice; two instances never take the same row.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { GoTrueWrites } from '../dev/auth-server/gotrue-writes.js';
import { PullIntakeService } from '../src/intake/pull-intake.service.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

describe('pull intake', () => {
  let stack: TestStack;
  let supabase: LocalSupabase;
  let auth: pg.Pool;
  let pullEnv: Record<string, string>;
  const gotrue = new GoTrueWrites();

  beforeAll(async () => {
    supabase = await startLocalSupabase({ pull: true });
    auth = supabase.auth;
    pullEnv = { SUPABASE_DB_URL: supabase.intakeUrl, SUPABASE_PULL_INTERVAL_MS: '100' };
    // The stack's own instance does not pull: each test starts the pulling instances it needs.
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.close();
    await supabase?.close();
  });

  const inTransaction = <T>(work: (tx: pg.PoolClient) => Promise<T>) => supabase.inTransaction(work);
  const newEmail = () => `pull-${randomBytes(5).toString('hex')}@example.com`;
  const create = () => supabase.createUser('pull');
  const mirrored = async (ids: string[]) =>
    (await stack.db.query('SELECT * FROM users WHERE id = ANY($1::uuid[])', [ids])).rows as Array<Record<string, any>>;
  const outbox = () => supabase.outbox();
  const allConfirmed = (ids: string[]) =>
    eventually(
      () => mirrored(ids),
      (rows) => rows.length === ids.length && rows.every((r) => r.email_confirmed_at !== null && r.role === 'authenticated'),
      30_000,
    );
  const statusOf = (app: NestFastifyApplication) => app.get(PullIntakeService).status;

  it('writes one outbox row per user and transaction (an admin create is four statements), and nothing for a rollback', async () => {
    const id = await create();
    const rows = (await auth.query('SELECT event_type, user_object FROM authmirror.user_changes WHERE user_id = $1', [id])).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0].event_type).toBe('user.created');
    expect(rows[0].user_object).toMatchObject({ id, role: 'authenticated', user_metadata: { email_verified: true } });
    await expect(
      inTransaction(async (tx) => {
        await gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await outbox()).toBe(1);
  });

  it('applies what committed while no instance was pulling, empties the outbox, and says so in /health', async () => {
    const ids = await Promise.all(Array.from({ length: 150 }, create));
    expect(await outbox()).toBeGreaterThanOrEqual(150);
    const { app, url } = await stack.secondInstance(pullEnv);
    try {
      await allConfirmed(ids);
      expect(await eventually(outbox, (n) => n === 0)).toBe(0);
      const health = await eventually(
        () => stack.request('GET', '/health', { via: url }),
        (answer) => answer.body.info?.intake?.applied >= 150,
      );
      expect(health.body.info.intake).toMatchObject({ status: 'up', dropped: 0, duplicates: 0 });
      const ledger = await stack.db.query(
        'SELECT count(*)::int AS n FROM webhook_deliveries WHERE source = $1 AND user_id = ANY($2::uuid[])',
        ['pull', ids],
      );
      expect(ledger.rows[0].n).toBe(150);
    } finally {
      await app.close();
    }
  });

  it('carries updates, a ban, a soft delete and a hard delete to the mirror', async () => {
    const { app } = await stack.secondInstance(pullEnv);
    try {
      const [edited, banned, soft, hard] = await Promise.all([create(), create(), create(), create()]);
      await allConfirmed([edited, banned, soft, hard]);
      const until = new Date(Date.now() + 3_600_000);
      await inTransaction((tx) => gotrue.updateUser(tx, edited, { raw_user_meta_data: { display_name: 'Grace' } }));
      await inTransaction((tx) => gotrue.ban(tx, banned, until));
      await inTransaction((tx) => gotrue.softDelete(tx, soft));
      await inTransaction((tx) => gotrue.hardDelete(tx, hard));
      const rows = await eventually(
        () => mirrored([edited, banned, soft, hard]),
        (found) =>
          found.find((r) => r.id === edited)?.user_metadata.display_name === 'Grace' &&
          found.find((r) => r.id === banned)?.banned_until !== null &&
          found.filter((r) => r.deleted_at !== null).length === 2,
      );
      expect(rows.find((r) => r.id === banned)!.banned_until.getTime()).toBe(until.getTime());
      expect(rows.filter((r) => r.deleted_at !== null).every((r) => r.email === null)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('carries changes whose updated_at does not move forward: SQL that leaves it alone, twice; a writer that took its time before waiting', async () => {
    const { app } = await stack.secondInstance(pullEnv);
    try {
      const [edited, raced] = await Promise.all([create(), create()]);
      await allConfirmed([edited, raced]);
      const appMetadata = async (id: string) => (await mirrored([id]))[0]?.app_metadata as Record<string, unknown> | undefined;
      for (const plan of ['pro', 'team']) {
        await auth.query(
          `UPDATE auth.users SET raw_app_meta_data = raw_app_meta_data || jsonb_build_object('plan', $2::text) WHERE id = $1`,
          [edited, plan],
        );
        await eventually(
          () => appMetadata(edited),
          (metadata) => metadata?.plan === plan,
        );
      }
      // The second writer computed its updated_at (as GoTrue does, in Go) before waiting for the first one's lock.
      const now = Date.now();
      const first = await auth.connect();
      const second = await auth.connect();
      try {
        await first.query('BEGIN');
        await first.query(`UPDATE auth.users SET raw_user_meta_data = '{"by": "first"}', updated_at = $2 WHERE id = $1`, [
          raced,
          new Date(now + 10),
        ]);
        const waiting = second.query(`UPDATE auth.users SET raw_user_meta_data = '{"by": "second"}', updated_at = $2 WHERE id = $1`, [
          raced,
          new Date(now + 5),
        ]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await first.query('COMMIT');
        await waiting;
      } finally {
        first.release();
        second.release();
      }
      const final = await eventually(
        () => mirrored([raced]),
        (rows) => rows[0]?.user_metadata.by === 'second',
      );
      expect(final[0].user_metadata).toEqual({ by: 'second' });
    } finally {
      await app.close();
    }
  });

  it('applies nothing twice when its Supabase connection is killed mid-batch, again and again', async () => {
    const { app } = await stack.secondInstance({ ...pullEnv, SUPABASE_PULL_BATCH_SIZE: '20' });
    // Ten kills, each while a batch holds its transaction open (between claiming and committing), each
    // after the intake has committed a batch since the last one.
    let killing = true;
    const killer = (async () => {
      let kills = 0;
      let batches = statusOf(app).batches;
      while (killing && kills < 10) {
        if (statusOf(app).batches > batches) {
          const { rows } = await auth.query(
            `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'authmirror-intake' AND state = 'idle in transaction'`,
          );
          if (rows[0].n > 0) batches = statusOf(app).batches;
          kills += rows[0].n;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return kills;
    })();
    try {
      const before = { ...statusOf(app) };
      const ids = await Promise.all(Array.from({ length: 200 }, create));
      await allConfirmed(ids);
      killing = false;
      const kills = await killer;
      expect(await eventually(outbox, (n) => n === 0)).toBe(0);
      const status = statusOf(app);
      // Every change applied exactly once; rows claimed again after a kill were recognised by the ledger.
      expect(status.applied - before.applied).toBe(200);
      expect(kills).toBeGreaterThan(0);
      expect(status.dropped).toBe(0);
    } finally {
      killing = false;
      await killer;
      await app.close();
    }
  });

  it('never gives one row to two instances pulling at once (one leader per batch, by advisory lock)', async () => {
    const first = await stack.secondInstance({ ...pullEnv, SUPABASE_PULL_BATCH_SIZE: '25' });
    const second = await stack.secondInstance({ ...pullEnv, SUPABASE_PULL_BATCH_SIZE: '25' });
    try {
      const before = [{ ...statusOf(first.app) }, { ...statusOf(second.app) }];
      const ids = await Promise.all(Array.from({ length: 300 }, create));
      await allConfirmed(ids);
      expect(await eventually(outbox, (n) => n === 0)).toBe(0);
      const [a, b] = [statusOf(first.app), statusOf(second.app)];
      expect(a.applied - before[0].applied + (b.applied - before[1].applied)).toBe(300);
      expect(a.duplicates - before[0].duplicates + (b.duplicates - before[1].duplicates)).toBe(0);
    } finally {
      await first.app.close();
      await second.app.close();
    }
  });

  it('drops a change it cannot read, and one the mirror keeps refusing, without holding back the rest', async () => {
    // A mirror that refuses one email (as it would a value it cannot store), injected in this test's own database.
    const poison = newEmail();
    await stack.db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.email = '${poison}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
    await stack.db.query('CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
    const { app } = await stack.secondInstance({ ...pullEnv, SUPABASE_PULL_INTERVAL_MS: '50' });
    try {
      const before = { ...statusOf(app) };
      await auth.query(
        `INSERT INTO authmirror.user_changes (user_id, event_type, user_object) VALUES (gen_random_uuid(), 'user.created', '{"id": "not-a-uuid"}')`,
      );
      const refused = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: poison, encryptedPassword: 'x' }));
      const ids = await Promise.all(Array.from({ length: 20 }, create));
      await allConfirmed(ids);
      expect(await eventually(outbox, (n) => n === 0)).toBe(0);
      expect(statusOf(app).dropped - before.dropped).toBe(2);
      expect(await mirrored([refused])).toEqual([]);
    } finally {
      await app.close();
      await stack.db.query('DROP TRIGGER refuse_poison ON users; DROP FUNCTION refuse_poison()');
    }
  });

  it('with SUPABASE_PULL_LISTEN, pulls at the commit instead of the next poll (a minute away here)', async () => {
    await auth.query('SELECT authmirror.enable_pull(true, true)'); // the trigger NOTIFYs at commit
    const { app } = await stack.secondInstance({ ...pullEnv, SUPABASE_PULL_INTERVAL_MS: '60000', SUPABASE_PULL_LISTEN: 'true' });
    try {
      await eventually(outbox, (n) => n === 0); // the pull at start
      await new Promise((resolve) => setTimeout(resolve, 200)); // its LISTEN in place, the poll a minute away
      const ids = await Promise.all(Array.from({ length: 5 }, create));
      const started = Date.now();
      await allConfirmed(ids);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await app.close();
      await auth.query('SELECT authmirror.enable_pull(true, false)');
    }
  });

  it('lets authmirror_intake call its functions, and touch no table (a LOCK would hold up every write to auth.users)', async () => {
    const intake = new pg.Client({ connectionString: pullEnv.SUPABASE_DB_URL });
    await intake.connect();
    try {
      for (const statement of [
        'SELECT encrypted_password FROM auth.users',
        'SELECT * FROM authmirror.settings',
        'SELECT count(*) FROM authmirror.user_changes',
        'DELETE FROM authmirror.user_changes',
        `INSERT INTO authmirror.user_changes (user_id, event_type, user_object) VALUES (gen_random_uuid(), 'user.created', '{}')`,
        'BEGIN; LOCK TABLE authmirror.user_changes IN ACCESS EXCLUSIVE MODE',
        'SELECT authmirror.enable_pull(false)',
      ]) {
        await expect(intake.query(statement)).rejects.toThrow(/permission denied/);
        await intake.query('ROLLBACK');
      }
      await expect(intake.query('SELECT * FROM authmirror.pending_changes(10)')).resolves.toBeDefined();
      await expect(intake.query('SELECT authmirror.pending_count()')).resolves.toBeDefined();
    } finally {
      await intake.end();
    }
  });
});
