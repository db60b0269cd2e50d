import { Body, Controller, Delete, HttpCode, Ip, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import { AccountDeletionService } from './account-deletion.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { Client, type ClientInfo } from '../common/request-headers.decorator.js';
import { AccountDeletionRequest, PasswordChangeRequest } from './dto/auth-requests.dto.js';
import { RefreshResponse } from './dto/auth-responses.dto.js';
import { PasswordChangeService } from './password-change.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class AccountController {
  constructor(
    private readonly accounts: AccountDeletionService,
    private readonly passwords: PasswordChangeService,
  ) {}

  @Put('me/password')
  @ApiOperation({
    summary: 'Change my password: every other session ends, here and in Supabase; this one is replaced by the returned session',
    description: 'Needs the current password, or a sign-in within REAUTHENTICATION_WINDOW_MINUTES (default 10).',
  })
  @ApiOkResponse({
    type: RefreshResponse,
    description: 'A new session, signed in with the new password (the old tokens get 401 `session_revoked`)',
  })
  @ApiErrors(
    'validation_failed',
    ...GUARD_REFUSALS,
    'invalid_credentials',
    'password_changed_sign_in_again',
    'reauthentication_required',
    'anonymous_user',
    'password_check_unavailable',
    'weak_password',
    'rate_limited',
    'password_change_failed',
  )
  changePassword(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() request: PasswordChangeRequest,
    @Client() client: ClientInfo,
  ): Promise<RefreshResponse> {
    return this.passwords.change(caller, request.password, request.currentPassword, client);
  }

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
