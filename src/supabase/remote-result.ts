import { isAuthApiError, isAuthError } from '@supabase/supabase-js';

/** The outcome of a call to Supabase Auth: done, refused with a status and code, or not reachable. */
export type RemoteResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'refused'; status: number; code: string | null; message: string; reasons?: string[] }
  | { kind: 'unavailable'; reason: string };

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
    return { kind: 'refused', status: 422, code: 'weak_password', message: error.message, reasons: (error as { reasons?: string[] }).reasons ?? [] };
  }
  if (isAuthError(error) && error.name === 'AuthSessionMissingError') {
    return { kind: 'refused', status: 403, code: 'session_not_found', message: error.message };
  }
  return { kind: 'unavailable', reason: isAuthError(error) ? `${error.name} ${error.status ?? ''}`.trim() : (error as Error)?.message ?? 'unknown' };
}
