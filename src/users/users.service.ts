import { Injectable } from '@nestjs/common';
import { type ApiError, apiError } from '../common/errors.js';
import type { Sql } from '../database/sql.js';
import { CanaryWatch } from '../metrics/canary-watch.js';
import type { ProfileResponse } from '../profiles/dto/profile.dto.js';
import { toProfileResponse } from '../profiles/profile-row.js';
import { ProfilesService, namesFromMetadata, type InitialNames } from '../profiles/profiles.service.js';
import type { UserResponse } from './dto/user.dto.js';
import { toUserResponse } from './user-mapper.js';
import type { UserSnapshot } from './user-snapshot.js';
import { TombstonePurgeService } from './tombstone-purge.service.js';
import { UserDeletionsService, type DeletionOptions } from './user-deletions.service.js';
import { UserVersionsRepository, type VersionComparison } from './user-versions.repository.js';
import type { ApplyCounts, DeliveryClaim, MirrorUserRow, UpsertedRow } from './mirror-upsert.sql.js';
import { UsersRepository, type CountingOptions } from './users.repository.js';

export type { DeletionOptions };

/** A user whose Supabase phone could not be stored because another live user holds it here. */
export interface PhoneConflict {
  id: string;
  /** The number (E.164) as Supabase has it for this user. */
  phone: string;
  /** The version of the snapshot that was flagged. */
  updatedAt: string | null;
}

/** A signed-in user as the API answers them, with the row it came from. */
export interface SignedInUser {
  user: UserResponse;
  profile: ProfileResponse;
  row: MirrorUserRow;
  /** This call made the mirror row. */
  created: boolean;
}

/** A user as GET /admin/users/{id} shows them. */
export interface OperatorView {
  status: 'live' | 'banned' | 'deleted';
  user: UserResponse | null;
  profile: ProfileResponse | null;
  deletedAt: string | null;
}

export type ApplyOutcome =
  { status: 'created' | 'updated' | 'unchanged' | 'stale'; user: MirrorUserRow } | { status: 'deleted'; user: null };

