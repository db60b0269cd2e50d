import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { validationFailed } from '../common/errors.js';
import { instantOf } from '../common/rfc3339.js';
import { DatabaseService } from '../database/database.service.js';
import {
  readActive,
  readDeletions,
  readOnboarding,
  readProviders,
  readSignups,
  type StatsBucket,
  type StatsRange,
} from './admin-stats.sql.js';
import type { AdminStatsQuery, AdminStatsResponse } from './dto/admin-stats.dto.js';

const DAY_MS = 86_400_000;
const DEFAULT_SPAN_DAYS = 30;
/** Two years of days (733 buckets at most), ten of weeks (524): a chart's worth, and each figure stays one short read. */
export const MAX_SPAN_DAYS: Record<StatsBucket, number> = { day: 732, week: 3660 };

/** Milliseconds since 1970 of a checked RFC 3339 time (a fraction past the millisecond is dropped). */
function millisOf(text: string): number {
  const { seconds, micros } = instantOf(text);
  return seconds * 1000 + Math.floor(micros / 1000);
}

/** The range a query asks for: the defaults filled in, each end checked (400 `validation_failed` otherwise). */
export function statsRangeOf(query: AdminStatsQuery, now = Date.now()): StatsRange {
  const bucket = query.bucket ?? 'day';
  const to = query.to === undefined ? now : millisOf(query.to);
  const from = query.from === undefined ? to - DEFAULT_SPAN_DAYS * DAY_MS : millisOf(query.from);
  if (from < 0) throw validationFailed([{ field: 'from', problems: ['from must be 1970-01-01 or later'] }]);
  if (to <= from) {
    const problem = query.to === undefined ? 'to (now, when not given) must be later than from' : 'to must be later than from';
    throw validationFailed([{ field: 'to', problems: [problem] }]);
  }
  if (to - from > MAX_SPAN_DAYS[bucket] * DAY_MS) {
    const problem = `a range of ${bucket} buckets spans at most ${MAX_SPAN_DAYS[bucket].toLocaleString('en')} days`;
    throw validationFailed([{ field: 'from', problems: [bucket === 'day' ? `${problem}: ask for bucket=week` : problem] }]);
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket };
}

/** The operator's figures: signups, deletions, the onboarding funnel, active users and providers (admin-stats.sql.ts). */
@Injectable()
export class AdminStatsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Every figure, read in one snapshot (a read-only repeatable-read transaction): they agree with each other (the
   * funnel's `signedUp` is the signups' total). Audited with the admin's id and the range.
   */
  async stats(admin: AuthenticatedUser, query: AdminStatsQuery): Promise<AdminStatsResponse> {
    const range = statsRangeOf(query);
    const figures = await this.db.transaction(async (tx) => {
      await tx.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const signups = await readSignups(tx, range);
      const deletions = await readDeletions(tx, range);
      // The same users in the same snapshot: counting them again would double the funnel's cost.
      const signedUp = signups.reduce((sum, bucket) => sum + bucket.count, 0);
      const onboarding = { signedUp, ...(await readOnboarding(tx, range)) };
      const active = await readActive(tx);
      const providers = await readProviders(tx);
      return { signups, deletions, onboarding, active, providers };
    });
    await this.audit.recordDetached({ userId: admin.id, subjectId: null, type: 'admin.stats.viewed', details: { ...range } });
    return { ...range, ...figures };
  }
}
