// Sends a delivery to a webhook receiver on every user change, like Supabase Database
// Webhooks (pg_net: one attempt, bearer token) or a Standard Webhooks signed sender (retries
// with the same webhook-id). Tests can drop, duplicate, delay, hold and reorder deliveries.
// Nothing here ever blocks or fails the Auth API call that caused the change.
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { databasePayload, signedPayload, type DeliveryForm, type DeliveryPayload } from './delivery-payloads.js';
import type { StoredIdentity, UserChangedEvent } from './rows.js';

export interface DeliveryTarget {
  /** Receiver URL, e.g. http://127.0.0.1:3000/webhooks/supabase */
  url: string;
  form: DeliveryForm;
  /** Signed form: Standard Webhooks secret "v1,whsec_<base64>" (or "whsec_<base64>"). */
  secret?: string;
  /** Database form: sent as `Authorization: Bearer <dbToken>` (no header when omitted). */
  dbToken?: string;
  /** Signed form only (the database form never retries); default 5. */
  maxAttempts?: number;
  /** Wait before the 2nd attempt, doubling after each; default 200. */
  backoffMs?: number;
  /** Per-attempt timeout; default 5000. */
  timeoutMs?: number;
}

export interface DeliveryChaos {
  /** Probability 0..1 that a delivery is silently lost. */
  drop?: number;
  /** Probability 0..1 that a delivery is sent a second time (same webhook-id). */
  duplicate?: number;
  /** Wait before sending each delivery: fixed, or uniform in [min, max]. */
  delayMs?: number | [number, number];
  /** Stop serialising per user, so deliveries overtake each other (random 0-100 ms delay unless delayMs). */
  reorder?: boolean;
}

export type ReleaseOrder = 'fifo' | 'reverse' | 'shuffle';
export type DeliveryOutcome = 'queued' | 'held' | 'sending' | 'delivered' | 'failed' | 'dropped' | 'abandoned';

/** One delivery (or chaos duplicate) as logged for tests: no body, no secrets. */
export interface DeliveryRecord {
  /** The webhook-id for the signed form (shared by a duplicate); a log-only UUID for the database form. */
  id: string;
  form: DeliveryForm;
  /** INSERT/UPDATE/DELETE (database form) or user.created/updated/deleted (signed form). */
  type: string;
  userId: string;
  /** Status of the last attempt; null before sending or after a network error. */
  status: number | null;
  attempts: number;
  outcome: DeliveryOutcome;
  /** True for the extra copy sent by chaos `duplicate`. */
  duplicate: boolean;
}

export interface AuthServerDeliveries {
  /** Where to send (null = stop sending new deliveries; queued ones still go out). */
  configure(target: DeliveryTarget | null): void;
  /** Replace the chaos settings (`chaos({})` turns chaos off). */
  chaos(options: DeliveryChaos): void;
  /** The next n deliveries are silently lost. */
  dropNext(n: number): void;
  /** Queue new deliveries instead of sending them, until release(). */
  hold(): void;
  /** Stop holding and send the held deliveries one after another in this order; resolves when done. */
  release(order?: ReleaseOrder): Promise<void>;
  /** Resolves when nothing is queued or in flight, retries included (held deliveries do not count). */
  idle(): Promise<void>;
  /** Log of deliveries in event order (capped at the last 10,000). */
  sent: DeliveryRecord[];
}

interface ResolvedTarget {
  url: URL;
  form: DeliveryForm;
  webhook: Webhook | null;
  authorization: string | null;
  maxAttempts: number;
  backoffMs: number;
  timeoutMs: number;
}

interface Job {
  record: DeliveryRecord;
  target: ResolvedTarget;
  body: string;
}

const MAX_LOG = 10_000;
const CLOSE_GRACE_MS = 500;
const DEFAULT_REORDER_DELAY: [number, number] = [0, 100];

function positiveInt(v: number | undefined, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw new TypeError(`deliveries: ${name} must be an integer >= ${min}`);
  return v;
}

function probability(v: number | undefined, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new TypeError(`deliveries: chaos.${name} must be within 0..1`);
  return v;
}

