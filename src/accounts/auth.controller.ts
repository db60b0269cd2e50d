import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { validationFailed } from '../common/errors.js';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import { BearerToken, Client, IdempotencyKeyHeader, type ClientInfo } from '../common/request-headers.decorator.js';
import { AllowAnonymous } from '../common/anonymous-users.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { LoginRequest, LogoutRequest, OtpRequest, OtpVerifyRequest, RefreshRequest, SignupRequest } from './dto/auth-requests.dto.js';
import { LoginResponse, OtpVerifyResponse, RefreshResponse, SignupResponse } from './dto/auth-responses.dto.js';
import { SyncUserResponse } from './dto/sync-user-response.dto.js';
import { Public } from '../common/public.decorator.js';
import { PhoneSignInService } from './phone-sign-in.service.js';
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
    private readonly phones: PhoneSignInService,
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
  @ApiErrors(...GUARD_REFUSALS, 'anonymous_user')
  sync(@CurrentUser() caller: AuthenticatedUser, @Client() client: ClientInfo): Promise<SyncUserResponse> {
    return this.userSync.sync(caller, client);
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
  login(@Body() request: LoginRequest, @Client() client: ClientInfo): Promise<LoginResponse> {
    return this.sessions.login(request.email, request.password, client);
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'A new session from a refresh token (passed through to Supabase)' })
  @ApiOkResponse({ type: RefreshResponse, description: 'The new session; its refresh token replaces the one sent' })
  @ApiErrors(
    'validation_failed',
    'invalid_refresh_token',
    'user_deleted',
    'session_revoked',
    'user_banned',
    'rate_limited',
    'supabase_unavailable',
  )
  refresh(@Body() request: RefreshRequest, @Client() client: ClientInfo): Promise<RefreshResponse> {
    return this.sessions.refresh(request.refreshToken, client);
  }

  @Post('logout')
  @HttpCode(204)
  @AllowAnonymous()
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'End this session (`local`), the others (`others`) or all of them (`global`, the default)',
    description: "In Supabase and here: the ended sessions' tokens get 401 `session_revoked` at once on every instance.",
  })
  @ApiNoContentResponse({ description: 'Logged out (also when Supabase had already ended the session)' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'logout_failed')
  async logout(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() request: LogoutRequest,
    @BearerToken() accessToken: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.sessions.logout(caller, accessToken, request?.scope ?? 'global', client);
  }

  @Post('otp')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a one-time sign-in code by SMS (through Supabase); an unknown number becomes a new user at verification',
    description: 'Rate-limited per number and per address (RATE_LIMIT_OTP_PER_PHONE, RATE_LIMIT_OTP_PER_IP), and by Supabase.',
  })
  @ApiAcceptedResponse({ description: 'A code is on its way' })
  @ApiErrors(
    'validation_failed',
    'user_banned',
    'phone_held_unconfirmed',
    'rate_limited',
    'phone_sign_in_unavailable',
    'supabase_unavailable',
  )
  async sendCode(@Body() request: OtpRequest, @Client() client: ClientInfo): Promise<void> {
    await this.phones.sendCode(request.phone, client);
  }

  @Post('otp/verify')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with the SMS code: a session, the mirrored user and this device',
    description: 'The same number on another device is the same user with a second device (GET /users/me/devices).',
  })
  @ApiOkResponse({ type: OtpVerifyResponse, description: 'The session, the mirrored user and profile, and this device' })
  @ApiErrors('validation_failed', 'invalid_otp', 'user_deleted', 'user_banned', 'rate_limited', 'supabase_unavailable')
  verifyCode(@Body() request: OtpVerifyRequest, @Client() client: ClientInfo): Promise<OtpVerifyResponse> {
    return this.phones.verify(request.phone, request.code, request.deviceName ?? null, client);
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
