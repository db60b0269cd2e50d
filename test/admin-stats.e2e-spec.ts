// GET /admin/stats: each figure checked to the unit on users, profiles and deletion records written
// straight into the mirror (two weeks of March 2025, and sign-ins relative to now), plus one real
// deletion through the API; day and ISO-week buckets with their zeros; bad ranges; non-admins.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let admin: { id: string; accessToken: string };
let userToken: string;
const seededIds: string[] = [];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface SeededUser {
  createdAt?: string | null;
  provider?: string;
  lastSignInAgoMs?: number;
  /** Seconds from created_at to onboarding; null: a profile, not onboarded; undefined: no profile. */
  onboardedAfter?: number | null;
  banned?: boolean;
  deleted?: boolean;
}

async function seedUser(user: SeededUser): Promise<string> {
  const id = randomUUID();
  seededIds.push(id);
  await stack.db.query(
    `INSERT INTO users (id, email, created_at, updated_at, last_sign_in_at, banned_until, deleted_at, app_metadata, synced_at)
     VALUES ($1, $2, $3, now(), now() - $4 * interval '1 millisecond', $5, $6, $7, now())`,
    [
      id,
      user.deleted ? null : `${id}@stats.example`,
      user.createdAt ?? null,
      user.lastSignInAgoMs ?? null,
      user.banned ? '2126-01-01T00:00:00Z' : null,
      user.deleted ? new Date().toISOString() : null,
      JSON.stringify(user.provider ? { provider: user.provider, providers: [user.provider] } : {}),
    ],
  );
  if (user.onboardedAfter !== undefined) {
    await stack.db.query(
      `INSERT INTO profiles (user_id, onboarding_completed, onboarded_at, updated_at)
       VALUES ($1, $2, $3::timestamptz + $4 * interval '1 second', now())`,
      [id, user.onboardedAfter !== null, user.createdAt, user.onboardedAfter],
    );
  }
  return id;
}

async function seedDeletion(at: string, type = 'user.deleted'): Promise<void> {
  await stack.db.query(`INSERT INTO audit_events (user_id, subject_id, type, details, created_at) VALUES (NULL, $1, $2, '{}', $3)`, [
    randomUUID(),
    type,
    at,
  ]);
}

beforeAll(async () => {
  stack = await startTestStack();
  admin = await stack.signedInAdmin();
  userToken = (await stack.signedInUser()).accessToken;
  // Saturday 1 March 2025 to Friday 14 March: the weeks start on Mondays 24 February, 3 and 10 March.
  await seedUser({ createdAt: '2025-03-01T10:00:00Z', provider: 'email', onboardedAfter: 3600 });
  await seedUser({ createdAt: '2025-03-01T23:59:59.999Z', provider: 'google', onboardedAfter: null });
  await seedUser({ createdAt: '2025-03-03T00:00:00Z', provider: 'google', onboardedAfter: 7200 });
  await seedUser({ createdAt: '2025-03-05T12:00:00Z', provider: 'github' });
  await seedUser({ createdAt: '2025-03-10T08:00:00Z', provider: 'email', banned: true });
  await seedUser({ createdAt: '2025-03-14T23:00:00Z', provider: 'email', onboardedAfter: 600 });
  // Just outside [from, to) on either side.
  await seedUser({ createdAt: '2025-02-28T23:59:59.999Z', provider: 'email', onboardedAfter: 1 });
  await seedUser({ createdAt: '2025-03-15T00:00:00Z', provider: 'phone', onboardedAfter: 1 });
  // Signed in lately (created long before); one without a provider.
  await seedUser({ createdAt: '2024-01-01T00:00:00Z', provider: 'github', lastSignInAgoMs: HOUR });
  await seedUser({ createdAt: '2024-01-01T00:00:00Z', provider: 'apple', lastSignInAgoMs: 2 * DAY });
  await seedUser({ createdAt: '2024-01-01T00:00:00Z', provider: 'apple', lastSignInAgoMs: 10 * DAY });
  await seedUser({ createdAt: '2024-01-01T00:00:00Z', provider: 'apple', lastSignInAgoMs: 40 * DAY });
  await seedUser({ createdAt: '2024-01-01T00:00:00Z' });
  // A deleted row is in no figure, even one that still held a signup, a sign-in and a provider.
  await seedUser({ createdAt: '2025-03-04T00:00:00Z', provider: 'email', lastSignInAgoMs: HOUR, deleted: true });
  for (const at of ['2025-03-02T05:00:00Z', '2025-03-02T06:00:00Z', '2025-03-09T23:59:59Z']) await seedDeletion(at);
  await seedDeletion('2025-02-28T23:00:00Z');
  await seedDeletion('2025-03-15T00:00:00Z');
  await seedDeletion('2025-03-04T00:00:00Z', 'user.updated');
});

