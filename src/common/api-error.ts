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
  ) {
    super(message, status);
  }
}
