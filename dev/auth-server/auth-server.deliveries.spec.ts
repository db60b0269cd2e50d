// Webhook deliveries of the Auth stand-in (both forms, retries, chaos), received by a tiny
// node:http receiver and driven through the real supabase-js client.
// Over ~300 lines on purpose: one stand-in and one receiver serve every delivery case below;
// each describe is one form or failure, read on its own.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { pgTimestamp } from './delivery-payloads.js';
import { DEV_KEYS, startAuthServer, type AuthServer, type DatabaseWebhookBody, type SignedEventBody } from './server.js';

const opts = { auth: { persistSession: false, autoRefreshToken: false } };
let seq = 0;
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.test`;
const PG_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00$/;
const WHSEC = 'whsec_' + randomBytes(32).toString('base64');
const SECRET = 'v1,' + WHSEC;
const DB_TOKEN = 'db-token-' + randomBytes(8).toString('hex');

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  json: unknown;
}

/** Records every request; answers with the queued statuses first, then `fallback`. */
class Receiver {
  readonly requests: Received[] = [];
  statuses: number[] = [];
  fallback = 200;
  /** Delay before answering (to widen race windows). */
  answerDelayMs = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.requests.push({ headers: req.headers, raw, json: JSON.parse(raw) });
        const status = this.statuses.shift() ?? this.fallback;
        setTimeout(() => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end('{}');
        }, this.answerDelayMs);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/supabase`;
  }

  reset(): void {
    this.requests.length = 0;
    this.statuses = [];
    this.fallback = 200;
    this.answerDelayMs = 0;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  db(): DatabaseWebhookBody[] {
    return this.requests.map((r) => r.json as DatabaseWebhookBody);
  }

  signed(): SignedEventBody[] {
    return this.requests.map((r) => r.json as SignedEventBody);
  }
}

function verify(r: Received, secret = WHSEC): unknown {
  return new Webhook(secret).verify(r.raw, r.headers as Record<string, string>);
}

