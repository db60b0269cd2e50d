// What GoTrue does by email, through supabase-js: confirmation on signup and resend, password
// recovery, following a link (GET /verify) and verifyOtp; the emails land in the local mailbox.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { request } from 'node:http';
import { DEV_KEYS, startAuthServer, type AuthServer } from './server.js';

const opts = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };
let seq = 0;
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.test`;
const APP = 'http://localhost:5173/welcome';

let server: AuthServer;
function client(): SupabaseClient {
  return createClient(server.url, DEV_KEYS.anonKey, opts);
}

/** Follows an email link as a browser would, without following the redirect; the fragment it leads to. */
async function follow(link: string): Promise<{ location: string; fragment: URLSearchParams }> {
  const answer = await fetch(link, { redirect: 'manual' });
  expect(answer.status).toBe(303);
  const location = answer.headers.get('location') ?? '';
  return { location, fragment: new URLSearchParams(location.split('#')[1] ?? '') };
}

beforeAll(async () => {
  server = await startAuthServer({ quiet: true, autoconfirm: false, rateLimitTokenRefresh: 0 });
});
afterAll(() => server.close());

describe('auth stand-in: email confirmation and recovery (internal/api/mail.go, verify.go, recover.go, resend.go)', () => {
  it('signUp mails a confirmation link; following it confirms the email and signs in at redirect_to', async () => {
    const email = uniqueEmail('confirm');
    const { error } = await client().auth.signUp({ email, password: 'secret123', options: { emailRedirectTo: APP } });
    expect(error).toBeNull();
    const [message] = server.mailbox.list(email);
    expect(message).toMatchObject({ to: email, kind: 'signup', subject: 'Confirm Your Signup', code: expect.stringMatching(/^\d{6}$/) });
    expect(message.link).toContain(`${server.issuer}/verify?token=`);
    expect((await client().auth.signInWithPassword({ email, password: 'secret123' })).error?.code).toBe('email_not_confirmed');

    const { location, fragment } = await follow(message.link);
    expect(location.startsWith(`${APP}#`)).toBe(true);
    expect(fragment.get('type')).toBe('signup');
    expect(fragment.get('token_type')).toBe('bearer');
    expect(fragment.get('access_token')).toBeTruthy();
    expect((await client().auth.signInWithPassword({ email, password: 'secret123' })).error).toBeNull();
    // A link works once.
    expect((await follow(message.link)).fragment.get('error_code')).toBe('otp_expired');
  });

  it('resend mails again only to an unconfirmed user, at most once a minute', async () => {
    const email = uniqueEmail('resend');
    const { data } = await createClient(server.url, DEV_KEYS.serviceRoleKey, opts).auth.admin.createUser({ email, password: 'secret123' });
    expect(data.user).not.toBeNull();
    expect((await client().auth.resend({ type: 'signup', email })).error).toBeNull();
    expect(server.mailbox.list(email)).toHaveLength(1);
    const again = await client().auth.resend({ type: 'signup', email });
    expect([again.error?.status, again.error?.code]).toEqual([429, 'over_email_send_rate_limit']);
    // Unknown and confirmed emails get the same answer, and no email.
    expect((await client().auth.resend({ type: 'signup', email: uniqueEmail('nobody') })).error).toBeNull();
  });

  it('resetPasswordForEmail answers the same for a known and an unknown email; the link leads to a session that sets a new password', async () => {
    const email = uniqueEmail('recover');
    await createClient(server.url, DEV_KEYS.serviceRoleKey, opts).auth.admin.createUser({
      email,
      password: 'old-secret',
      email_confirm: true,
    });
    const known = await client().auth.resetPasswordForEmail(email, { redirectTo: APP });
    const unknown = await client().auth.resetPasswordForEmail(uniqueEmail('stranger'), { redirectTo: APP });
    expect(known).toEqual(unknown);
    const [message] = server.mailbox.list(email);
    expect(message).toMatchObject({ kind: 'recovery', subject: 'Reset Your Password' });

    const { fragment } = await follow(message.link);
    expect(fragment.get('type')).toBe('recovery');
    const recovering = client();
    await recovering.auth.setSession({ access_token: fragment.get('access_token')!, refresh_token: fragment.get('refresh_token')! });
    expect((await recovering.auth.updateUser({ password: 'new-secret' })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email, password: 'new-secret' })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email, password: 'old-secret' })).error?.code).toBe('invalid_credentials');
  });

  it('verifyOtp takes the emailed code instead of the link', async () => {
    const email = uniqueEmail('otp');
    await client().auth.signUp({ email, password: 'secret123' });
    const [message] = server.mailbox.list(email);
    const verified = await client().auth.verifyOtp({ email, token: message.code, type: 'email' });
    expect(verified.error).toBeNull();
    expect(verified.data.session?.access_token).toBeTruthy();
    const wrong = await client().auth.verifyOtp({ email, token: '000000', type: 'email' });
    expect([wrong.error?.status, wrong.error?.code]).toEqual([403, 'otp_expired']);
  });

  it('serves the mailbox as a page and as JSON, without an API key', async () => {
    const page = await fetch(`${server.url}/mailbox`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Local mailbox');
    const json = (await (await fetch(`${server.url}/mailbox/messages`)).json()) as { messages: unknown[] };
    expect(json.messages.length).toBeGreaterThan(0);
  });

  it('lets no other origin read the mailbox: no CORS headers, and a loopback Host only', async () => {
    const fromAnotherSite = await fetch(`${server.url}/mailbox/messages`, { headers: { origin: 'https://evil.example' } });
    expect(fromAnotherSite.status).toBe(200);
    expect(fromAnotherSite.headers.get('access-control-allow-origin')).toBeNull();
    // A DNS-rebound name that resolves to 127.0.0.1 arrives with its own Host.
    for (const host of ['evil.example', 'evil.example:54321', '127.0.0.1.evil.example']) {
      const { status, body } = await getWithHost(`${server.url}/mailbox/messages`, host);
      expect(status).toBe(403);
      expect(body).not.toContain('@example.test');
    }
    for (const host of ['localhost', 'LOCALHOST:5173', '[::1]:54321', '127.0.0.1']) {
      expect((await getWithHost(`${server.url}/mailbox`, host)).status).toBe(200);
    }
  });

  it('sends a link with a control character in redirect_to to the site URL, as Go refuses to parse it', async () => {
    const email = uniqueEmail('crlf');
    await client().auth.signUp({
      email,
      password: 'secret123',
      options: { emailRedirectTo: 'http://localhost:5173/%0d%0aSet-Cookie:x=y' },
    });
    const [message] = server.mailbox.list(email);
    const { location } = await follow(
      message.link.replace(/redirect_to=[^&]*/, `redirect_to=${encodeURIComponent('http://localhost:5173/\r\nX: y')}`),
    );
    expect(location.startsWith('http://127.0.0.1:3000#')).toBe(true);
  });

  it("puts an error in place of redirect_to's own fragment, and a session after it (AsRedirectURL appends)", async () => {
    const email = uniqueEmail('fragment');
    await client().auth.signUp({ email, password: 'secret123', options: { emailRedirectTo: `${APP}#tab=1` } });
    const [message] = server.mailbox.list(email);
    expect((await follow(message.link)).location.startsWith(`${APP}#tab=1#access_token=`)).toBe(true);
    const again = await follow(message.link);
    expect(again.location.startsWith(`${APP}#error=access_denied`)).toBe(true);
  });
});

