import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { ProfilesService } from '../profiles/profiles.service.js';
import { RateLimitsService } from '../rate-limits/rate-limits.service.js';
import type { RemoteResult } from '../supabase/remote-result.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { SupabaseAuthService } from '../supabase/supabase-auth.service.js';
import type { SupabaseUser } from '../supabase/supabase-user.js';
import { toE164 } from '../users/phone-number.js';
import { toUserResponse } from '../users/user-mapper.js';
import { snapshotFromSupabase } from '../users/user-snapshot.js';
import { isPhoneRace } from '../users/users.repository.js';
import { UsersService } from '../users/users.service.js';
import type { SignupRequest } from './dto/auth-requests.dto.js';
import type { SignupResponse } from './dto/auth-responses.dto.js';
import { toSessionResponse } from './dto/session.dto.js';
import { weakPasswordReasons } from './password-policy.js';
import { SignupSagasRepository, type SignupSagaRow } from './signup-sagas.repository.js';

export const SIGNUP_RECOVERY_TASK = 'signup_recovery';
/** A saga that has not moved for this long is taken to be abandoned by a crashed process. */
const STUCK_AFTER_MS = 60_000;

interface SignupInput {
  email: string;
  password: string;
  phone: string | null;
  displayName: string | null;
}

const REMOTE_REFUSALS: Record<string, { status: number; message: string }> = {
  email_exists: { status: 409, message: 'A user with this email address already exists' },
  user_already_exists: { status: 409, message: 'A user with this email address already exists' },
  phone_exists: { status: 409, message: 'A user with this phone number already exists' },
  weak_password: { status: 422, message: 'The password is too weak' },
  validation_failed: { status: 400, message: 'Supabase refused the signup data' },
};

function refusal(code: string, reasons?: string[]): ApiError {
  const known = REMOTE_REFUSALS[code] ?? { status: 400, message: 'Supabase refused the signup' };
  const stable = code === 'user_already_exists' ? 'email_exists' : code;
  return new ApiError(known.status, stable, known.message, reasons ? { reasons } : undefined);
}

function unavailable(): ApiError {
  return new ApiError(503, 'supabase_unavailable', 'Supabase Auth could not be reached; nothing was kept. Try again shortly.');
}

class PhoneTakenMeanwhile extends Error {}

/**
 * `POST /auth/signup` as a saga recorded in Postgres before the first remote call: the Supabase
 * user is created with an id chosen here (so it can always be found again), then the mirror row
 * and profile are written in one local transaction. If the local part fails, the Supabase user is
 * deleted; if even that fails, or the process dies half-way, the recovery job (every minute, on
 * the job queue) compensates. Never a Supabase user without a mirror row, nor the reverse.
 */
@Injectable()
export class SignupService implements OnModuleInit {
  private readonly logger = new Logger(SignupService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly sagas: SignupSagasRepository,
    private readonly supabase: SupabaseAdminService,
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly users: UsersService,
    private readonly profiles: ProfilesService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueueService,
    private readonly limits: RateLimitsService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(SIGNUP_RECOVERY_TASK, async () => {
      await this.recoverStuckSagas();
    });
    this.jobs.scheduleRecurring({ task: SIGNUP_RECOVERY_TASK, cron: '* * * * *' });
  }

  async signup(request: SignupRequest, idempotencyKey: string | null, clientIp: string): Promise<SignupResponse> {
    await this.limits.take(this.limits.authCallsFrom(clientIp), this.limits.signupsOf(request.email, clientIp));
    const input = this.validate(request);
    const begun = await this.begin(input, idempotencyKey);
    if ('replay' in begun) return begun.replay;
    const user = await this.createRemote(begun.saga, input.password);
    const result = await this.completeLocal(begun.saga, user);
    if (this.config.signup.emailConfirmation) return result;
    const signedIn = await this.supabaseAuth.signInWithPassword({ email: input.email }, input.password, clientIp);
    return signedIn.kind === 'ok' ? { ...result, session: toSessionResponse(signedIn.value.session) } : result;
  }

