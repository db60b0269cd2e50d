import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { captureLogLines } from './support/log-lines.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const { lines, destination: capture } = captureLogLines();

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { LOG_LEVEL: 'trace' }, logDestination: capture });
});

afterAll(async () => {
  await stack?.close();
});

describe('logs', () => {
  it('carry request ids and never a token, key or password', async () => {
    const password = 'Sup3r-secret-passw0rd';
    const { accessToken } = await stack.signedInUser({ password });
    await stack.request('POST', '/auth/users/sync', {
      token: accessToken,
      headers: { apikey: stack.auth.keys.anonKey, 'x-request-id': 'log-check-1' },
    });
    await stack.request('GET', '/users/me', { token: `${accessToken}tampered` });
    stack.auth.faults.add({ path: /\/admin\/users/, status: 503 });
    await stack.request('POST', '/auth/users/sync', { token: accessToken });
    stack.auth.faults.clear();
    await stack.request('POST', '/auth/users/sync', {
      token: accessToken,
      body: { password },
      headers: { 'content-type': 'application/json' },
    });

    const log = lines.join('\n');
    expect(lines.some((line) => JSON.parse(line).req?.id === 'log-check-1')).toBe(true);
    expect(lines.some((line) => line.includes('Supabase admin API refused getUserById'))).toBe(true);
    for (const secret of [accessToken, accessToken.split('.')[2], stack.auth.keys.anonKey, stack.auth.keys.serviceRoleKey, password]) {
      expect(log).not.toContain(secret);
    }
  });
});