afterAll(async () => {
  await stack?.close();
});

async function stats(params: Record<string, string>, token = admin.accessToken) {
  return stack.request('GET', `/admin/stats?${new URLSearchParams(params).toString()}`, { token });
}

const MARCH = { from: '2025-03-01T00:00:00Z', to: '2025-03-15T00:00:00Z' };
const day = (date: string, count: number) => ({ bucket: `${date}T00:00:00.000Z`, count });

/** The users the stack itself made (the admin, the other user): live, on email, signed in just now. */
async function stackUsers(): Promise<number> {
  const { rows } = await stack.db.query<{ provider: string | null; recent: boolean }>(
    `SELECT app_metadata ->> 'provider' AS provider, last_sign_in_at > now() - interval '1 hour' AS recent
     FROM users WHERE deleted_at IS NULL AND NOT (id = ANY($1::uuid[]))`,
    [seededIds],
  );
  expect(rows.every((row) => row.provider === 'email' && row.recent)).toBe(true);
  return rows.length;
}

describe('GET /admin/stats', () => {
  it('counts signups and deletions per UTC day, every day of the range listed, zeros included', async () => {
    const answer = await stats({ ...MARCH, bucket: 'day' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ from: '2025-03-01T00:00:00.000Z', to: '2025-03-15T00:00:00.000Z', bucket: 'day' });
    const counts = (days: Record<string, number>) =>
      Array.from({ length: 14 }, (_, i) => {
        const date = `2025-03-${String(i + 1).padStart(2, '0')}`;
        return day(date, days[date] ?? 0);
      });
    expect(answer.body.signups).toEqual(counts({ '2025-03-01': 2, '2025-03-03': 1, '2025-03-05': 1, '2025-03-10': 1, '2025-03-14': 1 }));
    expect(answer.body.deletions).toEqual(counts({ '2025-03-02': 2, '2025-03-09': 1 }));
  });

  it('counts per ISO week from Monday 00:00 UTC; the first and last buckets are cut by the range', async () => {
    const answer = await stats({ ...MARCH, bucket: 'week' });
    expect(answer.body.signups).toEqual([day('2025-02-24', 2), day('2025-03-03', 2), day('2025-03-10', 2)]);
    expect(answer.body.deletions).toEqual([day('2025-02-24', 2), day('2025-03-03', 1), day('2025-03-10', 0)]);
    // From noon on the 1st (given with another offset): the signup at 10:00 is out of its bucket.
    const later = await stats({ from: '2025-03-01T13:00:00+01:00', to: '2025-03-02T00:00:00Z' });
    expect(later.body.from).toBe('2025-03-01T12:00:00.000Z');
    expect(later.body.signups).toEqual([day('2025-03-01', 1)]);
  });

  it('gives the onboarding funnel of the users created in the range, with the median time to onboard', async () => {
    const answer = await stats(MARCH);
    // Six signed up (a banned one counts); four have a profile; three onboarded after 3,600, 7,200 and 600 s.
    expect(answer.body.onboarding).toEqual({ signedUp: 6, synced: 4, onboarded: 3, medianSecondsToOnboard: 3600 });
    const none = await stats({ from: '2025-03-05T00:00:00Z', to: '2025-03-06T00:00:00Z' });
    expect(none.body.onboarding).toEqual({ signedUp: 1, synced: 0, onboarded: 0, medianSecondsToOnboard: null });
  });

  it("keeps the funnel right when a user's created_at changes after the profile was made, or a wrong copy is written", async () => {
    const id = await seedUser({ createdAt: '2025-03-06T00:00:00Z', onboardedAfter: 60 });
    const range = { from: '2025-03-06T00:00:00Z', to: '2025-03-07T00:00:00Z' };
    expect((await stats(range)).body.onboarding).toEqual({ signedUp: 1, synced: 1, onboarded: 1, medianSecondsToOnboard: 60 });
    await stack.db.query(`UPDATE profiles SET user_created_at = '2020-01-01T00:00:00Z' WHERE user_id = $1`, [id]);
    expect((await stats(range)).body.onboarding.synced).toBe(1);
    await stack.db.query(`UPDATE users SET created_at = '2025-03-06T12:00:00Z' WHERE id = $1`, [id]);
    expect((await stats(range)).body.onboarding).toEqual({ signedUp: 1, synced: 1, onboarded: 1, medianSecondsToOnboard: 60 - 43_200 });
    await stack.db.query(`UPDATE users SET created_at = '2025-04-01T00:00:00Z' WHERE id = $1`, [id]);
    expect((await stats(range)).body.onboarding).toEqual({ signedUp: 0, synced: 0, onboarded: 0, medianSecondsToOnboard: null });
  });

  it('counts active users by their last sign-in, and users by provider, most first', async () => {
    const answer = await stats(MARCH);
    const own = await stackUsers();
    expect(answer.body.active).toEqual({ lastDay: 1 + own, last7Days: 2 + own, last30Days: 3 + own });
    expect(answer.body.providers).toEqual([
      { provider: 'email', count: 4 + own },
      { provider: 'apple', count: 3 },
      { provider: 'github', count: 2 },
      { provider: 'google', count: 2 },
      { provider: 'phone', count: 1 },
    ]);
  });

  it('defaults to the last 30 days by UTC day, and counts a deletion made through the API today', async () => {
    const account = await stack.signedInUser({ password: 'Correct-Horse-42' });
    expect((await stack.request('POST', '/auth/users/sync', { token: account.accessToken })).status).toBe(200);
    const gone = await stack.request('DELETE', '/users/me', { token: account.accessToken, body: { password: 'Correct-Horse-42' } });
    expect(gone.status).toBe(204);
    const before = Date.now();
    const answer = await stats({});
    expect(answer.status).toBe(200);
    expect(Date.parse(answer.body.to) - Date.parse(answer.body.from)).toBe(30 * DAY);
    expect(Date.parse(answer.body.to)).toBeGreaterThanOrEqual(before);
    const today = new Date().toISOString().slice(0, 10);
    expect(answer.body.deletions.at(-1)).toEqual(day(today, 1));
    expect(answer.body.deletions.slice(0, -1).every((bucket: { count: number }) => bucket.count === 0)).toBe(true);
    // The stack's own users signed up today; the deleted one is not among them.
    expect(answer.body.signups.at(-1)).toEqual(day(today, await stackUsers()));
    expect(answer.body.signups).toHaveLength(answer.body.deletions.length);
    // Their profiles were made by syncs (the admin's at least): the funnel, read from the profiles' copy of created_at,
    // agrees with a join of users and profiles.
    const { rows } = await stack.db.query<{ synced: number }>(
      `SELECT count(*)::int AS synced FROM users u JOIN profiles p ON p.user_id = u.id WHERE u.created_at >= $1 AND u.created_at < $2`,
      [answer.body.from, answer.body.to],
    );
    expect(rows[0].synced).toBeGreaterThanOrEqual(1);
    expect(answer.body.onboarding).toMatchObject({ signedUp: await stackUsers(), synced: rows[0].synced });
  });

  it("records each read with the admin's id and the range", async () => {
    await stats(MARCH);
    const { rows } = await stack.db.query(
      `SELECT details FROM audit_events WHERE type = 'admin.stats.viewed' AND user_id = $1 ORDER BY id DESC LIMIT 1`,
      [admin.id],
    );
    expect(rows[0]?.details).toEqual({ from: '2025-03-01T00:00:00.000Z', to: '2025-03-15T00:00:00.000Z', bucket: 'day' });
  });

  it('answers a bad range or bucket 400 validation_failed, never 500', async () => {
    const bad: Array<Record<string, string>> = [
      { from: 'yesterday' },
      { to: '2025-02-30T00:00:00Z' },
      { from: '2025-03-01T00:00:00' },
      { bucket: 'month' },
      { from: '2025-03-02T00:00:00Z', to: '2025-03-01T00:00:00Z' },
      { from: '2025-03-01T00:00:00Z', to: '2025-03-01T00:00:00Z' },
      { from: '2023-01-01T00:00:00Z', to: '2025-01-03T00:00:00Z', bucket: 'day' },
      { from: '2015-01-01T00:00:00Z', to: '2025-01-10T00:00:00Z', bucket: 'week' },
      { from: '1969-12-31T00:00:00Z', to: '1970-01-02T00:00:00Z' },
      { to: '0001-01-02T00:00:00Z' },
      { limit: '5' },
    ];
    for (const params of bad) {
      const answer = await stats(params);
      expect([answer.status, answer.body.code, JSON.stringify(params)]).toEqual([400, 'validation_failed', JSON.stringify(params)]);
    }
    const span = await stats({ from: '2023-01-01T00:00:00Z', to: '2025-01-03T00:00:00Z' });
    expect(span.body.details).toEqual([
      { field: 'from', problems: ['a range of day buckets spans at most 732 days: ask for bucket=week'] },
    ]);
    // Two years by day, and ten by week, are within bounds.
    expect((await stats({ from: '2023-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' })).status).toBe(200);
    const decade = await stats({ from: '2015-01-05T00:00:00Z', to: '2025-01-06T00:00:00Z', bucket: 'week' });
    expect([decade.status, decade.body.signups.length]).toEqual([200, 522]);
  });

  it('answers 403 forbidden to a signed-in user who is not an admin, and 401 without a token', async () => {
    const refused = await stats(MARCH, userToken);
    expect([refused.status, refused.body.code]).toEqual([403, 'forbidden']);
    expect((await stack.request('GET', '/admin/stats')).status).toBe(401);
  });
});
