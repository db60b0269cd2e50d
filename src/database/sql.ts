import type pg from 'pg';

/**
 * Runs one SQL statement with positional parameters (`$1`, `$2`, …) and returns its rows. The
 * mirror's conditional upserts are long SQL that must run in every path (a request, a delivery's
 * transaction, a reconcile page), so repositories write them against this interface.
 */
export interface Sql {
  query<Row = Record<string, unknown>>(statement: Statement, values?: readonly unknown[]): Promise<Row[]>;
  /** Like query, and returns the number of rows affected. */
  execute(statement: Statement, values?: readonly unknown[]): Promise<number>;
}

/** SQL text, or a named statement that each connection prepares once and reuses. */
export type Statement = string | PreparedStatement;

export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * A statement on the hot path (sync, deliveries, GET /users/me): prepared once per connection and
 * run with a generic plan, so Postgres stops re-planning the mirror's long upserts on every call
 * (planning cost them more than running; measured by `npm run bench`).
 */
export function prepared(name: string, text: string): PreparedStatement {
  return { name, text };
}

/** `Sql` on a pool, or on one client the caller holds (a session's temp tables and locks). */
export function sqlOn(queryable: pg.Pool | pg.PoolClient): Sql {
  const run = (statement: Statement, values: readonly unknown[]) =>
    typeof statement === 'string'
      ? queryable.query(statement, values as unknown[])
      : queryable.query({ name: statement.name, text: statement.text, values: values as unknown[] });
  return {
    async query<Row>(statement: Statement, values: readonly unknown[] = []) {
      return (await run(statement, values)).rows as Row[];
    },
    async execute(statement: Statement, values: readonly unknown[] = []) {
      return (await run(statement, values)).rowCount ?? 0;
    },
  };
}
