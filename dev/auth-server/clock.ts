// Timestamps as GoTrue writes them: microseconds, strictly increasing within one stand-in.

/** Strictly increasing wall clock with microsecond resolution, formatted like GoTrue. */
export class MicroClock {
  private last = 0;
  nowMicros(): number {
    let us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    if (us <= this.last) us = this.last + 1;
    this.last = us;
    return us;
  }
  /** Make sure later timestamps are after `ts` (used when loading persisted state). */
  observe(ts: string | null | undefined): void {
    const us = parseMicros(ts);
    if (us > this.last) this.last = us;
  }
  now(): string {
    return formatMicros(this.nowMicros());
  }
}

export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  return iso.slice(0, 23) + String(us - ms * 1000).padStart(3, '0') + 'Z';
}

export function parseMicros(ts: string | null | undefined): number {
  if (!ts) return 0;
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(ts);
  if (!m) {
    const ms = Date.parse(ts);
    return Number.isNaN(ms) ? 0 : ms * 1000;
  }
  const base = Date.parse(m[1] + m[3]);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}
