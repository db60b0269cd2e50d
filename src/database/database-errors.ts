import { apiError, type ApiError } from '../common/errors.js';

/** The database errors the API answers itself (docs/design.md, "Data access"); null for a 500 with a request id. */
export function databaseError(error: object): ApiError | null {
  if (isDatabaseOutage(error)) return apiError('database_unavailable');
  if (isUniqueViolation(error) || (error as { code?: unknown }).code === 'P2002') return apiError('conflict');
  return null;
}

const UNIQUE_VIOLATION = '23505';

/** A unique violation (on `constraint`, when given): two writes raced for one key. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const { code, constraint: violated } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && (constraint === undefined || violated === constraint);
}

const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'P1001',
  'P1002',
  'P1017',
  'P2024',
]);
const OUTAGE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/;

/** Postgres cannot be reached or is shutting down (the error, or what caused it). */
export function isDatabaseOutage(error: { code?: unknown; message?: unknown; cause?: unknown }, depth = 0): boolean {
  const outage =
    (typeof error.code === 'string' && OUTAGE_CODES.has(error.code)) ||
    (typeof error.message === 'string' && OUTAGE_MESSAGES.test(error.message));
  if (outage) return true;
  const cause = error.cause;
  return depth < 3 && typeof cause === 'object' && cause !== null && isDatabaseOutage(cause, depth + 1);
}