describe("auth stand-in: GoTrue's per-address limits (internal/api/apilimiter/apilimiter.go)", () => {
  it('answers 429 over_request_rate_limit past 30 calls of /verify, /recover, /resend and /signup from one address', async () => {
    const limited = await startAuthServer({ quiet: true, rateLimitTokenRefresh: 0, rateLimitEmailSent: 0, sbForwardedFor: true });
    try {
      const anon = createClient(limited.url, DEV_KEYS.anonKey, opts);
      const calls: Record<string, () => Promise<{ error: { status?: number; code?: string } | null }>> = {
        verify: () => anon.auth.verifyOtp({ email: 'victim@example.test', token: '123456', type: 'email' }),
        recover: () => anon.auth.resetPasswordForEmail(uniqueEmail('limit')),
        resend: () => anon.auth.resend({ type: 'signup', email: uniqueEmail('limit') }),
        signup: () => anon.auth.signUp({ email: uniqueEmail('limit'), password: 'secret123' }),
      };
      for (const [route, call] of Object.entries(calls)) {
        const answers = await Promise.all(Array.from({ length: 31 }, () => call()));
        const refused = answers.filter((answer) => answer.error?.status === 429);
        expect([route, refused.length]).toEqual([route, 1]);
        expect(refused[0].error?.code).toBe('over_request_rate_limit');
      }
      // Another end user's address (Sb-Forwarded-For, as the API sends it) has buckets of its own.
      const other = createClient(limited.url, DEV_KEYS.anonKey, { ...opts, global: { headers: { 'Sb-Forwarded-For': '203.0.113.9' } } });
      expect((await other.auth.verifyOtp({ email: 'victim@example.test', token: '123456', type: 'email' })).error?.status).toBe(403);
    } finally {
      await limited.close();
    }
  });
});

function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('auth stand-in: the email rate limit (GOTRUE_RATE_LIMIT_EMAIL_SENT)', () => {
  it('refuses past the hourly budget across users with 429 over_email_send_rate_limit', async () => {
    const limited = await startAuthServer({ quiet: true, rateLimitEmailSent: 2 });
    try {
      const signUp = (email: string) => createClient(limited.url, DEV_KEYS.anonKey, opts).auth.signUp({ email, password: 'secret123' });
      expect((await signUp(uniqueEmail('one'))).error).toBeNull();
      expect((await signUp(uniqueEmail('two'))).error).toBeNull();
      const third = await signUp(uniqueEmail('three'));
      expect([third.error?.status, third.error?.code]).toEqual([429, 'over_email_send_rate_limit']);
      expect(limited.admin.userCount()).toBe(2);
    } finally {
      await limited.close();
    }
  });
});
