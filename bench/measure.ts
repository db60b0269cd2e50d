// One autocannon measurement: a warm-up (discarded, but its failures are reported), then the
// measured run, with each request carrying the next user's token (a shared round-robin, so that
// concurrent requests are for different users).
import autocannon from 'autocannon';
import { cpuSnapshot, type CpuRoles } from './cpu.js';
import type { BenchUser } from './users.js';

export interface Measurement {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  non2xx: number;
  /** Socket errors and timeouts (autocannon counts a timeout as an error). */
  errors: number;
  timeouts: number;
  /** 2xx answers whose body was not the expected one (only where a body check is given). */
  mismatches: number;
  statusCodes: Record<string, number>;
  warmupFailures: number;
  /** CPU time per completed request, in µs, of each process group during the measured run. */
  cpuMicrosPerRequest: Record<string, number>;
}

export interface MeasureOptions {
  name: string;
  baseUrl: string;
  method: 'GET' | 'POST';
  path: string;
  users: BenchUser[];
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Process groups whose CPU time is accounted (e.g. server, auth, postgres, load generator). */
  cpu: CpuRoles;
}

function run(options: MeasureOptions, durationSeconds: number): Promise<autocannon.Result> {
  let next = 0;
  const headers = options.users.map((user) => ({ authorization: `Bearer ${user.accessToken}` }));
  return autocannon({
    url: options.baseUrl,
    connections: options.connections,
    duration: durationSeconds,
    timeout: 10,
    requests: [
      {
        method: options.method,
        path: options.path,
        setupRequest: (request) => {
          request.headers = headers[next++ % headers.length]!;
          return request;
        },
      },
    ],
  });
}

/** autocannon counts a timeout as an error too. */
function failures(result: autocannon.Result): number {
  return result.non2xx + result.errors;
}

export async function measure(options: MeasureOptions): Promise<Measurement> {
  let warmupFailures = 0;
  if (options.warmupSeconds > 0) warmupFailures = failures(await run(options, options.warmupSeconds));
  const cpuBefore = cpuSnapshot(options.cpu);
  const result = await run(options, options.durationSeconds);
  const cpuAfter = cpuSnapshot(options.cpu);
  return summarise(
    {
      name: options.name,
      method: options.method,
      url: `${options.baseUrl}${options.path}`,
      connections: options.connections,
      warmupFailures,
    },
    result,
    cpuBefore,
    cpuAfter,
  );
}

/** A Measurement from one autocannon result and the CPU snapshots taken around it. */
export function summarise(
  what: Pick<Measurement, 'name' | 'method' | 'url' | 'connections' | 'warmupFailures'>,
  result: autocannon.Result,
  cpuBefore: Record<string, number>,
  cpuAfter: Record<string, number>,
): Measurement {
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  const completed = Object.values(statusCodes).reduce((sum, count) => sum + count, 0);
  const cpuMicrosPerRequest: Record<string, number> = {};
  for (const role of Object.keys(cpuAfter)) {
    cpuMicrosPerRequest[role] = completed > 0 ? Math.round((((cpuAfter[role] ?? 0) - (cpuBefore[role] ?? 0)) * 1000) / completed) : 0;
  }
  return {
    ...what,
    durationSeconds: result.duration,
    requests: completed,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches ?? 0,
    statusCodes,
    cpuMicrosPerRequest,
  };
}

/** Requests that did not end in an expected 2xx (non-2xx answers, socket errors, timeouts, body mismatches). */
export function failedRequests(m: Measurement): number {
  return m.non2xx + m.errors + m.mismatches;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
