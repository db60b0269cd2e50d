// The benchmark's flags and env variables (both listed in run.ts), read once at start.

export const SECTIONS = [
  'me',
  'sync',
  'deliveries',
  'delete',
  'reconcile',
  'lookup',
  'signup',
  'intake',
  'reconcile-sql',
  'admin',
] as const;
export type Section = (typeof SECTIONS)[number];

export interface Settings {
  json: boolean;
  check: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  users: number;
  connections: number;
  poolSize: number;
  profile: boolean;
  /** The sections to run, in SECTIONS order. */
  sections: Section[];
  /** True when --only narrowed the run. */
  partial: boolean;
  deliveryUsers: number;
  deliveryRounds: number;
  deliveryWarmupUsers: number;
  deleteUsers: number;
  deleteRows: number;
  reconcileUsers: number;
  /** Per-request latency of the second stand-in of the reconcile section (0: not measured). */
  reconcileLatencyMs: number;
  reconcilePerPage: number;
  lookupUsers: number;
  lookupConnections: number;
  lookupDurationSeconds: number;
  lookupOldSamples: number;
  signupConnections: number;
  /** The pull intake: the backlog drained, and the rate of changes while its lag is measured (for durationSeconds). */
  intakeChanges: number;
  intakeRate: number;
  /** Users in auth.users for reconcile by SQL. */
  sqlReconcileUsers: number;
  /** How long the admin-API path may run over the same users (0: not run). */
  sqlReconcileAdminSeconds: number;
  signupDurationSeconds: number;
  /** Users in the mirror of the admin section, and requests (or reads) per case. */
  adminUsers: number;
  adminSamples: number;
}

function positive(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed) || parsed < min) throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return parsed;
}

export function parseSettings(argv: string[], env: NodeJS.ProcessEnv): Settings {
  let duration = env.BENCH_DURATION;
  let json = false;
  let check = false;
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--check') check = true;
    else if (arg === '--duration') duration = argv[++i];
    else if (arg.startsWith('--duration=')) duration = arg.slice('--duration='.length);
    else if (arg === '--only') only = argv[++i];
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else throw new Error(`unknown argument "${arg}" (use --json, --check, --duration <seconds>, --only <${SECTIONS.join(',')}>)`);
  }
  const sections = parseSections(only);
  return {
    json,
    check,
    durationSeconds: positive('BENCH_DURATION / --duration', duration, 10),
    warmupSeconds: positive('BENCH_WARMUP', env.BENCH_WARMUP, 2, 0),
    users: Math.floor(positive('BENCH_USERS', env.BENCH_USERS, 200)),
    connections: Math.floor(positive('BENCH_CONNECTIONS', env.BENCH_CONNECTIONS, 32)),
    poolSize: Math.floor(positive('BENCH_POOL_SIZE', env.BENCH_POOL_SIZE, 10)),
    profile: /^(1|true|yes)$/i.test(env.BENCH_PROFILE ?? ''),
    sections,
    partial: sections.length < SECTIONS.length,
    deliveryUsers: Math.floor(positive('BENCH_DELIVERY_USERS', env.BENCH_DELIVERY_USERS, 3000)),
    deliveryRounds: Math.floor(positive('BENCH_DELIVERY_ROUNDS', env.BENCH_DELIVERY_ROUNDS, 3)),
    deliveryWarmupUsers: Math.floor(positive('BENCH_DELIVERY_WARMUP_USERS', env.BENCH_DELIVERY_WARMUP_USERS, 500, 0)),
    deleteUsers: Math.floor(positive('BENCH_DELETE_USERS', env.BENCH_DELETE_USERS, 10)),
    deleteRows: Math.floor(positive('BENCH_DELETE_ROWS', env.BENCH_DELETE_ROWS, 10_000)),
    reconcileUsers: Math.floor(positive('BENCH_RECONCILE_USERS', env.BENCH_RECONCILE_USERS, 100_000)),
    intakeChanges: Math.floor(positive('BENCH_INTAKE_CHANGES', env.BENCH_INTAKE_CHANGES, 100_000)),
    intakeRate: Math.floor(positive('BENCH_INTAKE_RATE', env.BENCH_INTAKE_RATE, 1000)),
    sqlReconcileUsers: Math.floor(positive('BENCH_RECONCILE_SQL_USERS', env.BENCH_RECONCILE_SQL_USERS, 1_000_000)),
    sqlReconcileAdminSeconds: positive('BENCH_RECONCILE_ADMIN_SECONDS', env.BENCH_RECONCILE_ADMIN_SECONDS, 60, 0),
    reconcileLatencyMs: Math.floor(positive('BENCH_RECONCILE_LATENCY_MS', env.BENCH_RECONCILE_LATENCY_MS, 20, 0)),
    reconcilePerPage: Math.floor(positive('BENCH_RECONCILE_PER_PAGE', env.BENCH_RECONCILE_PER_PAGE, 1000)),
    lookupUsers: Math.floor(positive('BENCH_LOOKUP_USERS', env.BENCH_LOOKUP_USERS, 100_000)),
    lookupConnections: Math.floor(positive('BENCH_LOOKUP_CONNECTIONS', env.BENCH_LOOKUP_CONNECTIONS, 8)),
    lookupDurationSeconds: positive('BENCH_LOOKUP_DURATION', env.BENCH_LOOKUP_DURATION, 5),
    lookupOldSamples: Math.floor(positive('BENCH_LOOKUP_OLD_SAMPLES', env.BENCH_LOOKUP_OLD_SAMPLES, 15)),
    signupConnections: Math.floor(positive('BENCH_SIGNUP_CONNECTIONS', env.BENCH_SIGNUP_CONNECTIONS, 8)),
    signupDurationSeconds: positive('BENCH_SIGNUP_DURATION', env.BENCH_SIGNUP_DURATION, 5),
    adminUsers: Math.floor(positive('BENCH_ADMIN_USERS', env.BENCH_ADMIN_USERS, 1_000_000)),
    adminSamples: Math.floor(positive('BENCH_ADMIN_SAMPLES', env.BENCH_ADMIN_SAMPLES, 100)),
  };
}

function parseSections(raw: string | undefined): Section[] {
  if (raw === undefined) return [...SECTIONS];
  const asked = raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const unknown = asked.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (asked.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(', ')}; got "${raw}"`);
  }
  return SECTIONS.filter((section) => asked.includes(section));
}
