import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { SupabaseAdminService } from '../supabase/supabase-admin.service.js';
import { InvalidSnapshotError, snapshotFromClaims, snapshotFromSupabase } from '../users/user-snapshot.js';
import { UsersService, type ApplyOutcome } from '../users/users.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import type { ClientInfo } from '../common/request-headers.decorator.js';
import { DevicesService } from '../devices/devices.service.js';
import { Metrics } from '../metrics/metrics.js';
import type { SyncSource, SyncUserResponse } from './dto/sync-user-response.dto.js';

/**
 * `POST /auth/users/sync`: reads the caller from Supabase's admin API (the authority), applies
 * it to the mirror, and makes the profile on first sight.
 */
@Injectable()
export class UserSyncService {
  private readonly logger = new Logger(UserSyncService.name);

  constructor(
    private readonly supabase: SupabaseAdminService,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
  ) {}

  /** Also records the sync on the user's timeline (its source), and the caller's device: the first sync after a sign-in elsewhere is where this service first sees it. */
  async sync(caller: AuthenticatedUser, client: ClientInfo): Promise<SyncUserResponse> {
    const { outcome, source } = await this.applyCaller(caller);
    this.metrics.synced(source);
    const { user, profile, created } = await this.users.mirrorSignedIn(outcome);
    await this.audit.recordDetached({ userId: caller.id, subjectId: caller.id, type: 'user.synced', details: { source } });
    await this.devices.seen(caller, client);
    return { user, profile, created, source };
  }

  private async applyCaller(caller: AuthenticatedUser): Promise<{ outcome: ApplyOutcome; source: SyncSource }> {
    const lookup = await this.supabase.getUserById(caller.id);
    if (lookup.kind === 'ok' && !lookup.value) {
      await this.users.deleteUser(caller.id, { source: 'sync' });
      return { outcome: { status: 'deleted', user: null }, source: 'admin_api' };
    }
    if (lookup.kind === 'ok' && lookup.value) {
      try {
        return { outcome: await this.users.applyUserSnapshot(snapshotFromSupabase(lookup.value)), source: 'admin_api' };
      } catch (error) {
        if (!(error instanceof InvalidSnapshotError)) throw error;
        this.logger.warn({ userId: caller.id, reason: error.message }, 'Supabase returned an unusable user; using token claims');
      }
    }
    return { outcome: await this.users.applyTokenClaims(snapshotFromClaims(caller.claims)), source: 'token_claims' };
  }
}
