// The `admin` section's mirror: N users written straight into Postgres with SQL (generate_series),
// shaped so that every filter of GET /admin/users and every figure of GET /admin/stats has work
// to do. The values are functions of the row number, so the measurement can ask for ones that exist.
//
//   - users g = 1…N created evenly over the last 1,095 days, 'user<g>@d<g % 5000>.example';
//     every 7th with a phone (phoneOf); 9 in 10 signed in within 400 days (most of them lately);
//     every 1,000th banned; providers email 60 %, google 20 %, github 10 %, phone 5 %, apple 5 %;
//   - profiles for 9 in 10 users, 2 in 5 of those onboarded within 3 days of signing up;
//   - 5 % more as tombstones (deleted in the last 30 days), and N / 10 deletion records over the
//     3 years among 4 N / 10 other audit events; then VACUUM ANALYZE until the visibility map covers
//     the tables, as autovacuum leaves them.
import pg from 'pg';

export const SEED_DAYS = 1095;
export const DOMAINS = 5000;
export const PROVIDERS = ['email', 'google', 'github', 'phone', 'apple'] as const;

/** The phone of user g (every 7th user has one). */
export const phoneOf = (g: number) => `+4915${100_000_000 + g}`;

export interface AdminSeed {
  users: number;
  tombstones: number;
  deletionRecords: number;
  ms: { users: number; profiles: number; audit: number; vacuum: number };
}

/**
 * VACUUM until the visibility map covers the tables, as autovacuum leaves a settled database. A VACUUM cannot mark a page
 * all-visible while a snapshot older than its rows is open (an autovacuum ANALYZE that started during the inserts):
 * index-only scans would then visit the table after all. False if it still could not after 30 tries.
 */
async function vacuumUntilVisible(client: pg.Client, tables: string[]): Promise<boolean> {
  for (let attempt = 1; attempt <= 30; attempt++) {
    await client.query(`VACUUM (ANALYZE) ${tables.join(', ')}`);
    const { rows } = await client.query(`SELECT 1 FROM pg_class WHERE relname = ANY($1) AND relallvisible < relpages * 0.99`, [tables]);
    if (rows.length === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return false;
}

export async function seedAdminMirror(databaseUrl: string, users: number, log: (message: string) => void): Promise<AdminSeed> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const timed = async (label: string, statements: string[]) => {
    const started = performance.now();
    for (const statement of statements) await client.query(statement);
    const ms = Math.round(performance.now() - started);
    log(`  ${label}: ${(ms / 1000).toFixed(1)} s`);
    return ms;
  };
  const tombstones = Math.round(users / 20);
  const deletionRecords = Math.round(users / 10);
  try {
    const usersMs = await timed(`${users.toLocaleString('en')} users and ${tombstones.toLocaleString('en')} tombstones`, [
      `INSERT INTO users (id, email, phone, created_at, updated_at, last_sign_in_at, banned_until, app_metadata, synced_at)
       SELECT gen_random_uuid(), 'user' || g || '@d' || (g % ${DOMAINS}) || '.example',
         CASE WHEN g % 7 = 0 THEN '+4915' || (100000000 + g) END,
         now() - interval '${SEED_DAYS} days' + g * (interval '${SEED_DAYS} days' / ${users}), now(),
         CASE WHEN g % 10 <> 0 THEN now() - random() ^ 2 * interval '400 days' END,
         CASE WHEN g % 1000 = 0 THEN now() + interval '100 years' END,
         jsonb_build_object('provider', p, 'providers', jsonb_build_array(p)), now()
       FROM generate_series(1, ${users}) AS g CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 < 12 THEN 'email' WHEN g % 20 < 16 THEN 'google'
         WHEN g % 20 < 18 THEN 'github' WHEN g % 20 = 18 THEN 'phone' ELSE 'apple' END AS p) AS provider`,
      `INSERT INTO users (id, deleted_at, synced_at)
       SELECT gen_random_uuid(), now() - random() * interval '30 days', now() FROM generate_series(1, ${tombstones})`,
    ]);
    // Triggers off (a superuser's replica role) with the value the profile trigger would copy: half the time of going
    // through it. The section checks the funnel against a join of users and profiles.
    const profilesMs = await timed('profiles', [
      'SET session_replication_role = replica',
      `INSERT INTO profiles (user_id, onboarding_completed, onboarded_at, user_created_at, updated_at)
       SELECT id, onboarded, CASE WHEN onboarded THEN created_at + random() * interval '3 days' END, created_at, now()
       FROM (SELECT id, created_at, random() < 0.4 AS onboarded FROM users WHERE deleted_at IS NULL AND random() < 0.9) AS u
       ON CONFLICT (user_id) DO NOTHING`,
      'RESET session_replication_role',
    ]);
    const auditMs = await timed('audit events', [
      `INSERT INTO audit_events (user_id, subject_id, type, details, created_at)
       SELECT NULL, gen_random_uuid(), CASE WHEN g % 5 = 0 THEN 'user.deleted' ELSE 'login.failed' END, '{}',
         now() - random() * interval '${SEED_DAYS} days'
       FROM generate_series(1, ${deletionRecords * 5}) AS g`,
    ]);
    const started = performance.now();
    const visible = await vacuumUntilVisible(client, ['users', 'profiles', 'audit_events']);
    const vacuumMs = Math.round(performance.now() - started);
    log(
      `  VACUUM ANALYZE: ${(vacuumMs / 1000).toFixed(1)} s${visible ? '' : ' (the visibility map still has gaps: figures may be slower)'}`,
    );
    return { users, tombstones, deletionRecords, ms: { users: usersMs, profiles: profilesMs, audit: auditMs, vacuum: vacuumMs } };
  } finally {
    await client.end();
  }
}
