import { Controller, Get, Ip, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RefuseAnonymous } from '../common/anonymous-users.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
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
  @ApiOkResponse({ type: MeResponse, description: 'The mirrored user and profile (`profile` is null only before the first sync made one)' })
  @ApiErrors(...GUARD_REFUSALS, 'anonymous_user', 'user_not_found')
  me(@CurrentUser() caller: AuthenticatedUser): Promise<MeResponse> {
    return this.users.getMe(caller.id);
  }

  @Get('lookup')
  @RefuseAnonymous()
  @ApiOperation({ summary: 'Who holds a phone number (any common format): id and display name only; rate-limited per caller' })
  @ApiOkResponse({ type: PhoneLookupResponse, description: 'The live user holding the number: id and display name only' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'user_not_found', 'rate_limited')
  lookup(@CurrentUser() caller: AuthenticatedUser, @Query() query: PhoneLookupQuery, @Ip() ip: string): Promise<PhoneLookupResponse> {
    return this.phones.lookupByPhone(query.phone, caller.id, ip);
  }
}
