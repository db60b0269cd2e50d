// The push intake as it runs on Supabase, locally: supabase/authmirror-trigger.sql installed on
// GoTrue's own auth schema, GoTrue's statement sequences (dev/auth-server/gotrue-writes.ts),
// pg_net's worker sending to the API, the signing secret in Supabase Vault. Then pg_net's loss
// modes, shown for what they are: one attempt, so a push to a service that is down, answered by
// a redirect, or queued past the signature's tolerance, is lost.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { GoTrueWrites } from '../dev/auth-server/gotrue-writes.js';
import { PgNetWorker } from '../dev/auth-server/pg-net/worker.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const SECRET = `v1,whsec_${randomBytes(32).toString('base64')}`;

describe('push intake: the real trigger on GoTrue schema, through pg_net', () => {
  let stack: TestStack;
  let supabase: LocalSupabase;
  let auth: pg.Pool;
  let worker: PgNetWorker;
  const gotrue = new GoTrueWrites();

  beforeAll(async () => {
    stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: SECRET } });
    supabase = await startLocalSupabase({ push: { endpoint: `${stack.url}/webhooks/supabase`, secret: SECRET } });
    auth = supabase.auth;
    worker = await PgNetWorker.start({ databaseUrl: supabase.url });
  });

  afterAll(async () => {
    await worker?.stop();
    await supabase?.close();
    await stack?.close();
  });

  const inTransaction = <T>(work: (tx: pg.PoolClient) => Promise<T>) => supabase.inTransaction(work);
  const mirrored = async (id: string) =>
    (await stack.db.query('SELECT * FROM users WHERE id = $1', [id])).rows[0] as Record<string, any> | undefined;
  const responses = async () =>
    (
      await auth.query<{ status_code: number | null; error_msg: string | null }>(
        'SELECT status_code, error_msg FROM net._http_response ORDER BY id',
      )
    ).rows;
  const newEmail = () => `push-${randomBytes(5).toString('hex')}@example.com`;
  const pushIdle = () =>
    eventually(
      () => auth.query('SELECT count(*)::int AS n FROM net.http_request_queue'),
      (r) => r.rows[0].n === 0,
    );

  it('an admin create with email_confirm (four trigger fires, the first unconfirmed with role "") ends confirmed in the mirror', async () => {
    const before = (await responses()).length;
    const email = newEmail();
    const id = await inTransaction((tx) =>
      gotrue.adminCreateUser(tx, { email, encryptedPassword: 'x', userMetadata: { display_name: 'Ada' } }),
    );
    const row = await eventually(
      () => mirrored(id),
      (r) => r?.email_confirmed_at != null && r.user_metadata?.email_verified === true,
    );
    expect(row).toMatchObject({ email, role: 'authenticated', deleted_at: null });
    await pushIdle();
    const sent = (await responses()).slice(before);
    expect(sent).toHaveLength(4);
    expect(sent.every((r) => r.status_code === 200)).toBe(true);
  });

  it('100 admin creates at once (400 pushes sent concurrently, in no set order) all end confirmed', async () => {
    const ids = await Promise.all(
      Array.from({ length: 100 }, () => inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }))),
    );
    const rows = await eventually(
      async () => (await stack.db.query('SELECT * FROM users WHERE id = ANY($1::uuid[])', [ids])).rows,
      (found) => found.length === 100 && found.every((r) => r.email_confirmed_at !== null && r.user_metadata.email_verified === true),
      30_000,
    );
    expect(rows.every((r) => r.role === 'authenticated' && r.deleted_at === null)).toBe(true);
  });

  it('a sign-in moves last_sign_in_at; a refresh (updated_at alone) queues nothing', async () => {
    const id = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    await eventually(
      () => mirrored(id),
      (r) => r?.email_confirmed_at != null,
    );
    const { sessionId, refreshToken } = await inTransaction((tx) => gotrue.signIn(tx, id));
    await eventually(
      () => mirrored(id),
      (r) => r?.last_sign_in_at != null,
    );
    await pushIdle();
    const before = (await responses()).length;
    await inTransaction((tx) => gotrue.refresh(tx, id, sessionId, refreshToken));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await responses()).toHaveLength(before);
  });

  it('a ban, a soft delete (three fires) and a hard delete reach the mirror', async () => {
    const banned = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    const soft = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    const hard = await inTransaction((tx) => gotrue.adminCreateUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
    for (const id of [banned, soft, hard])
      await eventually(
        () => mirrored(id),
        (r) => r?.email_confirmed_at != null,
      );
    const until = new Date(Date.now() + 3_600_000);
    await inTransaction((tx) => gotrue.ban(tx, banned, until));
    await inTransaction((tx) => gotrue.softDelete(tx, soft));
    await inTransaction((tx) => gotrue.hardDelete(tx, hard));
    expect(
      (await eventually(
        () => mirrored(banned),
        (r) => r?.banned_until != null,
      ))!.banned_until.getTime(),
    ).toBe(until.getTime());
    for (const id of [soft, hard])
      expect(
        (await eventually(
          () => mirrored(id),
          (r) => r?.deleted_at != null,
        ))!.email,
      ).toBeNull();
  });

  it('keeps the signing secret in Supabase Vault, not in the settings row, and replaces it there on configure', async () => {
    const vaulted = async () =>
      (
        await auth.query<{ decrypted_secret: string }>(
          `SELECT decrypted_secret FROM vault.decrypted_secrets WHERE name = 'authmirror_webhook_secret'`,
        )
      ).rows;
    expect((await auth.query('SELECT secret FROM authmirror.settings')).rows).toEqual([{ secret: null }]);
    expect(await vaulted()).toEqual([{ decrypted_secret: SECRET }]);
    const other = `v1,whsec_${randomBytes(32).toString('base64')}`;
    await auth.query('SELECT authmirror.configure($1, $2)', [`${stack.url}/webhooks/supabase`, other]);
    try {
      expect(await vaulted()).toEqual([{ decrypted_secret: other }]);
    } finally {
      await auth.query('SELECT authmirror.configure($1, $2)', [`${stack.url}/webhooks/supabase`, SECRET]);
    }
  });

  describe("pg_net's loss modes", () => {
    let elsewhere: Server;
    let elsewhereUrl: string;

    beforeAll(async () => {
      // Answers every request with a permanent redirect to the API, as a moved endpoint would.
      elsewhere = createServer((req, res) => res.writeHead(301, { location: `${stack.url}/webhooks/supabase` }).end());
      await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
      elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/webhooks/supabase`;
    });

    afterAll(async () => {
      await new Promise((resolve) => elsewhere?.close(resolve));
      await auth.query('SELECT authmirror.configure($1, $2)', [`${stack.url}/webhooks/supabase`, SECRET]);
    });

    it('a push while the service is unreachable is tried once and lost', async () => {
      await auth.query('SELECT authmirror.configure($1, $2)', ['http://127.0.0.1:1/webhooks/supabase', SECRET]);
      const id = await inTransaction((tx) => gotrue.insertUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
      await pushIdle();
      const last = (await responses()).at(-1)!;
      expect(last).toMatchObject({ status_code: null, error_msg: "Couldn't connect to server" });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // past the worker's pause: no second try
      expect(await mirrored(id)).toBeUndefined();
    });

    it('a push that waited in the queue past the 5-minute tolerance is refused with 401 and lost', async () => {
      await auth.query('SELECT authmirror.configure($1, $2)', [`${stack.url}/webhooks/supabase`, SECRET]);
      await worker.stop();
      const id = await inTransaction((tx) => gotrue.insertUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
      // The request as the trigger would have queued it six minutes ago: same body, signed then.
      const { rows } = await auth.query<{ id: string; headers: Record<string, string>; body: string }>(
        `SELECT id, headers, convert_from(body, 'UTF8') AS body FROM net.http_request_queue`,
      );
      expect(rows).toHaveLength(1);
      const sentAt = new Date(Date.now() - 6 * 60_000);
      const signature = new Webhook(SECRET.slice('v1,'.length)).sign(rows[0].headers['webhook-id'], sentAt, rows[0].body);
      await auth.query(`UPDATE net.http_request_queue SET headers = headers || $2::jsonb WHERE id = $1`, [
        rows[0].id,
        JSON.stringify({ 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signature }),
      ]);
      worker = await PgNetWorker.start({ databaseUrl: supabase.url });
      const answered = await eventually(
        () => auth.query<{ status_code: number }>('SELECT status_code FROM net._http_response WHERE id = $1', [rows[0].id]),
        (r) => r.rows.length === 1,
      );
      expect(answered.rows[0].status_code).toBe(401);
      expect(await mirrored(id)).toBeUndefined();
    });

    it('a push answered by a 301 arrives as a GET without its body and is lost', async () => {
      await auth.query('SELECT authmirror.configure($1, $2)', [elsewhereUrl, SECRET]);
      const id = await inTransaction((tx) => gotrue.insertUser(tx, { email: newEmail(), encryptedPassword: 'x' }));
      await pushIdle();
      const last = (await eventually(responses, (rows) => rows.length > 0)).at(-1)!;
      expect(last.status_code).toBe(404); // the API has no GET /webhooks/supabase
      expect(await mirrored(id)).toBeUndefined();
    });
  });
});
