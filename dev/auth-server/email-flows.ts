// What GoTrue does by email: signup confirmation (on /signup and /resend), password recovery
// (/recover), and following the link (/verify, GET for a browser, POST for verifyOtp). The
// "emails" land in the local mailbox. Sources: supabase/auth internal/api/recover.go,
// resend.go, verify.go, mail.go, internal/mailer/templatemailer/templatemailer.go.
import { createHash, randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError, validationFailed } from './errors.js';
import { getString, queryParams, readJson, send, validateEmail, type Ctx, type Json } from './http.js';
import type { Mailbox, MailKind } from './mailbox.js';
import type { StoredUser } from './rows.js';
import type { Store } from './store.js';

export interface EmailFlowOptions {
  store: Store;
  mailbox: Mailbox;
  /** GoTrue's API_EXTERNAL_URL: where the links point (`…/auth/v1`). */
  externalUrl: () => string;
  /** GOTRUE_SITE_URL: where a link leads when its redirect_to is not allowed. */
  siteUrl: string;
  /** GOTRUE_RATE_LIMIT_EMAIL_SENT: emails an hour, across all users; 0 = no limit. */
  emailsPerHour: number;
  /** Signs the user in (a session and its token response, as JSON text). */
  signIn: (user: StoredUser, method: string, req: IncomingMessage) => string;
  /** Marks the user's email confirmed (GoTrue's User.Confirm). */
  confirmEmail: (user: StoredUser) => void;
}

/** GOTRUE_SMTP_MAX_FREQUENCY: one email of a kind per user a minute (internal/api/mail.go). */
const MAX_FREQUENCY_MS = 60_000;
/** GOTRUE_MAILER_OTP_EXP: how long a link or code works. */
const OTP_EXPIRY_MS = 24 * 60 * 60_000;

interface OneTimeToken {
  userId: string;
  kind: MailKind;
  email: string;
  code: string;
  sentAt: number;
}

/**
 * The redirect_to GoTrue would take: the site URL unless the link's is allowed (any local origin
 * here). Go's url.Parse refuses control characters (so does GoTrue's isRedirectURLValid, which
 * then takes the site URL); a URL with other characters outside ASCII is sent percent-encoded,
 * as a Location header must be.
 */
function allowedRedirect(raw: string | null, siteUrl: string): string {
  // eslint-disable-next-line no-control-regex -- the control characters are what Go refuses
  if (!raw || /[\x00-\x1f\x7f]/.test(raw)) return siteUrl;
  try {
    const url = new URL(raw);
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    if ((url.protocol === 'http:' || url.protocol === 'https:') && (local || url.origin === new URL(siteUrl).origin)) {
      return /^[\x21-\x7e]*$/.test(raw) ? raw : url.href;
    }
  } catch {
    // not a URL: the site URL instead
  }
  return siteUrl;
}

