// Step (b) of the reconcile section: one run of the reconcile CLI (`--json`) as a child process,
// with its peak RSS and CPU, and the checks of what it reports and what it left in the mirror.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cpuSnapshot, type CpuRoles } from './cpu.js';
import type { ExitStats } from './exit-stats.js';
import { BENCH_DIST, spawnNode } from './processes.js';

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

/** What runCli needs of the section's options. */
export interface CliOptions {
  /** Where the exit-stats files go (the run's temp dir). */
  tempDir: string;
  perPage: number;
  log: (message: string) => void;
}

export function reconcileCli(root: string): string {
  return join(root, 'dist', 'src', 'cli', 'reconcile.js');
}

/** Live users (not tombstones) in the mirror at `databaseUrl`. */
export async function liveUsers(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ live: string }>('SELECT count(*) AS live FROM users WHERE deleted_at IS NULL');
    return Number(rows[0].live);
  } finally {
    await client.end();
  }
}

/** Adds to `problems` whatever in the run differs from `expected` (counts absent there: 0). */
export function checkRun(
  label: string,
  run: ReconcileRun,
  expected: Partial<ReconcileSummaryJson>,
  users: number,
  problems: string[],
): void {
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

/** One `reconcile --json` child process, to completion (10 minutes at most). */
export async function runCli(
  options: CliOptions,
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

/** The CLI's JSON summary: the last line of `text` that parses as one. */
export function lastJsonLine(text: string): ReconcileSummaryJson | null {
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
