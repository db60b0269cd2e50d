import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

/** Prisma's known request errors, mapped in this one place. */
function fromPrisma(error: { code?: unknown; name?: unknown }): ErrorBody | null {
  if (error.name !== 'PrismaClientKnownRequestError') return null;
  if (error.code === 'P2002') return { statusCode: 409, code: 'conflict', message: 'The record already exists' };
  if (error.code === 'P2025') return { statusCode: 404, code: 'not_found', message: 'The record does not exist' };
  return null;
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

/** Postgres cannot be reached or is shutting down: 503, so that a sender retries later. */
function fromDatabaseOutage(error: { code?: unknown; message?: unknown; cause?: unknown }, depth = 0): ErrorBody | null {
  const outage =
    (typeof error.code === 'string' && OUTAGE_CODES.has(error.code)) ||
    (typeof error.message === 'string' && OUTAGE_MESSAGES.test(error.message));
  if (outage) return { statusCode: 503, code: 'database_unavailable', message: 'The database is not reachable; try again shortly' };
  const cause = error.cause;
  return depth < 3 && typeof cause === 'object' && cause !== null ? fromDatabaseOutage(cause, depth + 1) : null;
}

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
      const known = fromPrisma(exception) ?? fromFastify(exception) ?? fromDatabaseOutage(exception);
      if (known) return known;
    }
    this.logger.error({ err: exception, requestId }, 'unexpected error');
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'internal_error',
      message: `Something went wrong on our side; quote request id ${requestId}`,
    };
  }
}