  /** Step 1: checks locally and records the saga. A repeated Idempotency-Key replays the first answer. */
  async begin(input: SignupInput, idempotencyKey: string | null): Promise<{ saga: SignupSagaRow } | { replay: SignupResponse }> {
    if (idempotencyKey !== null && (await this.sagas.findByIdempotencyKey(idempotencyKey))) {
      return { replay: await this.replay(idempotencyKey, input.email) };
    }
    await this.refuseKnownIdentity(input);
    const saga = await this.sagas.insert({
      id: randomUUID(),
      idempotency_key: idempotencyKey,
      user_id: randomUUID(),
      email: input.email,
      phone: input.phone,
      display_name: input.displayName,
    });
    if (saga) return { saga };
    return { replay: await this.replay(idempotencyKey as string, input.email) };
  }

  /** Step 2: creates the Supabase user with the saga's id. */
  async createRemote(saga: SignupSagaRow, password: string): Promise<SupabaseUser> {
    const created = await this.supabase.createUser({
      id: saga.user_id,
      email: saga.email as string,
      password,
      phone: saga.phone ?? undefined,
      emailConfirm: !this.config.signup.emailConfirmation,
      userMetadata: saga.display_name ? { display_name: saga.display_name } : {},
    });
    if (created.kind === 'ok') {
      await this.sagas.advance(saga.id, 'remote_created');
      return created.value;
    }
    if (created.kind === 'refused') {
      const code = created.code ?? 'validation_failed';
      await this.sagas.advance(saga.id, 'failed', { errorCode: code === 'user_already_exists' ? 'email_exists' : code });
      throw refusal(code, created.reasons);
    }
    // Unknown whether the user was created: the saga stays pending and recovery will look.
    throw unavailable();
  }

  /** Step 3: the mirror row, the profile, the audit record and the saga's end, in one transaction. */
  async completeLocal(saga: SignupSagaRow, user: SupabaseUser): Promise<SignupResponse> {
    try {
      return await this.prisma.transaction(async (sql) => {
        const applied = await this.users.applyUserSnapshot(snapshotFromSupabase(user), sql);
        if (applied.status === 'deleted') throw new Error('the new user is already a tombstone');
        // Another signup took the number between our check and this write: undo, answer 409.
        if (applied.user.phone_conflict !== null) throw new PhoneTakenMeanwhile();
        const ensured = await this.profiles.ensureProfile(
          applied.user.id,
          { displayName: saga.display_name, firstName: null, lastName: null },
          sql,
        );
        if (!ensured) throw new Error('the profile could not be created');
        const response: SignupResponse = { user: toUserResponse(applied.user), profile: ensured.profile };
        await this.audit.record(sql, { userId: applied.user.id, subjectId: applied.user.id, type: 'user.signed_up', details: {} });
        await this.sagas.advance(saga.id, 'completed', { response }, sql);
        return response;
      }, { retryOnceIf: isPhoneRace });
    } catch (error) {
      if (error instanceof PhoneTakenMeanwhile) {
        await this.compensate(saga, 'phone_exists');
        throw refusal('phone_exists');
      }
      this.logger.error({ err: error, sagaId: saga.id }, 'signup failed after the Supabase user was created; compensating');
      await this.compensate(saga);
      throw new ApiError(503, 'signup_failed', 'The signup could not be completed and was undone; try again shortly.');
    }
  }

  /** Deletes the saga's Supabase user; if that fails too, the saga stays `compensating` for the recovery job. */
  async compensate(saga: Pick<SignupSagaRow, 'id' | 'user_id'>, reason = 'local_write_failed'): Promise<boolean> {
    await this.sagas.advance(saga.id, 'compensating', { errorCode: reason });
    const deleted: RemoteResult<null> = await this.supabase.deleteUser(saga.user_id);
    if (deleted.kind !== 'ok') {
      this.logger.warn({ sagaId: saga.id }, 'compensation failed; the recovery job will retry');
      return false;
    }
    await this.prisma.transaction(async (sql) => {
      await this.sagas.advance(saga.id, 'compensated', {}, sql);
      await this.audit.record(sql, { userId: null, subjectId: saga.user_id, type: 'signup.compensated', details: {} });
    });
    return true;
  }

