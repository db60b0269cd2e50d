import { ApiProperty, OmitType } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { Trimmed } from '../../profiles/dto/profile-fields.js';
import type { DeviceRow } from '../devices.repository.js';

/** One signed-in device: a Supabase session of the user. */
export class DeviceDto {
  @ApiProperty({ format: 'uuid', description: "The Supabase session id (the access token's `session_id`)" })
  id: string;

  @ApiProperty({ type: String, nullable: true, example: 'Work laptop' })
  name: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64) …' })
  userAgent: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ format: 'date-time' })
  firstSeenAt: string;

  @ApiProperty({ format: 'date-time', description: 'Refreshed at most once a minute' })
  lastSeenAt: string;

  @ApiProperty({ description: 'True for the device whose token made this request' })
  current: boolean;
}

export class DeviceListResponse {
  @ApiProperty({ type: [DeviceDto] })
  items: DeviceDto[];
}

export class DeviceResponse {
  @ApiProperty({ type: DeviceDto })
  device: DeviceDto;
}

export class RenameDeviceRequest {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Work laptop', description: 'Trimmed' })
  @Trimmed()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

export function toDevice(row: DeviceRow, currentSessionId: string | null): DeviceDto {
  return {
    id: row.id,
    name: row.name,
    userAgent: row.user_agent,
    ip: row.ip,
    firstSeenAt: row.first_seen_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    current: row.id === currentSessionId,
  };
}

/** A device as an operator sees it (GET /admin/users/{id}): revoked ones too. */
export class OperatorDeviceDto extends OmitType(DeviceDto, ['current'] as const) {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the user or a logout ended it' })
  revokedAt: string | null;
}

export function toOperatorDevice(row: DeviceRow): OperatorDeviceDto {
  const { id, name, userAgent, ip, firstSeenAt, lastSeenAt } = toDevice(row, null);
  return { id, name, userAgent, ip, firstSeenAt, lastSeenAt, revokedAt: row.revoked_at?.toISOString() ?? null };
}
