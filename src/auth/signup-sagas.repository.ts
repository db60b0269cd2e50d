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

/** The signup sagas: written before the first remote call, moved forward at every step. */
@Injectable()
export class SignupSagasRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Records a new saga; null when the idempotency key is already taken. */
  async insert(saga: Omit<SignupSagaRow, 'state' | 'error_code' | 'response' | 'attempts'>): Promise<SignupSagaRow | null> {
    const rows = await this.prisma.sql.query<SignupSagaRow>(
      `INSERT INTO signup_sagas (id, idempotency_key, user_id, email, phone, display_name, state)
       VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, 'pending')
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [saga.id, saga.idempotency_key, saga.user_id, saga.email, saga.phone, saga.display_name],
    );
    return rows[0] ?? null;
  }

  async findByIdempotencyKey(key: string): Promise<SignupSagaRow | null> {
    const rows = await this.prisma.sql.query<SignupSagaRow>('SELECT * FROM signup_sagas WHERE idempotency_key = $1', [key]);
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<SignupSagaRow | null> {
    const rows = await this.prisma.sql.query<SignupSagaRow>('SELECT * FROM signup_sagas WHERE id = $1::uuid', [id]);
    return rows[0] ?? null;
  }

  /**
   * Moves the saga to `state`. A terminal state clears the personal data the saga held; only the
   * answer kept for Idempotency-Key replays (the user's own, never a session) stays.
   */
  async advance(
    id: string,
    state: SagaState,
    extra: { errorCode?: string | null; response?: unknown } = {},
    sql: Sql = this.prisma.sql,
  ): Promise<void> {
    const terminal = TERMINAL.includes(state);
    await sql.execute(
      `UPDATE signup_sagas SET state = $2, error_code = coalesce($3, error_code),
         response = coalesce($4::jsonb, response), updated_at = now(), attempts = attempts + 1,
         email = CASE WHEN $5 THEN NULL ELSE email END, phone = CASE WHEN $5 THEN NULL ELSE phone END,
         display_name = CASE WHEN $5 THEN NULL ELSE display_name END
       WHERE id = $1::uuid`,
      [id, state, extra.errorCode ?? null, extra.response === undefined ? null : JSON.stringify(extra.response), terminal],
    );
  }

  /** Sagas that stopped half-way (a crash, an outage) and have not moved for `olderThanMs`. */
  async stuck(olderThanMs: number, limit: number): Promise<SignupSagaRow[]> {
    return this.prisma.sql.query<SignupSagaRow>(
      `SELECT * FROM signup_sagas
       WHERE state IN ('pending', 'remote_created', 'compensating')
         AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY updated_at LIMIT $2`,
      [olderThanMs, limit],
    );
  }

  /** Takes a saga for recovery, so that two instances never work on the same one. */
  async tryLock(sql: Sql, id: string): Promise<SignupSagaRow | null> {
    const rows = await sql.query<SignupSagaRow>(
      `SELECT * FROM signup_sagas WHERE id = $1::uuid AND state IN ('pending', 'remote_created', 'compensating')
       FOR UPDATE SKIP LOCKED`,
      [id],
    );
    return rows[0] ?? null;
  }
}
