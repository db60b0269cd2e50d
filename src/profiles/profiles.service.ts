import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma/prisma.service.js';
import type { ProfileResponse } from './dto/profile.dto.js';
import { PROFILE_COLUMNS, toProfileResponse, type ProfileRow } from './profile-row.js';

/** Names for a first profile, taken from Supabase `user_metadata` where present. */
export interface InitialNames {
  displayName: string | null;
  firstName: string | null;
  lastName: string | null;
}

function text(metadata: Record<string, unknown>, ...keys: string[]): string | null {
  for (const key of keys) {
    const found = metadata[key];
    if (typeof found === 'string' && found.trim() !== '') return found.trim().slice(0, 200);
  }
  return null;
}

/** Reads the usual name keys of `user_metadata` (email signup data, OAuth providers). */
export function namesFromMetadata(metadata: Record<string, unknown>): InitialNames {
  const firstName = text(metadata, 'first_name', 'given_name');
  const lastName = text(metadata, 'last_name', 'family_name');
  const joined = [firstName, lastName].filter(Boolean).join(' ');
  return {
    displayName: text(metadata, 'display_name', 'full_name', 'name') ?? (joined === '' ? null : joined),
    firstName,
    lastName,
  };
}

const ENSURE_PROFILE = `
  WITH live AS (
    SELECT id FROM users WHERE id = $1::uuid AND deleted_at IS NULL FOR SHARE
  ), made AS (
    INSERT INTO profiles AS p (user_id, display_name, first_name, last_name, updated_at)
    SELECT live.id, $2, $3, $4, now() FROM live
    ON CONFLICT (user_id) DO NOTHING
    RETURNING ${PROFILE_COLUMNS}
  )
  SELECT ${PROFILE_COLUMNS}, true AS created FROM made p
  UNION ALL
  SELECT ${PROFILE_COLUMNS}, false AS created FROM profiles p JOIN live ON p.user_id = live.id
  WHERE NOT EXISTS (SELECT 1 FROM made)`;

@Injectable()
export class ProfilesService {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The user's profile, created with the given names if it does not exist yet. Null when the
   * user is not a live mirror row. The live row is share-locked for the statement, so a
   * concurrent deletion either waits for it (and then cascades the new profile away) or wins
   * first (and no profile is made for a tombstone).
   */
  async ensureProfile(userId: string, names: InitialNames): Promise<{ profile: ProfileResponse; created: boolean } | null> {
    const rows = await this.prisma.sql.query<ProfileRow & { created: boolean }>(ENSURE_PROFILE, [
      userId,
      names.displayName,
      names.firstName,
      names.lastName,
    ]);
    const row = rows[0];
    return row ? { profile: toProfileResponse(row), created: row.created } : null;
  }
}
