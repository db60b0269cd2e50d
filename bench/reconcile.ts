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
//
// Here: the rounds and the result; (a) and the pre-filled stand-in are in reconcile-paging.ts,
// (b1) and (b2), runs of the CLI, in reconcile-cli.ts.
import { existsSync } from 'node:fs';
import type { CpuRoles } from './cpu.js';
import { freePort, type Child } from './processes.js';
import { checkRun, liveUsers, reconcileCli, runCli, type ReconcileRun } from './reconcile-cli.js';
import { pagingPasses, startPrefilledAuth, type PagingPass } from './reconcile-paging.js';

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
  const pagingPass = await pagingPasses(auth, authUrl, options.serviceRoleKey, options.perPage);

  const cpuRoles: CpuRoles = { auth: () => [auth.process.pid!], postgres: options.postgresPids };
  const passes: PagingPass[] = [];
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
