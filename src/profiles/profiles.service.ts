import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { type ApiError, apiError } from '../common/errors.js';
import { DatabaseService } from '../database/database.service.js';
import { prepared, type Sql } from '../database/sql.js';
import type { CompleteOnboardingRequest } from './dto/complete-onboarding.dto.js';
import type { ProfileResponse } from './dto/profile.dto.js';
import { changedFields, type UpdateProfileRequest } from './dto/update-profile.dto.js';
import { ProfileMetadataService } from './profile-metadata.service.js';
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

const ENSURE_PROFILE_STATEMENT = prepared('profile_ensure', ENSURE_PROFILE);

/** The live user's profile, read by a statement of its own (see ensureProfile). */
const LIVE_PROFILE = prepared(
  'profile_of_live_user',
  `SELECT ${PROFILE_COLUMNS}, false AS created FROM profiles p JOIN users u ON u.id = p.user_id AND u.deleted_at IS NULL
   WHERE p.user_id = $1::uuid`,
);

/** Fields of an update; the ones not given (null) are kept. Only a live user's profile is written. */
const UPDATE_PROFILE = `
  UPDATE profiles AS p SET
    display_name = coalesce($2::text, p.display_name),
    first_name = coalesce($3::text, p.first_name),
    last_name = coalesce($4::text, p.last_name),
    industry = coalesce($5::text, p.industry),
    job_title = coalesce($6::text, p.job_title),
    email_consent = coalesce($7::boolean, p.email_consent),
    updated_at = now()
  FROM users u
  WHERE p.user_id = $1::uuid AND u.id = p.user_id AND u.deleted_at IS NULL
  RETURNING ${PROFILE_COLUMNS}`;

/** Records the answers; the first onboarding's time is kept when it is done again. */
const COMPLETE_ONBOARDING = `
  WITH before AS (
    SELECT p.user_id, p.onboarded_at
    FROM profiles p JOIN users u ON u.id = p.user_id AND u.deleted_at IS NULL
    WHERE p.user_id = $1::uuid
    FOR UPDATE OF p
  )
  UPDATE profiles AS p SET
    industry = $2::text, job_title = $3::text, email_consent = $4::boolean,
    onboarding_completed = true, onboarded_at = coalesce(p.onboarded_at, now()), updated_at = now()
  FROM before
  WHERE p.user_id = before.user_id
  RETURNING ${PROFILE_COLUMNS}, before.onboarded_at IS NULL AS first_time`;

/** Profile fields that are also in Supabase `user_metadata` (see ProfileMetadataService). */
const PUSHED_FIELDS: ReadonlySet<keyof UpdateProfileRequest> = new Set(['displayName', 'industry', 'jobTitle', 'emailConsent']);

function profileNotFound(): ApiError {
  return apiError('profile_not_found');
}

@Injectable()
export class ProfilesService {
  constructor(
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    private readonly metadata: ProfileMetadataService,
  ) {}

  /** Changes the given fields; audits their names and queues the `user_metadata` push in the same transaction. */
  async updateProfile(userId: string, update: UpdateProfileRequest): Promise<ProfileResponse> {
    const fields = changedFields(update);
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<ProfileRow>(UPDATE_PROFILE, [
        userId,
        update.displayName ?? null,
        update.firstName ?? null,
        update.lastName ?? null,
        update.industry ?? null,
        update.jobTitle ?? null,
        update.emailConsent ?? null,
      ]);
      if (!row) throw profileNotFound();
      await this.audit.record({ userId, subjectId: userId, type: 'profile.updated', details: { fields } }, tx);
      if (fields.some((field) => PUSHED_FIELDS.has(field))) await this.metadata.enqueue(userId, tx);
      return toProfileResponse(row);
    });
  }

  /** Records the onboarding answers (again replaces them, keeps the first `onboardedAt`); audited and pushed in one transaction. */
  async completeOnboarding(userId: string, answers: CompleteOnboardingRequest): Promise<ProfileResponse> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<ProfileRow & { first_time: boolean }>(COMPLETE_ONBOARDING, [
        userId,
        answers.industry,
        answers.jobTitle,
        answers.emailConsent,
      ]);
      if (!row) throw profileNotFound();
      await this.audit.record({ userId, subjectId: userId, type: 'profile.onboarded', details: { firstTime: row.first_time } }, tx);
      await this.metadata.enqueue(userId, tx);
      return toProfileResponse(row);
    });
  }

  /**
   * The user's profile, made with these names if absent; null unless the user is live. The row is share-locked, so a
   * concurrent deletion either waits (and cascades the new profile away) or wins first (no profile for a tombstone).
   */
  async ensureProfile(
    userId: string,
    names: InitialNames,
    tx: Sql = this.db.sql,
  ): Promise<{ profile: ProfileResponse; created: boolean } | null> {
    let [row] = await tx.query<ProfileRow & { created: boolean }>(ENSURE_PROFILE_STATEMENT, [
      userId,
      names.displayName,
      names.firstName,
      names.lastName,
    ]);
    // No row: the user is not live, or another request's profile committed while the statement
    // ran (its insert waited for it; its snapshot cannot see it). A new statement can tell which.
    row ??= (await tx.query<ProfileRow & { created: boolean }>(LIVE_PROFILE, [userId]))[0];
    return row ? { profile: toProfileResponse(row), created: row.created } : null;
  }
}
