import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { corsOptions, describeCors } from './common/cors.js';
import { BODY_LIMIT, clientErrorHandler, closeConnectionsWhenClosing, frameworkErrors, registerBodyParsers } from './common/http-edges.js';
import { generateRequestId } from './common/request-id.js';
import { setupSwagger } from './common/swagger.js';
import { createValidationPipe } from './common/validation.pipe.js';
import type { AppConfig } from './config/config.js';

function assignRequestId(request: IncomingMessage): string {
  const id = generateRequestId(request);
  (request as IncomingMessage & { id: string }).id = id;
  return id;
}

/**
 * A hop count trusts the nearest `hops` addresses (the TCP peer, then X-Forwarded-For from the right), applied here
 * because Fastify 5.12 trusts nothing for a bare number.
 */
function trustedProxies(setting: AppConfig['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** Builds the application (not listening yet): Fastify, pino logs, one error shape, validation, Swagger. */
export async function createApp(config: AppConfig, options: { logDestination?: Writable } = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    genReqId: assignRequestId,
    bodyLimit: BODY_LIMIT,
    trustProxy: trustedProxies(config.trustProxy),
    frameworkErrors,
    clientErrorHandler,
    // Requests arriving while closing are answered as usual, then their connections end (closeConnectionsWhenClosing):
    // Fastify's default is a 503 outside the error shape (docs/operations.md, "Stopping").
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options.logDestination), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  registerBodyParsers(app);
  closeConnectionsWhenClosing(app);
  app.useLogger(app.get(Logger));
  app.enableCors(corsOptions(config));
  app.get(Logger).log(describeCors(config));
  if (config.trustProxy === true) {
    // Fastify then believes the left-most X-Forwarded-For, which any client writes as it likes.
    app
      .get(Logger)
      .warn(
        'TRUST_PROXY=true takes client addresses from X-Forwarded-For as sent: any caller can pick its own and escape or spend per-address limits. Set the number of proxy hops or their addresses instead.',
      );
  }
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(createValidationPipe());
  // On send, so that answers made before any route (CORS preflights, Fastify's refusals) carry it too.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (request, reply, payload, done) => {
      reply.header('x-request-id', request.id);
      done(null, payload);
    });
  setupSwagger(app);
  return app;
}
