// POST /signup (internal/api/signup.go): a new user, or what GoTrue answers for an address it
// already has; with confirmations on, the confirmation email or SMS code (signups.ts).
import { randomUUID } from 'node:crypto';
import { checkPassword, requestAud } from '../auth-checks.js';
import { signIn } from '../access-tokens.js';
import { ApiError, validationFailed } from '../errors.js';
import {
  getObject,
  getString,
  queryParams,
  readJson,
  send,
  validateEmail,
  validatePhone,
  type Ctx,
  type Json,
  type Routes,
} from '../http.js';
import type { StoredUser } from '../rows.js';
import { signUpNewUser, signUpUnconfirmedPhone } from '../signups.js';
import type { AuthState } from '../state.js';
import type { Store } from '../store.js';
import { toUserJson, type UserJson } from '../user-json.js';

export function signupRoutes(s: AuthState): Routes {
  return { '/signup': { POST: (ctx) => handleSignup(s, ctx) } };
}

/** The obfuscated fake user GoTrue returns for a repeated signup (sanitizeUser). */
function sanitizedUser(store: Store, user: StoredUser, provider: string, data: Json): UserJson {
  const now = store.clock.now();
  const fake = store.newUserRow({
    ...user,
    id: randomUUID(),
    role: '',
    aud: '',
    email: provider === 'email' ? user.email : null,
    phone: provider === 'phone' ? user.phone : null,
    email_change: null,
    created_at: now,
    updated_at: now,
    confirmation_sent_at: now,
    last_sign_in_at: null,
    email_change_sent_at: null,
    email_confirmed_at: null,
    phone_confirmed_at: null,
    raw_user_meta_data: data,
    raw_app_meta_data: { provider, providers: [provider] },
  });
  fake.confirmed_at = null;
  return toUserJson(fake, []);
}

async function handleSignup(s: AuthState, ctx: Ctx): Promise<void> {
  const body = await readJson(ctx);
  let email = getString(body, 'email');
  let phone = getString(body, 'phone');
  const password = getString(body, 'password');
  const data = getObject(body, 'data') ?? {};
  getString(body, 'channel');
  getString(body, 'code_challenge');
  getString(body, 'code_challenge_method');
  if (email && phone) throw validationFailed('Only an email address or phone number should be provided on signup.');
  if (!email && !phone) {
    if (!password) throw new ApiError(422, 'anonymous_provider_disabled', 'Anonymous sign-ins are disabled');
    throw validationFailed('To signup, please provide your email or phone number');
  }
  s.limits.signup.take(ctx.req); // after the anonymous branch, as internal/api/api.go
  if (!password) throw validationFailed('Signup requires a valid password');
  checkPassword(s, password);
  const provider = email ? 'email' : 'phone';
  if (email) email = validateEmail(email);
  else phone = validatePhone(phone);
  const aud = requestAud(ctx.req);
  const existing = email ? await s.store.userByEmail(aud, email) : await s.store.userByPhone(aud, phone);
  if (existing) {
    const confirmed = provider === 'email' ? !!existing.email_confirmed_at : !!existing.phone_confirmed_at;
    if (confirmed) {
      if (s.autoconfirm || s.smsAutoconfirm) throw new ApiError(422, 'user_already_exists', 'User already registered');
      send(ctx.res, 200, JSON.stringify(sanitizedUser(s.store, existing, provider, data)));
      return;
    }
    // Unconfirmed: GoTrue does not touch the row (it cannot be sure of the claimed identity); a phone gets a new code.
    if (provider === 'phone') signUpUnconfirmedPhone(s, existing);
    // Signup then signs in any user confirmed by email or phone, whichever was asked (internal/api/signup.go).
    if (existing.email_confirmed_at || existing.phone_confirmed_at) send(ctx.res, 200, signIn(s, existing, 'password', ctx.req));
    else send(ctx.res, 200, s.store.userJsonString(existing));
    return;
  }
  const redirectTo = queryParams(ctx.rawQuery).get('redirect_to');
  const stored = await signUpNewUser(s, { aud, email, phone, password, data, redirectTo });
  const confirmed = stored.email_confirmed_at || stored.phone_confirmed_at;
  send(ctx.res, 200, confirmed ? signIn(s, stored, 'password', ctx.req) : s.store.userJsonString(stored));
}
