import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { type ApiError, apiError } from '../common/errors.js';
import { RateLimitsService } from '../rate-limits/rate-limits.service.js';
import { remoteError } from '../supabase/remote-result.js';
import { SupabaseAuthService, type LogoutScope } from '../supabase/supabase-auth.service.js';
import { snapshotFromSupabase } from '../users/user-snapshot.js';
import { UsersService, userDeleted } from '../users/users.service.js';
import type { LoginResponse, RefreshResponse } from './dto/auth-responses.dto.js';
import { toSessionResponse } from './dto/session.dto.js';

function userBanned(): ApiError {
  return apiError('user_banned');
}

/** Password sign-in, refresh and logout through Supabase Auth, answered in this API's error shape. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly limits: RateLimitsService,
  ) {}

  /** Signs in and mirrors the user; rate-limited per address and, for wrong passwords, per account and client (docs/security.md). */
  async login(email: string, password: string, clientIp: string): Promise<LoginResponse> {
    const failures = this.limits.failedSignInsOf(email, clientIp);
    await this.limits.take(this.limits.authCallsFrom(clientIp), failures);
    try {
      await this.limits.refuseFailingClientOf(email, clientIp);
    } catch (error) {
      await this.limits.giveBack(failures);
      throw error;
    }
    const signedIn = await this.supabaseAuth.signInWithPassword({ email }, password, clientIp);
    if (signedIn.kind === 'refused' && signedIn.code === 'invalid_credentials') await this.limits.recordFailedSignIn(email, clientIp);
    else await this.limits.giveBack(failures);
    if (signedIn.kind !== 'ok') {
      if (signedIn.kind === 'refused') await this.recordFailure(email, signedIn.code ?? 'refused');
      if (signedIn.kind === 'refused' && signedIn.code === 'email_not_confirmed') {
        throw apiError('email_not_confirmed');
      }
      // Supabase says so before it checks the password (anyone can ask it directly): no secret to keep.
      if (signedIn.kind === 'refused' && signedIn.code === 'user_banned') throw userBanned();
      throw remoteError(signedIn, apiError('invalid_credentials'));
    }
    const { session, user } = signedIn.value;
    const mirrored = await this.users.mirrorSignedIn(snapshotFromSupabase(user));
    return { session: toSessionResponse(session), user: mirrored.user, profile: mirrored.profile };
  }

  async refresh(refreshToken: string, clientIp: string): Promise<RefreshResponse> {
    await this.limits.take(this.limits.authCallsFrom(clientIp), this.limits.refreshesOf(refreshToken));
    const refreshed = await this.supabaseAuth.refresh(refreshToken, clientIp);
    if (refreshed.kind !== 'ok') {
      if (refreshed.kind === 'refused' && refreshed.code === 'user_banned') throw userBanned();
      throw remoteError(refreshed, apiError('invalid_refresh_token'));
    }
    if (this.users.isDeleted(refreshed.value.user.id)) throw userDeleted();
    return { session: toSessionResponse(refreshed.value) };
  }

  async logout(accessToken: string, scope: LogoutScope): Promise<void> {
    const done = await this.supabaseAuth.logout(accessToken, scope);
    // A session Supabase no longer has is already logged out.
    if (done.kind === 'ok' || (done.kind === 'refused' && [401, 403, 404].includes(done.status))) return;
    throw remoteError(done, apiError('logout_failed'));
  }

  /** Audits a refused sign-in: the reason and the user's id when the email is known, never the email. */
  private async recordFailure(email: string, reason: string): Promise<void> {
    // The answer is a refusal whatever happens here: an id that cannot be found is recorded as unknown.
    const id = await this.users.findLiveIdByEmail(email).catch(() => null);
    await this.audit.recordDetached({ userId: id, subjectId: id, type: 'login.failed', details: { reason } });
  }
}
