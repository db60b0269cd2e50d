// The operator's window at scale (default 1,000,000 users, admin-seed.ts): GET /admin/users for
// each filter and sort and GET /admin/stats, over HTTP against the API as an admin, one request at
// a time (an operator's page asks one thing at a time); then each figure of the stats alone, by
// the very functions the service runs (src/admin/admin-stats.sql.ts) on a pool set up as the
// API's (generic plans), so that each figure has its own p50/p99. Every request has values of its
// own (admin-seed.ts, admin-cases.ts); `active` and `providers` take no range and are asked again.
import { createClient } from '@supabase/supabase-js';
import pg from 'pg';
import { DEV_KEYS } from '../dev/auth-server/dev-keys.js';
import { readActive, readDeletions, readOnboarding, readProviders, readSignups, type StatsRange } from '../src/admin/admin-stats.sql.js';
import { sqlOn, type Sql } from '../src/database/sql.js';
import { randomRange, statsCase, usersCases, type HttpCase } from './admin-cases.js';
import { seedAdminMirror, type AdminSeed } from './admin-seed.js';
import { percentile } from './measure.js';
import { createUsers, syncUsers } from './users.js';

export interface AdminOptions {
  apiUrl: string;
  authUrl: string;
  databaseUrl: string;
  users: number;
  samples: number;
  runId: string;
  log: (message: string) => void;
}

export interface LatencyCase {
  name: string;
  samples: number;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface AdminResult {
  seed: AdminSeed;
  /** GET /admin/users, one case per filter and sort. */
  users: LatencyCase[];
  /** GET /admin/stats, whole answers. */
  stats: LatencyCase[];
  /** Each figure's SQL alone, the figure's name first (`signups, 365 days`). */
  figures: LatencyCase[];
  problems: string[];
}

const WARM_UP = 3;
const round1 = (ms: number) => Math.round(ms * 10) / 10;

function summary(name: string, timings: number[]): LatencyCase {
  const sorted = [...timings].sort((a, b) => a - b);
  return {
    name,
    samples: timings.length,
    latencyMs: { p50: round1(percentile(sorted, 50)), p99: round1(percentile(sorted, 99)), max: round1(sorted.at(-1) ?? 0) },
  };
}

/** A user of the stand-in with `app_metadata.roles: ["admin"]`, signed in after the grant (its token carries it), synced. */
async function signedInAdmin(options: AdminOptions): Promise<string> {
  const [user] = await createUsers(options.authUrl, DEV_KEYS.anonKey, 1, `${options.runId}-admin`);
  const clientOptions = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };
  const service = createClient(options.authUrl, DEV_KEYS.serviceRoleKey, clientOptions);
  const granted = await service.auth.admin.updateUserById(user.id, { app_metadata: { roles: ['admin'] } });
  if (granted.error) throw new Error(`could not make ${user.email} an admin: ${granted.error.message}`);
  const anon = createClient(options.authUrl, DEV_KEYS.anonKey, clientOptions);
  const signIn = await anon.auth.signInWithPassword({ email: user.email, password: 'bench-password-0' });
  if (signIn.error) throw new Error(`the admin's sign-in failed: ${signIn.error.message}`);
  const admin = { ...user, accessToken: signIn.data.session.access_token };
  await syncUsers(options.apiUrl, [admin]);
  return admin.accessToken;
}

