// How bytes become requests: body parsers, and the answers Fastify and Node give before any route
// runs. Every one of them leaves in the one error shape, with a code and a request id.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { apiError } from './errors.js';
import { requestIdOf } from './request-id.js';

export const BODY_LIMIT = 1024 * 1024;

/** Webhooks verify signatures over the raw bytes; decided by the matched route, not the URL as sent (`/%77ebhooks/…`). */
function readsRawBody(request: FastifyRequest): boolean {
  return (request.routeOptions?.url ?? request.url).startsWith('/webhooks/');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text, or null when they are not UTF-8 (never U+FFFD in their place). */
export function decodeUtf8(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * JSON goes through a strict UTF-8 decode and Fastify's safe parser (no prototype poisoning); raw-body routes get the exact
 * bytes whatever the content type (a text/plain delivery is still verified over what was signed); the rest is 415.
 */
export function registerBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser(['text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    (request as typeof request & { rawBody: Buffer }).rawBody = body as Buffer;
    if (readsRawBody(request)) return done(null, body);
    const text = decodeUtf8(body as Buffer);
    if (text === null) return done(apiError('invalid_json', { message: 'The request body is not valid UTF-8' }), undefined);
    void parseJson(request, text, done);
  });
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    if (!readsRawBody(request)) {
      return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']), undefined);
    }
    (request as typeof request & { rawBody: Buffer }).rawBody = body as Buffer;
    done(null, body);
  });
}

/** Fastify's errors before routing (a URL it cannot decode): 400 in the error shape. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const requestId = requestIdOf(request);
  const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply
    .status(statusCode)
    .header('x-request-id', requestId)
    .send({ statusCode, code: 'bad_request', message: 'The request URL is not valid', requestId });
}

/**
 * Node's refusals of unreadable HTTP, written by hand (there is no request object); if an answer on the connection is
 * under way, writing would corrupt it, so the socket is just closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage !== undefined;
  if (error.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  const [statusCode, code, message, reason] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers are too large', 'Request Header Fields Too Large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request took too long to arrive', 'Request Timeout']
        : [400, 'bad_request', 'The request is not valid HTTP', 'Bad Request'];
  const requestId = randomUUID();
  const body = JSON.stringify({ statusCode, code, message, requestId });
  socket.end(
    `HTTP/1.1 ${statusCode} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Once closing, every answer says `Connection: close`: server.close() ends only idle connections, and one still answering
 * would stay open as keep-alive and hold the close for the whole keep-alive timeout.
 */
export function closeConnectionsWhenClosing(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}
