// What the mirror's writes send Postgres, checked against Postgres itself: the snapshot's
// timestamp check takes only what Postgres stores as the same instant (so no snapshot it passes
// can fail the upsert), and the binary parameters arrive as the values Postgres would have read
// from the same text (ids, text in any script, metadata, timestamps with offsets, long fractions
// and far years).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SNAPSHOT_PARAMS, snapshotInput, snapshotParams, uuidArray } from '../src/users/snapshot-params.js';
import { isTimestamp } from '../src/common/rfc3339.js';
import type { UserSnapshot } from '../src/users/user-snapshot.js';
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

const TIMESTAMPS = [
  '2026-02-01T00:00:01.123456Z',
  '2026-02-01T00:00:01.123456+00:00',
  '2026-02-01 00:00:01+00',
  '2026-02-01T00:00:01.5-0530',
  '2026-02-01T00:00:01+14',
  '2026-02-01T23:59:59.9999996Z', // rounds up into the next day
  '2026-02-01T00:00:00.1234565Z', // seven digits: Postgres' rounding decides
  '2026-02-01T00:00:00.0000005Z',
  '2026-02-01T00:00:00.000000999Z',
  '2024-02-29T12:00:00Z',
  '1999-12-31T23:59:59.999999Z',
  '2000-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '1969-07-20T20:17:40-15:59',
  '0001-01-01T00:00:00Z',
  '0001-01-01T00:00:00.000001+15:00',
  '2300-06-15T08:30:00.654321Z', // past 2^53 µs from 2000: the 64-bit path
  '9999-12-31T23:59:59.999999Z',
];

function snapshot(index: number, overrides: Partial<UserSnapshot> = {}): UserSnapshot {
  const at = TIMESTAMPS[index % TIMESTAMPS.length];
  return {
    id: randomUUID(),
    email: `user-${index}@example.com`,
    phone: index % 2 === 0 ? `+1415555${String(index).padStart(4, '0')}` : null,
    emailConfirmedAt: at,
    phoneConfirmedAt: index % 3 === 0 ? null : TIMESTAMPS[(index + 5) % TIMESTAMPS.length],
    lastSignInAt: TIMESTAMPS[(index + 7) % TIMESTAMPS.length],
    bannedUntil: null,
    role: index % 4 === 0 ? null : 'authenticated',
    isAnonymous: index % 5 === 0,
    appMetadata: { provider: 'email', providers: ['email', 'phone'], n: index },
    userMetadata: { name: `Ünïcødé 名前 ${index} 💥`, nested: { deeper: [1, 'two', null, { three: true }] }, quote: 'a"b\\c\n' },
    createdAt: TIMESTAMPS[(index + 3) % TIMESTAMPS.length],
    updatedAt: at,
    deletedAt: null,
    ...overrides,
  };
}

