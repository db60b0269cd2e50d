import type { UserResponse } from './dto/user.dto.js';
import type { MirrorUserRow } from './mirror-upsert.sql.js';

export function toUserResponse(row: MirrorUserRow): UserResponse {
  return {
    id: row.id,
    email: row.email,
    phone: row.phone,
    emailConfirmedAt: row.email_confirmed_at?.toISOString() ?? null,
    phoneConfirmedAt: row.phone_confirmed_at?.toISOString() ?? null,
    lastSignInAt: row.last_sign_in_at?.toISOString() ?? null,
    role: row.role,
    isAnonymous: row.is_anonymous,
    appMetadata: row.app_metadata,
    userMetadata: row.user_metadata,
    createdAt: row.created_at?.toISOString() ?? null,
    updatedAt: row.updated_at?.toISOString() ?? null,
    syncedAt: row.synced_at.toISOString(),
  };
}
