import { describe, expect, it } from '@jest/globals';
import { databaseError, isUniqueViolation } from './database-errors.js';

describe('databaseError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ message: 'Connection terminated unexpectedly' }],
    [{ name: 'DriverAdapterError', cause: { cause: { code: '08006' } } }],
  ])('answers 503 database_unavailable for an outage: %j', (error) => {
    expect(databaseError(error)).toMatchObject({ code: 'database_unavailable' });
    expect(databaseError(error)?.getStatus()).toBe(503);
  });

  it('answers 409 conflict for a unique violation no path expected (Postgres 23505, Prisma P2002)', () => {
    for (const error of [{ code: '23505', constraint: 'users_pkey' }, { code: 'P2002' }]) {
      expect([databaseError(error)?.getStatus(), databaseError(error)?.code]).toEqual([409, 'conflict']);
    }
  });

  it('leaves any other error to be a 500', () => {
    expect(databaseError({ code: '42P01', message: 'relation does not exist' })).toBeNull();
    expect(databaseError(new Error('boom'))).toBeNull();
  });
});

describe('isUniqueViolation', () => {
  it('matches the constraint when one is named', () => {
    expect(isUniqueViolation({ code: '23505', constraint: 'users_phone_live_key' }, 'users_phone_live_key')).toBe(true);
    expect(isUniqueViolation({ code: '23505', constraint: 'users_pkey' }, 'users_phone_live_key')).toBe(false);
    expect(isUniqueViolation({ code: '23503' })).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});
