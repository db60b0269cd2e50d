import { Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';
import type { ProfileResponse } from '../profiles/dto/profile.dto.js';
import { toProfileResponse } from '../profiles/profile-row.js';
import type { UserResponse } from './dto/user.dto.js';
import { toUserResponse } from './user-mapper.js';
import type { UserSnapshot } from './user-snapshot.js';
import { UsersRepository, type MirrorUserRow } from './users.repository.js';

export type ApplyOutcome =
  | { status: 'created' | 'updated' | 'unchanged' | 'stale'; user: MirrorUserRow }
  | { status: 'deleted'; user: null };

/**
 * The mirror of Supabase users. `applyUserSnapshot` is the only way a mirror row is written;
 * sync, deliveries and reconcile all go through it, so invariants 1–3 of design.md live here:
 * one row per user, only a newer snapshot wins, and a deleted user never comes back.
 */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(private readonly users: UsersRepository) {}

  /** Applies a Supabase user snapshot; a snapshot with `deletedAt` (soft delete) deletes the user. */
  async applyUserSnapshot(snapshot: UserSnapshot): Promise<ApplyOutcome> {
    if (snapshot.deletedAt !== null) {
      await this.deleteUser(snapshot.id, snapshot.deletedAt);
      return { status: 'deleted', user: null };
    }
    const written = await this.users.upsertIfNewer(snapshot);
    if (written) return { status: written.inserted ? 'created' : 'updated', user: written };
    return this.outcomeOfNoWrite(snapshot);
  }

  /**
   * Creates the row from a verified token's claims when Supabase cannot be asked. It never
   * overwrites an existing row: the claims carry no version, so the next real snapshot wins.
   */
  async applyTokenClaims(snapshot: UserSnapshot): Promise<ApplyOutcome> {
    const written = await this.users.insertIfAbsent(snapshot);
    if (written) return { status: 'created', user: written };
    const current = await this.users.findById(snapshot.id);
    if (!current || current.deleted_at) return { status: 'deleted', user: null };
    return { status: 'unchanged', user: current };
  }

  /** Deletes the user: a tombstone stays, everything they own goes by cascade. Idempotent. */
  async deleteUser(id: string, deletedAt: string | null = null): Promise<void> {
    await this.users.tombstone(id, deletedAt);
    this.logger.log({ userId: id }, 'user deleted');
  }

  /** The caller's mirrored user and profile; 401 `user_deleted` for a tombstone. */
  async getMe(id: string): Promise<{ user: UserResponse; profile: ProfileResponse | null }> {
    const found = await this.users.findWithProfile(id);
    if (!found) throw new ApiError(404, 'user_not_found', 'This user is not mirrored yet: call POST /auth/users/sync first');
    if (found.user.deleted_at) throw userDeleted();
    return {
      user: toUserResponse(found.user),
      profile: found.profile ? toProfileResponse(found.profile) : null,
    };
  }

  private async outcomeOfNoWrite(snapshot: UserSnapshot): Promise<ApplyOutcome> {
    const current = await this.users.findComparingVersion(snapshot.id, snapshot.updatedAt);
    if (!current || current.deleted_at) return { status: 'deleted', user: null };
    return { status: current.same_version ? 'unchanged' : 'stale', user: current };
  }
}

export function userDeleted(): ApiError {
  return new ApiError(401, 'user_deleted', 'This user has been deleted');
}
