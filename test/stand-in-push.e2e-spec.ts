// The push intake driven by the stand-in: it writes its users to the local Supabase database, the
// real install SQL's trigger signs each change and queues it with pg_net, and pg_net's worker sends
// it to the API. A user created, updated and deleted through supabase-js reaches the mirror with no
// sync and no pull.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SupabaseClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import { PgNetWorker } from '../dev/auth-server/pg-net/worker.js';
import { installAuthmirror } from '../dev/supabase-database.js';
import { newWebhookSecret } from './support/deliveries.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

describe('push intake from the stand-in, through pg_net', () => {
  const secret = newWebhookSecret();
  let supabase: LocalSupabase;
  let stack: TestStack;
  let worker: PgNetWorker;
  let admin: SupabaseClient;

  beforeAll(async () => {
    supabase = await startLocalSupabase({});
    stack = await startTestStack({ auth: { databaseUrl: supabase.url }, env: { SUPABASE_WEBHOOK_SECRET: secret } });
    await installAuthmirror(supabase.url, { push: { endpoint: `${stack.url}/webhooks/supabase`, secret } });
    worker = await PgNetWorker.start({ databaseUrl: supabase.url });
    admin = stack.admin;
  });

  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await supabase?.close();
  });

  const mirrored = async (id: string) =>
    (await stack.db.query('SELECT * FROM users WHERE id = $1', [id])).rows[0] as Record<string, any> | undefined;

  it('carries a create, a metadata change and a deletion made through supabase-js', async () => {
    const { data } = await admin.auth.admin.createUser({
      email: `push-${randomBytes(5).toString('hex')}@example.com`,
      email_confirm: true,
    });
    const id = data.user!.id;
    await eventually(
      () => mirrored(id),
      (row) => row?.email_confirmed_at != null,
    );
    await admin.auth.admin.updateUserById(id, { user_metadata: { plan: 'team' } });
    await eventually(
      () => mirrored(id),
      (row) => row?.user_metadata?.plan === 'team',
    );
    await admin.auth.admin.deleteUser(id);
    const gone = await eventually(
      () => mirrored(id),
      (row) => row?.deleted_at != null,
    );
    expect(gone!.email).toBeNull();
    const sent = await supabase.auth.query<{ status_code: number }>('SELECT status_code FROM net._http_response');
    expect(sent.rows.length).toBeGreaterThanOrEqual(5); // an admin create alone is four pushes
    expect(sent.rows.every((row) => row.status_code === 200)).toBe(true);
  });
});
