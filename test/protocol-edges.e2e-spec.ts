// What Fastify and Node answer before a route runs (bad URLs, bodies, media types, header
// sizes), and bytes that are not text: each gets the one error shape with a code and a request id.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { newWebhookSecret, signedHeaders, supabaseUser } from './support/deliveries.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const secret = newWebhookSecret();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: secret } });
});

afterAll(async () => {
  await stack?.close();
});

const ERROR_SHAPE = {
  statusCode: expect.any(Number),
  code: expect.any(String),
  message: expect.any(String),
  requestId: expect.any(String),
};

/** Sends raw bytes over TCP and returns the status line's code and the parsed body. */
function raw(request: string | Buffer): Promise<{ status: number; body: unknown }> {
  const { port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const bodyText = rest.join('\r\n\r\n');
      let body: unknown = bodyText;
      try {
        body = JSON.parse(bodyText);
      } catch {
        // keep the text
      }
      resolve({ status, body });
    });
    socket.end(request);
  });
}

describe("Fastify's and Node's own refusals", () => {
  it('a URL that is not valid percent-encoding: 400 in the error shape', async () => {
    const answer = await raw('GET /users/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ ...ERROR_SHAPE, statusCode: 400 });
  });

  it('a body over 1 MiB: 413 in the error shape', async () => {
    const answer = await stack.request('POST', '/auth/login', {
      body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ ...ERROR_SHAPE, statusCode: 413 });
  });

  it('a media type no route reads: 415 in the error shape', async () => {
    const answer = await stack.request('POST', '/auth/login', { body: '<login/>', headers: { 'content-type': 'application/xml' } });
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({ ...ERROR_SHAPE, statusCode: 415, code: 'unsupported_media_type' });
  });

  it('headers over the size Node takes: 431 in the error shape', async () => {
    const answer = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.body).toEqual({ ...ERROR_SHAPE, statusCode: 431 });
  });

  it('a request Node cannot parse: 400 in the error shape', async () => {
    const answer = await raw('GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ ...ERROR_SHAPE, statusCode: 400 });
  });
});

describe('bytes that are not UTF-8', () => {
  it('in a JSON body: 400, never stored as U+FFFD', async () => {
    const { accessToken } = await stack.signedInUser();
    expect((await stack.request('POST', '/auth/users/sync', { token: accessToken })).status).toBe(200);
    const body = Buffer.concat([Buffer.from('{"displayName":"Bad '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const answer = await fetch(`${stack.url}/profiles/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ statusCode: 400, code: 'invalid_json' });
    const me = await stack.request('GET', '/users/me', { token: accessToken });
    expect(me.body.profile.displayName).toBeNull();
  });

  it('in a signed delivery (signed over its exact bytes): 400 invalid_payload', async () => {
    const text = JSON.stringify({
      type: 'user.created',
      user: supabaseUser(randomUUID(), '2026-04-01T00:00:00Z', { user_metadata: { name: 'PLACEHOLDER' } }),
    });
    const [before, after] = text.split('PLACEHOLDER');
    const body = Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);
    const id = randomUUID();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(secret.replace(/^v1,whsec_/, ''), 'base64');
    const signature = createHmac('sha256', key)
      .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]))
      .digest('base64');
    const answer = await fetch(`${stack.url}/webhooks/supabase`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${signature}`,
      },
      body,
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { code: string }).code).toBe('invalid_payload');
  });
});

describe('odd but well-formed requests', () => {
  it('a webhook id longer than 200 characters is refused, never cut short (two could then collide)', async () => {
    const body = JSON.stringify({ type: 'user.created', user: supabaseUser(randomUUID(), '2026-04-01T00:00:00Z') });
    const answer = await stack.request('POST', '/webhooks/supabase', {
      body,
      headers: signedHeaders(secret, body, { id: 'x'.repeat(201) }),
    });
    expect([answer.status, answer.body.code]).toEqual([401, 'invalid_signature']);
  });

  it('a null password is not a password: 400, not a check against Supabase', async () => {
    const { accessToken } = await stack.signedInUser();
    expect((await stack.request('POST', '/auth/users/sync', { token: accessToken })).status).toBe(200);
    const answer = await stack.request('DELETE', '/users/me', { token: accessToken, body: { password: null } });
    expect([answer.status, answer.body.code]).toEqual([400, 'validation_failed']);
  });
});

describe('deliveries sent with another content type', () => {
  it('a correctly signed delivery sent as text/plain is verified over its bytes and applied', async () => {
    const id = randomUUID();
    const body = JSON.stringify({ type: 'user.created', user: supabaseUser(id, '2026-04-01T00:00:00.000001Z') });
    const headers = { ...signedHeaders(secret, body), 'content-type': 'text/plain; charset=utf-8' };
    const answer = await stack.request('POST', '/webhooks/supabase', { body, headers });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'applied', outcome: 'created' });
  });
});
