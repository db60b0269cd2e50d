import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a pushed or pulled change ended (docs/operations.md, "Metrics and alerts"). */
export type DeliveryOutcome = 'applied' | 'deleted' | 'stale' | 'duplicate' | 'ignored' | 'rejected' | 'failed';
export type DeliveryFormLabel = 'signed' | 'database' | 'pull' | 'unknown';
export type JobAttemptOutcome = 'succeeded' | 'failed' | 'dead';

/** What a reconcile summary says, as far as the metrics read it. */
interface ReconcileCounts {
  created: number;
  updated: number;
  deleted: number;
  failed: number;
  complete: boolean;
  dryRun: boolean;
  backfill?: boolean;
}

const DELIVERY_FORMS: readonly DeliveryFormLabel[] = ['signed', 'database', 'pull'];
const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['applied', 'deleted', 'stale', 'duplicate', 'ignored', 'rejected', 'failed'];
const GUARD_REASONS = ['invalid_token', 'user_deleted', 'session_revoked', 'token_stale', 'user_banned', 'anonymous_user', 'forbidden'];
const REPAIRS = ['created', 'updated', 'deleted'] as const;

/** What the apply functions answer for one snapshot or deletion, as a delivery outcome. */
const OUTCOME_OF_STATUS: Record<string, DeliveryOutcome> = {
  created: 'applied',
  updated: 'applied',
  deleted: 'deleted',
  unchanged: 'stale',
  stale: 'stale',
  already_deleted: 'stale',
  duplicate: 'duplicate',
};

/** Seconds; from a loopback request (a millisecond) to a slow Supabase call. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds from a change in Supabase to the mirror: sub-second normally, minutes when an intake is behind. */
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * The registry behind `GET /metrics` and the counters and histograms the service moves as things happen. Gauges read on
 * scrape live in StateGauges. Every label takes values from a short fixed list (route templates, error codes, task names),
 * never a raw URL or an id, so the number of series stays bounded.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly httpRequests = this.counter('authmirror_http_requests_total', 'HTTP requests answered, by route template and status', [
    'method',
    'route',
    'status',
  ]);
  private readonly httpDuration = new Histogram({
    name: 'authmirror_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template',
    labelNames: ['method', 'route'],
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly guardRefusals = this.counter(
    'authmirror_guard_refusals_total',
    'Requests the bearer-token guard refused, by error code',
    ['reason'],
    { reason: GUARD_REASONS },
  );
  private readonly syncs = this.counter(
    'authmirror_syncs_total',
    'POST /auth/users/sync calls applied, by where the user was read',
    ['source'],
    {
      source: ['admin_api', 'token_claims'],
    },
  );
  private readonly deliveries = this.counter(
    'authmirror_deliveries_total',
    'Changes received from Supabase, by form (signed and database: pushed deliveries; pull: outbox rows) and outcome',
    ['form', 'outcome'],
    { form: DELIVERY_FORMS, outcome: DELIVERY_OUTCOMES },
  );
  private readonly intakeBatches = this.counter(
    'authmirror_intake_batches_total',
    'Pull intake batches, committed or failed',
    ['outcome'],
    {
      outcome: ['applied', 'failed'],
    },
  );
  private readonly intakeLag = new Histogram({
    name: 'authmirror_intake_lag_seconds',
    help: "From a change's time in Supabase (commit time for pull, the user's updated_at for deliveries) to the mirror",
    labelNames: ['form'],
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
  private readonly intakeBacklogGauge = new Gauge({
    name: 'authmirror_intake_backlog',
    help: "Changes waiting in the pull intake's outbox when last counted (at most every 10 s, by the instance leading a batch)",
    registers: [this.registry],
  });
  private readonly reconcileRuns = this.counter('authmirror_reconcile_runs_total', 'Reconcile runs, by outcome', ['outcome'], {
    outcome: ['complete', 'incomplete', 'skipped', 'failed'],
  });
  private readonly reconcileRepairs = this.counter(
    'authmirror_reconcile_repairs_total',
    'Users reconcile had to create, update or delete: changes the intakes missed (any increase means events are being lost)',
    ['change'],
    { change: REPAIRS },
  );
  private readonly jobAttempts = this.counter(
    'authmirror_job_attempts_total',
    'Background job attempts run by this instance, by task and outcome (failed: retried later; dead: attempts used up)',
    ['task', 'outcome'],
  );

  /** One answered request; `route` is the matched route template. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status });
    this.httpDuration.observe({ method, route }, seconds);
  }

  guardRefused(code: string): void {
    this.guardRefusals.inc({ reason: code });
  }

  synced(source: 'admin_api' | 'token_claims'): void {
    this.syncs.inc({ source });
  }

  /** A delivery or pulled change: `result` is an apply status (created, updated, duplicate, …) or an outcome. */
  delivered(form: DeliveryFormLabel, result: string, count = 1): void {
    if (count > 0) this.deliveries.inc({ form, outcome: OUTCOME_OF_STATUS[result] ?? result }, count);
  }

  /** The lag of a change applied now, from its time in Supabase (ISO text or a Date); ignored when unknown. */
  intakeLagOf(form: DeliveryFormLabel, changedAt: string | Date | null): void {
    if (changedAt === null) return;
    const at = typeof changedAt === 'string' ? Date.parse(changedAt) : changedAt.getTime();
    if (Number.isFinite(at)) this.intakeLag.observe({ form }, Math.max(0, (Date.now() - at) / 1000));
  }

  intakeBatch(outcome: 'applied' | 'failed'): void {
    this.intakeBatches.inc({ outcome });
  }

  intakeBacklog(changes: number): void {
    this.intakeBacklogGauge.set(changes);
  }

  /** A finished reconcile run. A dry run changes nothing and is not counted; a backfill (the first fill, before any run completed) repairs nothing. */
  reconciled(summary: ReconcileCounts): void {
    if (summary.dryRun) return;
    this.reconcileRuns.inc({ outcome: summary.complete && summary.failed === 0 ? 'complete' : 'incomplete' });
    if (summary.backfill) return;
    for (const change of REPAIRS) if (summary[change] > 0) this.reconcileRepairs.inc({ change }, summary[change]);
  }

  reconcileNotRun(outcome: 'skipped' | 'failed'): void {
    this.reconcileRuns.inc({ outcome });
  }

  jobAttempt(task: string, outcome: JobAttemptOutcome): void {
    this.jobAttempts.inc({ task, outcome });
  }

  /** A counter in this registry, with each combination of the `known` label values at zero (so rates start from 0). */
  private counter<L extends string>(name: string, help: string, labelNames: L[], known: Partial<Record<L, readonly string[]>> = {}) {
    const counter = new Counter<L>({ name, help, labelNames, registers: [this.registry] });
    const combinations = labelNames.reduce<Array<Record<string, string>>>(
      (sets, label) => (known[label] ?? []).flatMap((value) => sets.map((set) => ({ ...set, [label]: value }))),
      [{}],
    );
    if (labelNames.every((label) => known[label])) for (const labels of combinations) counter.inc(labels as Partial<Record<L, string>>, 0);
    return counter;
  }
}
