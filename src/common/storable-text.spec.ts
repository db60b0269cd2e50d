import { describe, expect, it } from '@jest/globals';
import { isStorableString, MAX_JSON_DEPTH, unstorableTextAt } from './storable-text.js';

describe('isStorableString', () => {
  it.each([
    ['plain text', 'hello', true],
    ['an emoji (a surrogate pair)', 'ok 💥', true],
    ['the six characters \\u0000 (escaped, not a NUL)', '\\u0000', true],
    ['a NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'x\ud83d', false],
    ['a lone low surrogate', '\udca5x', false],
    ['a pair in the wrong order', '\udca5\ud83d', false],
  ])('%s → %s', (_case, value, storable) => {
    expect(isStorableString(value)).toBe(storable);
  });
});

describe('unstorableTextAt', () => {
  it('names the first value, array element or key Postgres cannot store', () => {
    expect(unstorableTextAt({ a: 'ok', b: [1, { c: 'x\u0000' }] })).toBe('b[1].c');
    expect(unstorableTextAt({ ['k\ud800']: 1 })).toBe('k\ud800');
    expect(unstorableTextAt('\u0000')).toBe('');
    expect(unstorableTextAt({ a: 'ok', n: 1, t: true, z: null, e: [] })).toBeNull();
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels and accepts it up to there`, () => {
    const nest = (levels: number): unknown => (levels === 0 ? 'leaf' : { n: nest(levels - 1) });
    expect(unstorableTextAt(nest(MAX_JSON_DEPTH))).toBeNull();
    expect(unstorableTextAt(nest(MAX_JSON_DEPTH + 1))).toMatch(/^n(\.n)+$/);
  });
});
