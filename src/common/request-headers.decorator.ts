import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

// Header values read without `@Headers(name)`: Swagger documents that decorator as a required
// header parameter, which Swagger UI then demands (and for Authorization, never fills).

type RequestWithHeaders = { headers: Record<string, string | string[] | undefined> };

function headerOf(context: ExecutionContext, name: string): string | undefined {
  const value = context.switchToHttp().getRequest<RequestWithHeaders>().headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The `Idempotency-Key` header, if sent (document it with @ApiHeader, required: false). */
export const IdempotencyKeyHeader = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  headerOf(context, 'idempotency-key'),
);

/** The bearer token of a guarded route (the guard has checked it). */
export const BearerToken = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const header = headerOf(context, 'authorization') ?? '';
  return header.replace(/^bearer\s+/i, '').trim();
});

/** Who is on the other end: the client's address (as TRUST_PROXY lets Fastify read it) and its User-Agent. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<RequestWithHeaders & { ip: string }>();
  return { ip: request.ip, userAgent: headerOf(context, 'user-agent') ?? null };
});
