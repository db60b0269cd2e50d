import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Metrics } from './metrics.js';

/** The route label of a request no route matched (an unknown path): never the path itself, which the caller chooses. */
const UNMATCHED = 'unmatched';

/**
 * Counts every answer by route template and status, and times it, from Fastify's onResponse hook: it sees what guards,
 * Fastify itself and the 404 handler answer too, and costs two label lookups per request.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: Metrics,
  ) {}

  /** Before the routes are ready (Nest starts listening after module init); the CLI has no HTTP adapter. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      this.metrics.httpRequest(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
}
