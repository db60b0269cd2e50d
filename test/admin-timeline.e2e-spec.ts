// GET /admin/users/{id}: a user's whole life in order — signup, sign-in, sync with its source, onboarding, a device,
// deliveries applied and ignored, a reconcile repair, a tier push, then deletion and each clean-up's outcome — with
// nothing personal in it, pages that neither skip nor repeat, and the records that outlive the user.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ReconcileService } from '../src/reconcile/reconcile.service.js';
import { UserCleanerRegistry } from '../src/users/user-cleaners.js';
import { snapshotFromSupabase } from '../src/users/user-snapshot.js';
import { UsersService } from '../src/users/users.service.js';
import { WebhooksService } from '../src/webhooks/webhooks.service.js';
import { newWebhookSecret, signedHeaders, supabaseUser } from './support/deliveries.js';
import { eventually, until } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';
import { wholeTimeline, type TimelineEntry } from './support/timeline.js';

const secret = newWebhookSecret();
const password = 'Timeline-Password-1';
let stack: TestStack;
let adminToken: string;
/** The flaky cleaner fails its first attempt for each user: the timeline shows the failure, then the success. */
const flakyAttempts = new Map<string, number>();

beforeAll(async () => {
  stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: secret } });
  adminToken = (await stack.signedInAdmin()).accessToken;
  // The first run is a first fill (no repairs), even with a user already mirrored: later runs repair.
  expect((await stack.app.get(ReconcileService).run()).backfill).toBe(true);
  stack.app.get(UserCleanerRegistry).register({
    name: 'flaky-archive',
    clean: async (userId) => {
      const attempt = (flakyAttempts.get(userId) ?? 0) + 1;
      flakyAttempts.set(userId, attempt);
      if (attempt === 1) throw new Error('archive service unavailable');
    },
  });
});

afterAll(async () => {
  await stack?.close();
});

type Detail = { status: string; user: { email: string } | null; devices: unknown[]; timeline: TimelineEntry[]; nextCursor: string | null };

const detail = async (id: string, query = '') => stack.request('GET', `/admin/users/${id}${query}`, { token: adminToken });

async function sendSigned(payload: unknown) {
  const body = JSON.stringify(payload);
  return stack.request('POST', '/webhooks/supabase', { body, headers: signedHeaders(secret, body) });
}

