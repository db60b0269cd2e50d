import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { MeResponse } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user as mirrored, with their profile' })
  @ApiOkResponse({ type: MeResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token` or `user_deleted`' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: '`user_not_found`: not synced yet' })
  me(@CurrentUser() caller: AuthenticatedUser): Promise<MeResponse> {
    return this.users.getMe(caller.id);
  }
}
