import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '@supabase/supabase-js';

/** A Supabase session, for supabase-js's `setSession` on the frontend. */
export class SessionResponse {
  @ApiProperty({ description: 'JWT access token (bearer for this API and for Supabase)' })
  accessToken: string;

  @ApiProperty({ description: 'Opaque refresh token, for POST /auth/refresh' })
  refreshToken: string;

  /** Unix seconds. */
  @ApiProperty({ example: 1795436400 })
  expiresAt: number;
}

export function toSessionResponse(session: Session): SessionResponse {
  return {
    accessToken: session.access_token,
    refreshToken: session.refresh_token,
    expiresAt: session.expires_at ?? Math.floor(Date.now() / 1000) + session.expires_in,
  };
}
