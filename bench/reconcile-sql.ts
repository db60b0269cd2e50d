// Reconcile by SQL: the reconcile CLI with SUPABASE_DB_URL reading a million users from GoTrue's
// auth.users (keyset on id, through the install SQL's functions) into an empty mirror, then again
// with nothing changed; duration, users/s, peak RSS and CPU of each run; then the admin-API path
// on the same users, for a time budget (reconcile-admin.ts).
import { installAuthmirror, installSupabaseSchemas, intakeRoleUrl } from '../dev/supabase-database.js';
import type { CpuRoles } from './cpu.js';
import { measureAdminPath, type AdminPathResult } from './reconcile-admin.js';
import { liveUsers, reconcileCli, runCli, type ReconcileRun } from './reconcile-cli.js';
import pg from 'pg';

export interface SqlReconcileResult {
  users: number;
  fillMs: number;
  first: ReconcileRun;
  second: ReconcileRun;
  mirrorRows: number;
  /** Null when its budget is 0. */
  adminPath: AdminPathResult | null;
}

export interface SqlReconcileOptions {
  root: string;
  tempDir: string;
  users: number;
  perPage: number;
  poolSize: number;
  createSupabase: () => Promise<string>;
  createMirror: () => Promise<string>;
  /** A second empty mirror, for the admin-API path. */
  createAdminMirror: () => Promise<string>;
  /** How long the admin-API path may run; 0 skips it. */
  adminBudgetMs: number;
  cpuRoles: CpuRoles;
  /** The API's settings the CLI needs besides the databases (no call reaches Supabase Auth). */
  env: Record<string, string>;
  log: (line: string) => void;
}

const FILL_CHUNK = 100_000;

export async function measureSqlReconcile(options: SqlReconcileOptions): Promise<SqlReconcileResult> {
  const supabaseUrl = await options.createSupabase();
  await installSupabaseSchemas(supabaseUrl);
  options.log(`filling auth.users with ${options.users.toLocaleString('en')} users`);
  const fillMs = await fill(supabaseUrl, options.users);
  // Installed after the fill: the trigger's work on a million inserts is not what is measured.
  await installAuthmirror(supabaseUrl, {});
  const mirrorUrl = await options.createMirror();
  const env = {
    ...options.env,
    DATABASE_URL: mirrorUrl,
    DATABASE_POOL_SIZE: String(options.poolSize),
    SUPABASE_DB_URL: await intakeRoleUrl(supabaseUrl),
  };
  const cli = reconcileCli(options.root);
  options.log('reconcile by SQL, empty mirror');
  const first = await runCli(options, cli, env, options.cpuRoles, 'sql-first');
  options.log('reconcile by SQL, nothing changed');
  const second = await runCli(options, cli, env, options.cpuRoles, 'sql-second');
  const mirrorRows = await liveUsers(mirrorUrl);
  let adminPath: AdminPathResult | null = null;
  if (options.adminBudgetMs > 0) {
    options.log(`reconcile by the admin API, same users, for ${options.adminBudgetMs / 1000} s at most`);
    adminPath = await measureAdminPath({
      root: options.root,
      supabaseUrl,
      mirrorUrl: await options.createAdminMirror(),
      env: { ...options.env, DATABASE_POOL_SIZE: String(options.poolSize) },
      users: options.users,
      perPage: options.perPage,
      budgetMs: options.adminBudgetMs,
    });
  }
  return { users: options.users, fillMs, first, second, mirrorRows, adminPath };
}

async function fill(url: string, users: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = Date.now();
  try {
    for (let done = 0; done < users; done += FILL_CHUNK) {
      await client.query(
        `INSERT INTO auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, email_confirmed_at)
         SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'sql-' || i || '@example.com',
                '{"provider": "email", "providers": ["email"]}', jsonb_build_object('display_name', 'User ' || i), now(), now(), now()
           FROM generate_series($1::int, $2::int) AS i`,
        [done + 1, Math.min(done + FILL_CHUNK, users)],
      );
    }
    await client.query('VACUUM ANALYZE auth.users');
    return Date.now() - started;
  } finally {
    await client.end();
  }
}
