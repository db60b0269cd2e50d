// Section `admin`: GET /admin/users (each filter and sort) and GET /admin/stats (whole, and each
// figure's SQL alone) over a mirror of a million users (admin.ts).
import { measureAdmin } from '../admin.js';
import { log } from '../log.js';
import type { SectionContext } from './context.js';

export async function runAdmin(context: SectionContext): Promise<void> {
  const { settings, stack, results } = context;
  results.admin = await context.profiled('admin', () =>
    measureAdmin({
      apiUrl: stack.apiUrl!,
      authUrl: stack.authUrl!,
      databaseUrl: stack.databaseUrl,
      users: settings.adminUsers,
      samples: settings.adminSamples,
      runId: context.runId,
      log,
    }),
  );
}
