import { Injectable, Logger } from '@nestjs/common';
import { announceAccess } from '../access/access-events.js';
import { AccessRegistry } from '../access/access-registry.js';
import { AuditService } from '../audit/audit.service.js';
import { DatabaseService } from '../database/database.service.js';
import type { Sql } from '../database/sql.js';
import { UserCleanerRegistry } from './user-cleaners.js';
import { UsersRepository } from './users.repository.js';

/** Where a deletion came from, for the audit record. */
export type DeletionSource = 'sync' | 'webhook' | 'pull' | 'reconcile' | 'account' | 'admin';

export interface DeletionOptions {
  deletedAt?: string | null;
  source?: DeletionSource;
  /** More work that must commit with the deletion (e.g. queueing the Supabase-side delete). */
  alsoInTransaction?: (tx: Sql) => Promise<void>;
}

/** Deleting a mirrored user: the tombstone, the cascade, the audit record, the clean-up jobs and the news. */
@Injectable()
export class UserDeletionsService {
  private readonly logger = new Logger(UserDeletionsService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly users: UsersRepository,
    private readonly access: AccessRegistry,
    private readonly cleaners: UserCleanerRegistry,
    private readonly audit: AuditService,
  ) {}

  /** Deletes the user in one transaction (the caller's, if given); a tombstone is left as it is (docs/design.md, "Deleting a user"). */
  async deleteUser(id: string, options: DeletionOptions = {}, tx?: Sql): Promise<{ deleted: boolean }> {
    const run = async (tx: Sql) => {
      const deleted = await this.users.tombstone(id, options.deletedAt ?? null, tx);
      if (!deleted) return false;
      await options.alsoInTransaction?.(tx);
      await this.audit.record({ userId: null, subjectId: id, type: 'user.deleted', details: { source: options.source ?? 'admin' } }, tx);
      await this.cleaners.queueCleanups(id, tx);
      await announceAccess({ kind: 'deleted', user: id }, tx);
      return true;
    };
    const deleted = tx ? await run(tx) : await this.db.transaction(run);
    // This instance refuses at once; the others on commit.
    if (!tx) this.access.apply({ kind: 'deleted', user: id });
    if (deleted) this.logger.log({ userId: id, source: options.source ?? 'admin' }, 'user deleted');
    return { deleted };
  }

  /** True when the user is known to be deleted (in-memory: no query). */
  isDeleted(id: string): boolean {
    return this.access.isDeleted(id);
  }
}
