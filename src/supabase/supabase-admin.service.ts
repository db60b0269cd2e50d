import { Inject, Injectable, Logger } from '@nestjs/common';
import { createClient, isAuthApiError, type SupabaseClient } from '@supabase/supabase-js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { SupabaseUser } from './supabase-user.js';

export type UserLookup =
  | { kind: 'found'; user: SupabaseUser }
  | { kind: 'not_found' }
  | { kind: 'unavailable'; reason: string };

export type UserPage =
  | { kind: 'page'; users: SupabaseUser[]; total: number | null }
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

  /**
   * One page of `GET /admin/users` (sorted by created_at desc, pages from 1). `total` is the
   * X-Total-Count (null when the server sent no Link header). The caller computes the next page
   * itself (keep going while a page is full): supabase-js's `nextPage` is truncated to one digit
   * for pages ≥ 10 (reference/supabase-auth.md §3.7). Never throws.
   */
  async listUsers(page: number, perPage: number): Promise<UserPage> {
    try {
      const { data, error } = await this.client.auth.admin.listUsers({ page, perPage });
      if (!error) {
        const total = (data as { total?: number }).total;
        return { kind: 'page', users: data.users as SupabaseUser[], total: typeof total === 'number' && total > 0 ? total : null };
      }
      this.logger.warn({ status: error.status, code: error.code, page }, 'Supabase admin API refused listUsers');
      return { kind: 'unavailable', reason: error.code ?? `status ${error.status ?? 'unknown'}` };
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message, page }, 'Supabase admin API unreachable');
      return { kind: 'unavailable', reason: 'unreachable' };
    }
  }
}
