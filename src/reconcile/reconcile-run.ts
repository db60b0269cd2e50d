// What a reconcile run is asked, what it reports, and when it is scheduled: shared by the service,
// the CLI and its progress display.

export interface ReconcileOptions {
  /** Classify and count without writing the mirror. */
  dryRun?: boolean;
  /** Users per listUsers page; default 1000. */
  perPage?: number;
  /** Called after each page and each sweep batch; must not throw. */
  onProgress?: (progress: ReconcileProgress) => void;
  /** Attempts per page before the run stops (no sweep); default 4. */
  pageAttempts?: number;
  /** Wait before the 2nd attempt of a page, doubling after each; default 500 ms. */
  retryBackoffMs?: number;
}

export interface ReconcileSummary {
  /** Users Supabase lists that had no row (dry run: would create). */
  created: number;
  /** Rows refreshed from a newer snapshot (dry run: would update). */
  updated: number;
  /** Rows already current, or newer than the listing (a sync or delivery got there first). */
  unchanged: number;
  /** Users turned into tombstones: soft-deleted in Supabase, or gone from it (dry run: would delete). */
  deleted: number;
  /** Users Supabase still lists that are tombstones here: left alone, never resurrected. */
  keptDeleted: number;
  /** Users that could not be reconciled: unusable snapshots, sweep candidates Supabase could not be asked about. */
  failed: number;
  /** Pages read. */
  pages: number;
  /** Users listed by Supabase (a user shifted across pages may count twice). */
  seen: number;
  /** Pages that still failed after retries; the run stopped there and did not sweep. */
  failedPages: number[];
  /** True when every page was read and the sweep ran. */
  complete: boolean;
  /** Why the run stopped early, if it did. */
  error: string | null;
  durationMs: number;
  dryRun: boolean;
  /**
   * No run had completed when this one began (a first fill, see reconcile_runs): what it creates is not a repair of what
   * the intake missed, so its users get no `reconcile.repaired` record (and metrics count it apart).
   */
  backfill: boolean;
}

export interface ReconcileProgress {
  phase: 'listing' | 'sweeping' | 'done';
  /** X-Total-Count of the last page (users in Supabase), when known. */
  total: number | null;
  /** Sweep candidates handled so far. */
  swept: number;
  summary: ReconcileSummary;
}

/** Another run (this or another instance, or the CLI) holds the reconcile lock. */
export class ReconcileAlreadyRunningError extends Error {
  override name = 'ReconcileAlreadyRunningError';
  constructor() {
    super('another reconcile is running');
  }
}

/**
 * The crontab line for "every N minutes": cron steps evenly only through an hour or a day, so N is rounded down to an
 * interval that fits (45 → every 30 minutes, 90 → hourly, 300 → every 4 hours).
 */
export function reconcileCron(minutes: number): { cron: string; everyMinutes: number } {
  if (minutes < 60) {
    const step = [30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1].find((d) => d <= minutes) ?? 1;
    return { cron: step === 1 ? '* * * * *' : `*/${step} * * * *`, everyMinutes: step };
  }
  const hours = [24, 12, 8, 6, 4, 3, 2, 1].find((h) => h <= Math.floor(minutes / 60)) ?? 1;
  if (hours === 24) return { cron: '0 0 * * *', everyMinutes: 1440 };
  return { cron: hours === 1 ? '0 * * * *' : `0 */${hours} * * *`, everyMinutes: hours * 60 };
}

/** What a run carries between its pages, its sweep and its progress reports. */
export interface RunState {
  summary: ReconcileSummary;
  total: number | null;
  swept: number;
  options: ReconcileOptions;
  started: number;
  /** Whether apply reads versions before the upsert (see apply): set by the last page applied. */
  readFirst: boolean;
}

export function count(summary: ReconcileSummary, counter: Counter): void {
  summary[counter]++;
}

export type Counter = 'created' | 'updated' | 'unchanged' | 'deleted' | 'keptDeleted' | 'failed';
