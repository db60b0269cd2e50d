// The newcomer's path through email: a signup's confirmation is sent through Supabase and its
// link works; forgotten passwords are reset through Supabase's recovery link, and the mirror
// follows the change.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newWebhookSecret } from './support/deliveries.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const secret = newWebhookSecret();
let stack: TestStack;
const password = 'Correct-Horse-42';
const app = 'http://localhost:5173/';

beforeAll(async () => {
  // As `npm start` runs it: confirmation on, every change delivered to the API.
  stack = await startTestStack({ auth: { autoconfirm: false }, env: { SUPABASE_WEBHOOK_SECRET: secret } });
  stack.auth.deliveries.configure({ url: `${stack.url}/webhooks/supabase`, form: 'signed', secret, backoffMs: 10 });
});

afterAll(async () => {
  await stack?.close();
});

async function follow(link: string): Promise<URLSearchParams> {
  const answer = await fetch(link, { redirect: 'manual' });
  expect(answer.status).toBe(303);
  const location = answer.headers.get('location') ?? '';
  expect(location.startsWith(`${app}#`)).toBe(true);
  return new URLSearchParams(location.split('#')[1]);
}

describe('POST /auth/signup and the confirmation email', () => {
  it('sends the confirmation through Supabase; its link confirms the address, and login then works', async () => {
    const email = `confirm-${randomUUID()}@example.com`;
    const answer = await stack.request('POST', '/auth/signup', { body: { email, password, redirectTo: app } });
    expect(answer.status).toBe(201);
    expect(answer.body.confirmationEmail).toBe('sent');
    const refused = await stack.request('POST', '/auth/login', { body: { email, password } });
    expect([refused.status, refused.body.code]).toEqual([403, 'email_not_confirmed']);

    const [mail] = stack.auth.mailbox.list(email);
    expect(mail).toMatchObject({ kind: 'signup', to: email });
    expect((await follow(mail.link)).get('type')).toBe('signup');
    expect((await stack.request('POST', '/auth/login', { body: { email, password } })).status).toBe(200);
  });
});

describe('a confirmation email Supabase does not send', () => {
  it('is said in the answer (not_sent); the user exists and asks again with resend', async () => {
    // Supabase's hourly email budget spent (GOTRUE_RATE_LIMIT_EMAIL_SENT).
    stack.auth.faults.add({ method: 'POST', path: /\/resend/, status: 429, code: 'over_email_send_rate_limit', times: 1 });
    const email = `unsent-${randomUUID()}@example.com`;
    const answer = await stack.request('POST', '/auth/signup', { body: { email, password, redirectTo: app } });
    expect([answer.status, answer.body.confirmationEmail]).toEqual([201, 'not_sent']);
    expect(stack.auth.mailbox.list(email)).toEqual([]);

    expect((await stack.anon().auth.resend({ type: 'signup', email, options: { emailRedirectTo: app } })).error).toBeNull();
    expect((await follow(stack.auth.mailbox.list(email)[0].link)).get('type')).toBe('signup');
    expect((await stack.request('POST', '/auth/login', { body: { email, password } })).status).toBe(200);
  });
});

describe('a forgotten password', () => {
  it('is reset through the recovery link, and the mirror follows the user', async () => {
    const email = `forgot-${randomUUID()}@example.com`;
    const { data } = await stack.admin.auth.admin.createUser({ email, password, email_confirm: true });
    const id = data.user!.id;
    await eventually(
      async () => (await stack.db.query('SELECT 1 FROM users WHERE id = $1', [id])).rowCount,
      (n) => n === 1,
    );
    const before = (await stack.db.query('SELECT updated_at FROM users WHERE id = $1', [id])).rows[0].updated_at;

    expect((await stack.anon().auth.resetPasswordForEmail(email, { redirectTo: app })).error).toBeNull();
    const fragment = await follow(stack.auth.mailbox.list(email)[0].link);
    expect(fragment.get('type')).toBe('recovery');
    const recovering = stack.anon();
    await recovering.auth.setSession({ access_token: fragment.get('access_token')!, refresh_token: fragment.get('refresh_token')! });
    expect((await recovering.auth.updateUser({ password: 'Brand-New-Horse-7' })).error).toBeNull();

    expect((await stack.request('POST', '/auth/login', { body: { email, password: 'Brand-New-Horse-7' } })).status).toBe(200);
    await eventually(
      async () => (await stack.db.query('SELECT updated_at FROM users WHERE id = $1', [id])).rows[0].updated_at,
      (at) => at > before,
    );
  });
});
