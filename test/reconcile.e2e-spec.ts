import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { SupabaseAdminService } from '../src/supabase/supabase-admin.service.js';
import { ReconcileAlreadyRunningError, reconcileCron, type ReconcileSummary } from '../src/reconcile/reconcile-run.js';
import { ReconcileService } from '../src/reconcile/reconcile.service.js';
import { UsersService } from '../src/users/users.service.js';
import { compileInto, root, stackEnv } from './support/compiled.js';
import { newWebhookSecret } from './support/deliveries.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

// The tests share one stack and run in order; each one starts from a mirror equal to Supabase
// (the previous test ended with a reconcile) and states its counts from there.

const secret = newWebhookSecret();
let stack: TestStack;
let reconcile: ReconcileService;
let users: UsersService;
let counter = 0;

beforeAll(async () => {
  stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: secret, RECONCILE_INTERVAL_MINUTES: '0' } });
  reconcile = stack.app.get(ReconcileService);
  users = stack.app.get(UsersService);
});

afterAll(async () => {
  await stack?.close();
});

async function createUser(tag = 'u'): Promise<string> {
  const { data, error } = await stack.admin.auth.admin.createUser({
    email: `reconcile-${tag}-${process.pid}-${++counter}@example.com`,
    password: 'secret123',
    email_confirm: true,
  });
  if (error) throw error;
  return data.user.id;
}

async function updateUser(id: string, data: Record<string, unknown>): Promise<void> {
  const { error } = await stack.admin.auth.admin.updateUserById(id, { user_metadata: data });
  if (error) throw error;
}

async function deleteUser(id: string, soft = false): Promise<void> {
  const { error } = await stack.admin.auth.admin.deleteUser(id, soft);
  if (error) throw error;
}

async function row(
  id: string,
): Promise<{ email: string | null; deleted_at: Date | null; user_metadata: Record<string, unknown> | null } | undefined> {
  const { rows } = await stack.db.query('SELECT email, deleted_at, user_metadata FROM users WHERE id = $1', [id]);
  return rows[0];
}

async function liveIds(): Promise<string[]> {
  const { rows } = await stack.db.query('SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id');
  return rows.map((r) => r.id);
}

/** Every user Supabase has and has not soft-deleted, with its email. */
async function supabaseLive(): Promise<Map<string, string | null>> {
  const live = new Map<string, string | null>();
  for (let page = 1; ; page++) {
    const { data, error } = await stack.admin.auth.admin.listUsers({ page, perPage: 1000 });
    if (error) throw error;
    for (const u of data.users) if (!u.deleted_at) live.set(u.id, u.email ?? null);
    if (data.users.length < 1000) return live;
  }
}

async function expectMirrorEqualsSupabase(): Promise<void> {
  const expected = await supabaseLive();
  expect(await liveIds()).toEqual([...expected.keys()].sort());
  const { rows } = await stack.db.query('SELECT id, email FROM users WHERE deleted_at IS NULL');
  for (const r of rows) expect(r.email).toBe(expected.get(r.id));
}

/** A fingerprint of the whole users table (every column of every row). */
async function usersFingerprint(): Promise<{ n: number; hash: string }> {
  const { rows } = await stack.db.query(
    `SELECT count(*)::int AS n, coalesce(md5(string_agg(u::text, '|' ORDER BY u.id)), '') AS hash FROM users u`,
  );
  return rows[0];
}

function noChanges(summary: ReconcileSummary) {
  expect(summary).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0, complete: true, failedPages: [] });
}

