import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { errorCodes } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { ErrorResponse } from './common/error-response.dto.js';
import { generateRequestId } from './common/request-id.js';
import { createValidationPipe } from './common/validation.pipe.js';
import type { AppConfig } from './config/config.js';

function assignRequestId(request: IncomingMessage): string {
  const id = generateRequestId(request);
  (request as IncomingMessage & { id: string }).id = id;
  return id;
}

function setupSwagger(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('authmirror')
      .setDescription(
        "A local Postgres mirror of a Supabase project's users. Authenticate with a Supabase access token " +
          '(the `access_token` of a supabase-js session). Every error has the shape of ErrorResponse.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
    { extraModels: [ErrorResponse] },
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** Routes that read their raw body themselves: webhooks verify signatures before parsing. */
function readsRawBody(url: string): boolean {
  return url.startsWith('/webhooks/');
}

/**
 * JSON bodies are parsed by Fastify's own safe parser (prototype poisoning refused), except on
 * raw-body routes, which get the exact bytes (signatures are over bytes, and nothing is parsed
 * before it is authenticated).
 */
function registerBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    (request as typeof request & { rawBody: Buffer }).rawBody = body as Buffer;
    if (readsRawBody(request.url)) return done(null, body);
    parseJson(request, (body as Buffer).toString('utf8'), done);
  });
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    if (!readsRawBody(request.url)) {
      return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']), undefined);
    }
    (request as typeof request & { rawBody: Buffer }).rawBody = body as Buffer;
    done(null, body);
  });
}

const BODY_LIMIT = 1024 * 1024;

/** Builds the application (not listening yet): Fastify, pino logs, one error shape, validation, Swagger. */
export async function createApp(config: AppConfig, options: { logDestination?: Writable } = {}): Promise<NestFastifyApplication> {
  // Fastify takes a hop count too; the adapter's option type leaves numbers out.
  const adapter = new FastifyAdapter({ genReqId: assignRequestId, bodyLimit: BODY_LIMIT, trustProxy: config.trustProxy as string | boolean | string[] });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options.logDestination), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  registerBodyParsers(app);
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.getHttpAdapter().getInstance().addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  setupSwagger(app);
  return app;
}
