// The snapshot's timestamp check against Postgres itself: every text isTimestamp takes, Postgres
// stores as the same instant (so no snapshot it passes can fail the upsert), and the texts it
// refuses include the ones Date.parse takes but Postgres does not.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { isTimestamp } from '../src/users/user-snapshot.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

/** Postgres' reading of `text` as timestamptz in milliseconds since the epoch, or null when it refuses it. */
async function postgresMillis(text: string): Promise<number | null> {
  try {
    const { rows } = await client.query<{ ms: string }>(
      `SELECT floor(extract(epoch FROM $1::text::timestamptz) * 1000)::bigint::text AS ms`,
      [text],
    );
    return Number(rows[0]!.ms);
  } catch (error) {
    if (!['22007', '22008', '22009'].includes((error as pg.DatabaseError).code ?? '')) throw error;
    return null;
  }
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

describe('isTimestamp', () => {
  it('takes only what Postgres stores as the same instant', async () => {
    const texts: string[] = [];
    for (const year of [1, 1900, 2000, 2023, 2024, 2100, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (const day of [0, 1, 28, 29, 30, 31, 32]) {
          texts.push(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T12:00:00Z`);
        }
      }
    }
    for (const time of ['00:00:00', '23:59:59', '24:00:00', '23:60:00', '23:59:60', '12:00:00.5', '12:00:00.123456', '12:00:00.1234567']) {
      texts.push(`2026-03-04T${time}Z`, `2026-03-04 ${time}+00`);
    }
    for (const offset of ['+00:00', '-05:30', '+0530', '+14', '+15:59', '+16:00', '-12:60', '+5:00', 'z', ' UTC', '']) {
      texts.push(`2026-03-04T05:06:07.891234${offset}`);
    }
    texts.push('0000-01-01T00:00:00Z', '2026-3-4T05:06:07Z', '2026-03-04t05:06:07Z', 'March 7, 2026', '2026-03-04', 'epoch', 'infinity');

    const disagreements: string[] = [];
    let taken = 0;
    for (const text of texts) {
      if (!isTimestamp(text)) continue;
      taken++;
      const stored = await postgresMillis(text);
      if (stored === null) disagreements.push(`${text}: Postgres refuses it`);
      // Date.parse does not read every offset form (`+14`): where it does, the instants must agree.
      else if (!Number.isNaN(Date.parse(text)) && stored !== Date.parse(text)) disagreements.push(`${text}: Postgres reads ${new Date(stored).toISOString()}`);
    }
    expect(disagreements).toEqual([]);
    expect(taken).toBeGreaterThan(200);
    // Date.parse takes these; Postgres does not, and neither does the check.
    for (const text of ['2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z']) {
      expect(Number.isNaN(Date.parse(text))).toBe(false);
      expect(await postgresMillis(text)).toBeNull();
      expect(isTimestamp(text)).toBe(false);
    }
  });
});
