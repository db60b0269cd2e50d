import { describe, expect, it } from '@jest/globals';
import { toE164, toStoredPhone } from './phone-number.js';

describe('toE164', () => {
  it.each([
    ['+12345678901', '+12345678901'],
    ['+1 (234) 567-8901', '+12345678901'],
    ['  +1 234.567.8901  ', '+12345678901'],
    ['001 234 567 8901', '+12345678901'],
    ['0012345678901', '+12345678901'],
    ['12345678901', '+12345678901'], // as Supabase stores it: international without the +
    ['+44 20 1234 5678', '+442012345678'],
    ['0044 20 1234 5678', '+442012345678'],
    ['+44 (0)20 1234 5678', '+442012345678'], // the national trunk 0 after the country code
    ['442012345678', '+442012345678'],
  ])('%s → %s', (raw, expected) => {
    expect(toE164(raw)).toBe(expected);
  });

  it('reads national forms in the default country only', () => {
    expect(toE164('(234) 567-8901', 'US')).toBe('+12345678901');
    expect(toE164('020 1234 5678', 'GB')).toBe('+442012345678');
    expect(toE164('+1 234 567 8901', 'GB')).toBe('+12345678901');
    expect(toE164('0044 20 1234 5678', 'US')).toBe('+442012345678');
    expect(toE164('020 1234 5678')).toBeNull();
  });

  it.each([
    [''],
    ['   '],
    ['garbage'],
    ['+1 234 567 8901 ext 5'],
    ['call +12345678901'],
    ['+1'],
    ['+1234'],
    ['+15550000001'], // a reserved range: not a valid number
    ['+99912345678'], // no such country code
    ['1'.repeat(60)],
  ])('refuses %p', (raw) => {
    expect(toE164(raw)).toBeNull();
  });
});

describe('toStoredPhone', () => {
  it('is toE164 for valid numbers, whatever the form', () => {
    for (const raw of ['+1 (234) 567-8901', '001 234 567 8901', '12345678901', '+12345678901']) {
      expect(toStoredPhone(raw)).toBe('+12345678901');
    }
  });

  it('keeps a number unknown to the metadata as +digits when it is plausibly E.164', () => {
    expect(toStoredPhone('15550000001')).toBe('+15550000001');
    expect(toStoredPhone('+1 (555) 000-0001')).toBe('+15550000001');
    expect(toStoredPhone('0015550000001')).toBe('+15550000001');
    expect(toStoredPhone('447700900123')).toBe('+447700900123');
  });

  it.each([
    [undefined],
    [null],
    [42],
    [''],
    ['garbage'],
    ['1234567'], // 7 digits: too short for E.164 with a country code
    ['1234567890123456'], // 16 digits: too long
    ['07700900123'], // national form: no country code
    ['Xy9_obfuscated-1'], // what Supabase leaves in a soft-deleted user's phone
  ])('is null for %p', (raw) => {
    expect(toStoredPhone(raw)).toBeNull();
  });
});
