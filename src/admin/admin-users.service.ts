import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { validationFailed } from '../common/errors.js';
import { toStoredPhone } from '../users/phone-number.js';
import { InvalidCursorError, UserSearchService, type UserSearch } from '../users/user-search.service.js';
import type { AdminUsersQuery, AdminUsersResponse } from './dto/admin-users.dto.js';
import { CSV_HEADER, csvLines } from './users-csv.js';

/** The operator's user queries, each audited with the admin's id and the filters' names (never their values: an email is personal). */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly searcher: UserSearchService,
    private readonly audit: AuditService,
  ) {}

  async search(admin: AuthenticatedUser, query: AdminUsersQuery): Promise<AdminUsersResponse> {
    const { limit = 50, ...rest } = query;
    let page;
    try {
      page = await this.searcher.search({ ...searchOf(rest), limit });
    } catch (error) {
      if (error instanceof InvalidCursorError) throw validationFailed([{ field: 'cursor', problems: [error.message] }]);
      throw error;
    }
    await this.audited(admin, 'admin.users.searched', query);
    return page;
  }

  /** The whole query as CSV, a page of 1,000 users at a time: memory stays flat however many users match. */
  async csv(admin: AuthenticatedUser, query: Omit<AdminUsersQuery, 'limit' | 'cursor'>): Promise<AsyncGenerator<string>> {
    await this.audited(admin, 'admin.users.exported', query);
    const pages = this.searcher.everyPage(searchOf(query));
    return (async function* () {
      yield CSV_HEADER;
      for await (const items of pages) yield csvLines(items);
    })();
  }

  private async audited(admin: AuthenticatedUser, type: string, query: object): Promise<void> {
    const filters = Object.entries(query).flatMap(([key, value]) => (value === undefined ? [] : [key]));
    await this.audit.recordDetached({ userId: admin.id, subjectId: null, type, details: { filters } });
  }
}

/** The query as the search takes it: the phone in its stored form (validated already), the default sort. */
function searchOf(query: Omit<AdminUsersQuery, 'limit'>): Omit<UserSearch, 'limit'> {
  const { sort = '-createdAt', phone, ...filters } = query;
  return { ...filters, phone: phone === undefined ? undefined : toStoredPhone(phone)!, sort };
}
