// GoTrue pages listUsers by created_at with OFFSET: users with equal created_at (a bulk import)
// come in a new order on each page, so a run can skip some and list others twice. Reconcile must
// still converge: a skipped user already mirrored is confirmed by the sweep (never deleted), a
// skipped new one is created by a later run, and a repeated one costs nothing (no failure).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReconcileService } from '../src/reconcile/reconcile.service.js';
import { snapshotFromSupabase } from '../src/users/user-snapshot.js';
import { UsersService } from '../src/users/users.service.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.close();
});

async function mirroredLiveIds(): Promise<Set<string>> {
  const { rows } = await stack.db.query('SELECT id FROM users WHERE deleted_at IS NULL');
  return new Set(rows.map((row) => row.id));
}

describe('reconcile over pages that skip and repeat users with equal created_at', () => {
  it('converges run after run, never deletes a live user, and counts no failure for a repeated one', async () => {
    const importedAt = '2026-06-01T08:00:00.000000Z';
    const ids = Array.from({ length: 45 }, () => randomUUID());
    stack.auth.admin.bulkInsert(ids.length, (i) => ({
      id: ids[i],
      email: `import-${ids[i]}@example.test`,
      created_at: importedAt,
      updated_at: importedAt,
    }));
    // Two thirds are already mirrored: if paging skips them, only the sweep can keep them.
    const users = stack.app.get(UsersService);
    await users.applyUserSnapshots(ids.slice(0, 30).map((id) => snapshotFromSupabase(stack.auth.admin.getUser(id) as never)));

    const reconcile = stack.app.get(ReconcileService);
    const runs = [];
    for (let run = 0; run < 40; run++) {
      const summary = await reconcile.run({ perPage: 10 });
      runs.push(summary);
      const mirrored = await mirroredLiveIds();
      // A mirrored user is never lost, whatever the pages showed.
      expect(ids.slice(0, 30).filter((id) => !mirrored.has(id))).toEqual([]);
      if (ids.every((id) => mirrored.has(id))) break;
    }
    const mirrored = await mirroredLiveIds();
    expect(ids.filter((id) => !mirrored.has(id))).toEqual([]);
    for (const summary of runs) expect(summary).toMatchObject({ complete: true, failed: 0, deleted: 0 });
    // The pages did hide users: the sweep looked mirrored ones up instead of deleting them.
    const lookedUp = ids.slice(0, 30).reduce((sum, id) => sum + stack.auth.stats.count('GET', `/auth/v1/admin/users/${id}`), 0);
    expect(lookedUp).toBeGreaterThan(0);
  });
});
