import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { DeviceListenerRegistry } from './device-listeners.js';
import { DeviceSightings } from './device-sightings.js';
import { DevicesController } from './devices.controller.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import { SupabaseSessionRevoker } from './supabase-session-revoker.js';

/** A user's devices (Supabase sessions): recorded when seen, listed, named and revoked; new ones announced to listeners. */
@Module({
  imports: [AccessModule],
  controllers: [DevicesController],
  providers: [DevicesService, DevicesRepository, DeviceSightings, DeviceListenerRegistry, SupabaseSessionRevoker],
  exports: [DevicesService, DeviceSightings, DeviceListenerRegistry],
})
export class DevicesModule {}
