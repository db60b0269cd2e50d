import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService, type Db } from '../prisma/prisma.service.js';
import type { ProfileRow } from '../profiles/profile-row.js';
import type { UserSnapshot } from './user-snapshot.js';

/** A row of `users` as the SQL below returns it. */
export interface MirrorUserRow {
  id: string;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Date | null;
  phone_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  banned_until: Date | null;
  role: string | null;
  is_anonymous: boolean;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  created_at: Date | null;
  updated_at: Date | null;
  synced_at: Date;
  deleted_at: Date | null;
}

export interface AppliedRow extends MirrorUserRow {
  inserted: boolean;
}

const USER_COLUMNS = Prisma.raw(`u.id, u.email, u.phone, u.email_confirmed_at, u.phone_confirmed_at,
  u.last_sign_in_at, u.banned_until, u.role, u.is_anonymous, u.app_metadata, u.user_metadata,
  u.created_at, u.updated_at, u.synced_at, u.deleted_at`);

/**
 * The snapshot as a one-row SELECT that first takes the per-user advisory lock, so that the
 * insert is ordered against a concurrent deletion of the same user (see `tombstone`).
 */
function lockedValues(s: UserSnapshot): Prisma.Sql {
  return Prisma.sql`SELECT ${s.id}::uuid, ${s.email}, ${s.phone}, ${s.emailConfirmedAt}::timestamptz,
    ${s.phoneConfirmedAt}::timestamptz, ${s.lastSignInAt}::timestamptz, ${s.bannedUntil}::timestamptz,
    ${s.role}, ${s.isAnonymous}, ${JSON.stringify(s.appMetadata)}::jsonb, ${JSON.stringify(s.userMetadata)}::jsonb,
    ${s.createdAt}::timestamptz, ${s.updatedAt}::timestamptz, now()
    FROM (SELECT pg_advisory_xact_lock(${userLockKey(s.id)})) AS per_user_lock`;
}

/** The advisory lock key of a user: every writer of that user's row takes it. */
function userLockKey(id: string): Prisma.Sql {
  return Prisma.sql`hashtextextended(${'user:' + id}, 0)`;
}

type PrefixedProfile = { [K in keyof ProfileRow as `p_${K}`]: ProfileRow[K] | null };

const PREFIXED_PROFILE_COLUMNS = Prisma.raw(`p.display_name AS p_display_name, p.first_name AS p_first_name,
  p.last_name AS p_last_name, p.industry AS p_industry, p.job_title AS p_job_title,
  p.email_consent AS p_email_consent, p.onboarding_completed AS p_onboarding_completed,
  p.onboarded_at AS p_onboarded_at, p.updated_at AS p_updated_at`);

function unprefixProfile(row: PrefixedProfile): ProfileRow {
  return {
    display_name: row.p_display_name,
    first_name: row.p_first_name,
    last_name: row.p_last_name,
    industry: row.p_industry,
    job_title: row.p_job_title,
    email_consent: row.p_email_consent ?? false,
    onboarding_completed: row.p_onboarding_completed ?? false,
    onboarded_at: row.p_onboarded_at,
    updated_at: row.p_updated_at as Date,
  };
}

const INSERT_INTO = Prisma.raw(`INSERT INTO users AS u (id, email, phone, email_confirmed_at, phone_confirmed_at,
  last_sign_in_at, banned_until, role, is_anonymous, app_metadata, user_metadata, created_at, updated_at, synced_at)`);

/**
 * The SQL behind the mirror. Every write is one statement or one transaction whose outcome
 * Postgres decides (conditional upserts, row locks, a per-user advisory lock), never
 * read-then-write in the application.
 */
