// Browsers call the API from another origin (a React app on :5173): CORS preflights and answers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from './support/test-stack.js';

let local: TestStack;

beforeAll(async () => {
  local = await startTestStack();
});

afterAll(async () => {
  await local?.close();
});

function preflight(stack: TestStack, origin: string, path = '/auth/users/sync') {
  return fetch(`${stack.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key, x-request-id',
    },
  });
}

describe('CORS with no CORS_ORIGINS in development', () => {
  it('answers a preflight from http://localhost:5173 with 204 and every header a browser needs', async () => {
    const answer = await preflight(local, 'http://localhost:5173');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (answer.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'content-type', 'idempotency-key', 'x-request-id']) expect(allowed).toContain(header);
    expect(Number(answer.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    expect(answer.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers an OPTIONS without Access-Control-Request-Method as a preflight, never in plain text', async () => {
    const answer = await fetch(`${local.url}/auth/users/sync`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173' } });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(answer.headers.get('x-request-id')).toBeTruthy();
  });

  it('allows [::1] too, and no https or other host by default', async () => {
    expect((await preflight(local, 'http://[::1]:5173')).headers.get('access-control-allow-origin')).toBe('http://[::1]:5173');
    for (const origin of ['https://localhost:5173', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example:5173', 'null']) {
      expect([origin, (await preflight(local, origin)).headers.get('access-control-allow-origin')]).toEqual([origin, null]);
    }
  });

  it('lets the answer itself be read: Access-Control-Allow-Origin, and X-Request-Id and Retry-After exposed', async () => {
    const answer = await fetch(`${local.url}/users/me`, { headers: { origin: 'http://127.0.0.1:4173' } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4173');
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    expect(exposed).toContain('x-request-id');
    expect(exposed).toContain('retry-after');
  });

  it('gives another origin no CORS headers, and never a 500', async () => {
    const answer = await preflight(local, 'https://evil.example.com');
    expect(answer.status).toBeLessThan(500);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${local.url}/health`, { headers: { origin: 'https://evil.example.com' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS with CORS_ORIGINS set (as in production)', () => {
  let listed: TestStack;
  beforeAll(async () => {
    listed = await startTestStack({ env: { CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(async () => {
    await listed?.close();
  });

  it('allows the listed origin only: localhost is no longer allowed by default', async () => {
    const allowed = await preflight(listed, 'https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const local = await preflight(listed, 'http://localhost:5173');
    expect(local.status).toBeLessThan(500);
    expect(local.headers.get('access-control-allow-origin')).toBeNull();
  });
});
