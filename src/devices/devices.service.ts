import { Injectable } from '@nestjs/common';
import { announceAccess } from '../access/access-events.js';
import { AccessRegistry } from '../access/access-registry.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { apiError } from '../common/errors.js';
import { userDeleted } from '../users/users.service.js';
import { DatabaseService } from '../database/database.service.js';
import type { LogoutScope } from '../supabase/supabase-auth.service.js';
import type { Sql } from '../database/sql.js';
import { DeviceListenerRegistry } from './device-listeners.js';
import { DevicesRepository, type DeviceRow } from './devices.repository.js';
import { LAST_SEEN_EVERY_MS, RecentSet, sightingOf, type Sighting } from './sighting.js';

/** Where a device is seen from. */
export type SeenFrom = Pick<Sighting, 'ip' | 'userAgent'>;
import { toDevice, toOperatorDevice, type DeviceDto, type OperatorDeviceDto } from './dto/device.dto.js';
import { SupabaseSessionRevoker } from './supabase-session-revoker.js';

/** A user's devices: recorded when seen, listed, named, revoked here and in Supabase (docs/devices.md). */
@Injectable()
export class DevicesService {
  constructor(
    private readonly db: DatabaseService,
    private readonly devices: DevicesRepository,
    private readonly listeners: DeviceListenerRegistry,
    private readonly revoker: SupabaseSessionRevoker,
    private readonly access: AccessRegistry,
    private readonly audit: AuditService,
  ) {}

  /** Sessions this instance wrote in the last minute (see seen). */
  private readonly recentlyRecorded = new RecentSet(LAST_SEEN_EVERY_MS);

  /** Records sessions seen; a first sighting of a user's second (or later) device is a `device.added` event. */
  async record(sightings: readonly Sighting[]): Promise<void> {
    await this.db.transaction((tx) => this.recordIn(sightings, tx));
  }

  /**
   * Records the device of a caller's token (or a session just issued), seen now from `client`; nothing for a token without
   * one. A session this instance recorded within the minute is not written again (its row is there: a revoked session
   * or a deleted user never gets this far), as the guard's sightings move last-seen at most once a minute: an app that
   * syncs on every token refresh costs no transaction each time.
   */
  async seen(caller: AuthenticatedUser | null, client: SeenFrom): Promise<void> {
    const sighting = sightingOf(caller, client);
    if (!sighting || this.recentlyRecorded.has(sighting.sessionId)) return;
    const written = await this.db.transaction((tx) => this.recordIn([sighting], tx));
    if (written.includes(sighting.sessionId)) this.recentlyRecorded.add(sighting.sessionId);
  }

  /** The same, named by the user at sign-in, and returns the device; null when there is none or its user is not in the mirror. */
  async recordOne(caller: AuthenticatedUser | null, client: SeenFrom, name: string | null): Promise<DeviceDto | null> {
    const sighting = sightingOf(caller, client, name);
    if (!sighting) return null;
    const row = await this.db.transaction(async (tx) => {
      await this.recordIn([sighting], tx);
      return this.devices.find(sighting.sessionId, tx);
    });
    return row && row.user_id === sighting.userId && row.revoked_at === null ? toDevice(row, sighting.sessionId) : null;
  }

  async list(caller: AuthenticatedUser): Promise<DeviceDto[]> {
    return (await this.devices.live(caller.id)).map((row) => toDevice(row, caller.sessionId));
  }

  /** Another user's device, or a revoked one, is 404: whose it is stays unknown. */
  async rename(caller: AuthenticatedUser, id: string, name: string): Promise<DeviceDto> {
    const row = await this.devices.rename(caller.id, id, name);
    if (!row) throw apiError('device_not_found');
    return toDevice(row, caller.sessionId);
  }

