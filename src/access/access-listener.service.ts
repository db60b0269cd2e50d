import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { ACCESS_CHANNEL, parseAccessEvent, type AccessEvent } from './access-events.js';
import { AccessRegistry } from './access-registry.js';
import { AccessRepository } from './access.repository.js';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Keeps the AccessRegistry current: LISTENs on ACCESS_CHANNEL, then loads a snapshot, at start and after every lost
 * connection (a notification sent while it was away is in the next snapshot).
 */
@Injectable()
export class AccessListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AccessListener.name);
  private listener: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: AccessRegistry,
    private readonly repository: AccessRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    this.sweepTimer = setInterval(() => this.registry.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    await this.connect();
  }

  /** Requests still being answered at shutdown may need a revocation another instance commits. */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.listener?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.config.databaseUrl, application_name: 'authmirror-access' });
    // Notifications heard while the snapshot loads wait for it: applied before it, a lifted ban would come back.
    let held: AccessEvent[] | null = [];
    client.on('notification', (message) => {
      const event = message.channel === ACCESS_CHANNEL && message.payload ? parseAccessEvent(message.payload) : null;
      if (event === null) return;
      if (held) held.push(event);
      else this.registry.apply(event);
    });
    client.on('error', (error) => this.reconnectLater(client, error));
    try {
      await client.connect();
      await client.query(`LISTEN ${ACCESS_CHANNEL}`);
      this.registry.load(await this.repository.snapshot(this.config.access.tokenLifetimeSeconds));
      for (const event of held) this.registry.apply(event);
      held = null;
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
    this.logger.warn({ reason: error.message }, 'lost the access listener; reconnecting');
    void client.end().catch(() => undefined);
    this.listener = null;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, 1_000);
    this.retryTimer.unref();
  }
}
