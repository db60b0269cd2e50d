import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { UsersRepository } from './users.repository.js';

/** The channel a deletion notifies on commit (pg_notify inside the deletion's transaction). */
export const USER_DELETED_CHANNEL = 'authmirror_user_deleted';

/** Deleted users' ids in memory, so the guard refuses their tokens without a query (docs/design.md, "How the mirror stays correct"). */
@Injectable()
export class DeletedUsersRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DeletedUsersRegistry.name);
  private readonly ids = new Set<string>();
  private listener: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
  ) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Records a deletion this process committed (the notification follows for other instances). */
  add(id: string): void {
    this.ids.add(id);
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  /** Requests still being answered at shutdown may need a deletion another instance commits. */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.listener?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.config.databaseUrl, application_name: 'authmirror-deleted-users' });
    client.on('notification', (message) => {
      if (message.channel === USER_DELETED_CHANNEL && message.payload) this.ids.add(message.payload);
    });
    client.on('error', (error) => this.reconnectLater(client, error));
    try {
      await client.connect();
      await client.query(`LISTEN ${USER_DELETED_CHANNEL}`);
      // Listen first, then load: a deletion committed in between is in one or the other.
      for (const id of await this.users.tombstoneIds()) this.ids.add(id);
      if (this.closed) {
        await client.end();
        return;
      }
      this.listener = client;
    } catch (error) {
      this.reconnectLater(client, error as Error);
    }
  }

  private reconnectLater(client: pg.Client, error: Error): void {
    if (this.closed || this.retryTimer) return;
    this.logger.warn({ reason: error.message }, 'lost the deleted-users listener; reconnecting');
    void client.end().catch(() => undefined);
    this.listener = null;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, 1_000);
    this.retryTimer.unref();
  }
}
