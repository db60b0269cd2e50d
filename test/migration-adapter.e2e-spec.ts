// The Prisma CLI's migration adapter (prisma/migration-adapter.ts) against a real Postgres.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ColumnTypeEnum, type SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { createMigrationAdapter } from '../prisma/migration-adapter.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

// A migration-like script: a plpgsql body full of `;`, then statements that use it.
const PLPGSQL_MIGRATION = `
CREATE TABLE "notes" ("id" SERIAL PRIMARY KEY, "body" TEXT NOT NULL, "updated_at" TIMESTAMPTZ);

CREATE FUNCTION "touch_updated_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  IF NEW.body = '' THEN
    RAISE EXCEPTION 'empty note; refused';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "notes_touch" BEFORE INSERT OR UPDATE ON "notes"
  FOR EACH ROW EXECUTE FUNCTION "touch_updated_at"();
`;

const query = (sql: string) => ({ sql, args: [], argTypes: [] });

describe('migration adapter', () => {
  let database: TestDatabase;
  let adapter: SqlDriverAdapter;

  beforeAll(async () => {
    database = await createTestDatabase();
    adapter = await createMigrationAdapter(database.url).connect();
  });

  afterAll(async () => {
    await adapter?.dispose();
    await database?.drop();
  });

  it('runs a script with a plpgsql function whole', async () => {
    await adapter.executeScript(PLPGSQL_MIGRATION);

    await adapter.executeScript(`INSERT INTO "notes" ("body") VALUES ('hello')`);
    const result = await adapter.queryRaw(query(`SELECT "updated_at" IS NOT NULL AS touched FROM "notes"`));
    expect(result.rows).toEqual([[true]]);
  });

  it('reports a failing script as a database error', async () => {
    const failure = adapter.executeScript(`INSERT INTO "notes" ("body") VALUES ('')`);

    await expect(failure).rejects.toMatchObject({
      name: 'DriverAdapterError',
      cause: { kind: 'postgres', code: 'P0001', message: 'empty note; refused' },
    });
  });

  it('reads name and "char" catalog columns as text', async () => {
    const result = await adapter.queryRaw(
      query(`SELECT c.relname, c.relkind, ARRAY[c.relname, n.nspname]::name[] AS names
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relname = 'notes'`),
    );

    expect(result.columnTypes).toEqual([ColumnTypeEnum.Text, ColumnTypeEnum.Text, ColumnTypeEnum.TextArray]);
    expect(result.rows).toEqual([['notes', 'r', ['notes', 'public']]]);
  });

  it('opens a shadow database of its own and drops it on dispose', async () => {
    const shadow = await createMigrationAdapter(database.url).connectToShadowDb();
    const [[name]] = (await shadow.queryRaw(query('SELECT current_database()'))).rows as [[string]];
    await shadow.executeScript('CREATE TABLE probe (id int)');

    await shadow.dispose();

    expect(name).toMatch(/^prisma_shadow_/);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await admin.end();
    expect(rowCount).toBe(0);
  });
});
