// POST /otp (internal/api/otp.go Otp and SmsOtp): a one-time code by SMS, what supabase-js's
// signInWithOtp({ phone }) asks for. An unknown or unconfirmed phone goes through GoTrue's Signup
// (signups.ts) with a random password; a confirmed one gets a new code (phone-flows.ts).
import { randomBytes } from 'node:crypto';
import { signIn } from '../access-tokens.js';
import { requestAud } from '../auth-checks.js';
import { ApiError, validationFailed } from '../errors.js';
import { getBool, getObject, getString, readJson, send, validateEmail, validatePhone, type Ctx, type Json, type Routes } from '../http.js';
import { signUpNewUser, signUpUnconfirmedPhone } from '../signups.js';
import type { AuthState } from '../state.js';

/** internal/api/errors.go: the stand-in answers as a project whose SMS provider is Twilio, which also sends by WhatsApp. */
const INVALID_CHANNEL =
  "Invalid channel, supported values are 'sms' or 'whatsapp'. 'whatsapp' is only supported if Twilio or Twilio Verify is used as the provider.";

export function otpRoutes(s: AuthState): Routes {
  return {
    '/otp': {
      POST: (ctx) => {
        s.limits.otp.take(ctx.req); // GOTRUE_RATE_LIMIT_OTP, per address, before the body is read (internal/api/api.go)
        return handleOtp(s, ctx);
      },
    },
  };
}

async function handleOtp(s: AuthState, ctx: Ctx): Promise<void> {
  const body = await readJson(ctx);
  const email = getString(body, 'email');
  const phone = getString(body, 'phone');
  const channel = getString(body, 'channel');
  const data = getObject(body, 'data') ?? {};
  // OtpParams.CreateUser defaults to true; a JSON null leaves it so.
  const createUser = body.create_user === undefined || body.create_user === null ? true : getBool(body, 'create_user');
  const challenge = getString(body, 'code_challenge');
  if (email && phone) throw validationFailed('Only an email address or phone number should be provided');
  if (email && channel) throw validationFailed('Channel should only be specified with Phone OTP');
  if ((challenge === '') !== (getString(body, 'code_challenge_method') === '')) {
    throw validationFailed('PKCE flow requires code_challenge_method and code_challenge');
  }
  const aud = requestAud(ctx.req);
  if (!createUser && !(await isKnown(s, aud, email, phone))) throw new ApiError(422, 'otp_disabled', 'Signups not allowed for otp');
  if (email) throw new ApiError(404, 'not_found', 'The local stand-in sends no magic links: POST /otp takes a phone only');
  if (!phone) throw validationFailed('One of email or phone must be set');
  await smsOtp(s, ctx, aud, validatePhone(phone), channel || 'sms', data);
}

/**
 * shouldCreateUser: with create_user false, an address that does not validate counts as unknown
 * (its error is dropped: 422, not 400).
 */
async function isKnown(s: AuthState, aud: string, email: string, phone: string): Promise<boolean> {
  try {
    if (email) return !!(await s.store.userByEmail(aud, validateEmail(email)));
    if (phone) return !!(await s.store.userByPhone(aud, validatePhone(phone)));
  } catch (error) {
    if (error instanceof ApiError) return false;
    throw error;
  }
  return true;
}

/** SmsOtp: 200 {} for a new and a known phone alike (message_id is omitted when the provider gives none). */
async function smsOtp(s: AuthState, ctx: Ctx, aud: string, phone: string, channel: string, data: Json): Promise<void> {
  if (channel !== 'sms' && channel !== 'whatsapp') throw validationFailed(INVALID_CHANNEL);
  let user = await s.store.userByPhone(aud, phone);
  if (!user || !user.phone_confirmed_at) {
    // Signup with a temporary password (password.Generate(64, …)), answered into a stub GoTrue discards.
    if (user) signUpUnconfirmedPhone(s, user);
    else user = await signUpNewUser(s, { aud, email: '', phone, password: randomBytes(48).toString('base64'), data, redirectTo: null });
    // Signup signs in whoever it leaves confirmed: a session no client ever sees.
    if (user.email_confirmed_at || user.phone_confirmed_at) signIn(s, user, 'password', ctx.req);
    // With SMS autoconfirm, SmsOtp runs again for the now confirmed phone: the code is sent there.
    if (s.smsAutoconfirm) s.phoneFlow.sendCode(user);
  } else {
    s.phoneFlow.sendCode(user);
  }
  send(ctx.res, 200, '{}');
}
