// Sends a delivery to a webhook receiver on every user change, like Supabase Database
// Webhooks (pg_net: one attempt, bearer token) or a Standard Webhooks signed sender (retries
// with the same webhook-id). Tests can drop, duplicate, delay, hold and reorder deliveries.
// Nothing here ever blocks or fails the Auth API call that caused the change.
import { randomUUID } from 'node:crypto';
import { databasePayload, signedPayload, type DeliveryForm, type DeliveryPayload } from './delivery-payloads.js';
import { chaosDelay, chaosSettings, type DeliveryChaos } from './delivery-chaos.js';
import { DeliverySender } from './delivery-sender.js';
import { positiveInt, resolveTarget, type DeliveryTarget, type ResolvedTarget } from './delivery-target.js';
import type { StoredIdentity, UserChangedEvent } from './rows.js';

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

interface Job {
  record: DeliveryRecord;
  target: ResolvedTarget;
  body: string;
}

const MAX_LOG = 10_000;
const CLOSE_GRACE_MS = 500;

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
  private settings = chaosSettings({});
  private dropCount = 0;
  private holding = false;
  private held: Job[] = [];
  private readonly tails = new Map<string, Promise<void>>();
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; wake: (ok: boolean) => void }>();
  private readonly sender = new DeliverySender();
  private closing = false;

  constructor(
    private readonly identitiesOf: (userId: string) => StoredIdentity[],
    private readonly quiet: boolean,
  ) {}

  configure(target: DeliveryTarget | null): void {
    this.target = target === null ? null : resolveTarget(target);
  }

  chaos(options: DeliveryChaos): void {
    this.settings = chaosSettings(options);
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
    this.sender.abort();
    await this.idle();
    this.sender.destroy();
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

  /** One delivery: chaos delay, attempts, and maybe a chaos duplicate. Never rejects. */
  private async run(job: Job): Promise<void> {
    try {
      if (!(await this.sleep(chaosDelay(this.settings))) || this.closing) {
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
      const status = await this.sender.post(target, record.id, job.body);
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
}
