import { Body, Controller, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import { AtLeastOneFieldPipe } from './at-least-one-field.pipe.js';
import { CompleteOnboardingRequest } from './dto/complete-onboarding.dto.js';
import { MyProfileResponse } from './dto/profile.dto.js';
import { UpdateProfileRequest } from './dto/update-profile.dto.js';
import { ProfilesService } from './profiles.service.js';

const UPDATABLE_FIELDS = ['displayName', 'firstName', 'lastName', 'industry', 'jobTitle', 'emailConsent'];

@ApiTags('profiles')
@ApiBearerAuth()
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Patch('me')
  @ApiOperation({
    summary: "Change the caller's profile",
    description:
      'Only the fields given change; at least one is required. `displayName`, `industry`, `jobTitle` and `emailConsent` are then pushed to Supabase `user_metadata` in the background (the token shows them after a refresh).',
  })
  @ApiOkResponse({ type: MyProfileResponse, description: 'The profile as it now stands' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'profile_not_found')
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
    description:
      'Records the answers and sets `onboardingCompleted`. Idempotent: onboarding again answers 200, replaces the answers and keeps the first `onboardedAt` (no 409). `onboarding_completed`, `industry`, `job_title` and `email_consent` are then pushed to Supabase `user_metadata` in the background.',
  })
  @ApiOkResponse({ type: MyProfileResponse, description: 'The profile as it now stands' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'profile_not_found')
  async onboard(@CurrentUser() caller: AuthenticatedUser, @Body() answers: CompleteOnboardingRequest): Promise<MyProfileResponse> {
    return { profile: await this.profiles.completeOnboarding(caller.id, answers) };
  }
}
