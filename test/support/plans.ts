import type pg from 'pg';

/** A node of `EXPLAIN (FORMAT JSON)`, with the fields the plan tests read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** The node and every node below it. */
export function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/**
 * VACUUM (ANALYZE) until the visibility map covers `tables`, as autovacuum leaves a settled database: a VACUUM cannot
 * mark a page all-visible while a snapshot older than its rows is open (an autovacuum ANALYZE that started during the
 * inserts), and the planner then costs index-only scans as visits to the table.
 */
export async function vacuumUntilAllVisible(client: pg.Client, tables: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await client.query(`VACUUM (ANALYZE) ${tables.join(', ')}`);
    const { rows } = await client.query(`SELECT relname FROM pg_class WHERE relname = ANY($1) AND relallvisible < relpages * 0.99`, [
      tables,
    ]);
    if (rows.length === 0) return;
    if (attempt === 60) throw new Error(`${rows.map((row) => row.relname).join(', ')} not all-visible after ${attempt} VACUUMs`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
