import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { apiError } from '../common/errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { RateLimitsService } from '../rate-limits/rate-limits.service.js';
import { remoteError } from '../supabase/remote-result.js';
import { SupabaseAuthService } from '../supabase/supabase-auth.service.js';
import { UsersService } from '../users/users.service.js';
import type { AccessTokenClaims, AuthenticatedUser } from '../common/authenticated-user.js';

/** Sign-in methods that prove nothing new: a refreshed token keeps its session's first sign-in. */
const NOT_A_SIGN_IN = new Set(['token_refresh']);

/** Clocks disagree a little; a sign-in further in the future than this is no sign-in at all. */
const CLOCK_SKEW_MS = 60_000;

/** The time (ms) of the newest real sign-in in the token's `amr`, or null when it names none. */
export function lastSignInMs(claims: AccessTokenClaims, nowMs = Date.now()): number | null {
  const entries = Array.isArray(claims.amr) ? claims.amr : [];
  const times = entries.flatMap((entry) =>
    typeof entry === 'object' && entry !== null && typeof entry.timestamp === 'number' && !NOT_A_SIGN_IN.has(String(entry.method))
      ? [entry.timestamp * 1000]
      : [],
  );
  const plausible = times.filter((ms) => ms <= nowMs + CLOCK_SKEW_MS);
  return plausible.length > 0 ? Math.max(...plausible) : null;
}

/**
 * Proof that the caller is the owner, not a stolen token: the password, or a recent sign-in in the token's `amr` for users
 * without one (docs/security.md, "Proving it is the owner").
 */
@Injectable()
export class ReauthenticationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly users: UsersService,
    private readonly limits: RateLimitsService,
    private readonly audit: AuditService,
  ) {}

  /** Throws 401 `invalid_credentials` (wrong password) or 403 `reauthentication_required`. */
  async confirm(caller: AuthenticatedUser, password: string | undefined, clientIp: string, action: string): Promise<void> {
    if (password !== undefined) return this.checkPassword(caller, password, clientIp, action);
    const windowMs = this.config.reauthenticationWindowMinutes * 60_000;
    const signedInAt = lastSignInMs(caller.claims);
    // A window of 0 means the password, always.
    if (windowMs > 0 && signedInAt !== null && Date.now() - signedInAt <= windowMs) return;
    throw apiError('reauthentication_required', {
      message: `Sign in again (a sign-in within the last ${this.config.reauthenticationWindowMinutes} minutes counts), or send your password`,
    });
  }

  private async checkPassword(caller: AuthenticatedUser, password: string, clientIp: string, action: string): Promise<void> {
    const { user } = await this.users.getMe(caller.id);
    const identity = user.email ? { email: user.email } : user.phone ? { phone: user.phone } : null;
    if (!identity) throw apiError('password_check_unavailable');
    const failures = this.limits.failedPasswordChecksOf(caller.id);
    await this.limits.take(this.limits.authCallsFrom(clientIp), failures);
    const checked = await this.supabaseAuth.signInWithPassword(identity, password, clientIp);
    const wrongPassword = checked.kind === 'refused' && checked.code === 'invalid_credentials';
    if (!wrongPassword) await this.limits.giveBack(failures);
    if (checked.kind === 'ok') return;
    const rightPassword = checked.kind === 'refused' && (checked.code === 'email_not_confirmed' || checked.code === 'phone_not_confirmed');
    if (rightPassword) return;
    if (checked.kind === 'refused' && checked.status !== 429) {
      await this.audit.recordDetached({
        userId: caller.id,
        subjectId: caller.id,
        type: `${action}_refused`,
        details: { reason: checked.code ?? 'refused' },
      });
    }
    throw remoteError(checked, apiError('invalid_credentials', { message: 'The password is wrong' }));
  }
}
