import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { RateLimitGuard } from '../common/rate-limit.js';
import { PhoneLookupQuery, PhoneLookupResponse } from './dto/phone-lookup.dto.js';
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

  @Get('lookup')
  @UseGuards(RateLimitGuard)
  @SkipThrottle({ ip: true, account: true })
  @ApiOperation({ summary: 'Who holds a phone number (any common format): id and display name only; rate-limited per caller' })
  @ApiOkResponse({ type: PhoneLookupResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`: not a phone number' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token` or `user_deleted`' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: '`user_not_found`: no live user has this number' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: '`rate_limited`, with Retry-After (RATE_LIMIT_LOOKUP_PER_USER a minute)' })
  lookup(@Query() query: PhoneLookupQuery): Promise<PhoneLookupResponse> {
    return this.users.lookupByPhone(query.phone);
  }
}
