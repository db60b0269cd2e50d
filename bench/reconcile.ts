// Reconcile throughput over many users (default 100,000): what writing the mirror adds over
// paging through Supabase's listUsers alone.
//
//   - the auth stand-in, pre-filled in its own process (auth-with-users.ts);
//   - an empty mirror database of its own (migrations applied, nothing else);
//   - (a) paging only, in this process: `auth.admin.listUsers({ page, perPage })` until a short
//     page (the next page computed here: supabase-js parses page numbers ≥ 10 wrongly), after a
//     short warm-up pass (JIT, the stand-in's sorted list);
//   - (b1) `node dist/src/cli/reconcile.js --json --per-page N` against an empty mirror (every
//     user created), (b2) the same again (every user unchanged); each a child process, with its
//     peak RSS (VmHWM at exit, written by exit-stats.ts; /proc polling as a fallback) and CPU.
//   - ROUNDS rounds of (a), (b1), (b2) in turn, (b1) each time on a new empty mirror, and the
//     fastest of each kept: the two sides of the ratio sample the same stretches of the shared
//     machine, whose speed drifts (single runs of either side vary by 10–25% here), and neither is
//     judged on an outlier;
//   - before each of those passes and runs, the mirror written last is vacuumed and Postgres is
//     let go idle (settle.ts), so that no run pays for the writes of the one before it.
//
// The overhead is ((b1 − a) ÷ a) on the run's own durationMs (Nest start-up excluded; the
// process' wall time is reported next to it). Then, for information, (a), (b1) and (b2) once
// more against a second stand-in that answers every listUsers request BENCH_RECONCILE_LATENCY_MS
// late (default 20 ms), as a real project does across a network: there a page costs a round trip,
// which paging alone waits for page after page.
import { createClient } from '@supabase/supabase-js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cpuSnapshot, type CpuRoles } from './cpu.js';
import type { ExitStats } from './exit-stats.js';
import { BENCH_DIST, freePort, spawnNode, type Child } from './processes.js';

export interface ReconcileOptions {
  root: string;
  /** Where the exit-stats files go (the run's temp dir). */
  tempDir: string;
  users: number;
  perPage: number;
  poolSize: number;
  port: number;
  /** Also measure against a stand-in whose listUsers answers this late (0: no). */
  latencyMs: number;
  anonKey: string;
  serviceRoleKey: string;
  postmasterPid: number;
  postgresPids: () => number[];
  /** Creates an empty mirror database named `name` (migrations applied) and returns its URL. */
  createMirrorDatabase: (name: string) => Promise<string>;
  log: (message: string) => void;
  /** Vacuums the mirror databases at `written` and waits for Postgres to be idle (see settle.ts): before each measured pass and run. */
  settle: (written?: readonly string[]) => Promise<void>;
}

export interface ReconcileRun {
  /** The CLI's JSON summary (null when it printed none). */
  summary: ReconcileSummaryJson | null;
  exitCode: number | null;
  /** The run itself, from the summary (no process start-up). */
  durationMs: number;
  /** Spawn to exit, Node and Nest start-up included. */
  wallMs: number;
  peakRssMb: number | null;
  /** Where the peak came from: exit-stats (VmHWM at exit) or polling (VmRSS every 50 ms). */
  peakRssSource: 'VmHWM at exit' | 'VmRSS polling' | 'none';
  usersPerSecond: number;
  /** CPU time during the run, ms: the reconcile process, the auth stand-in, Postgres. */
  cpuMs: { reconcile: number | null; auth: number; postgres: number };
}

export interface ReconcileSummaryJson {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  pages: number;
  seen: number;
  durationMs: number;
  dryRun: boolean;
  complete?: boolean;
  keptDeleted?: number;
  error?: string | null;
}

export interface ReconcileResult {
  skipped: null;
  users: number;
  perPage: number;
  seedMs: number;
  paging: { durationMs: number; pages: number; seen: number; usersPerSecond: number; cpuMs: { loadgen: number; auth: number } };
  /** The faster (b1) of the two rounds, and the other one's durationMs. */
  first: ReconcileRun;
  second: ReconcileRun;
  /** durationMs of every round, in order: (b1) and (b2). */
  rounds: Array<{ paging: number; first: number; second: number }>;
  /** (b1 − a) ÷ a. */
  overhead: number;
  /** (b2 − a) ÷ a. */
  secondOverhead: number;
  /** Users in the mirror (live rows) after both runs, in each round's database. */
  mirrorRows: number[];
  /**
   * The same against a stand-in that answers every listUsers request `latencyMs` late, as over a
   * network: one round, for information (the target is judged on loopback). Null when not asked.
   */
  latency: {
    latencyMs: number;
    pagingMs: number;
    firstMs: number;
    secondMs: number;
    overhead: number;
    secondOverhead: number;
  } | null;
  problems: string[];
}

