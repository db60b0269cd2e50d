// The two push intakes driven by the stand-in: it writes its users to the local Supabase database,
// and each change goes out through pg_net's worker to the API, signed by the real install SQL's
// trigger, or as a Supabase Database Webhook (supabase_functions.http_request). A user created,
// changed and deleted through supabase-js reaches the mirror with no sync and no pull.
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

describe('a Supabase Database Webhook on auth.users, from the stand-in, through pg_net', () => {
  const token = `db-webhook-${randomBytes(12).toString('hex')}`;
  let supabase: LocalSupabase;
  let stack: TestStack;
  let worker: PgNetWorker;

  beforeAll(async () => {
    supabase = await startLocalSupabase({});
    stack = await startTestStack({ auth: { databaseUrl: supabase.url }, env: { SUPABASE_DB_WEBHOOK_TOKEN: token } });
    // What the dashboard writes for a webhook on auth.users (Database -> Webhooks -> HTTP Request, POST).
    const headers = JSON.stringify({ 'Content-Type': 'application/json', Authorization: `Bearer ${token}` });
    await supabase.auth.query(
      `CREATE TRIGGER mirror_webhook AFTER INSERT OR UPDATE OR DELETE ON auth.users FOR EACH ROW
       EXECUTE FUNCTION supabase_functions.http_request('${stack.url}/webhooks/supabase', 'POST', '${headers}', '{}', '5000')`,
    );
    worker = await PgNetWorker.start({ databaseUrl: supabase.url });
  });

  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await supabase?.close();
  });

  const mirrored = async (id: string) =>
    (await stack.db.query('SELECT * FROM users WHERE id = $1', [id])).rows[0] as Record<string, any> | undefined;

  it('carries a create, a ban and a hard delete made through supabase-js, whole rows and all', async () => {
    const { data } = await stack.admin.auth.admin.createUser({
      email: `hook-${randomBytes(5).toString('hex')}@example.com`,
      email_confirm: true,
    });
    const id = data.user!.id;
    await eventually(
      () => mirrored(id),
      (row) => row?.email_confirmed_at != null,
    );
    await stack.admin.auth.admin.updateUserById(id, { ban_duration: '1h' });
    await eventually(
      () => mirrored(id),
      (row) => row?.banned_until != null,
    );
    await stack.admin.auth.admin.deleteUser(id);
    await eventually(
      () => mirrored(id),
      (row) => row?.deleted_at != null,
    );
    const hooks = await supabase.auth.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM supabase_functions.hooks WHERE hook_name = 'mirror_webhook'`,
    );
    expect(hooks.rows[0].n).toBeGreaterThanOrEqual(6); // four for the create, one ban, one delete
  });
});
