// The admin-API path next to reconcile by SQL, on the same users: the reconcile CLI without
// SUPABASE_DB_URL, paging the local stand-in, which reads auth.users as GoTrue does (a COUNT, then
// ORDER BY created_at LIMIT … OFFSET …). Each page sorts the table, so over a million users the
// run would take many minutes: it gets a time budget and is stopped, and its pace is what is
// measured (a lower bound on the whole run's time, since later pages cost more than early ones).
import { setTimeout as sleep } from 'node:timers/promises';
import { startAuthServer } from '../dev/auth-server/server.js';
import { lastJsonLine, liveUsers, reconcileCli, type ReconcileSummaryJson } from './reconcile-cli.js';
import { spawnNode } from './processes.js';

export interface AdminPathResult {
  budgetMs: number;
  /** Spawn to exit or to the end of the budget, start-up included. */
  elapsedMs: number;
  /** Whether the CLI finished within the budget. */
  finished: boolean;
  /** GET /admin/users requests the stand-in answered. */
  pages: number;
  /** Users in the mirror when the run ended. */
  mirrored: number;
  usersPerSecond: number;
  /** How long all the users would take at that pace. */
  projectedMs: number;
  /** The CLI's own account, when it finished: users it listed, and whether it judged its listing complete. */
  summary: ReconcileSummaryJson | null;
  /** One GET /admin/users page alone, before the run: the first and the last (GoTrue sorts up to the offset). */
  pageMs: { first: number; last: number };
}

export interface AdminPathOptions {
  root: string;
  supabaseUrl: string;
  mirrorUrl: string;
  /** The CLI's settings but the databases and SUPABASE_URL. */
  env: Record<string, string>;
  users: number;
  perPage: number;
  budgetMs: number;
}

export async function measureAdminPath(options: AdminPathOptions): Promise<AdminPathResult> {
  const auth = await startAuthServer({ quiet: true, databaseUrl: options.supabaseUrl });
  try {
    const timePage = async (page: number) => {
      const started = performance.now();
      const res = await fetch(`${auth.url}/auth/v1/admin/users?page=${page}&per_page=${options.perPage}`, {
        headers: { apikey: auth.keys.serviceRoleKey, authorization: `Bearer ${auth.keys.serviceRoleKey}` },
      });
      await res.arrayBuffer();
      return Math.round(performance.now() - started);
    };
    const pageMs = { first: await timePage(1), last: await timePage(Math.ceil(options.users / options.perPage)) };
    const child = spawnNode(
      'reconcile CLI (admin API)',
      reconcileCli(options.root),
      { ...options.env, DATABASE_URL: options.mirrorUrl, SUPABASE_URL: auth.url },
      [],
      false,
      ['--json', '--per-page', String(options.perPage)],
    );
    const started = performance.now();
    const exited = new Promise<boolean>((resolve) => child.process.once('close', () => resolve(true)));
    const finished = await Promise.race([exited, sleep(options.budgetMs).then(() => false)]);
    const elapsedMs = Math.round(performance.now() - started);
    await child.stop();
    const mirrored = await liveUsers(options.mirrorUrl);
    const usersPerSecond = Math.round(mirrored / (elapsedMs / 1000));
    return {
      budgetMs: options.budgetMs,
      elapsedMs,
      finished,
      pages: auth.stats.count('GET', '/auth/v1/admin/users'),
      mirrored,
      usersPerSecond,
      projectedMs: usersPerSecond > 0 ? Math.round((options.users / usersPerSecond) * 1000) : Infinity,
      summary: finished ? lastJsonLine(child.output()) : null,
      pageMs,
    };
  } finally {
    await auth.close();
  }
}
