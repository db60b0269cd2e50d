// What GoTrue does by SMS: a one-time code for a phone signup or sign-in (sendPhoneConfirmation),
// and POST /verify with type sms (verifyUserAndToken, smsVerify). The "SMS" lands in the local
// mailbox. Sources: supabase/auth internal/api/phone.go, otp.go, verify.go, internal/models/user.go,
// internal/ratelimit/interval.go, internal/conf/configuration.go.
import { createHash, randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isBanned, requestAud } from './auth-checks.js';
import { ApiError, validationFailed } from './errors.js';
import { getString, send, validateEmail, validatePhone, type Ctx, type Json } from './http.js';
import type { Mailbox } from './mailbox.js';
import type { StoredUser } from './rows.js';
import type { Store } from './store.js';

export interface PhoneFlowOptions {
  store: Store;
  mailbox: Mailbox;
  /** GOTRUE_SMS_MAX_FREQUENCY: one code per user in this many milliseconds. */
  maxFrequencyMs: number;
  /** GOTRUE_SMS_OTP_EXP: how long a code works, in seconds. */
  otpExpSeconds: number;
  /** GOTRUE_RATE_LIMIT_SMS_SENT: codes an hour across all users; 0 = no limit. */
  smsPerHour: number;
  /** GOTRUE_SMS_AUTOCONFIRM: signups need no code, and codes are not counted against the hourly limit. */
  autoconfirm: boolean;
  /** Signs the user in (a session and its token response, as JSON text). */
  signIn: (user: StoredUser, method: string, req: IncomingMessage) => string;
}

/** GOTRUE_SMS_OTP_LENGTH's default (6; GoTrue accepts 6 to 10). */
const OTP_LENGTH = 6;

/** crypto.GenerateTokenHash: hex(SHA-224(phone + otp)), the phone without its '+'. */
export function smsTokenHash(phone: string, otp: string): string {
  return createHash('sha224')
    .update(phone + otp)
    .digest('hex');
}

export function phoneFlows(options: PhoneFlowOptions) {
  const { store, mailbox } = options;
  // ratelimit.IntervalLimiter: a count reset at each whole hour since start, not a sliding window.
  const window = { start: Date.now(), count: 0 };

  function takeSmsBudget(): void {
    if (options.autoconfirm || options.smsPerHour <= 0) return;
    const hours = Math.floor((Date.now() - window.start) / 3_600_000);
    if (hours > 0) Object.assign(window, { start: window.start + hours * 3_600_000, count: 0 });
    if (window.count >= options.smsPerHour) throw new ApiError(429, 'over_sms_send_rate_limit', 'SMS rate limit exceeded');
    window.count += 1;
  }

  /**
   * sendPhoneConfirmation's checks before a code goes out: the user's last code at least the
   * maximum frequency ago (the seconds left truncated, as Go's Duration / time.Second), then the
   * hourly budget. Throws 429 over_sms_send_rate_limit.
   */
  function reserve(user: StoredUser | null): void {
    const sentAt = user?.confirmation_sent_at ? Date.parse(user.confirmation_sent_at) : null;
    if (sentAt !== null && sentAt + options.maxFrequencyMs >= Date.now()) {
      const left = Math.trunc((sentAt + options.maxFrequencyMs - Date.now()) / 1000);
      throw new ApiError(429, 'over_sms_send_rate_limit', `For security purposes, you can only request this after ${left} seconds.`);
    }
    takeSmsBudget();
  }

  /** crypto.GenerateOtp, and the SMS GoTrue's provider would send: to the phone as stored, without '+'. */
  function newCode(phone: string): { hash: string; deliver: () => void } {
    const code = String(randomInt(0, 10 ** OTP_LENGTH)).padStart(OTP_LENGTH, '0');
    return { hash: smsTokenHash(phone, code), deliver: () => mailbox.deliver(phone, 'sms', '', code) };
  }

  /**
   * smsVerify: User.ConfirmPhone (one UPDATE: the token cleared, phone_confirmed_at set to now even
   * when it was set before; identity_data's phone_verified is left as it was), then
   * UpdateAppMetaDataProviders (one UPDATE, written even when nothing changes).
   */
  function confirmPhoneBySms(user: StoredUser): void {
    store.updateUser(user, (u) => {
      u.confirmation_token = '';
      u.phone_confirmed_at = store.clock.now();
    });
    store.updateUser(user, (u) => {
      const providers = [...new Set(store.identitiesOf(u.id).map((identity) => identity.provider))];
      u.raw_app_meta_data.providers = providers;
      if (providers.length > 0) u.raw_app_meta_data.provider = providers[0];
    });
  }

  return {
    reserve,
    newCode,

    /**
     * sendPhoneConfirmation with phoneConfirmationOtp, for a user that exists: a new code replaces
     * the last (one UPDATE of confirmation_token and confirmation_sent_at), whether or not the
     * phone is confirmed yet.
     */
    sendCode(user: StoredUser): void {
      reserve(user);
      const phone = user.phone ?? '';
      const { hash, deliver } = newCode(phone);
      store.updateUser(user, (u) => {
        u.confirmation_token = hash;
        u.confirmation_sent_at = store.clock.now();
      });
      deliver();
    },

    /** POST /verify with type sms or phone_change: VerifyParams.Validate, verifyUserAndToken, smsVerify, a session. */
    async verify(ctx: Ctx, body: Json): Promise<void> {
      const type = getString(body, 'type');
      const token = getString(body, 'token');
      const tokenHash = getString(body, 'token_hash');
      const email = getString(body, 'email');
      let phone = getString(body, 'phone');
      if ((token === '' && tokenHash === '') || (token !== '' && tokenHash !== '')) {
        throw validationFailed('Verify requires either a token or a token hash');
      }
      if (tokenHash !== '') {
        if (email || phone || getString(body, 'redirect_to')) throw validationFailed('Only the token_hash and type should be provided');
        throw validationFailed('Invalid email verification type'); // verifyTokenHash knows email types only
      }
      if (phone && !email) phone = validatePhone(phone);
      else if (email && !phone) {
        try {
          validateEmail(email);
        } catch {
          throw new ApiError(422, 'validation_failed', 'Invalid email format');
        }
        phone = ''; // verifyUserAndToken then looks the phone '' up, and finds no one
      } else throw validationFailed('Only an email address or phone number should be provided on verify');
      const invalid = new ApiError(403, 'otp_expired', 'Token has expired or is invalid');
      // The stand-in sends no phone_change codes (PUT /user changes no phone by SMS): none is valid.
      const user = type === 'sms' && phone ? await store.userByPhone(requestAud(ctx.req), phone) : undefined;
      if (!user) throw invalid;
      if (isBanned(user)) throw new ApiError(403, 'user_banned', 'User is banned');
      // isOtpValid: a code, not expired (sentAt + OTP_EXP not past), equal to the stored hash.
      const sentAt = user.confirmation_sent_at ? Date.parse(user.confirmation_sent_at) : null;
      const expected = user.confirmation_token ?? '';
      const hash = smsTokenHash(phone, token);
      if (!expected || sentAt === null || Date.now() > sentAt + options.otpExpSeconds * 1000) throw invalid;
      if (hash !== expected && `pkce_${hash}` !== expected) throw invalid;
      confirmPhoneBySms(user);
      send(ctx.res, 200, options.signIn(user, 'otp', ctx.req));
    },
  };
}

export type PhoneFlows = ReturnType<typeof phoneFlows>;
