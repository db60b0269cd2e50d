// pg_net as the local Supabase database runs it: the `net` schema (dev/auth-server/schema) and the
// stand-in's worker (dev/auth-server/pg-net), held to pg_net's behaviour (docs/pg-net.md): sent
// after commit only, once, never retried, POST turned into GET by a 301, timeouts and refused
// connections recorded, a queue kept while the worker is down.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { PgNetWorker } from '../dev/auth-server/pg-net/worker.js';
import { installSupabaseSchemas } from '../dev/supabase-database.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('pg_net emulation', () => {
  let database: TestDatabase;
  let db: pg.Pool;
  let receiver: Server;
  let base: string;
  let worker: PgNetWorker | null = null;
  const received: Received[] = [];
  /** What the receiver answers, by path. */
  const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {};

  beforeAll(async () => {
    database = await createTestDatabase('template0');
    await installSupabaseSchemas(database.url);
    db = new pg.Pool({ connectionString: database.url });
    db.on('error', () => undefined); // pg-pool's end() resolves before its connections close; the drop then ends them
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        const answer = answers[req.url!.split('?')[0]];
        if (answer) return answer(res);
        res.writeHead(200, { 'content-type': 'application/json', 'x-first': 'yes' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await worker?.stop();
    worker = null;
    received.length = 0;
    await db.query('TRUNCATE net.http_request_queue, net._http_response');
  });

  afterAll(async () => {
    await db?.end();
    await new Promise((resolve) => receiver?.close(resolve));
    await database?.drop();
  });

  const post = async (path: string, body: object = { hello: 'world' }, timeout = 5000): Promise<string> => {
    const { rows } = await db.query<{ id: string }>(`SELECT net.http_post($1, $2::jsonb, timeout_milliseconds => $3) AS id`, [
      base + path,
      JSON.stringify(body),
      timeout,
    ]);
    return rows[0].id;
  };
  const response = async (id: string) =>
    (await db.query('SELECT * FROM net._http_response WHERE id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
  const settled = async (id: string) =>
    (await eventually(
      () => response(id),
      (row) => row !== undefined,
    ))!;
  const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

  it('sends a committed request once, with pg_net headers and the body as jsonb text, and records the answer', async () => {
    worker = await PgNetWorker.start({ databaseUrl: database.url });
    const id = await post('/hook', { b: 2, a: 1 });
    const row = await settled(id);
    expect(row).toMatchObject({
      status_code: 200,
      content: '{"ok":true}',
      content_type: 'application/json',
      timed_out: false,
      error_msg: null,
    });
    expect(row.headers).toMatchObject({ 'x-first': 'yes' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/hook', body: '{"a": 1, "b": 2}' });
    expect(received[0].headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'pg_net/0.20.4', accept: '*/*' });
    expect(await count('net.http_request_queue')).toBe(0);
  });

  it('sends nothing for a rolled-back transaction', async () => {
    worker = await PgNetWorker.start({ databaseUrl: database.url });
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT net.http_post($1, '{}'::jsonb)`, [`${base}/rolled-back`]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const id = await post('/after');
    await settled(id);
    expect(received.map((r) => r.url)).toEqual(['/after']);
  });

  it('never retries: a 500, a refused connection and a timeout are recorded once and the queue is empty', async () => {
    answers['/fails'] = (res) => res.writeHead(500).end('boom');
    answers['/slow'] = () => undefined; // never answers
    worker = await PgNetWorker.start({ databaseUrl: database.url });
    const failed = await post('/fails');
    const slow = await post('/slow', {}, 200);
    const { rows } = await db.query<{ id: string }>(`SELECT net.http_post('http://127.0.0.1:1/closed', '{}'::jsonb) AS id`);
    expect(await settled(failed)).toMatchObject({ status_code: 500, content: 'boom', timed_out: false });
    expect(await settled(slow)).toMatchObject({
      status_code: null,
      timed_out: true,
      error_msg: expect.stringMatching(/^Timeout of 200 ms reached/),
    });
    expect(await settled(rows[0].id)).toMatchObject({ status_code: null, timed_out: false, error_msg: "Couldn't connect to server" });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past pg_net's 1 s pause: nothing more goes out
    expect(received.filter((r) => r.url === '/fails')).toHaveLength(1);
    expect(await count('net.http_request_queue')).toBe(0);
    delete answers['/fails'];
    delete answers['/slow'];
  });

  it('follows a 301 as curl does: the POST arrives as a GET without its body', async () => {
    answers['/moved'] = (res) => res.writeHead(301, { location: '/new-home', 'x-first': 'redirect' }).end();
    worker = await PgNetWorker.start({ databaseUrl: database.url });
    const id = await post('/moved', { event: 'user.created' });
    const row = await settled(id);
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/moved', '{"event": "user.created"}'],
      ['GET', '/new-home', ''],
    ]);
    // Status and content of the last answer, headers of the first (pg_net's request 0).
    expect(row).toMatchObject({ status_code: 200, content: '{"ok":true}' });
    expect(row.headers).toMatchObject({ 'x-first': 'redirect' });
    delete answers['/moved'];
  });

  it('keeps the queue while the worker is down and sends it all when the worker starts', async () => {
    const ids = await Promise.all(Array.from({ length: 250 }, (_, i) => post(`/queued/${i}`)));
    expect(await count('net.http_request_queue')).toBe(250);
    worker = await PgNetWorker.start({ databaseUrl: database.url });
    await eventually(
      () => count('net._http_response'),
      (n) => n === 250,
    );
    expect(received).toHaveLength(250);
    expect(new Set(received.map((r) => r.url)).size).toBe(250);
    expect(ids).toHaveLength(250);
  });

  it('reports its session to net.check_worker_is_up, as pg_net reports its background worker', async () => {
    await expect(db.query('SELECT net.check_worker_is_up()')).rejects.toThrow('the pg_net background worker is not up');
    worker = await PgNetWorker.start({ databaseUrl: database.url });
    await expect(db.query('SELECT net.check_worker_is_up()')).resolves.toBeDefined();
  });
});
