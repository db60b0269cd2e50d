// Deleting a user who owns many rows, through the real path: a signed `user.deleted` delivery to
// `POST /webhooks/supabase` (the API tombstones the user, the rows they own go by ON DELETE
// CASCADE, the deletion is audited and clean-up jobs are queued, in one transaction).
//
// Seed per user: signed up through the auth stand-in, synced through the API, then `rowsPerUser`
// audit_events rows owned by the user inserted directly with `pg` (then ANALYZE, as autovacuum
// would). One extra user is deleted first as a warm-up (reported, not counted). The deletions
// run one at a time, each timed from the request to the answer, with a pause between them so
// that the clean-up jobs of one do not land in the next one's timing.
import pg from 'pg';
import { createUsers, syncUsers } from './users.js';
import { DeliverySigner, postDelivery } from './webhooks.js';

export interface DeletionOptions {
  apiUrl: string;
  authUrl: string;
  anonKey: string;
  databaseUrl: string;
  secret: string;
  runId: string;
  /** Users deleted and timed (plus one warm-up). */
  users: number;
  rowsPerUser: number;
  gapMs: number;
  log: (message: string) => void;
}

export interface DeletionResult {
  users: number;
  rowsPerUser: number;
  warmupMs: number;
  timingsMs: number[];
  minMs: number;
  medianMs: number;
  maxMs: number;
  /** Seconds spent creating, syncing and seeding the users (not measured). */
  seedSeconds: number;
  /** Every problem found by the checks after the deletions; empty when all is as it must be. */
  problems: string[];
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

export async function measureDeletion(options: DeletionOptions): Promise<DeletionResult> {
  const seedStarted = performance.now();
  const users = await createUsers(options.authUrl, options.anonKey, options.users + 1, `${options.runId}-del`);
  await syncUsers(options.apiUrl, users);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    for (const user of users) {
      await client.query(
        `INSERT INTO audit_events (user_id, subject_id, type, details)
         SELECT $1, $1, 'app.event', '{}' FROM generate_series(1, $2::int)`,
        [user.id, options.rowsPerUser],
      );
    }
    await client.query('ANALYZE audit_events');
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    options.log(`seeded ${users.length} users × ${options.rowsPerUser} rows in ${seedSeconds.toFixed(1)} s; deleting them one by one`);

    const signer = new DeliverySigner(options.secret);
    const url = `${options.apiUrl}/webhooks/supabase`;
    const problems: string[] = [];
    const timings: number[] = [];
    for (const [index, user] of users.entries()) {
      // Signed right before it is sent: the timestamp is "now", as the sender's would be.
      const delivery = signer.sign(`msg_del_${options.runId}_${user.id}`, { type: 'user.deleted', user: { id: user.id } });
      const started = performance.now();
      const answer = await postDelivery(url, delivery);
      const elapsed = performance.now() - started;
      const body = answer.body as { status?: string; outcome?: string };
      if (answer.status !== 200 || body.status !== 'applied' || body.outcome !== 'deleted') {
        problems.push(`deletion of ${user.id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      timings.push(elapsed);
      if (index < users.length - 1) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    }

    const ids = users.map((user) => user.id);
    const { rows } = await client.query<{
      id: string;
      owned: string;
      deleted_at: Date | null;
      email: string | null;
      audited: string;
      present: boolean;
    }>(
      `SELECT i.id::text AS id,
              (SELECT count(*) FROM audit_events a WHERE a.user_id = i.id) AS owned,
              (SELECT count(*) FROM audit_events a WHERE a.subject_id = i.id AND a.type = 'user.deleted') AS audited,
              u.id IS NOT NULL AS present, u.deleted_at, u.email
       FROM unnest($1::uuid[]) AS i(id) LEFT JOIN users u ON u.id = i.id`,
      [ids],
    );
    for (const row of rows) {
      if (Number(row.owned) !== 0) problems.push(`${row.id}: ${row.owned} rows it owned are still there`);
      if (!row.present) problems.push(`${row.id}: no tombstone row`);
      else if (row.deleted_at === null || row.email !== null)
        problems.push(`${row.id}: not a tombstone (deleted_at ${String(row.deleted_at)}, email ${row.email})`);
      if (Number(row.audited) !== 1) problems.push(`${row.id}: ${row.audited} user.deleted audit records (expected 1)`);
    }

    const [warmupMs, ...measured] = timings;
    const sorted = [...measured].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return {
      users: measured.length,
      rowsPerUser: options.rowsPerUser,
      warmupMs: round1(warmupMs),
      timingsMs: measured.map(round1),
      minMs: round1(sorted[0]),
      medianMs: round1(median),
      maxMs: round1(sorted[sorted.length - 1]),
      seedSeconds: Number(seedSeconds.toFixed(1)),
      problems,
    };
  } finally {
    await client.end();
  }
}
