import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { endPool, openPool } from './pools.js';

/**
 * Runs one SQL statement with positional parameters (`$1`, `$2`, …) and returns its rows. The
 * mirror's conditional upserts are long SQL that must run in every path (a request, a delivery's
 * transaction, a reconcile page), so repositories write them against this interface.
 */
export interface Sql {
  query<Row = Record<string, unknown>>(statement: Statement, values?: readonly unknown[]): Promise<Row[]>;
  /** Like query, and returns the number of rows affected. */
  execute(statement: Statement, values?: readonly unknown[]): Promise<number>;
}

/** SQL text, or a named statement that each connection prepares once and reuses. */
export type Statement = string | PreparedStatement;

export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * A statement on the hot path (sync, deliveries, GET /users/me): prepared once per connection and
 * run with a generic plan, so Postgres stops re-planning the mirror's long upserts on every call
 * (planning cost them more than running; measured by `npm run bench`).
 */
export function prepared(name: string, text: string): PreparedStatement {
  return { name, text };
}

/** `Sql` on a pool, or on one client the caller holds (a session's temp tables and locks). */
export function sqlOn(queryable: pg.Pool | pg.PoolClient): Sql {
  const run = (statement: Statement, values: readonly unknown[]) =>
    typeof statement === 'string'
      ? queryable.query(statement, values as unknown[])
      : queryable.query({ name: statement.name, text: statement.text, values: values as unknown[] });
  return {
    async query<Row>(statement: Statement, values: readonly unknown[] = []) {
      return (await run(statement, values)).rows as Row[];
    },
    async execute(statement: Statement, values: readonly unknown[] = []) {
      return (await run(statement, values)).rowCount ?? 0;
    },
  };
}

/**
 * The database: one `pg` pool, shared by the Prisma client (driver adapter; no native engine) and
 * by `sql`/`transaction` for the mirror's hot SQL, which skips Prisma's per-query overhead
 * (measured by `npm run bench`).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  readonly pool: pg.Pool;
  /** Statements outside a transaction (each its own implicit transaction). */
  readonly sql: Sql;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = openPool(
      {
        connectionString: config.databaseUrl,
        max: config.databasePoolSize,
        connectionTimeoutMillis: 5_000,
        application_name: 'authmirror',
        // Prepared statements (see `prepared`) keep one generic plan instead of planning each call.
        options: '-c plan_cache_mode=force_generic_plan',
      },
      new Logger(PrismaService.name),
    );
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
    this.sql = sqlOn(pool);
  }

  /**
   * Runs `work` in one transaction on one connection; rolls back if it throws. With `retryOnceIf`,
   * a transaction that failed with such an error (a lost race that a fresh attempt resolves) runs
   * once more from the start.
   */
  async transaction<T>(work: (sql: Sql) => Promise<T>, options: { retryOnceIf?: (error: unknown) => boolean } = {}): Promise<T> {
    try {
      return await this.transactionOnce(work);
    } catch (error) {
      if (!options.retryOnceIf?.(error)) throw error;
      return this.transactionOnce(work);
    }
  }

  private async transactionOnce<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
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

  /** After the HTTP server has answered its last request (Nest runs this hook after closing it). */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await endPool(this.pool);
  }
}
