import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { OperatorDeviceDto } from '../../devices/dto/device.dto.js';
import { ProfileResponse } from '../../profiles/dto/profile.dto.js';
import { UserResponse } from '../../users/dto/user.dto.js';

export class AdminUserDetailQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100, description: 'Timeline entries per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: "The previous answer's `nextCursor`: older entries" })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}

export class TimelineEntry {
  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({
    example: 'user.synced',
    description:
      'user.signed_up, user.synced, user.signed_in, login.failed, delivery.applied, delivery.ignored, reconcile.repaired, profile.updated, profile.onboarded, device.added, device.revoked, password.changed, admin.app_metadata.changed, app_metadata.pushed, user.deleted, cleanup.succeeded, cleanup.failed, …',
  })
  type: string;

  @ApiProperty({
    type: Object,
    example: { source: 'admin_api' },
    description: 'Ids, names and reasons: never personal data',
  })
  details: Record<string, unknown>;
}

export class AdminUserDetail {
  @ApiProperty({
    enum: ['live', 'banned', 'deleted'],
    description: '`deleted`: only a tombstone (or, once it is purged, the records that outlive it) is left',
  })
  status: 'live' | 'banned' | 'deleted';

  @ApiProperty({ type: UserResponse, nullable: true, description: 'Null once deleted' })
  user: UserResponse | null;

  @ApiProperty({ type: ProfileResponse, nullable: true })
  profile: ProfileResponse | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deletedAt: string | null;

  @ApiProperty({ type: [OperatorDeviceDto], description: 'Most recently seen first, revoked ones included' })
  devices: OperatorDeviceDto[];

  @ApiProperty({ type: [TimelineEntry], description: 'Newest first' })
  timeline: TimelineEntry[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for older entries; null when there are none' })
  nextCursor: string | null;
}
