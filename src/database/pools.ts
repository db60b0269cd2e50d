import type { Logger } from '@nestjs/common';
import pg from 'pg';

/** Each pool's clients whose connections are still open (their 'end' not yet seen). */
const openClients = new WeakMap<pg.Pool, Set<pg.PoolClient>>();

/**
 * A pg pool that survives lost connections and can be ended completely (endPool).
 *
 * A connection Postgres ends (pg_terminate_backend, a restart, a failover) emits 'error' on its
 * client; pg-pool listens only while the client is idle, and an 'error' event with no listener
 * ends the process. Every client gets a listener of its own for its whole life: the request or job
 * holding it then fails on its next query (503 or a job retry), and the pool drops the client.
 */
export function openPool(config: pg.PoolConfig, logger: Logger): pg.Pool {
  const pool = new pg.Pool(config);
  const open = new Set<pg.PoolClient>();
  openClients.set(pool, open);
  pool.on('error', (error) => logger.warn({ reason: error.message }, 'an idle database connection was lost'));
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
    client.on('error', (error) => logger.warn({ reason: error.message }, 'a database connection in use was lost'));
  });
  return pool;
}

/**
 * Ends the pool and resolves once every connection is closed. pg-pool's own end() resolves when
 * no client is checked out, while the connections it has just told to end are still open (pg-pool
 * 3.x, _pulseQueue); a database dropped or stopped then would end them with an error.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  await pool.end().catch(() => undefined); // a second end() rejects; the first one's work counts
  const closing = [...(openClients.get(pool) ?? [])];
  await Promise.all(closing.map((client) => new Promise((resolve) => client.once('end', resolve))));
}
