import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { parseAccessEvent } from './access-events.js';
import { AccessRegistry } from './access-registry.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-30T12:00:00.000Z');

function caller(id: string, sessionId: string | null, issuedAtMs: number): AuthenticatedUser {
  return {
    id,
    sessionId,
    claims: { sub: id, aud: 'authenticated', role: 'authenticated', exp: issuedAtMs / 1000 + 3600, iat: Math.floor(issuedAtMs / 1000) },
  };
}

function clock(start: number): { now: () => number; set(ms: number): void } {
  let ms = start;
  return { now: () => ms, set: (to) => (ms = to) };
}

/** Heap in use after a full collection (gc exposed for this process through V8's flags). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('AccessRegistry', () => {
  it('refuses a revoked session, and only that one, until the token lifetime after Supabase ended it; however long that takes', () => {
    const time = clock(T0);
    const registry = new AccessRegistry(HOUR, time.now);
    const [user, revoked, other] = [randomUUID(), randomUUID(), randomUUID()];
    registry.apply({ kind: 'session', session: revoked, endedAt: null });
    expect(registry.refusal(caller(user, revoked, T0 - 1000))).toBe('session_revoked');
    expect(registry.refusal(caller(user, other, T0 - 1000))).toBeNull();
    // Supabase could still refresh it: a day later it is still refused.
    time.set(T0 + 24 * HOUR);
    expect(registry.sweep()).toBe(0);
    expect(registry.refusal(caller(user, revoked, T0 + 24 * HOUR))).toBe('session_revoked');
    registry.apply({ kind: 'session', session: revoked, endedAt: new Date(T0 + 24 * HOUR).toISOString() });
    time.set(T0 + 25 * HOUR + 1);
    expect(registry.sweep()).toBe(1);
    expect(registry.refusal(caller(user, revoked, T0))).toBeNull();
  });

  it('refuses other sessions issued before a logout of others, keeps the kept one and later sign-ins', () => {
    const time = clock(T0 + 500);
    const registry = new AccessRegistry(HOUR, time.now);
    const [user, kept, other] = [randomUUID(), randomUUID(), randomUUID()];
    registry.apply({
      kind: 'cutoff',
      user,
      sessionsRevokedBefore: new Date(T0 + 500).toISOString(),
      keptSession: kept,
      tokensStaleBefore: null,
    });
    expect(registry.refusal(caller(user, other, T0 - 1000))).toBe('session_revoked');
    expect(registry.refusal(caller(user, kept, T0 - 1000))).toBeNull();
    // Issued in the cutoff's own second: `iat` cannot tell before from after, so it passes.
    expect(registry.refusal(caller(user, other, T0 + 900))).toBeNull();
    expect(registry.refusal(caller(user, randomUUID(), T0 + 2000))).toBeNull();
  });

  it('refuses a session that began before the logout even when its token was refreshed after it (amr)', () => {
    const registry = new AccessRegistry(HOUR, () => T0 + 60_000);
    const [user, other] = [randomUUID(), randomUUID()];
    registry.apply({ kind: 'cutoff', user, sessionsRevokedBefore: new Date(T0).toISOString(), keptSession: null, tokensStaleBefore: null });
    const refreshed = caller(user, other, T0 + 30_000);
    refreshed.claims.amr = [{ method: 'password', timestamp: (T0 - 600_000) / 1000 }];
    expect(registry.refusal(refreshed)).toBe('session_revoked');
    refreshed.claims.amr = [{ method: 'otp', timestamp: (T0 + 20_000) / 1000 }];
    expect(registry.refusal(refreshed)).toBeNull();
  });

  it('answers token_stale for tokens issued before a forced refresh; an older cutoff arriving late changes nothing', () => {
    const registry = new AccessRegistry(HOUR, () => T0 + 10_000);
    const user = randomUUID();
    registry.apply({
      kind: 'cutoff',
      user,
      sessionsRevokedBefore: null,
      keptSession: null,
      tokensStaleBefore: new Date(T0 + 5000).toISOString(),
    });
    registry.apply({ kind: 'cutoff', user, sessionsRevokedBefore: null, keptSession: null, tokensStaleBefore: new Date(T0).toISOString() });
    expect(registry.refusal(caller(user, randomUUID(), T0 + 3000))).toBe('token_stale');
    expect(registry.refusal(caller(user, randomUUID(), T0 + 6000))).toBeNull();
  });

  it('refuses a banned user until the ban ends or is lifted; a snapshot replaces the bans it no longer has', () => {
    const time = clock(T0);
    const registry = new AccessRegistry(HOUR, time.now);
    const [user, other] = [randomUUID(), randomUUID()];
    registry.apply({ kind: 'ban', user, until: new Date(T0 + 60_000).toISOString() });
    registry.apply({ kind: 'ban', user: other, until: '2126-01-01T00:00:00+00:00' });
    expect(registry.refusal(caller(user, null, T0))).toBe('user_banned');
    time.set(T0 + 60_001);
    expect(registry.refusal(caller(user, null, T0))).toBeNull();
    registry.load({ deleted: [], bans: [], sessions: [], cutoffs: [] });
    expect(registry.refusal(caller(other, null, T0))).toBeNull();
    registry.apply({ kind: 'ban', user: other, until: '2126-01-01T00:00:00+00:00' });
    registry.apply({ kind: 'ban', user: other, until: null });
    expect(registry.refusal(caller(other, null, T0))).toBeNull();
  });

  it('holds 100,000 revoked sessions in bounded memory and drops them all once their tokens have expired', () => {
    const time = clock(T0);
    const registry = new AccessRegistry(HOUR, time.now);
    const before = heapAfterGc();
    // As they arrive: parsed from notification payloads.
    for (let i = 0; i < 100_000; i++) {
      const payload = JSON.stringify({ kind: 'session', session: randomUUID(), endedAt: new Date(T0 + i).toISOString() });
      registry.apply(parseAccessEvent(payload)!);
    }
    const held = heapAfterGc() - before;
    expect(registry.sizes.revokedSessions).toBe(100_000);
    // A 36-character id and a number in a Map: about 110 bytes an entry, 11 MB in all.
    expect(held).toBeLessThan(30 * 1024 * 1024);
    time.set(T0 + HOUR + 100_000);
    expect(registry.sweep()).toBe(100_000);
    expect(registry.sizes.revokedSessions).toBe(0);
    expect(heapAfterGc() - before).toBeLessThan(held / 4);
  });
});
