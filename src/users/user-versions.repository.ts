import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { snapshotIsNewer } from './mirror-upsert.sql.js';
import { timestampArray, uuidArray } from './snapshot-params.js';
import type { UserSnapshot } from './user-snapshot.js';

/** How a page of listed (id, version) pairs compares with the mirror (read only). */
export interface VersionComparison {
  /** No row at all: a real run creates them. */
  missing: number;
  /** Tombstones: a real run leaves them alone (no resurrection). */
  tombstones: number;
  /** Rows older than the listing, without a version, or with a phone conflict to heal: a real run may write them. */
  newer: number;
  /** Rows already as new as the listing. */
  current: number;
  /** Positions (0-based) of the entries a real run may write: the missing and the newer. */
  writable: number[];
}

/** Reads of the mirror's versions and tombstones, for a caller deciding what to write (reconcile). */
@Injectable()
export class UserVersionsRepository {
  constructor(private readonly db: DatabaseService) {}

  /** Of these ids, the ones that already are tombstones here. */
  async tombstoneIdsAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.sql.query<{ id: string }>(
      'SELECT id::text AS id FROM users WHERE id = ANY($1::uuid[]) AND deleted_at IS NOT NULL',
      [ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Compares listed (id, version) pairs in Postgres (to the microsecond); one row of counts and writable positions per page. */
  async compareVersions(entries: ReadonlyArray<Pick<UserSnapshot, 'id' | 'updatedAt'>>): Promise<VersionComparison> {
    if (entries.length === 0) return { missing: 0, tombstones: 0, newer: 0, current: 0, writable: [] };
    const [row] = await this.db.sql.query<VersionComparison>(
      `SELECT count(*) FILTER (WHERE state = 'missing')::int AS missing,
         count(*) FILTER (WHERE state = 'tombstone')::int AS tombstones,
         count(*) FILTER (WHERE state = 'newer')::int AS newer,
         count(*) FILTER (WHERE state = 'current')::int AS current,
         coalesce(array_agg((position - 1)::int) FILTER (WHERE state IN ('missing', 'newer')), '{}') AS writable
       FROM (
         SELECT i.position, CASE WHEN u.id IS NULL THEN 'missing' WHEN u.deleted_at IS NOT NULL THEN 'tombstone'
           WHEN ${snapshotIsNewer('u', 'i')} THEN 'newer'
           ELSE 'current' END AS state
         FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS i(id, updated_at, position)
         LEFT JOIN LATERAL (SELECT u.id, u.deleted_at, u.updated_at, u.phone_conflict FROM users u WHERE u.id = i.id OFFSET 0) AS u ON true
       ) AS compared`,
      [uuidArray(entries.map((entry) => entry.id)), timestampArray(entries.map((entry) => entry.updatedAt))],
    );
    return row;
  }
}
