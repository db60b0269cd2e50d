import { Controller, Get, Ip, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { RefuseAnonymous } from '../auth/anonymous-users.decorator.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { PhoneLookupQuery, PhoneLookupResponse } from './dto/phone-lookup.dto.js';
import { MeResponse } from './dto/user.dto.js';
import { PhoneLookupService } from './phone-lookup.service.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly phones: PhoneLookupService,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user as mirrored, with their profile' })
  @ApiOkResponse({ type: MeResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token` or `user_deleted`' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: '`user_not_found`: not synced yet' })
  me(@CurrentUser() caller: AuthenticatedUser): Promise<MeResponse> {
    return this.users.getMe(caller.id);
  }

  @Get('lookup')
  @RefuseAnonymous()
  @ApiOperation({ summary: 'Who holds a phone number (any common format): id and display name only; rate-limited per caller' })
  @ApiOkResponse({ type: PhoneLookupResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`: not a phone number' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token` or `user_deleted`' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: '`user_not_found`: no live user has this number' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: '`anonymous_user`: anonymous users may not look numbers up' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: '`rate_limited`, with Retry-After (RATE_LIMIT_LOOKUP_PER_USER a minute per caller, RATE_LIMIT_LOOKUP_PER_IP per address)' })
  lookup(@CurrentUser() caller: AuthenticatedUser, @Query() query: PhoneLookupQuery, @Ip() ip: string): Promise<PhoneLookupResponse> {
    return this.phones.lookupByPhone(query.phone, caller.id, ip);
  }
}