  /**
   * The recovery job: sagas left half-way by a crash or an outage are compensated (the client
   * never got a success, so the Supabase user it may have left behind is removed). Returns how
   * many sagas reached an end.
   */
  async recoverStuckSagas(olderThanMs = STUCK_AFTER_MS): Promise<number> {
    let ended = 0;
    for (const stuck of await this.sagas.stuck(olderThanMs, 100)) {
      const done = await this.prisma.transaction(async (sql) => {
        const saga = await this.sagas.tryLock(sql, stuck.id);
        if (!saga) return false;
        const found = await this.supabase.getUserById(saga.user_id);
        if (found.kind === 'unavailable') return false;
        if (found.kind === 'not_found') {
          await this.sagas.advance(saga.id, saga.state === 'compensating' ? 'compensated' : 'failed', { errorCode: 'abandoned' }, sql);
          return true;
        }
        const deleted = await this.supabase.deleteUser(saga.user_id);
        if (deleted.kind !== 'ok') return false;
        await this.sagas.advance(saga.id, 'compensated', { errorCode: saga.error_code ?? 'abandoned' }, sql);
        await this.audit.record(sql, { userId: null, subjectId: saga.user_id, type: 'signup.compensated', details: { by: 'recovery' } });
        return true;
      });
      if (done) ended++;
    }
    if (ended > 0) this.logger.log({ ended }, 'recovered stuck signups');
    return ended;
  }

  private validate(request: SignupRequest): SignupInput {
    const phone = request.phone === undefined ? null : toE164(request.phone);
    if (request.phone !== undefined && phone === null) {
      throw new ApiError(400, 'validation_failed', 'The request is not valid', [{ field: 'phone', problems: ['phone must be a valid phone number'] }]);
    }
    const reasons = weakPasswordReasons(request.password, {
      minLength: this.config.signup.passwordMinLength,
      requireMixed: this.config.signup.passwordRequireMixed,
    });
    if (reasons.length > 0) {
      throw new ApiError(422, 'weak_password', `The password is too weak (at least ${this.config.signup.passwordMinLength} characters${this.config.signup.passwordRequireMixed ? ', with lower- and upper-case letters and a digit' : ''})`, { reasons });
    }
    return { email: request.email, password: request.password, phone, displayName: request.displayName ?? null };
  }

  private async refuseKnownIdentity(input: SignupInput): Promise<void> {
    const rows = await this.prisma.sql.query<{ email_taken: boolean; phone_taken: boolean }>(
      `SELECT coalesce(bool_or(email = $1), false) AS email_taken, coalesce(bool_or(phone = $2), false) AS phone_taken
       FROM users WHERE deleted_at IS NULL AND (email = $1 OR phone = $2)`,
      [input.email, input.phone],
    );
    if (rows[0]?.email_taken) throw refusal('email_exists');
    if (rows[0]?.phone_taken) throw refusal('phone_exists');
  }

  private async replay(idempotencyKey: string, email: string): Promise<SignupResponse> {
    const first = await this.sagas.findByIdempotencyKey(idempotencyKey);
    if (!first) throw new ApiError(409, 'signup_in_progress', 'A signup with this Idempotency-Key is in progress');
    // A finished saga no longer holds the email: compare with the answer it kept, if any.
    const keptEmail = first.email ?? (first.response as { user?: { email?: string } } | null)?.user?.email;
    const sameRequest = keptEmail === undefined || keptEmail === email;
    if (!sameRequest) throw new ApiError(422, 'idempotency_key_reused', 'This Idempotency-Key was used for another signup');
    if (first.state === 'completed' && first.response) return first.response as unknown as SignupResponse;
    if (first.state === 'failed' && first.error_code) throw refusal(first.error_code);
    if (first.state === 'compensated') throw new ApiError(409, 'signup_failed', 'The signup with this Idempotency-Key failed and was undone; use a new key');
    throw new ApiError(409, 'signup_in_progress', 'A signup with this Idempotency-Key is in progress');
  }
}