async function timeHttp(options: AdminOptions, token: string, test: HttpCase, problems: string[]): Promise<LatencyCase> {
  const timings: number[] = [];
  let previous: unknown;
  for (let i = 0; i < WARM_UP + options.samples; i++) {
    const path = test.next(previous);
    const started = performance.now();
    const response = await fetch(`${options.apiUrl}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    previous = response.status === 200 ? JSON.parse(text) : undefined;
    const problem = response.status === 200 ? (test.check?.(previous) ?? null) : `${response.status} ${text.slice(0, 200)}`;
    if (problem && problems.length < 20) problems.push(`${test.name}: ${path}: ${problem}`);
    if (i >= WARM_UP) timings.push(ms);
  }
  return summary(test.name, timings);
}

async function timeFigure(samples: number, name: string, read: () => Promise<unknown>): Promise<LatencyCase> {
  const timings: number[] = [];
  for (let i = 0; i < WARM_UP + samples; i++) {
    const started = performance.now();
    await read();
    if (i >= WARM_UP) timings.push(performance.now() - started);
  }
  return summary(name, timings);
}

/** Each figure alone, on a connection set up as the API's, with a new range for every read. */
async function timeFigures(sql: Sql, samples: number): Promise<LatencyCase[]> {
  const figures: LatencyCase[] = [];
  for (const days of [30, 365]) {
    const ranged = (read: (sql: Sql, range: StatsRange) => Promise<unknown>) => () => read(sql, randomRange(days));
    figures.push(await timeFigure(samples, `signups, ${days} days by day`, ranged(readSignups)));
    figures.push(await timeFigure(samples, `deletions, ${days} days by day`, ranged(readDeletions)));
    figures.push(await timeFigure(samples, `onboarding past signup, ${days} days`, ranged(readOnboarding)));
  }
  figures.push(await timeFigure(samples, 'active (1/7/30 days)', () => readActive(sql)));
  figures.push(await timeFigure(samples, 'providers', () => readProviders(sql)));
  return figures;
}

/** The funnel of a range as the figures give it (signedUp: the signups' total), and as a join of users and profiles does. */
async function checkFunnel(sql: Sql): Promise<string[]> {
  const range = randomRange(30);
  const figure = await readOnboarding(sql, range);
  const [truth] = await sql.query<{ signed_up: number; synced: number; onboarded: number }>(
    `SELECT count(*)::int AS signed_up, count(p.user_id)::int AS synced, count(*) FILTER (WHERE p.onboarding_completed)::int AS onboarded
     FROM users u LEFT JOIN profiles p ON p.user_id = u.id
     WHERE u.created_at >= $1 AND u.created_at < $2 AND u.deleted_at IS NULL`,
    [range.from, range.to],
  );
  const signedUp = (await readSignups(sql, range)).reduce((sum, bucket) => sum + bucket.count, 0);
  const same = signedUp === truth.signed_up && figure.synced === truth.synced && figure.onboarded === truth.onboarded;
  const found = JSON.stringify({ signedUp, ...figure });
  return same ? [] : [`the funnel of ${range.from}…${range.to} is ${found}; the join says ${JSON.stringify(truth)}`];
}

export async function measureAdmin(options: AdminOptions): Promise<AdminResult> {
  options.log(`seeding the mirror with ${options.users.toLocaleString('en')} users for the admin routes`);
  const seed = await seedAdminMirror(options.databaseUrl, options.users, options.log);
  const token = await signedInAdmin(options);
  const problems: string[] = [];

  options.log(`GET /admin/users: each filter and sort, ${options.samples} requests each, one at a time`);
  const users: LatencyCase[] = [];
  for (const test of usersCases(options.users)) users.push(await timeHttp(options, token, test, problems));

  options.log(`GET /admin/stats: a month and a year, by day and by week, ${options.samples} requests each`);
  const stats: LatencyCase[] = [];
  for (const [days, bucket] of [
    [30, 'day'],
    [30, 'week'],
    [365, 'day'],
    [365, 'week'],
  ] as const) {
    stats.push(await timeHttp(options, token, statsCase(days, bucket), problems));
  }

  options.log(`each figure's SQL alone, ${options.samples} reads each`);
  // As the API's pool: generic plans (src/database/database.service.ts).
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1, options: '-c plan_cache_mode=force_generic_plan' });
  try {
    const sql = sqlOn(pool);
    problems.push(...(await checkFunnel(sql)));
    const figures = await timeFigures(sql, options.samples);
    return { seed, users, stats, figures, problems };
  } finally {
    await pool.end();
  }
}
