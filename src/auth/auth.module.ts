import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccessModule } from '../access/access.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { SigningKeysService } from './signing-keys.service.js';
import { SupabaseJwtStrategy } from './supabase-jwt.strategy.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** Who is calling: every route is guarded by a verified Supabase access token unless marked @Public(). */
@Module({
  imports: [PassportModule, AccessModule, DevicesModule],
  providers: [SigningKeysService, SupabaseJwtStrategy, VerifiedTokenCache, { provide: APP_GUARD, useClass: JwtAuthGuard }],
})
export class AuthModule {}
