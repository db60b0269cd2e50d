import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AccessRegistry } from '../access/access-registry.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { DevicesService } from './devices.service.js';
import { LAST_SEEN_EVERY_MS, RecentSet, sightingOf, type Sighting } from './sighting.js';

const FLUSH_EVERY_MS = 1_000;

/** What a sighting reads of a request (Fastify's `ip` is a getter that walks X-Forwarded-For under TRUST_PROXY). */
export interface SeenRequest {
  headers: Record<string, string | string[] | undefined>;
  readonly ip?: string;
}

/**
 * Sessions seen by the guard, written off the request path: queued in memory, recorded in one statement a second. A
 * request costs a map lookup; a write that fails is tried again at the session's next request.
 */
@Injectable()
export class DeviceSightings implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DeviceSightings.name);
  /** Session → what was seen, and who (a revocation heard before the flush drops it). */
  private pending = new Map<string, { sighting: Sighting; caller: AuthenticatedUser }>();
  /** Sessions queued within the last LAST_SEEN_EVERY_MS. */
  private readonly queued = new RecentSet(LAST_SEEN_EVERY_MS);
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly devices: DevicesService,
    private readonly access: AccessRegistry,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Called by the guard for every accepted token; reads the request's address and agent only when it queues. */
  seen(user: AuthenticatedUser, request: SeenRequest): void {
    const session = user.sessionId;
    if (session === null) return;
    if (this.queued.has(session)) return;
    this.queued.add(session);
    const sighting = sightingOf(user, { userAgent: (request.headers['user-agent'] as string | undefined) ?? null, ip: request.ip ?? null });
    if (sighting) this.pending.set(session, { caller: user, sighting });
  }

  /** Writes what is queued (one flush at a time). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    // A session signed out since it was seen is no device any more.
    const batch = [...this.pending.values()].filter(({ caller }) => this.access.refusal(caller) === null).map(({ sighting }) => sighting);
    this.pending = new Map();
    this.flushing = this.devices
      .record(batch)
      .catch((error: Error) => {
        // Forgotten, so that each session's next request queues it again.
        for (const sighting of batch) this.queued.delete(sighting.sessionId);
        this.logger.warn({ sessions: batch.length, reason: error.message }, 'devices seen not recorded; retried at their next request');
      })
      .finally(() => (this.flushing = null));
    await this.flushing;
  }
}
