import { Module, type DynamicModule } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { LoggerModule } from 'nestjs-pino';
import { AccountsModule } from './accounts/accounts.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AdminPageModule } from './admin-page/admin-page.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { DevicesModule } from './devices/devices.module.js';
import { loggerOptions } from './common/logging.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.js';
import { HealthModule } from './health/health.module.js';
import { IntakeModule } from './intake/intake.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ProfilesModule } from './profiles/profiles.module.js';
import { RateLimitsModule } from './rate-limits/rate-limits.module.js';
import { ReconcileModule } from './reconcile/reconcile.module.js';
import { StorageModule } from './storage/storage.module.js';
import { SupabaseModule } from './supabase/supabase.module.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logDestination?: Writable): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config, logDestination)),
        DatabaseModule,
        MetricsModule,
        JobsModule,
        AuditModule,
        RateLimitsModule,
        SupabaseModule,
        AuthModule,
        AccountsModule,
        DevicesModule,
        AdminModule,
        AdminPageModule,
        UsersModule,
        ReconcileModule,
        ProfilesModule,
        StorageModule,
        WebhooksModule,
        IntakeModule,
        HealthModule,
      ],
    };
  }
}
