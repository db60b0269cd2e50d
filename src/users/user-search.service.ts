import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { toProfileResponse } from '../profiles/profile-row.js';
import type { ProfileResponse } from '../profiles/dto/profile.dto.js';
import type { UserResponse } from './dto/user.dto.js';
import { USER_COLUMNS } from './mirror-upsert.sql.js';
import { encodeCursor, userSearchSql, type UserSearch } from './user-search.js';
import { toUserResponse } from './user-mapper.js';
import { PREFIXED_PROFILE_COLUMNS, splitUserWithProfile, type UserWithProfileRow } from './users.repository.js';

export type { UserSearch, UserSort } from './user-search.js';
export { InvalidCursorError, USER_SORTS, USER_STATUSES } from './user-search.js';

export interface UserSearchPage {
  items: Array<{ user: UserResponse; profile: ProfileResponse | null }>;
  /** The cursor of the next page; null on the last one. */
  nextCursor: string | null;
}

/** The operator's queries over the mirror (GET /admin/users): one indexed statement a page. */
@Injectable()
export class UserSearchService {
  constructor(private readonly db: DatabaseService) {}

  /** Every page of a query, `pageSize` users at a time by the same keyset cursors: one statement a page, none held open. */
  async *everyPage(search: Omit<UserSearch, 'limit' | 'cursor'>, pageSize = 1000): AsyncGenerator<UserSearchPage['items']> {
    let cursor: string | undefined;
    do {
      const page = await this.search({ ...search, limit: pageSize, cursor });
      if (page.items.length > 0) yield page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  async search(search: UserSearch): Promise<UserSearchPage> {
    const { text, values } = userSearchSql(search, `${USER_COLUMNS}, ${PREFIXED_PROFILE_COLUMNS}`);
    // Planned with its values: the pool's generic plans (good for the mirror's fixed statements) would walk the sort's
    // index past a million rows for an `email` fragment or a day of `createdAfter`, where the values pick an index.
    const rows = await this.db.transaction(async (tx) => {
      await tx.query('SET LOCAL plan_cache_mode = force_custom_plan');
      return tx.query<UserWithProfileRow & { sort_value: string }>(text, values);
    });
    const page = rows.slice(0, search.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => {
        const { user, profile } = splitUserWithProfile(row);
        return { user: toUserResponse(user), profile: profile && toProfileResponse(profile) };
      }),
      nextCursor: rows.length > search.limit && last ? encodeCursor(search.sort, last.sort_value, last.id) : null,
    };
  }
}