export function emailFlows(options: EmailFlowOptions) {
  const { store, mailbox } = options;
  const tokens = new Map<string, OneTimeToken>(); // token hash -> token
  const latest = new Map<string, string>(); // userId:kind -> token hash (a new email replaces the old link)
  let bucket = { tokens: options.emailsPerHour, at: Date.now() };

  function takeGlobalEmail(): void {
    if (options.emailsPerHour <= 0) return;
    const now = Date.now();
    bucket = { tokens: Math.min(options.emailsPerHour, bucket.tokens + ((now - bucket.at) * options.emailsPerHour) / 3_600_000), at: now };
    if (bucket.tokens < 1) throw new ApiError(429, 'over_email_send_rate_limit', 'Email rate limit exceeded');
    bucket.tokens -= 1;
  }

  /** GoTrue's sendConfirmation / sendPasswordRecovery: frequency limits, a new token, the email. */
  function sendEmail(user: StoredUser, kind: MailKind, redirectTo: string | null, atSignup = false): void {
    const email = user.email ?? '';
    const sentAt = kind === 'signup' ? user.confirmation_sent_at : user.recovery_sent_at;
    const since = sentAt ? Date.now() - Date.parse(sentAt) : Infinity;
    if (!atSignup && since < MAX_FREQUENCY_MS) {
      const wait = Math.ceil((MAX_FREQUENCY_MS - since) / 1000);
      throw new ApiError(429, 'over_email_send_rate_limit', `For security purposes, you can only request this after ${wait} seconds.`);
    }
    if (!atSignup) takeGlobalEmail();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    // crypto.GenerateTokenHash: hex(SHA-224(email + otp)).
    const hash = createHash('sha224')
      .update(email + code)
      .digest('hex');
    const previous = latest.get(`${user.id}:${kind}`);
    if (previous) tokens.delete(previous);
    tokens.set(hash, { userId: user.id, kind, email, code, sentAt: Date.now() });
    latest.set(`${user.id}:${kind}`, hash);
    const link = `${options.externalUrl()}/verify?token=${hash}&type=${kind}&redirect_to=${encodeURIComponent(allowedRedirect(redirectTo, options.siteUrl))}`;
    mailbox.deliver(email, kind, link, code);
    // At signup the new row already carries confirmation_sent_at.
    if (atSignup) return;
    store.updateUser(user, (u) => {
      if (kind === 'signup') {
        u.confirmation_token = hash; // sendConfirmation writes the token with its time (internal/api/mail.go)
        u.confirmation_sent_at = store.clock.now();
      } else u.recovery_sent_at = store.clock.now();
    });
  }

  /** The user a link or code is for; 403 otp_expired when it is unknown, used or too old. */
  async function redeem(found: [string, OneTimeToken] | undefined, kind: string): Promise<StoredUser> {
    const expired = new ApiError(403, 'otp_expired', 'Email link is invalid or has expired');
    if (!found || found[1].kind !== kind || Date.now() - found[1].sentAt > OTP_EXPIRY_MS) throw expired;
    const [hash, token] = found;
    tokens.delete(hash);
    latest.delete(`${token.userId}:${token.kind}`);
    const user = await store.user(token.userId);
    if (!user) throw expired;
    // signupVerify and recoverVerify both confirm an unconfirmed email (internal/api/verify.go).
    if (!user.email_confirmed_at) options.confirmEmail(user);
    return store.users.get(token.userId)!;
  }

  function verifyKind(type: string): MailKind {
    if (type !== 'signup' && type !== 'recovery' && type !== 'email') throw validationFailed('Unsupported verification type');
    return type === 'email' ? 'signup' : type;
  }

  return {
    /**
     * For /signup with confirmation on: the email is counted before the user is written (GoTrue
     * sends it inside the signup's transaction: over the limit, no user is made), then sent; the
     * new row carries confirmation_sent_at already.
     */
    reserveEmail: takeGlobalEmail,
    sendReservedConfirmation: (user: StoredUser, redirectTo: string | null) => sendEmail(user, 'signup', redirectTo, true),

    /** POST /recover: 200 {} whether or not the email is known (no enumeration). */
    async recover(ctx: Ctx): Promise<void> {
      const email = validateEmail(getString(await readJson(ctx), 'email'));
      const user = await store.userByEmail('authenticated', email);
      if (user) sendEmail(user, 'recovery', queryParams(ctx.rawQuery).get('redirect_to'));
      send(ctx.res, 200, '{}');
    },

    /** POST /resend (type signup): 200 {} for an unknown or already confirmed email, too. */
    async resend(ctx: Ctx): Promise<void> {
      const body = await readJson(ctx);
      const type = getString(body, 'type');
      if (type !== 'signup') throw validationFailed('Missing one of these types: signup, email_change, sms, phone_change');
      const raw = getString(body, 'email');
      if (!raw) throw validationFailed('Type provided requires an email address');
      const user = await store.userByEmail('authenticated', validateEmail(raw));
      if (user && !user.email_confirmed_at) sendEmail(user, 'signup', queryParams(ctx.rawQuery).get('redirect_to'));
      send(ctx.res, 200, '{}');
    },

    /** GET /verify from an email link: 303 to redirect_to with the session (or the error) in the fragment. */
    async verifyLink(ctx: Ctx): Promise<void> {
      const query = queryParams(ctx.rawQuery);
      const redirect = allowedRedirect(query.get('redirect_to'), options.siteUrl);
      const type = query.get('type') ?? '';
      let location: string;
      try {
        const user = await redeem(
          tokens.has(query.get('token') ?? '') ? [query.get('token')!, tokens.get(query.get('token')!)!] : undefined,
          verifyKind(type),
        );
        const session = JSON.parse(options.signIn(user, 'otp', ctx.req)) as Record<string, string | number>;
        // AccessTokenResponse.AsRedirectURL (internal/tokens/service.go): appended after a '#',
        // even to a redirect_to that has a fragment of its own.
        const fragment = new URLSearchParams({
          access_token: String(session.access_token),
          expires_at: String(session.expires_at),
          expires_in: String(session.expires_in),
          refresh_token: String(session.refresh_token),
          sb: '',
          token_type: 'bearer',
          type,
        });
        location = `${redirect}#${fragment.toString()}`;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // prepErrorRedirectURL (internal/api/verify.go): the error replaces the fragment, never a
        // JSON answer to a browser.
        const url = new URL(redirect);
        url.hash = new URLSearchParams({
          error: 'access_denied',
          error_code: error.code,
          error_description: error.message,
          sb: '',
        }).toString();
        location = url.href;
      }
      ctx.res.writeHead(303, { Location: location });
      ctx.res.end();
    },

    /** POST /verify (verifyOtp): by token_hash, or by email and the emailed code; a session. */
    async verifyCode(ctx: Ctx, body: Json): Promise<void> {
      const kind = verifyKind(getString(body, 'type'));
      const hash = getString(body, 'token_hash');
      const email = getString(body, 'email').toLowerCase();
      const code = getString(body, 'token');
      const found = hash
        ? tokens.has(hash)
          ? ([hash, tokens.get(hash)!] as [string, OneTimeToken])
          : undefined
        : [...tokens.entries()].find(([, token]) => token.email === email && token.code === code && token.kind === kind);
      const user = await redeem(found, kind);
      send(ctx.res, 200, options.signIn(user, 'otp', ctx.req));
    },
  };
}

export type EmailFlows = ReturnType<typeof emailFlows>;
