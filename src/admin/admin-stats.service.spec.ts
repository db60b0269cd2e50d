import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../common/errors.js';
import { statsRangeOf } from './admin-stats.service.js';

const NOW = Date.parse('2026-11-30T15:04:05.678Z');

function problemsOf(query: Parameters<typeof statsRangeOf>[0]): unknown {
  try {
    statsRangeOf(query, NOW);
  } catch (error) {
    return error instanceof ApiError ? [error.code, error.details] : error;
  }
  return 'no error';
}

describe('statsRangeOf', () => {
  it('defaults to the 30 days before now, by day', () => {
    expect(statsRangeOf({}, NOW)).toEqual({ from: '2026-10-31T15:04:05.678Z', to: '2026-11-30T15:04:05.678Z', bucket: 'day' });
    expect(statsRangeOf({ to: '2026-02-01T00:00:00Z', bucket: 'week' }, NOW)).toEqual({
      from: '2026-01-02T00:00:00.000Z',
      to: '2026-02-01T00:00:00.000Z',
      bucket: 'week',
    });
  });

  it('reads any offset as UTC, to the millisecond', () => {
    expect(statsRangeOf({ from: '2026-03-01 01:30:00.1239+01:30', to: '2026-03-02T00:00:00-05' }, NOW)).toMatchObject({
      from: '2026-03-01T00:00:00.123Z',
      to: '2026-03-02T05:00:00.000Z',
    });
  });

  it('refuses an empty or backward range, one before 1970, and one too long for its buckets', () => {
    const at = '2026-01-01T00:00:00Z';
    expect(problemsOf({ from: at, to: at })).toEqual(['validation_failed', [{ field: 'to', problems: ['to must be later than from'] }]]);
    expect(problemsOf({ from: '2026-01-02T00:00:00Z', to: at })).toEqual([
      'validation_failed',
      [{ field: 'to', problems: ['to must be later than from'] }],
    ]);
    expect(problemsOf({ from: '2027-01-01T00:00:00Z' })).toEqual([
      'validation_failed',
      [{ field: 'to', problems: ['to (now, when not given) must be later than from'] }],
    ]);
    expect(problemsOf({ to: '1970-01-05T00:00:00Z' })).toEqual([
      'validation_failed',
      [{ field: 'from', problems: ['from must be 1970-01-01 or later'] }],
    ]);
    expect(statsRangeOf({ from: '2024-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, NOW).bucket).toBe('day'); // 732 days
    expect(problemsOf({ from: '2024-01-01T00:00:00Z', to: '2026-01-02T00:00:00.001Z' })).toEqual([
      'validation_failed',
      [{ field: 'from', problems: ['a range of day buckets spans at most 732 days: ask for bucket=week'] }],
    ]);
    expect(problemsOf({ from: '2016-01-01T00:00:00Z', to: '2026-01-09T00:00:00Z', bucket: 'week' })).toEqual([
      'validation_failed',
      [{ field: 'from', problems: ['a range of week buckets spans at most 3,660 days'] }],
    ]);
  });
});
