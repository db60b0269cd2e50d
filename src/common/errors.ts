import { HttpException } from '@nestjs/common';

/** Every error code the API answers with, its status and a typical message; Swagger shows them as examples (ApiErrors). */
export const ERROR_CODES = {
  validation_failed: {
    status: 400,
    message: 'The request is not valid',
    details: [{ field: 'email', problems: ['email must be a valid email address'] }],
  },
  invalid_json: { status: 400, message: 'The request body is not valid JSON' },
  logout_failed: { status: 400, message: 'Supabase refused the logout' },
  invalid_payload: { status: 400, message: 'The delivery is not a Supabase user event: user.id is not a user id' },
  invalid_token: { status: 401, message: 'The access token is invalid, expired or not a user token' },
  user_deleted: { status: 401, message: 'This user has been deleted' },
  session_revoked: { status: 401, message: 'This session has been signed out: sign in again' },
  token_stale: { status: 401, message: 'This access token predates a change to your account: refresh the session and retry' },
  password_changed_sign_in_again: {
    status: 401,
    message: 'The password was changed and every session ended; sign in with the new password',
  },
  invalid_otp: { status: 401, message: 'The code is wrong, used or expired: request a new one' },
  invalid_credentials: { status: 401, message: 'The email or password is wrong' },
  invalid_refresh_token: { status: 401, message: 'The refresh token is invalid, used or expired' },
  invalid_signature: { status: 401, message: 'The webhook signature is invalid or its timestamp is outside the 5-minute tolerance' },
  invalid_metrics_token: { status: 401, code: 'invalid_token', message: 'GET /metrics needs the METRICS_TOKEN bearer token' },
  email_not_confirmed: { status: 403, message: 'Confirm your email address first: follow the link in the email we sent' },
  user_banned: { status: 403, message: 'This account is banned' },
  anonymous_user: { status: 403, message: 'Anonymous users cannot use this route: sign up or sign in with an email or phone first' },
  forbidden: { status: 403, message: 'Only admins may do this' },
  reauthentication_required: { status: 403, message: 'Sign in again (a sign-in within the last 10 minutes counts), or send your password' },
  user_not_found: { status: 404, message: 'This user is not mirrored yet: call POST /auth/users/sync first' },
  job_not_found: { status: 404, message: 'No failed or dead job has this id (or it is running now)' },
  device_not_found: { status: 404, message: 'You have no signed-in device with this id' },
  metrics_off: { status: 404, code: 'not_found', message: 'GET /metrics is off on this port: set METRICS_TOKEN, or scrape METRICS_PORT' },
  profile_not_found: { status: 404, message: 'This user has no profile yet: call POST /auth/users/sync first' },
  email_exists: { status: 409, message: 'A user with this email address already exists' },
  phone_exists: { status: 409, message: 'A user with this phone number already exists' },
  conflict: { status: 409, message: 'The record already exists' },
  phone_held_unconfirmed: {
    status: 409,
    message: 'An account holds this number without having confirmed it: sign in to that account with its email instead',
  },
  signup_in_progress: { status: 409, message: 'A signup with this Idempotency-Key is in progress' },
  user_deleted_since: { status: 410, code: 'user_deleted', message: 'The user this signup made has been deleted since' },
  weak_password: {
    status: 422,
    message: 'The password is too weak (at least 8 characters, with lower- and upper-case letters and a digit)',
    details: { reasons: ['length', 'characters'] },
  },
  idempotency_key_reused: { status: 422, message: 'This Idempotency-Key was used for another signup' },
  password_check_unavailable: { status: 422, message: 'This account has no email or phone to check a password against' },
  rate_limited: { status: 429, message: 'Too many requests; try again in 12 s' },
  password_change_failed: { status: 503, message: 'Supabase did not take the new password; try again shortly' },
  phone_sign_in_unavailable: { status: 503, message: 'Supabase could not send a code: phone sign-in may be off in the project' },
  supabase_unavailable: { status: 503, message: 'Supabase Auth could not be reached; try again shortly' },
  signup_failed: {
    status: 503,
    message: 'The signup could not be completed and was undone; try again shortly (with a new Idempotency-Key if you sent one)',
  },
  database_unavailable: { status: 503, message: 'The database is not reachable; try again shortly' },
  unhealthy: { status: 503, message: 'Postgres does not answer', details: { database: { status: 'down' } } },
} as const satisfies Record<string, { status: number; message: string; code?: string; details?: unknown }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code a catalog entry answers with (an entry may name a second use of a code). */
export function codeOf(entry: ErrorCode): string {
  const found = ERROR_CODES[entry] as { code?: string };
  return found.code ?? entry;
}

/** An error with a stable snake_case `code`; the global filter answers it in the one error shape. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Sent as the Retry-After header (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message, status);
  }
}

/** The error of a catalog entry: its status and code, its message unless another is given. */
export function apiError(entry: ErrorCode, overrides: { message?: string; details?: unknown; retryAfterSeconds?: number } = {}): ApiError {
  const { status, message } = ERROR_CODES[entry];
  return new ApiError(status, codeOf(entry), overrides.message ?? message, overrides.details, overrides.retryAfterSeconds);
}

export interface FieldProblem {
  field: string;
  problems: string[];
}

/** 400 `validation_failed` naming each field and what is wrong with it. */
export function validationFailed(details: FieldProblem[]): ApiError {
  return apiError('validation_failed', { details });
}

/** 503 `supabase_unavailable`: Supabase Auth could not be reached or answered 5xx. */
export function supabaseUnavailable(message?: string): ApiError {
  return apiError('supabase_unavailable', { message });
}

/** 429 `rate_limited`, with how long to wait. */
export function rateLimited(retryAfterSeconds: number): ApiError {
  return apiError('rate_limited', { message: `Too many requests; try again in ${retryAfterSeconds} s`, retryAfterSeconds });
}
