import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { AccessListener } from './access-listener.service.js';
import { AccessRegistry } from './access-registry.js';
import { AccessRepository } from './access.repository.js';

/** Who may no longer call: the in-memory registry the guard asks, kept current on every instance by LISTEN/NOTIFY. */
@Module({
  providers: [
    {
      provide: AccessRegistry,
      useFactory: (config: AppConfig) => new AccessRegistry(config.access.tokenLifetimeSeconds * 1000),
      inject: [APP_CONFIG],
    },
    AccessRepository,
    AccessListener,
  ],
  exports: [AccessRegistry],
})
export class AccessModule {}
