// Deliveries per second, signed form: `POST /webhooks/supabase` with Standard Webhooks headers,
// `user.updated` events over a few thousand distinct users (the first event of each user creates
// its row, the later ones update it, with strictly increasing `updated_at`). Every delivery is
// signed before the clock starts (signing is the sender's cost), right before its run (the
// endpoint refuses timestamps more than 5 minutes off), then driven by autocannon at N
// connections, one pre-signed request after the other (each exactly once: a repeat would be a
// `duplicate`). Every answer must be 200 `applied`; afterwards every row must hold the last event.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { cpuSnapshot, type CpuRoles } from './cpu.js';
import { summarise, type Measurement } from './measure.js';
import { DeliverySigner, nowMicros, rfc3339Micros, type SignedDelivery } from './webhooks.js';

export interface DeliveriesOptions {
  name: string;
  apiUrl: string;
  databaseUrl: string;
  secret: string;
  runId: string;
  /** Distinct users of the measured run. */
  users: number;
  /** Events per user: the first creates the row, the others update it. */
  rounds: number;
  /** Distinct users of the warm-up run (same rounds); 0 for none. */
  warmupUsers: number;
  connections: number;
  cpu: CpuRoles;
}

export interface DeliveriesResult {
  measurement: Measurement;
  users: number;
  rounds: number;
  /** `outcome` of the 200 answers of the measured run (created, updated, ...). */
  outcomes: Record<string, number>;
  /** Time to sign the measured run's requests (the sender's cost, not measured). */
  signMs: number;
  /** Rows that hold the last event of their user after the run (must equal `users`). */
  rowsCurrent: number;
}

interface EventUser {
  id: string;
  email: string;
  createdAt: string;
  /** Microseconds since the epoch of round 0's updated_at. */
  base: bigint;
}

function makeUsers(count: number, prefix: string): EventUser[] {
  // An hour ago, one second between rounds, a microsecond apart between users: every updated_at
  // strictly increases per user, and microseconds matter (Supabase keeps them).
  const start = nowMicros() - 3_600_000_000n;
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    email: `${prefix}-${i}@example.com`,
    createdAt: rfc3339Micros(start),
    base: start + BigInt(i + 1),
  }));
}

/** Round-major order: every user's event r before any user's event r + 1, far apart in the sequence. */
function signAll(signer: DeliverySigner, users: EventUser[], rounds: number, idPrefix: string): SignedDelivery[] {
  const signed: SignedDelivery[] = [];
  const at = new Date();
  for (let round = 0; round < rounds; round++) {
    for (const user of users) {
      signed.push(
        signer.sign(
          `msg_${idPrefix}_${round}_${user.id}`,
          {
            type: 'user.updated',
            user: {
              id: user.id,
              aud: 'authenticated',
              role: 'authenticated',
              email: user.email,
              phone: '',
              app_metadata: {},
              user_metadata: { n: round },
              created_at: user.createdAt,
              updated_at: rfc3339Micros(user.base + BigInt(round) * 1_000_000n),
              is_anonymous: false,
            },
          },
          at,
        ),
      );
    }
  }
  return signed;
}

interface Driven {
  result: autocannon.Result;
  elapsedSeconds: number;
  outcomes: Record<string, number>;
}

/** Sends each delivery exactly once over `connections` keep-alive connections. */
async function drive(apiUrl: string, deliveries: SignedDelivery[], connections: number): Promise<Driven> {
  let next = 0;
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const result = await autocannon({
    url: apiUrl,
    connections: Math.min(connections, deliveries.length),
    amount: deliveries.length,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/supabase',
        setupRequest: (request) => {
          // autocannon asks for exactly `amount` requests; a wrap-around would show up as `duplicate`.
          const delivery = deliveries[next++ % deliveries.length];
          request.headers = delivery.headers;
          request.body = delivery.body;
          return request;
        },
      },
    ],
    verifyBody: (body) => {
      let parsed: { status?: unknown; outcome?: unknown } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // not JSON: a mismatch
      }
      const key = parsed.status === 'applied' ? String(parsed.outcome) : `status ${String(parsed.status)}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      return parsed.status === 'applied';
    },
  });
  return { result, elapsedSeconds: (performance.now() - started) / 1000, outcomes };
}

export async function measureDeliveries(options: DeliveriesOptions): Promise<DeliveriesResult> {
  const signer = new DeliverySigner(options.secret);
  let warmupFailures = 0;
  if (options.warmupUsers > 0) {
    const warmupUsers = makeUsers(options.warmupUsers, `dlv-warm-${options.runId}`);
    const warm = await drive(options.apiUrl, signAll(signer, warmupUsers, options.rounds, `warm_${options.runId}`), options.connections);
    warmupFailures = warm.result.non2xx + warm.result.errors + warm.result.mismatches;
  }

  const users = makeUsers(options.users, `dlv-${options.runId}`);
  const signStarted = performance.now();
  const deliveries = signAll(signer, users, options.rounds, options.runId);
  const signMs = performance.now() - signStarted;

  const cpuBefore = cpuSnapshot(options.cpu);
  const { result, elapsedSeconds, outcomes } = await drive(options.apiUrl, deliveries, options.connections);
  const cpuAfter = cpuSnapshot(options.cpu);
  const measurement = summarise(
    { name: options.name, method: 'POST', url: `${options.apiUrl}/webhooks/supabase`, connections: options.connections, warmupFailures },
    result,
    cpuBefore,
    cpuAfter,
  );
  // A fixed amount of work: completed ÷ wall time (autocannon's per-second average counts the
  // last, partial second as a whole one).
  measurement.durationSeconds = Number(elapsedSeconds.toFixed(2));
  measurement.requestsPerSecond = measurement.requests / elapsedSeconds;

  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ current: string }>(
      `SELECT count(*) AS current FROM users
       WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL AND (user_metadata->>'n')::int = $2`,
      [users.map((user) => user.id), options.rounds - 1],
    );
    return { measurement, users: options.users, rounds: options.rounds, outcomes, signMs, rowsCurrent: Number(rows[0].current) };
  } finally {
    await client.end();
  }
}