function resolveTarget(t: DeliveryTarget): ResolvedTarget {
  let url: URL;
  try {
    url = new URL(t.url);
  } catch {
    throw new TypeError('deliveries: url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('deliveries: url must be http(s)');
  if (t.form !== 'database' && t.form !== 'signed') throw new TypeError("deliveries: form must be 'database' or 'signed'");
  let webhook: Webhook | null = null;
  if (t.form === 'signed') {
    if (!t.secret) throw new TypeError('deliveries: the signed form needs a secret');
    try {
      webhook = new Webhook(t.secret.replace(/^v1,/, ''));
    } catch {
      throw new TypeError('deliveries: secret must look like "v1,whsec_<base64>"'); // never echo the secret
    }
  }
  return {
    url,
    form: t.form,
    webhook,
    authorization: t.form === 'database' && t.dbToken ? `Bearer ${t.dbToken}` : null,
    maxAttempts: t.form === 'database' ? 1 : positiveInt(t.maxAttempts, 'maxAttempts', 5, 1),
    backoffMs: positiveInt(t.backoffMs, 'backoffMs', 200, 0),
    timeoutMs: positiveInt(t.timeoutMs, 'timeoutMs', 5000, 1),
  };
}

/** Network errors, timeouts, 5xx, 3xx, 408 and 429 are worth another attempt; other 4xx are not. */
function retryable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status < 400 || status >= 500;
}

function shuffle<T>(arr: T[]): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

export class DeliveryQueue implements AuthServerDeliveries {
  readonly sent: DeliveryRecord[] = [];
  private target: ResolvedTarget | null = null;
  private settings: { drop: number; duplicate: number; delayMs: number | [number, number] | undefined; reorder: boolean } = {
    drop: 0,
    duplicate: 0,
    delayMs: undefined,
    reorder: false,
  };
  private dropCount = 0;
  private holding = false;
  private held: Job[] = [];
  private readonly tails = new Map<string, Promise<void>>();
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; wake: (ok: boolean) => void }>();
  private readonly inFlight = new Set<ClientRequest>();
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  private closing = false;

  constructor(
    private readonly identitiesOf: (userId: string) => StoredIdentity[],
    private readonly quiet: boolean,
  ) {}

  configure(target: DeliveryTarget | null): void {
    this.target = target === null ? null : resolveTarget(target);
  }

  chaos(options: DeliveryChaos): void {
    const d = options.delayMs;
    if (d !== undefined) {
      const ok = Array.isArray(d) ? d.length === 2 && d[0] >= 0 && d[1] >= d[0] : d >= 0;
      if (!ok) throw new TypeError('deliveries: chaos.delayMs must be >= 0 or [min, max]');
    }
    this.settings = {
      drop: probability(options.drop, 'drop'),
      duplicate: probability(options.duplicate, 'duplicate'),
      delayMs: d,
      reorder: options.reorder ?? false,
    };
  }

  dropNext(n: number): void {
    this.dropCount = positiveInt(n, 'dropNext(n)', 0, 0);
  }

  hold(): void {
    this.holding = true;
  }

  release(order: ReleaseOrder = 'fifo'): Promise<void> {
    this.holding = false;
    const jobs = this.held.splice(0);
    if (order === 'reverse') jobs.reverse();
    else if (order === 'shuffle') shuffle(jobs);
    return this.track(
      (async () => {
        for (const job of jobs) {
          job.record.outcome = 'queued';
          await this.run(job);
        }
      })(),
    );
  }

  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Called synchronously by the store on every change: build the body now, send later. */
  onUserChanged(ev: UserChangedEvent): void {
    const target = this.target;
    if (!target || this.closing) return;
    let payload: DeliveryPayload;
    try {
      payload = target.form === 'database' ? databasePayload(ev) : signedPayload(ev, this.identitiesOf((ev.user ?? ev.oldUser)!.id));
    } catch (e) {
      if (!this.quiet) console.error('[auth-stand-in] delivery: could not build payload:', (e as Error).message);
      return;
    }
    const record: DeliveryRecord = {
      id: randomUUID(),
      form: target.form,
      type: payload.type,
      userId: payload.userId,
      status: null,
      attempts: 0,
      outcome: 'queued',
      duplicate: false,
    };
    this.log(record);
    if (this.dropCount > 0 || (this.settings.drop > 0 && Math.random() < this.settings.drop)) {
      if (this.dropCount > 0) this.dropCount--;
      record.outcome = 'dropped';
      return;
    }
    const job: Job = { record, target, body: payload.body };
    if (this.holding) {
      record.outcome = 'held';
      this.held.push(job);
      return;
    }
    if (this.settings.reorder) {
      void this.track(this.run(job));
      return;
    }
    // Serialised per user, in event order.
    const userId = payload.userId;
    const tail = (this.tails.get(userId) ?? Promise.resolve()).then(() => this.run(job));
    this.tails.set(userId, tail);
    void this.track(tail).then(() => {
      if (this.tails.get(userId) === tail) this.tails.delete(userId);
    });
  }

  /** Stop: drop held and queued deliveries, give in-flight ones a moment, then abort them. */
  async close(): Promise<void> {
    this.closing = true;
    this.target = null;
    for (const job of this.held.splice(0)) job.record.outcome = 'abandoned';
    for (const s of [...this.sleeps]) s.wake(false);
    if (this.active > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
    }
    for (const req of this.inFlight) req.destroy(new Error('auth stand-in closing'));
    await this.idle();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  // ------------------------------------------------------------------------------ internals

  private log(record: DeliveryRecord): void {
    this.sent.push(record);
    if (this.sent.length > MAX_LOG) this.sent.splice(0, this.sent.length - MAX_LOG);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.active++;
    return p.finally(() => {
      if (--this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Resolves true after ms, or false at once when closing. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closing) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => entry.wake(true), ms),
        wake: (ok: boolean) => {
          clearTimeout(entry.timer);
          this.sleeps.delete(entry);
          resolve(ok);
        },
      };
      this.sleeps.add(entry);
    });
  }

  private chaosDelay(): number {
    const d = this.settings.delayMs ?? (this.settings.reorder ? DEFAULT_REORDER_DELAY : 0);
    return Array.isArray(d) ? d[0] + Math.random() * (d[1] - d[0]) : d;
  }

  /** One delivery: chaos delay, attempts, and maybe a chaos duplicate. Never rejects. */
  private async run(job: Job): Promise<void> {
    try {
      if (!(await this.sleep(this.chaosDelay())) || this.closing) {
        job.record.outcome = 'abandoned';
        return;
      }
      await this.attempts(job);
      if (this.settings.duplicate > 0 && Math.random() < this.settings.duplicate && !this.closing) {
        const copy: DeliveryRecord = { ...job.record, status: null, attempts: 0, outcome: 'queued', duplicate: true };
        this.log(copy);
        await this.attempts({ ...job, record: copy });
      }
    } catch (e) {
      job.record.outcome = 'failed';
      if (!this.quiet) console.error('[auth-stand-in] delivery: unexpected error:', (e as Error).message);
    }
  }

  private async attempts(job: Job): Promise<void> {
    const { record, target } = job;
    for (let attempt = 1; ; attempt++) {
      record.attempts = attempt;
      record.outcome = 'sending';
      const status = await this.post(job);
      record.status = status;
      if (!this.quiet) {
        // Path only: the query string could carry a credential.
        console.log(
          `[auth-stand-in] delivery ${record.form} ${record.type} -> ${target.url.pathname} ${status ?? 'network error'} (attempt ${attempt})`,
        );
      }
      if (status !== null && status >= 200 && status < 300) {
        record.outcome = 'delivered';
        return;
      }
      if (!retryable(status) || attempt >= target.maxAttempts) {
        record.outcome = 'failed';
        return;
      }
      if (!(await this.sleep(target.backoffMs * 2 ** (attempt - 1)))) {
        record.outcome = 'abandoned';
        return;
      }
    }
  }

  /** POST the body once; the status code, or null on a network error or timeout. */
  private post(job: Job): Promise<number | null> {
    const { target, body, record } = job;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
    };
    if (target.form === 'database') {
      headers['User-Agent'] = 'pg_net/0.14.0';
      if (target.authorization) headers.Authorization = target.authorization;
    } else {
      const now = new Date();
      headers['User-Agent'] = 'authmirror-auth-stand-in';
      headers['webhook-id'] = record.id;
      headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
      headers['webhook-signature'] = target.webhook!.sign(record.id, now, body);
    }
    const https = target.url.protocol === 'https:';
    return new Promise((resolve) => {
      let done = false;
      let answered: number | null = null;
      const finish = (status: number | null) => {
        if (done) return;
        done = true;
        this.inFlight.delete(req);
        resolve(status);
      };
      const req = (https ? httpsRequest : httpRequest)(
        target.url,
        { method: 'POST', headers, agent: https ? this.agents.https : this.agents.http, timeout: target.timeoutMs },
        (res) => {
          answered = res.statusCode ?? null;
          res.on('error', () => finish(null));
          res.on('end', () => finish(res.statusCode ?? null));
          res.resume(); // drain: the answer's body is not needed
        },
      );
      this.inFlight.add(req);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => finish(null));
      req.on('close', () => finish(answered));
      req.end(body);
    });
  }
}
