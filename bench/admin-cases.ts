// What the `admin` section asks, request by request: every filter and sort of GET /admin/users and
// four shapes of GET /admin/stats, each request with values of its own (admin-seed.ts says which
// values exist). A case without a value to vary walks its pages instead: each request is the page
// after the last one (its cursor), so no two requests are the same query.
import { DOMAINS, phoneOf, PROVIDERS, SEED_DAYS } from './admin-seed.js';

export interface HttpCase {
  name: string;
  /** The path of the next request, given the answer to the one before (undefined at first). */
  next: (previous: unknown) => string;
  /** What is wrong with an answer (status 200 is checked by the caller), or null. */
  check?: (body: unknown) => string | null;
}

const DAY_MS = 86_400_000;
const random = (below: number) => Math.floor(Math.random() * below);
const iso = (ms: number) => new Date(ms).toISOString();

/** A page of `/admin/users`: `{ items, nextCursor }`. */
interface UsersPage {
  items?: unknown[];
  nextCursor?: string | null;
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Each request the page after the one before; back to the first page at the end. */
function walking(name: string, params: Record<string, string>): HttpCase {
  return {
    name,
    next: (previous) => {
      const cursor = (previous as UsersPage | undefined)?.nextCursor;
      return `/admin/users?${query(cursor ? { ...params, cursor } : params)}`;
    },
    check: (body) => ((body as UsersPage).items?.length ? null : `no users in the page of ${name}`),
  };
}

/** A random window of `days` days among the last `withinDays`. */
function window(days: number, withinDays: number): { after: string; before: string } {
  const before = Date.now() - random(withinDays - days) * DAY_MS - random(DAY_MS);
  return { after: iso(before - days * DAY_MS), before: iso(before) };
}

export function usersCases(users: number): HttpCase[] {
  const providerCursors = new Map<string, string | undefined>();
  let providerTurn = 0;
  let lastProvider: string | undefined;
  return [
    {
      name: 'email contains',
      next: () => `/admin/users?${query({ email: `user${1 + random(users)}` })}`,
      check: (body) => ((body as UsersPage).items?.length ? null : 'an email fragment of a seeded user found nobody'),
    },
    { name: 'emailDomain', next: () => `/admin/users?${query({ emailDomain: `d${random(DOMAINS)}.example` })}` },
    {
      // Any format: E.164 and the 00 international prefix, in turn.
      name: 'phone',
      next: () => {
        const phone = phoneOf(7 * (1 + random(Math.floor(users / 7))));
        return `/admin/users?${query({ phone: random(2) === 0 ? phone : phone.replace('+', '00') })}`;
      },
      check: (body) => ((body as UsersPage).items?.length === 1 ? null : 'a seeded phone did not find its one user'),
    },
    walking('onboarded=true', { onboarded: 'true' }),
    walking('onboarded=false', { onboarded: 'false' }),
    {
      // Each provider in turn, each one's pages walked.
      name: 'provider',
      next: (previous) => {
        if (lastProvider) providerCursors.set(lastProvider, (previous as UsersPage | undefined)?.nextCursor ?? undefined);
        const provider = PROVIDERS[providerTurn++ % PROVIDERS.length];
        lastProvider = provider;
        const cursor = providerCursors.get(provider);
        return `/admin/users?${query(cursor ? { provider, cursor } : { provider })}`;
      },
    },
    {
      name: 'createdAfter/Before (a day)',
      next: () => {
        const { after, before } = window(1, SEED_DAYS);
        return `/admin/users?${query({ createdAfter: after, createdBefore: before })}`;
      },
    },
    {
      name: 'lastSignInAfter/Before (a day)',
      next: () => {
        const { after, before } = window(1, 400);
        return `/admin/users?${query({ lastSignInAfter: after, lastSignInBefore: before })}`;
      },
    },
    walking('status=live', { status: 'live' }),
    walking('status=deleted', { status: 'deleted' }),
    walking('status=banned', { status: 'banned' }),
    ...['createdAt', '-createdAt', 'lastSignInAt', '-lastSignInAt', 'email', '-email'].map((sort) => walking(`sort=${sort}`, { sort })),
  ];
}

/** GET /admin/stats over `days` by `bucket`, ending at a random time of the seeded years. */
export function statsCase(days: number, bucket: 'day' | 'week'): HttpCase {
  return {
    name: `${days} days by ${bucket}`,
    next: () => {
      const { after, before } = window(days, SEED_DAYS);
      return `/admin/stats?${query({ from: after, to: before, bucket })}`;
    },
    check: (body) => {
      const signups = (body as { signups?: unknown[] }).signups;
      return Array.isArray(signups) && signups.length >= Math.floor(days / (bucket === 'day' ? 1 : 7)) ? null : 'not every bucket answered';
    },
  };
}

/** A range of `days` days by day, ending at a random time of the seeded years (each figure's own SQL). */
export function randomRange(days: number): { from: string; to: string; bucket: 'day' } {
  const { after, before } = window(days, SEED_DAYS);
  return { from: after, to: before, bucket: 'day' };
}
