import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { Writable } from 'node:stream';
import { stdSerializers } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/config.js';

/** Fields censored wherever they appear in a logged object (docs/operations.md, "Logs"). */
const SECRET_FIELDS = [
  'password',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'token',
  'secret',
  'serviceRoleKey',
  'encrypted_password',
  // Postgres errors name the values that broke a constraint (`Key (phone)=(+44…) already exists`).
  'detail',
  'where',
];

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.apikey',
  'req.headers.cookie',
  'req.headers["webhook-signature"]',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  // pino's `*.x` matches one level down only: the field itself, and inside any logged object.
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
];

const SECRET_FIELD_NAMES = new Set(SECRET_FIELDS);

/** Errors with secret fields censored however deep: a driver error nests Postgres' `detail` past what redact paths reach. */
export function serializeError(error: unknown): unknown {
  const serialized: unknown = error instanceof Error ? stdSerializers.err(error) : error;
  return censorDeep(serialized, 0);
}

function censorDeep(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > 10) return value;
  if (Array.isArray(value)) return value.map((item) => censorDeep(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_FIELD_NAMES.has(key) ? '[redacted]' : censorDeep(item, depth + 1)]),
  );
}

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
      err: serializeError,
      req: (request: { id: string; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        url: request.url.split('?')[0],
      }),
    },
  };
  destination ??= readableOnTerminal(config);
  return {
    pinoHttp: destination ? [options, destination] : options,
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  };
}

interface LogEntry {
  context?: string;
  msg?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** Pretty lines on stdout when asked for, or when `auto`, in development, and stdout is a terminal. */
function readableOnTerminal({ logFormat, nodeEnv }: AppConfig): Writable | undefined {
  if (logFormat === 'json' || (logFormat === 'auto' && (!process.stdout.isTTY || nodeEnv === 'production'))) return undefined;
  return readableLogStream(1, process.stdout.isTTY === true);
}

/** One readable line per entry (`12:00:01.234 INFO [Context] message`, `POST /auth/users/sync -> 200 in 12 ms`); pino redacts first. */
export function readableLogStream(destination: NodeJS.WritableStream | number, colorize: boolean): Writable {
  return pretty({
    destination,
    sync: true,
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat: (log) => {
      const entry = log as LogEntry;
      const context = entry.context ? `[${entry.context}] ` : '';
      const request = entry.req?.method ? `${entry.req.method} ${entry.req.url ?? ''}` : '';
      if (request && entry.res?.statusCode !== undefined) {
        return `${context}${request} -> ${entry.res.statusCode} in ${Math.round(entry.responseTime ?? 0)} ms`;
      }
      return `${context}${entry.msg ?? ''}${request ? ` (${request})` : ''}`;
    },
  });
}
