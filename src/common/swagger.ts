import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ERROR_CODES } from './errors.js';
import { ErrorResponse } from './error-response.dto.js';

const DESCRIPTION = `A local Postgres mirror of a Supabase project's users.

**Getting a token to try the routes here:** call \`POST /auth/login\` below with the email and password of a
(confirmed) user — or \`POST /auth/signup\` first; with the local stand-in, confirmation links land in its mailbox
at \`http://127.0.0.1:54321/mailbox\` — copy \`session.accessToken\` from the answer, press **Authorize** and paste it.
A supabase-js session's \`access_token\` works the same way.

Every error has the shape of \`ErrorResponse\`, with a stable \`code\`; each answer carries an \`X-Request-Id\`
header (send your own to correlate with the logs). 429 and 503 answers carry \`Retry-After\`.`;

/** Routes that never touch the database: no 503 database_unavailable to document. */
const WITHOUT_DATABASE = new Set(['/health', '/docs', '/docs-json']);

export function setupSwagger(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('authmirror')
      .setDescription(DESCRIPTION)
      .setVersion('0.1.0')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A Supabase access token (`session.accessToken` of POST /auth/login)',
      })
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only' }, 'metrics')
      .build(),
    { extraModels: [ErrorResponse] },
  );
  addCommonAnswers(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
}

/**
 * What every operation may answer whatever its own decorators say: the X-Request-Id header on
 * each answer, Retry-After on 429 and 503, and 503 `database_unavailable` while Postgres is down.
 */
function addCommonAnswers(document: OpenAPIObject): void {
  const { status, message } = ERROR_CODES.database_unavailable;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const responses = (operation as { responses: unknown }).responses as Record<
        string,
        { description?: string; headers?: Record<string, unknown>; content?: Record<string, { examples?: Record<string, unknown> }> }
      >;
      if (!WITHOUT_DATABASE.has(path)) {
        const unavailable = (responses[status] ??= { description: '', content: { 'application/json': { examples: {} } } });
        const json = ((unavailable.content ??= {})['application/json'] ??= {});
        (json as { schema?: unknown }).schema ??= { $ref: '#/components/schemas/ErrorResponse' };
        json.examples = {
          ...json.examples,
          database_unavailable: {
            summary: 'database_unavailable',
            value: { statusCode: status, code: 'database_unavailable', message, requestId: '7b0b6a1e-2f7c-4a43-9b1e-3f1f2c9d8e11' },
          },
        };
        unavailable.description = [unavailable.description, '`database_unavailable`'].filter(Boolean).join(', ');
      }
      for (const [code, response] of Object.entries(responses)) {
        response.headers = {
          ...response.headers,
          'X-Request-Id': { description: 'The request id (yours, if you sent one)', schema: { type: 'string' } },
        };
        if (code === '429' || code === '503')
          response.headers['Retry-After'] = { description: 'Seconds to wait before trying again', schema: { type: 'integer' } };
      }
    }
  }
}