@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Inserts the snapshot, or overwrites the row when the snapshot is strictly newer (or the row
   * came from token claims and has no version). A tombstone is never touched. Returns the
   * written row, or null when the snapshot lost (older, equal, or the user is deleted).
   */
  async upsertIfNewer(snapshot: UserSnapshot, db: Db = this.prisma): Promise<AppliedRow | null> {
    const rows = await db.$queryRaw<AppliedRow[]>`
      ${INSERT_INTO} ${lockedValues(snapshot)}
      ON CONFLICT (id) DO UPDATE SET
        email = EXCLUDED.email, phone = EXCLUDED.phone,
        email_confirmed_at = EXCLUDED.email_confirmed_at, phone_confirmed_at = EXCLUDED.phone_confirmed_at,
        last_sign_in_at = EXCLUDED.last_sign_in_at, banned_until = EXCLUDED.banned_until,
        role = EXCLUDED.role, is_anonymous = EXCLUDED.is_anonymous,
        app_metadata = EXCLUDED.app_metadata, user_metadata = EXCLUDED.user_metadata,
        created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, synced_at = now()
      WHERE u.deleted_at IS NULL AND (u.updated_at IS NULL OR u.updated_at < EXCLUDED.updated_at)
      RETURNING ${USER_COLUMNS}, (xmax = 0) AS inserted`;
    return rows[0] ?? null;
  }

  /** Creates the row from token claims only when there is no row at all (no version: any snapshot wins later). */
  async insertIfAbsent(snapshot: UserSnapshot): Promise<AppliedRow | null> {
    const rows = await this.prisma.$queryRaw<AppliedRow[]>`
      ${INSERT_INTO} ${lockedValues({ ...snapshot, updatedAt: null })}
      ON CONFLICT (id) DO NOTHING
      RETURNING ${USER_COLUMNS}, true AS inserted`;
    return rows[0] ?? null;
  }

  /** The row (tombstone included) and whether its version equals `version`, compared in Postgres to the microsecond. */
  async findComparingVersion(
    id: string,
    version: string | null,
    db: Db = this.prisma,
  ): Promise<(MirrorUserRow & { same_version: boolean }) | null> {
    const rows = await db.$queryRaw<Array<MirrorUserRow & { same_version: boolean }>>`
      SELECT ${USER_COLUMNS}, coalesce(u.updated_at = ${version}::timestamptz, false) AS same_version
      FROM users u WHERE u.id = ${id}::uuid`;
    return rows[0] ?? null;
  }

  /** The row, tombstone included. */
  async findById(id: string): Promise<MirrorUserRow | null> {
    const rows = await this.prisma.$queryRaw<MirrorUserRow[]>`
      SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ${id}::uuid`;
    return rows[0] ?? null;
  }

  /** The row (tombstone included) with the user's profile, in one query: the `GET /users/me` path. */
  async findWithProfile(id: string): Promise<{ user: MirrorUserRow; profile: ProfileRow | null } | null> {
    const rows = await this.prisma.$queryRaw<Array<MirrorUserRow & PrefixedProfile>>`
      SELECT ${USER_COLUMNS}, ${PREFIXED_PROFILE_COLUMNS}
      FROM users u LEFT JOIN profiles p ON p.user_id = u.id
      WHERE u.id = ${id}::uuid`;
    const row = rows[0];
    if (!row) return null;
    return { user: row, profile: row.p_updated_at === null ? null : unprefixProfile(row) };
  }

  /**
   * Turns the user into a tombstone, inside the caller's transaction: the row is deleted (so
   * everything the user owns goes by ON DELETE CASCADE) and put back with its id and deletion
   * time only. The per-user advisory lock orders it against every upsert of the same id: an
   * upsert that started first is committed before the DELETE reads, one that starts later sees
   * the tombstone. Returns false when the user already was a tombstone.
   */
  async tombstone(tx: Db, id: string, deletedAt: string | null): Promise<boolean> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${userLockKey(id)})`;
    const removed = await tx.$executeRaw`DELETE FROM users WHERE id = ${id}::uuid AND deleted_at IS NULL`;
    const created = await tx.$executeRaw`
      INSERT INTO users (id, deleted_at, synced_at) VALUES (${id}::uuid, coalesce(${deletedAt}::timestamptz, now()), now())
      ON CONFLICT (id) DO NOTHING`;
    return removed > 0 || created > 0;
  }

  /** The ids of every tombstone (for the in-memory set the guard checks). */
  async tombstoneIds(): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`SELECT id FROM users WHERE deleted_at IS NOT NULL`;
    return rows.map((row) => row.id);
  }

  /** Removes tombstones older than the retention period; returns how many. */
  async purgeTombstones(retentionDays: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM users WHERE deleted_at IS NOT NULL AND deleted_at < now() - make_interval(days => ${retentionDays}::int)`;
  }
}