/** The snapshots as Postgres reads the binary parameters, beside the same values read from text. */
async function readBack(snapshots: UserSnapshot[]) {
  const { rows } = await client.query<{ matches: boolean; id: string; mismatched: string[] }>(
    `SELECT b.id::text AS id, (b.*) IS NOT DISTINCT FROM (t.*) AS matches,
       array_remove(ARRAY[
         CASE WHEN b.email IS DISTINCT FROM t.email THEN 'email' END,
         CASE WHEN b.phone IS DISTINCT FROM t.phone THEN 'phone' END,
         CASE WHEN b.email_confirmed_at IS DISTINCT FROM t.email_confirmed_at THEN 'email_confirmed_at' END,
         CASE WHEN b.phone_confirmed_at IS DISTINCT FROM t.phone_confirmed_at THEN 'phone_confirmed_at' END,
         CASE WHEN b.last_sign_in_at IS DISTINCT FROM t.last_sign_in_at THEN 'last_sign_in_at' END,
         CASE WHEN b.banned_until IS DISTINCT FROM t.banned_until THEN 'banned_until' END,
         CASE WHEN b.role IS DISTINCT FROM t.role THEN 'role' END,
         CASE WHEN b.is_anonymous IS DISTINCT FROM t.is_anonymous THEN 'is_anonymous' END,
         CASE WHEN b.app_metadata IS DISTINCT FROM t.app_metadata THEN 'app_metadata' END,
         CASE WHEN b.user_metadata IS DISTINCT FROM t.user_metadata THEN 'user_metadata' END,
         CASE WHEN b.created_at IS DISTINCT FROM t.created_at THEN 'created_at' END,
         CASE WHEN b.updated_at IS DISTINCT FROM t.updated_at THEN 'updated_at' END], NULL) AS mismatched
     FROM ${snapshotInput('b')}
     JOIN (SELECT (e->>0)::uuid AS id, e->>1 AS email, e->>2 AS phone, (e->>3)::timestamptz AS email_confirmed_at,
             (e->>4)::timestamptz AS phone_confirmed_at, (e->>5)::timestamptz AS last_sign_in_at,
             (e->>6)::timestamptz AS banned_until, e->>7 AS role, (e->>8)::boolean AS is_anonymous,
             e->9 AS app_metadata, e->10 AS user_metadata, (e->>11)::timestamptz AS created_at,
             (e->>12)::timestamptz AS updated_at
           FROM jsonb_array_elements($${SNAPSHOT_PARAMS + 1}::jsonb) AS e) AS t ON t.id = b.id`,
    [
      ...snapshotParams(snapshots),
      JSON.stringify(
        snapshots.map((s) => [
          s.id,
          s.email,
          s.phone,
          s.emailConfirmedAt,
          s.phoneConfirmedAt,
          s.lastSignInAt,
          s.bannedUntil,
          s.role,
          s.isAnonymous,
          s.appMetadata,
          s.userMetadata,
          s.createdAt,
          s.updatedAt,
        ]),
      ),
    ],
  );
  return rows;
}

describe('snapshotParams', () => {
  it('arrives in Postgres as the values it reads from the same text', async () => {
    for (const text of TIMESTAMPS) expect(isTimestamp(text)).toBe(true);
    const snapshots = Array.from({ length: 3 * TIMESTAMPS.length }, (_, index) => snapshot(index));
    const rows = await readBack(snapshots);
    expect(rows).toHaveLength(snapshots.length);
    expect(rows.filter((row) => !row.matches)).toEqual([]);
  });

  it('keeps every field of a snapshot of nulls and empty metadata', async () => {
    const bare = snapshot(1, {
      email: null,
      phone: null,
      emailConfirmedAt: null,
      phoneConfirmedAt: null,
      lastSignInAt: null,
      role: null,
      appMetadata: {},
      userMetadata: {},
      createdAt: null,
      updatedAt: null,
    });
    const rows = await readBack([bare]);
    expect(rows).toEqual([{ id: bare.id, matches: true, mismatched: [] }]);
  });

  it('sends a batch of one thousand in one statement', async () => {
    const snapshots = Array.from({ length: 1000 }, (_, index) => snapshot(index));
    const rows = await readBack(snapshots);
    expect(rows.filter((row) => row.matches)).toHaveLength(1000);
  });

  it('refuses an id that is not a UUID rather than send other bytes', () => {
    expect(() => uuidArray(['a1b2c3d4-0000-4000-8000-00000000000g'])).toThrow('not a UUID');
    expect(() => uuidArray(['a1b2c3d4x0000-4000-8000-000000000001'])).toThrow('not a UUID');
    expect(() => uuidArray(['a1b2c3d4-0000-4000-8000-0000000001'])).toThrow('not a UUID');
    expect(uuidArray(['A1B2C3D4-0000-4000-8000-000000000001']).subarray(24).toString('hex')).toBe('a1b2c3d4000040008000000000000001');
  });
});

/** Postgres' reading of `text` as timestamptz in milliseconds since the epoch, or null when it refuses it. */
async function postgresMillis(text: string): Promise<number | null> {
  try {
    const { rows } = await client.query<{ ms: string }>(
      `SELECT floor(extract(epoch FROM $1::text::timestamptz) * 1000)::bigint::text AS ms`,
      [text],
    );
    return Number(rows[0].ms);
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
      else if (!Number.isNaN(Date.parse(text)) && stored !== Date.parse(text))
        disagreements.push(`${text}: Postgres reads ${new Date(stored).toISOString()}`);
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
