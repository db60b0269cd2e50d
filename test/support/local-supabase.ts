// A local Supabase database for one test file: GoTrue's auth schema, pg_net's and Vault's, the real
// install SQL with the intakes asked for, and role authmirror_intake able to log in.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { GoTrueWrites } from '../../dev/auth-server/gotrue-writes.js';
import { installAuthmirror, installSupabaseSchemas, intakeRoleUrl } from '../../dev/supabase-database.js';
import { createTestDatabase } from './database.js';

export interface LocalSupabase {
  /** The database as its superuser (GoTrue's and the operator's side). */
  url: string;
  auth: pg.Pool;
  /** SUPABASE_DB_URL: the same database as role authmirror_intake. */
  intakeUrl: string;
  gotrue: GoTrueWrites;
  /** Runs `work` in one transaction of the Supabase database, as GoTrue runs a flow. */
  inTransaction<T>(work: (tx: pg.PoolClient) => Promise<T>): Promise<T>;
  /** A new user created as GoTrue's admin create with email_confirm does it; returns the id. */
  createUser(prefix?: string): Promise<string>;
  /** Rows waiting in the outbox. */
  outbox(): Promise<number>;
  close(): Promise<void>;
}

export async function startLocalSupabase(intakes: Parameters<typeof installAuthmirror>[1] = {}): Promise<LocalSupabase> {
  const database = await createTestDatabase('template0');
  await installSupabaseSchemas(database.url);
  await installAuthmirror(database.url, intakes);
  const intakeUrl = await intakeRoleUrl(database.url);
  const auth = new pg.Pool({ connectionString: database.url });
  auth.on('error', () => undefined); // pg-pool's end() resolves before its connections close; the drop then ends them
  const gotrue = new GoTrueWrites();
  const inTransaction: LocalSupabase['inTransaction'] = async (work) => {
    const tx = await auth.connect();
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (error) {
      await tx.query('ROLLBACK');
      throw error;
    } finally {
      tx.release();
    }
  };
  return {
    url: database.url,
    auth,
    intakeUrl,
    gotrue,
    inTransaction,
    createUser: (prefix = 'user') =>
      inTransaction((tx) =>
        gotrue.adminCreateUser(tx, { email: `${prefix}-${randomBytes(5).toString('hex')}@example.com`, encryptedPassword: 'x' }),
      ),
    outbox: async () => (await auth.query<{ n: number }>('SELECT count(*)::int AS n FROM authmirror.user_changes')).rows[0].n,
    async close() {
      await auth.end();
      await database.drop();
    },
  };
}
