import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { string2d } from './number-text.js';
import { plainInteger, rangeScore, scoreArgument, strtod } from './score-text.js';

/** Texts near the fast paths: signs, '(', digits (up to 17), a dot, an exponent, white space, infinities. */
const textArbitrary = fc
  .tuple(fc.constantFrom('', '(', '-', '(-', '+', '(+', ' ', '--'), fc.array(fc.constantFrom('0', '1', '5', '9'), { maxLength: 17 }).map((chars) => chars.join('')), fc.constantFrom('', '.', '.5', 'e3', ' ', 'x', '\0', 'inf', 'INF', 'infinity', 'in', 'inf\0'))
  .map(([head, digits, tail]) => Buffer.from(head + digits + tail, 'latin1'));

describe('score texts', () => {
  it('reads plain integers and infinities as string2d and strtod do, -0 included', () => {
    fc.assert(
      fc.property(textArbitrary, (arg) => {
        expect(Object.is(scoreArgument(arg), string2d(arg))).toBe(true);
        const text = arg.subarray(0, arg.indexOf(0) < 0 ? arg.length : arg.indexOf(0)).toString('latin1');
        const exclusive = text.startsWith('(');
        const body = exclusive ? text.slice(1) : text;
        const { value, consumed } = strtod(body);
        const accepted = (consumed === body.length || (consumed === 0 && body.length === 0)) && !Number.isNaN(value);
        const bound = rangeScore(arg);
        expect(bound === undefined).toBe(!accepted);
        if (bound !== undefined) {
          expect(Object.is(bound.value, value)).toBe(true);
          expect(bound.exclusive).toBe(exclusive);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the fast path only for an optional minus and 1 to 15 digits', () => {
    expect(Object.is(plainInteger(Buffer.from('-0'), 0), -0)).toBe(true);
    expect(rangeScore(Buffer.from('(-inf'))).toEqual({ value: -Infinity, exclusive: true });
    expect(plainInteger(Buffer.from('(999999999999999'), 1)).toBe(999_999_999_999_999);
    for (const text of ['', '-', '+1', '1.0', '1e3', ' 1', '1234567890123456']) expect(plainInteger(Buffer.from(text), 0)).toBeUndefined();
  });
});
