// A phone number handed from one user to another in Supabase (A changes number and B takes A's old
// one; or A is deleted and B signs up with A's number), both changes in one pull batch: the batch's
// one statement still sees A holding the number, so deletions go first and the users it flagged are
// applied once more; B holds the number, not a `phone_conflict`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { GoTrueWrites } from '../dev/auth-server/gotrue-writes.js';
import { PullIntakeService } from '../src/intake/pull-intake.service.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

describe('pull intake: a phone number handed over within one batch', () => {
  let stack: TestStack;
  let supabase: LocalSupabase;
  let pullEnv: Record<string, string>;
  const gotrue = new GoTrueWrites();

  beforeAll(async () => {
    supabase = await startLocalSupabase({ pull: true });
    pullEnv = { SUPABASE_DB_URL: supabase.intakeUrl, SUPABASE_PULL_INTERVAL_MS: '100' };
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.close();
    await supabase?.close();
  });

  const inTransaction = <T>(work: (tx: pg.PoolClient) => Promise<T>) => supabase.inTransaction(work);
  const newEmail = () => `phone-${randomBytes(5).toString('hex')}@example.com`;
  const outbox = () => supabase.outbox();
  const row = async (id: string) =>
    (await stack.db.query('SELECT phone, phone_conflict, deleted_at FROM users WHERE id = $1', [id])).rows[0] as
      { phone: string | null; phone_conflict: string | null; deleted_at: Date | null } | undefined;
  /** Runs one pulling instance until the outbox is empty. */
  const pullAll = async () => {
    const { app } = await stack.secondInstance(pullEnv);
    try {
      await eventually(outbox, (n) => n === 0);
      await eventually(
        () => app.get(PullIntakeService).status.batches,
        (n) => n > 0,
      );
    } finally {
      await app.close();
    }
  };

  it('gives the number to its new holder when A changes number and B takes the old one', async () => {
    const x = `44770090${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    const y = `44770091${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    const a = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), phone: x, encryptedPassword: 'x' }));
    const b = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    await pullAll();
    expect((await row(a))?.phone).toBe(`+${x}`);
    // In Supabase: A moves to y, then B takes x (users_phone_key makes B's change wait for A's).
    await inTransaction((tx) => gotrue.updateUser(tx, a, { phone: y }));
    await inTransaction((tx) => gotrue.updateUser(tx, b, { phone: x }));
    await pullAll();
    expect([await row(a), await row(b)]).toEqual([
      { phone: `+${y}`, phone_conflict: null, deleted_at: null },
      { phone: `+${x}`, phone_conflict: null, deleted_at: null },
    ]);
  });

  it("gives a deleted user's number to the user who signs up with it next", async () => {
    const x = `44770092${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    const a = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), phone: x, encryptedPassword: 'x' }));
    await pullAll();
    await inTransaction((tx) => gotrue.hardDelete(tx, a));
    const b = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), phone: x, encryptedPassword: 'x' }));
    await pullAll();
    expect((await row(a))?.deleted_at).not.toBeNull();
    expect(await row(b)).toEqual({ phone: `+${x}`, phone_conflict: null, deleted_at: null });
  });
});
