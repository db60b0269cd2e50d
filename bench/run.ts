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
//      intake      the pull intake on GoTrue's schema: a backlog of 100,000 changes drained, then the lag
//                  from commit to mirror at 1,000 changes/s for the measurement's duration (intake.ts);
//      reconcile-sql  the reconcile CLI with SUPABASE_DB_URL over 1,000,000 users in GoTrue's auth.users,
//                  empty mirror then unchanged: time, users/s, peak RSS (reconcile-sql.ts); then the admin-API
//                  path on the same users for a time budget: its pace and projected time (reconcile-admin.ts);
//      admin       1,000,000 users (+ profiles, tombstones, deletion records) inserted with SQL; as an admin,
//                  GET /admin/users for each filter and sort and GET /admin/stats (a month and a year, by day
//                  and by week) one request at a time, each with values of its own; then each figure's SQL
//                  alone, by the service's own functions: p50/p99 per case (admin.ts);
//   5. a table, ratios and targets (PASS/FAIL/SKIP) (report/); JSON to .data/bench-latest.json (a run with
//      --only writes .data/bench-latest-only-<sections>.json instead).
//
// Flags: --json (print the JSON only), --duration <s>, --check (exit 1 when a target fails),
//        --only <section,...> (me, sync, deliveries, delete, reconcile, lookup, signup, intake, reconcile-sql, admin; default all).
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
//      BENCH_SIGNUP_DURATION (5), BENCH_INTAKE_CHANGES (100000), BENCH_INTAKE_RATE (1000),
//      BENCH_RECONCILE_SQL_USERS (1000000), BENCH_RECONCILE_ADMIN_SECONDS (60: the admin-API path on the same users; 0 = not run),
//      BENCH_ADMIN_USERS (1000000), BENCH_ADMIN_SAMPLES (100 requests or reads per case);
//      lookup and signup each run 1 s of warm-up first.
//
// This file wires the parts: settings.ts (flags and env), stack.ts (the processes and databases),
// sections/ (one file per section, me and sync together) and report/ (targets, JSON, text).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../dev/migrate.js';
import { log, setQuietLog } from './log.js';
import { buildReport } from './report/build.js';
import { printReport } from './report/print.js';
import { emptyResults } from './results.js';
import { sectionContext, type SectionContext } from './sections/context.js';
import { runAdmin } from './sections/admin.js';
import { runDelete } from './sections/delete.js';
import { runDeliveries } from './sections/deliveries.js';
import { runIntake } from './sections/intake.js';
import { runLookup } from './sections/lookup.js';
import { runMeAndSync } from './sections/me-sync.js';
import { runReconcile } from './sections/reconcile.js';
import { runSqlReconcile } from './sections/reconcile-sql.js';
import { runSignup } from './sections/signup.js';
import { parseSettings, type Section } from './settings.js';
import { cleanup, lastResortCleanup, startStack } from './stack.js';

/** The sections after me and sync, in order; each starts on an idle Postgres (see settle.ts). */
const SETTLED_SECTIONS: ReadonlyArray<readonly [Section, (context: SectionContext) => Promise<void>]> = [
  ['deliveries', runDeliveries],
  ['delete', runDelete],
  ['reconcile', runReconcile],
  ['lookup', runLookup],
  ['signup', runSignup],
  ['intake', runIntake],
  ['reconcile-sql', runSqlReconcile],
  ['admin', runAdmin],
];

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2), process.env);
  setQuietLog(settings.json);
  const root = projectRoot();
  const stack = await startStack(settings, root);
  const has = (section: Section) => settings.sections.includes(section);
  const results = emptyResults();
  const context = sectionContext(settings, stack, root, results);

  if (has('me') || has('sync')) await runMeAndSync(context);
  for (const [section, run] of SETTLED_SECTIONS) {
    if (!has(section)) continue;
    await context.settle(section);
    await run(context);
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