export type ReconcileOutcome = ReconcileResult | { skipped: string };

export function reconcileCli(root: string): string {
  return join(root, 'dist', 'src', 'cli', 'reconcile.js');
}

export async function measureReconcile(options: ReconcileOptions): Promise<ReconcileOutcome> {
  const cli = reconcileCli(options.root);
  if (!existsSync(cli)) {
    return { skipped: `${cli} does not exist (src/cli/reconcile.ts not written or not built yet): reconcile section skipped` };
  }
  const problems: string[] = [];
  options.log(`starting the auth stand-in with ${options.users} users in its store`);
  const { auth, url: authUrl, insertMs } = await startPrefilledAuth(options, options.port, 0);
  let loopback: Awaited<ReturnType<typeof measureAgainst>>;
  try {
    loopback = await measureAgainst(options, cli, auth, authUrl, { rounds: ROUNDS, label: '', name: 'loopback', problems });
  } finally {
    await auth.stop();
  }

  let latency: ReconcileResult['latency'] = null;
  if (options.latencyMs > 0) {
    options.log(`starting a second auth stand-in that answers listUsers ${options.latencyMs} ms late (a network round trip)`);
    const slow = await startPrefilledAuth(options, await freePort(), options.latencyMs);
    try {
      const measured = await measureAgainst(options, cli, slow.auth, slow.url, {
        rounds: 1,
        label: ` with ${options.latencyMs} ms latency`,
        name: 'latency',
        problems,
      });
      latency = {
        latencyMs: options.latencyMs,
        pagingMs: measured.paging.durationMs,
        firstMs: measured.first.durationMs,
        secondMs: measured.second.durationMs,
        overhead: (measured.first.durationMs - measured.paging.durationMs) / measured.paging.durationMs,
        secondOverhead: (measured.second.durationMs - measured.paging.durationMs) / measured.paging.durationMs,
      };
    } finally {
      await slow.auth.stop();
    }
  }

  const pagingMs = loopback.paging.durationMs;
  return {
    skipped: null,
    users: options.users,
    perPage: options.perPage,
    seedMs: insertMs,
    paging: loopback.paging,
    first: loopback.first,
    second: loopback.second,
    rounds: loopback.rounds,
    overhead: (loopback.first.durationMs - pagingMs) / pagingMs,
    secondOverhead: (loopback.second.durationMs - pagingMs) / pagingMs,
    mirrorRows: loopback.mirrorRows,
    latency,
    problems,
  };
}

/** How many passes of (a), and rounds of (b1) and (b2), the loopback measurement keeps the fastest of. */
export const ROUNDS = 3;

/**
 * `rounds` rounds against one stand-in, each of (a) one paging pass, (b1) a reconcile into a new
 * empty mirror and (b2) the same again: the sides of the ratio take turns, so that both sample the
 * same stretches of a shared machine whose speed drifts, and the fastest of each is kept.
 */
