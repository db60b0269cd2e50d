// The mirror's upsert runs as a prepared statement with a generic plan (DatabaseService sets
// plan_cache_mode), planned once per connection, often while `users` is still small, and then
// reused as the table grows. So it must read `users` by index only, whatever the planner knew
// when it planned: a sequential scan there costs one pass over every user per sync, delivery or
// reconcile page (it made reconcile quadratic before).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { UPSERT_COUNTING, UPSERT_REPAIRING_STATEMENT, UPSERT_SNAPSHOTS } from '../src/users/mirror-upsert.sql.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { planNodes, type PlanNode } from './support/plans.js';

let database: TestDatabase;
let client: pg.Client;

// A new database for each statement: the first plan must meet the table as the migrations left it.
beforeEach(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url, options: '-c plan_cache_mode=force_generic_plan' });
  await client.connect();
});

afterEach(async () => {
  await client?.end();
  await database?.drop();
});

interface Row {
  id: string;
  phone: string | null;
  updatedAt: string;
}

/** EXECUTE's arguments: the snapshots as the statement's thirteen arrays (see snapshotInput), written as SQL. */
function argumentList(rows: Row[]): string {
  const array = (type: string, values: Array<string | boolean | null>) =>
    `ARRAY[${values.map((value) => (value === null ? 'NULL' : typeof value === 'boolean' ? String(value) : client.escapeLiteral(value))).join(', ')}]::${type}[]`;
  const none = rows.map(() => null);
  return [
    array(
      'uuid',
      rows.map((row) => row.id),
    ),
    array(
      'text',
      rows.map((row) => `${row.id}@example.test`),
    ),
    array(
      'text',
      rows.map((row) => row.phone),
    ),
    array('timestamptz', none),
    array('timestamptz', none),
    array('timestamptz', none),
    array('timestamptz', none),
    array(
      'text',
      rows.map(() => 'authenticated'),
    ),
    array(
      'boolean',
      rows.map(() => false),
    ),
    array(
      'jsonb',
      rows.map(() => '{}'),
    ),
    array(
      'jsonb',
      rows.map(() => '{"n":1}'),
    ),
    array(
      'timestamptz',
      rows.map((row) => row.updatedAt),
    ),
    array(
      'timestamptz',
      rows.map((row) => row.updatedAt),
    ),
  ].join(', ');
}

/** Prepares `text` anew (a fresh generic plan, from the statistics as they are now), runs it on `rows` under EXPLAIN ANALYZE. */
async function executedPlan(name: string, text: string, rows: Row[], prepare = true): Promise<PlanNode[]> {
  if (prepare) {
    await client.query(`DEALLOCATE ALL`);
    await client.query(`PREPARE ${name} AS ${text}`);
  }
  await client.query('BEGIN');
  try {
    const { rows: explained } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${name}(${argumentList(rows)})`);
    return planNodes(explained[0]['QUERY PLAN'][0].Plan as PlanNode);
  } finally {
    await client.query('ROLLBACK');
  }
}

function batch(size: number, phones: (i: number) => string | null, ids: (i: number) => string = () => randomUUID()): Row[] {
  const updatedAt = new Date().toISOString();
  return Array.from({ length: size }, (_, i) => ({ id: ids(i), phone: phones(i), updatedAt }));
}

describe.each([
  ['the full upsert (sync, deliveries)', UPSERT_SNAPSHOTS],
  ['the counting upsert (pull batches)', UPSERT_COUNTING],
  ['the repairing upsert (reconcile pages)', UPSERT_REPAIRING_STATEMENT.text],
])('%s', (_label, text) => {
  it('reads users by index only: planned on the empty table of a new database and run on 20,000 users, and planned on 20,000', async () => {
    // As the migrations leave it: empty and never analyzed (what the first sync or reconcile meets).
    const { rows: stats } = await client.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE relname = 'users'`);
    expect(stats[0].reltuples).toBe(-1);
    const checked: string[] = [];
    const check = (nodes: PlanNode[]) => {
      const onUsers = nodes.filter((node) => node['Relation Name'] === 'users' && node['Node Type'] !== 'ModifyTable');
      expect(onUsers.filter((node) => !/Index/.test(node['Node Type']))).toEqual([]);
      checked.push(...onUsers.filter((node) => (node['Actual Loops'] ?? 0) > 0).map((node) => node['Index Name']!));
    };
    const withPhones = (i: number) => (i % 2 === 0 ? `+1555${String(i).padStart(7, '0')}` : null);
    check(await executedPlan('upsert', text, batch(100, withPhones)));

    await client.query(
      `INSERT INTO users (id, phone, updated_at)
       SELECT gen_random_uuid(), CASE WHEN n % 2 = 0 THEN '+1666' || lpad(n::text, 7, '0') END, now() - interval '1 day'
       FROM generate_series(1, 20000) n`,
    );
    const { rows: existing } = await client.query<{ id: string; phone: string | null }>(
      'SELECT id, phone FROM users ORDER BY id LIMIT 100',
    );
    // Existing ids (some keep their number, some take another user's), and new ids, some taking
    // numbers already held: every read of the statement has work to do.
    const mixed = () => [
      ...batch(
        100,
        (i) => existing[(i + 1) % 100].phone ?? existing[i].phone,
        (i) => existing[i].id,
      ),
      ...batch(100, (i) => (i % 3 === 0 ? `+1666${String(i * 2 + 2).padStart(7, '0')}` : withPhones(i))),
    ];
    // The plan made on the empty table, run on 20,000 users (no re-planning in between).
    check(await executedPlan('upsert', text, mixed(), false));

    // Planned anew once the statistics know the 20,000 users.
    await client.query('ANALYZE users');
    check(await executedPlan('upsert', text, mixed()));

    // Every index the statement used is one of the two it is meant to use, and both were used.
    expect(new Set(checked)).toEqual(new Set(['users_pkey', 'users_phone_live_key']));
  });
});
