import type { Logger } from '@nestjs/common';
import pg from 'pg';

const CHANNEL = 'authmirror_user_changes';

/**
 * A session that LISTENs for the trigger's notification and calls `onChange`, so a change is pulled at once instead of at
 * the next poll. Polling goes on regardless: a lost session (or a pooler that drops notifications) only adds latency.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly onChange: () => void,
    private readonly logger: Logger,
    private readonly retryMs: number,
  ) {}

  start(): void {
    void this.connect();
  }

  /** Ends the session; a silent one is not waited for past a second (shutdown must not hang on it). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const ending = this.client?.end().catch(() => undefined);
    await Promise.race([ending, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'authmirror-intake-listen' });
    client.on('notification', () => this.onChange());
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.onChange(); // changes made while it was not listening
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.logger.warn({ reason: error.message, retryInMs: this.retryMs }, 'pull intake: not listening for changes; polling meanwhile');
    this.retry = setTimeout(() => void this.connect(), this.retryMs);
  }
}
