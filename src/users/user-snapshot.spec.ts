import { describe, expect, it } from '@jest/globals';
import { InvalidSnapshotError, normalizePhone, snapshotFromClaims, snapshotFromSupabase } from './user-snapshot.js';

const base = {
  id: 'A1B2C3D4-0000-4000-8000-000000000001',
  email: '  Ada@Example.COM ',
  phone: '447700900123',
  created_at: '2026-01-01T10:00:00.123456Z',
  updated_at: '2026-01-02T10:00:00.654321Z',
  app_metadata: { provider: 'email' },
  user_metadata: { first_name: 'Ada' },
};

describe('snapshotFromSupabase', () => {
  it('lower-cases ids and emails, adds the + to phones, keeps microseconds', () => {
    const snapshot = snapshotFromSupabase(base);
    expect(snapshot.id).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(snapshot.email).toBe('ada@example.com');
    expect(snapshot.phone).toBe('+447700900123');
    expect(snapshot.updatedAt).toBe('2026-01-02T10:00:00.654321Z');
    expect(snapshot.deletedAt).toBeNull();
  });

  it('turns empty strings into nulls', () => {
    const snapshot = snapshotFromSupabase({ ...base, email: '', phone: '', email_confirmed_at: '' });
    expect(snapshot.email).toBeNull();
    expect(snapshot.phone).toBeNull();
    expect(snapshot.emailConfirmedAt).toBeNull();
  });

  it.each([
    [{ ...base, id: 'not-a-uuid' }, 'id is not a UUID'],
    [{ ...base, updated_at: undefined }, 'updated_at is required'],
    [{ ...base, last_sign_in_at: 'yesterday' }, 'last_sign_in_at is not an RFC 3339 timestamp'],
  ])('refuses an unusable user', (user, message) => {
    expect(() => snapshotFromSupabase(user)).toThrow(InvalidSnapshotError);
    expect(() => snapshotFromSupabase(user)).toThrow(message);
  });
});

describe('normalizePhone', () => {
  it.each([
    ['14155550100', '+14155550100'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['001 234 567 8901', '+12345678901'],
    ['+44 (0)20 1234 5678', '+442012345678'],
    ['garbage', null],
    ['1234567', null],
    ['', null],
    [undefined, null],
  ])('%s → %s', (raw, expected) => {
    expect(normalizePhone(raw)).toBe(expected);
  });
});

describe('snapshotFromClaims', () => {
  it('has no version, so any real snapshot wins later', () => {
    const snapshot = snapshotFromClaims({ sub: base.id, email: 'X@Y.io', phone: '', role: 'authenticated' });
    expect(snapshot.updatedAt).toBeNull();
    expect(snapshot.email).toBe('x@y.io');
    expect(snapshot.phone).toBeNull();
  });
});
