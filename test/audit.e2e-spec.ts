// An audit record never fails the request it describes: a refused sign-in of a user who is being
// deleted at that moment is still a clean 401, recorded without the user's id.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { snapshotFromSupabase } from '../src/users/user-snapshot.js';
import { UsersService } from '../src/users/users.service.js';
import { newWebhookSecret, signedHeaders } from './support/deliveries.js';
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

/** `n` confirmed users in the stand-in (password `password123`), mirrored here. */
async function mirroredUsers(n: number): Promise<Array<{ id: string; email: string }>> {
  const made = Array.from({ length: n }, () => ({ id: randomUUID(), email: `audit-${randomUUID()}@example.com` }));
  stack.auth.admin.bulkInsert(n, (i) => made[i]);
  const users = stack.app.get(UsersService);
  await users.applyUserSnapshots(made.map(({ id }) => snapshotFromSupabase(stack.auth.admin.getUser(id) as never)));
  return made;
}

function wrongLogin(email: string) {
  return stack.request('POST', '/auth/login', { body: { email, password: 'not the password' } });
}

function deletedDelivery(id: string) {
  const body = JSON.stringify({ type: 'user.deleted', user: { id } });
  return stack.request('POST', '/webhooks/supabase', { body, headers: signedHeaders(secret, body) });
}

describe('a refused sign-in racing the deletion of its user', () => {
  it('is a 401 when the deletion commits between the lookup of the user and the audit insert', async () => {
    const [user] = await mirroredUsers(1);
    const deletion = await stack.db.connect();
    try {
      await deletion.query('BEGIN');
      await deletion.query('DELETE FROM users WHERE id = $1', [user.id]);
      await deletion.query('INSERT INTO users (id, deleted_at, synced_at) VALUES ($1, now(), now())', [user.id]);
      const login = wrongLogin(user.email);
      // The audit insert's foreign-key check waits on the deleted row.
      await eventually(
        async () => (await stack.db.query('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted')).rows[0].n,
        (n) => n > 0,
      );
      await deletion.query('COMMIT');
      const answer = await login;
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('invalid_credentials');
    } finally {
      deletion.release();
    }
    const { rows } = await stack.db.query(`SELECT user_id FROM audit_events WHERE type = 'login.failed' AND subject_id = $1`, [user.id]);
    expect(rows).toEqual([{ user_id: null }]);
  });

  it('is never a 500 over 150 wrong-password sign-ins, each racing a signed user.deleted of its user', async () => {
    const users = await mirroredUsers(150);
    const answers = await Promise.all(
      users.map(async (user, i) => {
        const [login] = await Promise.all([
          wrongLogin(user.email),
          new Promise((resolve) => setTimeout(resolve, i % 40)).then(() => deletedDelivery(user.id)),
        ]);
        return login;
      }),
    );
    expect(answers.filter((answer) => answer.status !== 401).map((answer) => answer.body)).toEqual([]);
  });
});
