import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { validationFailed } from '../common/errors.js';
import { toStoredPhone } from '../users/phone-number.js';
import { InvalidCursorError, UserSearchService } from '../users/user-search.service.js';
import type { AdminUsersQuery, AdminUsersResponse } from './dto/admin-users.dto.js';

/** The operator's user queries, each audited with the admin's id and the filters' names (never their values: an email is personal). */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly searcher: UserSearchService,
    private readonly audit: AuditService,
  ) {}

  async search(admin: AuthenticatedUser, query: AdminUsersQuery): Promise<AdminUsersResponse> {
    const { sort = '-createdAt', limit = 50, phone, ...filters } = query;
    let page;
    try {
      page = await this.searcher.search({ ...filters, phone: phone === undefined ? undefined : toStoredPhone(phone)!, sort, limit });
    } catch (error) {
      if (error instanceof InvalidCursorError) throw validationFailed([{ field: 'cursor', problems: [error.message] }]);
      throw error;
    }
    const used = Object.keys(query).filter((key) => query[key as keyof AdminUsersQuery] !== undefined);
    await this.audit.recordDetached({ userId: admin.id, subjectId: null, type: 'admin.users.searched', details: { filters: used } });
    return page;
  }
}
