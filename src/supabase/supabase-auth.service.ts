import { Inject, Injectable } from '@nestjs/common';
import { createClient, type Session } from '@supabase/supabase-js';
import { isIP } from 'node:net';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { remoteFailure, type RemoteResult } from './remote-result.js';
import type { SupabaseUser } from './supabase-user.js';

export type LogoutScope = 'local' | 'others' | 'global';

/** Supabase Auth on behalf of users, with the anon key; a fresh stateless client per call, so no session is kept here. */
@Injectable()
export class SupabaseAuthService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * GoTrue rate-limits per client address and every call comes from here, so the user's address goes in `Sb-Forwarded-For`
   * (used when GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED; supabase/auth internal/sbff/sbff.go, internal/api/middleware.go).
   */
  private client(clientIp?: string): ReturnType<typeof createClient> {
    const timeoutMs = this.config.supabase.adminTimeoutMs;
    return createClient(this.config.supabase.url, this.config.supabase.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      global: {
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
        headers: clientIp && isIP(clientIp) ? { 'Sb-Forwarded-For': clientIp } : {},
      },
    });
  }

  /** Signs in with an email (or, for accounts without one, a phone number) and a password. */
  async signInWithPassword(
    identity: { email: string } | { phone: string },
    password: string,
    clientIp?: string,
  ): Promise<RemoteResult<{ session: Session; user: SupabaseUser }>> {
    try {
      const { data, error } = await this.client(clientIp).auth.signInWithPassword({ ...identity, password });
      if (error) return remoteFailure(error);
      return { kind: 'ok', value: { session: data.session, user: data.user } };
    } catch (error) {
      return remoteFailure(error);
    }
  }

  /**
   * Sends the signup confirmation email (GoTrue's POST /resend): users made with the admin API get none. `redirectTo` must
   * be in the project's redirect allow list, or Supabase uses its site URL.
   */
  async sendSignupConfirmation(email: string, redirectTo: string | undefined, clientIp?: string): Promise<RemoteResult<null>> {
    try {
      const { error } = await this.client(clientIp).auth.resend({
        type: 'signup',
        email,
        options: redirectTo ? { emailRedirectTo: redirectTo } : undefined,
      });
      return error ? remoteFailure(error) : { kind: 'ok', value: null };
    } catch (error) {
      return remoteFailure(error);
    }
  }

  /** Sends a one-time code by SMS (GoTrue's POST /otp); a new number becomes a new user, as GoTrue's default does. */
  async sendPhoneCode(phone: string, clientIp?: string): Promise<RemoteResult<null>> {
    try {
      const { error } = await this.client(clientIp).auth.signInWithOtp({ phone, options: { shouldCreateUser: true, channel: 'sms' } });
      return error ? remoteFailure(error) : { kind: 'ok', value: null };
    } catch (error) {
      return remoteFailure(error);
    }
  }

  /** Signs in with the code sent by SMS (GoTrue's POST /verify, type sms), which also confirms the phone. */
  async verifyPhoneCode(phone: string, code: string, clientIp?: string): Promise<RemoteResult<{ session: Session; user: SupabaseUser }>> {
    try {
      const { data, error } = await this.client(clientIp).auth.verifyOtp({ phone, token: code, type: 'sms' });
      if (error) return remoteFailure(error);
      if (!data.session || !data.user) return { kind: 'refused', status: 403, code: 'otp_expired', message: 'No session' };
      return { kind: 'ok', value: { session: data.session, user: data.user } };
    } catch (error) {
      return remoteFailure(error);
    }
  }

  async refresh(refreshToken: string, clientIp?: string): Promise<RemoteResult<Session>> {
    try {
      const { data, error } = await this.client(clientIp).auth.refreshSession({ refresh_token: refreshToken });
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
