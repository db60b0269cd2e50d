import { Injectable, Logger } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { Sql } from '../database/sql.js';

const FOREIGN_KEY_VIOLATION = '23503';

export interface AuditRecord {
  /** Set for events that belong to a live user: they go when the user goes. */
  userId: string | null;
  /** Whom the event is about (null when unknown, e.g. a failed login for an unknown email); kept after deletion. */
  subjectId: string | null;
  type: string;
  /** Never passwords, tokens or personal data. */
  details?: Record<string, unknown>;
}

/** The only writer of `audit_events`. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly db: DatabaseService) {}

  /** Writes the event in `tx`: the transaction of the change it records. */
  async record(event: AuditRecord, tx: Sql): Promise<void> {
    await tx.execute('INSERT INTO audit_events (user_id, subject_id, type, details) VALUES ($1::uuid, $2::uuid, $3, $4::jsonb)', [
      event.userId,
      event.subjectId,
      event.type,
      JSON.stringify(event.details ?? {}),
    ]);
  }

  /**
   * Records an event outside a transaction without ever failing the request (a refused sign-in): a user deleted meanwhile is
   * recorded without `userId`, and any other failure is logged, not thrown.
   */
  async recordDetached(event: AuditRecord): Promise<void> {
    try {
      await this.record(event, this.db.sql);
    } catch (error) {
      const deletedMeanwhile = (error as { code?: unknown }).code === FOREIGN_KEY_VIOLATION && event.userId !== null;
      if (deletedMeanwhile) return this.recordDetached({ ...event, userId: null });
      this.logger.warn({ type: event.type, reason: (error as Error).message }, 'audit event not recorded');
    }
  }
}
