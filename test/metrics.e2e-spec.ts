// GET /metrics: refused without METRICS_TOKEN, served with it and on METRICS_PORT, read with a real Prometheus
// text-format parser. The stack pulls from the local Supabase database (the stand-in writes GoTrue's auth schema, the
// install SQL's trigger fills the outbox), runs the canary every second, and takes pushed deliveries of both forms.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getMetricsFromIterator, type PromMetrics } from 'prom2javascript';
import { MetricsEndpoint } from '../src/metrics/metrics-endpoint.js';
import { ReconcileService } from '../src/reconcile/reconcile.service.js';
import { UserCleanerRegistry } from '../src/users/user-cleaners.js';
import { UsersService } from '../src/users/users.service.js';
import { newWebhookSecret, rawUserRow, signedHeaders, supabaseUser } from './support/deliveries.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const DB_TOKEN = 'db-webhook-token-0123456789abcdef';
const secret = newWebhookSecret();
let supabase: LocalSupabase;
let stack: TestStack;
let canaryId: string;
let metricsPortUrl: string;

beforeAll(async () => {
  supabase = await startLocalSupabase({ pull: true });
  canaryId = await supabase.createUser('canary');
  stack = await startTestStack({
    auth: { databaseUrl: supabase.url },
    env: {
      SUPABASE_DB_URL: supabase.intakeUrl,
      SUPABASE_PULL_INTERVAL_MS: '100',
      SUPABASE_WEBHOOK_SECRET: secret,
      SUPABASE_DB_WEBHOOK_TOKEN: DB_TOKEN,
      METRICS_TOKEN: TOKEN,
      METRICS_PORT: '0',
      CANARY_USER_ID: canaryId,
      CANARY_INTERVAL_SECONDS: '1',
    },
  });
  metricsPortUrl = `http://127.0.0.1:${stack.app.get(MetricsEndpoint).port}`;
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await supabase?.close();
});

type Families = PromMetrics;

/** Reads the text format with a Prometheus text-format parser (prom2javascript), which throws on a line it cannot read. */
function parse(text: string): Promise<Families> {
  return getMetricsFromIterator(text.split('\n')[Symbol.iterator]());
}

async function scrape(): Promise<Families> {
  const answer = await stack.request('GET', '/metrics', { token: TOKEN });
  expect(answer.status).toBe(200);
  return parse(answer.body as string);
}

type Sample = { labels: Record<string, string>; value?: number; count?: number };

function samples(families: Families, name: string): Sample[] {
  const family = families[name];
  if (!family) throw new Error(`no metric family ${name}`);
  return family.data;
}

/** The sum of a counter's or gauge's samples whose labels include `labels` (a histogram's: their counts). */
function value(families: Families, name: string, labels: Record<string, string> = {}): number {
  return samples(families, name)
    .filter((sample) => Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))
    .reduce((sum, sample) => sum + (sample.value ?? sample.count ?? 0), 0);
}

/** Runs `act`, then answers how much each listed series moved. */
async function deltas(series: Array<[string, Record<string, string>?]>, act: () => Promise<unknown>): Promise<number[]> {
  const before = await scrape();
  await act();
  const after = await scrape();
  return series.map(([name, labels]) => value(after, name, labels) - value(before, name, labels));
}

const mirrored = async (id: string) => (await stack.db.query('SELECT deleted_at FROM users WHERE id = $1', [id])).rows[0];

/** Writes GoTrue's auth schema with its triggers off: changes the intake never hears of, as if their events were lost. */
function behindTheMirrorsBack<T>(work: (tx: import('pg').PoolClient) => Promise<T>): Promise<T> {
  return supabase.inTransaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    return work(tx);
  });
}

