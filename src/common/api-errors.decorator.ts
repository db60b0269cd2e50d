import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { codeOf, ERROR_CODES, type ErrorCode } from './errors.js';
import { ErrorResponse } from './error-response.dto.js';

/** The request id of every example: the same value as the `x-request-id` header. */
const EXAMPLE_REQUEST_ID = '7b0b6a1e-2f7c-4a43-9b1e-3f1f2c9d8e11';

/** What the guard answers a token with, on every guarded route. */
export const GUARD_REFUSALS = [
  'invalid_token',
  'user_deleted',
  'session_revoked',
  'token_stale',
  'user_banned',
] as const satisfies ErrorCode[];

/** Documents a route's errors: one response per status, each code a named example (headers are added in swagger.ts). */
export function ApiErrors(...entries: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const entry of entries) byStatus.set(ERROR_CODES[entry].status, [...(byStatus.get(ERROR_CODES[entry].status) ?? []), entry]);
  return applyDecorators(
    ...[...byStatus].map(([status, group]) =>
      ApiResponse({
        status,
        type: ErrorResponse,
        description: group.map((entry) => `\`${codeOf(entry)}\``).join(', '),
        examples: Object.fromEntries(
          group.map((entry) => {
            const { message, ...rest } = ERROR_CODES[entry] as { message: string; details?: unknown };
            const value = {
              statusCode: status,
              code: codeOf(entry),
              message,
              ...('details' in rest ? { details: rest.details } : {}),
              requestId: EXAMPLE_REQUEST_ID,
            };
            return [entry, { summary: codeOf(entry), value }];
          }),
        ),
      }),
    ),
  );
}
