// Phone sign-in with one-time codes as GoTrue does it (internal/api/otp.go, phone.go, verify.go),
// through supabase-js: signInWithOtp texts a code to the local mailbox, verifyOtp signs in. Run
// twice: in memory, and on the local Supabase database (its auth schema as the store of record).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { decodeJwt } from 'jose';
import { createHash, randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalSupabase, type LocalSupabase } from '../../test/support/local-supabase.js';
import type { MailMessage } from './mailbox.js';
import { DEV_KEYS, startAuthServer, type AuthServer, type DatabaseWebhookBody } from './server.js';

const opts = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };
// Long enough that a slow machine still asks again within it (the refusal below), one digit for its message.
const MAX_FREQUENCY_SECONDS = 5;
const OTP_EXP_SECONDS = 30;
const newPhone = () => `+1 555 ${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
const stored = (phone: string) => phone.replace(/[+ ]/g, '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Database Webhook receiver: every body the stand-in delivers. */
async function startReceiver(): Promise<{ url: string; bodies: DatabaseWebhookBody[]; server: Server }> {
  const bodies: DatabaseWebhookBody[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(raw) as DatabaseWebhookBody);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, server };
}

describe.each([
  ['in memory', false],
  ['on the local Supabase database', true],
])('auth stand-in: phone sign-in with one-time codes (%s)', (_mode, withDatabase) => {
  let supabase: LocalSupabase | undefined;
  let server: AuthServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    supabase = withDatabase ? await startLocalSupabase({ pull: true }) : undefined;
    server = await startAuthServer({
      quiet: true,
      rateLimitTokenRefresh: 0,
      smsMaxFrequencySeconds: MAX_FREQUENCY_SECONDS,
      smsOtpExpSeconds: OTP_EXP_SECONDS,
      databaseUrl: supabase?.url,
      deliveries: { url: receiver.url, form: 'database' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await supabase?.close();
    receiver?.server.close();
  });

  /** A client on a device of its own: its User-Agent is what the session records. */
  const device = (name: string): SupabaseClient =>
    createClient(server.url, DEV_KEYS.anonKey, { ...opts, global: { headers: { 'User-Agent': name } } });
  /** The newest SMS to `phone`, as a developer reads it: GET /mailbox/messages?to=<phone, '+' or not>. */
  const lastSms = async (phone: string): Promise<MailMessage> => {
    const answer = await fetch(`${server.url}/mailbox/messages?to=${encodeURIComponent(phone)}`);
    return ((await answer.json()) as { messages: MailMessage[] }).messages[0];
  };
  const sql = async (text: string, params: unknown[]) => (await supabase!.auth.query(text, params)).rows as Record<string, any>[];

  it('texts a code to the mailbox; verifyOtp signs in with a JWT carrying the phone, its session and amr otp', async () => {
    const phone = newPhone();
    const sent = await device('device-a').auth.signInWithOtp({ phone });
    expect(sent).toEqual({ data: { user: null, session: null, messageId: undefined }, error: null });
    const sms = await lastSms(phone);
    expect(sms).toMatchObject({ to: stored(phone), kind: 'sms', link: '', code: expect.stringMatching(/^\d{6}$/) });
    expect(sms.subject).toBe(`Your code is ${sms.code}`);
    expect(server.mailbox.list(stored(phone))).toEqual([sms]);

    const { data, error } = await device('device-a').auth.verifyOtp({ phone, token: sms.code, type: 'sms' });
    expect(error).toBeNull();
    const claims = decodeJwt(data.session!.access_token);
    expect(claims).toMatchObject({ sub: data.user!.id, phone: stored(phone), email: '', role: 'authenticated', aal: 'aal1' });
    expect(claims.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.amr).toEqual([{ method: 'otp', timestamp: expect.any(Number) }]);
    expect(data.user).toMatchObject({ phone: stored(phone), app_metadata: { provider: 'phone', providers: ['phone'] } });
    expect(data.user!.phone_confirmed_at).toBeTruthy();
    expect(data.user!.last_sign_in_at).toBeTruthy();
    expect(data.user!.identities?.map((identity) => identity.provider)).toEqual(['phone']);
    // One use: the code is gone.
    const again = await device('device-a').auth.verifyOtp({ phone, token: sms.code, type: 'sms' });
    expect([again.error?.status, again.error?.code, again.error?.message]).toEqual([403, 'otp_expired', 'Token has expired or is invalid']);
  });

  it('signs the same user in again from another device, after the maximum frequency: a second session of its own', async () => {
    const phone = newPhone();
    const first = device('device-a');
    await first.auth.signInWithOtp({ phone });
    const one = await first.auth.verifyOtp({ phone, token: (await lastSms(phone)).code, type: 'sms' });
    const refused = await device('device-b').auth.signInWithOtp({ phone });
    expect([refused.error?.status, refused.error?.code]).toEqual([429, 'over_sms_send_rate_limit']);
    expect(refused.error?.message).toMatch(/^For security purposes, you can only request this after [0-9] seconds\.$/);
    await sleep(MAX_FREQUENCY_SECONDS * 1000 + 100);
    const second = device('device-b');
    expect((await second.auth.signInWithOtp({ phone })).error).toBeNull();
    const two = await second.auth.verifyOtp({ phone, token: (await lastSms(phone)).code, type: 'sms' });
    expect(two.error).toBeNull();
    expect(two.data.user!.id).toBe(one.data.user!.id);
    const [a, b] = [decodeJwt(one.data.session!.access_token), decodeJwt(two.data.session!.access_token)];
    expect(b.session_id).not.toBe(a.session_id);
    // ConfirmPhone writes phone_confirmed_at at every verification, not only the first.
    expect(Date.parse(two.data.user!.phone_confirmed_at!)).toBeGreaterThan(Date.parse(one.data.user!.phone_confirmed_at!));
    // Both sessions live.
    for (const session of [one.data.session!, two.data.session!]) {
      expect((await device('any').auth.getUser(session.access_token)).data.user?.id).toBe(one.data.user!.id);
    }
    if (!supabase) return;
    const sessions = await sql('SELECT id::text, user_agent, host(ip) AS ip FROM auth.sessions WHERE user_id = $1 ORDER BY created_at', [
      one.data.user!.id,
    ]);
    expect(sessions).toEqual([
      { id: a.session_id, user_agent: 'device-a', ip: '127.0.0.1' },
      { id: b.session_id, user_agent: 'device-b', ip: '127.0.0.1' },
    ]);
    // A refresh records the client again (RefreshTokenGrant, UpdateOnlyRefreshInfo).
    expect((await device('device-a/2').auth.refreshSession({ refresh_token: one.data.session!.refresh_token })).error).toBeNull();
    expect(await sql('SELECT user_agent FROM auth.sessions WHERE id = $1', [a.session_id])).toEqual([{ user_agent: 'device-a/2' }]);
  });

  it('answers 403 otp_expired for a wrong code and an expired one, and 403 user_banned for a banned user', async () => {
    const phone = newPhone();
    await device('device-a').auth.signInWithOtp({ phone });
    const { code } = await lastSms(phone);
    const wrong = await device('device-a').auth.verifyOtp({ phone, token: code === '000000' ? '000001' : '000000', type: 'sms' });
    expect([wrong.error?.status, wrong.error?.code]).toEqual([403, 'otp_expired']);
    // Move the code's time back past GOTRUE_SMS_OTP_EXP, as time would.
    server.admin.updateUserRaw((await userIdOf(phone))!, {
      confirmation_sent_at: new Date(Date.now() - (OTP_EXP_SECONDS + 1) * 1000).toISOString(),
    });
    const expired = await device('device-a').auth.verifyOtp({ phone, token: code, type: 'sms' });
    expect([expired.error?.status, expired.error?.code]).toEqual([403, 'otp_expired']);
    // Within the expiry the same code works: its age was the only fault (and the wrong code spent nothing).
    server.admin.updateUserRaw((await userIdOf(phone))!, { confirmation_sent_at: new Date(Date.now() - 1000).toISOString() });
    expect((await device('device-a').auth.verifyOtp({ phone, token: code, type: 'sms' })).error).toBeNull();

    const admin = createClient(server.url, DEV_KEYS.serviceRoleKey, opts);
    const bannedPhone = newPhone();
    await device('device-a').auth.signInWithOtp({ phone: bannedPhone });
    expect((await admin.auth.admin.updateUserById((await userIdOf(bannedPhone))!, { ban_duration: '1h' })).error).toBeNull();
    const banned = await device('device-a').auth.verifyOtp({ phone: bannedPhone, token: (await lastSms(bannedPhone)).code, type: 'sms' });
    expect([banned.error?.status, banned.error?.code]).toEqual([403, 'user_banned']);
  });

  it('refuses a signup with create_user false (422 otp_disabled) and invalid phones (400, or 422 when create_user is false)', async () => {
    const unknown = await device('device-a').auth.signInWithOtp({ phone: newPhone(), options: { shouldCreateUser: false } });
    expect([unknown.error?.status, unknown.error?.code, unknown.error?.message]).toEqual([
      422,
      'otp_disabled',
      'Signups not allowed for otp',
    ]);
    const invalid = await device('device-a').auth.signInWithOtp({ phone: '+0123' });
    expect([invalid.error?.status, invalid.error?.code, invalid.error?.message]).toEqual([
      400,
      'validation_failed',
      'Invalid phone number format (E.164 required)',
    ]);
    // shouldCreateUser drops the validation error: an invalid phone is an unknown one.
    const both = await device('device-a').auth.signInWithOtp({ phone: '+0123', options: { shouldCreateUser: false } });
    expect([both.error?.status, both.error?.code]).toEqual([422, 'otp_disabled']);
    // A known phone signs in with create_user false.
    const phone = newPhone();
    await device('device-a').auth.signInWithOtp({ phone });
    await device('device-a').auth.verifyOtp({ phone, token: (await lastSms(phone)).code, type: 'sms' });
    await sleep(MAX_FREQUENCY_SECONDS * 1000 + 100);
    expect((await device('device-a').auth.signInWithOtp({ phone, options: { shouldCreateUser: false } })).error).toBeNull();
  });

  it('writes the new user, its code and its confirmation as GoTrue does, and announces each write', async () => {
    const phone = newPhone();
    await device('device-a').auth.signInWithOtp({ phone, options: { data: { plan: 'free' } } });
    const { code } = await lastSms(phone);
    const id = (await userIdOf(phone))!;
    const hash = createHash('sha224')
      .update(stored(phone) + code)
      .digest('hex');
    await device('device-a').auth.verifyOtp({ phone, token: code, type: 'sms' });
    await server.deliveries.idle();
    // A Database Webhook on auth.users: the INSERT carries the code's hash, the verification is three UPDATEs.
    const bodies = receiver.bodies.filter((body) => (body.record ?? body.old_record)!.id === id);
    expect(bodies.map((body) => body.type)).toEqual(['INSERT', 'UPDATE', 'UPDATE', 'UPDATE']);
    expect(bodies[0].record).toMatchObject({ phone: stored(phone), confirmation_token: hash, phone_confirmed_at: null });
    expect(bodies[0].record!.raw_user_meta_data).toEqual({ plan: 'free' });
    expect(bodies[1].record).toMatchObject({ confirmation_token: '', phone_confirmed_at: expect.any(String) });
    expect(bodies[3].record!.last_sign_in_at).toEqual(expect.any(String));
    if (!supabase) return;
    const [row] = await sql(
      `SELECT phone, confirmation_token, confirmation_sent_at IS NOT NULL AS sent, phone_confirmed_at IS NOT NULL AS confirmed,
         encrypted_password IS NOT NULL AS has_password, raw_app_meta_data FROM auth.users WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({
      phone: stored(phone),
      confirmation_token: '',
      sent: true,
      confirmed: true,
      has_password: true,
      raw_app_meta_data: { provider: 'phone', providers: ['phone'] },
    });
    const identities = await sql('SELECT provider, identity_data FROM auth.identities WHERE user_id = $1', [id]);
    expect(identities).toEqual([{ provider: 'phone', identity_data: expect.anything() }]);
    // smsVerify leaves phone_verified as Signup wrote it.
    expect(identities[0].identity_data).toMatchObject({ sub: id, email_verified: false, phone_verified: false, plan: 'free' });
    // The pull intake's outbox: one change per committed request (the signup, the verification).
    const changes = await sql('SELECT event_type, user_object FROM authmirror.user_changes WHERE user_id = $1 ORDER BY id', [id]);
    expect(changes.map((change) => change.event_type)).toEqual(['user.created', 'user.updated']);
    expect(changes[1].user_object).toMatchObject({ phone: stored(phone), phone_confirmed_at: expect.any(String) });
  });

  /** The user a phone belongs to, through the admin API (GET /admin/users pages through them all). */
  async function userIdOf(phone: string): Promise<string | undefined> {
    const admin = createClient(server.url, DEV_KEYS.serviceRoleKey, opts);
    const { data } = await admin.auth.admin.listUsers({ perPage: 1000 });
    return data.users.find((user) => user.phone === stored(phone))?.id;
  }
});