async function measureAgainst(
  options: ReconcileOptions,
  cli: string,
  auth: Child,
  authUrl: string,
  { rounds: roundCount, label, name, problems }: { rounds: number; label: string; name: string; problems: string[] },
) {
  const supabase = createClient(authUrl, options.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const listPage = async (page: number) => {
    const { data, error } = await supabase.auth.admin.listUsers({ page, perPage: options.perPage });
    if (error) throw new Error(`listUsers page ${page} failed: ${error.message}`);
    return data.users.length;
  };
  for (let page = 1; page <= 10; page++) await listPage(page); // warm-up
  const pagingCpu: CpuRoles = { loadgen: () => [process.pid], auth: () => [auth.process.pid!] };
  const pagingPass = async () => {
    const cpuBefore = cpuSnapshot(pagingCpu);
    const passStarted = performance.now();
    let pages = 0;
    let seen = 0;
    for (let page = 1; ; page++) {
      const count = await listPage(page);
      pages++;
      seen += count;
      if (count < options.perPage) break;
    }
    const ms = performance.now() - passStarted;
    const cpuAfter = cpuSnapshot(pagingCpu);
    return {
      ms,
      pages,
      seen,
      cpuMs: { loadgen: Math.round(cpuAfter.loadgen - cpuBefore.loadgen), auth: Math.round(cpuAfter.auth - cpuBefore.auth) },
    };
  };

  const cpuRoles: CpuRoles = { auth: () => [auth.process.pid!], postgres: options.postgresPids };
  const passes: Array<Awaited<ReturnType<typeof pagingPass>>> = [];
  const rounds: Array<{ first: ReconcileRun; second: ReconcileRun }> = [];
  const mirrorRows: number[] = [];
  // The mirror the round before wrote: vacuumed before the next run, not by autovacuum during it.
  let previousMirror: string | null = null;
  for (let round = 1; round <= roundCount; round++) {
    options.log(`(a) paging through listUsers, ${options.perPage} per page${label}, round ${round} of ${roundCount}`);
    await options.settle(previousMirror ? [previousMirror] : []);
    const pass = await pagingPass();
    passes.push(pass);
    if (pass.seen !== options.users) problems.push(`paging${label} saw ${pass.seen} users, expected ${options.users}`);

    const databaseUrl = await options.createMirrorDatabase(`authmirror_reconcile_${name}_${round}`);
    const env = {
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(options.poolSize),
      SUPABASE_URL: authUrl,
      SUPABASE_ANON_KEY: options.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: options.serviceRoleKey,
      LOG_LEVEL: 'warn',
    };
    options.log(`(b1) reconcile CLI against an empty mirror (${options.users} creates)${label}, round ${round} of ${roundCount}`);
    await options.settle();
    const first = await runCli(options, cli, env, cpuRoles, `${name}-first-${round}`);
    options.log(`(b2) reconcile CLI again (${options.users} unchanged)${label}, round ${round} of ${roundCount}`);
    await options.settle([databaseUrl]);
    const second = await runCli(options, cli, env, cpuRoles, `${name}-second-${round}`);
    checkRun(`b1${label} (round ${round})`, first, { created: options.users }, options.users, problems);
    checkRun(`b2${label} (round ${round})`, second, { unchanged: options.users }, options.users, problems);
    rounds.push({ first, second });
    const live = await liveUsers(databaseUrl);
    mirrorRows.push(live);
    previousMirror = databaseUrl;
    if (live !== options.users)
      problems.push(`round ${round}${label}: the mirror holds ${live} live users after reconcile, expected ${options.users}`);
  }
  if (previousMirror) await options.settle([previousMirror]);
  // The fastest pass is the denominator of the overhead ratio: a slow outlier there would flatter it.
  const best = passes.reduce((fastest, pass) => (pass.ms < fastest.ms ? pass : fastest));
  const paging: ReconcileResult['paging'] = {
    durationMs: Math.round(best.ms),
    pages: best.pages,
    seen: best.seen,
    usersPerSecond: Math.round(best.seen / (best.ms / 1000)),
    cpuMs: best.cpuMs,
  };
  const fastest = (runs: ReconcileRun[]) => runs.reduce((best, run) => (run.durationMs < best.durationMs ? run : best));
  return {
    paging,
    first: fastest(rounds.map((round) => round.first)),
    second: fastest(rounds.map((round) => round.second)),
    rounds: rounds.map((round, index) => ({
      paging: Math.round(passes[index].ms),
      first: round.first.durationMs,
      second: round.second.durationMs,
    })),
    mirrorRows,
  };
}

async function liveUsers(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ live: string }>('SELECT count(*) AS live FROM users WHERE deleted_at IS NULL');
    return Number(rows[0].live);
  } finally {
    await client.end();
  }
}

function checkRun(label: string, run: ReconcileRun, expected: Partial<ReconcileSummaryJson>, users: number, problems: string[]): void {
  if (run.exitCode !== 0) problems.push(`${label}: the reconcile CLI exited with ${run.exitCode}`);
  const summary = run.summary;
  if (!summary) {
    problems.push(`${label}: no JSON summary on stdout`);
    return;
  }
  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0, ...expected };
  for (const [key, value] of Object.entries(counts)) {
    const actual = summary[key as keyof ReconcileSummaryJson];
    if (actual !== value) problems.push(`${label}: ${key} = ${String(actual)}, expected ${value}`);
  }
  if (summary.seen !== users) problems.push(`${label}: seen = ${summary.seen}, expected ${users}`);
  if (summary.complete === false) problems.push(`${label}: incomplete run (${summary.error ?? 'no reason given'})`);
}

