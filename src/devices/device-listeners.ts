import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Sql } from '../database/sql.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { DevicesRepository, type DeviceRow } from './devices.repository.js';

export const DEVICE_ADDED_TASK = 'device_added';

/** A new device of a user who already had another: what a listener is told (no token, no secret). */
export interface DeviceAdded {
  userId: string;
  deviceId: string;
  name: string | null;
  userAgent: string | null;
  ip: string | null;
  firstSeenAt: string;
}

/** Tells someone of a new sign-in (an email, a push to the other devices). */
export interface DeviceListener {
  /** Stable name: it is stored in queued jobs. */
  readonly name: string;
  /** Must be idempotent: a job may run again after a failure. */
  onDeviceAdded(event: DeviceAdded): Promise<void>;
  /** Attempts (with exponential back-off) before the job stays failed for an operator; default 10. */
  readonly maxAttempts?: number;
}

/** The extension point for new sign-in notifications: register a listener at start-up (docs/devices.md). */
@Injectable()
export class DeviceListenerRegistry implements OnModuleInit {
  private readonly listeners = new Map<string, DeviceListener>();

  constructor(
    private readonly jobs: JobQueueService,
    private readonly devices: DevicesRepository,
  ) {}

  onModuleInit(): void {
    this.jobs.register(DEVICE_ADDED_TASK, async (payload) => {
      const { deviceId, listener } = payload as { deviceId: string; listener: string };
      const found = this.listeners.get(listener);
      if (!found) throw new Error(`no device listener named ${listener}`);
      // Gone with its user, or revoked since: nobody to tell about it.
      const device = await this.devices.find(deviceId);
      if (device && device.revoked_at === null) await found.onDeviceAdded(deviceAdded(device));
    });
  }

  register(listener: DeviceListener): void {
    if (this.listeners.has(listener.name)) throw new Error(`a device listener named ${listener.name} is already registered`);
    this.listeners.set(listener.name, listener);
  }

  /** One durable job per registered listener, in the transaction that recorded the device. */
  async queue(deviceId: string, tx: Sql): Promise<void> {
    for (const listener of this.listeners.values()) {
      await this.jobs.add(
        DEVICE_ADDED_TASK,
        { deviceId, listener: listener.name },
        { jobKey: `device-added:${listener.name}:${deviceId}`, maxAttempts: listener.maxAttempts },
        tx,
      );
    }
  }
}

function deviceAdded(row: DeviceRow): DeviceAdded {
  return {
    userId: row.user_id,
    deviceId: row.id,
    name: row.name,
    userAgent: row.user_agent,
    ip: row.ip,
    firstSeenAt: row.first_seen_at.toISOString(),
  };
}
