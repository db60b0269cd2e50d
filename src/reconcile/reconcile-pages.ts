import { Injectable, Logger } from '@nestjs/common';
import { isUuid } from '../common/uuid.js';
import type { Sql } from '../database/sql.js';
import type { SupabaseUser } from '../supabase/supabase-user.js';
import { InvalidSnapshotError, snapshotFromSupabase, type UserSnapshot } from '../users/user-snapshot.js';
import { UsersService } from '../users/users.service.js';
import { ReconcileRepository } from './reconcile.repository.js';
import { count, type ReconcileSummary, type RunState } from './reconcile-run.js';

/** A listed page as snapshots (see readPage). */
export interface ReadPage {
  /** How many users the page listed. */
  listed: number;
  live: UserSnapshot[];
  softDeleted: UserSnapshot[];
  unusable: Array<{ userId: string | null; reason: string }>;
}

export type ReadResult = { kind: 'unavailable'; reason: string } | { kind: 'page'; users: ReadPage; total: number | null };

/** Checks and normalises every listed user (snapshotFromSupabase); the last of an id listed twice wins. */
export function readPage(listed: readonly SupabaseUser[]): ReadPage {
  const live = new Map<string, UserSnapshot>();
  const softDeleted = new Map<string, UserSnapshot>();
  const unusable: ReadPage['unusable'] = [];
  for (const user of listed) {
    let snapshot: UserSnapshot;
    try {
      snapshot = snapshotFromSupabase(user);
    } catch (error) {
      if (!(error instanceof InvalidSnapshotError)) throw error;
      unusable.push({ userId: typeof user.id === 'string' ? user.id : null, reason: error.message });
      continue;
    }
    (snapshot.deletedAt !== null ? softDeleted : live).set(snapshot.id, snapshot);
  }
  return { listed: listed.length, live: [...live.values()], softDeleted: [...softDeleted.values()], unusable };
}

/** What a run does with what Supabase listed: apply (or, in a dry run, classify), delete, count. */
@Injectable()
export class ReconcilePages {
  private readonly logger = new Logger(ReconcilePages.name);

  constructor(
    private readonly users: UsersService,
    private readonly repository: ReconcileRepository,
  ) {}

  /**
   * Applies a page and records as seen the listed ids the sweep could still take for candidates: rows this run writes
   * are ruled out by their synced_at, so only unwritten ones (every id in a dry run) are recorded.
   */
  async applyPage(page: ReadPage, state: RunState, session: Sql): Promise<void> {
    const summary = state.summary;
    summary.seen += page.listed;
    // Supabase has an unusable user all the same: never a sweep candidate.
    const seen = page.unusable.flatMap(({ userId }) => (userId !== null && isUuid(userId) ? [userId.toLowerCase()] : []));
    if (summary.dryRun) seen.push(...page.live.map((s) => s.id), ...page.softDeleted.map((s) => s.id));
    const [, unwritten] = await Promise.all([this.repository.recordSeen(seen, session), this.applyRead(page, state)]);
    if (unwritten.length > 0) await this.repository.recordSeen(unwritten, session);
  }

  /** Applies what Supabase listed (a page, or a user the sweep looked up); returns the ids of live rows left as they were. */
  async applyRead(page: ReadPage, state: RunState): Promise<string[]> {
    const summary = state.summary;
    summary.failed += page.unusable.length;
    for (const { userId, reason } of page.unusable) this.logger.warn({ userId, reason }, 'reconcile skipped an unusable user');
    const [unwritten] = await Promise.all([
      summary.dryRun ? this.classify(page.live, summary).then(() => []) : this.apply(page.live, state),
      this.deleteSoftDeleted(page.softDeleted, summary),
    ]);
    return unwritten;
  }

  /**
   * Applies live users; after a mostly current page, an (id, version) read goes first so unchanged users are not sent
   * whole, and after a mostly written one (a first run) the upsert goes alone. Returns the ids of rows left as they were.
   */
  private async apply(snapshots: UserSnapshot[], state: RunState): Promise<string[]> {
    if (snapshots.length === 0) return [];
    const summary = state.summary;
    const unwritten: string[] = [];
    let written = 0;
    let toApply = snapshots;
    if (state.readFirst) {
      const compared = await this.users.compareVersions(snapshots);
      summary.unchanged += compared.current;
      summary.keptDeleted += compared.tombstones;
      const writable = new Set(compared.writable);
      toApply = snapshots.filter((_, position) => writable.has(position));
      for (const [position, snapshot] of snapshots.entries()) if (!writable.has(position)) unwritten.push(snapshot.id);
    }
    if (toApply.length > 0) {
      const counts = await this.users.applyUserSnapshots(toApply, { repairs: !summary.backfill });
      summary.created += counts.created;
      summary.updated += counts.updated;
      summary.unchanged += counts.unchanged + counts.stale;
      summary.keptDeleted += counts.deleted;
      summary.failed += counts.missing;
      unwritten.push(...counts.unwritten);
      written = counts.created + counts.updated;
    }
    // Decided by what was written, not by what was sent: a page sent whole can still be mostly current.
    state.readFirst = written * 2 < snapshots.length;
    return unwritten;
  }

  /** Dry run: what apply would do, from the rows as they stand. */
  private async classify(snapshots: UserSnapshot[], summary: ReconcileSummary): Promise<void> {
    if (snapshots.length === 0) return;
    const compared = await this.users.compareVersions(snapshots);
    summary.created += compared.missing;
    summary.keptDeleted += compared.tombstones;
    summary.updated += compared.newer;
    summary.unchanged += compared.current;
  }

  /** Users soft-deleted in Supabase: tombstoned here unless they already are (no transaction per known tombstone). */
  private async deleteSoftDeleted(snapshots: UserSnapshot[], summary: ReconcileSummary): Promise<void> {
    if (snapshots.length === 0) return;
    const tombstones = await this.users.tombstoneIdsAmong(snapshots.map((s) => s.id));
    for (const snapshot of snapshots) {
      if (tombstones.has(snapshot.id)) {
        count(summary, 'unchanged');
      } else if (summary.dryRun) {
        count(summary, 'deleted');
      } else {
        const { deleted } = await this.users.deleteUser(snapshot.id, { deletedAt: snapshot.deletedAt, source: 'reconcile' });
        count(summary, deleted ? 'deleted' : 'unchanged');
      }
    }
  }
}
