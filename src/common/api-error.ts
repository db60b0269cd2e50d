import { HttpException } from '@nestjs/common';

/**
 * An error with a stable machine-readable `code` (snake_case) and a message for people.
 * The global filter turns it into the one error shape of api.md.
 */
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

/** 429 `rate_limited`, with how long to wait. */
export function rateLimited(retryAfterSeconds: number, message = `Too many requests; try again in ${retryAfterSeconds} s`): ApiError {
  return new ApiError(429, 'rate_limited', message, undefined, retryAfterSeconds);
}
