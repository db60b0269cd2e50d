// One database per test file, cloned from the migrated template of global-setup.ts:
// test files run in parallel and never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** Connection string of the new database (DATABASE_URL for the app under test). */
  url: string;
  name: string;
  /** Drops the database, closing any sessions still connected to it. */
  drop(): Promise<void>;
}

const OBJECT_IN_USE = '55006'; // "source database … is being accessed by other users"
const CLONE_LOCK = 0x61757468; // advisory lock key serialising clones across workers

/** A database cloned from the migrated mirror template, or from `template` (template0: an empty one). */
export async function createTestDatabase(
  template = process.env.AUTHMIRROR_TEST_PG_TEMPLATE ?? 'authmirror_template',
): Promise<TestDatabase> {
  const baseUrl = process.env.AUTHMIRROR_TEST_PG_URL;
  if (!baseUrl) throw new Error('AUTHMIRROR_TEST_PG_URL is not set: run through Jest (test/support/global-setup.ts)');
  const name = `authmirror_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(baseUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [CLONE_LOCK]);
    try {
      await cloneWithRetry(client, name, template);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [CLONE_LOCK]);
    }
  });
  return {
    url: `${baseUrl}/${name}`,
    name,
    drop: () =>
      withAdmin(baseUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}

async function cloneWithRetry(client: pg.Client, name: string, template: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      return;
    } catch (error) {
      if ((error as pg.DatabaseError).code !== OBJECT_IN_USE || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

async function withAdmin<T>(baseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
