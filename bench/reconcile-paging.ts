// Step (a) of the reconcile section, and the stand-in it pages through: an auth stand-in
// pre-filled in its own process (auth-with-users.ts), and passes of
// `auth.admin.listUsers({ page, perPage })` until a short page, timed here with their CPU.
import { createClient } from '@supabase/supabase-js';
import { join } from 'node:path';
import { cpuSnapshot, type CpuRoles } from './cpu.js';
import { BENCH_DIST, spawnNode, waitForLine, type Child } from './processes.js';

export interface PagingPass {
  ms: number;
  pages: number;
  seen: number;
  cpuMs: { loadgen: number; auth: number };
}

/**
 * Warms up (JIT, the stand-in's sorted list) with ten pages, then returns one timed pass over
 * every page (the next page computed here: supabase-js parses page numbers ≥ 10 wrongly).
 */
export async function pagingPasses(
  auth: Child,
  authUrl: string,
  serviceRoleKey: string,
  perPage: number,
): Promise<() => Promise<PagingPass>> {
  const supabase = createClient(authUrl, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const listPage = async (page: number) => {
    const { data, error } = await supabase.auth.admin.listUsers({ page, perPage });
    if (error) throw new Error(`listUsers page ${page} failed: ${error.message}`);
    return data.users.length;
  };
  for (let page = 1; page <= 10; page++) await listPage(page); // warm-up
  const pagingCpu: CpuRoles = { loadgen: () => [process.pid], auth: () => [auth.process.pid!] };
  return async () => {
    const cpuBefore = cpuSnapshot(pagingCpu);
    const passStarted = performance.now();
    let pages = 0;
    let seen = 0;
    for (let page = 1; ; page++) {
      const count = await listPage(page);
      pages++;
      seen += count;
      if (count < perPage) break;
    }
    const ms = performance.now() - passStarted;
    const cpuAfter = cpuSnapshot(pagingCpu);
    return {
      ms,
      pages,
      seen,
      cpuMs: { loadgen: Math.round(cpuAfter.loadgen - cpuBefore.loadgen), auth: Math.round(cpuAfter.auth - cpuBefore.auth) },
    };
  };
}

/** Starts auth-with-users.js on `port` and waits for its "ready" line (bulk insertion done). */
export async function startPrefilledAuth(
  options: { users: number; log: (message: string) => void },
  port: number,
  listDelayMs: number,
): Promise<{ auth: Child; url: string; insertMs: number }> {
  const auth = spawnNode('auth stand-in (pre-filled)', join(BENCH_DIST, 'auth-with-users.js'), {
    PORT: String(port),
    HOST: '127.0.0.1',
    BENCH_AUTH_USERS: String(options.users),
    BENCH_AUTH_LIST_DELAY_MS: String(listDelayMs),
  });
  const line = await waitForLine(auth, /^\{"ready":true.*\}$/m, 120_000);
  const ready = JSON.parse(line) as { url: string; users: number; insertMs: number };
  if (ready.users !== options.users) throw new Error(`the auth stand-in holds ${ready.users} users, expected ${options.users}`);
  options.log(`auth stand-in ready at ${ready.url}: ${ready.users} users inserted in ${ready.insertMs} ms`);
  return { auth, url: ready.url, insertMs: ready.insertMs };
}
