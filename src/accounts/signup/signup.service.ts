import { Inject, Injectable, Logger } from '@nestjs/common';
import { apiError, supabaseUnavailable, validationFailed } from '../../common/errors.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { RateLimitsService } from '../../rate-limits/rate-limits.service.js';
import { SupabaseAuthService } from '../../supabase/supabase-auth.service.js';
import { toE164 } from '../../users/phone-number.js';
import type { SignupRequest } from '../dto/auth-requests.dto.js';
import type { SignupResponse } from '../dto/auth-responses.dto.js';
import { toSessionResponse } from '../dto/session.dto.js';
import { weakPasswordError } from '../password-policy.js';
import { SignupRecoveryService } from './signup-recovery.service.js';
import { OutcomeUnknown, PhoneTakenMeanwhile, SignupSagaService, refusal, type SignupInput } from './signup-saga.service.js';
import type { SignupSagaRow } from './signup-sagas.repository.js';

/** When a compensation the request tried failed, recovery tries again this much later. */
const COMPENSATION_RETRY_MS = 10_000;

/**
 * `POST /auth/signup` as a saga recorded before the first remote call, so there is never a Supabase user without a mirror
 * row, nor the reverse; recovery finishes what the request cannot (docs/design.md, "Accounts").
 */
@Injectable()
export class SignupService {
  private readonly logger = new Logger(SignupService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly saga: SignupSagaService,
    private readonly recovery: SignupRecoveryService,
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly limits: RateLimitsService,
  ) {}

  async signup(request: SignupRequest, idempotencyKey: string | null, clientIp: string): Promise<SignupResponse> {
    await this.limits.take(this.limits.authCallsFrom(clientIp), this.limits.signupsOf(request.email, clientIp));
    const input = this.validate(request);
    if (idempotencyKey !== null) {
      const earlier = await this.saga.replay(idempotencyKey, input.email);
      if (earlier) return earlier;
    }
    const saga = await this.saga.begin(input, idempotencyKey);
    if (!saga) return (await this.saga.replay(idempotencyKey as string, input.email))!;
    const result = await this.complete(saga, input.password);
    if (this.config.signup.emailConfirmation) {
      return { ...result, confirmationEmail: await this.sendConfirmation(input.email, request.redirectTo, clientIp) };
    }
    const signedIn = await this.supabaseAuth.signInWithPassword({ email: input.email }, input.password, clientIp);
    return signedIn.kind === 'ok' ? { ...result, session: toSessionResponse(signedIn.value.session) } : result;
  }

  /** Steps 2 and 3, answering each way they can end. */
  private async complete(saga: SignupSagaRow, password: string): Promise<SignupResponse> {
    let user;
    try {
      user = await this.saga.createRemote(saga, password, !this.config.signup.emailConfirmation);
    } catch (error) {
      if (!(error instanceof OutcomeUnknown)) throw error;
      await this.recovery.recoverSoon(saga.id);
      throw supabaseUnavailable(
        'Supabase Auth could not be reached. The signup may still complete: retry with the same Idempotency-Key, or sign in shortly.',
      );
    }
    try {
      return await this.saga.completeLocal(saga, user);
    } catch (error) {
      if (error instanceof PhoneTakenMeanwhile) {
        await this.saga.compensate(saga, 'phone_exists', COMPENSATION_RETRY_MS);
        throw refusal('phone_exists');
      }
      this.logger.error({ err: error, sagaId: saga.id }, 'signup failed after the Supabase user was created; compensating');
      await this.saga.compensate(saga, 'local_write_failed', COMPENSATION_RETRY_MS);
      throw apiError('signup_failed');
    }
  }

  /** The confirmation email; if Supabase refuses (its email rate limit), the user still exists and the client can resend. */
  private async sendConfirmation(email: string, redirectTo: string | undefined, clientIp: string): Promise<'sent' | 'not_sent'> {
    const sent = await this.supabaseAuth.sendSignupConfirmation(email, redirectTo, clientIp);
    if (sent.kind === 'ok') return 'sent';
    this.logger.warn(
      { reason: sent.kind === 'refused' ? sent.code : sent.reason },
      'signup confirmation email not sent; the user can ask for it again',
    );
    return 'not_sent';
  }

  private validate(request: SignupRequest): SignupInput {
    const phone = request.phone === undefined ? null : toE164(request.phone);
    if (request.phone !== undefined && phone === null) {
      throw validationFailed([{ field: 'phone', problems: ['phone must be a valid phone number'] }]);
    }
    const { passwordMinLength, passwordRequireMixed } = this.config.signup;
    const weak = weakPasswordError(request.password, { minLength: passwordMinLength, requireMixed: passwordRequireMixed });
    if (weak) throw weak;
    return { email: request.email, password: request.password, phone, displayName: request.displayName ?? null };
  }
}
