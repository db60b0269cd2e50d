import { Injectable } from '@nestjs/common';
import type { Db } from '../prisma/prisma.service.js';

export interface AuditRecord {
  /** Set for events that belong to a live user: they go when the user goes. */
  userId: string | null;
  /** Whom the event is about; kept after deletion (an id is not personal data). */
  subjectId: string;
  type: string;
  /** Never passwords, tokens or personal data. */
  details?: Record<string, unknown>;
}

/** The only writer of `audit_events`. */
@Injectable()
export class AuditService {
  async record(db: Db, event: AuditRecord): Promise<void> {
    await db.$executeRaw`
      INSERT INTO audit_events (user_id, subject_id, type, details)
      VALUES (${event.userId}::uuid, ${event.subjectId}::uuid, ${event.type}, ${JSON.stringify(event.details ?? {})}::jsonb)`;
  }
}
