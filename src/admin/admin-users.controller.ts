import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/admin.decorator.js';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminUsersCsvQuery, AdminUsersQuery, AdminUsersResponse } from './dto/admin-users.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

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
  @ApiProduces('text/csv')
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
}
