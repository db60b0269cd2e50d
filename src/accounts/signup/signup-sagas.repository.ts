import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { DatabaseService } from '../../database/database.service.js';
import type { Sql } from '../../database/sql.js';

export type SagaState = 'pending' | 'remote_created' | 'completed' | 'compensating' | 'compensated' | 'failed';

export interface SignupSagaRow {
  id: string;
  idempotency_key: string | null;
  user_id: string;
  email: string | null;
  phone: string | null;
  display_name: string | null;
  state: SagaState;
  error_code: string | null;
  /** What a replay with the same Idempotency-Key needs: the user's id, nothing personal. */
  response: { userId: string } | null;
  attempts: number;
  created_at: Date;
}

const TERMINAL: SagaState[] = ['completed', 'compensated', 'failed'];

/** Ended sagas are kept this long for Idempotency-Key replays, then purged. */
export const SAGA_RETENTION_HOURS = 24;

/**
 * Signup sagas, leased through `recover_after` to whoever works on one for longer than the work can take; an ended saga
 * never moves again, so two workers cannot undo each other's end.
 */
@Injectable()
export class SignupSagasRepository {
  /** A request makes up to 3 rounds of a create and a read-back, each bounded by the Supabase timeout. */
  readonly requestLeaseMs: number;
  /** One recovery makes up to 3 calls to Supabase for a saga. */
  readonly recoveryLeaseMs: number;

  constructor(
    private readonly db: DatabaseService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.requestLeaseMs = Math.max(60_000, 8 * config.supabase.adminTimeoutMs);
    this.recoveryLeaseMs = Math.max(60_000, 4 * config.supabase.adminTimeoutMs);
  }

  /** Records a new saga, leased to its request; null when the idempotency key is taken. */
  async insert(saga: Omit<SignupSagaRow, 'state' | 'error_code' | 'response' | 'attempts' | 'created_at'>): Promise<SignupSagaRow | null> {
    const rows = await this.db.sql.query<SignupSagaRow>(
      `INSERT INTO signup_sagas (id, idempotency_key, user_id, email, phone, display_name, state, recover_after)
       VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, 'pending', now() + make_interval(secs => $7::double precision / 1000))
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [saga.id, saga.idempotency_key, saga.user_id, saga.email, saga.phone, saga.display_name, this.requestLeaseMs],
    );
    return rows[0] ?? null;
  }

  async findByIdempotencyKey(key: string): Promise<SignupSagaRow | null> {
    const rows = await this.db.sql.query<SignupSagaRow>('SELECT * FROM signup_sagas WHERE idempotency_key = $1', [key]);
    return rows[0] ?? null;
  }

  /**
   * Moves a saga that has not ended to `state`; false when another worker ended it first. A terminal state clears the
   * personal data and takes the saga off recovery's list.
   */
  async advance(
    id: string,
    state: SagaState,
    extra: { errorCode?: string | null; userId?: string; recoverInMs?: number } = {},
    tx: Sql = this.db.sql,
  ): Promise<boolean> {
    const terminal = TERMINAL.includes(state);
    const moved = await tx.execute(
      `UPDATE signup_sagas SET state = $2, error_code = coalesce($3, error_code),
         response = coalesce($4::jsonb, response), updated_at = now(), attempts = attempts + 1,
         email = CASE WHEN $5 THEN NULL ELSE email END, phone = CASE WHEN $5 THEN NULL ELSE phone END,
         display_name = CASE WHEN $5 THEN NULL ELSE display_name END,
         recover_after = CASE WHEN $5 THEN NULL WHEN $6::double precision IS NULL THEN recover_after
                              ELSE now() + make_interval(secs => $6::double precision / 1000) END
       WHERE id = $1::uuid AND state <> ALL($7::text[])`,
      [
        id,
        state,
        extra.errorCode ?? null,
        extra.userId === undefined ? null : JSON.stringify({ userId: extra.userId }),
        terminal,
        extra.recoverInMs ?? null,
        TERMINAL,
      ],
    );
    return moved > 0;
  }

  /** Makes a saga that has not ended due for recovery in `ms` (now, or after Supabase is back). */
  async recoverIn(id: string, ms: number): Promise<void> {
    await this.db.sql.execute(
      `UPDATE signup_sagas SET recover_after = now() + make_interval(secs => $2::double precision / 1000)
       WHERE id = $1::uuid AND recover_after IS NOT NULL`,
      [id, ms],
    );
  }

  /** When the next saga falls due for recovery; null when none is open. */
  async nextDue(): Promise<Date | null> {
    const [row] = await this.db.sql.query<{ at: Date | null }>('SELECT min(recover_after) AS at FROM signup_sagas');
    return row?.at ?? null;
  }

  /** Takes and leases up to `limit` due sagas, oldest first, skipping those another instance is taking (SKIP LOCKED). */
  async takeDue(limit: number, options: { lookAheadMs?: number; except?: readonly string[] } = {}): Promise<SignupSagaRow[]> {
    return this.db.sql.query<SignupSagaRow>(
      `UPDATE signup_sagas SET recover_after = now() + make_interval(secs => $2::double precision / 1000), attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM signup_sagas
         WHERE recover_after <= now() + make_interval(secs => $3::double precision / 1000) AND NOT (id = ANY($4::uuid[]))
         ORDER BY recover_after LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [limit, this.recoveryLeaseMs, options.lookAheadMs ?? 0, options.except ?? []],
    );
  }

  /** Deletes the sagas that ended more than SAGA_RETENTION_HOURS ago (replays of their keys are over). */
  async purgeEnded(): Promise<number> {
    return this.db.sql.execute(
      `DELETE FROM signup_sagas WHERE recover_after IS NULL AND state = ANY($1::text[])
         AND updated_at < now() - make_interval(hours => $2::int)`,
      [TERMINAL, SAGA_RETENTION_HOURS],
    );
  }
}
