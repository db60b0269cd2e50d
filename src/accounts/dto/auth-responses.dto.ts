import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DeviceDto } from '../../devices/dto/device.dto.js';
import { ProfileResponse } from '../../profiles/dto/profile.dto.js';
import { UserResponse } from '../../users/dto/user.dto.js';
import { SessionResponse } from './session.dto.js';

export class SignupResponse {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ type: ProfileResponse })
  profile: ProfileResponse;

  /** Present when the email needs no confirmation (and not on an Idempotency-Key replay). */
  @ApiPropertyOptional({ type: SessionResponse })
  session?: SessionResponse;

  /**
   * With email confirmation on: whether Supabase sent the confirmation email. `not_sent` when it
   * refused (its email rate limit, or it could not be reached): the user exists, and the client
   * asks for the email again with supabase.auth.resend({ type: 'signup', email }).
   */
  @ApiPropertyOptional({ enum: ['sent', 'not_sent'] })
  confirmationEmail?: 'sent' | 'not_sent';
}

export class LoginResponse {
  @ApiProperty({ type: SessionResponse })
  session: SessionResponse;

  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ type: ProfileResponse })
  profile: ProfileResponse;
}

export class RefreshResponse {
  @ApiProperty({ type: SessionResponse })
  session: SessionResponse;
}

export class OtpVerifyResponse extends LoginResponse {
  /** Null only when the user is not in the mirror, which the sign-in has just made sure of. */
  @ApiProperty({ type: DeviceDto, nullable: true, description: 'The device this sign-in made (its `id` is the session id)' })
  device: DeviceDto | null;
}
