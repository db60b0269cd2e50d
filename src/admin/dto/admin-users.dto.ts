import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';
import { isTimestamp } from '../../common/rfc3339.js';
import { ProfileResponse } from '../../profiles/dto/profile.dto.js';
import { IsLookupPhone } from '../../users/dto/phone-lookup.dto.js';
import { UserResponse } from '../../users/dto/user.dto.js';
import { USER_SORTS, USER_STATUSES, type UserSort } from '../../users/user-search.service.js';

/** An RFC 3339 instant with its zone, e.g. 2026-11-01T00:00:00Z. */
export const IsInstant = () =>
  ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (value) => typeof value === 'string' && isTimestamp(value),
      defaultMessage: (args) => `${args?.property ?? 'the time'} must be an RFC 3339 time with its zone, e.g. 2026-11-01T00:00:00Z`,
    },
  });

/** `limit` of an admin list: 1 to 200, 50 when absent. */
export const PageLimit = () =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(200),
  );

/** `true` or `false` in a query string. */
const QueryBoolean = () => Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

export class AdminUsersQuery {
  @ApiPropertyOptional({ description: 'Part of the email, any case', example: 'ada' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'The email domain, with or without its @', example: 'company.com' })
  @IsOptional()
  @IsString()
  @Matches(/^@?[^\s@]{1,253}$/, { message: 'emailDomain must be a domain such as company.com' })
  emailDomain?: string;

  @ApiPropertyOptional({ description: 'A phone number in any international form', example: '+49 151 23456789' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @IsLookupPhone()
  phone?: string;

  @ApiPropertyOptional({ type: Boolean, description: 'Whether the user completed onboarding' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean({ message: 'onboarded must be true or false' })
  onboarded?: boolean;

  @ApiPropertyOptional({ description: 'A sign-in provider the user has (app_metadata.providers)', example: 'email' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_-]{1,40}$/, { message: 'provider must be a provider name such as email, phone or google' })
  provider?: string;

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z' })
  @IsOptional()
  @IsInstant()
  createdAfter?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsInstant()
  createdBefore?: string;

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z' })
  @IsOptional()
  @IsInstant()
  lastSignInAfter?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsInstant()
  lastSignInBefore?: string;

  @ApiPropertyOptional({ enum: USER_STATUSES, description: 'Absent: live and banned users (not deleted ones)' })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: (typeof USER_STATUSES)[number];

  @ApiPropertyOptional({ enum: USER_SORTS, default: '-createdAt' })
  @IsOptional()
  @IsIn(USER_SORTS)
  sort?: UserSort;

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the page before' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  cursor?: string;
}

/** The filters and sort of GET /admin/users; the CSV has every page, so no limit or cursor. */
export class AdminUsersCsvQuery extends OmitType(AdminUsersQuery, ['limit', 'cursor'] as const) {}

export class AdminUserItem {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ type: ProfileResponse, nullable: true })
  profile: ProfileResponse | null;
}

export class AdminUsersResponse {
  @ApiProperty({ type: [AdminUserItem] })
  items: AdminUserItem[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last one' })
  nextCursor: string | null;
}
