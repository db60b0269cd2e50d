import { Body, Controller, Get, HttpCode, Param, Patch, Query, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/admin.decorator.js';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { apiError } from '../common/errors.js';
import { isUuid } from '../common/uuid.js';
import { AdminUsersService } from './admin-users.service.js';
import { AppMetadataPushes } from './app-metadata-pushes.js';
import { AdminUserDetail, AdminUserDetailQuery } from './dto/admin-user-detail.dto.js';
import { UserTimelineService } from './user-timeline.service.js';
import { appMetadataPatch } from './dto/app-metadata.dto.js';
import { AdminUsersCsvQuery, AdminUsersQuery, AdminUsersResponse } from './dto/admin-users.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin')
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsersService,
    private readonly appMetadata: AppMetadataPushes,
    private readonly timeline: UserTimelineService,
  ) {}

  @Get('users')
  @ApiOperation({
    summary: 'Query the mirrored users (admins only)',
    description:
      "Every filter is an index scan of live users; pages are keyset pages (`cursor`), stable while users change between them. Audited with the admin's id.",
  })
  @ApiOkResponse({ type: AdminUsersResponse, description: 'A page of users with their profiles, and the cursor of the next page' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'forbidden')
  search(@CurrentUser() admin: AuthenticatedUser, @Query() query: AdminUsersQuery): Promise<AdminUsersResponse> {
    return this.users.search(admin, query);
  }

  @Get('users.csv')
  @ApiOperation({
    summary: 'The same query as CSV, streamed (admins only)',
    description: 'Every matching user, read 1,000 at a time by keyset pages: the answer starts at once and memory stays flat. Audited.',
  })
  @ApiOkResponse({ description: "RFC 4180 CSV with a header line; text a spreadsheet would run as a formula is prefixed with `'`" })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'forbidden')
  async csv(@CurrentUser() admin: AuthenticatedUser, @Query() query: AdminUsersCsvQuery): Promise<StreamableFile> {
    const lines = await this.users.csv(admin, query);
    return new StreamableFile(Readable.from(lines), { type: 'text/csv; charset=utf-8', disposition: 'attachment; filename="users.csv"' });
  }

  @Get('users/:id')
  @ApiOperation({
    summary: "A user's row, profile, devices and timeline (admins only; audited)",
    description:
      "The timeline merges, newest first, what the service knows happened to the user: sign-up, syncs and their source, sign-ins and failures, deliveries applied or ignored, reconcile repairs, profile and onboarding changes, devices, metadata pushes, deletion and each clean-up outcome. A deletion takes the user's own records with it (their app data); the deletion record, the clean-up outcomes and the delivery ledger stay.",
  })
  @ApiOkResponse({ type: AdminUserDetail, description: 'The user (null once deleted), profile, devices and a page of the timeline' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'forbidden', 'user_not_found')
  detail(@CurrentUser() admin: AuthenticatedUser, @Param('id') id: string, @Query() query: AdminUserDetailQuery): Promise<AdminUserDetail> {
    if (!isUuid(id)) throw apiError('user_not_found', { message: 'Neither the mirror nor its records know this id' });
    return this.timeline.detail(admin, id.toLowerCase(), query);
  }

  @Patch('users/:id/app-metadata')
  @HttpCode(202)
  @ApiOperation({
    summary: "Merge keys into a user's app_metadata, e.g. a tier or a role (admins only; audited)",
    description:
      "Pushed to Supabase by a durable job; once Supabase has it, the user's older tokens get 401 `token_stale`, so the client refreshes and sees the new claims without signing out. `null` removes a key; `provider` and `providers` are Supabase's.",
  })
  @ApiBody({ schema: { type: 'object', description: 'The keys to merge into app_metadata', example: { tier: 'pro' } } })
  @ApiAcceptedResponse({ description: 'Recorded; pushed to Supabase at once, or retried until Supabase takes it' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'forbidden', 'user_not_found')
  async changeAppMetadata(@CurrentUser() admin: AuthenticatedUser, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    const patch = appMetadataPatch(body);
    if (!isUuid(id) || !(await this.appMetadata.request(admin, id.toLowerCase(), patch)))
      throw apiError('user_not_found', { message: 'No live user of the mirror has this id' });
  }
}
