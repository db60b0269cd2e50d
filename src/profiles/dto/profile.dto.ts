import { ApiProperty } from '@nestjs/swagger';

/** App-owned profile fields of a user. */
export class ProfileResponse {
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  displayName: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Ada' })
  firstName: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Lovelace' })
  lastName: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Software' })
  industry: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Engineer' })
  jobTitle: string | null;

  @ApiProperty({ example: false })
  emailConsent: boolean;

  @ApiProperty({ example: false })
  onboardingCompleted: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  onboardedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
}

/** The caller's profile after a change. */
export class MyProfileResponse {
  @ApiProperty({ type: ProfileResponse })
  profile: ProfileResponse;
}
