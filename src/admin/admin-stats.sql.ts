// The operator's figures (GET /admin/stats) as SQL: each one is read from an index alone, an
// index-only scan, so that it stays well under 200 ms at 1,000,000 users (migration
// 20261130160000_admin_stats, test/admin-stats-plan.e2e-spec.ts). Each is a function of a `Sql`
// and a range: the service runs them in one snapshot, the benchmark times them one by one.
// Tombstones hold no created_at, last sign-in or app_metadata, and have no profile: a deleted
// user is in no figure but the deletions.
import type { Sql } from '../database/sql.js';

export const STATS_BUCKETS = ['day', 'week'] as const;
export type StatsBucket = (typeof STATS_BUCKETS)[number];

/** [from, to), two instants to the millisecond (ISO 8601, UTC), and the width of a bucket. */
export interface StatsRange {
  from: string;
  to: string;
  bucket: StatsBucket;
}

export interface BucketCount {
  /** The bucket's start, ISO 8601 in UTC. */
  bucket: string;
  count: number;
}

export interface OnboardingFunnel {
  signedUp: number;
  synced: number;
  onboarded: number;
  medianSecondsToOnboard: number | null;
}

export interface ActiveUsers {
  lastDay: number;
  last7Days: number;
  last30Days: number;
}

export interface ProviderCount {
  provider: string;
  count: number;
}

/**
 * Hours, not days: Postgres adds `1 day` to a timestamptz in the session's time zone (23 or 25 hours across a change of
 * clocks), and buckets are UTC days.
 */
const STRIDES: Record<StatsBucket, string> = { day: '24 hours', week: '168 hours' };

/** A Monday at 00:00 UTC: date_bin from it starts buckets at UTC midnights, and weeks on Mondays (ISO weeks). */
const ORIGIN = `timestamptz '2000-01-03T00:00:00Z'`;

/**
 * Every bucket of [$1, $2), $3 wide, each counted by its own range of the index on `table`.`column` (the rows that fall
 * in the bucket, clipped to the range): zeros included, and no row hashed. The first and last buckets may be partial.
 */
function perBucket(table: string, column: string, where: string): string {
  return `SELECT b.start AS bucket, c.count
    FROM generate_series(date_bin($3::interval, $1::timestamptz, ${ORIGIN}), $2::timestamptz - interval '1 microsecond', $3::interval) AS b(start)
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS count FROM ${table} t
      WHERE ${where} AND t.${column} >= greatest(b.start, $1::timestamptz) AND t.${column} < least(b.start + $3::interval, $2::timestamptz)
    ) AS c
    ORDER BY b.start`;
}

/** Signups per bucket: users by Supabase's created_at (index users_created_at_idx). $1 from, $2 to, $3 stride. */
export const SIGNUPS_SQL = perBucket('users', 'created_at', 't.deleted_at IS NULL');

/** Deletions per bucket: the deletion records, which outlive the purge of tombstones (audit_events_user_deleted_idx). */
export const DELETIONS_SQL = perBucket('audit_events', 'created_at', `t.type = 'user.deleted'`);

/**
 * The funnel of the users created in [$1, $2) past signing up (how many signed up is the signups' total): how many have
 * a profile (the first sync makes it), how many completed onboarding, and the median time from signup to onboarding.
 * Profiles carry their user's created_at (kept by triggers), so this is one index-only range and no join. date_part,
 * not extract: the median sorts doubles, a third faster than extract's numerics.
 */
export const ONBOARDING_SQL = `
  SELECT
    count(*)::int AS synced,
    count(*) FILTER (WHERE p.onboarding_completed)::int AS onboarded,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', p.onboarded_at - p.user_created_at))
      FILTER (WHERE p.onboarding_completed AND p.onboarded_at IS NOT NULL) AS median_seconds
  FROM profiles p
  WHERE p.user_created_at >= $1::timestamptz AND p.user_created_at < $2::timestamptz`;

/** Users (not deleted) whose last sign-in is within 24 hours, 7 and 30 days of now (users_last_sign_in_at_idx). */
export const ACTIVE_SQL = `
  SELECT
    count(*) FILTER (WHERE u.last_sign_in_at >= now() - interval '24 hours')::int AS last_day,
    count(*) FILTER (WHERE u.last_sign_in_at >= now() - interval '168 hours')::int AS last_7_days,
    count(*)::int AS last_30_days
  FROM users u
  WHERE u.last_sign_in_at >= now() - interval '720 hours' AND u.deleted_at IS NULL`;

/**
 * Users (not deleted) by app_metadata.provider, most first. The providers are found by skipping through
 * users_provider_idx (one probe each), then each is counted by its own range of it: half the time of a GROUP BY, which
 * compares every row's provider with the last one's.
 */
export const PROVIDERS_SQL = `
  WITH RECURSIVE providers AS (
    (SELECT u.provider FROM users u WHERE u.provider IS NOT NULL ORDER BY u.provider LIMIT 1)
    UNION ALL
    SELECT (SELECT u.provider FROM users u WHERE u.provider > p.provider ORDER BY u.provider LIMIT 1)
    FROM providers p WHERE p.provider IS NOT NULL
  )
  SELECT p.provider, c.count
  FROM providers p
  CROSS JOIN LATERAL (SELECT count(*)::int AS count FROM users u WHERE u.provider = p.provider AND u.deleted_at IS NULL) AS c
  WHERE p.provider IS NOT NULL AND c.count > 0
  ORDER BY c.count DESC, p.provider`;

/** The parameters of the per-bucket statements. */
export function bucketParams(range: StatsRange): [string, string, string] {
  return [range.from, range.to, STRIDES[range.bucket]];
}

async function bucketCounts(sql: Sql, statement: string, range: StatsRange): Promise<BucketCount[]> {
  const rows = await sql.query<{ bucket: Date; count: number }>(statement, bucketParams(range));
  return rows.map((row) => ({ bucket: row.bucket.toISOString(), count: row.count }));
}

export function readSignups(sql: Sql, range: StatsRange): Promise<BucketCount[]> {
  return bucketCounts(sql, SIGNUPS_SQL, range);
}

export function readDeletions(sql: Sql, range: StatsRange): Promise<BucketCount[]> {
  return bucketCounts(sql, DELETIONS_SQL, range);
}

/** The funnel past signing up; `signedUp` is the total of the same range's signups (readSignups). */
export async function readOnboarding(sql: Sql, range: StatsRange): Promise<Omit<OnboardingFunnel, 'signedUp'>> {
  const [row] = await sql.query<{ synced: number; onboarded: number; median_seconds: number | null }>(ONBOARDING_SQL, [
    range.from,
    range.to,
  ]);
  return { synced: row.synced, onboarded: row.onboarded, medianSecondsToOnboard: row.median_seconds };
}

export async function readActive(sql: Sql): Promise<ActiveUsers> {
  const [row] = await sql.query<{ last_day: number; last_7_days: number; last_30_days: number }>(ACTIVE_SQL);
  return { lastDay: row.last_day, last7Days: row.last_7_days, last30Days: row.last_30_days };
}

export function readProviders(sql: Sql): Promise<ProviderCount[]> {
  return sql.query<ProviderCount>(PROVIDERS_SQL);
}