/** Starts auth-with-users.js on `port` and waits for its "ready" line (bulk insertion done). */
async function startPrefilledAuth(
  options: ReconcileOptions,
  port: number,
  listDelayMs: number,
): Promise<{ auth: Child; url: string; insertMs: number }> {
  const auth = spawnNode('auth stand-in (pre-filled)', join(BENCH_DIST, 'auth-with-users.js'), {
    PORT: String(port),
    HOST: '127.0.0.1',
    BENCH_AUTH_USERS: String(options.users),
    BENCH_AUTH_LIST_DELAY_MS: String(listDelayMs),
  });
  const line = await waitForLine(auth, /^\{"ready":true.*\}$/m, 120_000);
  const ready = JSON.parse(line) as { url: string; users: number; insertMs: number };
  if (ready.users !== options.users) throw new Error(`the auth stand-in holds ${ready.users} users, expected ${options.users}`);
  options.log(`auth stand-in ready at ${ready.url}: ${ready.users} users inserted in ${ready.insertMs} ms`);
  return { auth, url: ready.url, insertMs: ready.insertMs };
}

export function waitForLine(child: Child, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => finish(new Error(`${child.name} printed no ready line within ${timeoutMs} ms:\n${child.output()}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = pattern.exec(seen);
      if (match) finish(null, match[0]);
    };
    const onExit = () =>
      finish(
        new Error(`${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n${child.output()}`),
      );
    const finish = (error: Error | null, line?: string) => {
      clearTimeout(timer);
      child.process.stdout!.off('data', onData);
      child.process.off('exit', onExit);
      if (error) reject(error);
      else resolve(line!);
    };
    child.process.stdout!.on('data', onData);
    child.process.once('exit', onExit);
  });
}

/** One `reconcile --json` child process, to completion (10 minutes at most). */
async function runCli(
  options: ReconcileOptions,
  cli: string,
  env: Record<string, string>,
  cpuRoles: CpuRoles,
  label: string,
): Promise<ReconcileRun> {
  const statsFile = join(options.tempDir, `reconcile-${label}-exit-stats.json`);
  rmSync(statsFile, { force: true });
  const cpuBefore = cpuSnapshot(cpuRoles);
  const started = performance.now();
  const child = spawnNode(
    `reconcile CLI (${label})`,
    cli,
    { ...env, BENCH_EXIT_STATS_FILE: statsFile },
    ['--import', join(BENCH_DIST, 'exit-stats.js')],
    false,
    ['--json', '--per-page', String(options.perPage)],
  );
  let stdout = '';
  child.process.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  let polledPeakKb = 0;
  const pid = child.process.pid!;
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = /^VmHWM:\s+(\d+) kB/m.exec(status) ?? /^VmRSS:\s+(\d+) kB/m.exec(status);
      if (rss) polledPeakKb = Math.max(polledPeakKb, Number(rss[1]));
    } catch {
      // exited
    }
  }, 50);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reconcile CLI (${label}) still running after 10 minutes:\n${child.output()}`)),
      600_000,
    );
    // 'close': exited and its stdout read to the end.
    child.process.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  }).finally(() => clearInterval(poll));
  const wallMs = performance.now() - started;
  const cpuAfter = cpuSnapshot(cpuRoles);
  await child.stop();

  const summary = lastJsonLine(stdout);
  if (!summary) options.log(`reconcile CLI (${label}) printed no JSON summary; its output:\n${child.output()}`);
  let stats: ExitStats | null = null;
  try {
    stats = JSON.parse(readFileSync(statsFile, 'utf8')) as ExitStats;
  } catch {
    // not written: polling only
  }
  const peakKb = stats ? (stats.vmHwmKb ?? stats.maxRssKb) : polledPeakKb || null;
  const durationMs = summary?.durationMs ?? Math.round(wallMs);
  return {
    summary,
    exitCode,
    durationMs,
    wallMs: Math.round(wallMs),
    peakRssMb: peakKb === null ? null : Math.round(peakKb / 1024),
    peakRssSource: stats ? 'VmHWM at exit' : polledPeakKb ? 'VmRSS polling' : 'none',
    usersPerSecond: Math.round((summary?.seen ?? 0) / (durationMs / 1000)),
    cpuMs: {
      reconcile: stats ? stats.userCpuMs + stats.systemCpuMs : null,
      auth: Math.round(cpuAfter.auth - cpuBefore.auth),
      postgres: Math.round(cpuAfter.postgres - cpuBefore.postgres),
    },
  };
}

function lastJsonLine(text: string): ReconcileSummaryJson | null {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === 'object' && 'durationMs' in parsed) return parsed as ReconcileSummaryJson;
    } catch {
      // not JSON
    }
  }
  return null;
}
