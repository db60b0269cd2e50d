// The driver adapter the Prisma CLI uses for migrations (`engine: 'js'` in prisma.config.ts).
// It is @prisma/adapter-pg with four Prisma 6.19 bugs worked around; the app's runtime
// client uses a plain PrismaPg and needs none of this.
//
// 1. The wasm schema engine cannot read Postgres' internal `name` and `"char"` columns
//    (prisma/orm#27403): CatalogTextClient reports them, and `name[]`, as text.
// 2. PrismaPg's executeScript splits scripts on every `;`, which breaks plpgsql bodies:
//    scripts go to the server whole, as one simple-protocol query.
// 3. PrismaPg's connectToShadowDb loses the shadow database name when the config is a
//    connection string, and drops the database while its pool is still connected: the
//    shadow database gets its own URL, and is dropped WITH (FORCE) after its pool closed.
// 4. The CLI lingers after success on idle pool clients: pools allow exit on idle (the
//    CLI's long timers are unref'd by prisma.config.ts, see `unrefLongTimers`).
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

/** Internal types the schema engine reads as text: "char" and name → text, name[] → text[]. */
const CATALOG_TYPES_AS_TEXT = new Map<number, number>([
  [18, 25],
  [19, 25],
  [1003, 1009],
]);

type TypeSource = { getTypeParser(oid: number, format?: string): unknown };
type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };

/** A pg client that reports Postgres' internal `name` and `"char"` columns as text. */
export class CatalogTextClient extends pg.Client {
  // One signature for pg's many query() overloads; arguments are passed on unchanged
  // except for the type parsers, and results are relabelled on the way back.
  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/unbound-method -- pg's overloads, passed through */
  override query(...args: any[]): any {
    const query = super.query as (...queryArgs: unknown[]) => unknown;
    const [first] = args;
    if (first && typeof first === 'object' && typeof first.submit === 'function') return query.apply(this, args);
    const config = typeof first === 'string' ? { text: first } : { ...first };
    const types: TypeSource = config.types ?? { getTypeParser: (oid, format) => this.getTypeParser(oid, format as 'text') };
    config.types = {
      getTypeParser: (oid: number, format?: string) => types.getTypeParser(CATALOG_TYPES_AS_TEXT.get(oid) ?? oid, format),
    };
    const rest = args.slice(1);
    const callback = rest.at(-1);
    if (typeof callback === 'function') {
      rest[rest.length - 1] = (error: unknown, result: unknown) => callback(error, relabel(result));
      return query.call(this, config, ...rest);
    }
    return (query.call(this, config, ...rest) as Promise<unknown>).then(relabel);
  }
  /* eslint-enable */
}

function relabel(result: unknown): unknown {
  for (const part of Array.isArray(result) ? result : [result]) {
    for (const field of (part as QueryResultLike | undefined)?.fields ?? []) {
      field.dataTypeID = CATALOG_TYPES_AS_TEXT.get(field.dataTypeID) ?? field.dataTypeID;
    }
  }
  return result;
}

/** Error shape the Prisma CLI recognises as a database error (see driver-adapter-utils). */
class DriverAdapterError extends Error {
  override name = 'DriverAdapterError';
  constructor(override readonly cause: Record<string, unknown>) {
    super(String(cause.message));
  }
}

function asDriverAdapterError(error: unknown): unknown {
  const e = error as pg.DatabaseError;
  if (!(error instanceof Error) || typeof e.code !== 'string' || !e.severity) return error;
  const { code, severity, message, detail, column, hint } = e;
  return new DriverAdapterError({
    kind: 'postgres',
    code,
    severity,
    message,
    detail,
    column,
    hint,
    originalCode: code,
    originalMessage: message,
  });
}

function openPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, Client: CatalogTextClient, allowExitOnIdle: true });
  pool.on('error', () => undefined); // an idle client lost; the next query reports it
  return pool;
}

async function connectAdapter(connectionString: string, onClosed?: () => Promise<void>): Promise<SqlDriverAdapter> {
  const pool = openPool(connectionString);
  const schema = new URL(connectionString).searchParams.get('schema') ?? undefined;
  const base = await new PrismaPg(pool, { schema }).connect();
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    queryRaw: (query) => base.queryRaw(query),
    executeRaw: (query) => base.executeRaw(query),
    startTransaction: (isolationLevel) => base.startTransaction(isolationLevel),
    getConnectionInfo: () => base.getConnectionInfo(),
    async executeScript(script) {
      try {
        await pool.query(script); // no parameters: pg sends it with the simple protocol, whole
      } catch (error) {
        throw asDriverAdapterError(error);
      }
    },
    async dispose() {
      await base.dispose();
      await pool.end();
      await onClosed?.();
    },
  };
}

/** A database name unique to this run, within Postgres' 63-byte limit. */
function shadowDatabaseName(): string {
  return `prisma_shadow_${process.pid}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Creates the database of `connectionString` if it does not exist, as Prisma's native engine does. */
async function ensureDatabase(connectionString: string): Promise<void> {
  const probe = new pg.Client({ connectionString });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as pg.DatabaseError).code !== '3D000') return; // invalid_catalog_name; others surface later
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new pg.Client({ connectionString: withDatabase(connectionString, 'postgres') });
  try {
    await admin.connect();
    const name = decodeURIComponent(new URL(connectionString).pathname.slice(1));
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } catch (error) {
    if ((error as pg.DatabaseError).code !== '42P04') throw asDriverAdapterError(error); // created meanwhile
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export interface MigrationAdapterOptions {
  /** Create the target database when it is missing (migrate dev, deploy and reset do). */
  createDatabase?: boolean;
}

/** The migration adapter for `connectionString` (a postgres:// URL, `?schema=` honoured). */
export function createMigrationAdapter(
  connectionString: string,
  options: MigrationAdapterOptions = {},
): SqlMigrationAwareDriverAdapterFactory {
  if (!connectionString) throw new Error('DATABASE_URL is not set (see .env or the environment)');
  let ready: Promise<void> | undefined;
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    async connect() {
      if (options.createDatabase) await (ready ??= ensureDatabase(connectionString));
      return connectAdapter(connectionString);
    },
    async connectToShadowDb() {
      const name = shadowDatabaseName();
      const admin = openPool(connectionString);
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } catch (error) {
        await admin.end();
        throw asDriverAdapterError(error);
      }
      return connectAdapter(withDatabase(connectionString, name), async () => {
        try {
          await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      });
    },
  };
}

/**
 * Lets the CLI exit once its work is done: the wasm schema engine leaves long timers
 * behind. Call only in the Prisma CLI process (prisma.config.ts is loaded by nothing else).
 */
export function unrefLongTimers(thresholdMs = 5_000): void {
  const original = globalThis.setTimeout;
  const patched = ((handler: (...handlerArgs: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    const timer = original(handler, delay, ...args);
    if ((delay ?? 0) >= thresholdMs) timer.unref?.();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, original);
}
