// Sign-in and refresh through the service against a stand-in with GoTrue's harsher rules on:
// POST /token limited per address (Sb-Forwarded-For honoured), refresh-token reuse past the
// interval revoking the family, banned users, and refreshes that write the user.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newWebhookSecret } from './support/deliveries.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const secret = newWebhookSecret();
let stack: TestStack;
const password = 'Correct-Horse-42';

beforeAll(async () => {
  stack = await startTestStack({
    auth: { rateLimitTokenRefresh: 150, sbForwardedFor: true, refreshTokenReuseIntervalSeconds: 0 },
    env: { TRUST_PROXY: 'true', RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0', SUPABASE_WEBHOOK_SECRET: secret },
  });
});

afterAll(async () => {
  await stack?.close();
});

let clients = 0;
function newClient(): string {
  clients++;
  return `198.51.100.${clients}`;
}

/** A confirmed user made through the admin API (no /token call). */
async function user(): Promise<{ id: string; email: string }> {
  const email = `gotrue-${randomUUID()}@example.com`;
  const { data, error } = await stack.admin.auth.admin.createUser({ email, password, email_confirm: true });
  if (error) throw error;
  return { id: data.user.id, email };
}

function login(email: string, client: string) {
  return stack.request('POST', '/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': client } });
}

describe("Supabase's per-address limit on sign-ins and refreshes", () => {
  it('is met per end user: each address the service forwards has a budget of its own', async () => {
    const { email } = await user();
    const answers = await Promise.all(Array.from({ length: 40 }, () => login(email, newClient())));
    expect(answers.map((answer) => answer.status)).toEqual(Array(40).fill(200));
  });

  it('answers 429 rate_limited with Retry-After when one address passes it', async () => {
    const { email } = await user();
    const client = newClient();
    const answers = await Promise.all(Array.from({ length: 35 }, () => login(email, client)));
    const limited = answers.filter((answer) => answer.status === 429);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(30);
    expect(limited).toHaveLength(5);
    expect(limited[0].body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('refresh tokens as GoTrue rotates them', () => {
  it('a retried refresh gets the active token; a token reused past the reuse interval is 401 and ends the session', async () => {
    const { email } = await user();
    const client = newClient();
    const first = (await login(email, client)).body.session;
    const refresh = (refreshToken: string) =>
      stack.request('POST', '/auth/refresh', { body: { refreshToken }, headers: { 'x-forwarded-for': client } });
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(200);
    expect((await refresh(first.refreshToken)).body.session.refreshToken).toBe(second.body.session.refreshToken);
    const third = await refresh(second.body.session.refreshToken);
    expect(third.status).toBe(200);

    const reused = await refresh(first.refreshToken);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('invalid_refresh_token');
    expect((await refresh(third.body.session.refreshToken)).status).toBe(401);
  });

  it('a refresh moves the mirrored user forward (GoTrue writes last_sign_in_at and updated_at), through its delivery', async () => {
    stack.auth.deliveries.configure({ url: `${stack.url}/webhooks/supabase`, form: 'signed', secret, backoffMs: 10 });
    try {
      const { id, email } = await user();
      const client = newClient();
      const signedIn = await login(email, client);
      await stack.auth.deliveries.idle();
      const before = (await stack.db.query('SELECT updated_at, last_sign_in_at FROM users WHERE id = $1', [id])).rows[0];
      const refreshed = await stack.request('POST', '/auth/refresh', {
        body: { refreshToken: signedIn.body.session.refreshToken },
        headers: { 'x-forwarded-for': client },
      });
      expect(refreshed.status).toBe(200);
      const after = await eventually(
        async () => (await stack.db.query('SELECT updated_at, last_sign_in_at FROM users WHERE id = $1', [id])).rows[0],
        (row) => row.updated_at > before.updated_at,
      );
      expect(after.last_sign_in_at > before.last_sign_in_at).toBe(true);
    } finally {
      stack.auth.deliveries.configure(null);
    }
  });
});

describe('a banned user', () => {
  it('is told 403 user_banned on sign-in (Supabase checks the ban first) and on refresh', async () => {
    const { id, email } = await user();
    const client = newClient();
    const signedIn = await login(email, client);
    expect(signedIn.status).toBe(200);
    expect((await stack.admin.auth.admin.updateUserById(id, { ban_duration: '24h' })).error).toBeNull();

    const again = await login(email, client);
    expect([again.status, again.body.code]).toEqual([403, 'user_banned']);
    const refreshed = await stack.request('POST', '/auth/refresh', {
      body: { refreshToken: signedIn.body.session.refreshToken },
      headers: { 'x-forwarded-for': client },
    });
    expect([refreshed.status, refreshed.body.code]).toEqual([403, 'user_banned']);
  });
});
