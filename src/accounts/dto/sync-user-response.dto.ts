import { ApiProperty } from '@nestjs/swagger';
import { ProfileResponse } from '../../profiles/dto/profile.dto.js';
import { UserResponse } from '../../users/dto/user.dto.js';

export const SYNC_SOURCES = ['admin_api', 'token_claims'] as const;
export type SyncSource = (typeof SYNC_SOURCES)[number];

/** The mirrored user after a sync. */
export class SyncUserResponse {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ type: ProfileResponse })
  profile: ProfileResponse;

  /** True when this call created the mirror row. */
  @ApiProperty({ example: true, description: 'True for the one call that created the mirror row (the first sign-in); false after' })
  created: boolean;

  /**
   * Where the data came from: `admin_api` (authoritative), or `token_claims` when Supabase's admin
   * API could not be reached; then only a missing row is created and newer data is never overwritten.
   */
  @ApiProperty({
    enum: SYNC_SOURCES,
    example: 'admin_api',
    description:
      "`admin_api`: read from Supabase's admin API (the authority). `token_claims`: Supabase could not be reached, so the row was made from the token's claims, only if it did not exist (never overwriting newer data); the next sync or delivery replaces it",
  })
  source: SyncSource;
}
