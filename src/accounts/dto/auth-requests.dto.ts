import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { Trimmed } from '../../profiles/dto/profile-fields.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class SignupRequest {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(lower)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  /** Checked against the configured policy (422 `weak_password` with reasons). */
  @ApiProperty({ example: 'Correct-Horse-42', minLength: 1, maxLength: 72 })
  @IsString()
  @MinLength(1)
  @MaxLength(72)
  password: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  displayName?: string;

  /** Any common format; stored in E.164. */
  @ApiPropertyOptional({ example: '+44 7700 900123' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string;

  /**
   * Where the confirmation email's link leads once followed (your app's page). It must be in the
   * Supabase project's redirect allow list; otherwise Supabase uses its site URL.
   */
  @ApiPropertyOptional({
    example: 'http://localhost:5173/',
    description: "Where the confirmation link leads (must be in the project's redirect allow list)",
  })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true }, { message: 'redirectTo must be an http(s) URL' })
  @MaxLength(2048)
  redirectTo?: string;
}

export class LoginRequest {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(lower)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'Correct-Horse-42' })
  @IsString()
  @MinLength(1)
  @MaxLength(72)
  password: string;
}

export class RefreshRequest {
  @ApiProperty({ description: 'The refresh token of the session' })
  @IsString()
  @MinLength(8)
  @MaxLength(2048)
  refreshToken: string;
}

export class OtpRequest {
  /** Any common format; Supabase gets E.164. */
  @ApiProperty({ example: '+44 7911 123456' })
  @IsString()
  @MaxLength(40)
  phone: string;
}

export class OtpVerifyRequest extends OtpRequest {
  @ApiProperty({ example: '123456', description: 'The code from the SMS' })
  @IsString()
  @Matches(/^[0-9]{6,10}$/, { message: 'code must be the 6 to 10 digits of the SMS' })
  code: string;

  /** What the user calls this device; shown in the device list. */
  @ApiPropertyOptional({ example: 'Work phone', maxLength: 100 })
  @IsOptional()
  @Trimmed()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  deviceName?: string;
}

export const LOGOUT_SCOPES = ['local', 'others', 'global'] as const;

export class LogoutRequest {
  /** `local` ends this session, `others` every other one, `global` all (default). */
  @ApiPropertyOptional({ enum: LOGOUT_SCOPES, default: 'global' })
  @IsOptional()
  @IsIn(LOGOUT_SCOPES)
  scope?: (typeof LOGOUT_SCOPES)[number];
}

export class AccountDeletionRequest {
  /**
   * The current password, checked through Supabase. Not needed after a recent sign-in
   * (REAUTHENTICATION_WINDOW_MINUTES): users without a password prove it that way.
   */
  @ApiPropertyOptional({ description: 'The current password; not needed within REAUTHENTICATION_WINDOW_MINUTES (default 10) of a sign-in' })
  // Absent is allowed; null is not a password (IsOptional would let it through).
  @ValidateIf((request: AccountDeletionRequest) => request.password !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(72)
  password?: string;
}

export class PasswordChangeRequest {
  @ApiProperty({ example: 'Correct-Horse-43', description: 'The new password (the signup policy applies)' })
  @IsString()
  @MinLength(1)
  @MaxLength(72)
  password: string;

  @ApiPropertyOptional({ description: 'The current password; not needed within REAUTHENTICATION_WINDOW_MINUTES (default 10) of a sign-in' })
  @ValidateIf((request: PasswordChangeRequest) => request.currentPassword !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(72)
  currentPassword?: string;
}
