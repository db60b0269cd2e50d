import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsString, Length } from 'class-validator';
import { PROFILE_TEXT_MAX, Trimmed } from './profile-fields.js';

/** `POST /profiles/me/onboarding`: the onboarding answers, all required. */
export class CompleteOnboardingRequest {
  /** Industry the user works in. */
  @ApiProperty({ minLength: 1, maxLength: PROFILE_TEXT_MAX, example: 'Software' })
  @Trimmed()
  @IsString()
  @Length(1, PROFILE_TEXT_MAX)
  industry: string;

  /** Job title. */
  @ApiProperty({ minLength: 1, maxLength: PROFILE_TEXT_MAX, example: 'Engineer' })
  @Trimmed()
  @IsString()
  @Length(1, PROFILE_TEXT_MAX)
  jobTitle: string;

  /** Whether the user agrees to receive email. */
  @ApiProperty({ example: true })
  @IsBoolean()
  emailConsent: boolean;
}
