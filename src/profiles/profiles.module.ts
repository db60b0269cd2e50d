import { Module } from '@nestjs/common';
import { ProfileMetadataService } from './profile-metadata.service.js';
import { ProfilesController } from './profiles.controller.js';
import { ProfilesService } from './profiles.service.js';

@Module({
  controllers: [ProfilesController],
  providers: [ProfilesService, ProfileMetadataService],
  exports: [ProfilesService],
})
export class ProfilesModule {}
