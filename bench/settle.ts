// Before a section (and before each reconcile pass and run): Postgres finishes what the work
// before it left behind (dirty buffers to write, an autovacuum of the tables it filled), so that
// no measurement is charged with another's after-effects. In the runs so far Postgres was already
// idle each time (about 270 ms here: the CHECKPOINT and one quiet 250 ms window); the step makes
// sure of it rather than assume it.
import pg from 'pg';
import { cpuSnapshot } from './cpu.js';

/** Waits for Postgres to be idle: after a CHECKPOINT, no autovacuum worker and under 20 ms of its CPU in 250 ms (15 s at most). */
export async function settlePostgres(databaseUrl: string, postgresPids: () => number[]): Promise<{ ms: number; settled: boolean }> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    for (;;) {
      const before = cpuSnapshot({ postgres: postgresPids }).postgres!;
      await new Promise((resolve) => setTimeout(resolve, 250));
      const used = cpuSnapshot({ postgres: postgresPids }).postgres! - before;
      const { rows } = await client.query<{ workers: number }>(
        `SELECT count(*)::int AS workers FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`,
      );
      const ms = Math.round(performance.now() - started);
      if (rows[0]!.workers === 0 && used <= 20) return { ms, settled: true };
      if (ms > 15_000) return { ms, settled: false };
    }
  } finally {
    await client.end();
  }
}
