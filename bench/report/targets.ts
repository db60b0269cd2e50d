// The targets (PASS/FAIL/SKIP/INFO) each measured section is held to, with the failed requests
// that make a figure untrustworthy noted next to it.
import { failedRequests, type Measurement } from '../measure.js';
import type { Results } from '../results.js';
import { adminTargets } from './admin.js';

export interface Target {
  name: string;
  target: string;
  actual: string;
  /** null: not measured (skipped), neither a pass nor a failure. */
  pass: boolean | null;
  /** A figure without a target: printed as INFO (pass is then null). */
  info?: boolean;
  notes: string[];
}

function failureNotes(...measurements: Measurement[]): string[] {
  return measurements
    .filter((m) => failedRequests(m) > 0)
    .map((m) => `${m.name}: ${failedRequests(m)} failed requests (${describeFailures(m)})`);
}

export function describeFailures(m: Measurement): string {
  const codes = Object.entries(m.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${count}× ${code}`);
  if (m.errors > 0) codes.push(`${m.errors} socket errors${m.timeouts ? ` incl. ${m.timeouts} timeouts` : ''}`);
  if (m.mismatches > 0) codes.push(`${m.mismatches} answers not as expected`);
  return codes.join(', ') || 'none';
}

/** Lookup targets (the API, at BENCH_LOOKUP_CONNECTIONS clients). */
const LOOKUP_P50_MS = 10;
const LOOKUP_P99_MS = 50;
export const LOOKUP_RATIO = 100;

/** Pull intake targets: draining a backlog, and the lag at a steady 1,000 changes a second. */
const INTAKE_DRAIN_PER_SECOND = 5000;
const INTAKE_LAG_P99_MS = 1000;

/** Reconcile by SQL over a million users. */
const SQL_RECONCILE_SECONDS = 60;
const SQL_RECONCILE_RSS_MB = 200;

export const pct = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;

export function evaluate(results: Results): Target[] {
  const { apiMe, minimalMe, guardMe, apiSync, apiDeliveries, apiLookup, apiSignup } = results.measurements;
  const targets: Target[] = [];
  let notes: string[];
  if (apiMe && minimalMe && guardMe) {
    const ofMinimal = apiMe.requestsPerSecond / minimalMe.requestsPerSecond;
    const ofGuard = apiMe.requestsPerSecond / guardMe.requestsPerSecond;
    notes = failureNotes(apiMe, minimalMe);
    targets.push({
      name: 'GET /users/me vs minimal same-work server',
      target: '≥ 50% of (a)',
      actual: `${(ofMinimal * 100).toFixed(1)}%`,
      pass: ofMinimal >= 0.5 && notes.length === 0,
      notes,
    });
    notes = failureNotes(apiMe, guardMe);
    targets.push({
      name: 'GET /users/me vs call-per-request guard',
      target: '≥ 5.00× (b)',
      actual: `${ofGuard.toFixed(2)}×`,
      pass: ofGuard >= 5 && notes.length === 0,
      notes,
    });
  }
  const rounds = results.accessChecks?.rounds ?? [];
  if (rounds.some((round) => round.checks) && rounds.some((round) => !round.checks)) {
    const mean = (checks: boolean) => {
      const of = rounds.filter((round) => round.checks === checks).map((round) => round.requestsPerSecond);
      return of.reduce((sum, rps) => sum + rps, 0) / of.length;
    };
    const ratio = mean(true) / mean(false);
    targets.push({
      name: `GET /users/me with access checks vs without (${rounds.length} alternating rounds)`,
      target: '≥ 95%',
      actual: `${(ratio * 100).toFixed(1)}% (${mean(true).toFixed(0)} vs ${mean(false).toFixed(0)} req/s)`,
      pass: ratio >= 0.95,
      notes: [],
    });
  }
  if (apiSync) {
    notes = failureNotes(apiSync);
    targets.push({
      name: `POST /auth/users/sync at ${apiSync.connections} clients`,
      target: '≥ 500 req/s, p99 < 100 ms',
      actual: `${apiSync.requestsPerSecond.toFixed(0)} req/s, p99 ${apiSync.latencyMs.p99} ms`,
      pass: apiSync.requestsPerSecond >= 500 && apiSync.latencyMs.p99 < 100 && notes.length === 0,
      notes,
    });
  }
  if (apiDeliveries && results.deliveries) {
    const d = results.deliveries;
    notes = failureNotes(apiDeliveries);
    if (d.rowsCurrent !== d.users) notes.push(`only ${d.rowsCurrent} of ${d.users} rows hold their user's last event`);
    targets.push({
      name: `signed deliveries at ${apiDeliveries.connections} clients`,
      target: '≥ 1,000/s, all 200 applied',
      actual: `${apiDeliveries.requestsPerSecond.toFixed(0)}/s, p99 ${apiDeliveries.latencyMs.p99} ms`,
      pass: apiDeliveries.requestsPerSecond >= 1000 && notes.length === 0,
      notes,
    });
  }
  if (results.deletion) {
    const d = results.deletion;
    targets.push({
      name: `delete a user owning ${d.rowsPerUser.toLocaleString('en')} rows`,
      target: '< 200 ms (every one)',
      actual: `max ${d.maxMs} ms, median ${d.medianMs} ms`,
      pass: d.maxMs < 200 && d.problems.length === 0,
      notes: d.problems.slice(0, 10),
    });
  }
  if (results.reconcile) {
    const r = results.reconcile;
    if (r.skipped !== null) {
      targets.push({
        name: 'reconcile: writing over paging alone',
        target: '≤ 100% added',
        actual: 'not measured',
        pass: null,
        notes: [r.skipped],
      });
    } else {
      targets.push({
        name: `reconcile ${r.users.toLocaleString('en')} users: writing over paging`,
        target: '≤ 100% added',
        actual: `${pct(r.overhead)} (b1 ${(r.first.durationMs / 1000).toFixed(1)} s vs a ${(r.paging.durationMs / 1000).toFixed(1)} s), peak RSS ${r.first.peakRssMb ?? '?'} MB`,
        pass: r.overhead <= 1 && r.problems.length === 0,
        notes: r.problems.slice(0, 10),
      });
    }
  }
  if (apiLookup && results.lookup) {
    const l = results.lookup;
    notes = [...failureNotes(apiLookup), ...l.problems.slice(0, 10)];
    targets.push({
      name: `GET /users/lookup, ${l.users.toLocaleString('en')} users, ${apiLookup.connections} clients`,
      target: `p50 < ${LOOKUP_P50_MS} ms, p99 < ${LOOKUP_P99_MS} ms`,
      actual: `p50 ${apiLookup.latencyMs.p50} ms, p99 ${apiLookup.latencyMs.p99} ms, ${apiLookup.requestsPerSecond.toFixed(0)} req/s`,
      pass: apiLookup.latencyMs.p50 < LOOKUP_P50_MS && apiLookup.latencyMs.p99 < LOOKUP_P99_MS && notes.length === 0,
      notes,
    });
    targets.push({
      name: 'lookup vs listUsers paging, p50 ÷ p50',
      target: `≥ ${LOOKUP_RATIO}× (one at a time)`,
      actual: `${l.ratio.toFixed(0)}× (${l.old.latencyMs.p50} ms vs ${l.sequential.latencyMs.p50} ms)`,
      pass: l.ratio >= LOOKUP_RATIO && notes.length === 0,
      notes: [],
    });
  }
  if (apiSignup && results.signup) {
    const non201 = results.signup.non201;
    targets.push({
      name: `POST /auth/signup at ${apiSignup.connections} clients`,
      target: 'none (figure only), all 201',
      actual: `${apiSignup.requestsPerSecond.toFixed(0)} req/s, p50 ${apiSignup.latencyMs.p50} ms, p99 ${apiSignup.latencyMs.p99} ms, ${non201} non-201`,
      // Not a target: INFO, unless some answer was not 201 (then FAIL).
      pass: non201 === 0 ? null : false,
      info: non201 === 0,
      notes: non201 === 0 ? [] : [`${non201} answers were not 201 (${describeFailures(apiSignup)})`],
    });
  }
  if (results.intake) {
    const { drain, lag } = results.intake;
    targets.push({
      name: `pull intake: a backlog of ${drain.changes.toLocaleString('en')} changes`,
      target: `≥ ${INTAKE_DRAIN_PER_SECOND.toLocaleString('en')}/s`,
      actual: `${drain.perSecond.toLocaleString('en')}/s (${(drain.applyMs / 1000).toFixed(1)} s)`,
      pass: drain.perSecond >= INTAKE_DRAIN_PER_SECOND,
      notes: [],
    });
    targets.push({
      name: `pull intake lag at ${lag.committedPerSecond.toLocaleString('en')} changes/s`,
      target: `p99 < ${INTAKE_LAG_P99_MS} ms, no backlog growth`,
      actual: `p50 ${lag.latencyMs.p50} ms, p99 ${lag.latencyMs.p99} ms; backlog max ${lag.backlog.max}, at the end ${lag.backlog.atEnd}`,
      pass: lag.latencyMs.p99 < INTAKE_LAG_P99_MS && lag.backlog.atEnd <= lag.targetPerSecond,
      notes: [],
    });
  }
  if (results.sqlReconcile) {
    const r = results.sqlReconcile;
    const complete = r.first.summary?.created === r.users && r.second.summary?.unchanged === r.users && r.mirrorRows === r.users;
    targets.push({
      name: `reconcile by SQL, ${r.users.toLocaleString('en')} users, empty mirror`,
      target: `< ${SQL_RECONCILE_SECONDS} s, peak RSS < ${SQL_RECONCILE_RSS_MB} MB`,
      actual: `${(r.first.durationMs / 1000).toFixed(1)} s, ${r.first.usersPerSecond.toLocaleString('en')} users/s, peak RSS ${r.first.peakRssMb ?? '?'} MB`,
      pass: complete && r.first.durationMs < SQL_RECONCILE_SECONDS * 1000 && (r.first.peakRssMb ?? Infinity) < SQL_RECONCILE_RSS_MB,
      notes: complete ? [] : [`created ${r.first.summary?.created}, unchanged ${r.second.summary?.unchanged}, mirror ${r.mirrorRows}`],
    });
    const admin = r.adminPath;
    if (admin) {
      targets.push({
        name: `the admin API on the same users`,
        target: 'next to SQL (info)',
        actual: admin.finished
          ? `${(admin.elapsedMs / 1000).toFixed(1)} s, ${r.users - admin.mirrored} users never listed`
          : `${admin.usersPerSecond.toLocaleString('en')} users/s: ≥ ${(admin.projectedMs / 60_000).toFixed(1)} min for all, ` +
            `${(admin.projectedMs / Math.max(1, r.first.durationMs)).toFixed(0)}× the SQL run`,
        pass: null,
        info: true,
        notes: [],
      });
    }
  }
  if (results.admin) targets.push(...adminTargets(results.admin));
  return targets;
}
