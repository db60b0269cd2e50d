// GoTrue-style API errors and their two wire formats (see reference §5.1).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badJson = (detail: string) => new ApiError(400, 'bad_json', `Could not parse request body as JSON: ${detail}`);
export const validationFailed = (msg: string, status = 400) => new ApiError(status, 'validation_failed', msg);

const API_VERSION = '2024-01-01';
const VERSION_RE = /^\d{4}-\d{2}-\d{2}$/;

/** True when the request asks for the 2024-01-01 error format (supabase-js always does). */
export function wantsNewFormat(headerValue: string | string[] | undefined): boolean {
  const v = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  return typeof v === 'string' && VERSION_RE.test(v) && v >= API_VERSION;
}

export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'X-Total-Count, Link, X-Supabase-Api-Version, x-sb-error-code',
};

export function sendError(res: ServerResponse, err: ApiError, newFormat: boolean): void {
  const headers: Record<string, string> = {
    ...CORS_HEADERS,
    'Content-Type': 'application/json',
  };
  let body: Record<string, unknown>;
  const isWeak = err.code === 'weak_password';
  if (newFormat) {
    headers['X-Supabase-Api-Version'] = API_VERSION;
    body = { code: err.code, message: err.message, ...(err.extra ?? {}) };
    if (!isWeak) headers['x-sb-error-code'] = err.code;
  } else {
    body = { code: err.status, error_code: err.code, msg: err.message, ...(err.extra ?? {}) };
    if (err.status >= 500) body.error_id = randomUUID();
    headers['x-sb-error-code'] = err.code;
  }
  const payload = JSON.stringify(body);
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  if (!res.headersSent) res.writeHead(err.status, headers);
  res.end(payload);
}
