import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageLimit } from './admin-users.dto.js';

export const JOB_STATES = ['failed', 'dead'] as const;

export class AdminJobsQuery {
  @ApiProperty({ enum: JOB_STATES, description: '`failed`: failed at least once and retrying; `dead`: attempts used up' })
  @IsIn(JOB_STATES)
  state: (typeof JOB_STATES)[number];

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the page before' })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'cursor must be the nextCursor of a page before' })
  cursor?: string;
}

export class JobDto {
  @ApiProperty({ example: '1042' })
  id: string;

  @ApiProperty({ example: 'user_cleanup' })
  task: string;

  @ApiProperty({
    description: 'What the job works on (ids only)',
    example: { userId: '3f0e8a4c-5a7e-4d0b-9d43-5b0e2cbb9a10', cleaner: 'storage' },
  })
  payload: unknown;

  @ApiProperty()
  attempts: number;

  @ApiProperty()
  maxAttempts: number;

  @ApiProperty({ type: String, nullable: true, description: 'The last failure (its first 2,000 characters)' })
  lastError: string | null;

  @ApiProperty({ format: 'date-time', description: 'When it runs next (a dead job: when it last would have)' })
  runAt: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class AdminJobsResponse {
  @ApiProperty({ type: [JobDto] })
  items: JobDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class JobIdParam {
  @ApiProperty({ example: '1042' })
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'id must be a job id' })
  id: string;
}
