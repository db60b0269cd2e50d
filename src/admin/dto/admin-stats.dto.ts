import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { STATS_BUCKETS, type StatsBucket } from '../admin-stats.sql.js';
import { IsInstant } from './admin-users.dto.js';

export class AdminStatsQuery {
  @ApiPropertyOptional({ description: 'Start of the range (included); default: 30 days before `to`', example: '2026-11-01T00:00:00Z' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'End of the range (excluded); default: now', example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({
    enum: STATS_BUCKETS,
    default: 'day',
    description: 'UTC days (a range of at most 732 days), or ISO weeks from Monday 00:00 UTC (at most 3,660 days)',
  })
  @IsOptional()
  @IsIn(STATS_BUCKETS)
  bucket?: StatsBucket;
}

export class BucketCountDto {
  @ApiProperty({ format: 'date-time', description: "The bucket's start in UTC; the first and last buckets may be cut by the range" })
  bucket: string;

  @ApiProperty({ example: 42 })
  count: number;
}

export class OnboardingFunnelDto {
  @ApiProperty({ description: 'Users created (Supabase `created_at`) in the range and not deleted since', example: 1200 })
  signedUp: number;

  @ApiProperty({ description: 'Of them, those with a profile: they have synced at least once', example: 1100 })
  synced: number;

  @ApiProperty({ description: 'Of them, those who completed onboarding', example: 700 })
  onboarded: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Median seconds from signup to onboarding of the onboarded ones; null when none',
    example: 5400,
  })
  medianSecondsToOnboard: number | null;
}

export class ActiveUsersDto {
  @ApiProperty({ description: 'Users whose last sign-in is within the last 24 hours', example: 300 })
  lastDay: number;

  @ApiProperty({ description: '… within the last 7 days', example: 1500 })
  last7Days: number;

  @ApiProperty({ description: '… within the last 30 days', example: 4000 })
  last30Days: number;
}

export class ProviderCountDto {
  @ApiProperty({ description: '`app_metadata.provider`: the provider the user signed up with', example: 'email' })
  provider: string;

  @ApiProperty({ example: 9000 })
  count: number;
}

export class AdminStatsResponse {
  @ApiProperty({ format: 'date-time', description: 'The range [from, to), to the millisecond' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({ enum: STATS_BUCKETS })
  bucket: StatsBucket;

  @ApiProperty({ type: [BucketCountDto], description: 'Signups per bucket, every bucket of the range (zeros included)' })
  signups: BucketCountDto[];

  @ApiProperty({ type: [BucketCountDto], description: 'Users deleted per bucket, every bucket (zeros included)' })
  deletions: BucketCountDto[];

  @ApiProperty({ type: OnboardingFunnelDto, description: 'The funnel of the users created in the range' })
  onboarding: OnboardingFunnelDto;

  @ApiProperty({ type: ActiveUsersDto, description: 'Now, whatever the range' })
  active: ActiveUsersDto;

  @ApiProperty({ type: [ProviderCountDto], description: 'Users by sign-up provider, most first; now, whatever the range' })
  providers: ProviderCountDto[];
}
