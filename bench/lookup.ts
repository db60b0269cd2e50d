// Phone lookup at scale (default 100,000 users): the API's `GET /users/lookup` (an index lookup
// in the mirror) against the old approach, paging through Supabase's listUsers until the number
// turns up.
//
//   - the mirror: N live users with distinct numbers +1415 0000001 … inserted directly with pg,
//     each with a profile, then ANALYZE;
//   - the auth stand-in, pre-filled in its own process with the same N numbers (stored without
//     '+', as Supabase does) (auth-with-users.ts, BENCH_AUTH_PHONES=1);
//   - (a) autocannon on the API, one signed-in (synced) caller, a random existing number per
//     request, each answer checked to be 200 (the API's lookup rate limit must be off);
//   - (a1) the same lookup one at a time (fetch, timed here to 0.01 ms): the API's latency at the
//     old approach's concurrency, the denominator of the ratio (autocannon's p50 at many clients
//     is mostly queueing on a small machine, and has a 1 ms resolution);
//   - (b) `auth.admin.listUsers({ page, perPage })` from page 1 until the user with the number is
//     found (next page computed here: supabase-js parses page numbers ≥ 10 wrongly), for a few
//     random numbers, one after the other.
import { createClient } from '@supabase/supabase-js';
import autocannon from 'autocannon';
import { join } from 'node:path';
import pg from 'pg';
import { cpuSnapshot, type CpuRoles } from './cpu.js';
import { percentile, summarise, type Measurement } from './measure.js';
import { BENCH_DIST, spawnNode, waitForLine } from './processes.js';
import type { BenchUser } from './users.js';

export interface LookupOptions {
  apiUrl: string;
  databaseUrl: string;
  /** The signed-in, synced caller. */
  caller: BenchUser;
  users: number;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** How many random numbers the old approach looks up. */
  oldSamples: number;
  /** Lookups timed one at a time on the API, (a1). */
  sequentialSamples: number;
  perPage: number;
  /** A free port for the pre-filled auth stand-in. */
  authPort: number;
  serviceRoleKey: string;
  cpu: CpuRoles;
  log: (message: string) => void;
}

export interface LookupResult {
  measurement: Measurement;
  users: number;
  seedMs: { mirror: number; auth: number };
  old: {
    samples: number;
    perPage: number;
    latencyMs: { p50: number; p99: number; min: number; max: number; mean: number };
    /** Pages read per lookup, on average. */
    meanPages: number;
    timingsMs: number[];
  };
  /** (a1): the API, one lookup at a time. */
  sequential: { samples: number; latencyMs: { p50: number; p99: number; mean: number } };
  /** old p50 ÷ API p50, both one lookup at a time: (b) ÷ (a1). */
  ratio: number;
  /** old p50 ÷ the API's p50 under load, (b) ÷ (a) (an autocannon p50 of 0 ms counted as 1 ms). */
  ratioUnderLoad: number;
  problems: string[];
}

const phoneOf = (n: number) => `+1415${String(n).padStart(7, '0')}`;

