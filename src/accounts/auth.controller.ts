import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { validationFailed } from '../common/errors.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { BearerToken, IdempotencyKeyHeader } from '../common/request-headers.decorator.js';
import { AllowAnonymous } from '../common/anonymous-users.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { LoginRequest, LogoutRequest, RefreshRequest, SignupRequest } from './dto/auth-requests.dto.js';
import { LoginResponse, RefreshResponse, SignupResponse } from './dto/auth-responses.dto.js';
import { SyncUserResponse } from './dto/sync-user-response.dto.js';
import { Public } from '../common/public.decorator.js';
import { SessionsService } from './sessions.service.js';
import { SignupService } from './signup/signup.service.js';
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
  @ApiOperation({
    summary: 'Mirror the signed-in user (call after each Supabase sign-in)',
    description:
      "Reads the caller from Supabase's admin API (the authority), writes the mirror row (only a newer version wins) and makes the profile on first sight.",
  })
  @ApiOkResponse({
    type: SyncUserResponse,
    description:
      'The mirrored user and profile; `created` is true for the one call that made the row, `source` says where the data came from',
  })
  @ApiErrors('invalid_token', 'user_deleted', 'anonymous_user')
  sync(@CurrentUser() caller: AuthenticatedUser): Promise<SyncUserResponse> {
    return this.userSync.sync(caller);
  }

  @Post('signup')
  @Public()
  @ApiOperation({
    summary: 'Create a user in Supabase and the mirror, atomically (a saga with compensation)',
    description:
      'With email confirmation on (SIGNUP_EMAIL_CONFIRMATION), Supabase sends the confirmation email; the link leads to `redirectTo`.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A retry with the same key returns the first result (8 to 200 of A-Z a-z 0-9 . _ : -)',
  })
  @ApiCreatedResponse({ type: SignupResponse, description: 'The new user and profile; `session` when the email needs no confirmation' })
  @ApiErrors(
    'validation_failed',
    'email_exists',
    'phone_exists',
    'signup_in_progress',
    'user_deleted_since',
    'weak_password',
    'idempotency_key_reused',
    'rate_limited',
    'supabase_unavailable',
    'signup_failed',
  )
  signup(@Body() request: SignupRequest, @Ip() ip: string, @IdempotencyKeyHeader() idempotencyKey?: string): Promise<SignupResponse> {
    return this.signups.signup(request, validIdempotencyKey(idempotencyKey), ip);
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Password sign-in through Supabase; refuses unconfirmed emails; mirrors the user' })
  @ApiOkResponse({
    type: LoginResponse,
    description: 'The session (use `session.accessToken` as the bearer token), the mirrored user and profile',
  })
  @ApiErrors(
    'validation_failed',
    'invalid_credentials',
    'user_deleted',
    'email_not_confirmed',
    'user_banned',
    'rate_limited',
    'supabase_unavailable',
  )
  login(@Body() request: LoginRequest, @Ip() ip: string): Promise<LoginResponse> {
    return this.sessions.login(request.email, request.password, ip);
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'A new session from a refresh token (passed through to Supabase)' })
  @ApiOkResponse({ type: RefreshResponse, description: 'The new session; its refresh token replaces the one sent' })
  @ApiErrors('validation_failed', 'invalid_refresh_token', 'user_deleted', 'user_banned', 'rate_limited', 'supabase_unavailable')
  refresh(@Body() request: RefreshRequest, @Ip() ip: string): Promise<RefreshResponse> {
    return this.sessions.refresh(request.refreshToken, ip);
  }

  @Post('logout')
  @HttpCode(204)
  @AllowAnonymous()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session (`local`), the others (`others`) or all of them (`global`, the default)' })
  @ApiNoContentResponse({ description: 'Logged out (also when Supabase had already ended the session)' })
  @ApiErrors('validation_failed', 'invalid_token', 'supabase_unavailable')
  async logout(@Body() request: LogoutRequest, @BearerToken() accessToken: string): Promise<void> {
    await this.sessions.logout(accessToken, request?.scope ?? 'global');
  }
}

function validIdempotencyKey(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw validationFailed([
      { field: 'Idempotency-Key', problems: ['Idempotency-Key must be 8 to 200 characters of A-Z a-z 0-9 . _ : -'] },
    ]);
  }
  return value;
}
