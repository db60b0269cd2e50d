// Signups per second through the API's `POST /auth/signup` (the saga: Supabase admin createUser
// on the auth stand-in, then the mirror): unique emails, no Idempotency-Key, autocannon for a fixed
// duration; every answer must be 201 (the API's auth rate limits must be off).
import autocannon from 'autocannon';
import { cpuSnapshot, type CpuRoles } from './cpu.js';
import { summarise, type Measurement } from './measure.js';

export interface SignupOptions {
  apiUrl: string;
  runId: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  cpu: CpuRoles;
}

export interface SignupResult {
  measurement: Measurement;
  /** Answers other than 201 (socket errors and timeouts included). */
  non201: number;
}

const PASSWORD = 'Correct-Horse-42';

export async function measureSignup(options: SignupOptions): Promise<SignupResult> {
  let next = 0;
  const run = (durationSeconds: number) =>
    autocannon({
      url: options.apiUrl,
      connections: options.connections,
      duration: durationSeconds,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: '/auth/signup',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => {
            request.body = JSON.stringify({ email: `signup-${options.runId}-${next++}@example.com`, password: PASSWORD });
            return request;
          },
        },
      ],
    });
  const count201 = (result: autocannon.Result) => result.statusCodeStats['201']?.count ?? 0;
  const total = (result: autocannon.Result) => Object.values(result.statusCodeStats).reduce((sum, { count }) => sum + count, 0);
  let warmupFailures = 0;
  if (options.warmupSeconds > 0) {
    const warm = await run(options.warmupSeconds);
    warmupFailures = total(warm) - count201(warm) + warm.errors;
  }
  const cpuBefore = cpuSnapshot(options.cpu);
  const result = await run(options.durationSeconds);
  const cpuAfter = cpuSnapshot(options.cpu);
  const measurement = summarise(
    {
      name: 'API  POST /auth/signup',
      method: 'POST',
      url: `${options.apiUrl}/auth/signup`,
      connections: options.connections,
      warmupFailures,
    },
    result,
    cpuBefore,
    cpuAfter,
  );
  return { measurement, non201: total(result) - count201(result) + result.errors };
}
