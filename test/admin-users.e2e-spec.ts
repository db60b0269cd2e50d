// GET /admin/users: admins only; every filter, each sort, and keyset pages that stay right while
// users are created and deleted between them, on users written straight into the mirror.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let adminToken: string;
let userToken: string;
/** A domain of this run's own: every query below filters on it, so other users of the database never count. */
const domain = `seed-${randomUUID().slice(0, 8)}.example`;

interface Seeded {
  id: string;
  email: string | null;
  phone: string | null;
  createdAt: string;
  lastSignInAt: string | null;
  providers: string[];
  onboarded: boolean;
  banned: boolean;
  deleted: boolean;
}
const seeded: Seeded[] = [];

async function seed(count: number, at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString()): Promise<Seeded[]> {
  const made: Seeded[] = [];
  for (let i = 0; i < count; i++) {
    const n = seeded.length + made.length;
    const row: Seeded = {
      id: randomUUID(),
      email: n % 10 === 9 ? null : `${n % 3 === 0 ? 'Ada' : 'bob'}.${n}@${n % 4 === 0 ? `eu.${domain}` : domain}`.toLowerCase(),
      phone: n % 5 === 0 ? `+4915123${String(100000 + n).slice(-6)}` : null,
      // Every third user shares its created_at with the next: ties are ordered by id.
      createdAt: at(n - (n % 3 === 1 ? 1 : 0)),
      lastSignInAt: n % 4 === 1 ? null : at(n + 100),
      providers: n % 2 === 0 ? ['email'] : ['email', 'google'],
      onboarded: n % 3 === 2,
      banned: n % 11 === 3,
      deleted: false,
    };
    made.push(row);
  }
  for (const row of made) {
    await stack.db.query(
      `INSERT INTO users (id, email, phone, created_at, updated_at, last_sign_in_at, banned_until, app_metadata, user_metadata, synced_at)
       VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, now())`,
      [
        row.id,
        row.email,
        row.phone,
        row.createdAt,
        row.lastSignInAt,
        row.banned ? '2126-01-01T00:00:00Z' : null,
        JSON.stringify({ provider: row.providers[0], providers: row.providers }),
        JSON.stringify({ seed: domain }),
      ],
    );
    await stack.db.query(`INSERT INTO profiles (user_id, onboarding_completed) VALUES ($1, $2)`, [row.id, row.onboarded]);
  }
  seeded.push(...made);
  return made;
}

beforeAll(async () => {
  stack = await startTestStack();
  adminToken = (await stack.signedInAdmin()).accessToken;
  userToken = (await stack.signedInUser()).accessToken;
  await seed(60);
});

afterAll(async () => {
  await stack?.close();
});

async function query(params: Record<string, string>, token = adminToken) {
  return stack.request('GET', `/admin/users?${new URLSearchParams(params).toString()}`, { token });
}

/** Every page of a query, by its cursors. */
async function allPages(params: Record<string, string>): Promise<Array<{ user: { id: string } }>> {
  const items = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const answer = await query({ ...params, ...(cursor ? { cursor } : {}) });
    expect(answer.status).toBe(200);
    items.push(...answer.body.items);
    cursor = answer.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('more than 100 pages');
}

const ours = (rows: Seeded[]) => rows.filter((row) => row.email?.endsWith(domain) && !row.deleted);
const ids = (items: Array<{ user: { id: string } }>) => items.map((item) => item.user.id);

