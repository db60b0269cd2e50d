import { Injectable } from '@nestjs/common';
import type { Sql } from '../prisma/prisma.service.js';

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
  /** Writes the event through `sql`: pass a transaction to make it part of the change it records. */
  async record(sql: Sql, event: AuditRecord): Promise<void> {
    await sql.execute(
      'INSERT INTO audit_events (user_id, subject_id, type, details) VALUES ($1::uuid, $2::uuid, $3, $4::jsonb)',
      [event.userId, event.subjectId, event.type, JSON.stringify(event.details ?? {})],
    );
  }
}
