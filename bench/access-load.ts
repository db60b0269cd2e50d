// Fills the access registry for the "me" section: revoked sessions of the benchmark's users
// (not the measured sessions), as devices revoked and announced, so that every guarded request
// is checked against a registry of a realistic size rather than an empty one.
import pg from 'pg';

export async function revokeSessions(databaseUrl: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `WITH u AS (SELECT array_agg(id) AS ids FROM users WHERE deleted_at IS NULL)
       INSERT INTO devices (id, user_id, revoked_at, supabase_ended_at)
       SELECT gen_random_uuid(), u.ids[1 + g % array_length(u.ids, 1)], now(), now() FROM u, generate_series(1, $1::int) AS g`,
      [count],
    );
    // The same notification a revocation sends (src/access/access-events.ts), heard on commit by both APIs.
    await client.query(
      `SELECT pg_notify('authmirror_access', json_build_object('kind', 'session', 'session', id, 'endedAt', supabase_ended_at)::text)
       FROM devices WHERE revoked_at IS NOT NULL`,
    );
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
