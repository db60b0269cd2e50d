import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { apiError } from '../common/errors.js';
import type { ClientInfo } from '../common/request-headers.decorator.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { DevicesService } from '../devices/devices.service.js';
import { remoteError } from '../supabase/remote-result.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { SupabaseAuthService } from '../supabase/supabase-auth.service.js';
import type { RefreshResponse } from './dto/auth-responses.dto.js';
import { toSessionResponse } from './dto/session.dto.js';
import { weakPasswordError } from './password-policy.js';
import { ReauthenticationService } from './reauthentication.service.js';
import { callerOfSession } from './session-device.js';

/**
 * `PUT /users/me/password`: the owner proves it is them, Supabase takes the new password and ends every session, every
 * older token is refused here at once, and the caller gets a new session signed in with the new password.
 */
@Injectable()
export class PasswordChangeService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reauthentication: ReauthenticationService,
    private readonly admin: SupabaseAdminService,
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly devices: DevicesService,
    private readonly audit: AuditService,
  ) {}

  async change(
    caller: AuthenticatedUser,
    password: string,
    currentPassword: string | undefined,
    client: ClientInfo,
  ): Promise<RefreshResponse> {
    const { passwordMinLength: minLength, passwordRequireMixed: requireMixed } = this.config.signup;
    const weak = weakPasswordError(password, { minLength, requireMixed });
    if (weak) throw weak;
    // The token's own email or phone: what the new password signs in with below.
    const identity = caller.claims.email ? { email: caller.claims.email } : caller.claims.phone ? { phone: caller.claims.phone } : null;
    if (!identity) throw apiError('password_check_unavailable');
    await this.reauthentication.confirm(caller, currentPassword, client.ip, 'password.change');
    const updated = await this.admin.updatePassword(caller.id, password);
    if (updated.kind !== 'ok') {
      if (updated.kind === 'refused' && updated.code === 'weak_password')
        throw apiError('weak_password', { details: { reasons: updated.reasons ?? [] } });
      throw remoteError(updated, apiError('password_change_failed'));
    }
    await this.devices.endSessions(caller, 'global');
    await this.audit.recordDetached({ userId: caller.id, subjectId: caller.id, type: 'password.changed', details: {} });
    const signedIn = await this.supabaseAuth.signInWithPassword(identity, password, client.ip);
    if (signedIn.kind !== 'ok') throw apiError('password_changed_sign_in_again');
    await this.devices.seen(callerOfSession(signedIn.value.session), client);
    return { session: toSessionResponse(signedIn.value.session) };
  }
}
