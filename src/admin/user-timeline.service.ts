import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { apiError, validationFailed } from '../common/errors.js';
import { DatabaseService } from '../database/database.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { UsersService } from '../users/users.service.js';
import type { AdminUserDetail } from './dto/admin-user-detail.dto.js';
import { TIMELINE, decodeTimelineCursor, encodeTimelineCursor, timelineParams, type TimelineRow } from './user-timeline.sql.js';

/** `GET /admin/users/{id}`: why a user looks the way they do — the row, the profile, the devices and the timeline. */
@Injectable()
export class UserTimelineService {
  constructor(
    private readonly db: DatabaseService,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly audit: AuditService,
  ) {}

  async detail(admin: AuthenticatedUser, id: string, page: { limit?: number; cursor?: string }): Promise<AdminUserDetail> {
    const limit = page.limit ?? 100;
    const position = page.cursor === undefined ? null : decodeTimelineCursor(page.cursor);
    if (page.cursor !== undefined && !position)
      throw validationFailed([{ field: 'cursor', problems: ['cursor is not one this API gave'] }]);
    const [found, devices, rows] = await Promise.all([
      this.users.operatorView(id),
      this.devices.everyDevice(id),
      this.db.sql.query<TimelineRow>(TIMELINE, timelineParams(id, position, limit)),
    ]);
    // A purged tombstone leaves the records that outlive it (the deletion, the clean-ups): still worth showing.
    if (!found && rows.length === 0) throw apiError('user_not_found', { message: 'Neither the mirror nor its records know this id' });
    // Not about the user (subjectId): a view is not something that happened to them, so it stays off their timeline.
    await this.audit.recordDetached({ userId: admin.id, subjectId: null, type: 'admin.user.viewed', details: { userId: id } });
    const shown = rows.slice(0, limit);
    return {
      ...(found ?? { status: 'deleted', user: null, profile: null, deletedAt: null }),
      devices,
      timeline: shown.map((row) => ({ at: row.at.toISOString(), type: row.type, details: row.details })),
      nextCursor: rows.length > limit ? encodeTimelineCursor(shown[shown.length - 1]) : null,
    };
  }
}
