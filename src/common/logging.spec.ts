import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { REDACTED_PATHS, readableLogStream, serializeError } from './logging.js';

function readableLines(write: (logger: pino.Logger) => void): string[] {
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = pino(
    { redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } },
    readableLogStream(output, false),
  );
  write(logger);
  return chunks.join('').split('\n').filter(Boolean);
}

describe('readable development logs', () => {
  it('writes a request as one line: method, path, status and time', () => {
    const [line] = readableLines((logger) =>
      logger.info(
        { req: { id: 'r1', method: 'POST', url: '/auth/users/sync' }, res: { statusCode: 200 }, responseTime: 12.4 },
        'request completed',
      ),
    );
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: POST \/auth\/users\/sync -> 200 in 12 ms$/);
  });

  it('names the context, keeps other fields on the same line, and shows redacted values redacted', () => {
    const lines = readableLines((logger) =>
      logger.warn(
        { context: 'WebhooksService', outcome: 'refused', detail: 'Key (phone)=(+447700900123)', token: 'secret-token' },
        'delivery refused',
      ),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WARN: [WebhooksService] delivery refused');
    expect(lines[0]).toContain('"outcome":"refused"');
    expect(lines[0]).not.toContain('+447700900123');
    expect(lines[0]).not.toContain('secret-token');
  });

  it('redacts the same fields inside a logged object', () => {
    const [line] = readableLines((logger) => logger.error({ err: { message: 'unique', detail: 'Key (phone)=(+447700900123)' } }, 'failed'));
    expect(line).toContain('ERROR: failed');
    expect(line).not.toContain('+447700900123');
  });

  it('censors secret fields of an error however deep the driver nests them', () => {
    const error = Object.assign(new Error('Unique constraint failed'), {
      meta: { driverAdapterError: { cause: { kind: 'postgres', detail: 'Key (phone)=(+447700900123) already exists.' } } },
    });
    const written = readableLines((logger) => logger.error({ err: error }, 'write failed')).join('\n');
    expect(written).toContain('Unique constraint failed');
    expect(written).toContain('postgres');
    expect(written).not.toContain('+447700900123');
  });
});
