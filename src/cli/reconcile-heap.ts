// The reconcile CLI's V8 heap settings. A run allocates about 2.5 KB per user (rows, snapshots, parameters) and keeps
// about 40 MB live, so its peak memory is V8's heap policy, not its data (docs/benchmarks.md).

/** Each flag with why; an operator's own value (command line or NODE_OPTIONS) wins. */
const HEAP_FLAGS = [
  // Young generation of 4 MB semi-spaces instead of up to 64 MB: a throughput knob (more, shorter scavenges), not a limit.
  '--max-semi-space-size=4',
  // Under 2 GB V8 lets the old generation reach about 2x its live size before a full GC instead of 4x; still a
  // ceiling 50 times the run's live heap, and about the one Node itself picks on a host with 8 GB of memory.
  '--max-old-space-size=2047',
];

/**
 * Replaces the process image (same pid, same stdio) with one started with HEAP_FLAGS, before anything large is
 * loaded; returns only when nothing is missing or execve is unavailable (Windows), and the run goes on without them.
 */
export function reexecWithHeapFlags(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName);
  const missing = HEAP_FLAGS.filter((flag) => !given.includes(flagName(flag)));
  if (missing.length === 0 || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

/** `--max_old_space_size=1024` → `--max-old-space-size` (V8 takes either spelling). */
function flagName(argument: string): string {
  return argument.split('=')[0].replaceAll('_', '-');
}
