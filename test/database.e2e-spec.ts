import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { sqlOn } from '../src/database/sql.js';
import { USER_ROW_COLUMNS } from '../src/users/mirror-upsert.sql.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

describe('test databases', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  let firstClient: pg.Client;
  let secondClient: pg.Client;

  beforeAll(async () => {
    first = await createTestDatabase();
    firstClient = new pg.Client({ connectionString: first.url });
    await firstClient.connect();
  });

  afterAll(async () => {
    await Promise.all([firstClient?.end(), secondClient?.end()]);
    await Promise.all([first?.drop(), second?.drop()]);
  });

  it('holds the migrated tables', async () => {
    const { rows } = await firstClient.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(rows.map((row) => row.table_name)).toEqual([
      '_prisma_migrations',
      'app_metadata_pushes',
      'audit_events',
      'devices',
      'profiles',
      'rate_limits',
      'reconcile_runs',
      'signup_sagas',
      'token_cutoffs',
      'users',
      'webhook_deliveries',
    ]);
  });

  it('has the columns of users that the mirror SQL reads (USER_ROW_COLUMNS), no more, no fewer, but those Postgres generates', async () => {
    // Generated columns (`provider`, for GET /admin/stats) are computed by Postgres from the ones the mirror writes.
    const { rows } = await firstClient.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = 'users' AND is_generated = 'NEVER' ORDER BY column_name`,
    );
    expect(rows.map((row) => row.column_name)).toEqual([...USER_ROW_COLUMNS].sort());
  });

  it('sends one query at a time on a held connection, in the order asked (pg 9 refuses a query while one runs)', async () => {
    const pool = new pg.Pool({ connectionString: first.url, max: 1 });
    pool.on('error', () => undefined); // its connection may close after end() resolves
    const client = await pool.connect();
    try {
      let active = 0;
      let mostActive = 0;
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
        mostActive = Math.max(mostActive, ++active);
        return query(...args).finally(() => active--);
      };
      const session = sqlOn(client);
      const failing = session.query('SELECT 1 / 0').catch((error: Error) => error.message);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => session.query<{ n: number }>('SELECT pg_sleep(0.001), $1::int AS n', [i])),
      );
      expect(await failing).toBe('division by zero');
      expect(answers.map(([row]) => row.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(mostActive).toBe(1);
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('deletes a profile with its user', async () => {
    const id = randomUUID();
    await firstClient.query(`INSERT INTO users (id, email) VALUES ($1, 'ada@example.com')`, [id]);
    await firstClient.query(`INSERT INTO profiles (user_id, display_name, updated_at) VALUES ($1, 'Ada', now())`, [id]);

    await firstClient.query('DELETE FROM users WHERE id = $1', [id]);

    const { rowCount } = await firstClient.query('SELECT 1 FROM profiles WHERE user_id = $1', [id]);
    expect(rowCount).toBe(0);
  });

  it('gives each call its own database, without the rows of the others', async () => {
    await firstClient.query(`INSERT INTO users (id, email) VALUES ($1, 'grace@example.com')`, [randomUUID()]);

    second = await createTestDatabase();
    secondClient = new pg.Client({ connectionString: second.url });
    await secondClient.connect();

    expect(second.name).not.toBe(first.name);
    expect((await secondClient.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(0);
    expect((await firstClient.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(1);
  });

  it('drops a database even while sessions are connected to it', async () => {
    const extra = await createTestDatabase();
    const session = new pg.Client({ connectionString: extra.url });
    session.on('error', () => undefined); // terminated by the drop
    await session.connect();

    await extra.drop();

    const admin = new pg.Client({ connectionString: `${process.env.AUTHMIRROR_TEST_PG_URL}/postgres` });
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [extra.name]);
    await admin.end();
    await session.end().catch(() => undefined);
    expect(rowCount).toBe(0);
  });
});
