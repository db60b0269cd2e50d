// The chaos a test can ask of deliveries: lose, duplicate, delay or reorder them. The options
// are checked when set; the queue reads the settings for each delivery.

export interface DeliveryChaos {
  /** Probability 0..1 that a delivery is silently lost. */
  drop?: number;
  /** Probability 0..1 that a delivery is sent a second time (same webhook-id). */
  duplicate?: number;
  /** Wait before sending each delivery: fixed, or uniform in [min, max]. */
  delayMs?: number | [number, number];
  /** Stop serialising per user, so deliveries overtake each other (random 0-100 ms delay unless delayMs). */
  reorder?: boolean;
}

export interface ChaosSettings {
  drop: number;
  duplicate: number;
  delayMs: number | [number, number] | undefined;
  reorder: boolean;
}

const DEFAULT_REORDER_DELAY: [number, number] = [0, 100];

function probability(v: number | undefined, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new TypeError(`deliveries: chaos.${name} must be within 0..1`);
  return v;
}

/** The settings for `options` (`{}`: no chaos); a TypeError when they are out of range. */
export function chaosSettings(options: DeliveryChaos): ChaosSettings {
  const d = options.delayMs;
  if (d !== undefined) {
    const ok = Array.isArray(d) ? d.length === 2 && d[0] >= 0 && d[1] >= d[0] : d >= 0;
    if (!ok) throw new TypeError('deliveries: chaos.delayMs must be >= 0 or [min, max]');
  }
  return {
    drop: probability(options.drop, 'drop'),
    duplicate: probability(options.duplicate, 'duplicate'),
    delayMs: d,
    reorder: options.reorder ?? false,
  };
}

/** How long to wait before sending a delivery. */
export function chaosDelay(settings: ChaosSettings): number {
  const d = settings.delayMs ?? (settings.reorder ? DEFAULT_REORDER_DELAY : 0);
  return Array.isArray(d) ? d[0] + Math.random() * (d[1] - d[0]) : d;
}