describe('GET /admin/users/{id}', () => {
  it("shows a user's whole life, newest first, without personal data; then what outlives the deletion", async () => {
    const email = `timeline-${Date.now()}@example.com`;
    const signup = await stack.request('POST', '/auth/signup', { body: { email, password, displayName: 'Tim Line' } });
    expect(signup.status).toBe(201);
    const id: string = signup.body.user.id;
    await stack.admin.auth.admin.updateUserById(id, { email_confirm: true });
    expect((await stack.request('POST', '/auth/login', { body: { email, password: 'wrong password 1' } })).status).toBe(401);
    const login = await stack.request('POST', '/auth/login', { body: { email, password } });
    expect(login.status).toBe(200);
    const token: string = login.body.session.accessToken;
    expect((await stack.request('POST', '/auth/users/sync', { token })).status).toBe(200);
    const onboarding = await stack.request('POST', '/profiles/me/onboarding', {
      token,
      body: { industry: 'Software', jobTitle: 'Engineer', emailConsent: false },
    });
    expect(onboarding.status).toBe(200);

    // Supabase's copy changes behind the intake's back: only reconcile can repair it.
    await stack.admin.auth.admin.updateUserById(id, { user_metadata: { plan_note: 'changed while no event came' } });
    const run = await stack.app.get(ReconcileService).run();
    expect(run.updated).toBeGreaterThanOrEqual(1);
    // A delivery of a newer version is applied; a repeat of an older one is ignored.
    const current = (await stack.admin.auth.admin.getUserById(id)).data.user!;
    const newer = new Date(Date.parse(current.updated_at!) + 1000).toISOString();
    expect((await sendSigned({ type: 'user.updated', user: supabaseUser(id, newer, { email }) })).status).toBe(200);
    expect((await sendSigned({ type: 'user.updated', user: supabaseUser(id, '2020-01-01T00:00:00Z', { email }) })).status).toBe(200);
    expect((await stack.request('PATCH', `/admin/users/${id}/app-metadata`, { token: adminToken, body: { tier: 'pro' } })).status).toBe(
      202,
    );
    await until(
      async () =>
        (await stack.db.query('SELECT 1 FROM app_metadata_pushes WHERE user_id = $1 AND pushed_at IS NOT NULL', [id])).rowCount === 1,
    );

    const live = await detail(id);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'live', user: { id, email }, profile: { onboardingCompleted: true }, deletedAt: null });
    expect((live.body as Detail).devices).toEqual([expect.objectContaining({ id: expect.any(String), revokedAt: null })]);
    const lived = (live.body as Detail).timeline;
    const times = lived.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const order = [...lived].reverse().map((entry) => entry.type);
    const firstOf = (type: string) => order.indexOf(type);
    for (const type of [
      'user.signed_up',
      'login.failed',
      'user.signed_in',
      'device.first_seen',
      'user.synced',
      'profile.onboarded',
      'reconcile.repaired',
      'delivery.applied',
      'delivery.ignored',
      'admin.app_metadata.changed',
      'app_metadata.pushed',
    ])
      expect({ type, found: firstOf(type) >= 0 }).toEqual({ type, found: true });
    expect(firstOf('user.signed_up')).toBeLessThan(firstOf('user.signed_in'));
    expect(firstOf('user.signed_in')).toBeLessThan(firstOf('user.synced'));
    expect(firstOf('user.synced')).toBeLessThan(firstOf('profile.onboarded'));
    expect(firstOf('profile.onboarded')).toBeLessThan(firstOf('reconcile.repaired'));
    expect(firstOf('reconcile.repaired')).toBeLessThan(firstOf('delivery.applied'));
    expect(firstOf('delivery.applied')).toBeLessThan(firstOf('delivery.ignored'));
    const byType = (type: string) => lived.find((entry) => entry.type === type)!.details;
    expect(byType('user.synced')).toEqual({ source: 'admin_api' });
    expect(byType('reconcile.repaired')).toEqual({ change: 'updated' });
    expect(byType('delivery.ignored')).toEqual({ form: 'signed', eventType: 'user.updated', action: 'apply', reason: 'not_newer' });
    expect(byType('app_metadata.pushed')).toMatchObject({ keys: ['tier'] });
    expect(JSON.stringify(lived)).not.toMatch(new RegExp(`${email}|Tim Line|Software|Engineer|wrong password|changed while`));
    // Pages of 2 give exactly the whole timeline, in the same order.
    expect(await wholeTimeline(stack, adminToken, id, 2)).toEqual(lived);

    // The tier change may have made the old token stale (the app would refresh): a new sign-in's token is not.
    const again = await stack.request('POST', '/auth/login', { body: { email, password } });
    expect((await stack.request('DELETE', '/users/me', { token: again.body.session.accessToken, body: { password } })).status).toBe(204);
    const after = await eventually(
      async () => (await detail(id)).body as Detail,
      (body) => body.timeline.some((entry) => entry.type === 'cleanup.succeeded' && entry.details.cleaner === 'flaky-archive'),
      30_000,
    );
    expect(after).toMatchObject({ status: 'deleted', user: null, profile: null, devices: [] });
    const types = after.timeline.map((entry) => entry.type).reverse();
    // The user's own records went with them (their app data); the deletion, the clean-ups and the ledger stay.
    expect(types).not.toContain('user.synced');
    expect(types).toContain('delivery.applied');
    const deleted = types.indexOf('user.deleted');
    const failed = after.timeline.find((entry) => entry.type === 'cleanup.failed')!;
    expect(failed.details).toEqual({ cleaner: 'flaky-archive', attempt: 1, lastAttempt: false });
    expect(deleted).toBeGreaterThanOrEqual(0);
    expect(deleted).toBeLessThan(types.indexOf('cleanup.failed'));
    expect(types.indexOf('cleanup.failed')).toBeLessThan(types.lastIndexOf('cleanup.succeeded'));
    expect(
      after.timeline
        .filter((entry) => entry.type === 'cleanup.succeeded')
        .map((entry) => entry.details.cleaner)
        .sort(),
    ).toEqual(['flaky-archive', 'local-storage']);

    // Once the tombstone is purged, the records that outlive it still answer.
    await stack.db.query(`UPDATE users SET deleted_at = now() - interval '400 days' WHERE id = $1`, [id]);
    await stack.app.get(UsersService).purgeTombstones();
    const purged = await detail(id);
    expect(purged.status).toBe(200);
    expect(purged.body).toMatchObject({ status: 'deleted', user: null, deletedAt: null });
    expect((purged.body as Detail).timeline.map((entry) => entry.type)).toContain('user.deleted');
  });

  it("records the pull form's ignored deliveries and the users reconcile had to create", async () => {
    const webhooks = stack.app.get(WebhooksService);
    // Made in Supabase with no event: reconcile creates it, a repair.
    const { data } = await stack.admin.auth.admin.createUser({ email: `missed-${Date.now()}@example.com`, email_confirm: true });
    const id = data.user!.id;
    await stack.app.get(ReconcileService).run();
    const snapshot = snapshotFromSupabase(supabaseUser(id, '2020-01-01T00:00:00Z'));
    await webhooks.applyBatchOnce([{ deliveryId: `pull-old-${id}`, action: { kind: 'apply', eventType: 'UPDATE', snapshot } }], 'pull');
    await stack.app.get(UsersService).deleteUser(id, { source: 'admin' });
    const gone = { kind: 'delete' as const, eventType: 'DELETE', userId: id, deletedAt: null };
    await webhooks.applyBatchOnce([{ deliveryId: `pull-delete-${id}`, action: gone }], 'pull');

    const { timeline } = (await detail(id)).body as Detail;
    expect(timeline.filter((entry) => entry.type === 'delivery.ignored').map((entry) => entry.details)).toEqual([
      { form: 'pull', eventType: 'DELETE', action: 'delete', reason: 'already_deleted' },
      { form: 'pull', eventType: 'UPDATE', action: 'apply', reason: 'not_newer' },
    ]);
    // The repair itself went with the user (their own record); a live user's stays: see the first test.
    expect(timeline.map((entry) => entry.type)).not.toContain('reconcile.repaired');
  });

  it('shows a reconcile that created a user as a repair', async () => {
    const { data } = await stack.admin.auth.admin.createUser({ email: `created-${Date.now()}@example.com`, email_confirm: true });
    await stack.app.get(ReconcileService).run();
    const { timeline } = (await detail(data.user!.id)).body as Detail;
    expect(timeline.filter((entry) => entry.type === 'reconcile.repaired').map((entry) => entry.details)).toEqual([{ change: 'created' }]);
  });

  it('pages stay whole while new entries arrive between pages', async () => {
    const user = await stack.signedInUser();
    for (let i = 0; i < 5; i++) expect((await stack.request('POST', '/auth/users/sync', { token: user.accessToken })).status).toBe(200);
    const first = await detail(user.id, '?limit=3');
    const before = (first.body as Detail).timeline;
    // Newer entries land on page one's side of the cursor: the next pages are unaffected.
    for (let i = 0; i < 3; i++) await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
    let rest: TimelineEntry[] = [];
    let cursor = (first.body as Detail).nextCursor;
    while (cursor) {
      const page = (await detail(user.id, `?limit=3&cursor=${cursor}`)).body as Detail;
      rest = rest.concat(page.timeline);
      cursor = page.nextCursor;
    }
    const syncs = [...before, ...rest].filter((entry) => entry.type === 'user.synced');
    expect(syncs).toHaveLength(5);
  });

  it('answers 404 for an id nobody knows, 400 for a cursor it did not give, 403 to a non-admin', async () => {
    expect((await detail(randomUUID())).body).toMatchObject({ statusCode: 404, code: 'user_not_found' });
    expect((await detail('not-a-uuid')).body).toMatchObject({ statusCode: 404, code: 'user_not_found' });
    const user = await stack.signedInUser();
    for (const cursor of [
      'garbage',
      Buffer.from('["2026-13-01T00:00:00Z","a1"]').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from(JSON.stringify(['2026-11-01T00:00:00Z', 'a\u0000'])).toString('base64url'),
    ]) {
      expect((await detail(user.id, `?cursor=${cursor}`)).body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    }
    expect((await detail(user.id, '?limit=0')).body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    const refused = await stack.request('GET', `/admin/users/${user.id}`, { token: user.accessToken });
    expect(refused.body).toMatchObject({ statusCode: 403, code: 'forbidden' });
  });
});