  /** Its tokens are refused at once on every instance; its session is ended in Supabase by a durable job. */
  async revoke(caller: AuthenticatedUser, id: string): Promise<void> {
    const revoked = await this.db.transaction(async (tx) => {
      await this.lockUserIn(caller.id, tx);
      const row = await this.devices.revoke(caller.id, id, tx);
      if (row) await this.revokeIn([row], caller.id, tx);
      return row;
    });
    if (!revoked) throw apiError('device_not_found');
    this.applyLocally([revoked]);
  }

  /**
   * A logout's part here: `local` revokes the caller's device; `others` and `global` revoke the user's other (all) devices
   * and refuse every older token of the other (all) sessions, also of sessions never seen here. The caller must be in the
   * mirror (logout mirrors it first).
   */
  async endSessions(caller: AuthenticatedUser, scope: LogoutScope): Promise<void> {
    const keep = scope === 'others' ? caller.sessionId : null;
    const { rows, cutoff } = await this.db.transaction(async (tx) => {
      await this.lockUserIn(caller.id, tx);
      if (scope === 'local') {
        const row = caller.sessionId ? await this.devices.revoke(caller.id, caller.sessionId, tx) : null;
        if (row) await this.revokeIn([row], caller.id, tx);
        return { rows: row ? [row] : [], cutoff: null };
      }
      const rows = await this.devices.revokeAllBut(caller.id, keep, tx);
      await this.revokeIn(rows, caller.id, tx);
      const cutoff = await this.devices.cutOffSessions(caller.id, keep, tx);
      await announceAccess(cutoff, tx);
      return { rows, cutoff };
    });
    this.applyLocally(rows);
    if (cutoff) this.access.apply(cutoff);
  }

  /**
   * Every token of the user issued until now gets 401 `token_stale` on every instance, so that clients refresh and get the
   * claims Supabase has now (a role or tier changed). False for a user not in the mirror.
   */
  async forceRefresh(userId: string): Promise<boolean> {
    const cutoff = await this.db.transaction(async (tx) => {
      if (!(await this.devices.lockUser(userId, tx))) return null;
      const event = await this.devices.markTokensStale(userId, tx);
      await announceAccess(event, tx);
      return event;
    });
    if (cutoff) this.access.apply(cutoff);
    return cutoff !== null;
  }

  /** Every device of the user, revoked ones too, most recently seen first (the operator's view). */
  async everyDevice(userId: string): Promise<OperatorDeviceDto[]> {
    return (await this.devices.all(userId)).map(toOperatorDevice);
  }

  /** The user's row first, as a deletion takes it: the two wait for each other instead of deadlocking. */
  private async lockUserIn(userId: string, tx: Sql): Promise<void> {
    if (!(await this.devices.lockUser(userId, tx))) throw userDeleted();
  }

  /** Returns the sessions written (a user not in the mirror, or a revoked session, is skipped). */
  private async recordIn(sightings: readonly Sighting[], tx: Sql): Promise<string[]> {
    const rows = await this.devices.record(sightings, tx);
    for (const written of rows) {
      if (!written.added || !written.hasOthers) continue;
      await this.audit.record(
        { userId: written.userId, subjectId: written.userId, type: 'device.added', details: { deviceId: written.id } },
        tx,
      );
      await this.listeners.queue(written.id, tx);
    }
    return rows.map((row) => row.id);
  }

  /** The news, the audit record and the Supabase-side job of revoked devices, in their transaction. */
  private async revokeIn(rows: readonly DeviceRow[], userId: string, tx: Sql): Promise<void> {
    for (const row of rows) {
      await announceAccess({ kind: 'session', session: row.id, endedAt: null }, tx);
      await this.audit.record({ userId, subjectId: userId, type: 'device.revoked', details: { deviceId: row.id } }, tx);
      await this.revoker.queue(row.id, tx);
    }
  }

  /** This instance refuses at once; the others when the notification arrives. */
  private applyLocally(rows: readonly DeviceRow[]): void {
    for (const row of rows) this.access.apply({ kind: 'session', session: row.id, endedAt: null });
  }
}
