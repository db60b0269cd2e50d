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
/** Rounds after the first (with checks): with the first, three of each. */
const ACCESS_ROUNDS = 5;

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
    // 100,000 fresh rows: vacuumed and analyzed now rather than by autovacuum inside a measured round.
    await context.settle('me');
    const me = { method: 'GET' as const, path: '/users/me' };
    log(`measuring GET /users/me on the API (${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s)`);
    results.measurements.apiMe = await context.profiled('users-me', () =>
      measure({ ...base, ...me, name: 'API  GET /users/me', baseUrl: apiUrl, cpu: cpu(stack.pids.api) }),
    );
    // Pairs in the order with, without, without, with, with, without: a drift of the machine falls on both sides alike,
    // and more rounds average out what one 10 s run varies (±5% here between two identical processes).
    log(`measuring GET /users/me ${ACCESS_ROUNDS} more times, alternating the API with and without its access checks and sightings`);
    const rounds: Array<{ checks: boolean; requestsPerSecond: number }> = [
      { checks: true, requestsPerSecond: results.measurements.apiMe.requestsPerSecond },
    ];
    for (let round = 1; round <= ACCESS_ROUNDS; round++) {
      const checks = [false, false, true, true, false][(round - 1) % 5];
      const measured = await measure({
        ...base,
        ...me,
        name: checks ? 'API  GET /users/me' : 'API without access checks  GET /users/me',
        baseUrl: checks ? apiUrl : stack.beforeAccessUrl!,
        cpu: cpu(checks ? stack.pids.api : stack.pids.beforeAccess),
      });
      if (!checks) results.measurements.beforeAccessMe ??= measured;
      rounds.push({ checks, requestsPerSecond: measured.requestsPerSecond });
    }
    results.accessChecks = { rounds };
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