describe("auth stand-in: GoTrue's limits on SMS (internal/api/apilimiter/apilimiter.go, internal/api/phone.go)", () => {
  it('limits POST /otp per address (GOTRUE_RATE_LIMIT_OTP) and SMS codes an hour across users (GOTRUE_RATE_LIMIT_SMS_SENT)', async () => {
    const limited = await startAuthServer({ quiet: true, rateLimitSmsSent: 2, sbForwardedFor: true });
    try {
      const anon = createClient(limited.url, DEV_KEYS.anonKey, opts);
      // Unknown phones with create_user false send nothing: only the per-address bucket (30) counts them.
      const answers = await Promise.all(
        Array.from({ length: 31 }, () => anon.auth.signInWithOtp({ phone: newPhone(), options: { shouldCreateUser: false } })),
      );
      const refused = answers.filter((answer) => answer.error?.status === 429);
      expect(refused.map((answer) => answer.error?.code)).toEqual(['over_request_rate_limit']);

      // Another end user's address (Sb-Forwarded-For, as the API sends it) has a bucket of its own.
      const other = createClient(limited.url, DEV_KEYS.anonKey, { ...opts, global: { headers: { 'Sb-Forwarded-For': '203.0.113.9' } } });
      const signIn = () => other.auth.signInWithOtp({ phone: newPhone() });
      await other.auth.signUp({ phone: newPhone(), password: 'secret123' }); // a phone signup texts a code too
      expect((await signIn()).error).toBeNull();
      const third = await signIn();
      expect([third.error?.status, third.error?.code, third.error?.message]).toEqual([
        429,
        'over_sms_send_rate_limit',
        'SMS rate limit exceeded',
      ]);
      // Over the limit, no user is made (GoTrue sends inside the signup's transaction).
      expect(limited.admin.userCount()).toBe(2);
    } finally {
      await limited.close();
    }
  });
});

