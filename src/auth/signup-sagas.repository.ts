import { Injectable } from '@nestjs/common';
import { PrismaService, type Sql } from '../prisma/prisma.service.js';

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
  response: Record<string, unknown> | null;
  attempts: number;
}

const TERMINAL: SagaState[] = ['completed', 'compensated', 'failed'];

/** How long a saga its request is working on is left alone: far longer than any request takes. */
export const REQUEST_LEASE_MS = 60_000;

/** The signup sagas: written before the first remote call, moved forward at every step. */
@Injectable()
export class SignupSagasRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Records a new saga, due for recovery only if its request never ends it; null when the idempotency key is taken. */
  async insert(saga: Omit<SignupSagaRow, 'state' | 'error_code' | 'response' | 'attempts'>): Promise<SignupSagaRow | null> {
    const rows = await this.prisma.sql.query<SignupSagaRow>(
      `INSERT INTO signup_sagas (id, idempotency_key, user_id, email, phone, display_name, state, recover_after)
       VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, 'pending', now() + make_interval(secs => $7::double precision / 1000))
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [saga.id, saga.idempotency_key, saga.user_id, saga.email, saga.phone, saga.display_name, REQUEST_LEASE_MS],
    );
    return rows[0] ?? null;
  }

  async findByIdempotencyKey(key: string): Promise<SignupSagaRow | null> {
    const rows = await this.prisma.sql.query<SignupSagaRow>('SELECT * FROM signup_sagas WHERE idempotency_key = $1', [key]);
    return rows[0] ?? null;
  }

  /**
   * Moves the saga to `state`. A terminal state clears the personal data the saga held and takes
   * it off recovery's list; only the answer kept for Idempotency-Key replays (the user's own,
   * never a session) stays. `recoverInMs` makes a saga that did not end due for recovery then.
   */
  async advance(
    id: string,
    state: SagaState,
    extra: { errorCode?: string | null; response?: unknown; recoverInMs?: number } = {},
    sql: Sql = this.prisma.sql,
  ): Promise<void> {
    const terminal = TERMINAL.includes(state);
    await sql.execute(
      `UPDATE signup_sagas SET state = $2, error_code = coalesce($3, error_code),
         response = coalesce($4::jsonb, response), updated_at = now(), attempts = attempts + 1,
         email = CASE WHEN $5 THEN NULL ELSE email END, phone = CASE WHEN $5 THEN NULL ELSE phone END,
         display_name = CASE WHEN $5 THEN NULL ELSE display_name END,
         recover_after = CASE WHEN $5 THEN NULL WHEN $6::double precision IS NULL THEN recover_after
                              ELSE now() + make_interval(secs => $6::double precision / 1000) END
       WHERE id = $1::uuid`,
      [id, state, extra.errorCode ?? null, extra.response === undefined ? null : JSON.stringify(extra.response), terminal, extra.recoverInMs ?? null],
    );
  }

  /** Makes a saga that has not ended due for recovery in `ms` (now, or after Supabase is back). */
  async recoverIn(id: string, ms: number): Promise<void> {
    await this.prisma.sql.execute(
      `UPDATE signup_sagas SET recover_after = now() + make_interval(secs => $2::double precision / 1000)
       WHERE id = $1::uuid AND recover_after IS NOT NULL`,
      [id, ms],
    );
  }

  /** When the next saga falls due for recovery; null when none is open. */
  async nextDue(): Promise<Date | null> {
    const [row] = await this.prisma.sql.query<{ at: Date | null }>('SELECT min(recover_after) AS at FROM signup_sagas');
    return row?.at ?? null;
  }

  /**
   * Takes up to `limit` sagas due for recovery (or due within `lookAheadMs`), oldest due first,
   * but for those `except` names, and leases them for `leaseMs`: sagas another instance is taking are skipped, and a taken one
   * is not due again before the lease ends (or until `recoverIn` says otherwise).
   */
  async takeDue(limit: number, leaseMs: number, options: { lookAheadMs?: number; except?: readonly string[] } = {}): Promise<SignupSagaRow[]> {
    return this.prisma.sql.query<SignupSagaRow>(
      `UPDATE signup_sagas SET recover_after = now() + make_interval(secs => $2::double precision / 1000), attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM signup_sagas
         WHERE recover_after <= now() + make_interval(secs => $3::double precision / 1000) AND NOT (id = ANY($4::uuid[]))
         ORDER BY recover_after LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [limit, leaseMs, options.lookAheadMs ?? 0, options.except ?? []],
    );
  }
}
