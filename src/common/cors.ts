import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/config.js';

type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/** The development default: any port of localhost and 127.0.0.1 (Vite, Next, Swagger on another port). */
const LOCAL_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * CORS for browser frontends. Bearer tokens, never cookies: no credentials mode, so `*` is safe where the API is public.
 * A disallowed origin gets no CORS headers (the browser refuses the answer); the request is answered as any other.
 */
export function corsOptions(config: AppConfig): CorsOptions {
  const listed = new Set(config.corsOrigins ?? []);
  const allowed = (origin: string): boolean =>
    listed.has('*') || listed.has(origin) || (config.corsOrigins === null && LOCAL_ORIGIN.test(origin));
  return {
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      callback(null, origin !== undefined && allowed(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    credentials: false,
    maxAge: 600,
    // An OPTIONS without Access-Control-Request-Method is answered as a preflight too, rather than
    // with @fastify/cors's plain-text 400 outside the error shape.
    strictPreflight: false,
  };
}

/** One line for the start-up log: which origins may call. */
export function describeCors(config: AppConfig): string {
  if (config.corsOrigins === null)
    return 'CORS: browsers may call from http://localhost:* and http://127.0.0.1:* (development default; set CORS_ORIGINS for others)';
  if (config.corsOrigins.length === 0)
    return 'CORS: no browser origin may call this API (set CORS_ORIGINS to the origins of your frontends)';
  return `CORS: browsers may call from ${config.corsOrigins.join(', ')}`;
}
