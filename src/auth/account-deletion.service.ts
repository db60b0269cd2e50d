import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { SupabaseAuthService } from '../supabase/supabase-auth.service.js';
import { UsersService } from '../users/users.service.js';
import type { AuthenticatedUser } from './authenticated-user.js';

export const DELETE_SUPABASE_USER_TASK = 'delete_supabase_user';

/**
 * `DELETE /users/me`. The password is checked through Supabase; then, in one local transaction,
 * the user becomes a tombstone (everything they own goes by cascade, their tokens stop working
 * at once on every instance) and a durable job to delete the Supabase user is queued. The delete
 * is also tried right away; the job retries it until Supabase has no such user. Local first: a
 * failure can only leave a Supabase user that the job is still deleting, and that user can never
 * come back into the mirror (tombstone), nor sign in here.
 */
@Injectable()
export class AccountDeletionService implements OnModuleInit {
  private readonly logger = new Logger(AccountDeletionService.name);

  constructor(
    private readonly supabase: SupabaseAdminService,
    private readonly supabaseAuth: SupabaseAuthService,
    private readonly users: UsersService,
    private readonly jobs: JobQueueService,
    private readonly audit: AuditService,
    private readonly prisma: PrismaService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(DELETE_SUPABASE_USER_TASK, async (payload) => {
      const { userId } = payload as { userId: string };
      const deleted = await this.supabase.deleteUser(userId);
      if (deleted.kind !== 'ok') throw new Error(`Supabase did not delete the user yet (${deleted.kind})`);
    });
  }

  async deleteAccount(caller: AuthenticatedUser, password: string): Promise<void> {
    const { user } = await this.users.getMe(caller.id);
    if (!user.email) throw new ApiError(422, 'password_check_unavailable', 'This account has no email to check the password against');
    const checked = await this.supabaseAuth.signInWithPassword(user.email, password);
    if (checked.kind === 'unavailable') throw new ApiError(503, 'supabase_unavailable', 'Supabase Auth could not be reached; try again shortly');
    if (checked.kind === 'refused' && checked.code !== 'email_not_confirmed') {
      await this.audit.recordDetached(this.prisma.sql, { userId: caller.id, subjectId: caller.id, type: 'account.deletion_refused', details: { reason: checked.code ?? 'refused' } });
      throw new ApiError(401, 'invalid_credentials', 'The password is wrong');
    }
    await this.users.deleteUser(caller.id, {
      source: 'account',
      alsoInTransaction: (sql) =>
        this.jobs.add(sql, DELETE_SUPABASE_USER_TASK, { userId: caller.id }, { jobKey: `supabase-delete:${caller.id}`, maxAttempts: 25 }),
    });
    const remote = await this.supabase.deleteUser(caller.id);
    if (remote.kind !== 'ok') this.logger.warn({ userId: caller.id }, 'Supabase delete failed; the queued job will retry it');
  }
}
