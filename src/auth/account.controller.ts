import { Body, Controller, Delete, HttpCode, Ip } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AccountDeletionService } from './account-deletion.service.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { CurrentUser } from './current-user.decorator.js';
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
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token`, `invalid_credentials` (wrong password), `user_deleted`' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: '`reauthentication_required` (no password, and no recent sign-in), `anonymous_user`' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: '`rate_limited`, with Retry-After: wrong passwords per user, calls per address' })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: '`supabase_unavailable`: the password could not be checked' })
  async remove(@CurrentUser() caller: AuthenticatedUser, @Body() request: AccountDeletionRequest, @Ip() ip: string): Promise<void> {
    await this.accounts.deleteAccount(caller, request?.password, ip);
  }
}
