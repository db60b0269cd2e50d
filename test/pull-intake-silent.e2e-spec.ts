// The intake's Supabase connection goes silent mid-batch (a network partition, a NAT or load
// balancer dropping the flow: no RST ever arrives), while its batch holds the leader's advisory
// lock. The server ends the idle batch transaction (idle_in_transaction_session_timeout), so another
// instance leads the next batch; the client's query timeout lets the silent instance shut down.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import pg from 'pg';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

/** A TCP relay that can go silent: bytes are swallowed both ways, sockets stay open. */
async function startRelay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let silent = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (data) => silent || upstream.write(data));
    upstream.on('data', (data) => silent || client.write(data));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    goSilent: () => (silent = true),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> =>
  Promise.race([promise, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref())]);

describe('pull intake: a Supabase connection gone silent mid-batch', () => {
  let stack: TestStack;
  let supabase: LocalSupabase;
  let auth: pg.Pool;
  let intakeUrl: string;

  beforeAll(async () => {
    supabase = await startLocalSupabase({ pull: true });
    auth = supabase.auth;
    intakeUrl = supabase.intakeUrl;
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.close();
    await supabase?.close();
  });

  const create = () => supabase.createUser('silent');
  const outbox = () => supabase.outbox();
  const mirrored = async (id: string) => (await stack.db.query('SELECT 1 FROM users WHERE id = $1', [id])).rowCount === 1;

  it('keeps pulling on another instance, and shuts down, when one instance loses its connection silently', async () => {
    const direct = new URL(intakeUrl);
    const relay = await startRelay({ host: direct.hostname, port: Number(direct.port) });
    const viaRelay = new URL(intakeUrl);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(relay.port);
    const first = await stack.secondInstance({ SUPABASE_DB_URL: viaRelay.toString(), SUPABASE_PULL_INTERVAL_MS: '100' });
    let second: Awaited<ReturnType<TestStack['secondInstance']>> | null = null;
    let mirrorLock: pg.PoolClient | null = null;
    try {
      // A user the first instance mirrors; then hold that user's mirror row so the next batch stays open mid-way.
      const held = await create();
      await eventually(() => mirrored(held), Boolean);
      mirrorLock = await stack.db.connect();
      await mirrorLock.query('BEGIN');
      await mirrorLock.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [held]);
      await auth.query(`UPDATE auth.users SET raw_user_meta_data = '{"x": 1}', updated_at = now() WHERE id = $1`, [held]);
      // The batch has claimed (advisory lock taken) and is applying it: the Supabase session is idle in transaction.
      await eventually(
        async () =>
          (
            await auth.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'authmirror-intake' AND state = 'idle in transaction'`,
            )
          ).rows[0].n,
        (n) => n === 1,
      );
      relay.goSilent(); // the network drops the flow
      await mirrorLock.query('COMMIT'); // the mirror is fine; the batch finishes there and sends DELETE/COMMIT into the void
      mirrorLock.release();
      mirrorLock = null;

      // A healthy instance with a direct connection should take over the pulling.
      second = await stack.secondInstance({ SUPABASE_DB_URL: intakeUrl, SUPABASE_PULL_INTERVAL_MS: '100' });
      const later = await create();
      const pulledElsewhere = await eventually(() => mirrored(later), Boolean, 15_000).then(
        () => 'pulled',
        async () => `not pulled: ${await outbox()} changes waiting, the silent session holds the advisory lock`,
      );
      // SIGTERM on the first instance: Nest's close() awaits PullIntakeService.beforeApplicationShutdown.
      const closing = first.app.close().then(() => 'closed');
      const shutdown = await within(closing, 15_000);
      expect({ pulledElsewhere, shutdown }).toEqual({ pulledElsewhere: 'pulled', shutdown: 'closed' });
    } finally {
      if (mirrorLock) {
        await mirrorLock.query('ROLLBACK').catch(() => undefined);
        mirrorLock.release();
      }
      await relay.close(); // the RST finally arrives: everything unblocks
      await second?.app.close().catch(() => undefined);
      await first.app.close().catch(() => undefined);
    }
  }, 90_000);
});
