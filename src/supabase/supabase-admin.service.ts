import { Inject, Injectable, Logger } from '@nestjs/common';
import { createClient, isAuthApiError } from '@supabase/supabase-js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { remoteFailure, type RemoteRead, type RemoteResult } from './remote-result.js';
import type { SupabaseUser } from './supabase-user.js';

export interface UserPage {
  users: SupabaseUser[];
  /** X-Total-Count; null when Supabase sent none. */
  total: number | null;
}

type Unavailable = Extract<RemoteRead<never>, { kind: 'unavailable' }>;

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

  /** The authoritative user; `null` when Supabase has no such user, `unavailable` for any other failure. Never throws. */
  async getUserById(id: string): Promise<RemoteRead<SupabaseUser | null>> {
    try {
      const { data, error } = await this.client.auth.admin.getUserById(id);
      if (!error) return { kind: 'ok', value: data.user };
      if (isAuthApiError(error) && error.status === 404) return { kind: 'ok', value: null };
      return this.unavailable('getUserById', error);
    } catch (error) {
      return this.unreachable(error);
    }
  }

  /** Merges into `user_metadata` (Supabase keeps other top-level keys; null removes one); false for no such user. Never throws. */
  async updateUserMetadata(id: string, metadata: Record<string, unknown>): Promise<RemoteRead<boolean>> {
    try {
      const { error } = await this.client.auth.admin.updateUserById(id, { user_metadata: metadata });
      if (!error) return { kind: 'ok', value: true };
      if (isAuthApiError(error) && error.status === 404) return { kind: 'ok', value: false };
      return this.unavailable('updateUserById', error);
    } catch (error) {
      return this.unreachable(error);
    }
  }

  /**
   * One page of `GET /admin/users` (from 1), with X-Total-Count. The caller computes the next page: supabase-js's
   * `nextPage` is truncated to one digit for pages ≥ 10 (docs/supabase-auth.md §3.7). Never throws.
   */
  async listUsers(page: number, perPage: number): Promise<RemoteRead<UserPage>> {
    try {
      const { data, error } = await this.client.auth.admin.listUsers({ page, perPage });
      if (error) return this.unavailable('listUsers', error, page);
      const total = (data as { total?: number }).total;
      return { kind: 'ok', value: { users: data.users, total: typeof total === 'number' && total > 0 ? total : null } };
    } catch (error) {
      return this.unreachable(error, page);
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

  /** Merges into `app_metadata` (null removes a key); the user as Supabase has it now, null for no such user. Never throws. */
  async updateAppMetadata(id: string, patch: Record<string, unknown>): Promise<RemoteRead<SupabaseUser | null>> {
    try {
      const { data, error } = await this.client.auth.admin.updateUserById(id, { app_metadata: patch });
      if (!error) return { kind: 'ok', value: data.user };
      if (isAuthApiError(error) && error.status === 404) return { kind: 'ok', value: null };
      return this.unavailable('updateUserById', error);
    } catch (error) {
      return this.unreachable(error);
    }
  }

  /** Sets a new password; Supabase then ends every session of the user (GoTrue's admin update: UpdatePassword → Logout). */
  async updatePassword(id: string, password: string): Promise<RemoteResult<null>> {
    try {
      const { error } = await this.client.auth.admin.updateUserById(id, { password });
      return error ? remoteFailure(error) : { kind: 'ok', value: null };
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

  /** Any error of a read but a missing user is "not now". */
  private unavailable(call: string, error: { status?: number; code?: string }, page?: number): Unavailable {
    this.logger.warn({ status: error.status, code: error.code, page }, `Supabase admin API refused ${call}`);
    return { kind: 'unavailable', reason: error.code ?? `status ${error.status ?? 'unknown'}` };
  }

  private unreachable(error: unknown, page?: number): Unavailable {
    this.logger.warn({ reason: (error as Error).message, page }, 'Supabase admin API unreachable');
    return { kind: 'unavailable', reason: 'unreachable' };
  }
}
