// `npm run reconcile`: one run against the configured database and Supabase project. Exit codes: 0 done (no user failed),
// 1 any failure (usage, configuration, a page, a user), 2 another run holds the lock (docs/operations.md, "Reconcile").
// Nest and the app are imported once the heap flags are in place (reexecWithHeapFlags): static imports would load them first.
import type { INestApplicationContext } from '@nestjs/common';
import { parseArgs } from 'node:util';
import type { AppConfig } from '../config/config.js';
import type { ReconcileSummary } from '../reconcile/reconcile-run.js';
import { reexecWithHeapFlags } from './reconcile-heap.js';

const USAGE = 'usage: reconcile [--dry-run] [--per-page N] [--json] [--help]';

const HELP = `${USAGE}

Mirrors every Supabase user into the local database: creates missing users, refreshes stale
ones, deletes the ones Supabase no longer has (or has soft-deleted). Settings come from the
environment, as for the service (DATABASE_URL, SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, ...).

  --dry-run      count what would change; write nothing
  --per-page N   users per listUsers page (default 1000)
  --json         print one JSON summary on stdout and nothing else
  --help         this text

Exit status: 0 done, 1 failed (or some users could not be reconciled), 2 another reconcile is running.
`;

interface Args {
  dryRun: boolean;
  perPage: number;
  json: boolean;
}

function parse(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean', default: false },
      'per-page': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  let perPage = 1000;
  if (values['per-page'] !== undefined) {
    perPage = Number(values['per-page']);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 10_000)
      throw new UsageError('--per-page must be an integer between 1 and 10000');
  }
  return { dryRun: values['dry-run'] ?? false, perPage, json: values.json ?? false };
}

class UsageError extends Error {}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}

function fail(message: string, code: number): never {
  process.stderr.write(`reconcile: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 1);
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  reexecWithHeapFlags();
  await import('reflect-metadata');
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../app.module.js');
  const { ConfigError, loadConfig } = await import('../config/config.js');
  const { formatSummary, ProgressBar } = await import('./reconcile-progress.js');
  const { ReconcileAlreadyRunningError } = await import('../reconcile/reconcile-run.js');
  const { ReconcileService } = await import('../reconcile/reconcile.service.js');

  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`, 1);
    throw error;
  }

  // No HTTP server, no background jobs (the run is this process's only work), no Nest log lines
  // (stdout is for the summary; the service's warnings would break --json).
  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(AppModule.forRoot({ ...config, jobsEnabled: false }), {
      logger: false,
      abortOnError: false,
    });
  } catch (error) {
    fail(`could not start: ${firstLine(error)}`, 1);
  }
  const bar = !args.json && process.stderr.isTTY ? new ProgressBar(process.stderr) : null;
  let summary: ReconcileSummary;
  try {
    summary = await app.get(ReconcileService).run({
      dryRun: args.dryRun,
      perPage: args.perPage,
      onProgress: bar ? (progress) => bar.update(progress) : undefined,
    });
  } catch (error) {
    bar?.finish();
    await app.close().catch(() => undefined);
    if (error instanceof ReconcileAlreadyRunningError) {
      if (args.json) process.stdout.write(`${JSON.stringify({ error: 'already_running', message: error.message })}\n`);
      else process.stderr.write(`reconcile: ${error.message}; try again later\n`);
      return 2;
    }
    if (args.json) process.stdout.write(`${JSON.stringify({ error: 'failed', message: (error as Error).message })}\n`);
    else process.stderr.write(`reconcile: failed: ${firstLine(error)}\n`);
    return 1;
  }
  bar?.finish();
  await app.close();
  if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stdout.write(formatSummary(summary));
  return summary.complete && summary.failed === 0 ? 0 : 1;
}

process.exitCode = await main();
