// Limits an attacker meets, counted in Postgres so that every instance shares them; clients are
// told apart by X-Forwarded-For (TRUST_PROXY=true here), as behind a load balancer.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let second: { url: string };
const password = 'Correct-Horse-42';

beforeAll(async () => {
  stack = await startTestStack({
    env: {
      TRUST_PROXY: 'true',
      RATE_LIMIT_AUTH_PER_IP: '40',
      RATE_LIMIT_AUTH_PER_ACCOUNT: '5',
      RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT: '10',
      RATE_LIMIT_LOOKUP_PER_USER: '30',
      RATE_LIMIT_LOOKUP_PER_IP: '40',
      SIGNUP_EMAIL_CONFIRMATION: 'false',
    },
  });
  second = await stack.secondInstance();
});

afterAll(async () => {
  await stack?.close();
});

let addresses = 0;
/** A client address of its own (documentation range 198.18.0.0/15). */
function newClient(): string {
  addresses++;
  return `198.18.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`;
}

function from(ip: string) {
  return { 'x-forwarded-for': ip };
}

async function account(client = newClient()) {
  const email = `limits-${randomUUID()}@example.com`;
  const signup = await stack.request('POST', '/auth/signup', { body: { email, password }, headers: from(client) });
  expect(signup.status).toBe(201);
  return { id: signup.body.user.id as string, email, token: signup.body.session.accessToken as string };
}

