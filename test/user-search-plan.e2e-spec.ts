// GET /admin/users at 1,000,000 users: each filter and each sort (with and without a cursor) is
// planned as index scans, never a sequential scan of users or profiles, on statistics gathered
// from a million rows. Where a filter is not selective enough for its own index to win (a third
// of the users onboarded, a fifth on google), the planner walks the sort's index and filters.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { USER_COLUMNS } from '../src/users/mirror-upsert.sql.js';
import { encodeCursor, userSearchSql, type UserSearch } from '../src/users/user-search.js';
import { PREFIXED_PROFILE_COLUMNS } from '../src/users/users.repository.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { planNodes, type PlanNode } from './support/plans.js';

const USERS = 1_000_000;
let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  // A million users over 5,000 domains and three years, a tenth without a sign-in, a third onboarded, a fifth on google.
  await client.query(`
    INSERT INTO users (id, email, phone, created_at, updated_at, last_sign_in_at, app_metadata, synced_at)
    SELECT gen_random_uuid(), 'user' || g || '@d' || (g % 5000) || '.example', CASE WHEN g % 7 = 0 THEN '+4915' || (100000000 + g) END,
      timestamptz '2024-01-01' + g * interval '90 seconds', now(),
      CASE WHEN g % 10 <> 0 THEN timestamptz '2026-01-01' + (g % 100000) * interval '5 minutes' END,
      CASE WHEN g % 5 = 0 THEN '{"provider":"google","providers":["google"]}' ELSE '{"provider":"email","providers":["email"]}' END::jsonb,
      now()
    FROM generate_series(1, ${USERS}) AS g`);
  await client.query(`INSERT INTO profiles (user_id, onboarding_completed) SELECT id, random() < 0.33 FROM users`);
  await client.query('ANALYZE users');
  await client.query('ANALYZE profiles');
}, 600_000);

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function plan(search: UserSearch): Promise<{ seqScans: string[]; indexes: string[] }> {
  const { text, values } = userSearchSql(search, `${USER_COLUMNS}, ${PREFIXED_PROFILE_COLUMNS}`);
  const [{ 'QUERY PLAN': plan }] = (
    await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${text}`, values)
  ).rows;
  const all = planNodes(plan[0].Plan);
  return {
    seqScans: all.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Relation Name'] ?? '?'),
    indexes: all.flatMap((node) => (node['Index Name'] ? [node['Index Name']] : [])),
  };
}

const base = { sort: '-createdAt', limit: 50 } as const;
const cursorAfter = (sort: UserSearch['sort'], value: string) => encodeCursor(sort, value, '00000000-0000-4000-8000-000000000000');
/** Each query, and the index of users its plan must use: the filter's own where it is selective, else the sort's. */
const cases: Array<[string, UserSearch, string]> = [
  ['no filter', base, 'users_created_at_sort_idx'],
  ['email contains', { ...base, email: 'user12345' }, 'users_email_trgm_idx'],
  ['emailDomain', { ...base, emailDomain: 'd42.example' }, 'users_email_domain_idx'],
  ['phone', { ...base, phone: '+4915100000007' }, 'users_phone_live_key'],
  ['onboarded', { ...base, onboarded: true }, 'users_created_at_sort_idx'],
  ['not onboarded', { ...base, onboarded: false }, 'users_created_at_sort_idx'],
  ['provider', { ...base, provider: 'google' }, 'users_created_at_sort_idx'],
  [
    'createdAfter and createdBefore',
    { ...base, createdAfter: '2025-01-01T00:00:00Z', createdBefore: '2025-01-02T00:00:00Z' },
    'users_created_at_sort_idx',
  ],
  ['lastSignInAfter', { ...base, lastSignInAfter: '2026-06-01T00:00:00Z' }, 'users_created_at_sort_idx'],
  ['status banned', { ...base, status: 'banned' }, 'users_banned_until_idx'],
  [
    'sort createdAt with a cursor',
    { sort: 'createdAt', limit: 50, cursor: cursorAfter('createdAt', '2025-06-01T00:00:00+00:00') },
    'users_created_at_sort_idx',
  ],
  [
    'sort -lastSignInAt with a cursor',
    { sort: '-lastSignInAt', limit: 50, cursor: cursorAfter('-lastSignInAt', '2026-03-01T00:00:00+00:00') },
    'users_last_sign_in_at_sort_idx',
  ],
  ['sort email with a cursor', { sort: 'email', limit: 200, cursor: cursorAfter('email', 'user5') }, 'users_email_sort_idx'],
  ['sort -email', { sort: '-email', limit: 50 }, 'users_email_sort_idx'],
];

describe(`the user search's plans at ${USERS.toLocaleString('en')} users`, () => {
  it.each(cases)('%s: no sequential scan, and the expected index', async (_name, search, index) => {
    const found = await plan(search);
    expect(found.seqScans).toEqual([]);
    expect(found.indexes).toContain(index);
  });
});
