import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { applyMigrations } from '../dev/migrate.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../dev/postgres.js';
import { newWebhookSecret, signedHeaders, supabaseUser } from './support/deliveries.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

// This file runs its own Postgres, because it stops it.
const secret = newWebhookSecret();
let dataDir: string;
let postgres: EmbeddedPostgres;
let stack: TestStack;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'authmirror-down-'));
  postgres = await startEmbeddedPostgres({ dataDir, persistent: true, fast: true });
  await postgres.createDatabase('mirror');
  await applyMigrations(postgres.url('mirror'));
  stack = await startTestStack({
    env: { SUPABASE_WEBHOOK_SECRET: secret },
    database: { url: postgres.url('mirror'), drop: async () => undefined },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a delivery while Postgres is down', () => {
  it('gets 503 so the sender retries, and the retry after the restart converges', async () => {
    const id = randomUUID();
    const body = JSON.stringify({ type: 'user.created', user: supabaseUser(id, '2026-04-01T00:00:00.000001Z') });
    const headers = signedHeaders(secret, body);
    const port = postgres.port;
    await postgres.stop();

    const down = await stack.request('POST', '/webhooks/supabase', { body, headers });
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('database_unavailable');
    expect(down.headers.get('retry-after')).not.toBeNull();
    const health = await stack.request('GET', '/health');
    expect(health.status).toBe(503);
    // No driver text (Prisma's or pg's) in the body: only what is down.
    expect(health.body).toEqual({
      statusCode: 503,
      code: 'unhealthy',
      message: 'Postgres does not answer',
      details: { database: { status: 'down' } },
      requestId: expect.any(String),
    });

    postgres = await startEmbeddedPostgres({ dataDir, port, persistent: true, fast: true });
    let retried = await stack.request('POST', '/webhooks/supabase', { body, headers });
    for (let attempt = 0; attempt < 20 && retried.status === 503; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      retried = await stack.request('POST', '/webhooks/supabase', { body, headers });
    }
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'applied', outcome: 'created' });
    const again = await stack.request('POST', '/webhooks/supabase', { body, headers });
    expect(again.body.status).toBe('duplicate');
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM users WHERE id = $1', [id]);
    expect(rows[0].n).toBe(1);
  }, 60_000);
});
