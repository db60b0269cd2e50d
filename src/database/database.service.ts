import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { endPool, openPool, transactionOn } from './pools.js';
import { sqlOn, type Sql } from './sql.js';

/**
 * The one `pg` pool, `sql` and `transaction`. The mirror is SQL, not an ORM: its single statements decide races in Postgres
 * and run prepared on every sync and delivery (docs/design.md, "Data access").
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

  /** Runs `work` in one transaction, rolled back if it throws; `retryOnceIf` reruns it once after a lost race. */
  async transaction<T>(work: (tx: Sql) => Promise<T>, options: { retryOnceIf?: (error: unknown) => boolean } = {}): Promise<T> {
    try {
      return await this.transactionOnce(work);
    } catch (error) {
      if (!options.retryOnceIf?.(error)) throw error;
      return this.transactionOnce(work);
    }
  }

  private transactionOnce<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return transactionOn(this.pool, work);
  }

  /** After the HTTP server has answered its last request (Nest runs this hook after closing it). */
  async onApplicationShutdown(): Promise<void> {
    await endPool(this.pool);
  }
}
