// Dead letters: GET /admin/jobs lists the jobs that failed and are retrying, and the dead ones
// with their last error; POST /admin/jobs/{id}/retry runs one again with its attempts back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UserCleanerRegistry } from '../src/users/user-cleaners.js';
import { UsersService } from '../src/users/users.service.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let adminToken: string;
let thirdPartyUp = false;

beforeAll(async () => {
  stack = await startTestStack();
  const cleaners = stack.app.get(UserCleanerRegistry);
  // One attempt, then dead; and one that keeps retrying.
  cleaners.register({
    name: 'crm',
    maxAttempts: 1,
    clean: async () => {
      if (!thirdPartyUp) throw new Error('the CRM answered 503');
    },
  });
  cleaners.register({
    name: 'mailing-list',
    maxAttempts: 20,
    clean: async () => {
      throw new Error('the mailing list is down');
    },
  });
  adminToken = (await stack.signedInAdmin()).accessToken;
});

afterAll(async () => {
  await stack?.close();
});

type Job = {
  id: string;
  task: string;
  payload: { userId: string; cleaner: string };
  attempts: number;
  maxAttempts: number;
  lastError: string;
};

async function jobs(state: string, token = adminToken): Promise<{ status: number; body: { items: Job[]; code?: string } }> {
  return stack.request('GET', `/admin/jobs?state=${state}`, { token });
}

describe('GET /admin/jobs and POST /admin/jobs/{id}/retry', () => {
  it('lists a dead job with its error, retries it once the cause is gone, and lists a retrying one as failed', async () => {
    const user = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
    await stack.app.get(UsersService).deleteUser(user.id, { source: 'admin' });
    const mine = (job: Job) => job.payload.userId === user.id;

    const dead = (
      await eventually(
        async () => (await jobs('dead')).body.items.filter(mine),
        (found) => found.length === 1,
      )
    )[0];
    expect(dead).toMatchObject({ task: 'user_cleanup', payload: { cleaner: 'crm' }, attempts: 1, maxAttempts: 1 });
    expect(dead.lastError).toContain('the CRM answered 503');
    const failed = await eventually(
      async () => (await jobs('failed')).body.items.filter(mine),
      (found) => found.length === 1,
    );
    expect(failed[0]).toMatchObject({ payload: { cleaner: 'mailing-list' } });
    expect(failed[0].attempts).toBeGreaterThanOrEqual(1);

    thirdPartyUp = true;
    expect((await stack.request('POST', `/admin/jobs/${dead.id}/retry`, { token: adminToken })).status).toBe(202);
    // Done: a finished job leaves the queue.
    await eventually(
      async () => (await stack.db.query('SELECT 1 FROM graphile_worker._private_jobs WHERE id = $1', [dead.id])).rowCount,
      (rows) => rows === 0,
    );
    const audit = await stack.db.query(`SELECT details FROM audit_events WHERE type = 'admin.job.retried'`);
    expect(audit.rows).toEqual([{ details: { jobId: dead.id } }]);
  });

  it('answers 403 to non-admins, 404 for an unknown job, and 400 for bad input', async () => {
    const user = await stack.signedInUser();
    expect((await jobs('dead', user.accessToken)).status).toBe(403);
    expect((await stack.request('POST', '/admin/jobs/1/retry', { token: user.accessToken })).status).toBe(403);
    const unknown = await stack.request('POST', '/admin/jobs/999999999/retry', { token: adminToken });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'job_not_found']);
    for (const path of ['/admin/jobs?state=gone', '/admin/jobs', '/admin/jobs?state=dead&limit=1000', '/admin/jobs?state=dead&cursor=x']) {
      expect((await stack.request('GET', path, { token: adminToken })).status).toBe(400);
    }
    expect((await stack.request('POST', '/admin/jobs/not-a-number/retry', { token: adminToken })).status).toBe(400);
  });
});
