import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError, apiError, type ErrorCode } from '../../common/errors.js';
import { DatabaseService } from '../../database/database.service.js';
import { SupabaseAdminService } from '../../supabase/supabase-admin.service.js';
import type { SupabaseUser } from '../../supabase/supabase-user.js';
import { snapshotFromSupabase } from '../../users/user-snapshot.js';
import { isPhoneRace } from '../../users/phone-number.js';
import { UsersService } from '../../users/users.service.js';
import type { SignupResponse } from '../dto/auth-responses.dto.js';
import { SignupSagasRepository, type SignupSagaRow } from './signup-sagas.repository.js';

export interface SignupInput {
  email: string;
  password: string;
  phone: string | null;
  displayName: string | null;
}

/** Supabase's refusals of a signup, as this API's codes; others keep Supabase's code, as a 400. */
const REFUSALS: Record<string, { entry: ErrorCode; message?: string }> = {
  email_exists: { entry: 'email_exists' },
  user_already_exists: { entry: 'email_exists' },
  phone_exists: { entry: 'phone_exists' },
  weak_password: { entry: 'weak_password', message: 'The password is too weak' },
  validation_failed: { entry: 'validation_failed', message: 'Supabase refused the signup data' },
};

/** The answer for a signup Supabase (or this mirror) refused, by Supabase's code. */
export function refusal(code: string, reasons?: string[]): ApiError {
  const known = REFUSALS[code];
  const details = reasons ? { reasons } : undefined;
  return known
    ? apiError(known.entry, { message: known.message, details })
    : new ApiError(400, code, 'Supabase refused the signup', details);
}

/** Why a saga ended that is no refusal of Supabase's: a fault here, or recovery gave it up. */
const INTERNAL_REASONS = new Set(['local_write_failed', 'abandoned', 'gave_up']);

/** What an ended saga answered: Supabase's refusal, or 503 `signup_failed` when it was undone for a fault. */
function endedWith(errorCode: string | null): ApiError {
  return errorCode !== null && !INTERNAL_REASONS.has(errorCode) ? refusal(errorCode) : apiError('signup_failed');
}

/** Another signup took the phone number between the check and the local write. */
export class PhoneTakenMeanwhile extends Error {}

/** Supabase could not tell whether it created the user; the saga stays open for recovery. */
export class OutcomeUnknown extends Error {}

/** Rounds of "create, and when the answer is lost, read back" before the request gives up. */
const CREATE_ROUNDS = 3;
const ROUND_PAUSE_MS = [0, 200, 1_000];

