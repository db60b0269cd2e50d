// Jest global setup: one embedded Postgres for the whole run, holding a migrated template
// database that every test file clones (test/support/database.ts).
//
// Exports to the test workers:
//   AUTHMIRROR_TEST_PG_URL       the server's URL without a database name
//                                (postgresql://user:password@127.0.0.1:port); append /<database>
//   AUTHMIRROR_TEST_PG_TEMPLATE  the migrated template database (authmirror_template)
// If AUTHMIRROR_TEST_PG_URL is already set, that server is used instead of an embedded one
// and its template database is rebuilt.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { EmbeddedPostgres } from '../../dev/postgres.js';

const TEMPLATE_DATABASE = 'authmirror_template';

/** What global teardown needs, kept on globalThis (setup and teardown share the process). */
export interface TestPostgres {
  server?: EmbeddedPostgres;
  dir?: string;
}
const testPostgres = globalThis as typeof globalThis & { authmirrorTestPostgres?: TestPostgres };

// Jest loads this file outside its module system (CommonJS through a require hook, without
// moduleNameMapper), where `../../dev/x.js` would not find the .ts source: name the file.
function devModule<T>(name: string): Promise<T> {
  return import(fileURLToPath(new URL(`../../dev/${name}.ts`, import.meta.url)));
}

export default async function globalSetup(): Promise<void> {
  const { applyMigrations } = await devModule<typeof import('../../dev/migrate.js')>('migrate');
  const handle: TestPostgres = {};
  testPostgres.authmirrorTestPostgres = handle;
  let baseUrl = process.env.AUTHMIRROR_TEST_PG_URL;
  if (!baseUrl) {
    const { startEmbeddedPostgres } = await devModule<typeof import('../../dev/postgres.js')>('postgres');
    handle.dir = await mkdtemp(join(tmpdir(), 'authmirror-test-pg-'));
    await chmod(handle.dir, 0o755); // the server runs as the `postgres` user
    handle.server = await startEmbeddedPostgres({ dataDir: join(handle.dir, 'data'), fast: true, persistent: false });
    baseUrl = handle.server.url().replace(/\/[^/]*$/, '');
  }
  try {
    await recreateTemplate(baseUrl);
    await applyMigrations(`${baseUrl}/${TEMPLATE_DATABASE}`);
    // A session on the template would make every clone fail: allow none from now on.
    await admin(baseUrl, `ALTER DATABASE ${TEMPLATE_DATABASE} ALLOW_CONNECTIONS false`);
  } catch (error) {
    await handle.server?.stop(); // Jest skips global teardown when setup fails
    if (handle.dir) await rm(handle.dir, { recursive: true, force: true });
    throw error;
  }
  process.env.AUTHMIRROR_TEST_PG_URL = baseUrl;
  process.env.AUTHMIRROR_TEST_PG_TEMPLATE = TEMPLATE_DATABASE;
}

async function recreateTemplate(baseUrl: string): Promise<void> {
  await admin(baseUrl, `DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`, `CREATE DATABASE ${TEMPLATE_DATABASE}`);
}

async function admin(baseUrl: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
