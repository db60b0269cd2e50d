import type { Logger } from '@nestjs/common';
import pg from 'pg';
import { sqlOn, type Sql } from './sql.js';

/** Each pool's clients whose connections are still open (their 'end' not yet seen). */
const openClients = new WeakMap<pg.Pool, Set<pg.PoolClient>>();

/**
 * A pg pool that survives lost connections: pg-pool listens for a client's 'error' only while it is idle, and an unheard
 * 'error' ends the process, so every client gets a listener for life (docs/design.md, "How the mirror stays correct").
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
 * Ends the pool once every connection is closed: pg-pool 3.x's end() resolves while its connections are still closing
 * (_pulseQueue), and a database dropped or stopped then would end them with an error.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  await pool.end().catch(() => undefined); // a second end() rejects; the first one's work counts
  const closing = [...(openClients.get(pool) ?? [])];
  await Promise.all(closing.map((client) => new Promise((resolve) => client.once('end', resolve))));
}

/** Runs `work` in one transaction on a connection of `pool`, rolled back if it throws. */
export async function transactionOn<T>(pool: pg.Pool, work: (tx: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(sqlOn(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    // A connection that could not even roll back is destroyed, not reused.
    client.release(broken);
  }
}
