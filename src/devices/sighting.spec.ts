import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RecentSet } from './sighting.js';

describe('RecentSet', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(new Date('2026-11-30T12:00:00Z'));
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('holds a key for its window, then forgets it and drops it once newer keys arrive', () => {
    const recent = new RecentSet(60_000);
    recent.add('a');
    jest.setSystemTime(new Date('2026-11-30T12:00:59.999Z'));
    expect(recent.has('a')).toBe(true);
    recent.add('b');
    jest.setSystemTime(new Date('2026-11-30T12:01:00Z'));
    expect(recent.has('a')).toBe(false);
    expect(recent.has('b')).toBe(true);
    recent.add('c');
    expect(recent.size).toBe(2); // 'a' dropped
  });

  it('renews a key added again', () => {
    const recent = new RecentSet(60_000);
    recent.add('a');
    recent.add('b');
    jest.setSystemTime(new Date('2026-11-30T12:00:30Z'));
    recent.add('a');
    jest.setSystemTime(new Date('2026-11-30T12:01:10Z'));
    expect(recent.has('a')).toBe(true);
    recent.add('c');
    expect([recent.has('b'), recent.size]).toEqual([false, 2]);
  });

  it('forgets a deleted key at once', () => {
    const recent = new RecentSet(60_000);
    recent.add('a');
    recent.delete('a');
    expect([recent.has('a'), recent.size]).toEqual([false, 0]);
  });
});
