import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/admin.decorator.js';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { AdminJobsService } from './admin-jobs.service.js';
import { AdminJobsQuery, AdminJobsResponse, JobIdParam } from './dto/admin-jobs.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin/jobs')
export class AdminJobsController {
  constructor(private readonly jobs: AdminJobsService) {}

  @Get()
  @ApiOperation({ summary: 'Background jobs that failed and are retrying, or are dead (admins only)' })
  @ApiOkResponse({ type: AdminJobsResponse, description: 'Oldest first; `nextCursor` for the next page' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'forbidden')
  list(@Query() query: AdminJobsQuery): Promise<AdminJobsResponse> {
    return this.jobs.list(query);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a failed or dead job again now, with all its attempts back (admins only; audited)' })
  @ApiAcceptedResponse({ description: 'Queued to run at once' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'forbidden', 'job_not_found')
  async retry(@CurrentUser() admin: AuthenticatedUser, @Param() params: JobIdParam): Promise<void> {
    await this.jobs.retry(admin, params.id);
  }
}
