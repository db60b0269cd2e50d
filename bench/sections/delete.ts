// Section `delete`: a signed user.deleted delivery for users who own many rows each, timed one
// by one, then checked (deletion.ts).
import { DEV_KEYS } from '../../dev/auth-server/dev-keys.js';
import { measureDeletion } from '../deletion.js';
import { log } from '../log.js';
import type { SectionContext } from './context.js';

export async function runDelete(context: SectionContext): Promise<void> {
  const { settings, stack } = context;
  log(`measuring deletions: ${settings.deleteUsers} users (+1 warm-up) owning ${settings.deleteRows} rows each`);
  context.results.deletion = await context.profiled('delete', () =>
    measureDeletion({
      apiUrl: stack.apiUrl!,
      authUrl: stack.authUrl!,
      anonKey: DEV_KEYS.anonKey,
      databaseUrl: stack.databaseUrl,
      secret: stack.webhookSecret,
      runId: context.runId,
      users: settings.deleteUsers,
      rowsPerUser: settings.deleteRows,
      gapMs: 200,
      log,
    }),
  );
}
