// Child processes of the benchmark: spawned, waited for, and always stopped (normal end,
// error, Ctrl-C, SIGTERM), so that nothing outlives `npm run bench`.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bench, where the compiled helpers (orphan guard, baseline servers) live. */
export const BENCH_DIST = dirname(fileURLToPath(import.meta.url));
/** Loaded into every Node child: makes it stop when the benchmark dies without cleaning up. */
const ORPHAN_GUARD = join(BENCH_DIST, 'orphan-guard.js');

export interface Child {
  name: string;
  process: ChildProcess;
  /** The child's stdout and stderr, last lines kept, printed when something fails. */
  output(): string;
  stop(): Promise<void>;
}

const children = new Set<Child>();

/** Starts `node [nodeArgs] script [scriptArgs]` with `env` added to this process' environment. */
export function spawnNode(
  name: string,
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  ipc = false,
  scriptArgs: string[] = [],
): Child {
  const proc = spawn(process.execPath, ['--import', ORPHAN_GUARD, ...nodeArgs, script, ...scriptArgs], {
    env: { ...process.env, ...env, BENCH_PARENT_PID: String(process.pid) },
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > 20_000) log = log.slice(-10_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let stopping: Promise<void> | undefined;
  const child: Child = {
    name,
    process: proc,
    output: () => log,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        proc.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        proc.kill('SIGTERM');
      }).finally(() => children.delete(child));
      return stopping;
    },
  };
  proc.once('error', (error) => {
    log += `\n[spawn error] ${error.message}\n`;
  });
  children.add(child);
  return child;
}

/** Stops every child still running (in parallel). */
export async function stopAllChildren(): Promise<void> {
  await Promise.allSettled([...children].map((child) => child.stop()));
}

/** Last resort, synchronous (for the 'exit' event): SIGKILL every child still running. */
export function killAllChildrenSync(): void {
  for (const child of children) {
    const proc = child.process;
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Polls `url` until it answers 200; fails early if `child` exits, or after `timeoutMs`. */
export async function waitForOk(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(
        `${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n${child.output()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs} ms (${last}):\n${child.output()}`);
}

/** Waits for `child` to print a line matching `pattern` on stdout (a "ready" line); fails if it exits first. */
export function waitForLine(child: Child, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => finish(new Error(`${child.name} printed no ready line within ${timeoutMs} ms:\n${child.output()}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = pattern.exec(seen);
      if (match) finish(null, match[0]);
    };
    const onExit = () =>
      finish(
        new Error(`${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n${child.output()}`),
      );
    const finish = (error: Error | null, line?: string) => {
      clearTimeout(timer);
      child.process.stdout!.off('data', onData);
      child.process.off('exit', onExit);
      if (error) reject(error);
      else resolve(line!);
    };
    child.process.stdout!.on('data', onData);
    child.process.once('exit', onExit);
  });
}

export { freePort } from '../dev/postgres.js';
