import { Global, Module } from '@nestjs/common';
import { SupabaseAdminService } from './supabase-admin.service.js';
import { SupabaseAuthService } from './supabase-auth.service.js';
import { SupabaseDatabaseService } from './supabase-database.service.js';

@Global()
@Module({
  providers: [SupabaseAdminService, SupabaseAuthService, SupabaseDatabaseService],
  exports: [SupabaseAdminService, SupabaseAuthService, SupabaseDatabaseService],
})
export class SupabaseModule {}
