import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { databaseError } from '../database/database-errors.js';
import { ApiError } from './errors.js';
import { requestIdOf } from './request-id.js';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  503: 'service_unavailable',
};

/** Fastify's own errors for bad requests (malformed JSON, wrong content type, body too large). */
function fromFastify(error: { code?: unknown; statusCode?: unknown; message?: unknown }): ErrorBody | null {
  if (typeof error.code !== 'string' || !error.code.startsWith('FST_')) return null;
  const status = typeof error.statusCode === 'number' ? error.statusCode : 400;
  if (status >= 500) return null;
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { statusCode: 400, code: 'invalid_json', message: 'The request body is not valid JSON' };
  }
  return { statusCode: status, code: CODES_BY_STATUS[status] ?? 'bad_request', message: String(error.message) };
}

function fromHttpException(exception: HttpException): ErrorBody {
  const statusCode = exception.getStatus();
  if (exception instanceof ApiError) {
    return { statusCode, code: exception.code, message: exception.message, details: exception.details };
  }
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response && typeof response.message === 'string'
      ? response.message
      : exception.message;
  return { statusCode, code: CODES_BY_STATUS[statusCode] ?? 'error', message };
}

/**
 * Every failure leaves as `{ statusCode, code, message, details?, requestId }`.
 * Unexpected errors are logged with their stack under the request id; their body says nothing internal.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const requestId = requestIdOf(request);
    const body = this.toBody(exception, requestId);
    if (reply.sent) return;
    if (exception instanceof ApiError && exception.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(exception.retryAfterSeconds));
    if (body.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
    reply
      .status(body.statusCode)
      .header('x-request-id', requestId)
      .send({ ...body, requestId });
  }

  private toBody(exception: unknown, requestId: string): ErrorBody {
    // The Fastify adapter wraps Fastify's own 4xx errors (bad JSON, body too large) with the original as cause.
    const cause = exception instanceof HttpException ? exception.cause : undefined;
    const fastifyError = typeof cause === 'object' && cause !== null ? fromFastify(cause) : null;
    if (fastifyError) return fastifyError;
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (typeof exception === 'object' && exception !== null) {
      const fastify = fromFastify(exception);
      if (fastify) return fastify;
      const database = databaseError(exception);
      if (database) return fromHttpException(database);
    }
    this.logger.error({ err: exception, requestId }, 'unexpected error');
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'internal_error',
      message: `Something went wrong on our side; quote request id ${requestId}`,
    };
  }
}
