import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('the edges of the API', () => {
  it('answers GET /health with 200 while Postgres answers', async () => {
    const answer = await stack.request('GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('gives unknown routes the one error shape, with the request id', async () => {
    const answer = await stack.request('GET', '/nowhere', { headers: { 'x-request-id': 'trace-123' } });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ statusCode: 404, code: 'not_found', message: expect.any(String), requestId: 'trace-123' });
    expect(answer.headers.get('x-request-id')).toBe('trace-123');
  });

  it('answers a malformed JSON body with 400, not 500', async () => {
    const { accessToken } = await stack.signedInUser();
    const answer = await stack.request('POST', '/auth/users/sync', {
      token: accessToken,
      body: '{"broken":',
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_json');
  });

  it('serves Swagger UI and an OpenAPI document with bearer auth and every response', async () => {
    const ui = await stack.request('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');

    const document = await stack.request('GET', '/docs-json');
    expect(document.status).toBe(200);
    expect(document.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const sync = document.body.paths['/auth/users/sync'].post;
    expect(Object.keys(sync.responses).sort()).toEqual(['200', '401', '403', '503']);
    expect(sync.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(document.body.paths['/users/me'].get.responses).sort()).toEqual(['200', '401', '403', '404', '503']);
    expect(Object.keys(document.body.paths['/health'].get.responses).sort()).toEqual(['200', '503']);
    expect(document.body.components.schemas.ErrorResponse.required).toEqual(
      expect.arrayContaining(['statusCode', 'code', 'message', 'requestId']),
    );
  });

  it('answers 404 user_not_found for a valid user who never synced', async () => {
    const { accessToken } = await stack.signedInUser();
    const answer = await stack.request('GET', '/users/me', { token: accessToken });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('user_not_found');
  });
});
