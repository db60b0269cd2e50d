import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let user: { id: string; accessToken: string };

beforeAll(async () => {
  stack = await startTestStack();
  user = await stack.signedInUser();
});

afterAll(async () => {
  await stack?.close();
});

function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: stack.auth.issuer,
    sub: user.id,
    aud: 'authenticated',
    role: 'authenticated',
    iat: now,
    exp: now + 600,
    email: 'someone@example.com',
    phone: '',
    session_id: '8a1f3a2e-1b9c-4a6d-9a53-6a1c7f1d2e3f',
    is_anonymous: false,
    ...overrides,
  };
}

function unsigned(payload: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

async function forgedWithOwnKey(): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: stack.auth.keys.kid, typ: 'JWT' }).sign(privateKey);
}

async function hs256(secret: string, payload = claims()): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

describe('bearer token verification', () => {
  it('accepts the access token of a supabase-js session', async () => {
    const answer = await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
    expect(answer.status).toBe(200);
  });

  it('accepts a token the server signs with the project key', async () => {
    const answer = await stack.request('POST', '/auth/users/sync', { token: stack.auth.signAccessToken(claims()) });
    expect(answer.status).toBe(200);
  });

  const rejected: Array<[string, () => Promise<string> | string]> = [
    ['forged with another key under the same kid', forgedWithOwnKey],
    ['expired', () => stack.auth.signAccessToken(claims({ iat: 1_600_000_000, exp: 1_600_000_600 }))],
    ['without exp', () => stack.auth.signAccessToken(claims({ exp: undefined }))],
    ['for another audience', () => stack.auth.signAccessToken(claims({ aud: 'other' }))],
    ['from another issuer', () => stack.auth.signAccessToken(claims({ iss: 'https://evil.example.com/auth/v1' }))],
    ['with a service_role role', () => stack.auth.signAccessToken(claims({ role: 'service_role' }))],
    ['with a sub that is not a UUID', () => stack.auth.signAccessToken(claims({ sub: 'admin' }))],
    ['with alg none', () => unsigned(claims())],
    ['HS256 with a wrong secret', () => hs256('x'.repeat(40))],
    ['HS256 with the dev secret while the project has no legacy secret configured', () => hs256(stack.auth.keys.jwtSecret)],
    ['the anon key', () => stack.auth.keys.anonKey],
    ['the service-role key', () => stack.auth.keys.serviceRoleKey],
    ['a publishable key', () => stack.auth.keys.publishableKey],
    ['garbage', () => 'not.a.jwt'],
    ['an unknown kid', () => stack.auth.signAccessToken(claims(), { header: { kid: 'unknown-kid' } })],
  ];

  it.each(rejected)('refuses a token %s with 401 invalid_token', async (_name, make) => {
    const token = await make();
    for (const path of ['/auth/users/sync', '/users/me']) {
      const answer = await stack.request(path === '/users/me' ? 'GET' : 'POST', path, { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ statusCode: 401, code: 'invalid_token' });
      expect(typeof answer.body.requestId).toBe('string');
    }
  });

  it('refuses a request without a token', async () => {
    const answer = await stack.request('GET', '/users/me');
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('invalid_token');
    expect(answer.body.message).toBe('A bearer access token is required');
  });
});

describe('verified-token cache', () => {
  it('stops accepting a token at its exp even after it was accepted before', async () => {
    const now = Math.floor(Date.now() / 1000);
    const shortLived = stack.auth.signAccessToken(claims({ iat: now, exp: now + 2 }));
    expect((await stack.request('POST', '/auth/users/sync', { token: shortLived })).status).toBe(200);
    expect((await stack.request('GET', '/users/me', { token: shortLived })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const late = await stack.request('GET', '/users/me', { token: shortLived });
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('invalid_token');
  });

  it('still refuses a cached token once its user is deleted', async () => {
    const signedIn = await stack.signedInUser();
    const first = await stack.request('POST', '/auth/users/sync', { token: signedIn.accessToken });
    expect(first.body).toMatchObject({ created: true });
    await stack.admin.auth.admin.deleteUser(signedIn.id);
    expect((await stack.request('POST', '/auth/users/sync', { token: signedIn.accessToken })).body.code).toBe('user_deleted');
    const me = await stack.request('GET', '/users/me', { token: signedIn.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('user_deleted');
  });
});
