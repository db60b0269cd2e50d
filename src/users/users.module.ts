import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { PhoneLookupService } from './phone-lookup.service.js';
import { TombstonePurgeService } from './tombstone-purge.service.js';
import { UserCleanerRegistry } from './user-cleaners.js';
import { UserSearchService } from './user-search.service.js';
import { UserDeletionsService } from './user-deletions.service.js';
import { UserVersionsRepository } from './user-versions.repository.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

/** The mirror of Supabase users; UsersService is its public face (and the only writer of `users`). */
@Module({
  imports: [ProfilesModule, AccessModule],
  controllers: [UsersController],
  providers: [
    UsersService,
    UsersRepository,
    UserVersionsRepository,
    UserDeletionsService,
    TombstonePurgeService,
    PhoneLookupService,
    UserCleanerRegistry,
    UserSearchService,
  ],
  exports: [UsersService, UserCleanerRegistry, UserSearchService],
})
export class UsersModule {}
