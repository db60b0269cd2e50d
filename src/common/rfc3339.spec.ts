import { describe, expect, it } from '@jest/globals';
import { isTimestamp } from './rfc3339.js';

describe('isTimestamp', () => {
  it.each([
    '2026-01-02T10:00:00.654321Z',
    '2026-02-01T00:00:01.123456+00:00',
    '2026-02-01 00:00:01+00',
    '2026-02-01T00:00:01-0530',
    '2024-02-29T23:59:59Z',
    '0001-01-01T00:00:00Z',
    '2026-01-01T00:00:00.123456789Z', // Go's RFC3339Nano
  ])('takes %s', (text) => {
    expect(isTimestamp(text)).toBe(true);
  });

  it.each([
    '2026-02-29T00:00:00Z', // not a leap year
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T00:00:00+16:00',
    '2026-01-01T00:00:00', // no zone: read in the session's zone
    '2026-01-01',
    'March 7, 2026',
    'yesterday',
    `2026-01-01T00:00:00.${'1'.repeat(200)}Z`, // Postgres refuses so long a fraction: a failed statement, not a 400
  ])('refuses %s', (text) => {
    expect(isTimestamp(text)).toBe(false);
  });
});
