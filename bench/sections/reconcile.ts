// Section `reconcile`: listUsers paging alone vs the reconcile CLI on an empty mirror and again,
// against a pre-filled auth stand-in of its own (reconcile.ts).
import { DEV_KEYS } from '../../dev/auth-server/dev-keys.js';
import { postgresPids } from '../cpu.js';
import { log } from '../log.js';
import { measureReconcile } from '../reconcile.js';
import { settlePostgres } from '../settle.js';
import type { SectionContext } from './context.js';

export async function runReconcile(context: SectionContext): Promise<void> {
  const { settings, stack, results } = context;
  log(`measuring reconcile over ${settings.reconcileUsers} users`);
  results.reconcile = await measureReconcile({
    root: context.root,
    tempDir: stack.tempDir,
    users: settings.reconcileUsers,
    perPage: settings.reconcilePerPage,
    poolSize: settings.poolSize,
    port: stack.reconcileAuthPort,
    latencyMs: settings.reconcileLatencyMs,
    anonKey: DEV_KEYS.anonKey,
    serviceRoleKey: DEV_KEYS.serviceRoleKey,
    postmasterPid: stack.pids.postmaster,
    postgresPids: postgresPids(stack.pids.postmaster),
    createMirrorDatabase: stack.createDatabase,
    log,
    settle: async (written) => {
      const { settled, ms } = await settlePostgres(stack.databaseUrl, postgresPids(stack.pids.postmaster), written);
      if (!settled) log(`Postgres still busy after ${ms} ms: the next reconcile figure may be disturbed`);
    },
  });
  if (results.reconcile.skipped !== null) log(results.reconcile.skipped);
}
