import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, Length, ValidateIf } from 'class-validator';
import { PROFILE_TEXT_MAX, Trimmed } from './profile-fields.js';

const given = (_object: object, value: unknown) => value !== undefined;

/**
 * `PATCH /profiles/me`: the fields to change. Every field is optional, at least one is required;
 * an omitted field is left as it is (null is refused: send a value).
 */
export class UpdateProfileRequest {
  /** Name shown in the app; also pushed to Supabase `user_metadata.display_name`. */
  @ApiPropertyOptional({ minLength: 1, maxLength: PROFILE_TEXT_MAX, example: 'Ada Lovelace' })
  @ValidateIf(given)
  @Trimmed()
  @IsString()
  @Length(1, PROFILE_TEXT_MAX)
  displayName?: string;

  /** Given name. */
  @ApiPropertyOptional({ minLength: 1, maxLength: PROFILE_TEXT_MAX, example: 'Ada' })
  @ValidateIf(given)
  @Trimmed()
  @IsString()
  @Length(1, PROFILE_TEXT_MAX)
  firstName?: string;

  /** Family name. */
  @ApiPropertyOptional({ minLength: 1, maxLength: PROFILE_TEXT_MAX, example: 'Lovelace' })
  @ValidateIf(given)
  @Trimmed()
  @IsString()
  @Length(1, PROFILE_TEXT_MAX)
  lastName?: string;

  /** Industry the user works in; pushed to `user_metadata.industry`. */
  @ApiPropertyOptional({ minLength: 1, maxLength: PROFILE_TEXT_MAX, example: 'Software' })
  @ValidateIf(given)
  @Trimmed()
  @IsString()
  @Length(1, PROFILE_TEXT_MAX)
  industry?: string;

  /** Job title; pushed to `user_metadata.job_title`. */
  @ApiPropertyOptional({ minLength: 1, maxLength: PROFILE_TEXT_MAX, example: 'Engineer' })
  @ValidateIf(given)
  @Trimmed()
  @IsString()
  @Length(1, PROFILE_TEXT_MAX)
  jobTitle?: string;

  /** Whether the user agrees to receive email; pushed to `user_metadata.email_consent`. */
  @ApiPropertyOptional({ example: true })
  @ValidateIf(given)
  @IsBoolean()
  emailConsent?: boolean;
}

/** The fields of an update that are set (the body's keys, after validation). */
export function changedFields(update: UpdateProfileRequest): Array<keyof UpdateProfileRequest> {
  return (Object.keys(update) as Array<keyof UpdateProfileRequest>).filter((key) => update[key] !== undefined);
}
