// The run's report: the machine, the settings, every figure, the /users/me ratios and the
// targets, as written to .data/bench-latest*.json and printed by print.ts.
import { cpus, loadavg } from 'node:os';
import type { Results } from '../results.js';
import type { Settings } from '../settings.js';
import { evaluate } from './targets.js';

/** Taken before anything of ours runs: anything above ~0 means other work shares the cores. */
const LOAD_AT_START = loadavg()[0];

export type Report = ReturnType<typeof buildReport>;

export function buildReport(settings: Settings, results: Results, file: string) {
  const { apiMe, minimalMe, guardMe } = results.measurements;
  const targets = evaluate(results);
  return {
    generatedAt: new Date().toISOString(),
    file,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverageAtStart: LOAD_AT_START,
      loadAverageAtEnd: loadavg()[0],
    },
    settings: {
      sections: settings.sections,
      partial: settings.partial,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
      users: settings.users,
      poolSize: settings.poolSize,
      profile: settings.profile,
      deliveryUsers: settings.deliveryUsers,
      deliveryRounds: settings.deliveryRounds,
      deliveryWarmupUsers: settings.deliveryWarmupUsers,
      deleteUsers: settings.deleteUsers,
      deleteRows: settings.deleteRows,
      reconcileUsers: settings.reconcileUsers,
      reconcilePerPage: settings.reconcilePerPage,
      lookupUsers: settings.lookupUsers,
      lookupConnections: settings.lookupConnections,
      lookupDurationSeconds: settings.lookupDurationSeconds,
      lookupOldSamples: settings.lookupOldSamples,
      signupConnections: settings.signupConnections,
      signupDurationSeconds: settings.signupDurationSeconds,
      intakeChanges: settings.intakeChanges,
      intakeRate: settings.intakeRate,
      sqlReconcileUsers: settings.sqlReconcileUsers,
      adminUsers: settings.adminUsers,
      adminSamples: settings.adminSamples,
    },
    measurements: results.measurements,
    ratios:
      apiMe && minimalMe && guardMe
        ? {
            meOfMinimal: apiMe.requestsPerSecond / minimalMe.requestsPerSecond,
            meOverGuard: apiMe.requestsPerSecond / guardMe.requestsPerSecond,
            minimalOverGuard: minimalMe.requestsPerSecond / guardMe.requestsPerSecond,
          }
        : null,
    deliveries: results.deliveries,
    deletion: results.deletion,
    reconcile: results.reconcile,
    lookup: results.lookup,
    signup: results.signup,
    intake: results.intake,
    sqlReconcile: results.sqlReconcile,
    admin: results.admin,
    accessChecks: results.accessChecks,
    targets,
    /** Every target measured passed (skipped ones count neither way). */
    allPass: targets.every((t) => t.pass !== false),
  };
}
