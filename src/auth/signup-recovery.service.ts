import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import type { SupabaseUser } from '../supabase/supabase-user.js';
import { PhoneTakenMeanwhile, SignupSagaService } from './signup-saga.service.js';
import { SignupSagasRepository, type SignupSagaRow } from './signup-sagas.repository.js';

export const SIGNUP_RECOVERY_TASK = 'signup_recovery';

/** Sagas taken at once, and worked on side by side (each makes one to three calls to Supabase). */
const BATCH = 64;
const CONCURRENCY = 8;
/** A taken saga is not due again for this long, unless its recovery says otherwise. */
const LEASE_MS = 60_000;
/** While Supabase cannot be reached, a saga is tried again this much later. */
const RETRY_MS = 10_000;
/** After a request gave up, recovery starts this much later (Supabase may be back by then). */
const SOON_MS = 5_000;

type Outcome = 'completed' | 'compensated' | 'failed' | 'retry';

/**
 * Finishes the signups whose request did not: its process died, or Supabase could not say
 * whether it created the user. The saga chose the user's id, so Supabase is asked by that id: a
 * user that exists is completed locally (rolled forward: the person may already be using the
 * account), one that does not is given up (failed, with its personal data cleared). Only a user
 * that cannot be completed and has never signed in is deleted (compensated); a saga that was
 * already compensating is compensated unless its user has signed in meanwhile. Due sagas are
 * taken in batches, leased (SKIP LOCKED) so that instances never work on the same one, and worked
 * on side by side: a backlog left by an outage drains in seconds, not at a page a minute.
 */
@Injectable()
export class SignupRecoveryService implements OnModuleInit {
  private readonly logger = new Logger(SignupRecoveryService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly sagas: SignupSagasRepository,
    private readonly saga: SignupSagaService,
    private readonly supabase: SupabaseAdminService,
    private readonly jobs: JobQueueService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(SIGNUP_RECOVERY_TASK, async () => {
      await this.recoverDueSagas();
    });
    // The safety net for sagas of a process that died: due a minute after they began.
    this.jobs.scheduleRecurring({ task: SIGNUP_RECOVERY_TASK, cron: '* * * * *' });
  }

  /**
   * Takes every saga due now (or within `lookAheadMs`) until none is left; returns how many
   * reached an end. Sagas Supabase could not be asked about are due again a little later.
   */
  async recoverDueSagas(lookAheadMs = 0): Promise<number> {
    let ended = 0;
    let waiting = 0;
    // Each saga once per run: one tried again later must not be taken again by this same run.
    const taken: string[] = [];
    for (;;) {
      const batch = await this.sagas.takeDue(BATCH, LEASE_MS, { lookAheadMs, except: taken });
      if (batch.length === 0) break;
      taken.push(...batch.map((saga) => saga.id));
      const outcomes = await mapConcurrently(batch, CONCURRENCY, (saga) => this.recover(saga));
      ended += outcomes.filter((outcome) => outcome !== 'retry').length;
      waiting += outcomes.filter((outcome) => outcome === 'retry').length;
    }
    await this.runAgainWhenDue();
    if (ended > 0 || waiting > 0) this.logger.log({ ended, waiting }, 'recovered signups');
    return ended;
  }

  /**
   * A request gave up on a saga: make it due shortly and make sure a recovery runs then. The first
   * request of a burst sets the time (`keepRunAt`: the others cannot postpone it); the run that
   * a finished run schedules for the next due saga has a key of its own.
   */
  async recoverSoon(sagaId: string, inMs = SOON_MS): Promise<void> {
    await this.sagas.recoverIn(sagaId, inMs);
    await this.jobs.add(this.prisma.sql, SIGNUP_RECOVERY_TASK, {}, { jobKey: 'signup-recovery-soon', runAt: new Date(Date.now() + inMs), keepRunAt: true });
  }

  /** Runs again when the next open saga falls due (the minutely schedule is only a safety net). */
  private async runAgainWhenDue(): Promise<void> {
    const next = await this.sagas.nextDue();
    if (!next) return;
    await this.jobs.add(this.prisma.sql, SIGNUP_RECOVERY_TASK, {}, { jobKey: 'signup-recovery-next', runAt: new Date(Math.max(next.getTime(), Date.now() + 1_000)) });
  }

  private async recover(saga: SignupSagaRow): Promise<Outcome> {
    try {
      const found = await this.supabase.getUserById(saga.user_id);
      if (found.kind === 'unavailable') return this.retryLater(saga);
      if (found.kind === 'not_found') {
        // Nothing to undo: the create never happened (or was undone). The client was told 503.
        await this.sagas.advance(saga.id, saga.state === 'compensating' ? 'compensated' : 'failed', { errorCode: saga.error_code ?? 'abandoned' });
        return saga.state === 'compensating' ? 'compensated' : 'failed';
      }
      const signedIn = found.user.last_sign_in_at != null;
      if (saga.state === 'compensating' && !signedIn) return this.compensate(saga, saga.error_code ?? 'local_write_failed');
      return await this.rollForward(saga, found.user, signedIn);
    } catch (error) {
      this.logger.error({ err: error, sagaId: saga.id }, 'signup recovery failed; retried later');
      return this.retryLater(saga);
    }
  }

  private async rollForward(saga: SignupSagaRow, user: SupabaseUser, signedIn: boolean): Promise<Outcome> {
    try {
      await this.saga.completeLocal(saga, user);
      return 'completed';
    } catch (error) {
      const reason = error instanceof PhoneTakenMeanwhile ? 'phone_exists' : 'local_write_failed';
      if (!signedIn) return this.compensate(saga, reason);
      // In use, yet impossible to mirror as signed up: kept, never deleted; reconcile and sync mirror it as they can.
      this.logger.warn({ sagaId: saga.id, userId: saga.user_id, reason }, 'signup could not be completed; its user has signed in, so it is kept');
      await this.sagas.advance(saga.id, 'failed', { errorCode: reason });
      return 'failed';
    }
  }

  private async compensate(saga: SignupSagaRow, reason: string): Promise<Outcome> {
    return (await this.saga.compensate(saga, reason, RETRY_MS)) ? 'compensated' : 'retry';
  }

  private async retryLater(saga: SignupSagaRow): Promise<Outcome> {
    await this.sagas.recoverIn(saga.id, RETRY_MS);
    return 'retry';
  }
}

async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
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
