import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JobQueueService } from '../../jobs/job-queue.service.js';
import { DatabaseService } from '../../database/database.service.js';
import { SupabaseAdminService } from '../../supabase/supabase-admin.service.js';
import type { SupabaseUser } from '../../supabase/supabase-user.js';
import { PhoneTakenMeanwhile, SignupSagaService } from './signup-saga.service.js';
import { SignupSagasRepository, type SignupSagaRow } from './signup-sagas.repository.js';

export const SIGNUP_RECOVERY_TASK = 'signup_recovery';
export const PURGE_SIGNUP_SAGAS_TASK = 'purge_signup_sagas';

/** Sagas taken at once (two rounds of CONCURRENCY: done well within their lease), worked on side by side. */
const CONCURRENCY = 8;
const BATCH = 2 * CONCURRENCY;
/** While Supabase cannot be reached, a saga is tried again this much later. */
const RETRY_MS = 10_000;
/** After a request gave up, recovery starts this much later (Supabase may be back by then). */
const SOON_MS = 5_000;
/**
 * A create whose answer was lost may still land (committed, its answer stuck in a proxy), so a saga whose user Supabase
 * lacks ends only this long after it began. GoTrue runs its transaction in the request's context, cancelled with the caller.
 */
const NOT_FOUND_GRACE_MS = 30_000;
/** A saga still open after this long is given up (failed, personal data cleared) and logged for an operator. */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

type Outcome = 'ended' | 'retry';

/**
 * Finishes the signups whose request did not, asking Supabase by the saga's user id: roll forward when the user exists
 * (it may be in use), compensate only one never signed in (docs/design.md, "Accounts").
 */
@Injectable()
export class SignupRecoveryService implements OnModuleInit {
  private readonly logger = new Logger(SignupRecoveryService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly sagas: SignupSagasRepository,
    private readonly saga: SignupSagaService,
    private readonly supabase: SupabaseAdminService,
    private readonly jobs: JobQueueService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(SIGNUP_RECOVERY_TASK, async () => {
      await this.recoverDueSagas();
    });
    // The safety net for sagas of a process that died: due when their request's lease ends.
    this.jobs.scheduleRecurring({ task: SIGNUP_RECOVERY_TASK, cron: '* * * * *' });
    this.jobs.register(PURGE_SIGNUP_SAGAS_TASK, async () => {
      const purged = await this.sagas.purgeEnded();
      if (purged > 0) this.logger.log({ purged }, 'purged ended signup sagas');
    });
    this.jobs.scheduleRecurring({ task: PURGE_SIGNUP_SAGAS_TASK, cron: '41 * * * *' });
  }

  /** Works every saga due now (or within `lookAheadMs`) until none is left; returns how many ended. */
  async recoverDueSagas(lookAheadMs = 0): Promise<number> {
    let ended = 0;
    let waiting = 0;
    // Each saga once per run: one tried again later must not be taken again by this same run.
    const taken: string[] = [];
    for (;;) {
      const batch = await this.sagas.takeDue(BATCH, { lookAheadMs, except: taken });
      if (batch.length === 0) break;
      taken.push(...batch.map((saga) => saga.id));
      const outcomes = await mapConcurrently(batch, CONCURRENCY, (saga) => this.recover(saga));
      ended += outcomes.filter((outcome) => outcome === 'ended').length;
      waiting += outcomes.filter((outcome) => outcome === 'retry').length;
    }
    await this.runAgainWhenDue();
    if (ended > 0 || waiting > 0) this.logger.log({ ended, waiting }, 'recovered signups');
    return ended;
  }

  /**
   * A request gave up on a saga: make it due shortly and queue a run then. `keepRunAt` lets the first request of a burst
   * set the time (the others cannot postpone it); runAgainWhenDue's job has a key of its own.
   */
  async recoverSoon(sagaId: string, inMs = SOON_MS): Promise<void> {
    await this.sagas.recoverIn(sagaId, inMs);
    await this.jobs.add(
      SIGNUP_RECOVERY_TASK,
      {},
      { jobKey: 'signup-recovery-soon', runAt: new Date(Date.now() + inMs), keepRunAt: true },
      this.db.sql,
    );
  }

  /** Runs again when the next open saga falls due (the minutely schedule is only a safety net). */
  private async runAgainWhenDue(): Promise<void> {
    const next = await this.sagas.nextDue();
    if (!next) return;
    await this.jobs.add(
      SIGNUP_RECOVERY_TASK,
      {},
      { jobKey: 'signup-recovery-next', runAt: new Date(Math.max(next.getTime(), Date.now() + 1_000)) },
      this.db.sql,
    );
  }

  private async recover(saga: SignupSagaRow): Promise<Outcome> {
    try {
      const age = Date.now() - saga.created_at.getTime();
      if (age > GIVE_UP_AFTER_MS) return this.giveUp(saga);
      const found = await this.supabase.getUserById(saga.user_id);
      if (found.kind !== 'ok') return this.retryIn(saga, RETRY_MS);
      if (!found.value) {
        if (saga.state === 'compensating') return this.end(saga, 'compensated', saga.error_code ?? 'abandoned');
        // A create whose answer was lost may still land: look again before giving it up.
        if (age < NOT_FOUND_GRACE_MS) return this.retryIn(saga, NOT_FOUND_GRACE_MS - age + 1_000);
        return this.end(saga, 'failed', saga.error_code ?? 'abandoned');
      }
      const signedIn = found.value.last_sign_in_at != null;
      if (saga.state === 'compensating' && !signedIn) return this.compensate(saga, saga.error_code ?? 'local_write_failed');
      return await this.rollForward(saga, found.value);
    } catch (error) {
      this.logger.error({ err: error, sagaId: saga.id }, 'signup recovery failed; retried later');
      return this.retryIn(saga, RETRY_MS);
    }
  }

  /** Completes the local side; if that cannot be done, compensates (which keeps a user who signed in). */
  private async rollForward(saga: SignupSagaRow, user: SupabaseUser): Promise<Outcome> {
    try {
      await this.saga.completeLocal(saga, user);
      return 'ended';
    } catch (error) {
      return this.compensate(saga, error instanceof PhoneTakenMeanwhile ? 'phone_exists' : 'local_write_failed');
    }
  }

  private async compensate(saga: SignupSagaRow, reason: string): Promise<Outcome> {
    return (await this.saga.compensate(saga, reason, RETRY_MS)) ? 'ended' : 'retry';
  }

  private async end(saga: SignupSagaRow, state: 'failed' | 'compensated', reason: string): Promise<Outcome> {
    await this.sagas.advance(saga.id, state, { errorCode: reason });
    return 'ended';
  }

  private async giveUp(saga: SignupSagaRow): Promise<Outcome> {
    this.logger.error(
      { sagaId: saga.id, userId: saga.user_id, state: saga.state },
      'signup recovery gave up after a day; check this user in Supabase',
    );
    return this.end(saga, 'failed', 'gave_up');
  }

  private async retryIn(saga: SignupSagaRow, ms: number): Promise<Outcome> {
    await this.sagas.recoverIn(saga.id, ms);
    return 'retry';
  }
}

async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
