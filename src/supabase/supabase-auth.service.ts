import { Inject, Injectable } from '@nestjs/common';
import { createClient, type Session, type SupabaseClient } from '@supabase/supabase-js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { remoteFailure, type RemoteResult } from './remote-result.js';
import type { SupabaseUser } from './supabase-user.js';

export type LogoutScope = 'local' | 'others' | 'global';

/**
 * Supabase Auth on behalf of users, with the public (anon) key: password sign-in, refresh and
 * logout. Each call uses a fresh, stateless client: no session is kept on the server.
 */
@Injectable()
export class SupabaseAuthService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private client(): SupabaseClient {
    const timeoutMs = this.config.supabase.adminTimeoutMs;
    return createClient(this.config.supabase.url, this.config.supabase.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      global: { fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) },
    });
  }

  async signInWithPassword(email: string, password: string): Promise<RemoteResult<{ session: Session; user: SupabaseUser }>> {
    try {
      const { data, error } = await this.client().auth.signInWithPassword({ email, password });
      if (error) return remoteFailure(error);
      return { kind: 'ok', value: { session: data.session, user: data.user as SupabaseUser } };
    } catch (error) {
      return remoteFailure(error);
    }
  }

  async refresh(refreshToken: string): Promise<RemoteResult<Session>> {
    try {
      const { data, error } = await this.client().auth.refreshSession({ refresh_token: refreshToken });
      if (error) return remoteFailure(error);
      if (!data.session) return { kind: 'refused', status: 401, code: 'session_not_found', message: 'No session' };
      return { kind: 'ok', value: data.session };
    } catch (error) {
      return remoteFailure(error);
    }
  }

  async logout(accessToken: string, scope: LogoutScope): Promise<RemoteResult<null>> {
    try {
      const { error } = await this.client().auth.admin.signOut(accessToken, scope);
      return error ? remoteFailure(error) : { kind: 'ok', value: null };
    } catch (error) {
      return remoteFailure(error);
    }
  }
}
