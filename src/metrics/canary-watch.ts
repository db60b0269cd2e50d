import { Inject, Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { UserSnapshot } from '../users/user-snapshot.js';
import { Metrics } from './metrics.js';

/** The `app_metadata` key the canary writes: the ISO time it was sent. */
export const CANARY_KEY = 'authmirror_canary';

/** Seconds from the canary's write in Supabase to the mirror. */
const ROUNDTRIP_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Watches the canary user (CANARY_USER_ID) come back through the mirror: every applied snapshot passes here, whatever
 * brought it (a delivery, the pull intake, a sync, reconcile). With no canary set, a call costs one comparison; with one,
 * a comparison of ids per snapshot. Its metrics exist only when a canary is set, so that no alert fires without one.
 */
@Injectable()
export class CanaryWatch {
  private readonly userId: string | null;
  /** The newest canary value seen (epoch ms): each value is observed once, and an older one never moves the gauges. */
  private newestSeen = 0;
  private readonly gauges: { sent: Gauge; lastSeen: Gauge; roundtrip: Histogram } | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: Metrics) {
    this.userId = config.canary.userId;
    if (this.userId === null) return;
    const registers = [metrics.registry];
    this.gauges = {
      sent: new Gauge({
        name: 'authmirror_canary_sent_timestamp_seconds',
        help: 'When this instance last wrote the canary to Supabase (Unix seconds; 0: not yet)',
        registers,
      }),
      lastSeen: new Gauge({
        name: 'authmirror_canary_last_seen_timestamp_seconds',
        help: 'When this instance last applied a newer canary value to the mirror (Unix seconds; 0: not yet)',
        registers,
      }),
      roundtrip: new Histogram({
        name: 'authmirror_canary_roundtrip_seconds',
        help: "From the canary's write in Supabase to the mirror applying it, by whatever path it came",
        buckets: ROUNDTRIP_BUCKETS,
        registers,
      }),
    };
  }

  /** Snapshots the mirror has just applied. */
  applied(snapshots: readonly UserSnapshot[]): void {
    if (this.userId === null) return;
    for (const snapshot of snapshots) if (snapshot.id === this.userId) this.seen(snapshot.appMetadata[CANARY_KEY]);
  }

  /** The canary was written to Supabase at `at`. */
  sent(at: Date): void {
    this.gauges?.sent.set(at.getTime() / 1000);
  }

  private seen(value: unknown): void {
    const sentAt = typeof value === 'string' ? Date.parse(value) : NaN;
    if (!(sentAt > this.newestSeen) || !this.gauges) return;
    this.newestSeen = sentAt;
    const now = Date.now();
    this.gauges.lastSeen.set(now / 1000);
    this.gauges.roundtrip.observe(Math.max(0, (now - sentAt) / 1000));
  }
}
