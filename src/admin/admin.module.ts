import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminJobsController } from './admin-jobs.controller.js';
import { AdminJobsService } from './admin-jobs.service.js';
import { AdminStatsController } from './admin-stats.controller.js';
import { AdminStatsService } from './admin-stats.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';
import { AppMetadataPushes } from './app-metadata-pushes.js';
import { UserTimelineService } from './user-timeline.service.js';

/** The operator's window: routes for admins only (`app_metadata.roles` contains "admin"): user queries, a user's timeline, figures, tier and role changes, dead letters. */
@Module({
  imports: [UsersModule, DevicesModule],
  controllers: [AdminUsersController, AdminJobsController, AdminStatsController],
  providers: [AdminUsersService, AdminJobsService, AdminStatsService, AppMetadataPushes, UserTimelineService],
})
export class AdminModule {}
