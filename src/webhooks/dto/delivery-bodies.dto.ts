import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A Supabase Database Webhook on `auth.users` (raw rows; sensitive columns are dropped unread). */
export class DatabaseWebhookBody {
  @ApiProperty({ enum: ['INSERT', 'UPDATE', 'DELETE'], example: 'UPDATE' })
  type: string;

  @ApiProperty({ example: 'users', description: 'Another table is answered 202 and ignored' })
  table: string;

  @ApiProperty({ example: 'auth' })
  schema: string;

  @ApiPropertyOptional({
    description: 'The row after the change (`auth.users` column names: `raw_user_meta_data`, `deleted_at`, …); null for DELETE',
    example: {
      id: '2f1c7a3e-4b7d-4c1e-9a1f-6d2b8e9c0a11',
      email: 'ada@example.com',
      updated_at: '2026-11-30T10:00:00.123456+00:00',
      deleted_at: null,
    },
  })
  record: Record<string, unknown> | null;

  @ApiPropertyOptional({ description: 'The row before the change; null for INSERT', example: null })
  old_record: Record<string, unknown> | null;
}

/** A signed user event (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). */
export class SignedEventBody {
  @ApiProperty({ enum: ['user.created', 'user.updated', 'user.deleted'], example: 'user.updated' })
  type: string;

  @ApiProperty({
    description: 'The Supabase user as the admin API serialises it; for `user.deleted` the `id` alone is enough',
    example: { id: '2f1c7a3e-4b7d-4c1e-9a1f-6d2b8e9c0a11', email: 'ada@example.com', updated_at: '2026-11-30T10:00:00.123456Z' },
  })
  user: Record<string, unknown>;
}
