import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiError } from '../common/errors.js';
import { generateRequestId } from '../common/request-id.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { Metrics } from './metrics.js';

/**
 * Who may read the metrics, and the second listener: `GET /metrics` on the API's port needs the METRICS_TOKEN bearer token
 * (refused as an unknown route without one); METRICS_PORT serves the metrics alone, without a token, for a scraper on a
 * private network (never expose it publicly).
 */
@Injectable()
export class MetricsEndpoint implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MetricsEndpoint.name);
  /** SHA-256 of the token: digests of equal length compare in constant time whatever the caller sends. */
  private readonly tokenDigest: Buffer | null;
  private server: Server | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const token = config.metrics.token;
    this.tokenDigest = token === null ? null : digest(token);
  }

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  /** Throws 404 `not_found` when no token is set, 401 `invalid_token` for a missing or wrong one. */
  authorize(authorization: string | undefined): void {
    if (this.tokenDigest === null) throw apiError('metrics_off');
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]), this.tokenDigest)) throw apiError('invalid_metrics_token');
  }

  render(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  /** The port METRICS_PORT listens on (0 picks a free one), or null; known once the application has started. */
  get port(): number | null {
    return (this.server?.address() as AddressInfo | null)?.port ?? null;
  }

  /** Only where the API serves HTTP: the reconcile CLI builds the same modules and must not take the port. */
  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metrics.port;
    if (port === null || !this.adapterHost.httpAdapter) return;
    const server = createServer((request, response) => void this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => resolve());
    });
    server.on('error', (error) => this.logger.error({ reason: error.message }, 'the metrics listener failed'));
    this.server = server;
    this.logger.log({ port: this.port }, 'metrics served on METRICS_PORT (keep it off public networks)');
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = generateRequestId(request);
    response.setHeader('x-request-id', requestId);
    if ((request.method !== 'GET' && request.method !== 'HEAD') || (request.url ?? '').split('?')[0] !== '/metrics') {
      failure(response, 404, { code: 'not_found', message: 'This port serves GET /metrics only', requestId });
      return;
    }
    try {
      const body = await this.render();
      response.writeHead(200, { 'content-type': this.contentType }).end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ requestId, err: error }, 'the metrics could not be rendered');
      failure(response, 500, { code: 'internal_error', message: 'The metrics could not be rendered', requestId });
    }
  }
}

/** The API's one error shape. */
function failure(response: ServerResponse, statusCode: number, body: { code: string; message: string; requestId: string }): void {
  response.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ statusCode, ...body }));
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
