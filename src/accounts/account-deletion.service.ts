import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { UsersService } from '../users/users.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { ReauthenticationService } from './reauthentication.service.js';

export const DELETE_SUPABASE_USER_TASK = 'delete_supabase_user';

/**
 * `DELETE /users/me`, local first: a failure can only leave a Supabase user the queued job is still deleting, and the
 * tombstone keeps it out of the mirror meanwhile (docs/design.md, "Accounts").
 */
@Injectable()
export class AccountDeletionService implements OnModuleInit {
  private readonly logger = new Logger(AccountDeletionService.name);

  constructor(
    private readonly supabase: SupabaseAdminService,
    private readonly users: UsersService,
    private readonly jobs: JobQueueService,
    private readonly reauthentication: ReauthenticationService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(DELETE_SUPABASE_USER_TASK, async (payload) => {
      const { userId } = payload as { userId: string };
      const deleted = await this.supabase.deleteUser(userId);
      if (deleted.kind !== 'ok') throw new Error(`Supabase did not delete the user yet (${deleted.kind})`);
    });
  }

  async deleteAccount(caller: AuthenticatedUser, password: string | undefined, clientIp: string): Promise<void> {
    await this.reauthentication.confirm(caller, password, clientIp, 'account.deletion');
    await this.users.deleteUser(caller.id, {
      source: 'account',
      alsoInTransaction: (tx) =>
        this.jobs.add(DELETE_SUPABASE_USER_TASK, { userId: caller.id }, { jobKey: `supabase-delete:${caller.id}`, maxAttempts: 25 }, tx),
    });
    const remote = await this.supabase.deleteUser(caller.id);
    if (remote.kind !== 'ok') this.logger.warn({ userId: caller.id }, 'Supabase delete failed; the queued job will retry it');
  }
}
