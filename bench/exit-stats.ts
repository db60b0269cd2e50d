// Preloaded (`node --import`) into a process the benchmark runs to completion (the reconcile
// CLI): at exit it writes its peak resident set (VmHWM) and its CPU time to BENCH_EXIT_STATS_FILE,
// figures that /proc no longer shows once the process is gone. Nothing runs before exit.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_EXIT_STATS_FILE;

export interface ExitStats {
  /** Peak resident set size, kB (VmHWM from /proc/self/status). */
  vmHwmKb: number | null;
  /** getrusage's ru_maxrss, kB (the same figure, from the kernel's accounting). */
  maxRssKb: number;
  userCpuMs: number;
  systemCpuMs: number;
  exitCode: number;
}

if (file) {
  process.once('exit', (code) => {
    let vmHwmKb: number | null = null;
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (match) vmHwmKb = Number(match[1]);
    } catch {
      // no /proc: ru_maxrss only
    }
    const usage = process.resourceUsage();
    const stats: ExitStats = {
      vmHwmKb,
      maxRssKb: usage.maxRSS,
      userCpuMs: Math.round(usage.userCPUTime / 1000),
      systemCpuMs: Math.round(usage.systemCPUTime / 1000),
      exitCode: code,
    };
    try {
      writeFileSync(file, JSON.stringify(stats));
    } catch {
      // the benchmark falls back to its own RSS polling
    }
  });
}
