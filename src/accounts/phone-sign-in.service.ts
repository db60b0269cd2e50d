import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { apiError, rateLimited, validationFailed } from '../common/errors.js';
import type { ClientInfo } from '../common/request-headers.decorator.js';
import { DevicesService } from '../devices/devices.service.js';
import { RateLimitsService } from '../rate-limits/rate-limits.service.js';
import { remoteError } from '../supabase/remote-result.js';
import { SupabaseAuthService } from '../supabase/supabase-auth.service.js';
import { toE164 } from '../users/phone-number.js';
import { snapshotFromSupabase } from '../users/user-snapshot.js';
import { UsersService } from '../users/users.service.js';
import type { OtpVerifyResponse } from './dto/auth-responses.dto.js';
import { toSessionResponse } from './dto/session.dto.js';
import { callerOfSession } from './session-device.js';
import { userBanned } from './sessions.service.js';

/** Sign-in with a code sent by SMS through Supabase: each verified code is a new device of the phone's one user. */
@Injectable()
export class PhoneSignInService {
  constructor(
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly limits: RateLimitsService,
    private readonly audit: AuditService,
  ) {}

  /** Rate-limited per address and per number here, and by Supabase per number (SMS_MAX_FREQUENCY) and per address. */
  async sendCode(rawPhone: string, client: ClientInfo): Promise<void> {
    const phone = phoneOf(rawPhone);
    await this.limits.take(this.limits.codesFrom(client.ip), this.limits.codesTo(phone));
    // No code for a number an account holds unconfirmed: its owner would sign into that account (docs/devices.md).
    if (await this.users.phoneHeldUnconfirmed(phone)) throw apiError('phone_held_unconfirmed');
    const sent = await this.supabaseAuth.sendPhoneCode(phone, client.ip);
    if (sent.kind === 'ok') return;
    if (sent.kind === 'refused' && sent.code === 'over_sms_send_rate_limit') throw rateLimited(secondsIn(sent.message) ?? 60);
    if (sent.kind === 'refused' && sent.code === 'user_banned') throw userBanned();
    if (sent.kind === 'refused' && (sent.code === 'validation_failed' || sent.code === 'sms_send_failed')) {
      throw validationFailed([{ field: 'phone', problems: [`Supabase cannot send a code to this number (${sent.code})`] }]);
    }
    throw remoteError(sent, apiError('phone_sign_in_unavailable'));
  }

  /** Wrong codes count like wrong passwords: per number and client, and across clients (docs/security.md). */
  async verify(rawPhone: string, code: string, deviceName: string | null, client: ClientInfo): Promise<OtpVerifyResponse> {
    const phone = phoneOf(rawPhone);
    const attempt = await this.limits.admitSignIn(phone, client.ip);
    const verified = await this.supabaseAuth.verifyPhoneCode(phone, code, client.ip);
    const wrong = verified.kind === 'refused' && verified.code === 'otp_expired';
    await this.limits.settleSignIn(attempt, phone, client.ip, wrong);
    if (wrong) throw apiError('invalid_otp');
    if (verified.kind !== 'ok') {
      if (verified.kind === 'refused' && verified.code === 'user_banned') throw userBanned();
      throw remoteError(verified, apiError('invalid_otp'));
    }
    const { session, user } = verified.value;
    const mirrored = await this.users.mirrorSignedIn(snapshotFromSupabase(user));
    await this.audit.recordDetached({ userId: user.id, subjectId: user.id, type: 'user.signed_in', details: { method: 'phone_otp' } });
    const device = await this.devices.recordOne(callerOfSession(session), client, deviceName);
    return { session: toSessionResponse(session), user: mirrored.user, profile: mirrored.profile, device };
  }
}

function phoneOf(raw: string): string {
  const phone = toE164(raw);
  if (phone === null) throw validationFailed([{ field: 'phone', problems: ['phone must be a valid phone number'] }]);
  return phone;
}

/** GoTrue says how long to wait only in its message: "… you can only request this after 42 seconds." */
function secondsIn(message: string): number | null {
  const match = /after (\d+) seconds?/.exec(message);
  return match ? Math.max(1, Number(match[1])) : null;
}