describe('auth stand-in: phone confirmations off (GOTRUE_SMS_AUTOCONFIRM)', () => {
  it('confirms a new phone at signup, yet still texts a code that signs in, uncounted by the hourly limit', async () => {
    const auto = await startAuthServer({ quiet: true, smsAutoconfirm: true, rateLimitSmsSent: 1 });
    try {
      const anon = createClient(auto.url, DEV_KEYS.anonKey, opts);
      for (const phone of [newPhone(), newPhone()]) {
        expect((await anon.auth.signInWithOtp({ phone })).error).toBeNull();
        const listed = await createClient(auto.url, DEV_KEYS.serviceRoleKey, opts).auth.admin.listUsers();
        const signedUp = listed.data.users.find((user) => user.phone === stored(phone))!;
        expect(signedUp.phone_confirmed_at).toBeTruthy(); // before any code was verified
        const [sms] = auto.mailbox.list(phone);
        const verified = await anon.auth.verifyOtp({ phone, token: sms.code, type: 'sms' });
        expect(verified.data.user?.id).toBe(signedUp.id);
      }
      expect(
        (await (await fetch(`${auto.url}/auth/v1/settings`, { headers: { apikey: DEV_KEYS.anonKey } })).json()) as object,
      ).toMatchObject({
        mailer_autoconfirm: false,
        phone_autoconfirm: true,
      });
    } finally {
      await auto.close();
    }
  });
});
