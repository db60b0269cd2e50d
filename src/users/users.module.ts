import { Module } from '@nestjs/common';
import { DeletedUsersRegistry } from './deleted-users.registry.js';
import { UserCleanerRegistry } from './user-cleaners.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, DeletedUsersRegistry, UserCleanerRegistry],
  exports: [UsersService, UserCleanerRegistry],
})
export class UsersModule {}
