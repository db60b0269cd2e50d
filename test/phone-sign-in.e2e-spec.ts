// Phone sign-in through the API: a code sent by SMS (the stand-in's mailbox) signs a phone user
// in on one device, then on a second; both are the same user with two devices, the first keeps
// working, and revoking one leaves the other signed in. Codes are limited per number and address.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomInt } from 'node:crypto';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let supabase: LocalSupabase;
let stack: TestStack;

beforeAll(async () => {
  supabase = await startLocalSupabase();
  stack = await startTestStack({
    // Phone confirmation on, as a Supabase project with SMS sign-in; no wait between two codes to one number.
    auth: { databaseUrl: supabase.url, smsAutoconfirm: false, smsMaxFrequencySeconds: 0, rateLimitSmsSent: 0 },
    // Each test says which address it calls from (X-Forwarded-For, one proxy hop), so their per-address budgets are apart.
    env: { TRUST_PROXY: '1', RATE_LIMIT_OTP_PER_PHONE: '4', RATE_LIMIT_OTP_PER_IP: '6', RATE_LIMIT_AUTH_PER_IP: '0' },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await supabase?.close();
});

/** A German mobile number nobody has used in this run (libphonenumber knows which ranges are real). */
const newPhone = () => `+49 151 ${randomInt(10_000_000, 100_000_000)}`;
const newAddress = () => `203.0.113.${randomInt(1, 255)}`;

async function sendCode(phone: string, ip: string): Promise<{ status: number; code?: string }> {
  const answer = await stack.request('POST', '/auth/otp', { body: { phone }, headers: { 'x-forwarded-for': ip } });
  return { status: answer.status, code: answer.body?.code };
}

/** The newest code the stand-in "texted" to this number. */
function codeFor(phone: string): string {
  const [message] = stack.auth.mailbox.list(phone);
  expect(message?.kind).toBe('sms');
  return message.code;
}

async function signIn(phone: string, deviceName: string, ip = newAddress()) {
  expect((await sendCode(phone, ip)).status).toBe(202);
  const verified = await stack.request('POST', '/auth/otp/verify', {
    body: { phone, code: codeFor(phone), deviceName },
    headers: { 'x-forwarded-for': ip, 'user-agent': `${deviceName} agent` },
  });
  expect(verified.status).toBe(200);
  return verified.body as {
    session: { accessToken: string; refreshToken: string };
    user: { id: string; phone: string; phoneConfirmedAt: string | null };
    device: { id: string; name: string; current: boolean; ip: string };
  };
}

describe('POST /auth/otp and /auth/otp/verify', () => {
  it('signs one phone user in on two devices, goes back to the first, and revoking one leaves the other signed in', async () => {
    const phone = newPhone();
    const first = await signIn(phone, 'Phone');
    expect(first.user.phone).toBe(phone.replace(/ /g, ''));
    expect(first.user.phoneConfirmedAt).not.toBeNull();
    expect(first.device).toMatchObject({ name: 'Phone', current: true });
    const second = await signIn(phone, 'Tablet');
    expect(second.user.id).toBe(first.user.id);
    expect(second.device.id).not.toBe(first.device.id);

    const listed = await stack.request('GET', '/users/me/devices', { token: first.session.accessToken });
    expect(listed.body.items.map((item: { name: string; current: boolean }) => [item.name, item.current]).sort()).toEqual([
      ['Phone', true],
      ['Tablet', false],
    ]);
    // Back on the first device: its token and its refresh token still work.
    expect((await stack.request('GET', '/users/me', { token: first.session.accessToken })).status).toBe(200);
    const refreshed = await stack.request('POST', '/auth/refresh', { body: { refreshToken: first.session.refreshToken } });
    expect(refreshed.status).toBe(200);

    expect(
      (await stack.request('DELETE', `/users/me/devices/${second.device.id}`, { token: refreshed.body.session.accessToken })).status,
    ).toBe(204);
    expect((await stack.request('GET', '/users/me', { token: second.session.accessToken })).body.code).toBe('session_revoked');
    expect((await stack.request('GET', '/users/me', { token: refreshed.body.session.accessToken })).status).toBe(200);
  });

  it('answers a wrong or used code 401 invalid_otp, and bad input 400', async () => {
    const phone = newPhone();
    const ip = newAddress();
    const headers = { 'x-forwarded-for': ip };
    expect((await sendCode(phone, ip)).status).toBe(202);
    const code = codeFor(phone);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const refused = await stack.request('POST', '/auth/otp/verify', { body: { phone, code: wrong }, headers });
    expect([refused.status, refused.body.code]).toEqual([401, 'invalid_otp']);
    expect((await stack.request('POST', '/auth/otp/verify', { body: { phone, code }, headers })).status).toBe(200);
    expect((await stack.request('POST', '/auth/otp/verify', { body: { phone, code }, headers })).body.code).toBe('invalid_otp');
    for (const body of [{ phone: 'not a number' }, { phone: 12 }, {}]) {
      expect((await stack.request('POST', '/auth/otp', { body, headers })).body.code).toBe('validation_failed');
    }
    for (const body of [
      { phone, code: '12ab56' },
      { phone, code: '123456', deviceName: '   ' },
      { phone, code: '123456', deviceName: 'x'.repeat(101) },
    ]) {
      expect((await stack.request('POST', '/auth/otp/verify', { body, headers })).body.code).toBe('validation_failed');
    }
  });

  it('limits codes per number, whatever its spelling, and per address', async () => {
    const phone = newPhone();
    const digits = phone.replace(/[ +]/g, '');
    const spellings = [phone, `+${digits}`, `00${digits}`, phone.replace(/ /g, '-'), phone];
    const answers = [];
    for (const spelling of spellings) answers.push(await sendCode(spelling, newAddress()));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 429]);

    const ip = newAddress();
    const fromOneAddress = [];
    for (let i = 0; i < 7; i++) fromOneAddress.push((await sendCode(newPhone(), ip)).status);
    expect(fromOneAddress).toEqual([202, 202, 202, 202, 202, 202, 429]);
  });
});
