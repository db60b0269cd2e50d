import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** What became of a delivery. */
export class DeliveryResponse {
  /** `applied`, `duplicate` (already applied: nothing changed) or `ignored` (202). */
  @ApiProperty({ enum: ['applied', 'duplicate', 'ignored'], example: 'applied' })
  status: 'applied' | 'duplicate' | 'ignored';

  @ApiProperty({ example: 'user.updated' })
  eventType: string;

  /** The mirror's outcome: created, updated, unchanged, stale, deleted, already_deleted, duplicate. */
  @ApiPropertyOptional({ example: 'updated' })
  outcome?: string;

  /** Why an ignored delivery was ignored. */
  @ApiPropertyOptional({ example: 'not auth.users' })
  reason?: string;
}
