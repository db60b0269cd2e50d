import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { Writable } from 'node:stream';
import type { AppConfig } from '../config/config.js';

/**
 * Everything that could carry a secret is censored before a line is written: auth headers,
 * API keys, webhook signatures, and any password or token field in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.apikey',
  'req.headers.cookie',
  'req.headers["webhook-signature"]',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.refresh_token',
  '*.token',
  '*.secret',
  '*.serviceRoleKey',
  '*.encrypted_password',
  // Postgres errors name the values that broke a constraint (`Key (phone)=(+44…) already exists`).
  '*.detail',
  '*.where',
];

/** pino-http options; `destination` replaces stdout (tests read the log lines from it). */
export function loggerOptions(config: AppConfig, destination?: Writable): Params {
  const options: Exclude<Params['pinoHttp'], unknown[]> = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Fastify's genReqId (app.ts) has already put the id on the raw request.
    genReqId: (request) => (request as { id?: string }).id ?? 'unknown',
    customLogLevel: (_request, response, error) =>
      error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (request: { id: string; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        url: request.url.split('?')[0],
      }),
    },
  };
  return {
    pinoHttp: destination ? [options, destination] : options,
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  };
}
