import { Body, Controller, Delete, HttpCode, Ip } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import { AccountDeletionService } from './account-deletion.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { AccountDeletionRequest } from './dto/auth-requests.dto.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class AccountController {
  constructor(private readonly accounts: AccountDeletionService) {}

  @Delete('me')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete my account: Supabase user, mirror row and everything I own',
    description: 'Needs the password, or a sign-in within REAUTHENTICATION_WINDOW_MINUTES (default 10) as the token records it (`amr`).',
  })
  @ApiNoContentResponse({ description: 'Deleted; the tokens of the user stop working at once' })
  @ApiErrors(
    'validation_failed',
    ...GUARD_REFUSALS,
    'invalid_credentials',
    'reauthentication_required',
    'anonymous_user',
    'password_check_unavailable',
    'rate_limited',
    'supabase_unavailable',
  )
  async remove(@CurrentUser() caller: AuthenticatedUser, @Body() request: AccountDeletionRequest, @Ip() ip: string): Promise<void> {
    await this.accounts.deleteAccount(caller, request?.password, ip);
  }
}
