// GET /admin/users/{id} under attack: odd input answers a 4xx, entries sharing one instant page exactly once, an admin's
// view and personal data stay off the timeline, the ledger's applied/ignored marks match what was written under racing
// deliveries, reconcile repairs are recorded for changes only, and a deep page of a long timeline reads one page.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TIMELINE, timelineParams } from '../src/admin/user-timeline.sql.js';
import { snapshotFromSupabase } from '../src/users/user-snapshot.js';
import { UsersService } from '../src/users/users.service.js';
import { WebhooksService } from '../src/webhooks/webhooks.service.js';
import { newWebhookSecret, signedHeaders, supabaseUser } from './support/deliveries.js';
import { planNodes, type PlanNode } from './support/plans.js';
import { startTestStack, type TestStack } from './support/test-stack.js';
import { wholeTimeline, type TimelineEntry } from './support/timeline.js';

const secret = newWebhookSecret();
let stack: TestStack;
let adminToken: string;

beforeAll(async () => {
  stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: secret } });
  adminToken = (await stack.signedInAdmin()).accessToken;
});

afterAll(async () => {
  await stack?.close();
});

type Detail = { timeline: TimelineEntry[]; nextCursor: string | null };

const detail = (id: string, query = '', token = adminToken) => stack.request('GET', `/admin/users/${id}${query}`, { token });
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A user the mirror knows (signed up in Supabase, then synced). */
async function mirroredUser(options: Parameters<TestStack['signedInUser']>[0] = {}) {
  const user = await stack.signedInUser(options);
  expect((await stack.request('POST', '/auth/users/sync', { token: user.accessToken })).status).toBe(200);
  return user;
}

async function deliver(payload: unknown, id: string) {
  const body = JSON.stringify(payload);
  return stack.request('POST', '/webhooks/supabase', { body, headers: signedHeaders(secret, body, { id }) });
}