/** The signup saga's steps, shared by the request and recovery; each records where the saga stands first (docs/design.md, "Accounts"). */
@Injectable()
export class SignupSagaService {
  private readonly logger = new Logger(SignupSagaService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly sagas: SignupSagasRepository,
    private readonly supabase: SupabaseAdminService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  /** Step 1: refuses an email or phone the mirror knows, and records the saga; null when the idempotency key is taken. */
  async begin(input: SignupInput, idempotencyKey: string | null): Promise<SignupSagaRow | null> {
    const taken = await this.users.identityTaken(input.email, input.phone);
    if (taken.email) throw refusal('email_exists');
    if (taken.phone) throw refusal('phone_exists');
    return this.sagas.insert({
      id: randomUUID(),
      idempotency_key: idempotencyKey,
      user_id: randomUUID(),
      email: input.email,
      phone: input.phone,
      display_name: input.displayName,
    });
  }

  /** The first answer to a signup with this Idempotency-Key, rebuilt from the mirror (the saga keeps no personal data); null if none. */
  async replay(idempotencyKey: string, email: string): Promise<SignupResponse | null> {
    const first = await this.sagas.findByIdempotencyKey(idempotencyKey);
    if (!first) return null;
    // getMe refuses a user deleted since (or never mirrored): then there is nothing to give back.
    const made = first.response ? await this.users.getMe(first.response.userId).catch(nothingIfRefused) : null;
    // An open saga still holds its email; an ended one is compared through the mirrored user.
    const keptEmail = first.email ?? made?.user.email ?? undefined;
    if (keptEmail !== undefined && keptEmail !== email) throw apiError('idempotency_key_reused');
    if (first.state === 'completed') {
      if (!made?.profile) throw apiError('user_deleted_since');
      return { user: made.user, profile: made.profile };
    }
    // An ended signup is answered as it was the first time.
    if (first.state === 'failed' || first.state === 'compensated') throw endedWith(first.error_code);
    throw apiError('signup_in_progress');
  }

  /**
   * Step 2: creates the Supabase user under the saga's id. A lost answer (GoTrue answers 500 to the loser of a race for an
   * email, phone or id) is read back by id; after one, a refusal is final only once a read-back finds no such user.
   * Throws the refusal, or OutcomeUnknown while Supabase cannot be reached.
   */
  async createRemote(saga: SignupSagaRow, password: string, emailConfirm: boolean): Promise<SupabaseUser> {
    let answerLost = false;
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      if (ROUND_PAUSE_MS[round]) await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS[round]));
      const created = await this.supabase.createUser({
        id: saga.user_id,
        email: saga.email as string,
        password,
        phone: saga.phone ?? undefined,
        emailConfirm,
        userMetadata: saga.display_name ? { display_name: saga.display_name } : {},
      });
      if (created.kind === 'ok') return this.created(saga, created.value);
      if (created.kind === 'refused' && !answerLost) return this.refused(saga, created.code, created.reasons);
      const found = await this.supabase.getUserById(saga.user_id);
      if (found.kind === 'ok' && found.value) return this.created(saga, found.value);
      if (created.kind === 'refused' && found.kind === 'ok') return this.refused(saga, created.code, created.reasons);
      answerLost = true;
    }
    throw new OutcomeUnknown(`Supabase did not say whether it created the user of saga ${saga.id}`);
  }

  private async created(saga: SignupSagaRow, user: SupabaseUser): Promise<SupabaseUser> {
    await this.sagas.advance(saga.id, 'remote_created');
    return user;
  }

  private async refused(saga: SignupSagaRow, code: string | null, reasons?: string[]): Promise<never> {
    const stable = code ?? 'validation_failed';
    await this.sagas.advance(saga.id, 'failed', { errorCode: stable === 'user_already_exists' ? 'email_exists' : stable });
    throw refusal(stable, reasons);
  }

  /** Step 3: mirror row, profile, audit record and the saga's end in one transaction; PhoneTakenMeanwhile if the phone was taken. */
  async completeLocal(saga: SignupSagaRow, user: SupabaseUser): Promise<SignupResponse> {
    return this.db.transaction(
      async (tx) => {
        // A deleted user (401) fails the transaction as any other error: the request compensates.
        const mirrored = await this.users.mirrorSignedIn(snapshotFromSupabase(user), {
          names: { displayName: saga.display_name, firstName: null, lastName: null },
          tx,
        });
        if (mirrored.row.phone_conflict !== null) throw new PhoneTakenMeanwhile();
        await this.audit.record({ userId: mirrored.row.id, subjectId: mirrored.row.id, type: 'user.signed_up', details: {} }, tx);
        await this.sagas.advance(saga.id, 'completed', { userId: mirrored.row.id }, tx);
        return { user: mirrored.user, profile: mirrored.profile };
      },
      { retryOnceIf: isPhoneRace },
    );
  }

  /**
   * Compensation: deletes the saga's Supabase user unless it has signed in meanwhile (in use: kept) or another worker
   * ended the saga. Answers whether the saga ended; if not, it stays `compensating`, due for recovery in `retryInMs`.
   */
  async compensate(saga: Pick<SignupSagaRow, 'id' | 'user_id'>, reason: string, retryInMs: number): Promise<boolean> {
    if (!(await this.sagas.advance(saga.id, 'compensating', { errorCode: reason, recoverInMs: retryInMs }))) return true;
    const found = await this.supabase.getUserById(saga.user_id);
    if (found.kind === 'ok' && found.value?.last_sign_in_at != null) {
      this.logger.warn(
        { sagaId: saga.id, userId: saga.user_id, reason },
        'signup not completed, but its user has signed in: kept, not deleted',
      );
      await this.sagas.advance(saga.id, 'failed', { errorCode: reason });
      return true;
    }
    const deleted = found.kind !== 'ok' ? found : found.value ? await this.supabase.deleteUser(saga.user_id) : { kind: 'ok' as const };
    if (deleted.kind !== 'ok') {
      this.logger.warn({ sagaId: saga.id }, 'compensation failed; the recovery job will retry');
      return false;
    }
    await this.db.transaction(async (tx) => {
      if (await this.sagas.advance(saga.id, 'compensated', {}, tx)) {
        await this.audit.record({ userId: null, subjectId: saga.user_id, type: 'signup.compensated', details: { reason } }, tx);
      }
    });
    return true;
  }
}

function nothingIfRefused(error: unknown): null {
  if (error instanceof ApiError) return null;
  throw error;
}