describe('auth stand-in: webhook deliveries', () => {
  let server: AuthServer;
  let admin: SupabaseClient;
  let anon: SupabaseClient;
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    server = await startAuthServer({ quiet: true });
    admin = createClient(server.url, DEV_KEYS.serviceRoleKey, opts);
    anon = createClient(server.url, DEV_KEYS.anonKey, opts);
  });
  afterEach(async () => {
    server.deliveries.configure(null);
    server.deliveries.chaos({});
    server.deliveries.dropNext(0);
    await server.deliveries.release();
    await server.deliveries.idle();
    server.deliveries.sent.length = 0;
    receiver.reset();
  });
  afterAll(async () => {
    await server.close();
    await receiver.stop();
  });

  const database = () => server.deliveries.configure({ url: receiver.url, form: 'database', dbToken: DB_TOKEN });
  const signed = (extra: { maxAttempts?: number; backoffMs?: number } = {}) =>
    server.deliveries.configure({ url: receiver.url, form: 'signed', secret: SECRET, backoffMs: 10, ...extra });
  const createConfirmed = async (tag: string) =>
    (await admin.auth.admin.createUser({ email: uniqueEmail(tag), password: 'secret123', email_confirm: true })).data.user!;

  it('sends nothing when not configured', async () => {
    await createConfirmed('none');
    await server.deliveries.idle();
    expect(receiver.requests).toHaveLength(0);
    expect(server.deliveries.sent).toHaveLength(0);
  });

  it('database form: raw auth.users rows for INSERT, UPDATE, sign-in, soft and hard delete', async () => {
    database();
    const email = uniqueEmail('db');
    const created = (
      await admin.auth.admin.createUser({ email, password: 'secret123', email_confirm: true, user_metadata: { name: 'Al' } })
    ).data.user!;
    await admin.auth.admin.updateUserById(created.id, { user_metadata: { name: 'Bo' }, app_metadata: { plan: 'pro' } });
    expect((await anon.auth.signInWithPassword({ email, password: 'secret123' })).error).toBeNull();
    expect((await admin.auth.admin.deleteUser(created.id, true)).error).toBeNull();
    const other = await createConfirmed('db-hard');
    expect((await admin.auth.admin.deleteUser(other.id)).error).toBeNull();
    await server.deliveries.idle();

    for (const r of receiver.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${DB_TOKEN}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-signature']).toBeUndefined();
    }
    const bodies = receiver.db();
    expect(bodies.map((b) => [b.type, b.table, b.schema, (b.record ?? b.old_record)!.id])).toEqual([
      ['INSERT', 'users', 'auth', created.id],
      ['UPDATE', 'users', 'auth', created.id],
      ['UPDATE', 'users', 'auth', created.id],
      ['UPDATE', 'users', 'auth', created.id],
      ['INSERT', 'users', 'auth', other.id],
      ['DELETE', 'users', 'auth', other.id],
    ]);
    const [ins, upd, signIn, soft, , hard] = bodies;
    expect(ins.old_record).toBeNull();
    const row = ins.record!;
    expect(row).toMatchObject({
      id: created.id,
      aud: 'authenticated',
      role: 'authenticated',
      email,
      instance_id: '00000000-0000-0000-0000-000000000000',
    });
    expect(row.raw_user_meta_data).toEqual({ name: 'Al', email_verified: true });
    expect(row.raw_app_meta_data).toEqual({ provider: 'email', providers: ['email'] });
    expect(row).not.toHaveProperty('user_metadata');
    // The real contract: sensitive columns are there, and the receiver must drop them.
    expect(row.encrypted_password).toMatch(/^scrypt\$/);
    for (const col of ['confirmation_token', 'recovery_token', 'email_change_token_new', 'reauthentication_token', 'phone_change_token']) {
      expect(row).toHaveProperty(col);
    }
    for (const col of ['created_at', 'updated_at', 'email_confirmed_at', 'confirmed_at'] as const) expect(row[col]).toMatch(PG_TS);
    expect(row.deleted_at).toBeNull();
    expect(row.last_sign_in_at).toBeNull();
    // The timestamps are the same instants the admin API reports.
    expect(Date.parse(row.created_at)).toBe(Date.parse(created.created_at));

    expect(upd.old_record).toEqual(row);
    expect(upd.record!.raw_user_meta_data).toEqual({ name: 'Bo', email_verified: true });
    expect(upd.record!.raw_app_meta_data).toEqual({ provider: 'email', providers: ['email'], plan: 'pro' });
    expect(signIn.record!.last_sign_in_at).toMatch(PG_TS);
    expect(signIn.old_record!.last_sign_in_at).toBeNull();
    expect(soft.old_record!.deleted_at).toBeNull();
    expect(soft.record!.deleted_at).toMatch(PG_TS);
    expect(soft.record!.email).not.toBe(email);
    expect(hard.record).toBeNull();
    expect(hard.old_record!.id).toBe(other.id);
    expect(server.deliveries.sent.every((s) => s.form === 'database' && s.status === 200 && s.attempts === 1)).toBe(true);
  });

  it('signed form: Standard Webhooks headers, verifiable bodies, admin-API user JSON, no secrets', async () => {
    signed();
    const email = uniqueEmail('signed');
    const up = await anon.auth.signUp({ email, password: 'secret123' });
    expect(up.error).toBeNull();
    const id = up.data.user!.id;
    const updated = (await admin.auth.admin.updateUserById(id, { email_confirm: true, user_metadata: { n: 1 } })).data.user!;
    expect((await anon.auth.signInWithPassword({ email, password: 'secret123' })).error).toBeNull();
    const afterSignIn = (await admin.auth.admin.getUserById(id)).data.user!;
    await admin.auth.admin.deleteUser(id, true);
    const afterSoft = (await admin.auth.admin.getUserById(id)).data.user!;
    await admin.auth.admin.deleteUser(id);
    await server.deliveries.idle();

    expect(receiver.requests).toHaveLength(5);
    const ids = new Set<string>();
    for (const r of receiver.requests) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      expect(verify(r)).toEqual(JSON.parse(r.raw));
      expect(() => verify(r, 'whsec_' + randomBytes(32).toString('base64'))).toThrow('No matching signature found');
      expect(r.raw).not.toContain('encrypted_password');
      expect(r.raw).not.toContain('scrypt$');
      ids.add(r.headers['webhook-id'] as string);
    }
    expect(ids.size).toBe(5);
    const bodies = receiver.signed();
    expect(bodies.map((b) => b.type)).toEqual(['user.created', 'user.updated', 'user.updated', 'user.updated', 'user.deleted']);
    expect(bodies[0].user).toEqual(up.data.user);
    expect(bodies[1].user).toEqual(updated);
    expect(bodies[2].user).toEqual(afterSignIn);
    expect(bodies[2].user.last_sign_in_at).toBeDefined();
    // Soft delete: user.updated with deleted_at (the row still exists, obfuscated).
    expect(bodies[3].user).toEqual(afterSoft);
    expect(bodies[3].user.deleted_at).toBeDefined();
    expect(bodies[4].user).toEqual({ id });
    expect(JSON.stringify(server.deliveries.sent)).not.toContain(WHSEC.slice(6));
    expect(server.deliveries.sent.map((s) => [s.form, s.type, s.userId, s.status, s.attempts, s.outcome])).toEqual(
      bodies.map((b) => ['signed', b.type, id, 200, 1, 'delivered']),
    );
  });

  it('signed form: retries 503 with the same webhook-id and body, each attempt signed', async () => {
    signed();
    receiver.statuses = [503, 200];
    const u = await createConfirmed('retry');
    await server.deliveries.idle();
    expect(receiver.requests).toHaveLength(2);
    const [a, b] = receiver.requests;
    expect(b.headers['webhook-id']).toBe(a.headers['webhook-id']);
    expect(b.raw).toBe(a.raw);
    expect(verify(a)).toEqual(verify(b));
    expect(server.deliveries.sent).toEqual([
      {
        id: a.headers['webhook-id'],
        form: 'signed',
        type: 'user.created',
        userId: u.id,
        status: 200,
        attempts: 2,
        outcome: 'delivered',
        duplicate: false,
      },
    ]);
  });

  it('signed form: gives up after maxAttempts; 429 is retried, 400 is not', async () => {
    signed({ maxAttempts: 3 });
    receiver.fallback = 500;
    await createConfirmed('giveup');
    await server.deliveries.idle();
    expect(receiver.requests).toHaveLength(3);
    expect(server.deliveries.sent[0]).toMatchObject({ status: 500, attempts: 3, outcome: 'failed' });

    receiver.reset();
    server.deliveries.sent.length = 0;
    receiver.statuses = [429, 400];
    await createConfirmed('4xx');
    await server.deliveries.idle();
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([
      receiver.requests[0].headers['webhook-id'],
      receiver.requests[0].headers['webhook-id'],
    ]);
    expect(server.deliveries.sent[0]).toMatchObject({ status: 400, attempts: 2, outcome: 'failed' });
  });

  it('database form is sent once and never retried after a 500', async () => {
    database();
    receiver.fallback = 500;
    await createConfirmed('db500');
    await server.deliveries.idle();
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.requests).toHaveLength(1);
    expect(server.deliveries.sent[0]).toMatchObject({ form: 'database', type: 'INSERT', status: 500, attempts: 1, outcome: 'failed' });
  });

  it('a network error is retried (signed) and the Auth API never waits for or fails with deliveries', async () => {
    server.deliveries.configure({
      url: 'http://127.0.0.1:1/nothing-listens',
      form: 'signed',
      secret: SECRET,
      maxAttempts: 2,
      backoffMs: 10,
    });
    const res = await admin.auth.admin.createUser({ email: uniqueEmail('neterr') });
    expect(res.error).toBeNull();
    await server.deliveries.idle();
    expect(server.deliveries.sent[0]).toMatchObject({ status: null, attempts: 2, outcome: 'failed' });
  });

  it('dropNext(n) loses exactly the next n deliveries', async () => {
    database();
    server.deliveries.dropNext(2);
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await createConfirmed(`drop${i}`));
    await server.deliveries.idle();
    expect(receiver.db().map((b) => b.record!.id)).toEqual(users.slice(2).map((u) => u.id));
    expect(server.deliveries.sent.map((s) => s.outcome)).toEqual(['dropped', 'dropped', 'delivered', 'delivered', 'delivered']);
  });

  it('chaos drop: 1 loses everything, 0 loses nothing', async () => {
    signed();
    server.deliveries.chaos({ drop: 1 });
    await createConfirmed('chaos-drop');
    await server.deliveries.idle();
    expect(receiver.requests).toHaveLength(0);
    server.deliveries.chaos({ drop: 0 });
    await createConfirmed('chaos-keep');
    await server.deliveries.idle();
    expect(receiver.requests).toHaveLength(1);
  });

  it('hold + release("reverse") delivers in reverse event order', async () => {
    database();
    const u = await createConfirmed('hold');
    await server.deliveries.idle();
    receiver.reset();
    server.deliveries.hold();
    for (let i = 1; i <= 3; i++) await admin.auth.admin.updateUserById(u.id, { user_metadata: { step: i } });
    await server.deliveries.idle(); // held deliveries do not count
    expect(receiver.requests).toHaveLength(0);
    expect(server.deliveries.sent.slice(-3).map((s) => s.outcome)).toEqual(['held', 'held', 'held']);
    await server.deliveries.release('reverse');
    expect(receiver.db().map((b) => b.record!.raw_user_meta_data.step)).toEqual([3, 2, 1]);
    const stamps = receiver.db().map((b) => Date.parse(b.record!.updated_at));
    expect([...stamps].sort((a, b) => b - a)).toEqual(stamps);
  });

  it('without chaos, deliveries of one user arrive in event order even when the receiver is slow', async () => {
    signed();
    receiver.answerDelayMs = 30;
    const u = await createConfirmed('order');
    await Promise.all([1, 2, 3, 4].map((i) => admin.auth.admin.updateUserById(u.id, { app_metadata: { step: i } })));
    await server.deliveries.idle();
    const bodies = receiver.signed();
    expect(bodies).toHaveLength(5);
    const stamps = bodies.map((b) => b.user.updated_at as string);
    expect([...stamps].sort()).toEqual(stamps);
  });

  it('chaos duplicate sends the same event twice with the same webhook-id', async () => {
    signed();
    server.deliveries.chaos({ duplicate: 1 });
    await createConfirmed('dup');
    await server.deliveries.idle();
    expect(receiver.requests).toHaveLength(2);
    const [a, b] = receiver.requests;
    expect(b.headers['webhook-id']).toBe(a.headers['webhook-id']);
    expect(b.raw).toBe(a.raw);
    expect(verify(b)).toEqual(verify(a));
    expect(server.deliveries.sent.map((s) => s.duplicate)).toEqual([false, true]);
  });

  it('chaos delay + reorder still delivers everything', async () => {
    database();
    server.deliveries.chaos({ reorder: true, delayMs: [0, 40] });
    const u = await createConfirmed('reorder');
    for (let i = 1; i <= 5; i++) await admin.auth.admin.updateUserById(u.id, { user_metadata: { step: i } });
    await server.deliveries.idle();
    expect(
      receiver
        .db()
        .map((b) => b.record!.raw_user_meta_data.step ?? 0)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('configure validates the target without echoing secrets', () => {
    expect(() => server.deliveries.configure({ url: receiver.url, form: 'signed' })).toThrow('needs a secret');
    expect(() => server.deliveries.configure({ url: receiver.url, form: 'signed', secret: 'v1,whsec_%%%not-base64' })).toThrow(
      /^deliveries: secret must look like/,
    );
    expect(() => server.deliveries.configure({ url: 'ftp://x', form: 'database' })).toThrow('http(s)');
    expect(() => server.deliveries.chaos({ drop: 2 })).toThrow('0..1');
    // A bare "whsec_" secret is accepted too.
    expect(() => server.deliveries.configure({ url: receiver.url, form: 'signed', secret: WHSEC })).not.toThrow();
  });
});

describe('auth stand-in: deliveries on close', () => {
  it('close() gives up on pending retries instead of waiting for them', async () => {
    const receiver = new Receiver();
    await receiver.start();
    receiver.fallback = 503;
    const server = await startAuthServer({
      quiet: true,
      deliveries: { url: receiver.url, form: 'signed', secret: SECRET, maxAttempts: 10, backoffMs: 5_000 },
    });
    await createClient(server.url, DEV_KEYS.serviceRoleKey, opts).auth.admin.createUser({ email: uniqueEmail('close') });
    while (receiver.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(receiver.requests).toHaveLength(1);
    expect(server.deliveries.sent[0]).toMatchObject({ attempts: 1, outcome: 'abandoned' });
    await receiver.stop();
  });
});

describe('auth stand-in: database-form timestamps', () => {
  it('render exactly like Postgres to_json(timestamptz) in UTC', async () => {
    const client = new pg.Client({ connectionString: `${process.env.AUTHMIRROR_TEST_PG_URL}/postgres` });
    await client.connect();
    try {
      await client.query("SET TIME ZONE 'UTC'");
      const samples = [
        '2026-11-23T11:14:02.909123Z',
        '2026-11-23T11:14:02.909100Z',
        '2026-11-23T11:14:02.000000Z',
        '2026-01-05T00:00:00.000001Z',
      ];
      for (const ts of samples) {
        const { rows } = await client.query<{ j: string }>('SELECT to_json($1::timestamptz)::text AS j', [ts]);
        expect(JSON.stringify(pgTimestamp(ts))).toBe(rows[0].j);
      }
    } finally {
      await client.end();
    }
  });
});
