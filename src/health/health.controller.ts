import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  PrismaHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { Public } from '../common/public.decorator.js';
import { apiError } from '../common/errors.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { PrismaService } from '../database/prisma.service.js';
import { PullIntakeService } from '../intake/pull-intake.service.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: PrismaHealthIndicator,
    private readonly prisma: PrismaService,
    private readonly intake: PullIntakeService,
  ) {}

  @Get()
  @Public()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness and Postgres reachability; with the pull intake, its lag and backlog (for information)' })
  @ApiOkResponse({ description: 'Postgres answers', schema: { example: { status: 'ok', info: { database: { status: 'up' } } } } })
  @ApiErrors('unhealthy')
  async check(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', this.prisma, { timeout: 2_000 }),
        () => this.intakeStatus(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Terminus' answer carries the driver's own error text: the body says only what is down.
      throw apiError('unhealthy', { details: { database: { status: 'down' } } });
    }
  }

  /** The pull intake's figures where it runs: a lagging intake is news, not an unhealthy instance. */
  private intakeStatus(): HealthIndicatorResult {
    const { running, lastLagMs, backlog, applied, duplicates, dropped } = this.intake.status;
    return running ? { intake: { status: 'up', lastLagMs, backlog, applied, duplicates, dropped } } : {};
  }
}
