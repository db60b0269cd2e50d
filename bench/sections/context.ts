// What every section gets: the settings, the running stack, where its results go, and the
// helpers each one uses around its measurement (CPU roles, an idle Postgres, the profiler).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../dev/migrate.js';
import { postgresPids, type CpuRoles } from '../cpu.js';
import { log } from '../log.js';
import type { Child } from '../processes.js';
import { summariseProfile } from '../profile-summary.js';
import type { Results } from '../results.js';
import { settlePostgres } from '../settle.js';
import type { Settings } from '../settings.js';
import type { Stack } from '../stack.js';

export interface SectionContext {
  settings: Settings;
  stack: Stack;
  root: string;
  /** Tells this run's users and deliveries apart from earlier runs' in the same stand-in and mirror. */
  runId: string;
  results: Results;
  /** The CPU roles of a measurement whose server is the process `server`. */
  cpu: (server: number) => CpuRoles;
  /** Waits for an idle Postgres before `section` (see settle.ts). */
  settle: (section: string) => Promise<void>;
  /** Runs `work` with the API under the CPU profiler (BENCH_PROFILE=1) and prints where its time went. */
  profiled: <T>(label: string, work: () => Promise<T>) => Promise<T>;
}

export function sectionContext(settings: Settings, stack: Stack, root: string, results: Results): SectionContext {
  return {
    settings,
    stack,
    root,
    runId: randomBytes(3).toString('hex'),
    results,
    cpu: (server) => ({
      server: () => [server],
      auth: () => (stack.pids.auth ? [stack.pids.auth] : []),
      postgres: postgresPids(stack.pids.postmaster),
      loadgen: () => [process.pid],
    }),
    settle: async (section) => {
      const { ms, settled } = await settlePostgres(stack.databaseUrl, postgresPids(stack.pids.postmaster), [stack.databaseUrl]);
      log(
        settled
          ? `Postgres idle before ${section} (${ms} ms)`
          : `Postgres still busy before ${section} after ${ms} ms: its figures may be disturbed`,
      );
    },
    profiled: (label, work) => profiled(stack, settings, label, work),
  };
}

async function profiled<T>(stack: Stack, settings: Settings, label: string, work: () => Promise<T>): Promise<T> {
  if (!settings.profile || !stack.api) return work();
  const file = join(projectRoot(), '.data', `bench-profile-${label}.cpuprofile`);
  mkdirSync(dirname(file), { recursive: true });
  await askApi(stack.api, { benchProfile: 'start' }, 'benchProfileStarted');
  const result = await work();
  await askApi(stack.api, { benchProfile: 'stop', file }, 'benchProfileWritten');
  process.stderr.write(`\nCPU profile of the API during "${label}" (${file}):\n${summariseProfile(file, projectRoot())}\n`);
  return result;
}

function askApi(api: Child, message: object, answer: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API's profiler did not answer ${answer}`)), 10_000);
    const onMessage = (reply: Record<string, unknown>) => {
      if (!(answer in reply)) return;
      clearTimeout(timer);
      api.process.off('message', onMessage);
      resolve();
    };
    api.process.on('message', onMessage);
    api.process.send(message);
  });
}