/** The mirror of Supabase users: all writes go through applyUserSnapshot(s), so invariants 1–3 live here (docs/design.md, "Invariants"). */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly versions: UserVersionsRepository,
    private readonly deletions: UserDeletionsService,
    private readonly purge: TombstonePurgeService,
    private readonly profiles: ProfilesService,
    private readonly canary: CanaryWatch,
  ) {}

  /** Mirrors a signed-in user (sync, login, signup) and makes the profile on first sight; 401 `user_deleted`, also if deleted meanwhile. */
  async mirrorSignedIn(applied: UserSnapshot | ApplyOutcome, options: { names?: InitialNames; tx?: Sql } = {}): Promise<SignedInUser> {
    const outcome = 'status' in applied ? applied : await this.applyUserSnapshot(applied, options.tx);
    if (outcome.status === 'deleted') throw userDeleted();
    const names = options.names ?? namesFromMetadata(outcome.user.user_metadata);
    const ensured = await this.profiles.ensureProfile(outcome.user.id, names, options.tx);
    if (!ensured) throw userDeleted();
    return { user: toUserResponse(outcome.user), profile: ensured.profile, row: outcome.user, created: outcome.status === 'created' };
  }

  /** Applies a Supabase user snapshot; one with `deletedAt` (soft delete) deletes the user. */
  async applyUserSnapshot(snapshot: UserSnapshot, tx?: Sql): Promise<ApplyOutcome> {
    if (snapshot.deletedAt !== null) {
      await this.deleteUser(snapshot.id, { deletedAt: snapshot.deletedAt, source: 'sync' }, tx);
      return { status: 'deleted', user: null };
    }
    const [row] = await this.users.upsertIfNewer([snapshot], tx);
    this.canary.applied([snapshot]);
    return outcomeOf(row);
  }

  /** Applies a delivered snapshot and claims its delivery id in one statement; null for a repeat (nothing written). */
  async applyUserSnapshotOnce(snapshot: UserSnapshot, claim: DeliveryClaim): Promise<ApplyOutcome | null> {
    if (snapshot.deletedAt !== null) throw new Error('a deletion is not applied through a claim');
    const row = await this.users.upsertClaimingDelivery(snapshot, claim);
    this.canary.applied([snapshot]);
    return row ? outcomeOf(row) : null;
  }

  /**
   * applyUserSnapshot's SQL for many users, answering counts; the caller deletes snapshots with `deletedAt` itself. With
   * `repairs` (reconcile), each write is recorded on the user's timeline as a repair of what the intake missed.
   */
  async applyUserSnapshots(snapshots: readonly UserSnapshot[], options: CountingOptions = {}): Promise<ApplyCounts> {
    const counts = await this.users.upsertCounting(snapshots, options);
    this.canary.applied(snapshots);
    return counts;
  }

  /** Creates the row from token claims when Supabase cannot be asked; never overwrites a row (claims carry no version). */
  async applyTokenClaims(snapshot: UserSnapshot): Promise<ApplyOutcome> {
    const row = await this.users.insertIfAbsent(snapshot);
    if (row.deleted_at) return { status: 'deleted', user: null };
    return { status: row.written ? 'created' : 'unchanged', user: row };
  }

  /** Deletes the user (see UserDeletionsService.deleteUser). */
  deleteUser(id: string, options: DeletionOptions = {}, tx?: Sql): Promise<{ deleted: boolean }> {
    return this.deletions.deleteUser(id, options, tx);
  }

  /** Removes tombstones older than TOMBSTONE_RETENTION_DAYS; the deletion audit records stay. */
  purgeTombstones(): Promise<number> {
    return this.purge.purgeTombstones();
  }

  /** True when the user is known to be deleted (in-memory: no query). */
  isDeleted(id: string): boolean {
    return this.deletions.isDeleted(id);
  }

  /** Live users flagged with a phone another live user holds, for operators; keyset pages in id order. */
  async phoneConflicts(
    options: { after?: string | null; limit?: number } = {},
  ): Promise<{ items: PhoneConflict[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const rows = await this.users.phoneConflicts(options.after ?? null, limit);
    const items = rows.map((row) => ({ id: row.id, phone: row.phone_conflict, updatedAt: row.updated_at?.toISOString() ?? null }));
    return { items, nextCursor: rows.length === limit ? rows[rows.length - 1].id : null };
  }

  /** Whether a live user holds this email (lower-case) or this phone (E.164). */
  async identityTaken(email: string, phone: string | null): Promise<{ email: boolean; phone: boolean }> {
    return this.users.identityTaken(email.trim().toLowerCase(), phone);
  }

  /** The id of the live user with this email (stored lower-case), if any. */
  async findLiveIdByEmail(email: string): Promise<string | null> {
    return this.users.findLiveIdByEmail(email.trim().toLowerCase());
  }

  /**
   * True when an account with an email holds this number unconfirmed. A code sent to it would sign the number's owner into
   * that account (GoTrue confirms the phone on whichever user holds it): someone may have put another's number there.
   */
  phoneHeldUnconfirmed(phone: string): Promise<boolean> {
    return this.users.holdsUnconfirmedPhone(phone);
  }

  /** How listed (id, version) pairs compare with the mirror, without writing (see UserVersionsRepository). */
  compareVersions(entries: ReadonlyArray<Pick<UserSnapshot, 'id' | 'updatedAt'>>): Promise<VersionComparison> {
    return this.versions.compareVersions(entries);
  }

  /** Of these ids, the ones that are tombstones here. */
  tombstoneIdsAmong(ids: readonly string[]): Promise<Set<string>> {
    return this.versions.tombstoneIdsAmong(ids);
  }

  /** A user as an operator sees them: live, banned or a tombstone (null when the mirror has no row). */
  async operatorView(id: string): Promise<OperatorView | null> {
    const found = await this.users.findWithProfile(id);
    if (!found) return null;
    const { user, profile } = found;
    if (user.deleted_at) return { status: 'deleted', user: null, profile: null, deletedAt: user.deleted_at.toISOString() };
    const banned = user.banned_until !== null && user.banned_until > new Date();
    return {
      status: banned ? 'banned' : 'live',
      user: toUserResponse(user),
      profile: profile ? toProfileResponse(profile) : null,
      deletedAt: null,
    };
  }

  /** The caller's mirrored user and profile; 401 `user_deleted` for a tombstone. */
  async getMe(id: string): Promise<{ user: UserResponse; profile: ProfileResponse | null }> {
    const found = await this.users.findWithProfile(id);
    if (!found) throw apiError('user_not_found');
    if (found.user.deleted_at) throw userDeleted();
    return {
      user: toUserResponse(found.user),
      profile: found.profile ? toProfileResponse(found.profile) : null,
    };
  }
}

function outcomeOf(row: UpsertedRow | undefined): ApplyOutcome {
  // The upserts answer every snapshot with its row: a missing answer is a fault, not a deletion.
  if (!row) throw new Error('the mirror upsert did not answer for the user');
  if (row.deleted_at) return { status: 'deleted', user: null };
  if (row.written) return { status: row.inserted ? 'created' : 'updated', user: row };
  return { status: row.same_version ? 'unchanged' : 'stale', user: row };
}

export function userDeleted(): ApiError {
  return apiError('user_deleted');
}
