import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { endPool, openPool, transactionOn } from '../database/pools.js';
import { sqlOn, type Sql } from '../database/sql.js';

/**
 * The Supabase project's own database, as role authmirror_intake (SUPABASE_DB_URL): the pull intake's outbox and reconcile
 * by SQL. Plain statements only, never named prepared ones, and no session state: Supavisor's transaction mode gives each
 * transaction whichever server connection is free.
 */
@Injectable()
export class SupabaseDatabaseService implements OnApplicationShutdown {
  private readonly pool: pg.Pool | null;
  /** Statements outside a transaction; null without SUPABASE_DB_URL. */
  readonly sql: Sql | null;
  readonly url: string | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.url = config.supabase.databaseUrl;
    this.pool =
      this.url === null
        ? null
        : openPool(
            {
              connectionString: this.url,
              max: 3,
              connectionTimeoutMillis: 5_000,
              application_name: 'authmirror-intake',
              // A connection that goes silent fails its query instead of hanging the intake (and shutdown) for good.
              keepAlive: true,
              query_timeout: 10_000,
            },
            new Logger(SupabaseDatabaseService.name),
          );
    this.sql = this.pool === null ? null : sqlOn(this.pool);
  }

  /** The pool, for the metrics; null without SUPABASE_DB_URL. */
  get connectionPool(): pg.Pool | null {
    return this.pool;
  }

  get configured(): boolean {
    return this.pool !== null;
  }

  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    if (this.pool === null) throw new Error('SUPABASE_DB_URL is not set');
    return transactionOn(this.pool, work);
  }

  /** After the intake has stopped (it stops before shutdown) and the HTTP server has answered its last request. */
  async onApplicationShutdown(): Promise<void> {
    if (this.pool) await endPool(this.pool);
  }
}
