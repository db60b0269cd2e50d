import { Body, Controller, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AtLeastOneFieldPipe } from './at-least-one-field.pipe.js';
import { CompleteOnboardingRequest } from './dto/complete-onboarding.dto.js';
import { MyProfileResponse } from './dto/profile.dto.js';
import { UpdateProfileRequest } from './dto/update-profile.dto.js';
import { ProfilesService } from './profiles.service.js';

const UPDATABLE_FIELDS = ['displayName', 'firstName', 'lastName', 'industry', 'jobTitle', 'emailConsent'];

@ApiTags('profiles')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_token`, or `user_deleted` for a deleted user' })
@ApiNotFoundResponse({ type: ErrorResponse, description: '`profile_not_found`: not synced yet (call `POST /auth/users/sync` first)' })
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Patch('me')
  @ApiOperation({
    summary: "Change the caller's profile",
    description: 'Only the fields given change; at least one is required. `displayName`, `industry`, `jobTitle` and `emailConsent` are then pushed to Supabase `user_metadata` in the background (the token shows them after a refresh).',
  })
  @ApiOkResponse({ type: MyProfileResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`: no field, a wrong type, an empty or too long text, or an unknown field' })
  async update(
    @CurrentUser() caller: AuthenticatedUser,
    @Body(new AtLeastOneFieldPipe(UPDATABLE_FIELDS)) update: UpdateProfileRequest,
  ): Promise<MyProfileResponse> {
    return { profile: await this.profiles.updateProfile(caller.id, update) };
  }

  @Post('me/onboarding')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Complete onboarding',
    description: 'Records the answers and sets `onboardingCompleted`. Idempotent: onboarding again answers 200, replaces the answers and keeps the first `onboardedAt` (no 409). `onboarding_completed`, `industry`, `job_title` and `email_consent` are then pushed to Supabase `user_metadata` in the background.',
  })
  @ApiOkResponse({ type: MyProfileResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`validation_failed`: a missing field, a wrong type, an empty or too long text, or an unknown field' })
  async onboard(@CurrentUser() caller: AuthenticatedUser, @Body() answers: CompleteOnboardingRequest): Promise<MyProfileResponse> {
    return { profile: await this.profiles.completeOnboarding(caller.id, answers) };
  }
}
