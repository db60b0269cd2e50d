// Swagger a person can use: the rules below hold for every operation of /docs-json.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ERROR_CODES } from '../src/common/errors.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let document: any;

type Operation = { path: string; method: string; operation: any };
let operations: Operation[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  document = (await stack.request('GET', '/docs-json')).body;
  operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );
});

afterAll(async () => {
  await stack?.close();
});

const statusOfCode = new Map<string, Set<number>>();
for (const [entry, { status, ...rest }] of Object.entries(ERROR_CODES)) {
  const code = (rest as { code?: string }).code ?? entry;
  statusOfCode.set(code, new Set([...(statusOfCode.get(code) ?? []), status]));
}

function each(check: (operation: Operation) => string[]): string[] {
  return operations.flatMap((operation) =>
    check(operation).map((problem) => `${operation.method.toUpperCase()} ${operation.path}: ${problem}`),
  );
}

describe('the OpenAPI document', () => {
  it('has operations to check', () => {
    expect(operations.length).toBeGreaterThan(10);
  });

  it('describes every success answer', () => {
    const problems = each(({ operation }) =>
      Object.entries(operation.responses as Record<string, any>)
        .filter(([status]) => status.startsWith('2'))
        .flatMap(([status, response]) => (response.description?.trim() ? [] : [`${status} has no description`])),
    );
    expect(problems).toEqual([]);
  });

  it('gives each error status its own examples, each with a code of that status, in the error shape', () => {
    const problems = each(({ operation }) =>
      Object.entries(operation.responses as Record<string, any>)
        .filter(([status]) => Number(status) >= 400)
        .flatMap(([status, response]) => {
          const examples = Object.values<{ value: any }>(response.content?.['application/json']?.examples ?? {});
          if (examples.length === 0) return [`${status} has no example`];
          return examples.flatMap(({ value }) => {
            const known = statusOfCode.get(value.code);
            const wrong: string[] = [];
            if (!known?.has(Number(status))) wrong.push(`${status} shows code ${value.code}`);
            if (value.statusCode !== Number(status)) wrong.push(`${status} example says statusCode ${value.statusCode}`);
            if (typeof value.message !== 'string' || typeof value.requestId !== 'string')
              wrong.push(`${status} example is not in the error shape`);
            return wrong;
          });
        }),
    );
    expect(problems).toEqual([]);
  });

  it('documents X-Request-Id on every answer and Retry-After on every 429 and 503', () => {
    const problems = each(({ operation }) =>
      Object.entries(operation.responses as Record<string, any>).flatMap(([status, response]) => [
        ...(response.headers?.['X-Request-Id'] ? [] : [`${status} lacks X-Request-Id`]),
        ...((status === '429' || status === '503') && !response.headers?.['Retry-After'] ? [`${status} lacks Retry-After`] : []),
      ]),
    );
    expect(problems).toEqual([]);
  });

  it('documents 503 database_unavailable on every operation that reads or writes the database', () => {
    const problems = each(({ path, operation }) => {
      if (path === '/health') return [];
      const examples = operation.responses['503']?.content?.['application/json']?.examples ?? {};
      return Object.values(examples).some((example: any) => example.value.code === 'database_unavailable')
        ? []
        : ['no 503 database_unavailable'];
    });
    expect(problems).toEqual([]);
  });

  it('documents 401 invalid_token on every guarded operation', () => {
    const problems = each(({ operation }) => {
      if (!operation.security) return [];
      const examples = operation.responses['401']?.content?.['application/json']?.examples ?? {};
      return Object.values(examples).some((example: any) => example.value.code === 'invalid_token') ? [] : ['no 401 invalid_token'];
    });
    expect(problems).toEqual([]);
  });

  it('asks for no header Swagger UI cannot send: no required header parameter', () => {
    const problems = each(({ operation }) =>
      ((operation.parameters ?? []) as Array<{ in: string; name: string; required?: boolean }>)
        .filter((parameter) => parameter.in === 'header' && parameter.required)
        .map((parameter) => `requires header ${parameter.name}`),
    );
    expect(problems).toEqual([]);
  });

  it('has no schema open to any property (Swagger UI would show additionalProp1)', () => {
    expect(JSON.stringify(document)).not.toContain('"additionalProperties":true');
  });

  it('gives the webhook its two body schemas', () => {
    const body = document.paths['/webhooks/supabase'].post.requestBody.content['application/json'].schema;
    expect(body.oneOf.map((schema: { $ref: string }) => schema.$ref).sort()).toEqual([
      '#/components/schemas/DatabaseWebhookBody',
      '#/components/schemas/SignedEventBody',
    ]);
  });

  it('says how to get a token: POST /auth/login, then Authorize', () => {
    expect(document.info.description).toContain('POST /auth/login');
    expect(document.info.description).toContain('Authorize');
  });
});
