import { ApiProperty } from '@nestjs/swagger';
import { ProfileResponse } from '../../profiles/dto/profile.dto.js';

/** The mirrored identity of a Supabase user. */
export class UserResponse {
  @ApiProperty({ format: 'uuid', example: '3f0e8a4c-5a7e-4d0b-9d43-5b0e2cbb9a10' })
  id: string;

  @ApiProperty({ type: String, nullable: true, example: 'ada@example.com' })
  email: string | null;

  /** E.164 with its `+`. */
  @ApiProperty({ type: String, nullable: true, example: '+447700900123' })
  phone: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  emailConfirmedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  phoneConfirmedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSignInAt: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'authenticated' })
  role: string | null;

  @ApiProperty({ example: false })
  isAnonymous: boolean;

  /** Admin-only Supabase metadata (provider, tier, role…). */
  @ApiProperty({
    type: 'object',
    properties: {},
    description: 'Supabase `app_metadata` (only the service role writes it)',
    example: { provider: 'email', providers: ['email'] },
  })
  appMetadata: Record<string, unknown>;

  /** User-editable Supabase metadata. */
  @ApiProperty({
    type: 'object',
    properties: {},
    description: 'Supabase `user_metadata` (the user may write it)',
    example: { display_name: 'Ada Lovelace', onboarding_completed: false },
  })
  userMetadata: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  createdAt: string | null;

  /** Supabase's `updated_at`: the version of this copy. Null while only token claims are known. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  updatedAt: string | null;

  /** When this service last wrote the row. */
  @ApiProperty({ type: String, format: 'date-time' })
  syncedAt: string;
}

export class MeResponse {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ type: ProfileResponse, nullable: true })
  profile: ProfileResponse | null;
}
