import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { CurrentUser } from './current-user.decorator.js';
import { SyncUserResponse } from './dto/sync-user-response.dto.js';
import { UserSyncService } from './user-sync.service.js';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth')
export class AuthController {
  constructor(private readonly userSync: UserSyncService) {}

  @Post('users/sync')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mirror the signed-in user (call after each Supabase login)' })
  @ApiOkResponse({ type: SyncUserResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token`, or `user_deleted` for a deleted user' })
  sync(@CurrentUser() caller: AuthenticatedUser): Promise<SyncUserResponse> {
    return this.userSync.sync(caller);
  }
}
