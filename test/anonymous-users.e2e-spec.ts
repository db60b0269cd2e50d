// Supabase anonymous users (`is_anonymous: true`, role `authenticated`): ANONYMOUS_USERS decides
// what the account routes do with them; the lookup refuses them whatever it says.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack | undefined;

afterAll(async () => {
  await stack?.close();
});

/** An anonymous user as Supabase makes one (no email), with an access token. */
function anonymousUser(on: TestStack): { id: string; token: string } {
  const id = randomUUID();
  on.auth.admin.bulkInsert(1, () => ({ id, email: null, is_anonymous: true }));
  return { id, token: on.auth.signAccessToken({ sub: id, is_anonymous: true, email: '' }) };
}

const lookup = `/users/lookup?phone=${encodeURIComponent('+447700900123')}`;

describe('with ANONYMOUS_USERS=refuse (the default)', () => {
  it('account routes answer 403 anonymous_user; logout still works', async () => {
    stack = await startTestStack();
    const { token } = anonymousUser(stack);
    for (const [method, path] of [
      ['POST', '/auth/users/sync'],
      ['GET', '/users/me'],
      ['PATCH', '/profiles/me'],
      ['POST', '/profiles/me/onboarding'],
      ['DELETE', '/users/me'],
      ['GET', lookup],
    ] as const) {
      const answer = await stack.request(method, path, { token, body: method === 'GET' ? undefined : {} });
      expect({ path, status: answer.status, code: answer.body?.code }).toEqual({ path, status: 403, code: 'anonymous_user' });
    }
    // Supabase has no session of this made-up token's session_id: it is logged out already.
    expect((await stack.request('POST', '/auth/logout', { token, body: {} })).status).toBe(204);
    await stack.close();
    stack = undefined;
  });
});

describe('with ANONYMOUS_USERS=allow', () => {
  it('they are mirrored and served like anyone, but never look numbers up', async () => {
    stack = await startTestStack({ env: { ANONYMOUS_USERS: 'allow' } });
    const { id, token } = anonymousUser(stack);
    const sync = await stack.request('POST', '/auth/users/sync', { token });
    expect(sync.status).toBe(200);
    expect(sync.body.user).toMatchObject({ id, isAnonymous: true, email: null });
    expect((await stack.request('GET', '/users/me', { token })).status).toBe(200);
    expect((await stack.request('PATCH', '/profiles/me', { token, body: { displayName: 'Guest' } })).status).toBe(200);
    const refused = await stack.request('GET', lookup, { token });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('anonymous_user');
  });
});
