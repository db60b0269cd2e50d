import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/admin.decorator.js';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminUsersQuery, AdminUsersResponse } from './dto/admin-users.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
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
}
