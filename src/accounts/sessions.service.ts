import { Injectable, Logger } from '@nestjs/common';
import { AccessRegistry } from '../access/access-registry.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { type ApiError, apiError } from '../common/errors.js';
import type { ClientInfo } from '../common/request-headers.decorator.js';
import { DevicesService } from '../devices/devices.service.js';
import { RateLimitsService } from '../rate-limits/rate-limits.service.js';
import { remoteError } from '../supabase/remote-result.js';
import { SupabaseAuthService, type LogoutScope } from '../supabase/supabase-auth.service.js';
import { snapshotFromClaims, snapshotFromSupabase } from '../users/user-snapshot.js';
import { UsersService, userDeleted } from '../users/users.service.js';
import type { LoginResponse, RefreshResponse } from './dto/auth-responses.dto.js';
import { toSessionResponse } from './dto/session.dto.js';
import { callerOfSession } from './session-device.js';

export function userBanned(): ApiError {
  return apiError('user_banned');
}

/** Password sign-in, refresh and logout through Supabase Auth, answered in this API's error shape; each session is a device. */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly access: AccessRegistry,
    private readonly audit: AuditService,
    private readonly limits: RateLimitsService,
  ) {}

  /** Signs in and mirrors the user; rate-limited per address and, for wrong passwords, per account and client (docs/security.md). */
  async login(email: string, password: string, client: ClientInfo): Promise<LoginResponse> {
    const clientIp = client.ip;
    const attempt = await this.limits.admitSignIn(email, clientIp);
    const signedIn = await this.supabaseAuth.signInWithPassword({ email }, password, clientIp);
    const wrong = signedIn.kind === 'refused' && signedIn.code === 'invalid_credentials';
    await this.limits.settleSignIn(attempt, email, clientIp, wrong);
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
    await this.audit.recordDetached({ userId: user.id, subjectId: user.id, type: 'user.signed_in', details: { method: 'password' } });
    await this.devices.seen(callerOfSession(session), client);
    return { session: toSessionResponse(session), user: mirrored.user, profile: mirrored.profile };
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<RefreshResponse> {
    await this.limits.take(this.limits.authCallsFrom(client.ip), this.limits.refreshesOf(refreshToken));
    const refreshed = await this.supabaseAuth.refresh(refreshToken, client.ip);
    if (refreshed.kind !== 'ok') {
      if (refreshed.kind === 'refused' && refreshed.code === 'user_banned') throw userBanned();
      throw remoteError(refreshed, apiError('invalid_refresh_token'));
    }
    if (this.users.isDeleted(refreshed.value.user.id)) throw userDeleted();
    // A device revoked here a moment ago may not be ended in Supabase yet (a job does it): its refresh is refused here.
    const caller = callerOfSession(refreshed.value);
    const refusal = caller && this.access.refusal(caller);
    if (refusal) throw apiError(refusal);
    await this.devices.seen(caller, client);
    return { session: toSessionResponse(refreshed.value) };
  }

  /**
   * Supabase first (its `global` needs the caller's session, which the revocation jobs queued here would end), then here:
   * the devices revoked and older tokens of the ended sessions refused on every instance. With Supabase unreachable the
   * logout still holds here, and the known devices' sessions are ended there by their jobs.
   */
  async logout(caller: AuthenticatedUser, accessToken: string, scope: LogoutScope, client: ClientInfo): Promise<void> {
    const done = await this.supabaseAuth.logout(accessToken, scope);
    // The revocations and the cutoff hang on the user's row: a user signed in elsewhere may not be mirrored yet.
    const mirrored = await this.users.applyTokenClaims(snapshotFromClaims(caller.claims));
    if (mirrored.status === 'deleted') throw userDeleted();
    await this.devices.seen(caller, client);
    await this.devices.endSessions(caller, scope);
    // A session Supabase no longer has is already logged out.
    if (done.kind === 'ok' || (done.kind === 'refused' && [401, 403, 404].includes(done.status))) return;
    if (done.kind === 'unavailable') {
      this.logger.warn(
        { userId: caller.id, scope, reason: done.reason },
        'Supabase did not log out; ended here, and known devices by jobs',
      );
      return;
    }
    throw remoteError(done, apiError('logout_failed'));
  }

  /** Audits a refused sign-in: the reason and the user's id when the email is known, never the email. */
  private async recordFailure(email: string, reason: string): Promise<void> {
    // The answer is a refusal whatever happens here: an id that cannot be found is recorded as unknown.
    const id = await this.users.findLiveIdByEmail(email).catch(() => null);
    await this.audit.recordDetached({ userId: id, subjectId: id, type: 'login.failed', details: { reason } });
  }
}
