// GoTrue's Signup past its checks (internal/api/signup.go), shared by POST /signup and POST /otp
// (whose SmsOtp signs an unknown phone up, internal/api/otp.go): a new user with its identity,
// confirmed at once (autoconfirm, smsAutoconfirm) or awaiting its email or SMS code; and an unconfirmed phone
// signing up again, which gets a new code.
import { ApiError } from './errors.js';
import type { Json } from './http.js';
import { hashPassword } from './passwords.js';
import type { StoredUser } from './rows.js';
import type { AuthState } from './state.js';
import { confirmEmail, confirmPhone, makeIdentity, upsertIdentity } from './user-rows.js';

export interface NewSignup {
  aud: string;
  /** Validated and lower-cased; '' for a phone signup. */
  email: string;
  /** Validated, without '+'; '' for an email signup. */
  phone: string;
  password: string;
  data: Json;
  /** Where the confirmation email's link leads (an email signup awaiting confirmation). */
  redirectTo: string | null;
}

/**
 * signupNewUser and the confirmation after it. The email or SMS is counted before the user is
 * written (GoTrue sends it inside the signup's transaction: over a limit, no user is made).
 */
export async function signUpNewUser(s: AuthState, signup: NewSignup): Promise<StoredUser> {
  const { aud, email, phone, data } = signup;
  const provider = email ? 'email' : 'phone';
  const lookup = () => (email ? s.store.userByEmail(aud, email) : s.store.userByPhone(aud, phone));
  const hash = await hashPassword(signup.password);
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
  let deliverCode: (() => void) | null = null;
  const autoconfirm = provider === 'email' ? s.autoconfirm : s.smsAutoconfirm;
  if (autoconfirm) {
    if (provider === 'email') confirmEmail(u, identities, u.created_at);
    else confirmPhone(u, identities, u.created_at);
  } else if (provider === 'email') {
    s.emailFlow.reserveEmail();
    u.confirmation_sent_at = u.created_at;
  } else {
    // sendPhoneConfirmation inside the signup: the new row carries the code's hash and time.
    s.phoneFlow.reserve(null);
    const code = s.phoneFlow.newCode(phone);
    u.confirmation_token = code.hash;
    u.confirmation_sent_at = u.created_at;
    deliverCode = code.deliver;
  }
  s.store.insertUser(u, identities, 'signup');
  const stored = s.store.users.get(u.id)!;
  if (provider === 'email' && !autoconfirm) s.emailFlow.sendReservedConfirmation(stored, signup.redirectTo);
  deliverCode?.();
  return stored;
}

/**
 * Signup for a phone that is held but not confirmed: GoTrue leaves the row as it is (it cannot be
 * sure of the claimed identity), adds the phone identity when there is none, and sends a new code
 * (429 within the maximum frequency of the last).
 */
export function signUpUnconfirmedPhone(s: AuthState, user: StoredUser): void {
  if (!s.store.identitiesOf(user.id).some((identity) => identity.provider === 'phone')) {
    s.store.updateUser(user, (u) => upsertIdentity(s.store, u, 'phone'));
  }
  if (s.smsAutoconfirm) s.store.updateUser(user, (u) => confirmPhone(u, s.store.identitiesOf(u.id), s.store.clock.now()));
  else s.phoneFlow.sendCode(user);
}
