// Section `intake`: the pull intake on GoTrue's schema with the real install SQL: a backlog drained,
// then the lag from commit to mirror at a steady rate of changes (intake.ts). Its API pulls from a
// Supabase database of its own into a mirror of its own.
import { join } from 'node:path';
import { DEV_KEYS } from '../../dev/auth-server/dev-keys.js';
import { measureIntake } from '../intake.js';
import { log } from '../log.js';
import { freePort, spawnNode, waitForOk } from '../processes.js';
import type { SectionContext } from './context.js';

export async function runIntake(context: SectionContext): Promise<void> {
  const { settings, stack, results } = context;
  const mirrorUrl = await stack.createDatabase(`intake_mirror_${context.runId}`);
  results.intake = await measureIntake({
    createSupabase: () => stack.createEmptyDatabase(`intake_supabase_${context.runId}`),
    mirrorUrl,
    startApi: async (supabaseDbUrl) => {
      const port = await freePort();
      const api = spawnNode('API (pull intake)', join(context.root, 'dist/src/main.js'), {
        NODE_ENV: 'development',
        DATABASE_URL: mirrorUrl,
        DATABASE_POOL_SIZE: String(settings.poolSize),
        // No call reaches Supabase Auth in this section.
        SUPABASE_URL: stack.authUrl ?? 'http://127.0.0.1:9',
        SUPABASE_ANON_KEY: DEV_KEYS.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: DEV_KEYS.serviceRoleKey,
        SUPABASE_DB_URL: supabaseDbUrl,
        SUPABASE_PULL_LISTEN: 'true',
        RECONCILE_INTERVAL_MINUTES: '0',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      });
      await waitForOk(`http://127.0.0.1:${port}/health`, api);
      return api;
    },
    changes: settings.intakeChanges,
    ratePerSecond: settings.intakeRate,
    seconds: settings.durationSeconds,
    log,
  });
}