describe('failed sign-ins are counted per account and client', () => {
  it("a stranger failing 10 times on someone else's email does not lock its owner out", async () => {
    const owner = await account();
    const attacker = newClient();
    const attempts = [];
    for (let i = 0; i < 10; i++) {
      attempts.push(
        (await stack.request('POST', '/auth/login', { body: { email: owner.email, password: 'Wrong-Horse-1' }, headers: from(attacker) }))
          .status,
      );
    }
    expect(attempts).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);

    const ownerLogin = await stack.request('POST', '/auth/login', { body: { email: owner.email, password }, headers: from(newClient()) });
    expect(ownerLogin.status).toBe(200);
  });

  it('correct passwords do not count: a client signs in 8 times in a row on a limit of 5 failures', async () => {
    const owner = await account();
    const client = newClient();
    const statuses = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await stack.request('POST', '/auth/login', { body: { email: owner.email, password }, headers: from(client) })).status);
    expect(statuses).toEqual(Array(8).fill(200));
  });

  it('a burst of 100 wrong passwords at once from one client gets at most 5 through to Supabase, on two instances', async () => {
    const owner = await account();
    const client = newClient();
    const before = stack.auth.stats.count('POST', '/auth/v1/token');
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        stack.request('POST', '/auth/login', {
          body: { email: owner.email, password: `Wrong-${i}` },
          headers: from(client),
          via: i % 2 ? second.url : undefined,
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(95);
    expect(stack.auth.stats.count('POST', '/auth/v1/token') - before).toBe(5);
    const limited = answers.find((answer) => answer.status === 429)!;
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('guessing one password from many addresses', () => {
  it('once the account failed too often this hour, a failing address is held back and a new one gets one try; the owner still signs in', async () => {
    const owner = await account();
    const wrong = (client: string) =>
      stack.request('POST', '/auth/login', { body: { email: owner.email, password: 'Wrong-Horse-2' }, headers: from(client) });
    const first = newClient();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await wrong(first)).status);
    for (let i = 0; i < 5; i++) statuses.push((await wrong(newClient())).status);
    expect(statuses).toEqual(Array(10).fill(401)); // 10 failures: the account's hourly budget is spent

    expect((await wrong(first)).status).toBe(429);
    const late = newClient();
    expect((await wrong(late)).status).toBe(401);
    const heldBack = await wrong(late);
    expect(heldBack.status).toBe(429);
    expect(Number(heldBack.headers.get('retry-after'))).toBeGreaterThan(60);

    const ownerLogin = await stack.request('POST', '/auth/login', { body: { email: owner.email, password }, headers: from(newClient()) });
    expect(ownerLogin.status).toBe(200);
  });

  it('counts the addresses of one IPv6 /64 as one', async () => {
    const owner = await account();
    const statuses = [];
    for (let i = 1; i <= 7; i++) {
      const answer = await stack.request('POST', '/auth/login', {
        body: { email: owner.email, password: 'Wrong-Horse-3' },
        headers: from(`2001:db8:77:1::${i.toString(16)}`),
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('a refused caller adds no rows: new emails and tokens from an address past its limit are not counted', async () => {
    const client = newClient();
    for (let i = 0; i < 40; i++)
      await stack.request('POST', '/auth/refresh', { body: { refreshToken: `token${i}-${randomUUID()}` }, headers: from(client) });
    const before = (await stack.db.query('SELECT count(*)::int AS n FROM rate_limits')).rows[0].n;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2
          ? stack.request('POST', '/auth/login', { body: { email: `new-${randomUUID()}@example.com`, password }, headers: from(client) })
          : stack.request('POST', '/auth/refresh', { body: { refreshToken: `fresh${i}-${randomUUID()}` }, headers: from(client) }),
      ),
    );
    expect(answers.every((answer) => answer.status === 429)).toBe(true);
    expect((await stack.db.query('SELECT count(*)::int AS n FROM rate_limits')).rows[0].n).toBe(before);
  });
});

describe('DELETE /users/me is no password oracle', () => {
  it('refuses after 5 wrong passwords of one user, whatever the address, and the limit is shared by two instances', async () => {
    const owner = await account();
    const statuses = [];
    for (let i = 0; i < 8; i++) {
      const answer = await stack.request('DELETE', '/users/me', {
        token: owner.token,
        body: { password: `Wrong-${i}` },
        headers: from(newClient()),
        via: i % 2 ? second.url : undefined,
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect((await stack.request('GET', '/users/me', { token: owner.token })).status).toBe(200);
  });

  it('refuses a burst of 100 wrong passwords after 5, and lets the owner delete with the right one later', async () => {
    const owner = await account();
    const client = newClient();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        stack.request('DELETE', '/users/me', { token: owner.token, body: { password: `Wrong-${i}` }, headers: from(client) }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(5);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(95);
  });

  it('limits one address across users', async () => {
    const client = newClient();
    const owners = await Promise.all(Array.from({ length: 9 }, () => account()));
    const statuses = [];
    for (const owner of owners) {
      for (let i = 0; i < 5; i++) {
        statuses.push(
          (await stack.request('DELETE', '/users/me', { token: owner.token, body: { password: `Wrong-${i}` }, headers: from(client) }))
            .status,
        );
      }
    }
    // 40 calls a minute from one address: the 41st on is refused, whichever user makes it.
    expect(statuses.slice(0, 40).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(40)).toEqual([429, 429, 429, 429, 429]);
  });
});

describe('GET /users/lookup is no enumeration tool', () => {
  it('refuses anonymous users, even ones never synced', async () => {
    const anonymous = stack.auth.signAccessToken({ is_anonymous: true, email: '' });
    const answer = await stack.request('GET', `/users/lookup?phone=${encodeURIComponent('+447700900123')}`, { token: anonymous });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('anonymous_user');
  });

  it('gives 10 accounts from one address 40 lookups a minute between them, on two instances', async () => {
    const client = newClient();
    const users = await Promise.all(Array.from({ length: 10 }, () => account()));
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const [i, user] of users.entries()) {
        const number = `+4477009${String(round * 10 + i).padStart(5, '0')}`;
        const answer = await stack.request('GET', `/users/lookup?phone=${encodeURIComponent(number)}`, {
          token: user.token,
          headers: from(client),
          via: i % 2 ? second.url : undefined,
        });
        statuses.push(answer.status);
      }
    }
    expect(statuses.filter((status) => status === 404)).toHaveLength(40);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);
  });

  it('gives one user 30 lookups a minute, whatever their addresses', async () => {
    const user = await account();
    const statuses = [];
    for (let i = 0; i < 33; i++) {
      const answer = await stack.request('GET', `/users/lookup?phone=${encodeURIComponent(`+4477008${String(i).padStart(5, '0')}`)}`, {
        token: user.token,
        headers: from(newClient()),
      });
      statuses.push(answer.status);
    }
    expect(statuses.slice(0, 30).every((status) => status === 404)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429, 429]);
  });
});
