// Section `lookup`: GET /users/lookup?phone= over many users with phones vs the old approach,
// listUsers paging until the number turns up (lookup.ts).
import { DEV_KEYS } from '../../dev/auth-server/dev-keys.js';
import { log } from '../log.js';
import { measureLookup } from '../lookup.js';
import { createUsers, syncUsers } from '../users.js';
import type { SectionContext } from './context.js';

export async function runLookup(context: SectionContext): Promise<void> {
  const { settings, stack, results } = context;
  log(`measuring phone lookup over ${settings.lookupUsers} users`);
  const [caller] = await createUsers(stack.authUrl!, DEV_KEYS.anonKey, 1, `${context.runId}-lookup`);
  await syncUsers(stack.apiUrl!, [caller]);
  const { measurement, ...rest } = await context.profiled('lookup', () =>
    measureLookup({
      apiUrl: stack.apiUrl!,
      databaseUrl: stack.databaseUrl,
      caller: caller,
      users: settings.lookupUsers,
      connections: settings.lookupConnections,
      durationSeconds: settings.lookupDurationSeconds,
      warmupSeconds: 1,
      oldSamples: settings.lookupOldSamples,
      sequentialSamples: 300,
      perPage: 1000,
      authPort: stack.lookupAuthPort,
      serviceRoleKey: DEV_KEYS.serviceRoleKey,
      cpu: context.cpu(stack.pids.api),
      log,
    }),
  );
  results.measurements.apiLookup = measurement;
  results.lookup = rest;
}
