import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { endPool, openPool } from './pools.js';
import { sqlOn, type Sql } from './sql.js';

/**
 * The database: one `pg` pool, `sql` for statements on their own and `transaction` for units of
 * work. The mirror is written in SQL, not through an ORM, because its writes are single
 * statements that decide races in Postgres (conditional upserts that only let a newer version
 * win, a tombstone that is never overwritten, a delivery claimed in the statement that applies
 * it) and they run on every sync and delivery: prepared once per connection, they skip the
 * per-query cost an ORM adds (measured by `npm run bench`). Simple typed reads may use Prisma
 * Client (PrismaService), on this same pool. See docs/design.md, "Data access".
 */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  readonly pool: pg.Pool;
  /** Statements outside a transaction (each its own implicit transaction). */
  readonly sql: Sql;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = openPool(
      {
        connectionString: config.databaseUrl,
        max: config.databasePoolSize,
        connectionTimeoutMillis: 5_000,
        application_name: 'authmirror',
        // Prepared statements (see `prepared`) keep one generic plan instead of planning each call.
        options: '-c plan_cache_mode=force_generic_plan',
      },
      new Logger(DatabaseService.name),
    );
    this.sql = sqlOn(this.pool);
  }

  /**
   * Runs `work` in one transaction on one connection; rolls back if it throws. With `retryOnceIf`,
   * a transaction that failed with such an error (a lost race that a fresh attempt resolves) runs
   * once more from the start.
   */
  async transaction<T>(work: (tx: Sql) => Promise<T>, options: { retryOnceIf?: (error: unknown) => boolean } = {}): Promise<T> {
    try {
      return await this.transactionOnce(work);
    } catch (error) {
      if (!options.retryOnceIf?.(error)) throw error;
      return this.transactionOnce(work);
    }
  }

  private async transactionOnce<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
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
    await endPool(this.pool);
  }
}
