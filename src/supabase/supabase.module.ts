import { Global, Module } from '@nestjs/common';
import { SupabaseAdminService } from './supabase-admin.service.js';
import { SupabaseAuthService } from './supabase-auth.service.js';

@Global()
@Module({
  providers: [SupabaseAdminService, SupabaseAuthService],
  exports: [SupabaseAdminService, SupabaseAuthService],
})
export class SupabaseModule {}
