import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a well-formed `x-request-id` from the caller, or makes a new one. */
export function generateRequestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
}

/** The id Fastify gave this request (see `genReqId` in app.ts). */
export function requestIdOf(request: { id?: unknown }): string {
  return typeof request.id === 'string' ? request.id : typeof request.id === 'number' ? String(request.id) : 'unknown';
}