describe('GET /metrics', () => {
  it('refuses a missing or wrong token and serves the right one; METRICS_PORT serves without one', async () => {
    const none = await stack.request('GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ statusCode: 401, code: 'invalid_token', requestId: expect.any(String) });
    expect((await stack.request('GET', '/metrics', { token: `${TOKEN}x` })).status).toBe(401);
    expect((await stack.request('GET', '/metrics', { token: TOKEN.slice(0, -1) })).status).toBe(401);
    const served = await stack.request('GET', '/metrics', { token: TOKEN });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toContain('text/plain');
    expect(served.body).toContain('authmirror_http_requests_total');

    const port = await stack.request('GET', '/metrics', { via: metricsPortUrl });
    expect(port.status).toBe(200);
    expect(Object.keys(await parse(port.body as string))).toContain('authmirror_http_requests_total');
    const other = await stack.request('GET', '/users/me', { via: metricsPortUrl });
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ statusCode: 404, code: 'not_found', requestId: expect.any(String) });
  });

  it('is refused as an unknown route where no METRICS_TOKEN is set', async () => {
    const off = await stack.secondInstance({ METRICS_TOKEN: '', METRICS_PORT: '', JOBS_ENABLED: 'false' });
    const refused = await stack.request('GET', '/metrics', { via: off.url, token: TOKEN });
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ statusCode: 404, code: 'not_found' });
    expect(off.app.get(MetricsEndpoint).port).toBeNull();
  });

  it('lists every family, in a format a Prometheus parser reads', async () => {
    const families = await scrape();
    const expected = [
      'authmirror_http_requests_total',
      'authmirror_http_request_duration_seconds',
      'authmirror_guard_refusals_total',
      'authmirror_syncs_total',
      'authmirror_deliveries_total',
      'authmirror_intake_batches_total',
      'authmirror_intake_lag_seconds',
      'authmirror_intake_backlog',
      'authmirror_reconcile_runs_total',
      'authmirror_reconcile_repairs_total',
      'authmirror_job_attempts_total',
      'authmirror_jobs',
      'authmirror_db_pool_connections',
      'authmirror_db_pool_waiting',
      'authmirror_access_registry_entries',
      'authmirror_canary_sent_timestamp_seconds',
      'authmirror_canary_last_seen_timestamp_seconds',
      'authmirror_canary_roundtrip_seconds',
    ];
    expect(expected.filter((name) => !families[name])).toEqual([]);
    expect(families.authmirror_http_request_duration_seconds.type).toBe('histogram');
    expect(
      samples(families, 'authmirror_reconcile_repairs_total')
        .map((sample) => sample.labels.change)
        .sort(),
    ).toEqual(['created', 'deleted', 'updated']);
    expect(value(families, 'authmirror_db_pool_connections', { pool: 'mirror' })).toBeGreaterThan(0);
    expect(value(families, 'authmirror_db_pool_connections', { pool: 'supabase' })).toBeGreaterThan(0);
    expect(
      samples(families, 'authmirror_access_registry_entries')
        .map((sample) => sample.labels.kind)
        .sort(),
    ).toEqual(['banned_users', 'cutoffs', 'deleted_users', 'revoked_sessions']);
  });

  const repairSeries: Array<[string, Record<string, string>]> = [
    ['authmirror_reconcile_repairs_total', { change: 'created' }],
    ['authmirror_reconcile_repairs_total', { change: 'updated' }],
    ['authmirror_reconcile_repairs_total', { change: 'deleted' }],
    ['authmirror_reconcile_runs_total', { outcome: 'complete' }],
  ];

  it('counts the first reconcile as a run that repaired nothing: it fills the mirror (a backfill)', async () => {
    let summary: Awaited<ReturnType<ReconcileService['run']>> | undefined;
    const moved = await deltas(repairSeries, async () => (summary = await stack.app.get(ReconcileService).run()));
    expect(summary).toMatchObject({ complete: true, backfill: true });
    expect(moved).toEqual([0, 0, 0, 1]);
  });

  it('moves the repair counters by what a reconcile repaired: changes the intake never saw', async () => {
    const [changed, removed] = [await supabase.createUser('changed'), await supabase.createUser('removed')];
    for (const id of [changed, removed]) await eventually(() => mirrored(id), Boolean, 30_000);
    const created = await behindTheMirrorsBack(async (tx) => [
      await supabase.gotrue.adminCreateUser(tx, { email: `missed-${randomUUID()}@example.com`, encryptedPassword: 'x' }),
      await supabase.gotrue.adminCreateUser(tx, { email: `missed-${randomUUID()}@example.com`, encryptedPassword: 'x' }),
    ]);
    await behindTheMirrorsBack(async (tx) => {
      await tx.query(`UPDATE auth.users SET raw_user_meta_data = '{"missed":true}', updated_at = now() WHERE id = $1`, [changed]);
      await tx.query('DELETE FROM auth.identities WHERE user_id = $1', [removed]);
      await tx.query('DELETE FROM auth.users WHERE id = $1', [removed]);
    });
    expect(await mirrored(created[0])).toBeUndefined();

    let summary: Awaited<ReturnType<ReconcileService['run']>> | undefined;
    const moved = await deltas(repairSeries, async () => (summary = await stack.app.get(ReconcileService).run()));
    // The canary changes every second: a reconcile may find its newest version before the intake does (an update).
    expect(summary).toMatchObject({ complete: true, backfill: false, created: 2, deleted: 1, failed: 0 });
    expect(summary!.updated).toBeGreaterThanOrEqual(1);
    expect(moved).toEqual([2, summary!.updated, 1, 1]);
  });

  it('counts guard refusals by reason and syncs by source', async () => {
    const user = await stack.signedInUser();
    const moved = await deltas(
      [
        ['authmirror_guard_refusals_total', { reason: 'invalid_token' }],
        ['authmirror_guard_refusals_total', { reason: 'forbidden' }],
        ['authmirror_syncs_total', { source: 'admin_api' }],
        ['authmirror_http_requests_total', { route: '/users/me', status: '200' }],
        ['authmirror_http_requests_total', { route: 'unmatched', status: '404' }],
      ],
      async () => {
        expect((await stack.request('GET', '/users/me')).status).toBe(401);
        expect((await stack.request('GET', '/users/me', { token: 'not.a.token' })).status).toBe(401);
        expect((await stack.request('GET', '/admin/users', { token: user.accessToken })).status).toBe(403);
        expect((await stack.request('POST', '/auth/users/sync', { token: user.accessToken })).status).toBe(200);
        expect((await stack.request('GET', '/users/me', { token: user.accessToken })).status).toBe(200);
        expect((await stack.request('GET', `/no-such-route/${user.id}`)).status).toBe(404);
      },
    );
    expect(moved).toEqual([2, 1, 1, 1, 1]);
    const families = await scrape();
    // Route templates, never the path a caller chose.
    expect(samples(families, 'authmirror_http_requests_total').some((sample) => sample.labels.route.includes(user.id))).toBe(false);
  });

  it('counts pushed deliveries by form and outcome, with their lag', async () => {
    const id = randomUUID();
    const signed = (updatedAt: string, deliveryId: string = randomUUID()) => {
      const body = JSON.stringify({ type: 'user.updated', user: supabaseUser(id, updatedAt) });
      return stack.request('POST', '/webhooks/supabase', { body, headers: signedHeaders(secret, body, { id: deliveryId }) });
    };
    const moved = await deltas(
      [
        ['authmirror_deliveries_total', { form: 'signed', outcome: 'applied' }],
        ['authmirror_deliveries_total', { form: 'signed', outcome: 'duplicate' }],
        ['authmirror_deliveries_total', { form: 'signed', outcome: 'stale' }],
        ['authmirror_deliveries_total', { form: 'unknown', outcome: 'rejected' }],
        ['authmirror_deliveries_total', { form: 'database', outcome: 'applied' }],
        ['authmirror_intake_lag_seconds', { form: 'signed' }],
      ],
      async () => {
        const now = new Date().toISOString();
        const deliveryId = randomUUID();
        expect((await signed(now, deliveryId)).status).toBe(200);
        expect((await signed(now, deliveryId)).status).toBe(200);
        expect((await signed('2026-01-01T00:00:00Z')).status).toBe(200);
        const body = JSON.stringify({ type: 'user.updated', user: supabaseUser(id, now) });
        expect((await stack.request('POST', '/webhooks/supabase', { body, headers: signedHeaders(newWebhookSecret(), body) })).status).toBe(
          401,
        );
        const row = JSON.stringify({
          type: 'INSERT',
          table: 'users',
          schema: 'auth',
          record: rawUserRow(randomUUID(), now),
          old_record: null,
        });
        const database = await stack.request('POST', '/webhooks/supabase', {
          body: row,
          headers: { authorization: `Bearer ${DB_TOKEN}`, 'content-type': 'application/json' },
        });
        expect(database.status).toBe(200);
      },
    );
    expect(moved).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('counts pull-intake batches and changes, with the lag from commit to mirror', async () => {
    const before = await scrape();
    const id = await supabase.createUser('pulled');
    await eventually(() => mirrored(id), Boolean, 30_000);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(moved('authmirror_intake_batches_total', { outcome: 'applied' })).toBeGreaterThanOrEqual(1);
    expect(moved('authmirror_deliveries_total', { form: 'pull', outcome: 'applied' })).toBeGreaterThanOrEqual(1);
    expect(moved('authmirror_intake_lag_seconds', { form: 'pull' })).toBeGreaterThanOrEqual(1);
  });

  it('sees the canary come back through the intake', async () => {
    const families = await eventually(scrape, (found) => value(found, 'authmirror_canary_roundtrip_seconds') >= 2, 30_000);
    const sent = value(families, 'authmirror_canary_sent_timestamp_seconds');
    const seen = value(families, 'authmirror_canary_last_seen_timestamp_seconds');
    expect(sent).toBeGreaterThan(Date.parse('2026-01-01') / 1000);
    expect(seen).toBeGreaterThan(Date.parse('2026-01-01') / 1000);
    const { rows } = await stack.db.query(`SELECT app_metadata->>'authmirror_canary' AS canary FROM users WHERE id = $1`, [canaryId]);
    expect(Date.parse(rows[0].canary)).toBeGreaterThan(0);
    expect(value(families, 'authmirror_job_attempts_total', { task: 'canary', outcome: 'succeeded' })).toBeGreaterThanOrEqual(2);
  });

  it('counts dead jobs by task', async () => {
    stack.app.get(UserCleanerRegistry).register({
      name: 'metrics-crm',
      maxAttempts: 1,
      clean: async () => {
        throw new Error('the CRM answered 503');
      },
    });
    const user = await stack.signedInUser();
    await eventually(() => mirrored(user.id), Boolean, 30_000);
    await stack.app.get(UsersService).deleteUser(user.id, { source: 'admin' });
    const families = await eventually(
      scrape,
      (found) => value(found, 'authmirror_jobs', { task: 'user_cleanup', state: 'dead' }) >= 1,
      30_000,
    );
    expect(value(families, 'authmirror_job_attempts_total', { task: 'user_cleanup', outcome: 'dead' })).toBeGreaterThanOrEqual(1);
    expect(value(families, 'authmirror_jobs', { task: 'canary', state: 'dead' })).toBe(0);
  });
});

describe('docs/prometheus-rules.yml', () => {
  type Rule = {
    alert: string;
    expr: string;
    for?: string;
    labels: { severity: string };
    annotations: { summary: string; description: string };
  };

  it('parses, and every alert names only series /metrics serves', async () => {
    const rules = load(await readFile(new URL('../docs/prometheus-rules.yml', import.meta.url), 'utf8')) as {
      groups: Array<{ name: string; rules: Rule[] }>;
    };
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['AuthmirrorReconcileRepaired', 'AuthmirrorCanarySilent', 'AuthmirrorDeadJobs', 'AuthmirrorIntakeLagHigh']),
    );
    const families = await scrape();
    for (const rule of alerts) {
      expect(rule).toMatchObject({ labels: { severity: expect.any(String) }, annotations: { summary: expect.any(String) } });
      const names = [...rule.expr.matchAll(/\bauthmirror_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, ''));
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((name) => !families[name])).toEqual([]);
    }
  });
});
