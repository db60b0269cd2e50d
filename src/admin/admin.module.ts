import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { AdminJobsController } from './admin-jobs.controller.js';
import { AdminJobsService } from './admin-jobs.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

/** The operator's window: routes for admins only (`app_metadata.roles` contains "admin"): user queries and dead letters. */
@Module({
  imports: [UsersModule],
  controllers: [AdminUsersController, AdminJobsController],
  providers: [AdminUsersService, AdminJobsService],
})
export class AdminModule {}
