// The auth stand-in, pre-filled: starts it in this process (the standalone entry has no bulk
// insertion, and 100,000 `POST /admin/users` would take minutes), inserts BENCH_AUTH_USERS
// confirmed email users directly into its store, then prints one JSON line on stdout:
// {"ready":true,"url":…,"users":…,"insertMs":…}. Stops on SIGTERM / SIGINT.
//
// Env: PORT, HOST (default 127.0.0.1), BENCH_AUTH_USERS (default 100000),
// BENCH_AUTH_LIST_DELAY_MS (answer each listUsers request that late, as across a network; default 0),
// BENCH_AUTH_PHONES=1
// (the lookup section: user i also holds the phone 1415 + (i + 1) on 7 digits, stored without
// '+' as Supabase does, and a lookup-… email instead of reconcile-…).
import { startAuthServer } from '../dev/auth-server/server.js';

const count = Number(process.env.BENCH_AUTH_USERS ?? 100_000);
if (!Number.isInteger(count) || count < 0)
  throw new Error(`BENCH_AUTH_USERS must be a whole number, got "${process.env.BENCH_AUTH_USERS}"`);

const server = await startAuthServer({
  port: Number(process.env.PORT ?? 0),
  host: process.env.HOST || '127.0.0.1',
  signing: 'es256',
  autoconfirm: true,
  quiet: true,
});
const started = performance.now();
const phones = /^(1|true|yes)$/i.test(process.env.BENCH_AUTH_PHONES ?? '');
server.admin.bulkInsert(
  count,
  phones
    ? (i) => ({
        email: `lookup-${i}@example.test`,
        phone: `1415${String(i + 1).padStart(7, '0')}`,
        raw_user_meta_data: { first_name: `Lookup${i}`, last_name: 'User', n: i },
      })
    : (i) => ({
        email: `reconcile-${i}@example.test`,
        raw_user_meta_data: { first_name: `Reconcile${i}`, last_name: 'User', n: i },
      }),
);
const insertMs = Math.round(performance.now() - started);
const listDelayMs = Number(process.env.BENCH_AUTH_LIST_DELAY_MS ?? 0);
if (!Number.isFinite(listDelayMs) || listDelayMs < 0)
  throw new Error(`BENCH_AUTH_LIST_DELAY_MS must be a number of ms, got "${process.env.BENCH_AUTH_LIST_DELAY_MS}"`);
if (listDelayMs > 0) server.faults.add({ method: 'GET', path: /^\/auth\/v1\/admin\/users\?/, status: 200, delayMs: listDelayMs });
process.stdout.write(`${JSON.stringify({ ready: true, url: server.url, users: server.admin.userCount(), insertMs })}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
