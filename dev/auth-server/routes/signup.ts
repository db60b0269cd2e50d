// POST /signup (internal/api/signup.go): a new user, or what GoTrue answers for an address it
// already has; with "Confirm email" on, the confirmation email.
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
import { hashPassword } from '../passwords.js';
import type { StoredUser } from '../rows.js';
import type { AuthState } from '../state.js';
import type { Store } from '../store.js';
import { toUserJson, type UserJson } from '../user-json.js';
import { confirmEmail, confirmPhone, makeIdentity } from '../user-rows.js';

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
  const lookup = () => (email ? s.store.userByEmail(aud, email) : s.store.userByPhone(aud, phone));
  const existing = await lookup();
  if (existing) {
    const confirmed = provider === 'email' ? !!existing.email_confirmed_at : !!existing.phone_confirmed_at;
    if (confirmed) {
      if (s.autoconfirm) throw new ApiError(422, 'user_already_exists', 'User already registered');
      send(ctx.res, 200, JSON.stringify(sanitizedUser(s.store, existing, provider, data)));
      return;
    }
    // Unconfirmed: GoTrue does not touch the row (it cannot be sure of the claimed identity).
    send(ctx.res, 200, s.store.userJsonString(existing));
    return;
  }
  const hash = await hashPassword(password);
  // GoTrue checks for duplicates before its transaction; the loser of a race meets the unique
  // index inside it: 500 (internal/api/signup.go, "Database error saving new user").
  if ((await lookup()) || (await s.store.isHeldAnywhere(email || null, phone || null))) {
    throw new ApiError(500, 'unexpected_failure', 'Database error saving new user');
  }
  const u = s.store.newUserRow({
    aud,
    email: email || null,
    phone: phone || null,
    encrypted_password: hash,
    raw_user_meta_data: { ...data },
    raw_app_meta_data: { provider, providers: [provider] },
  });
  const identities = [makeIdentity(u, provider, data)];
  if (s.autoconfirm) {
    if (provider === 'email') confirmEmail(u, identities, u.created_at);
    else confirmPhone(u, identities, u.created_at);
  } else {
    if (provider === 'email') s.emailFlow.reserveEmail();
    u.confirmation_sent_at = u.created_at;
  }
  s.store.insertUser(u, identities, 'signup');
  const stored = s.store.users.get(u.id)!;
  if (s.autoconfirm) {
    send(ctx.res, 200, signIn(s, stored, 'password'));
    return;
  }
  if (provider === 'email') s.emailFlow.sendReservedConfirmation(stored, queryParams(ctx.rawQuery).get('redirect_to'));
  send(ctx.res, 200, s.store.userJsonString(stored));
}