async function seedMirror(databaseUrl: string, users: number): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO users (id, phone, updated_at)
       SELECT gen_random_uuid(), '+1415' || lpad(n::text, 7, '0'), now() FROM generate_series(1, $1::int) n`,
      [users],
    );
    await client.query(
      `INSERT INTO profiles (user_id, display_name) SELECT id, 'User' FROM users WHERE phone IS NOT NULL ON CONFLICT DO NOTHING`,
    );
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  return Math.round(performance.now() - started);
}

function runLookups(options: LookupOptions, durationSeconds: number): Promise<autocannon.Result> {
  const headers = { authorization: `Bearer ${options.caller.accessToken}` };
  return autocannon({
    url: options.apiUrl,
    connections: options.connections,
    duration: durationSeconds,
    timeout: 10,
    // Every answer must name a seeded holder (mismatches count as errors).
    verifyBody: (body) => body.includes('"displayName":"User"'),
    requests: [
      {
        method: 'GET',
        path: '/users/lookup',
        setupRequest: (request) => {
          request.path = `/users/lookup?phone=${encodeURIComponent(phoneOf(1 + Math.floor(Math.random() * options.users)))}`;
          request.headers = headers;
          return request;
        },
      },
    ],
  });
}

export async function measureLookup(options: LookupOptions): Promise<LookupResult> {
  const problems: string[] = [];
  options.log(`seeding the mirror with ${options.users} users with phones; the auth stand-in with the same ${options.users}`);
  const auth = spawnNode('auth stand-in (pre-filled, phones)', join(BENCH_DIST, 'auth-with-users.js'), {
    PORT: String(options.authPort),
    HOST: '127.0.0.1',
    BENCH_AUTH_USERS: String(options.users),
    BENCH_AUTH_PHONES: '1',
  });
  try {
    const [mirrorMs, ready] = await Promise.all([
      seedMirror(options.databaseUrl, options.users),
      waitForLine(auth, /^\{"ready":true.*\}$/m, 120_000).then(
        (line) => JSON.parse(line) as { url: string; users: number; insertMs: number },
      ),
    ]);
    if (ready.users !== options.users) problems.push(`the auth stand-in holds ${ready.users} users, expected ${options.users}`);

    // A correctness check first: one known number answers its holder.
    const probe = Math.ceil(options.users / 2);
    const client = new pg.Client({ connectionString: options.databaseUrl });
    await client.connect();
    let expectedId: string | undefined;
    try {
      expectedId = (await client.query<{ id: string }>('SELECT id FROM users WHERE phone = $1', [phoneOf(probe)])).rows[0]?.id;
    } finally {
      await client.end();
    }
    const response = await fetch(`${options.apiUrl}/users/lookup?phone=${encodeURIComponent(phoneOf(probe))}`, {
      headers: { authorization: `Bearer ${options.caller.accessToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    if (response.status !== 200 || (JSON.parse(body) as { id?: string }).id !== expectedId) {
      throw new Error(`GET /users/lookup?phone=${phoneOf(probe)} answered ${response.status} ${body}, expected 200 with id ${expectedId}`);
    }

    options.log(
      `(a) GET /users/lookup on the API, ${options.connections} connections (${options.warmupSeconds} s warm-up + ${options.durationSeconds} s)`,
    );
    let warmupFailures = 0;
    if (options.warmupSeconds > 0) {
      const warm = await runLookups(options, options.warmupSeconds);
      warmupFailures = warm.non2xx + warm.errors + (warm.mismatches ?? 0);
    }
    const cpuBefore = cpuSnapshot(options.cpu);
    const result = await runLookups(options, options.durationSeconds);
    const cpuAfter = cpuSnapshot(options.cpu);
    const measurement = summarise(
      {
        name: `API  GET /users/lookup (${options.users.toLocaleString('en')} users)`,
        method: 'GET',
        url: `${options.apiUrl}/users/lookup?phone=…`,
        connections: options.connections,
        warmupFailures,
      },
      result,
      cpuBefore,
      cpuAfter,
    );

    options.log(`(a1) GET /users/lookup on the API, ${options.sequentialSamples} one at a time`);
    const lookupOnce = async (n: number) => {
      const started = performance.now();
      const reply = await fetch(`${options.apiUrl}/users/lookup?phone=${encodeURIComponent(phoneOf(n))}`, {
        headers: { authorization: `Bearer ${options.caller.accessToken}` },
        signal: AbortSignal.timeout(10_000),
      });
      const text = await reply.text();
      const ms = performance.now() - started;
      if (reply.status !== 200 || !text.includes('"displayName":"User"'))
        problems.push(`(a1) ${phoneOf(n)} answered ${reply.status} ${text.slice(0, 200)}`);
      return ms;
    };
    const randomNumber = () => 1 + Math.floor(Math.random() * options.users);
    for (let i = 0; i < 50; i++) await lookupOnce(randomNumber()); // warm-up
    const sequentialMs: number[] = [];
    for (let i = 0; i < options.sequentialSamples; i++) sequentialMs.push(await lookupOnce(randomNumber()));
    const sequentialSorted = [...sequentialMs].sort((x, y) => x - y);
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const sequential = {
      samples: sequentialMs.length,
      latencyMs: {
        p50: round2(percentile(sequentialSorted, 50)),
        p99: round2(percentile(sequentialSorted, 99)),
        mean: round2(sequentialMs.reduce((a, b) => a + b, 0) / Math.max(1, sequentialMs.length)),
      },
    };

    options.log(
      `(b) old approach: listUsers paging, ${options.perPage} per page, ${options.oldSamples} random numbers one after the other`,
    );
    const supabase = createClient(ready.url, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    const findByPaging = async (phone: string): Promise<{ pages: number; id: string | null }> => {
      const stored = phone.replace(/^\+/, '');
      for (let page = 1; ; page++) {
        const { data, error } = await supabase.auth.admin.listUsers({ page, perPage: options.perPage });
        if (error) throw new Error(`listUsers page ${page} failed: ${error.message}`);
        const hit = data.users.find((user) => user.phone === stored);
        if (hit) return { pages: page, id: hit.id };
        if (data.users.length < options.perPage) return { pages: page, id: null };
      }
    };
    await findByPaging(phoneOf(Math.min(options.users, 3 * options.perPage))); // warm-up (JIT, the stand-in's sorted list)
    const timings: number[] = [];
    let pages = 0;
    for (let i = 0; i < options.oldSamples; i++) {
      const phone = phoneOf(randomNumber());
      const started = performance.now();
      const found = await findByPaging(phone);
      timings.push(performance.now() - started);
      pages += found.pages;
      if (!found.id) problems.push(`old approach: ${phone} not found in the auth stand-in`);
    }
    const sorted = [...timings].sort((x, y) => x - y);
    const old = {
      samples: timings.length,
      perPage: options.perPage,
      latencyMs: {
        p50: Math.round(percentile(sorted, 50)),
        p99: Math.round(percentile(sorted, 99)),
        min: Math.round(sorted[0] ?? 0),
        max: Math.round(sorted[sorted.length - 1] ?? 0),
        mean: Math.round(timings.reduce((a, b) => a + b, 0) / Math.max(1, timings.length)),
      },
      meanPages: Math.round((pages / Math.max(1, timings.length)) * 10) / 10,
      timingsMs: timings.map((t) => Math.round(t)),
    };
    const ratio = old.latencyMs.p50 / Math.max(0.01, sequential.latencyMs.p50);
    const ratioUnderLoad = old.latencyMs.p50 / Math.max(1, measurement.latencyMs.p50);
    return {
      measurement,
      users: options.users,
      seedMs: { mirror: mirrorMs, auth: ready.insertMs },
      sequential,
      old,
      ratio,
      ratioUnderLoad,
      problems,
    };
  } finally {
    await auth.stop();
  }
}