describe('reconcile', () => {
  it('makes the mirror equal to Supabase after changes no delivery told us about', async () => {
    const [a, b, c, d] = [await createUser('a'), await createUser('b'), await createUser('c'), await createUser('d')];
    const first = await reconcile.run();
    expect(first).toMatchObject({
      created: 4,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      keptDeleted: 0,
      failed: 0,
      pages: 1,
      seen: 4,
      complete: true,
      dryRun: false,
      backfill: true,
    });

    const [e, f] = [await createUser('e'), await createUser('f')];
    await updateUser(b, { plan: 'gold' });
    await deleteUser(c); // hard
    await deleteUser(d, true); // soft: still listed, with deleted_at
    const second = await reconcile.run();
    expect(second).toMatchObject({
      created: 2,
      updated: 1,
      unchanged: 1,
      deleted: 2,
      keptDeleted: 0,
      failed: 0,
      pages: 1,
      seen: 5,
      complete: true,
    });

    await expectMirrorEqualsSupabase();
    expect((await row(b))?.user_metadata).toMatchObject({ plan: 'gold' });
    for (const id of [c, d]) {
      const tombstone = await row(id);
      expect(tombstone?.deleted_at).not.toBeNull();
      expect(tombstone?.email).toBeNull();
    }
    expect((await row(e))?.deleted_at).toBeNull();
    expect((await row(f))?.deleted_at).toBeNull();
    expect(a).toBeDefined();
    // The first run was a first fill: no repairs. The second repaired what no delivery told of, user by user.
    expect(second.backfill).toBe(false);
    const repairs = await stack.db.query(
      `SELECT subject_id::text AS id, details->>'change' AS change FROM audit_events WHERE type = 'reconcile.repaired' ORDER BY 2, 1`,
    );
    expect(repairs.rows).toEqual(
      [
        { id: e, change: 'created' },
        { id: f, change: 'created' },
        { id: b, change: 'updated' },
      ].sort((x, y) => x.change.localeCompare(y.change) || x.id.localeCompare(y.id)),
    );

    const third = await reconcile.run();
    noChanges(third);
    expect(third).toMatchObject({ unchanged: 5, keptDeleted: 0, seen: 5 }); // 4 live + the soft-deleted one
  });

  it('repairs the deliveries the sender lost', async () => {
    stack.auth.deliveries.configure({ url: `${stack.url}/webhooks/supabase`, form: 'signed', secret, backoffMs: 10 });
    try {
      stack.auth.deliveries.dropNext(3);
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push(await createUser('delivery'));
      await stack.auth.deliveries.idle();
      const outcomes = stack.auth.deliveries.sent.slice(-5).map((s) => s.outcome);
      expect(outcomes).toEqual(['dropped', 'dropped', 'dropped', 'delivered', 'delivered']);
      const missing = [];
      for (const id of created) if ((await row(id)) === undefined) missing.push(id);
      expect(missing).toEqual(created.slice(0, 3));

      const summary = await reconcile.run();
      expect(summary).toMatchObject({ created: 3, updated: 0, deleted: 0, failed: 0, complete: true });
      expect(summary.unchanged).toBe(summary.seen - 3);
      await expectMirrorEqualsSupabase();
    } finally {
      stack.auth.deliveries.configure(null);
    }
  });

  it('never brings back a user deleted here that Supabase still lists', async () => {
    const id = await createUser('resurrect');
    expect((await reconcile.run()).created).toBe(1);
    await users.deleteUser(id, { source: 'admin' });
    await updateUser(id, { touched: true }); // a newer version in Supabase changes nothing

    const summary = await reconcile.run();
    noChanges(summary);
    expect(summary.keptDeleted).toBe(1);
    const tombstone = await row(id);
    expect(tombstone?.deleted_at).not.toBeNull();
    expect(tombstone?.email).toBeNull();
    expect((await reconcile.run()).keptDeleted).toBe(1);
    await deleteUser(id); // Supabase catches up: the mirror equals it again
    expect(await reconcile.run()).toMatchObject({ keptDeleted: 0, deleted: 0, created: 0 });
  });

  it('confirms a sweep candidate with getUserById: a user the paging missed is kept', async () => {
    // Newest first: [x3, x2] [x1, …]. Deleting x3 after page 1 was read shifts x1 onto page 1: the listing misses it.
    // (x3 itself was listed before its deletion: the next run deletes it.)
    const x1 = await createUser('x1');
    const x2 = await createUser('x2');
    const x3 = await createUser('x3');
    expect((await reconcile.run()).created).toBe(3);
    stack.auth.stats.reset();
    stack.auth.faults.add({ method: 'GET', path: /\/admin\/users\?page=2&/, status: 200, delayMs: 500, times: 1 });

    const running = reconcile.run({ perPage: 2 });
    await eventually(
      () => stack.auth.stats.count('GET', '/auth/v1/admin/users'),
      (n) => n >= 2,
      5_000,
    ); // page 2 asked, held by the delay
    await deleteUser(x3);
    const summary = await running;

    expect(summary).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0, complete: true });
    expect(stack.auth.stats.count('GET', `/auth/v1/admin/users/${x1}`)).toBe(1); // confirmed, not listed
    expect((await row(x1))?.deleted_at).toBeNull();
    expect((await row(x2))?.deleted_at).toBeNull();
    expect((await row(x3))?.deleted_at).toBeNull();

    expect(await reconcile.run({ perPage: 2 })).toMatchObject({ created: 0, updated: 0, deleted: 1, failed: 0, complete: true });
    expect((await row(x3))?.deleted_at).not.toBeNull();
    await expectMirrorEqualsSupabase();
  });

  it('stops without sweeping when a page cannot be read, and the next run finishes the job', async () => {
    const gone = await createUser('gone');
    expect((await reconcile.run()).created).toBe(1);
    await deleteUser(gone);
    stack.auth.faults.add({ method: 'GET', path: /\/admin\/users\?page=2&/, status: 500 });
    stack.auth.stats.reset();
    const before = await usersFingerprint();
    let summary: ReconcileSummary;
    try {
      summary = await reconcile.run({ perPage: 2, pageAttempts: 3, retryBackoffMs: 10 });
    } finally {
      stack.auth.faults.clear();
    }
    expect(summary).toMatchObject({ complete: false, failedPages: [2], deleted: 0, pages: 1 });
    expect(summary.error).toMatch(/page 2/);
    // Page 1, page 2 three times, and the pages requested ahead of page 2 (at most three).
    const listed = stack.auth.stats.count('GET', '/auth/v1/admin/users');
    expect(listed).toBeGreaterThanOrEqual(4);
    expect(listed).toBeLessThanOrEqual(7);
    expect(await usersFingerprint()).toEqual(before); // nothing swept, nothing written
    expect((await row(gone))?.deleted_at).toBeNull();

    const again = await reconcile.run({ perPage: 2 });
    expect(again).toMatchObject({ created: 0, updated: 0, deleted: 1, failed: 0, complete: true });
    expect((await row(gone))?.deleted_at).not.toBeNull();
  });

  it('asks for the next pages while a page is on its way, and stops asking past the announced total', async () => {
    for (let i = 0; i < 5; i++) await createUser('ahead');
    const { data } = await stack.admin.auth.admin.listUsers({ page: 1, perPage: 2 });
    const { total } = data as unknown as { total: number };
    // Pages read: the last one is short, or else an empty one follows an exactly full last page.
    const pages = Math.floor(total / 2) + 1;
    stack.auth.stats.reset();
    // Page 1 answers late: pages 2, 3 and 4 are asked for meanwhile (four at once).
    stack.auth.faults.add({ method: 'GET', path: /\/admin\/users\?page=1&/, status: 200, delayMs: 2_000, times: 1 });
    const running = reconcile.run({ perPage: 2 });
    try {
      for (let waited = 0; stack.auth.stats.count('GET', '/auth/v1/admin/users') < 4; waited += 10) {
        if (waited > 1_500) throw new Error('pages 2, 3 and 4 were not requested while page 1 was on its way');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      stack.auth.faults.clear();
    }
    expect(await running).toMatchObject({ created: 5, failed: 0, complete: true, pages });
    // Every page once, and none past those (X-Total-Count said where the end is).
    expect(stack.auth.stats.count('GET', '/auth/v1/admin/users')).toBe(pages);
    await expectMirrorEqualsSupabase();
  });

  it('runs one reconcile at a time', async () => {
    stack.auth.faults.add({ method: 'GET', path: /\/admin\/users\?/, status: 200, delayMs: 300, times: 1 });
    const results = await Promise.allSettled([reconcile.run(), reconcile.run()]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(ReconcileAlreadyRunningError);
    expect(rejected[0].reason.message).toBe('another reconcile is running');
    // The lock was released: the next run goes ahead, and the scheduled flavour skips quietly while one runs.
    noChanges(await reconcile.run());
    stack.auth.faults.add({ method: 'GET', path: /\/admin\/users\?/, status: 200, delayMs: 300, times: 1 });
    const [scheduledA, scheduledB] = await Promise.all([reconcile.runScheduled(), reconcile.runScheduled()]);
    expect([scheduledA, scheduledB].filter((s) => s === null)).toHaveLength(1);
  });

  it('--dry-run writes nothing and reports what a real run would do', async () => {
    const [h1, h2] = [await createUser('h1'), await createUser('h2')];
    const live = await liveIds();
    const [toUpdate, toDelete, toSoftDelete] = live.filter((id) => id !== h1 && id !== h2).slice(0, 3);
    await updateUser(toUpdate, { plan: 'platinum' });
    await deleteUser(toDelete);
    await deleteUser(toSoftDelete, true);
    const before = await usersFingerprint();

    const dry = await reconcile.run({ dryRun: true });
    expect(dry).toMatchObject({ created: 2, updated: 1, deleted: 2, failed: 0, dryRun: true, complete: true });
    expect(await usersFingerprint()).toEqual(before);

    const real = await reconcile.run();
    expect(real).toMatchObject({ created: 2, updated: 1, deleted: 2, failed: 0, dryRun: false, complete: true });
    expect(real.unchanged).toBe(dry.unchanged);
    expect(real.keptDeleted).toBe(dry.keptDeleted);
    await expectMirrorEqualsSupabase();
  });

  describe('the CLI', () => {
    let outDir: string;
    let env: Record<string, string>;

    beforeAll(async () => {
      outDir = await compileInto('reconcile-cli-test');
      env = stackEnv(stack);
    }, 60_000);

    function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve, reject) => {
        const child = spawn('node', [`${outDir}/src/cli/reconcile.js`, ...args], { env, cwd: root });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    }

    it('--json prints one JSON summary and exits 0', async () => {
      await createUser('cli');
      const result = await cli(['--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ created: 1, updated: 0, deleted: 0, failed: 0, complete: true, dryRun: false });
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
    });

    it('prints a summary table without --json, and exits 2 while another run holds the lock', async () => {
      const plain = await cli(['--dry-run', '--per-page', '3']);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toMatch(/^reconcile \(dry run, nothing written\): complete\n/);
      expect(plain.stdout).toMatch(/would be created\s+0\n/);

      const holder = await stack.db.connect();
      try {
        await holder.query(`SELECT pg_advisory_lock(hashtextextended('authmirror:reconcile', 0))`);
        const locked = await cli([]);
        expect(locked.code).toBe(2);
        expect(locked.stderr).toBe('reconcile: another reconcile is running; try again later\n');
      } finally {
        holder.release(true);
      }
    });

    it('refuses an unknown flag with a usage line and exit 1', async () => {
      const result = await cli(['--bogus']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/usage: reconcile/);
      expect(result.stdout).toBe('');
    });
  });

  it('reconciles 10,000 users in one run, then finds them all unchanged', async () => {
    const liveBefore = (await liveIds()).length;
    stack.auth.admin.bulkInsert(10_000);
    const timings: Record<string, number> = {};

    stack.auth.stats.reset();
    let started = performance.now();
    const first = await reconcile.run();
    timings.reconcileCreate = performance.now() - started;
    expect(first).toMatchObject({ created: 10_000, updated: 0, deleted: 0, failed: 0, complete: true });
    expect((await liveIds()).length).toBe(liveBefore + 10_000);

    started = performance.now();
    const second = await reconcile.run();
    timings.reconcileUnchanged = performance.now() - started;
    noChanges(second);
    expect(second.unchanged).toBe(second.seen);
    expect(second.pages).toBe(Math.floor(second.seen / 1000) + 1);
    // No listed user was taken for a sweep candidate (each would cost a getUserById): the written
    // ones by their synced_at, the unchanged ones by the record of ids seen.
    const lookups = (await liveIds()).reduce((n, id) => n + stack.auth.stats.count('GET', `/auth/v1/admin/users/${id}`), 0);
    expect(lookups).toBe(0);
    expect(stack.auth.stats.count('GET', '/auth/v1/admin/users')).toBe(2 * second.pages);

    // Paging alone, the floor any reconcile stands on (the benchmark compares the two).
    const admin = stack.app.get(SupabaseAdminService);
    started = performance.now();
    for (let page = 1; ; page++) {
      const result = await admin.listUsers(page, 1000);
      if (result.kind !== 'ok') throw new Error(result.reason);
      if (result.value.users.length < 1000) break;
    }
    timings.pagingOnly = performance.now() - started;
    if (process.env.RECONCILE_TIMINGS) process.stderr.write(`reconcile timings (ms): ${JSON.stringify(timings)}\n`);
  }, 60_000);
});

describe('reconcileCron', () => {
  it('steps evenly through an hour or a day, rounding the interval down', () => {
    expect(reconcileCron(15)).toEqual({ cron: '*/15 * * * *', everyMinutes: 15 });
    expect(reconcileCron(1)).toEqual({ cron: '* * * * *', everyMinutes: 1 });
    expect(reconcileCron(45)).toEqual({ cron: '*/30 * * * *', everyMinutes: 30 });
    expect(reconcileCron(60)).toEqual({ cron: '0 * * * *', everyMinutes: 60 });
    expect(reconcileCron(90)).toEqual({ cron: '0 * * * *', everyMinutes: 60 });
    expect(reconcileCron(300)).toEqual({ cron: '0 */4 * * *', everyMinutes: 240 });
    expect(reconcileCron(1440)).toEqual({ cron: '0 0 * * *', everyMinutes: 1440 });
  });
});
