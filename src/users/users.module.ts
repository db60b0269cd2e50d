import { Module } from '@nestjs/common';
import { DeletedUsersRegistry } from './deleted-users.registry.js';
import { PhoneLookupService } from './phone-lookup.service.js';
import { ReconcileRepository } from './reconcile.repository.js';
import { ReconcileService } from './reconcile.service.js';
import { UserCleanerRegistry } from './user-cleaners.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [UsersController],
  providers: [
    UsersService,
    UsersRepository,
    PhoneLookupService,
    DeletedUsersRegistry,
    UserCleanerRegistry,
    ReconcileService,
    ReconcileRepository,
  ],
  exports: [UsersService, UserCleanerRegistry, ReconcileService],
})
export class UsersModule {}