describe('GET /admin/users', () => {
  it('answers 403 forbidden to a signed-in user who is not an admin, and 401 without a token', async () => {
    const refused = await query({}, userToken);
    expect([refused.status, refused.body.code]).toEqual([403, 'forbidden']);
    expect((await stack.request('GET', '/admin/users')).status).toBe(401);
  });

  it('filters by email, domain, phone in any format, onboarding, provider, dates and status', async () => {
    const expectIds = async (params: Record<string, string>, want: Seeded[]) =>
      expect(ids(await allPages({ emailDomain: domain, ...params })).sort()).toEqual(want.map((row) => row.id).sort());
    const live = ours(seeded).filter((row) => !row.email!.includes(`@eu.${domain}`));
    await expectIds(
      {},
      live.filter((row) => !row.deleted),
    );
    expect(
      ids(await allPages({ email: `ADA.` }))
        .filter((id) => seeded.some((row) => row.id === id))
        .sort(),
    ).toEqual(
      ours(seeded)
        .filter((row) => row.email!.startsWith('ada.'))
        .map((row) => row.id)
        .sort(),
    );
    await expectIds(
      { onboarded: 'true' },
      live.filter((row) => row.onboarded),
    );
    await expectIds(
      { onboarded: 'false' },
      live.filter((row) => !row.onboarded),
    );
    await expectIds(
      { provider: 'google' },
      live.filter((row) => row.providers.includes('google')),
    );
    await expectIds(
      { createdAfter: '2026-01-02T00:00:00Z', createdBefore: '2026-01-02T12:00:00Z' },
      live.filter((row) => row.createdAt >= '2026-01-02T00:00:00' && row.createdAt < '2026-01-02T12:00:00'),
    );
    await expectIds(
      { lastSignInBefore: '2026-01-06T00:00:00Z' },
      live.filter((row) => row.lastSignInAt !== null && row.lastSignInAt < '2026-01-06T00:00:00'),
    );
    await expectIds(
      { status: 'banned' },
      live.filter((row) => row.banned),
    );
    await expectIds(
      { status: 'live' },
      live.filter((row) => !row.banned),
    );
    const withPhone = seeded.find((row) => row.phone && row.email?.endsWith(`@${domain}`))!;
    const spelled = `0049 ${withPhone.phone!.slice(3, 6)} ${withPhone.phone!.slice(6)}`;
    expect(ids(await allPages({ phone: spelled }))).toEqual([withPhone.id]);
  });

  it.each(['createdAt', '-createdAt', 'lastSignInAt', '-lastSignInAt', 'email', '-email'])(
    'pages through sort %s in order, each user once',
    async (sort) => {
      const all = await allPages({ emailDomain: domain, sort, limit: '7' });
      const key = (row: Seeded) =>
        sort.includes('createdAt') ? row.createdAt : sort.includes('lastSignIn') ? (row.lastSignInAt ?? '') : (row.email ?? '');
      const want = ours(seeded)
        .filter((row) => !row.email!.includes(`@eu.${domain}`))
        .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : 1));
      if (sort.startsWith('-')) want.reverse();
      expect(ids(all)).toEqual(want.map((row) => row.id));
    },
  );

  it('keeps pages right while users are created and deleted between them', async () => {
    const params = { emailDomain: domain, sort: 'createdAt', limit: '10' };
    const first = await query(params);
    const seen = ids(first.body.items);
    // Between the pages: a user deleted from the next page, one created before the cursor, one after it.
    const rest = ours(seeded)
      .filter((row) => !row.email!.includes(`@eu.${domain}`) && !seen.includes(row.id))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
    const gone = rest[2];
    await stack.db.query(`UPDATE users SET deleted_at = now(), email = NULL WHERE id = $1`, [gone.id]);
    gone.deleted = true;
    const [before] = await seed(1, () => '2025-12-01T00:00:00.000Z');
    const [after] = await seed(1, () => '2026-06-01T00:00:00.000Z');
    const more = [];
    let cursor: string | null = first.body.nextCursor;
    while (cursor) {
      const answer = await query({ ...params, cursor });
      more.push(...ids(answer.body.items));
      cursor = answer.body.nextCursor;
    }
    expect(new Set([...seen, ...more]).size).toBe(seen.length + more.length);
    expect(more).not.toContain(gone.id);
    expect(more).not.toContain(before.id);
    expect(more.at(-1)).toBe(after.id);
    expect(more.filter((id) => id !== after.id)).toEqual(rest.filter((row) => row !== gone).map((row) => row.id));
  });

  it('answers bad input 400 validation_failed, never 500', async () => {
    const otherSort = (await query({ emailDomain: domain, sort: 'email', limit: '2' })).body.nextCursor as string;
    const forged = Buffer.from(JSON.stringify(['createdAt', 'not a time', randomUUID()])).toString('base64url');
    const bad: Array<Record<string, string>> = [
      { limit: '500' },
      { limit: '0' },
      { sort: 'name' },
      { status: 'gone' },
      { onboarded: 'yes' },
      { createdAfter: 'yesterday' },
      { phone: 'call me' },
      { cursor: 'garbage' },
      { cursor: otherSort },
      { cursor: forged, sort: 'createdAt' },
      { email: 'a\u0000b' },
    ];
    for (const params of bad) {
      const answer = await query(params);
      expect([answer.status, answer.body.code, JSON.stringify(params)]).toEqual([400, 'validation_failed', JSON.stringify(params)]);
    }
  });
});

describe('GET /admin/users.csv', () => {
  async function csv(
    params: Record<string, string>,
    token = adminToken,
  ): Promise<{ status: number; type: string | null; lines: string[] }> {
    const answer = await fetch(`${stack.url}/admin/users.csv?${new URLSearchParams(params).toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await answer.text();
    return { status: answer.status, type: answer.headers.get('content-type'), lines: text.split('\r\n').filter(Boolean) };
  }

  it('answers the same users in the same order as the JSON pages, one line each after a header', async () => {
    const params = { emailDomain: domain, sort: 'email' };
    const exported = await csv(params);
    expect(exported.status).toBe(200);
    expect(exported.type).toMatch(/^text\/csv/);
    expect(exported.lines[0].startsWith('id,email,phone,created_at')).toBe(true);
    expect(exported.lines.slice(1).map((line) => line.split(',')[0])).toEqual(ids(await allPages({ ...params, limit: '200' })));
    expect((await csv(params, userToken)).status).toBe(403);
  });

  it('quotes commas and quotes, and defuses text a spreadsheet would run as a formula', async () => {
    const [row] = await seed(1);
    await stack.db.query(`UPDATE profiles SET display_name = $2, first_name = $3 WHERE user_id = $1`, [
      row.id,
      '=HYPERLINK("x")',
      'Ada, "the first"',
    ]);
    const line = (await csv({ email: row.email! })).lines[1];
    expect(line).toContain(`"'=HYPERLINK(""x"")","Ada, ""the first"""`);
  });
});
