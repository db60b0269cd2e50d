// The pull intake measured against GoTrue's schema in a database of its own on the bench's Postgres,
// with the real install SQL: (1) draining a backlog of changes committed while no service ran;
// (2) the lag from a change's commit to its mirror row while changes are committed at a steady rate.
import pg from 'pg';
import { installAuthmirror, installSupabaseSchemas, intakeRoleUrl } from '../dev/supabase-database.js';
import { percentile } from './measure.js';

export interface IntakeResult {
  drain: { changes: number; fillMs: number; applyMs: number; perSecond: number };
  lag: {
    targetPerSecond: number;
    seconds: number;
    committed: number;
    committedPerSecond: number;
    latencyMs: { p50: number; p99: number; max: number };
    backlog: { max: number; atEnd: number };
  };
}

export interface IntakeOptions {
  /** Creates an empty database and returns its URL. */
  createSupabase: () => Promise<string>;
  /** The mirror's (migrated, empty) database. */
  mirrorUrl: string;
  /** Starts the API pulling from `supabaseDbUrl`; resolves when it answers. */
  startApi: (supabaseDbUrl: string) => Promise<{ stop(): Promise<void> }>;
  changes: number;
  ratePerSecond: number;
  seconds: number;
  log: (line: string) => void;
}

const FILL_CHUNK = 20_000;
const TICK_MS = 10;

export async function measureIntake(options: IntakeOptions): Promise<IntakeResult> {
  const supabaseUrl = await options.createSupabase();
  await installSupabaseSchemas(supabaseUrl);
  await installAuthmirror(supabaseUrl, { pull: { notify: true } });
  const intakeUrl = await intakeRoleUrl(supabaseUrl);
  const auth = new pg.Pool({ connectionString: supabaseUrl, max: 4 });
  const mirror = new pg.Pool({ connectionString: options.mirrorUrl, max: 2 });
  try {
    options.log(`committing ${options.changes.toLocaleString('en')} new users in auth.users with no service running`);
    const fillStarted = Date.now();
    for (let done = 0; done < options.changes; done += FILL_CHUNK) {
      await auth.query(
        `INSERT INTO auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, email_confirmed_at)
         SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'intake-' || i || '@example.com',
                '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), now()
           FROM generate_series($1::int, $2::int) AS i`,
        [done + 1, Math.min(done + FILL_CHUNK, options.changes)],
      );
    }
    const fillMs = Date.now() - fillStarted;
    options.log('starting the API with the pull intake; measuring the drain');
    const api = await options.startApi(intakeUrl);
    try {
      await waitFor(async () => (await count(auth, 'authmirror.user_changes')) === 0);
      const { rows } = await mirror.query<{ n: number; ms: number }>(
        `SELECT count(*)::int AS n, extract(epoch FROM max(synced_at) - min(synced_at)) * 1000 AS ms FROM users`,
      );
      const applyMs = Math.max(1, Math.round(rows[0].ms));
      const drain = { changes: rows[0].n, fillMs, applyMs, perSecond: Math.round((rows[0].n / applyMs) * 1000) };
      options.log(`measuring the lag at ${options.ratePerSecond} changes/s for ${options.seconds} s`);
      const lag = await measureLag(auth, mirror, options);
      return { drain, lag };
    } finally {
      await api.stop();
    }
  } finally {
    await Promise.all([auth.end(), mirror.end()]);
  }
}

/** Commits ratePerSecond changes a second, each to a user not changed before in the run, and reads each one's lag from the mirror. */
async function measureLag(auth: pg.Pool, mirror: pg.Pool, options: IntakeOptions): Promise<IntakeResult['lag']> {
  const perTick = Math.max(1, Math.round((options.ratePerSecond * TICK_MS) / 1000));
  const ticks = Math.round((options.seconds * 1000) / TICK_MS);
  const { rows } = await auth.query<{ id: string }>('SELECT id FROM auth.users ORDER BY id LIMIT $1', [perTick * ticks]);
  const ids = rows.map((row) => row.id);
  const backlog: number[] = [];
  const sampler = setInterval(() => void count(auth, 'authmirror.user_changes').then((n) => backlog.push(n)), 250);
  const started = Date.now();
  const pending: Promise<unknown>[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const due = started + tick * TICK_MS;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    pending.push(
      auth.query(
        `UPDATE auth.users SET raw_user_meta_data = jsonb_build_object('bench_at', clock_timestamp()), updated_at = clock_timestamp()
          WHERE id = ANY($1::uuid[])`,
        [ids.slice(tick * perTick, (tick + 1) * perTick)],
      ),
    );
  }
  await Promise.all(pending);
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const atEnd = await count(auth, 'authmirror.user_changes');
  await waitFor(async () => (await count(auth, 'authmirror.user_changes')) === 0);
  const lags = (
    await mirror.query<{ ms: number }>(
      `SELECT extract(epoch FROM synced_at - (user_metadata ->> 'bench_at')::timestamptz) * 1000 AS ms FROM users WHERE id = ANY($1::uuid[])`,
      [ids],
    )
  ).rows
    .map((row) => row.ms)
    .sort((a, b) => a - b);
  return {
    targetPerSecond: options.ratePerSecond,
    seconds,
    committed: ids.length,
    committedPerSecond: Math.round(ids.length / seconds),
    latencyMs: { p50: round(percentile(lags, 50)), p99: round(percentile(lags, 99)), max: round(lags.at(-1) ?? 0) },
    backlog: { max: Math.max(0, ...backlog), atEnd },
  };
}

async function count(pool: pg.Pool, table: string): Promise<number> {
  return (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the pull intake did not empty the outbox in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
