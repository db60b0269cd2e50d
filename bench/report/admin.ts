// The admin section in the report: its targets (each figure of GET /admin/stats, p99 < 200 ms at
// a million users) and its paragraph, a line per case.
import type { AdminResult, LatencyCase } from '../admin.js';
import type { Target } from './targets.js';

export const FIGURE_P99_MS = 200;

export function adminTargets(admin: AdminResult): Target[] {
  const at = `${admin.seed.users.toLocaleString('en')} users`;
  const targets: Target[] = admin.figures.map((figure) => ({
    name: `stats figure ${figure.name}, ${at}`,
    target: `p99 < ${FIGURE_P99_MS} ms`,
    actual: `p50 ${figure.latencyMs.p50} ms, p99 ${figure.latencyMs.p99} ms`,
    pass: figure.latencyMs.p99 < FIGURE_P99_MS && admin.problems.length === 0,
    notes: [],
  }));
  const slowest = (cases: LatencyCase[]) => cases.reduce((a, b) => (b.latencyMs.p99 > a.latencyMs.p99 ? b : a));
  for (const [route, cases] of [
    ['GET /admin/users', admin.users],
    ['GET /admin/stats', admin.stats],
  ] as const) {
    const worst = slowest(cases);
    targets.push({
      name: `${route}, ${at}, slowest case`,
      target: 'none (figure only)',
      actual: `${worst.name}: p50 ${worst.latencyMs.p50} ms, p99 ${worst.latencyMs.p99} ms`,
      pass: admin.problems.length === 0 ? null : false,
      info: admin.problems.length === 0,
      notes: [],
    });
  }
  if (admin.problems.length > 0) targets[0].notes.push(...admin.problems.slice(0, 10));
  return targets;
}

function line(test: LatencyCase): string {
  const { p50, p99, max } = test.latencyMs;
  return `  ${test.name.padEnd(34)} ${String(p50).padStart(8)} ${String(p99).padStart(8)} ${String(max).padStart(8)}`;
}

export function adminParagraph(admin: AdminResult): string[] {
  const { seed } = admin;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const head = `  ${'case'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`;
  return [
    '',
    `Admin routes over ${seed.users.toLocaleString('en')} users, ${seed.tombstones.toLocaleString('en')} tombstones and ` +
      `${seed.deletionRecords.toLocaleString('en')} deletion records (inserted with SQL: users ${seconds(seed.ms.users)}, ` +
      `profiles ${seconds(seed.ms.profiles)}, audit ${seconds(seed.ms.audit)}, VACUUM ANALYZE ${seconds(seed.ms.vacuum)}), ` +
      `${admin.users[0]?.samples ?? 0} requests per case, one at a time, each with values of its own:`,
    'GET /admin/users (limit 50)',
    head,
    ...admin.users.map(line),
    'GET /admin/stats (every figure, in one snapshot)',
    head,
    ...admin.stats.map(line),
    `each figure's SQL alone (the service's functions, generic plans; target p99 < ${FIGURE_P99_MS} ms)`,
    head,
    ...admin.figures.map(line),
  ];
}
