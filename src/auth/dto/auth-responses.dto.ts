import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
