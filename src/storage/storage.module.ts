import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { LocalStorageService } from './local-storage.service.js';

@Module({
  imports: [UsersModule],
  providers: [LocalStorageService],
  exports: [LocalStorageService],
})
export class StorageModule {}
