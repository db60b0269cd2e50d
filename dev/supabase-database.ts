// The local Supabase database: what a Supabase project's Postgres holds that authmirror touches,
// in a database of its own on the embedded server (never the mirror's): GoTrue's `auth` schema,
// pgcrypto in `extensions`, pg_net's `net` schema (the stand-in's worker sends its queue) and Vault's.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { projectRoot } from './migrate.js';

const SCHEMA_FILES = [
  'dev/auth-server/schema/auth-schema.sql',
  'dev/auth-server/schema/net-schema.sql',
  'dev/auth-server/schema/vault-schema.sql',
  'dev/auth-server/schema/supabase-functions-schema.sql',
];

/** Creates Supabase's schemas in an empty database (run once, before anything else uses it). */
export async function installSupabaseSchemas(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    // As on Supabase: extensions live in schema `extensions`.
    await client.query('CREATE SCHEMA IF NOT EXISTS extensions; CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions');
    for (const file of SCHEMA_FILES) await client.query(await readFile(`${projectRoot()}/${file}`, 'utf8'));
  });
}

/** Creates Supabase's schemas unless the database has them already (a data directory from an earlier start). */
export async function ensureSupabaseSchemas(databaseUrl: string): Promise<void> {
  let present = false;
  await withClient(databaseUrl, async (client) => {
    present = (await client.query<{ found: boolean }>(`SELECT to_regclass('auth.users') IS NOT NULL AS found`)).rows[0].found;
  });
  if (!present) await installSupabaseSchemas(databaseUrl);
}

/** Installs supabase/authmirror-trigger.sql; `push` points its deliveries at the API, `pull` fills its outbox (`notify`: and NOTIFYs). */
export async function installAuthmirror(
  databaseUrl: string,
  intakes: { push?: { endpoint: string; secret: string }; pull?: boolean | { notify: boolean } },
): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(await readFile(`${projectRoot()}/supabase/authmirror-trigger.sql`, 'utf8'));
    if (intakes.push) await client.query('SELECT authmirror.configure($1, $2)', [intakes.push.endpoint, intakes.push.secret]);
    if (intakes.pull) await client.query('SELECT authmirror.enable_pull(true, $1)', [intakes.pull !== true && intakes.pull.notify]);
  });
}

/** The development password of role authmirror_intake: the same everywhere, so concurrent installs agree. */
export const DEV_INTAKE_PASSWORD = 'authmirror-intake-development';

/** Lets authmirror_intake log in and returns SUPABASE_DB_URL for it (the role is the cluster's: ALTER may race). */
export async function intakeRoleUrl(databaseUrl: string): Promise<string> {
  await withClient(databaseUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`ALTER ROLE authmirror_intake WITH LOGIN PASSWORD '${DEV_INTAKE_PASSWORD}'`);
        return;
      } catch (error) {
        if (!/tuple concurrently updated/.test((error as Error).message) || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      }
    }
  });
  const url = new URL(databaseUrl);
  url.username = 'authmirror_intake';
  url.password = DEV_INTAKE_PASSWORD;
  return url.toString();
}

async function withClient(databaseUrl: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
