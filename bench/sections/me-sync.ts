// Sections `me` and `sync`: the same signed-in users, each synced once, then GET /users/me on
// the API and both baselines (same duration and connections for each), and POST /auth/users/sync.
import { DEV_KEYS } from '../../dev/auth-server/dev-keys.js';
import { revokeSessions } from '../access-load.js';
import { log } from '../log.js';
import { measure } from '../measure.js';
import { checkSameAnswers, createUsers, syncUsers } from '../users.js';
import type { SectionContext } from './context.js';

/** Revoked sessions in the registry while GET /users/me is measured (issue: 100,000 cost bounded memory). */
const REVOKED_SESSIONS = 100_000;

export async function runMeAndSync(context: SectionContext): Promise<void> {
  const { settings, stack, results, cpu } = context;
  const has = (section: 'me' | 'sync') => settings.sections.includes(section);
  const apiUrl = stack.apiUrl!;
  log(`creating ${settings.users} users through the auth stand-in`);
  const users = await createUsers(stack.authUrl!, DEV_KEYS.anonKey, settings.users, context.runId);
  log('syncing each user once through the API');
  await syncUsers(apiUrl, users);
  const base = {
    users,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
  };
  if (has('me')) {
    await checkSameAnswers(
      {
        API: apiUrl,
        'API without access checks': stack.beforeAccessUrl!,
        'minimal server': stack.minimalUrl!,
        'guard server': stack.guardUrl!,
      },
      users.slice(0, 5),
    );
    log(`revoking ${REVOKED_SESSIONS} other sessions, so that the access checks run against a full registry`);
    await revokeSessions(stack.databaseUrl, REVOKED_SESSIONS);
    const me = { method: 'GET' as const, path: '/users/me' };
    log(`measuring GET /users/me on the API (${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s)`);
    results.measurements.apiMe = await context.profiled('users-me', () =>
      measure({ ...base, ...me, name: 'API  GET /users/me', baseUrl: apiUrl, cpu: cpu(stack.pids.api) }),
    );
    // With, without, without, with: a drift of the machine during the run falls on both sides alike.
    const withoutChecks = (again: string) =>
      measure({
        ...base,
        ...me,
        name: `API without access checks  GET /users/me${again}`,
        baseUrl: stack.beforeAccessUrl!,
        cpu: cpu(stack.pids.beforeAccess),
      });
    log('measuring GET /users/me on the API without its access checks and device sightings (twice), then on the API again');
    results.measurements.beforeAccessMe = await withoutChecks('');
    results.measurements.beforeAccessMeAgain = await withoutChecks(' (again)');
    results.measurements.apiMeAgain = await measure({
      ...base,
      ...me,
      name: 'API  GET /users/me (again)',
      baseUrl: apiUrl,
      cpu: cpu(stack.pids.api),
    });
    log('measuring GET /users/me on the minimal same-work server (a)');
    results.measurements.minimalMe = await measure({
      ...base,
      ...me,
      name: '(a)  minimal same-work GET /users/me',
      baseUrl: stack.minimalUrl!,
      cpu: cpu(stack.pids.minimal),
    });
    log('measuring GET /users/me on the call-per-request guard server (b)');
    results.measurements.guardMe = await measure({
      ...base,
      ...me,
      name: '(b)  call-per-request guard GET /users/me',
      baseUrl: stack.guardUrl!,
      cpu: cpu(stack.pids.guard),
    });
  }
  if (has('sync')) {
    log('measuring POST /auth/users/sync on the API');
    results.measurements.apiSync = await context.profiled('sync', () =>
      measure({
        ...base,
        method: 'POST',
        path: '/auth/users/sync',
        name: 'API  POST /auth/users/sync',
        baseUrl: apiUrl,
        cpu: cpu(stack.pids.api),
      }),
    );
  }
}