describe('GET /admin/users/{id}, attacked', () => {
  it('answers a 4xx, never a 5xx, to odd cursors, limits and ids', async () => {
    const { id } = await mirroredUser();
    const fraction = (digits: number) => `2026-01-01T00:00:00.${'9'.repeat(digits)}Z`;
    const refused = [
      // RFC 3339 allows any fraction; Postgres refuses one of some 130 digits (this was a 500).
      cursorOf([fraction(200), 'a1']),
      cursorOf([fraction(7), 'a1']),
      cursorOf(['0001-01-01T00:00:00+15:00', 'a1']),
      cursorOf(['2026-02-29T00:00:00.000000Z', 'a1']),
      cursorOf(['2026-01-01T00:00:00.000000Z', 'a\u00e9']),
      cursorOf(['2026-01-01T00:00:00.000000Z', 'a'.repeat(302)]),
      cursorOf({ at: 1 }),
      '',
      '%00',
      '%FF',
      'x'.repeat(1001),
    ];
    for (const cursor of refused)
      expect({ cursor, status: (await detail(id, `?cursor=${cursor}`)).status }).toEqual({ cursor, status: 400 });
    for (const limit of ['0', '501', '1.5', 'NaN', '9'.repeat(400), '', '1&limit=2'])
      expect({ limit, status: (await detail(id, `?limit=${limit}`)).status }).toEqual({ limit, status: 400 });
    expect((await detail(id, '?unknown=1')).status).toBe(400);
    // The extreme times a cursor can hold: after year 1 nothing is older; before 9999 everything is.
    expect((await detail(id, `?cursor=${cursorOf(['0001-01-01T00:00:00.000000Z', 'a1'])}`)).body).toMatchObject({ timeline: [] });
    const all = await detail(id, `?cursor=${cursorOf(['9999-12-31T23:59:59.999999Z', 'v~'])}`);
    expect((all.body as Detail).timeline).toEqual((await detail(id)).body.timeline);
    expect((await detail(id.toUpperCase())).status).toBe(200);
    for (const odd of [`{${id}}`, id.replace(/-/g, ''), '00000000-0000-0000-0000-000000000000', '%C3%A9', '%00', '%FF', 'x'.repeat(5000)]) {
      const { status } = await detail(odd);
      expect({ odd, refused: status >= 400 && status < 500 }).toEqual({ odd, refused: true });
    }
  });

  it('pages of 7 show each of many entries that share one instant exactly once, in order', async () => {
    const { id } = await mirroredUser();
    const admin = await stack.db.query<{ id: string }>(`SELECT id::text FROM users WHERE app_metadata->'roles' ? 'admin' LIMIT 1`);
    const client = await stack.db.connect();
    try {
      // One transaction: every row below has the same now().
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO audit_events (user_id, subject_id, type, details) SELECT $1, $1, 'test.same_instant', jsonb_build_object('n', n)
         FROM generate_series(1, 50) n`,
        [id],
      );
      await client.query(
        `INSERT INTO webhook_deliveries (delivery_id, source, event_type, user_id, action, outcome)
         SELECT 'same-instant-' || $1 || '-' || n, 'signed', 'e' || n, $1::uuid, 'apply', CASE WHEN n % 3 = 0 THEN 'not_newer' END
         FROM generate_series(1, 20) n`,
        [id],
      );
      await client.query(
        `INSERT INTO app_metadata_pushes (user_id, patch, admin_id, pushed_at) SELECT $1, jsonb_build_object('k' || n, 1), $2, now()
         FROM generate_series(1, 5) n`,
        [id, admin.rows[0].id],
      );
      await client.query(`INSERT INTO devices (id, user_id) SELECT gen_random_uuid(), $1 FROM generate_series(1, 5)`, [id]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    const oneShot = ((await detail(id, '?limit=500')).body as Detail).timeline;
    expect(oneShot.length).toBeGreaterThanOrEqual(80);
    const paged = await wholeTimeline(stack, adminToken, id, 7);
    const identity = (entry: TimelineEntry) => JSON.stringify([entry.type, entry.details]);
    expect(paged.map(identity)).toEqual(oneShot.map(identity));
    expect(new Set(paged.map(identity)).size).toBe(paged.length);
    const times = paged.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("keeps an admin's view off the viewed user's timeline, and refuses whoever is not an admin", async () => {
    const { id } = await mirroredUser();
    const before = (await detail(id)).body as Detail;
    for (let i = 0; i < 3; i++) expect((await detail(id)).status).toBe(200);
    expect((await detail(id)).body).toEqual(before);
    // user_metadata is the user's to write: roles there make nobody an admin.
    const pretender = await mirroredUser({ data: { roles: ['admin'] } });
    expect((await detail(id, '', pretender.accessToken)).body).toMatchObject({ statusCode: 403, code: 'forbidden' });
    expect((await stack.request('GET', `/admin/users/${id}`)).status).toBe(401);
  });

  it('shows no address, user agent, metadata value or pushed value on the timeline', async () => {
    const userAgent = 'Attacker-Agent/9.9 marker-ua-4471';
    const user = await stack.signedInUser({ data: { display_name: 'Marker Name 4471' } });
    const sync = await stack.request('POST', '/auth/users/sync', { token: user.accessToken, headers: { 'user-agent': userAgent } });
    expect(sync.status).toBe(200);
    const newer = new Date(Date.now() + 60_000).toISOString();
    const changed = supabaseUser(user.id, newer, { email: user.email, user_metadata: { secret_note: 'marker-meta-4471' } });
    expect((await deliver({ type: 'user.updated', user: changed }, randomUUID())).status).toBe(200);
    const push = await stack.request('PATCH', `/admin/users/${user.id}/app-metadata`, {
      token: adminToken,
      body: { tier: 'marker-tier-4471' },
    });
    expect(push.status).toBe(202);
    const body = (await detail(user.id)).body as Detail & { devices: Array<{ userAgent: string; ip: string }> };
    expect(body.devices[0]).toMatchObject({ userAgent, ip: expect.any(String) });
    expect(body.timeline.map((entry) => entry.type)).toEqual(
      expect.arrayContaining(['user.synced', 'delivery.applied', 'device.first_seen']),
    );
    const shown = JSON.stringify(body.timeline);
    for (const personal of [userAgent, body.devices[0].ip, user.email, 'Marker Name', 'marker-meta', 'marker-tier'])
      expect({ personal, shown: shown.includes(personal) }).toEqual({ personal, shown: false });
  });
});

describe('the delivery ledger under racing deliveries', () => {
  beforeAll(async () => {
    // The ground truth: every write of a race user's row, as Postgres made it.
    await stack.db.query(`
      CREATE TABLE test_user_writes (user_id uuid NOT NULL, updated_at timestamptz, tombstone boolean NOT NULL);
      CREATE FUNCTION test_user_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO test_user_writes VALUES (NEW.id, NEW.updated_at, NEW.deleted_at IS NOT NULL); RETURN NULL; END $$;
      CREATE TRIGGER test_user_write AFTER INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION test_user_write();`);
  });

  /** The ledger's marks of the user's deliveries that disagree with what was written. */
  async function misjudged(id: string, versions: Map<string, string>): Promise<string[]> {
    const written = await stack.db.query<{ at: Date }>(
      'SELECT updated_at AS at FROM test_user_writes WHERE user_id = $1 AND NOT tombstone',
      [id],
    );
    const writes = new Set(written.rows.map((row) => row.at.toISOString()));
    const ledger = await stack.db.query<{ delivery_id: string; action: string; outcome: string | null }>(
      'SELECT delivery_id, action, outcome FROM webhook_deliveries WHERE user_id = $1',
      [id],
    );
    expect(ledger.rows).toHaveLength(versions.size + ledger.rows.filter((row) => row.action === 'delete').length);
    return ledger.rows.flatMap((row) => {
      if (row.action === 'delete') return row.outcome === null ? [] : [`the only deletion marked ${row.outcome}`];
      const version = versions.get(row.delivery_id)!;
      return (row.outcome === null) === writes.has(version) ? [] : [`${row.delivery_id} (${version}) marked ${row.outcome ?? 'applied'}`];
    });
  }

  it('marks as applied exactly the deliveries that wrote the row, over 200 rounds of racing deliveries, pulls and deletions', async () => {
    const webhooks = stack.app.get(WebhooksService);
    const wrong: string[] = [];
    /** What each racer's delivery was marked, over the rounds: each is seen both applied and ignored, or nothing raced. */
    const marked = new Map<string, Set<string>>();
    for (let round = 0; round < 200; round++) {
      const id = randomUUID();
      const base = Date.parse('2026-03-01T00:00:00Z') + round * 10_000;
      const at = (n: number) => new Date(base + n).toISOString();
      // Half the users are mirrored already, half are new: then the racers also race to create the row.
      if (round % 4 < 2) {
        const values = [id, `race-${id}@example.com`, at(0)];
        await stack.db.query('INSERT INTO users (id, email, updated_at, synced_at) VALUES ($1, $2, $3, now())', values);
      }
      const apply = (n: number) => ({
        kind: 'apply' as const,
        eventType: 'user.updated',
        snapshot: snapshotFromSupabase(supabaseUser(id, at(n))),
      });
      // Called as the webhook route and the pull intake call them, at once: the database decides the order.
      const racers: Record<string, () => Promise<unknown>> = {
        signed1: () => webhooks.applyOnce(`signed1:${id}`, 'signed', apply(1)),
        signed3: () => webhooks.applyOnce(`signed3:${id}`, 'signed', apply(3)),
        pulled2: () => webhooks.applyBatchOnce([{ deliveryId: `pulled2:${id}`, action: apply(2) }], 'pull'),
        deleted: () =>
          webhooks.applyOnce(`deleted:${id}`, 'signed', { kind: 'delete', eventType: 'user.deleted', userId: id, deletedAt: null }),
      };
      // Half the rounds race an older and a newer delivery with a pull between them; half race two with a deletion.
      const names = round % 2 === 0 ? ['signed1', 'signed3', 'pulled2'] : ['signed1', 'pulled2', 'deleted'];
      await Promise.all(
        names.map(async (name, index) => {
          for (let tick = 0; tick < (round + index * 3) % 5; tick++) await new Promise(setImmediate);
          return racers[name]();
        }),
      );
      const versions = new Map(names.filter((name) => name !== 'deleted').map((name) => [`${name}:${id}`, at(Number(name.slice(-1)))]));
      wrong.push(...(await misjudged(id, versions)));
      const ledger = await stack.db.query<{ delivery_id: string; outcome: string | null }>(
        'SELECT delivery_id, outcome FROM webhook_deliveries WHERE user_id = $1',
        [id],
      );
      for (const { delivery_id, outcome } of ledger.rows) {
        const name = `${round % 2}:${delivery_id.split(':')[0]}`;
        marked.set(name, (marked.get(name) ?? new Set()).add(outcome ?? 'applied'));
      }
      if (round % 2 === 0) {
        const [row] = (await stack.db.query<{ updated_at: Date }>('SELECT updated_at FROM users WHERE id = $1', [id])).rows;
        if (row.updated_at.toISOString() !== at(3)) wrong.push(`${id} ended at ${row.updated_at.toISOString()}, not the newest`);
      }
    }
    expect(wrong).toEqual([]);
    // The race was run: of each mode, the older delivery and the pull were applied in some rounds and not in others.
    const raced = [...marked].filter(([, outcomes]) => outcomes.has('applied') && outcomes.size > 1).map(([name]) => name);
    expect(raced.sort()).toEqual(['0:pulled2', '0:signed1', '1:pulled2', '1:signed1']);
  });

  it("marks a pulled snapshot of a deleted user already_deleted, as a pushed one's is", async () => {
    const id = randomUUID();
    await stack.db.query(`INSERT INTO users (id, updated_at, synced_at, deleted_at) VALUES ($1, '2026-01-01T00:00:00Z', now(), now())`, [
      id,
    ]);
    const snapshot = snapshotFromSupabase(supabaseUser(id, '2026-05-01T00:00:00.000Z'));
    await stack.app
      .get(WebhooksService)
      .applyBatchOnce([{ deliveryId: `pull:tomb:${id}`, action: { kind: 'apply', eventType: 'UPDATE', snapshot } }], 'pull');
    expect((await deliver({ type: 'user.updated', user: supabaseUser(id, '2026-05-02T00:00:00.000Z') }, `tomb-${id}`)).status).toBe(200);
    const { rows } = await stack.db.query('SELECT source, outcome FROM webhook_deliveries WHERE user_id = $1 ORDER BY source', [id]);
    expect(rows).toEqual([
      { source: 'pull', outcome: 'already_deleted' },
      { source: 'signed', outcome: 'already_deleted' },
    ]);
  });
});

describe('reconcile repairs', () => {
  it('records a repair for each row a reconcile page wrote, and none for rows it left as they were', async () => {
    const [created, updated, unchanged, stale, tombstone] = Array.from({ length: 5 }, () => randomUUID());
    await stack.db.query(
      `INSERT INTO users (id, updated_at, synced_at, deleted_at)
       SELECT id, '2026-04-01T00:00:00Z', now(), CASE WHEN id = $2::uuid THEN now() END FROM unnest($1::uuid[]) AS id`,
      [[updated, unchanged, stale, tombstone], tombstone],
    );
    const snapshot = (id: string, updatedAt: string) => snapshotFromSupabase(supabaseUser(id, updatedAt));
    const counts = await stack.app
      .get(UsersService)
      .applyUserSnapshots(
        [
          snapshot(created, '2026-04-01T00:00:00Z'),
          snapshot(updated, '2026-04-02T00:00:00Z'),
          snapshot(unchanged, '2026-04-01T00:00:00Z'),
          snapshot(stale, '2026-03-01T00:00:00Z'),
          snapshot(tombstone, '2026-04-02T00:00:00Z'),
        ],
        { repairs: true },
      );
    expect(counts).toMatchObject({ created: 1, updated: 1, unchanged: 1, stale: 1, deleted: 1 });
    expect(await repairsOf([created, updated, unchanged, stale, tombstone])).toEqual(
      [
        { id: created, change: 'created' },
        { id: updated, change: 'updated' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('records no repair for a number freed by an event the intake did apply (the same version, its conflict healed)', async () => {
    const [holder, flagged] = [randomUUID(), randomUUID()];
    const phone = `+1555${String(Date.now()).slice(-7)}`;
    const version = '2026-04-01T00:00:00.000Z';
    const users = stack.app.get(UsersService);
    await users.applyUserSnapshots([snapshotFromSupabase(supabaseUser(holder, version, { phone: phone.slice(1) }))]);
    await users.applyUserSnapshots([snapshotFromSupabase(supabaseUser(flagged, version, { phone: phone.slice(1) }))]);
    expect((await stack.db.query('SELECT phone_conflict FROM users WHERE id = $1', [flagged])).rows).toEqual([{ phone_conflict: phone }]);
    // The holder's change of number is delivered and applied: the number is free; the flagged user's Supabase row never changed.
    await users.applyUserSnapshots([snapshotFromSupabase(supabaseUser(holder, '2026-04-02T00:00:00.000Z'))]);
    await users.applyUserSnapshots([snapshotFromSupabase(supabaseUser(flagged, version, { phone: phone.slice(1) }))], { repairs: true });
    expect((await stack.db.query('SELECT phone, phone_conflict FROM users WHERE id = $1', [flagged])).rows).toEqual([
      { phone, phone_conflict: null },
    ]);
    expect(await repairsOf([flagged])).toEqual([]);
  });
});

async function repairsOf(ids: string[]): Promise<Array<{ id: string; change: string }>> {
  const { rows } = await stack.db.query<{ id: string; change: string }>(
    `SELECT subject_id::text AS id, details->>'change' AS change FROM audit_events
     WHERE type = 'reconcile.repaired' AND subject_id = ANY($1::uuid[]) ORDER BY 1`,
    [ids],
  );
  return rows;
}

type AnalyzedNode = PlanNode & { 'Actual Rows'?: number; 'Rows Removed by Filter'?: number };

describe('a timeline of 100,000 records', () => {
  it('reads about one page from each index, on the first page and deep in the timeline, with the generic plan the pool uses', async () => {
    const id = randomUUID();
    // The user's 100,000 records and 20,000 deliveries, among those of 5,000 other users.
    await stack.db.query(
      `INSERT INTO audit_events (subject_id, type, details, created_at)
       SELECT $1, 'test.bulk', jsonb_build_object('n', n), timestamptz '2026-01-01' - n * interval '1 second' FROM generate_series(1, 100000) n
       UNION ALL
       SELECT md5((n % 5000)::text)::uuid, 'test.other', '{}', timestamptz '2026-01-01' - n * interval '1 second' FROM generate_series(1, 50000) n`,
      [id],
    );
    await stack.db.query(
      `INSERT INTO webhook_deliveries (delivery_id, source, event_type, user_id, action, received_at)
       SELECT 'bulk-' || $1 || '-' || n, 'pull', 'UPDATE', $1::uuid, 'apply', timestamptz '2026-01-01' - n * interval '5 seconds'
       FROM generate_series(1, 20000) n
       UNION ALL
       SELECT 'other-' || n, 'pull', 'UPDATE', md5((n % 5000)::text)::uuid, 'apply', timestamptz '2026-01-01' - n * interval '1 second'
       FROM generate_series(1, 50000) n`,
      [id],
    );
    await stack.db.query('ANALYZE audit_events; ANALYZE webhook_deliveries');
    const deep = await stack.db.query<{ at_text: string; key: string }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text, 'a' || lpad(id::text, 19, '0') AS key
       FROM audit_events WHERE subject_id = $1 ORDER BY created_at DESC, id DESC OFFSET 90000 LIMIT 1`,
      [id],
    );
    const position = { atText: deep.rows[0].at_text, key: deep.rows[0].key };
    // The deep page answers right through the API: the 90,002nd newest record comes next.
    const page = (await detail(id, `?limit=5&cursor=${cursorOf([position.atText, position.key])}`)).body as Detail;
    expect(page.timeline[0]).toMatchObject({ type: 'test.bulk', details: { n: 90002 } });

    const client = new pg.Client({ connectionString: stack.databaseUrl, options: '-c plan_cache_mode=force_generic_plan' });
    await client.connect();
    try {
      // As the pool runs it: a statement planned once for any parameters (EXPLAIN of the bare text would plan for these).
      await client.query(`PREPARE timeline_page AS ${TIMELINE}`);
      for (const at of [null, position]) {
        const values = timelineParams(id, at, 100).map((value) => (typeof value === 'number' ? value : client.escapeLiteral(value)));
        const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE timeline_page(${values.join(', ')})`);
        const nodes = planNodes(rows[0]['QUERY PLAN'][0].Plan as PlanNode) as AnalyzedNode[];
        expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
        for (const index of ['audit_events_subject_id_created_at_idx', 'webhook_deliveries_user_id_received_at_idx']) {
          const scans = nodes.filter((node) => node['Index Name'] === index);
          const read = scans.reduce((sum, node) => sum + (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0), 0);
          expect({ index, page: at ? 'deep' : 'first', scans: scans.length, readAtMost202: read <= 202 }).toEqual({
            index,
            page: at ? 'deep' : 'first',
            scans: 1,
            readAtMost202: true,
          });
        }
      }
    } finally {
      await client.end();
    }
  });
});
