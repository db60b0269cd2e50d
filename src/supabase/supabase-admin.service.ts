import { Inject, Injectable, Logger } from '@nestjs/common';
import { createClient, isAuthApiError } from '@supabase/supabase-js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { remoteFailure, type RemoteResult } from './remote-result.js';
import type { SupabaseUser } from './supabase-user.js';

export type UserLookup = { kind: 'found'; user: SupabaseUser } | { kind: 'not_found' } | { kind: 'unavailable'; reason: string };

export type MetadataUpdate = { kind: 'updated' } | { kind: 'not_found' } | { kind: 'unavailable'; reason: string };

export type UserPage = { kind: 'page'; users: SupabaseUser[]; total: number | null } | { kind: 'unavailable'; reason: string };

/** The Supabase admin API, through supabase-js with the service-role key (server side only). */
@Injectable()
export class SupabaseAdminService {
  private readonly logger = new Logger(SupabaseAdminService.name);
  private readonly client: ReturnType<typeof createClient>;

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
      if (!error) return { kind: 'found', user: data.user };
      if (isAuthApiError(error) && error.status === 404) return { kind: 'not_found' };
      this.logger.warn({ status: error.status, code: error.code }, 'Supabase admin API refused getUserById');
      return { kind: 'unavailable', reason: error.code ?? `status ${error.status ?? 'unknown'}` };
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'Supabase admin API unreachable');
      return { kind: 'unavailable', reason: 'unreachable' };
    }
  }

  /**
   * Merges `metadata` into the user's `user_metadata`: Supabase replaces the top-level keys given
   * and keeps the others (a key set to null is removed). Never throws.
   */
  async updateUserMetadata(id: string, metadata: Record<string, unknown>): Promise<MetadataUpdate> {
    try {
      const { error } = await this.client.auth.admin.updateUserById(id, { user_metadata: metadata });
      if (!error) return { kind: 'updated' };
      if (isAuthApiError(error) && error.status === 404) return { kind: 'not_found' };
      this.logger.warn({ status: error.status, code: error.code }, 'Supabase admin API refused updateUserById');
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
        return { kind: 'page', users: data.users, total: typeof total === 'number' && total > 0 ? total : null };
      }
      this.logger.warn({ status: error.status, code: error.code, page }, 'Supabase admin API refused listUsers');
      return { kind: 'unavailable', reason: error.code ?? `status ${error.status ?? 'unknown'}` };
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message, page }, 'Supabase admin API unreachable');
      return { kind: 'unavailable', reason: 'unreachable' };
    }
  }

  /** Creates a user with a chosen id (so a retried or recovered signup can find it). Never throws. */
  async createUser(attributes: {
    id: string;
    email: string;
    password: string;
    phone?: string;
    emailConfirm: boolean;
    userMetadata: Record<string, unknown>;
  }): Promise<RemoteResult<SupabaseUser>> {
    try {
      const { data, error } = await this.client.auth.admin.createUser({
        id: attributes.id,
        email: attributes.email,
        password: attributes.password,
        ...(attributes.phone ? { phone: attributes.phone, phone_confirm: false } : {}),
        email_confirm: attributes.emailConfirm,
        user_metadata: attributes.userMetadata,
      });
      return error ? remoteFailure(error) : { kind: 'ok', value: data.user };
    } catch (error) {
      return remoteFailure(error);
    }
  }

  /** Deletes a user; a user that is already gone counts as deleted. Never throws. */
  async deleteUser(id: string): Promise<RemoteResult<null>> {
    try {
      const { error } = await this.client.auth.admin.deleteUser(id);
      if (!error || (isAuthApiError(error) && error.status === 404)) return { kind: 'ok', value: null };
      return remoteFailure(error);
    } catch (error) {
      return remoteFailure(error);
    }
  }
}
