import { Global, Module } from '@nestjs/common';
import { SupabaseAdminService } from './supabase-admin.service.js';
import { SupabaseAuthService } from './supabase-auth.service.js';
import { SupabaseDatabaseService } from './supabase-database.service.js';
import { SupabaseSessionsService } from './supabase-sessions.service.js';

@Global()
@Module({
  providers: [SupabaseAdminService, SupabaseAuthService, SupabaseDatabaseService, SupabaseSessionsService],
  exports: [SupabaseAdminService, SupabaseAuthService, SupabaseDatabaseService, SupabaseSessionsService],
})
export class SupabaseModule {}
