// pg_net's background worker for the local Supabase database (pg_net src/worker.c pg_net_worker,
// src/core.c; docs/pg-net.md): woken on commit by net.wake()'s NOTIFY, it takes a batch from the
// UNLOGGED queue with pg_net's own DELETE … RETURNING, sends it once, records the responses and
// commits. No retry, ever: what fails is only in net._http_response, as on Supabase.
import pg from 'pg';
import { PG_NET_VERSION, sendAsCurl, type QueuedRequest, type RecordedResponse } from './send.js';

const CHANNEL = 'net_http_request_queue';
const APPLICATION_NAME = `pg_net ${PG_NET_VERSION}`; // what net.check_worker_is_up() looks for

// src/core.c consume_request_queue, verbatim but for the parameter.
const CONSUME = `
  WITH rows AS (SELECT id FROM net.http_request_queue ORDER BY id LIMIT $1)
  DELETE FROM net.http_request_queue q USING rows WHERE q.id = rows.id
  RETURNING q.id, q.method, q.url, timeout_milliseconds,
            array(select key || ': ' || value from jsonb_each_text(q.headers)) AS header_lines,
            q.headers IS NULL AS no_headers, q.body`;
// src/core.c delete_expired_responses.
const EXPIRE = `
  WITH rows AS (SELECT ctid FROM net._http_response WHERE created < now() - $1::interval ORDER BY created LIMIT $2)
  DELETE FROM net._http_response r USING rows WHERE r.ctid = rows.ctid`;
const RECORD = `
  INSERT INTO net._http_response (id, status_code, content, headers, content_type, timed_out, error_msg)
  VALUES ($1, $2, $3, $4, $5, $6, $7)`;

export interface PgNetWorkerOptions {
  /** The database pg_net serves (pg_net.database_name). */
  databaseUrl: string;
  /** pg_net.batch_size (200). */
  batchSize?: number;
  /** pg_net.ttl ('6 hours'). */
  ttl?: string;
  onError?: (error: Error) => void;
}

interface QueueRow {
  id: string;
  method: string;
  url: string;
  timeout_milliseconds: number;
  header_lines: string[];
  no_headers: boolean;
  body: Buffer | null;
}

export class PgNetWorker {
  private woken = true; // like pg_net's should_wake at start: drain what is already queued
  private wake: (() => void) | null = null;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly listener: pg.Client,
    private readonly worker: pg.Client,
    private readonly options: Required<PgNetWorkerOptions>,
  ) {}

  static async start(options: PgNetWorkerOptions): Promise<PgNetWorker> {
    const connect = async () => {
      const client = new pg.Client({ connectionString: options.databaseUrl, application_name: APPLICATION_NAME });
      await client.connect();
      return client;
    };
    // Two sessions: a session inside a transaction gets no notifications.
    const [listener, worker] = await Promise.all([connect(), connect()]);
    const running = new PgNetWorker(listener, worker, {
      batchSize: 200,
      ttl: '6 hours',
      onError: (error) => process.emitWarning(`pg_net worker: ${error.message}`),
      ...options,
    });
    listener.on('notification', () => running.notify());
    const lost = (error: Error) => running.options.onError(error);
    listener.on('error', lost);
    worker.on('error', lost);
    await listener.query(`LISTEN ${CHANNEL}`);
    running.loop = running.run();
    return running;
  }

  /** Finishes the batch in flight (as pg_net does on SIGTERM), then closes its sessions. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.notify();
    await this.loop;
    await Promise.all([this.listener.end().catch(() => undefined), this.worker.end().catch(() => undefined)]);
  }

  private notify(): void {
    this.woken = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.woken) await this.sleep(null);
      // Drain: one transaction per batch, a pause of up to 1 s between, until nothing was done.
      while (!this.stopped) {
        this.woken = false; // a wake during the batch cuts the pause after it short
        let worked: boolean;
        try {
          worked = await this.iteration();
        } catch (error) {
          // A poison row fails the batch query: pg_net's worker restarts on it every second.
          this.options.onError(error as Error);
          await this.worker.query('ROLLBACK').catch(() => undefined);
          await this.sleep(1000);
          continue;
        }
        if (!worked) break;
        await this.sleep(1000);
      }
    }
  }

  private async iteration(): Promise<boolean> {
    const { batchSize, ttl } = this.options;
    await this.worker.query('BEGIN');
    const expired = await this.worker.query(EXPIRE, [ttl, batchSize]);
    const { rows } = await this.worker.query<QueueRow>(CONSUME, [batchSize]);
    // Sent together; each response recorded as it completes, one statement at a time.
    let recording = Promise.resolve();
    await Promise.all(
      rows.map(async (row) => {
        const response = await sendAsCurl(toRequest(row));
        recording = recording.then(() => this.record(row.id, response));
        await recording;
      }),
    );
    await this.worker.query('COMMIT');
    return rows.length > 0 || (expired.rowCount ?? 0) > 0;
  }

  private async record(id: string, response: RecordedResponse): Promise<void> {
    await this.worker.query(RECORD, [
      id,
      response.statusCode,
      response.content,
      response.headers === null ? null : JSON.stringify(response.headers),
      response.contentType,
      response.timedOut,
      response.errorMsg,
    ]);
  }

  /** Waits for a wake, or ms when given (a wake cuts it short). */
  private sleep(ms: number | null): Promise<void> {
    if (this.woken || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      if (ms !== null) timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

function toRequest(row: QueueRow): QueuedRequest {
  return {
    id: row.id,
    method: row.method,
    url: row.url,
    timeoutMilliseconds: row.timeout_milliseconds,
    headers: row.no_headers ? null : row.header_lines,
    body: row.body,
  };
}
