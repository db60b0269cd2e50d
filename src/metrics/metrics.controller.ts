import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Public } from '../common/public.decorator.js';
import { MetricsEndpoint } from './metrics-endpoint.js';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly endpoint: MetricsEndpoint) {}

  /** Public for the JWT guard: it takes METRICS_TOKEN, not a user's token. */
  @Get()
  @Public()
  @ApiBearerAuth('metrics')
  @ApiOperation({
    summary: 'Prometheus metrics (text format), with the METRICS_TOKEN bearer token; METRICS_PORT serves them without one',
  })
  @ApiOkResponse({
    description: 'The Prometheus text format (docs/operations.md, "Metrics and alerts")',
    content: { 'text/plain': { schema: { type: 'string', example: 'authmirror_reconcile_repairs_total{change="created"} 0' } } },
  })
  @ApiErrors('invalid_metrics_token', 'metrics_off')
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    this.endpoint.authorize(authorization);
    reply.header('content-type', this.endpoint.contentType);
    return this.endpoint.render();
  }
}
