// The report as text: the table of figures, CPU per request, the /users/me ratios, a paragraph
// per section that has one (deliveries, deletion, reconcile, lookup, admin), then the targets.
import type { Measurement } from '../measure.js';
import { adminParagraph } from './admin.js';
import type { Report } from './build.js';
import { LOOKUP_RATIO, pct } from './targets.js';

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

export function printReport(report: Report): void {
  const out: string[] = [];
  const { machine, settings, measurements, ratios, targets, deliveries, deletion, reconcile, lookup, accessChecks } = report;
  out.push('');
  out.push(`authmirror benchmark — ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}`);
  out.push(`sections: ${settings.sections.join(', ')}${settings.partial ? ' (--only)' : ''}`);
  out.push(
    `${settings.durationSeconds} s per timed measurement after ${settings.warmupSeconds} s warm-up, ${settings.connections} connections, ` +
      `${settings.users} users (tokens rotated), pool size ${settings.poolSize} (API and baselines)` +
      (settings.profile ? ', API under the CPU profiler (figures not comparable)' : ''),
  );
  out.push('Load generator and servers share the machine: read the figures as ratios within this run.');
  out.push(`1-min load average before the run: ${machine.loadAverageAtStart.toFixed(2)}`);
  if (machine.loadAverageAtStart > 0.7) {
    out.push('warning: the machine was already busy before this run started (other processes): figures are disturbed.');
  }
  const all = Object.values(measurements).filter((m): m is Measurement => m !== undefined);
  if (all.length > 0) {
    out.push('');
    const header = [
      pad('scenario', 44),
      pad('req/s', 9, true),
      pad('p50 ms', 8, true),
      pad('p99 ms', 8, true),
      pad('mean ms', 8, true),
      pad('non-2xx', 8, true),
      pad('errors', 7, true),
    ];
    out.push(header.join('  '));
    out.push('-'.repeat(header.join('  ').length));
    for (const m of all) {
      out.push(
        [
          pad(m.name, 44),
          pad(m.requestsPerSecond.toFixed(0), 9, true),
          pad(String(m.latencyMs.p50), 8, true),
          pad(String(m.latencyMs.p99), 8, true),
          pad(m.latencyMs.mean.toFixed(2), 8, true),
          pad(String(m.non2xx), 8, true),
          pad(String(m.errors + m.mismatches), 7, true),
        ].join('  '),
      );
    }
    out.push('(latency percentiles of 2xx answers, 1 ms resolution; "errors" includes answers that were not the expected body)');
    if (measurements.apiDeliveries) {
      out.push(
        `(deliveries: a fixed ${measurements.apiDeliveries.requests} requests in ${measurements.apiDeliveries.durationSeconds} s; req/s = requests ÷ wall time)`,
      );
    }
    out.push('');
    const cpuHeader = [
      pad('CPU time per request, µs', 44),
      pad('server', 9, true),
      pad('auth', 8, true),
      pad('postgres', 8, true),
      pad('all 3', 8, true),
      pad('loadgen', 8, true),
    ];
    out.push(cpuHeader.join('  '));
    out.push('-'.repeat(cpuHeader.join('  ').length));
    for (const m of all) {
      const c = m.cpuMicrosPerRequest;
      const sum = (c.server ?? 0) + (c.auth ?? 0) + (c.postgres ?? 0);
      out.push(
        [
          pad(m.name, 44),
          pad(String(c.server), 9, true),
          pad(String(c.auth), 8, true),
          pad(String(c.postgres), 8, true),
          pad(String(sum), 8, true),
          pad(String(c.loadgen), 8, true),
        ].join('  '),
      );
    }
    out.push('(from /proc, 10 ms ticks; "server" is the process measured, "auth" the stand-in, "loadgen" autocannon)');
    for (const m of all.filter((x) => x.warmupFailures > 0))
      out.push(`warning: ${m.name}: ${m.warmupFailures} failed requests during warm-up`);
  }
  if (ratios) {
    out.push('');
    out.push(`API /users/me ÷ minimal same-work server (a): ${(ratios.meOfMinimal * 100).toFixed(1)}%`);
    out.push(`API /users/me ÷ call-per-request guard (b):   ${ratios.meOverGuard.toFixed(2)}×`);
    out.push(`minimal (a) ÷ guard (b):                      ${ratios.minimalOverGuard.toFixed(2)}×`);
  }
  if (accessChecks) {
    const rounds = accessChecks.rounds.map((round) => `${round.checks ? 'with' : 'without'} ${round.requestsPerSecond.toFixed(0)}`);
    out.push(`GET /users/me rounds, with and without the access checks (req/s): ${rounds.join(', ')}`);
  }
  if (deliveries) {
    const outcomes = Object.entries(deliveries.outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    out.push('');
    out.push(
      `Signed deliveries: ${deliveries.users} users × ${deliveries.rounds} user.updated events (${outcomes}); ` +
        `signed in ${deliveries.signMs.toFixed(0)} ms before the clock started; rows holding their last event: ${deliveries.rowsCurrent}/${deliveries.users}`,
    );
  }
  if (deletion) {
    out.push('');
    out.push(
      `Deleting a user who owns ${deletion.rowsPerUser.toLocaleString('en')} rows (signed user.deleted delivery, one at a time, ` +
        `${deletion.users} users after 1 warm-up deletion):`,
    );
    out.push(`  min ${deletion.minMs} ms, median ${deletion.medianMs} ms, max ${deletion.maxMs} ms (warm-up ${deletion.warmupMs} ms)`);
    out.push(`  each: ${deletion.timingsMs.join(', ')} ms`);
    out.push(
      deletion.problems.length === 0
        ? '  checked: owned rows gone, tombstones (deleted_at set, email null), one user.deleted audit record each'
        : `  ${deletion.problems.length} problems found by the checks (see the targets below)`,
    );
  }
  if (reconcile) {
    out.push('');
    if (reconcile.skipped !== null) out.push(`Reconcile: skipped: ${reconcile.skipped}`);
    else {
      const r = reconcile;
      out.push(
        `Reconcile over ${r.users.toLocaleString('en')} users, ${r.perPage} per page (auth stand-in pre-filled in ${(r.seedMs / 1000).toFixed(1)} s, its own process):`,
      );
      const head = [
        pad('step', 40),
        pad('run ms', 8, true),
        pad('wall ms', 8, true),
        pad('users/s', 8, true),
        pad('peak RSS', 9, true),
        pad('CPU ms: self', 13, true),
        pad('auth', 7, true),
        pad('postgres', 9, true),
      ];
      out.push(head.join('  '));
      out.push('-'.repeat(head.join('  ').length));
      out.push(
        [
          pad('(a)  listUsers paging only', 40),
          pad(String(r.paging.durationMs), 8, true),
          pad(String(r.paging.durationMs), 8, true),
          pad(String(r.paging.usersPerSecond), 8, true),
          pad('-', 9, true),
          pad(String(r.paging.cpuMs.loadgen), 13, true),
          pad(String(r.paging.cpuMs.auth), 7, true),
          pad('-', 9, true),
        ].join('  '),
      );
      for (const [label, run] of [
        ['(b1) reconcile CLI, empty mirror', r.first],
        ['(b2) reconcile CLI, all unchanged', r.second],
      ] as const) {
        out.push(
          [
            pad(label, 40),
            pad(String(run.durationMs), 8, true),
            pad(String(run.wallMs), 8, true),
            pad(String(run.usersPerSecond), 8, true),
            pad(run.peakRssMb === null ? '?' : `${run.peakRssMb} MB`, 9, true),
            pad(String(run.cpuMs.reconcile ?? '?'), 13, true),
            pad(String(run.cpuMs.auth), 7, true),
            pad(String(run.cpuMs.postgres), 9, true),
          ].join('  '),
        );
      }
      out.push('("run ms" is the summary\'s durationMs, "wall ms" spawn to exit incl. Node/Nest start-up; peak RSS: VmHWM at exit)');
      out.push(
        `the fastest of ${r.rounds.length} rounds of (a), (b1), (b2) in turn, (b1) each on a new empty mirror: ` +
          `a ${r.rounds.map((round) => round.paging).join(' / ')} ms, b1 ${r.rounds.map((round) => round.first).join(' / ')} ms, ` +
          `b2 ${r.rounds.map((round) => round.second).join(' / ')} ms`,
      );
      out.push(
        `writing overhead over paging alone: (b1 − a) ÷ a = ${pct(r.overhead)} (target ≤ 100%); (b2 − a) ÷ a = ${pct(r.secondOverhead)}`,
      );
      out.push(`mirror after both runs: ${r.mirrorRows.map((rows) => rows.toLocaleString('en')).join(' / ')} live users`);
      if (r.latency) {
        const l = r.latency;
        out.push(
          `with ${l.latencyMs} ms added to every listUsers answer (as across a network; one round, for information): ` +
            `(a) ${l.pagingMs} ms, (b1) ${l.firstMs} ms = ${pct(l.overhead)}, (b2) ${l.secondMs} ms = ${pct(l.secondOverhead)}`,
        );
      }
    }
  }
  if (lookup && measurements.apiLookup) {
    const a = measurements.apiLookup;
    const o = lookup.old;
    out.push('');
    out.push(
      `Phone lookup over ${lookup.users.toLocaleString('en')} users (mirror seeded with pg in ${lookup.seedMs.mirror} ms; ` +
        `auth stand-in pre-filled with the same numbers in ${lookup.seedMs.auth} ms, its own process):`,
    );
    out.push(
      `  (a) API GET /users/lookup, ${a.connections} clients, ${a.durationSeconds} s, random numbers: ` +
        `p50 ${a.latencyMs.p50} ms, p99 ${a.latencyMs.p99} ms, ${a.requestsPerSecond.toFixed(0)} req/s`,
    );
    out.push(
      `  (b) listUsers paging (${o.perPage} per page) until found, ${o.samples} random numbers one at a time: ` +
        `p50 ${o.latencyMs.p50} ms, p99 ${o.latencyMs.p99} ms (min ${o.latencyMs.min}, max ${o.latencyMs.max}; ${o.meanPages} pages on average)`,
    );
    out.push(
      `  (a1) API GET /users/lookup, ${lookup.sequential.samples} one at a time: p50 ${lookup.sequential.latencyMs.p50} ms, ` +
        `p99 ${lookup.sequential.latencyMs.p99} ms, mean ${lookup.sequential.latencyMs.mean} ms`,
    );
    out.push(
      `  (b) ÷ (a1), p50, both one at a time: ${lookup.ratio.toFixed(0)}× (target ≥ ${LOOKUP_RATIO}×); ` +
        `(b) ÷ (a), p50 against the API under ${a.connections}-client load: ${lookup.ratioUnderLoad.toFixed(0)}×`,
    );
  }
  if (report.intake) {
    const { drain, lag } = report.intake;
    out.push('');
    out.push(
      `Pull intake (GoTrue's schema, the real install SQL, LISTEN on): ${drain.changes.toLocaleString('en')} changes committed with no ` +
        `service running (in ${drain.fillMs} ms), then applied in ${drain.applyMs} ms = ${drain.perSecond.toLocaleString('en')}/s`,
    );
    out.push(
      `  ${lag.committed.toLocaleString('en')} changes at ${lag.committedPerSecond}/s for ${lag.seconds.toFixed(1)} s: commit to mirror ` +
        `p50 ${lag.latencyMs.p50} ms, p99 ${lag.latencyMs.p99} ms, max ${lag.latencyMs.max} ms; outbox backlog max ${lag.backlog.max}, ` +
        `${lag.backlog.atEnd} when the last change committed`,
    );
  }
  if (report.sqlReconcile) {
    const r = report.sqlReconcile;
    out.push('');
    out.push(
      `Reconcile by SQL over ${r.users.toLocaleString('en')} users in auth.users (filled in ${r.fillMs} ms), ${report.settings.reconcilePerPage} per page:`,
    );
    for (const [label, run] of [
      ['empty mirror', r.first],
      ['nothing changed', r.second],
    ] as const) {
      out.push(
        `  ${label}: ${(run.durationMs / 1000).toFixed(1)} s (${(run.wallMs / 1000).toFixed(1)} s with start-up), ` +
          `${run.usersPerSecond.toLocaleString('en')} users/s, peak RSS ${run.peakRssMb ?? '?'} MB, CPU ms: reconcile ${run.cpuMs.reconcile ?? '?'}, Postgres ${run.cpuMs.postgres}`,
      );
    }
    const admin = r.adminPath;
    if (admin) {
      const head = `  the admin API on the same users (the stand-in on auth.users, GoTrue's OFFSET paging): `;
      const pace = `one page alone ${admin.pageMs.first} ms (the first) to ${admin.pageMs.last} ms (the last); ${admin.pages} pages, ${admin.mirrored.toLocaleString('en')} users mirrored, ${admin.usersPerSecond.toLocaleString('en')} users/s`;
      out.push(
        admin.finished
          ? `${head}finished in ${(admin.elapsedMs / 1000).toFixed(1)} s with start-up, ${pace}; ` +
              `${(r.users - admin.mirrored).toLocaleString('en')} users not mirrored; ` +
              `the CLI saw ${admin.summary?.seen ?? '?'} and judged its listing ${admin.summary?.complete === false ? `incomplete (${admin.summary.error ?? 'no reason given'})` : 'complete'}`
          : `${head}stopped after its ${(admin.budgetMs / 1000).toFixed(0)} s, ${pace}: all of them would take at least ` +
              `${(admin.projectedMs / 60_000).toFixed(1)} min (later pages cost more than early ones)`,
      );
    }
  }
  if (report.admin) out.push(...adminParagraph(report.admin));
  out.push('');
  for (const t of targets) {
    out.push(
      `${t.info ? 'INFO' : t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'FAIL'}  ${pad(t.name, 44)} target ${pad(t.target, 26)} got ${t.actual}`,
    );
    for (const note of t.notes) out.push(`        ${note}`);
  }
  if (ratios) {
    out.push('');
    out.push(
      'Note: (b) calls the local auth stand-in over loopback (sub-millisecond, same machine); a real Supabase ' +
        'project adds a network round trip to every such call, so (b) is slower in production than here.',
    );
  }
  out.push(`Results written to ${report.file}`);
  process.stdout.write(out.join('\n') + '\n');
}
