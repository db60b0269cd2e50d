import { describe, expect, it } from '@jest/globals';
import { weakPasswordReasons } from './password-policy.js';

const policy = { minLength: 8, requireMixed: true };

describe('weakPasswordReasons', () => {
  it.each([
    ['Str0ngEnough', []],
    ['Sh0rt', ['length']],
    ['alllowercase1', ['characters']],
    ['abc', ['length', 'characters']],
  ])('%s → %j', (password, reasons) => {
    expect(weakPasswordReasons(password, policy)).toEqual(reasons);
  });

  it('counts characters, not UTF-16 units, and can drop the mix rule', () => {
    expect(weakPasswordReasons('😀😀😀😀😀😀😀', { minLength: 8, requireMixed: false })).toEqual(['length']);
    expect(weakPasswordReasons('plainpassword', { minLength: 8, requireMixed: false })).toEqual([]);
  });
});
