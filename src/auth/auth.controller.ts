import { Body, Controller, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiError } from '../common/api-error.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AllowAnonymous } from './anonymous-users.decorator.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { CurrentUser } from './current-user.decorator.js';
import { LoginRequest, LogoutRequest, RefreshRequest, SignupRequest } from './dto/auth-requests.dto.js';
import { LoginResponse, RefreshResponse, SignupResponse } from './dto/auth-responses.dto.js';
import { SyncUserResponse } from './dto/sync-user-response.dto.js';
import { Public } from './public.decorator.js';
import { SessionsService } from './sessions.service.js';
import { SignupService } from './signup.service.js';
import { UserSyncService } from './user-sync.service.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,200}$/;

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly userSync: UserSyncService,
    private readonly signups: SignupService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('users/sync')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Mirror the signed-in user (call after each Supabase login)' })
  @ApiOkResponse({ type: SyncUserResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token`, or `user_deleted` for a deleted user' })
  sync(@CurrentUser() caller: AuthenticatedUser): Promise<SyncUserResponse> {
    return this.userSync.sync(caller);
  }

  @Post('signup')
  @Public()
  @ApiOperation({ summary: 'Create a user in Supabase and the mirror, atomically (a saga with compensation)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiCreatedResponse({ type: SignupResponse, description: 'With `session` when the email needs no confirmation' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed` with details per field' })
  @ApiConflictResponse({ type: ErrorResponse, description: '`email_exists`, `phone_exists`, `signup_in_progress`' })
  @ApiUnprocessableEntityResponse({ type: ErrorResponse, description: '`weak_password` with `details.reasons`; `idempotency_key_reused`' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: '`rate_limited`, with Retry-After' })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: '`supabase_unavailable` or `signup_failed` (undone; retry)' })
  signup(@Body() request: SignupRequest, @Ip() ip: string, @Headers('idempotency-key') idempotencyKey?: string): Promise<SignupResponse> {
    return this.signups.signup(request, validIdempotencyKey(idempotencyKey), ip);
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Password sign-in through Supabase; refuses unconfirmed emails; mirrors the user' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_credentials`, or `user_deleted`' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: '`email_not_confirmed`, `user_banned`' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: '`rate_limited`, with Retry-After' })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: '`supabase_unavailable`' })
  login(@Body() request: LoginRequest, @Ip() ip: string): Promise<LoginResponse> {
    return this.sessions.login(request.email, request.password, ip);
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'A new session from a refresh token (passed through to Supabase)' })
  @ApiOkResponse({ type: RefreshResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_refresh_token`, or `user_deleted`' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: '`user_banned`' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: '`rate_limited`, with Retry-After' })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: '`supabase_unavailable`' })
  refresh(@Body() request: RefreshRequest, @Ip() ip: string): Promise<RefreshResponse> {
    return this.sessions.refresh(request.refreshToken, ip);
  }

  @Post('logout')
  @HttpCode(204)
  @AllowAnonymous()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session (`local`), the others (`others`) or all of them (`global`, the default)' })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token`' })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: '`supabase_unavailable`' })
  async logout(@Body() request: LogoutRequest, @Headers('authorization') authorization: string): Promise<void> {
    await this.sessions.logout(authorization.slice('Bearer '.length).trim(), request?.scope ?? 'global');
  }
}

function validIdempotencyKey(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw new ApiError(400, 'validation_failed', 'The request is not valid', [
      { field: 'Idempotency-Key', problems: ['Idempotency-Key must be 8 to 200 characters of A-Z a-z 0-9 . _ : -'] },
    ]);
  }
  return value;
}
