import type pg from 'pg';

/** One SQL statement with positional parameters, on a pool, a transaction or a session alike: repositories write against it. */
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

/** A hot-path statement, prepared once per connection with a generic plan: planning the long upserts cost more than running them. */
export function prepared(name: string, text: string): PreparedStatement {
  return { name, text };
}

/** `Sql` on a pool, or on one client the caller holds (a session's temp tables and locks). */
export function sqlOn(queryable: pg.Pool | pg.PoolClient): Sql {
  const send = (statement: Statement, values: readonly unknown[]) =>
    typeof statement === 'string'
      ? queryable.query(statement, values as unknown[])
      : queryable.query({ name: statement.name, text: statement.text, values: values as unknown[] });
  // A client runs one query at a time: pg 8 queues the others itself but deprecates it (gone in pg 9), so they wait here.
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = (statement: Statement, values: readonly unknown[]) => {
    const result = tail.then(() => send(statement, values));
    tail = result.catch(() => undefined);
    return result;
  };
  const run = 'release' in queryable ? inTurn : send;
  return {
    async query<Row>(statement: Statement, values: readonly unknown[] = []) {
      return (await run(statement, values)).rows as Row[];
    },
    async execute(statement: Statement, values: readonly unknown[] = []) {
      return (await run(statement, values)).rowCount ?? 0;
    },
  };
}
