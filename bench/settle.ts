// Before a section (and before each reconcile pass and run): Postgres finishes what the work
// before it left behind, so that no measurement is charged with another's after-effects. The
// databases just written are vacuumed and analyzed first: otherwise autovacuum gets to them at a
// time of its choosing, inside a later measurement (seen: `VACUUM ANALYZE users` of the first
// reconcile round's mirror, 100,000 fresh rows, running during the second round). Then a
// CHECKPOINT writes the dirty buffers, and the step waits for Postgres to be idle.
import pg from 'pg';
import { cpuSnapshot } from './cpu.js';

/**
 * Vacuums and analyzes the databases at `written`, then waits for Postgres to be idle: after a
 * CHECKPOINT, no autovacuum worker and under 20 ms of its CPU in 250 ms (15 s at most).
 */
export async function settlePostgres(
  databaseUrl: string,
  postgresPids: () => number[],
  written: readonly string[] = [],
): Promise<{ ms: number; settled: boolean }> {
  const started = performance.now();
  for (const url of written) {
    const writtenClient = new pg.Client({ connectionString: url });
    await writtenClient.connect();
    try {
      await writtenClient.query('VACUUM (ANALYZE)');
    } finally {
      await writtenClient.end();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    for (;;) {
      const before = cpuSnapshot({ postgres: postgresPids }).postgres;
      await new Promise((resolve) => setTimeout(resolve, 250));
      const used = cpuSnapshot({ postgres: postgresPids }).postgres - before;
      const { rows } = await client.query<{ workers: number }>(
        `SELECT count(*)::int AS workers FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`,
      );
      const ms = Math.round(performance.now() - started);
      if (rows[0].workers === 0 && used <= 20) return { ms, settled: true };
      if (ms > 15_000) return { ms, settled: false };
    }
  } finally {
    await client.end();
  }
}
