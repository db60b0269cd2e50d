import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack } from './support/test-stack.js';

// Its own file: the per-IP limiter counts every call this file's stack receives.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_AUTH_PER_IP: '12', RATE_LIMIT_AUTH_PER_ACCOUNT: '3' } });
});

afterAll(async () => {
  await stack?.close();
});

describe('rate limits on signup, login and refresh', () => {
  it('limits one account to 3 calls a minute, with 429 rate_limited and Retry-After', async () => {
    const email = `limited-${randomUUID()}@example.com`;
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<TestStack['request']>> | null = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = await stack.request('POST', '/auth/login', { body: { email, password: 'Wrong-Horse-42' } });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(limited?.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);

    // Another account from the same address is not affected by that account's limit.
    const other = await stack.request('POST', '/auth/login', {
      body: { email: `other-${randomUUID()}@example.com`, password: 'Wrong-Horse-42' },
    });
    expect(other.status).toBe(401);
  });

  it('limits one IP address across accounts and endpoints to 12 calls a minute', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const answer = await stack.request('POST', '/auth/refresh', { body: { refreshToken: `unknown-token-${attempt}-${randomUUID()}` } });
      statuses.push(answer.status);
    }
    // 5 calls were made by the first test; the 8th of these is the 13th from this address.
    expect(statuses.slice(0, 7).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(7)).toEqual([429, 429, 429]);
    const signup = await stack.request('POST', '/auth/signup', {
      body: { email: `late-${randomUUID()}@example.com`, password: 'Correct-Horse-42' },
    });
    expect(signup.status).toBe(429);
    // Guarded endpoints that are not rate-limited still answer.
    expect((await stack.request('GET', '/health')).status).toBe(200);
  });
});
