import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminJobsController } from './admin-jobs.controller.js';
import { AdminJobsService } from './admin-jobs.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';
import { AppMetadataPushes } from './app-metadata-pushes.js';
import { UserTimelineService } from './user-timeline.service.js';

/** The operator's window: routes for admins only (`app_metadata.roles` contains "admin"): user queries, a user's timeline, tier and role changes, dead letters. */
@Module({
  imports: [UsersModule, DevicesModule],
  controllers: [AdminUsersController, AdminJobsController],
  providers: [AdminUsersService, AdminJobsService, AppMetadataPushes, UserTimelineService],
})
export class AdminModule {}
