// CPU time used by the processes of the run (from /proc, Linux), so that each measurement can
// say how much CPU one request cost in the server, the auth stand-in and Postgres. On a shared
// 2-core machine this is steadier than requests/s alone.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

/**
 * utime + stime of one process in ms, plus cutime + cstime (its reaped children: a Postgres
 * backend that exits moves its time there), or 0 when it is gone.
 */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The process and its direct children (Postgres' backends are children of the postmaster). */
function withChildren(pid: number): number[] {
  const found = [pid];
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (children) found.push(...children.split(' ').map(Number));
  } catch {
    // no /proc children file: scan
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
      } catch {
        // gone
      }
    }
  }
  return found;
}

export type CpuRoles = Record<string, () => number[]>;

export function cpuSnapshot(roles: CpuRoles): Record<string, number> {
  const snapshot: Record<string, number> = {};
  for (const [role, pids] of Object.entries(roles)) snapshot[role] = pids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
  return snapshot;
}

export function postgresPids(postmasterPid: number): () => number[] {
  return () => withChildren(postmasterPid);
}
