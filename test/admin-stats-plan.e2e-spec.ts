// GET /admin/stats at 1,000,000 users: each figure's statement is planned as index-only scans of
// its own index, never a sequential scan, on statistics gathered from a million users (and 50,000
// tombstones, 100,000 deletion records among 300,000 audit events), for a month, a year and ten
// years. The generic plan, one for every range, is the one the service runs (its pool forces
// generic plans: src/database/database.service.ts); the plan for the values given is checked too,
// but not for a funnel over every user, where the planner may rightly read both tables whole.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  ACTIVE_SQL,
  bucketParams,
  DELETIONS_SQL,
  ONBOARDING_SQL,
  PROVIDERS_SQL,
  SIGNUPS_SQL,
  type StatsRange,
} from '../src/admin/admin-stats.sql.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { planNodes, vacuumUntilAllVisible, type PlanNode } from './support/plans.js';

const USERS = 1_000_000;
let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  // A million users over three years, a tenth never signed in, on five providers; 50,000 tombstones.
  await client.query(`
    INSERT INTO users (id, email, created_at, updated_at, last_sign_in_at, app_metadata, synced_at)
    SELECT gen_random_uuid(), 'user' || g || '@d' || (g % 5000) || '.example',
      timestamptz '2024-01-01' + g * interval '90 seconds', now(),
      CASE WHEN g % 10 <> 0 THEN now() - (g % 400) * interval '1 day' END,
      jsonb_build_object('provider', (ARRAY['email', 'email', 'email', 'google', 'github', 'phone', 'apple'])[g % 7 + 1]),
      now()
    FROM generate_series(1, ${USERS}) AS g`);
  await client.query(`INSERT INTO users (id, deleted_at, synced_at) SELECT gen_random_uuid(), now(), now() FROM generate_series(1, 50000)`);
  // Nine in ten synced, two in five of them onboarded. Written with triggers off (a superuser's replica role), with the
  // value the insert trigger would copy: half the time of going through it.
  await client.query(`SET session_replication_role = replica`);
  await client.query(`
    INSERT INTO profiles (user_id, onboarding_completed, onboarded_at, user_created_at)
    SELECT id, n % 5 < 2, CASE WHEN n % 5 < 2 THEN created_at + (n % 72) * interval '1 hour' END, created_at
    FROM (SELECT id, created_at, row_number() OVER () AS n FROM users WHERE deleted_at IS NULL) u WHERE n % 10 <> 0`);
  await client.query(`RESET session_replication_role`);
  await client.query(`
    INSERT INTO audit_events (user_id, subject_id, type, created_at)
    SELECT NULL, gen_random_uuid(), CASE WHEN g % 3 = 0 THEN 'user.deleted' ELSE 'login.failed' END, timestamptz '2024-01-01' + g * interval '5 minutes'
    FROM generate_series(1, 300000) AS g`);
  // What autovacuum keeps up on a live database: statistics, and the visibility map that lets a scan skip the table.
  await vacuumUntilAllVisible(client, ['users', 'profiles', 'audit_events']);
}, 900_000);

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

interface Plan {
  seqScans: string[];
  /** Index names of the index-only scans. */
  indexOnly: string[];
  /** Index names of other index scans (which visit the table). */
  otherIndexScans: string[];
}

async function plan(text: string, values: unknown[], generic: boolean): Promise<Plan> {
  const explain = generic ? `EXPLAIN (FORMAT JSON, GENERIC_PLAN) ${text}` : `EXPLAIN (FORMAT JSON) ${text}`;
  const [{ 'QUERY PLAN': found }] = (await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(explain, generic ? [] : values)).rows;
  const all = planNodes(found[0].Plan);
  return {
    seqScans: all.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Relation Name'] ?? '?'),
    indexOnly: all.filter((node) => node['Node Type'] === 'Index Only Scan').map((node) => node['Index Name']!),
    otherIndexScans: all.filter((node) => node['Index Name'] && node['Node Type'] !== 'Index Only Scan').map((node) => node['Index Name']!),
  };
}

const month: StatsRange = { from: '2026-05-01T00:00:00.000Z', to: '2026-05-31T00:00:00.000Z', bucket: 'day' };
const year: StatsRange = { from: '2025-06-01T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z', bucket: 'day' };
const decade: StatsRange = { from: '2017-01-02T00:00:00.000Z', to: '2027-01-04T00:00:00.000Z', bucket: 'week' };

/** Each statement with its values, and the indexes its plans must read index-only (and no others). */
const cases: Array<[string, string, unknown[], string[]]> = [
  ['signups, a month by day', SIGNUPS_SQL, bucketParams(month), ['users_created_at_idx']],
  ['signups, a year by day', SIGNUPS_SQL, bucketParams(year), ['users_created_at_idx']],
  ['signups, ten years by week', SIGNUPS_SQL, bucketParams(decade), ['users_created_at_idx']],
  ['deletions, a month by day', DELETIONS_SQL, bucketParams(month), ['audit_events_user_deleted_idx']],
  ['deletions, ten years by week', DELETIONS_SQL, bucketParams(decade), ['audit_events_user_deleted_idx']],
  ['onboarding, a month', ONBOARDING_SQL, [month.from, month.to], ['profiles_user_created_at_idx']],
  ['onboarding, a year', ONBOARDING_SQL, [year.from, year.to], ['profiles_user_created_at_idx']],
  ['active users', ACTIVE_SQL, [], ['users_last_sign_in_at_idx']],
  ['providers', PROVIDERS_SQL, [], ['users_provider_idx']],
];

describe(`the figures' plans at ${USERS.toLocaleString('en')} users`, () => {
  it.each(cases)('%s: index-only scans of its own indexes, no sequential scan', async (_name, text, values, indexes) => {
    for (const generic of values.length > 0 ? [false, true] : [false]) {
      const found = await plan(text, values, generic);
      expect({ generic, ...found }).toEqual({ generic, seqScans: [], indexOnly: expect.arrayContaining(indexes), otherIndexScans: [] });
      expect(new Set(found.indexOnly)).toEqual(new Set(indexes));
    }
  });
});
