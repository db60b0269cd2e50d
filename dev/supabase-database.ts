// The local Supabase database: what a Supabase project's Postgres holds that authmirror touches,
// in a database of its own on the embedded server (never the mirror's): GoTrue's `auth` schema,
// pgcrypto in `extensions`, and pg_net's `net` schema with the stand-in's worker sending its queue.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { projectRoot } from './migrate.js';

const SCHEMA_FILES = ['dev/auth-server/schema/auth-schema.sql', 'dev/auth-server/schema/net-schema.sql'];

/** Creates Supabase's schemas in an empty database (run once, before anything else uses it). */
export async function installSupabaseSchemas(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    // As on Supabase: extensions live in schema `extensions`.
    await client.query('CREATE SCHEMA IF NOT EXISTS extensions; CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions');
    for (const file of SCHEMA_FILES) await client.query(await readFile(`${projectRoot()}/${file}`, 'utf8'));
  });
}

/** Installs supabase/authmirror-trigger.sql and points it at `endpoint` with `secret`. */
export async function installDeliveryTrigger(databaseUrl: string, endpoint: string, secret: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(await readFile(`${projectRoot()}/supabase/authmirror-trigger.sql`, 'utf8'));
    await client.query('SELECT authmirror.configure($1, $2)', [endpoint, secret]);
  });
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
