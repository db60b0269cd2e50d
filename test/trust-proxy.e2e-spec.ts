// Which address a per-address limit counts, for each form of TRUST_PROXY: a client behind the
// trusted proxies is told apart by X-Forwarded-For; an untrusted X-Forwarded-For is ignored.
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack } from './support/test-stack.js';

/** Signups from the given X-Forwarded-For chain; RATE_LIMIT_AUTH_PER_IP is 2 a minute. */
async function signupsFrom(stack: TestStack, chain: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const answer = await stack.request('POST', '/auth/signup', {
      headers: { 'x-forwarded-for': chain },
      body: { email: `proxy-${randomUUID()}@example.com`, password: 'Correct-Horse-42' },
    });
    statuses.push(answer.status);
  }
  return statuses;
}

describe.each([
  // [TRUST_PROXY, whether a new address in X-Forwarded-For gets a budget of its own]
  ['1', true],
  ['127.0.0.1', true],
  ['127.0.0.0/8', true],
  ['false', false],
])('TRUST_PROXY=%s', (trustProxy, toldApart) => {
  it(toldApart ? 'counts each client behind the proxy apart' : 'counts every caller as the TCP peer', async () => {
    const stack = await startTestStack({
      env: { TRUST_PROXY: trustProxy, RATE_LIMIT_AUTH_PER_IP: '2', RATE_LIMIT_AUTH_PER_ACCOUNT: '0', SIGNUP_EMAIL_CONFIRMATION: 'false' },
    });
    try {
      expect(await signupsFrom(stack, '198.51.100.1', 3)).toEqual([201, 201, 429]);
      // The client's own claim comes first; the proxy appends the address it saw (one hop).
      expect(await signupsFrom(stack, '203.0.113.66, 198.51.100.2', 1)).toEqual([toldApart ? 201 : 429]);
      if (toldApart) expect(await signupsFrom(stack, '198.51.100.1, 198.51.100.2', 2)).toEqual([201, 429]);
    } finally {
      await stack.close();
    }
  });
});
