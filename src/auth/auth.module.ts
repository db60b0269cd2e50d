import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountDeletionService } from './account-deletion.service.js';
import { AccountController } from './account.controller.js';
import { AuthController } from './auth.controller.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { ReauthenticationService } from './reauthentication.service.js';
import { SessionsService } from './sessions.service.js';
import { SigningKeysService } from './signing-keys.service.js';
import { SignupRecoveryService } from './signup-recovery.service.js';
import { SignupSagaService } from './signup-saga.service.js';
import { SignupSagasRepository } from './signup-sagas.repository.js';
import { SignupService } from './signup.service.js';
import { SupabaseJwtStrategy } from './supabase-jwt.strategy.js';
import { UserSyncService } from './user-sync.service.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

@Module({
  imports: [PassportModule, UsersModule, ProfilesModule],
  controllers: [AuthController, AccountController],
  providers: [
    SigningKeysService,
    SupabaseJwtStrategy,
    UserSyncService,
    VerifiedTokenCache,
    SignupService,
    SignupSagasRepository,
    SignupSagaService,
    SignupRecoveryService,
    SessionsService,
    AccountDeletionService,
    ReauthenticationService,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AuthModule {}
