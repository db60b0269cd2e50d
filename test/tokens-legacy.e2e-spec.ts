import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from './support/test-stack.js';

// A file of its own: passport keeps strategies in a process-wide registry, so one app per test file.
describe('legacy HS256 projects', () => {
  let legacy: TestStack;

  beforeAll(async () => {
    legacy = await startTestStack({ auth: { signing: 'hs256' } });
  });

  afterAll(async () => {
    await legacy?.close();
  });

  it('verifies HS256 tokens with SUPABASE_JWT_SECRET', async () => {
    const signedIn = await legacy.signedInUser();
    const header = JSON.parse(Buffer.from(signedIn.accessToken.split('.')[0], 'base64url').toString());
    expect(header).toMatchObject({ alg: 'HS256' });
    expect(header.kid).toBeUndefined();
    const answer = await legacy.request('POST', '/auth/users/sync', { token: signedIn.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.body.user.id).toBe(signedIn.id);
  });

  it('still refuses the HS256-signed anon key', async () => {
    const answer = await legacy.request('GET', '/users/me', { token: legacy.auth.keys.anonKey });
    expect(answer.status).toBe(401);
  });
});
