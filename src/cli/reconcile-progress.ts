import type { ReconcileProgress, ReconcileSummary } from '../reconcile/reconcile-run.js';

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

/**
 * A one-line progress bar redrawn in place with `\r` (for a terminal: the caller checks isTTY):
 * pages, users seen out of Supabase's total, users per second, then the sweep.
 */
export class ProgressBar {
  private lastDraw = 0;
  private width = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  update(progress: ReconcileProgress): void {
    const now = Date.now();
    if (progress.phase !== 'done' && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.draw(progressLine(progress));
  }

  /** Clears the line so that what follows starts on a clean one. */
  finish(): void {
    if (this.width > 0) this.out.write(`\r${' '.repeat(this.width)}\r`);
    this.width = 0;
  }

  private draw(line: string): void {
    const padding = Math.max(0, this.width - line.length);
    this.out.write(`\r${line}${' '.repeat(padding)}`);
    this.width = line.length;
  }
}

export function progressLine(progress: ReconcileProgress): string {
  const { summary, total } = progress;
  const seconds = Math.max(summary.durationMs, 1) / 1000;
  const rate = `${Math.round(summary.seen / seconds)} users/s`;
  const mode = summary.dryRun ? ' (dry run)' : '';
  if (progress.phase === 'sweeping') {
    return `reconcile${mode}: sweeping, ${progress.swept} candidates checked, ${summary.deleted} deleted`;
  }
  const fraction = total ? Math.min(1, summary.seen / total) : null;
  const filled = fraction === null ? 0 : Math.round(fraction * BAR_WIDTH);
  const bar = fraction === null ? '' : `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}% `;
  const seen = total ? `${summary.seen}/${total}` : `${summary.seen}`;
  return `reconcile${mode}: ${bar}page ${summary.pages}, ${seen} users, ${rate}`;
}

/** The summary as a small two-column table. */
export function formatSummary(summary: ReconcileSummary): string {
  const would = summary.dryRun ? 'would be ' : '';
  const rows: Array<[string, string]> = [
    [`${would}created`, String(summary.created)],
    [`${would}updated`, String(summary.updated)],
    ['unchanged', String(summary.unchanged)],
    [`${would}deleted`, String(summary.deleted)],
    ['kept deleted', String(summary.keptDeleted)],
    ['failed', String(summary.failed)],
    ['pages', String(summary.pages)],
    ['users listed', String(summary.seen)],
    ['duration', `${(summary.durationMs / 1000).toFixed(1)} s`],
  ];
  if (summary.failedPages.length > 0) rows.push(['failed pages', summary.failedPages.join(', ')]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const title = summary.dryRun ? 'reconcile (dry run, nothing written)' : 'reconcile';
  const status = summary.complete
    ? summary.failed === 0
      ? 'complete'
      : 'complete, with failures'
    : `INCOMPLETE, nothing swept${summary.error ? `: ${summary.error}` : ''}`;
  return [`${title}: ${status}`, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value.padStart(8)}`)].join('\n') + '\n';
}
