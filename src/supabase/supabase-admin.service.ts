import { Inject, Injectable, Logger } from '@nestjs/common';
import { createClient, isAuthApiError, type SupabaseClient } from '@supabase/supabase-js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { SupabaseUser } from './supabase-user.js';

export type UserLookup =
  | { kind: 'found'; user: SupabaseUser }
  | { kind: 'not_found' }
  | { kind: 'unavailable'; reason: string };

/** The Supabase admin API, through supabase-js with the service-role key (server side only). */
@Injectable()
export class SupabaseAdminService {
  private readonly logger = new Logger(SupabaseAdminService.name);
  private readonly client: SupabaseClient;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const timeoutMs = config.supabase.adminTimeoutMs;
    this.client = createClient(config.supabase.url, config.supabase.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      global: {
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
      },
    });
  }

  /** The authoritative user, or why it could not be had. Never throws. */
  async getUserById(id: string): Promise<UserLookup> {
    try {
      const { data, error } = await this.client.auth.admin.getUserById(id);
      if (!error) return { kind: 'found', user: data.user as SupabaseUser };
      if (isAuthApiError(error) && error.status === 404) return { kind: 'not_found' };
      this.logger.warn({ status: error.status, code: error.code }, 'Supabase admin API refused getUserById');
      return { kind: 'unavailable', reason: error.code ?? `status ${error.status ?? 'unknown'}` };
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'Supabase admin API unreachable');
      return { kind: 'unavailable', reason: 'unreachable' };
    }
  }
}
