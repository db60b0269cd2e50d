import { isAuthApiError, isAuthError } from '@supabase/supabase-js';
import { type ApiError, apiError, supabaseUnavailable } from '../common/errors.js';

/** The outcome of a call to Supabase Auth: done, refused with a status and code, or not reachable. */
export type RemoteResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'refused'; status: number; code: string | null; message: string; reasons?: string[] }
  | { kind: 'unavailable'; reason: string };

/** A read of Supabase's: done, or not now (no refusal of a read is one a caller could act on). */
export type RemoteRead<T> = Exclude<RemoteResult<T>, { kind: 'refused' }>;

/** Turns a supabase-js error into a RemoteResult; 5xx and network errors are "unavailable". */
export function remoteFailure(error: unknown): Exclude<RemoteResult<never>, { kind: 'ok' }> {
  if (isAuthApiError(error) && error.status >= 400 && error.status < 500) {
    const reasons = (error as { reasons?: unknown }).reasons;
    return {
      kind: 'refused',
      status: error.status,
      code: error.code ?? null,
      message: error.message,
      ...(Array.isArray(reasons) ? { reasons: reasons as string[] } : {}),
    };
  }
  if (isAuthError(error) && error.name === 'AuthWeakPasswordError') {
    return {
      kind: 'refused',
      status: 422,
      code: 'weak_password',
      message: error.message,
      reasons: (error as { reasons?: string[] }).reasons ?? [],
    };
  }
  if (isAuthError(error) && error.name === 'AuthSessionMissingError') {
    return { kind: 'refused', status: 403, code: 'session_not_found', message: error.message };
  }
  return {
    kind: 'unavailable',
    reason: isAuthError(error) ? `${error.name} ${error.status ?? ''}`.trim() : ((error as Error)?.message ?? 'unknown'),
  };
}

/**
 * Supabase gives no hint of when to come back from a 429 (GoTrue's limiter sends no Retry-After);
 * its default token bucket refills one request every 2 s (internal/api/apilimiter/apilimiter.go).
 */
const SUPABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The answer for a call Supabase did not do: 503 when it could not be reached, 429 when it
 * rate-limited the call, otherwise `refusal` (what the refusal means depends on the call).
 */
export function remoteError(result: Exclude<RemoteResult<unknown>, { kind: 'ok' }>, refusal: ApiError): ApiError {
  if (result.kind === 'unavailable') return supabaseUnavailable();
  if (result.status === 429)
    return apiError('rate_limited', {
      message: 'Supabase Auth is rate-limiting these requests; try again shortly',
      retryAfterSeconds: SUPABASE_RETRY_AFTER_SECONDS,
    });
  return refusal;
}
