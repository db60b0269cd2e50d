// Section `reconcile-sql`: the reconcile CLI with SUPABASE_DB_URL over a million users in GoTrue's
// auth.users, into an empty mirror and again unchanged (reconcile-sql.ts).
import { DEV_KEYS } from '../../dev/auth-server/dev-keys.js';
import { postgresPids } from '../cpu.js';
import { log } from '../log.js';
import { measureSqlReconcile } from '../reconcile-sql.js';
import type { SectionContext } from './context.js';

export async function runSqlReconcile(context: SectionContext): Promise<void> {
  const { settings, stack, results } = context;
  results.sqlReconcile = await measureSqlReconcile({
    root: context.root,
    tempDir: stack.tempDir,
    users: settings.sqlReconcileUsers,
    perPage: settings.reconcilePerPage,
    poolSize: settings.poolSize,
    createSupabase: () => stack.createEmptyDatabase(`reconcile_sql_supabase_${context.runId}`),
    createMirror: () => stack.createDatabase(`reconcile_sql_mirror_${context.runId}`),
    createAdminMirror: () => stack.createDatabase(`reconcile_admin_mirror_${context.runId}`),
    adminBudgetMs: settings.sqlReconcileAdminSeconds * 1000,
    cpuRoles: { auth: () => [], postgres: postgresPids(stack.pids.postmaster) },
    env: {
      NODE_ENV: 'development',
      SUPABASE_URL: 'http://127.0.0.1:9', // no call reaches Supabase Auth: users come from the database
      SUPABASE_ANON_KEY: DEV_KEYS.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: DEV_KEYS.serviceRoleKey,
      LOG_LEVEL: 'warn',
    },
    log,
  });
}
