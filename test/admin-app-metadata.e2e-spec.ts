// A tier change through PATCH /admin/users/{id}/app-metadata reaches the user at once: once
// Supabase has it, the user's older token gets 401 token_stale on both instances, and after
// supabase-js's refreshSession() the new token carries the tier, without signing out.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let second: string;
let adminToken: string;

beforeAll(async () => {
  stack = await startTestStack();
  second = (await stack.secondInstance()).url;
  adminToken = (await stack.signedInAdmin()).accessToken;
});

afterAll(async () => {
  await stack?.close();
});

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { app_metadata: Record<string, unknown> };

describe('PATCH /admin/users/{id}/app-metadata', () => {
  it('pushes the tier to Supabase; older tokens get token_stale on both instances; a refreshed token carries the tier', async () => {
    const client = stack.anon();
    const email = `tier-${Date.now()}@example.com`;
    await client.auth.signUp({ email, password: 'correct horse battery' });
    const { data } = await client.auth.signInWithPassword({ email, password: 'correct horse battery' });
    const old = data.session!;
    expect((await stack.request('POST', '/auth/users/sync', { token: old.access_token })).status).toBe(200);
    // The old token from a second before the change: whole seconds decide.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));

    const changed = await stack.request('PATCH', `/admin/users/${data.user!.id}/app-metadata`, {
      token: adminToken,
      body: { tier: 'pro' },
    });
    expect(changed.status).toBe(202);
    const stale = async (via?: string) =>
      (await stack.request('GET', '/users/me', { token: old.access_token, via })).body.code === 'token_stale';
    expect(await until(() => stale(), 10_000)).toBe(true);
    expect(await until(() => stale(second), 1_000)).toBe(true);

    const refreshed = await client.auth.refreshSession({ refresh_token: old.refresh_token });
    expect(refreshed.error).toBeNull();
    const token = refreshed.data.session!.access_token;
    expect(claimsOf(token).app_metadata.tier).toBe('pro');
    for (const via of [undefined, second]) {
      const me = await stack.request('GET', '/users/me', { token, via });
      expect([me.status, me.body.user.appMetadata.tier]).toEqual([200, 'pro']);
    }
    const audit = await stack.db.query(`SELECT details FROM audit_events WHERE type = 'admin.app_metadata.changed' AND subject_id = $1`, [
      data.user!.id,
    ]);
    expect(audit.rows).toEqual([{ details: { adminId: expect.any(String), keys: ['tier'] } }]);
  });

  it('answers 403 to non-admins, 404 for an unknown user, 400 for a body that is not keys to merge', async () => {
    const user = await stack.signedInUser();
    expect(
      (await stack.request('PATCH', `/admin/users/${user.id}/app-metadata`, { token: user.accessToken, body: { tier: 'pro' } })).status,
    ).toBe(403);
    const unknown = await stack.request('PATCH', '/admin/users/00000000-0000-4000-8000-000000000000/app-metadata', {
      token: adminToken,
      body: { tier: 'x' },
    });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'user_not_found']);
    expect((await stack.request('PATCH', '/admin/users/nope/app-metadata', { token: adminToken, body: { tier: 'x' } })).status).toBe(404);
    await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
    for (const body of [[], '"pro"', 'null', {}, { providers: ['x'] }, { ['k'.repeat(101)]: 1 }, { big: 'x'.repeat(20_000) }]) {
      const answer = await stack.request('PATCH', `/admin/users/${user.id}/app-metadata`, { token: adminToken, body });
      expect([answer.status, answer.body.code]).toEqual([400, 'validation_failed']);
    }
  });
});
