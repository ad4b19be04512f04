// src/commands/arguments.test.ts: Redis's number rules, with expectations taken from redis-server 7.0.15
// (x86-64, so long double is x87 80-bit) unless a comment says otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addFloats, DOUBLE, floatFromNumber, formatGeneral, LONG_DOUBLE, parseFloatText } from '../types/binary-float.js';
import {
  EXPIRE_AT_MS_MAX, TIMEOUT_ERRORS, formatDoubleG17, formatLongDoubleHuman, isWord, parseBlockingTimeout, parseExpireWhen, parseInt32, parseSetExpire,
  string2d, string2ld, string2ll,
} from './arguments.js';
import { CommandError } from '../dispatch/errors.js';

const b = (text: string) => Buffer.from(text, 'latin1');

/** INCRBYFLOAT's arithmetic: parse both, add in long double, print as ld2string(HUMAN). */
function incrByFloat(current: string, increment: string): string | undefined {
  const left = string2ld(b(current));
  const right = string2ld(b(increment));
  if (left === undefined || right === undefined) return undefined;
  const sum = addFloats(left, right, LONG_DOUBLE);
  if (sum.kind !== 'finite') return 'nan-or-inf';
  return formatLongDoubleHuman(sum);
}

describe('string2ll', () => {
  it.each(['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '123456789012345', '1234567890123456'])('accepts %s', (text) => {
    expect(string2ll(b(text))).toBe(BigInt(text));
  });
  it.each(['', ' 1', '1 ', '+1', '01', '-0', '-', '00', '9223372036854775808', '-9223372036854775809', '1.0', '1e3', '0x10', '  1', '123456789012345678901'])(
    'refuses %j',
    (text) => {
      expect(string2ll(b(text))).toBeUndefined();
    },
  );
  it('agrees with BigInt on canonical decimal texts of the whole 64-bit range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => {
        expect(string2ll(b(value.toString()))).toBe(value);
      }),
    );
  });
});

describe('parseInt32', () => {
  it('refuses values past 32 bits with the range text, or the caller\'s message', () => {
    expect(() => parseInt32(b('2147483648'))).toThrow(new CommandError('ERR value is out of range, value must between -2147483648 and 2147483647'));
    expect(() => parseInt32(b('x'))).toThrow(new CommandError('ERR value is not an integer or out of range'));
    expect(() => parseInt32(b('-2147483649'), 'ERR invalid first DB index')).toThrow('ERR invalid first DB index');
    expect(parseInt32(b('-2147483648'))).toBe(-2147483648);
  });
});

describe('INCRBYFLOAT arithmetic (string2ld + long double + ld2string)', () => {
  it.each([
    ['10.5', '0.1', '10.6'],
    ['0', '1e-20', '0'],
    ['0', '-1e-20', '0'],
    ['0', '0x1p3', '8'],
    ['0', '.5', '0.5'],
    ['0', '5.', '5'],
    ['0', '+1.5', '1.5'],
    ['0', '1.0e+2', '100'],
    ['0', '3.0000000000000000001', '3'],
    ['0', '0.1', '0.1'],
    ['1.1', '2.2', '3.3'],
    ['0', '-0', '0'],
    ['5', '-5', '0'],
    ['0', '123456789012345678901234567890', '123456789012345678899921813504'],
    [
      '0',
      '1e308',
      '99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048',
    ],
  ])('%s + %s = %s', (current, increment, expected) => {
    expect(incrByFloat(current, increment)).toBe(expected);
  });

  it('prints 1e4000 with all 4000 digits as Redis does', () => {
    const text = incrByFloat('0', '1e4000') as string;
    expect(text).toHaveLength(4000);
    expect(text.startsWith('99999999999999999999654638730996237849324925835069576313015083330432619433063423554818216418655')).toBe(true);
    expect(text.endsWith('6648276349901340672')).toBe(true);
  });

  it.each(['nan', ' 1', '1 ', '1e', '0x', '1_0', '', 'abc', '1e+', '.', '-', '0x1p', 'NaN(123)', '1e99999', '1e-99999', '1\u00002'])(
    'refuses %j as a float',
    (text) => {
      expect(string2ld(b(text))).toBeUndefined();
    },
  );

  it('takes inf and infinity, so the sum is refused as infinite', () => {
    expect(incrByFloat('0', 'inf')).toBe('nan-or-inf');
    expect(incrByFloat('0', '-Infinity')).toBe('nan-or-inf');
  });

  it('refuses texts of 5120 bytes or more', () => {
    expect(string2ld(b(`${'0'.repeat(5118)}1`))).toBeDefined();
    expect(string2ld(b(`${'0'.repeat(5119)}1`))).toBeUndefined();
  });
});

describe('strtod with the double format', () => {
  it('rounds every decimal text exactly as JS Number() does', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 25 }), (value, digits) => {
        const text = value.toPrecision(digits);
        const expected = Number(text);
        const outOfRange = !Number.isFinite(expected) || (expected === 0 && /[1-9]/.test(text.split('e')[0] ?? ''));
        expect(string2d(b(text))).toBe(outOfRange ? undefined : expected);
      }),
    );
  });
  it('parses hex floats', () => {
    expect(string2d(b('0x1.8p1'))).toBe(3);
    expect(string2d(b('-0x10'))).toBe(-16);
  });
});

describe('formatDoubleG17 (%.17g)', () => {
  it.each([
    [0.1, '0.10000000000000001'],
    [1.5, '1.5'],
    [100, '100'],
    [1e17, '1e+17'],
    [1e21, '1e+21'],
    [123456789.125, '123456789.125'],
    [1e-5, '1.0000000000000001e-05'],
    [0.0001, '0.0001'],
    [-2.5e-300, '-2.5e-300'],
    [Infinity, 'inf'],
    [5e-324, '4.9406564584124654e-324'],
    [2 ** 56, '72057594037927936'], // an integer past 2^53: every digit, not JS's shortest form
    [-(2 ** 60), '-1.152921504606847e+18'],
    [1 + 2 ** -17, '1.0000076293945312'], // 1.00000762939453125: a tie, broken to even
  ])('%s -> %s', (value, expected) => {
    expect(formatDoubleG17(value)).toBe(expected);
  });
  it('breaks a tie at the 17th digit to even, as glibc does', () => {
    // 26215 / 2^18 = 0.100002288818359375 exactly: 18 digits ending in 5
    expect(formatDoubleG17(26215 / 2 ** 18)).toBe('0.10000228881835938');
    expect(formatGeneral(floatFromNumber(26213 / 2 ** 18), 17)).toBe('0.099994659423828125');
  });
  it('agrees with the exact formatter for every double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(formatDoubleG17(value)).toBe(formatGeneral(floatFromNumber(value), 17));
      }),
      { numRuns: 5000 },
    );
  });
  it('agrees with toPrecision(17) away from ties', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), (value) => {
        const text = formatDoubleG17(value);
        expect(Number(text)).toBe(value); // 17 significant digits always round-trip
      }),
    );
  });
  it('round-trips through the parser', () => {
    const parsed = parseFloatText('0.1', DOUBLE);
    expect(parsed?.value).toEqual(floatFromNumber(0.1));
  });
});

describe('expire arguments', () => {
  it('SET-style: refuses zero, negative and overflowing amounts with the command name', () => {
    expect(() => parseSetExpire(b('0'), 'milliseconds', false, 1000, 'set')).toThrow("ERR invalid expire time in 'set' command");
    expect(() => parseSetExpire(b('-1'), 'seconds', false, 1000, 'setex')).toThrow("ERR invalid expire time in 'setex' command");
    expect(() => parseSetExpire(b('9223372036854776'), 'seconds', false, 1000, 'set')).toThrow('invalid expire time');
    expect(() => parseSetExpire(b('9223372036854775807'), 'milliseconds', false, 1000, 'set')).toThrow('invalid expire time');
    expect(() => parseSetExpire(b('x'), 'seconds', false, 1000, 'set')).toThrow('ERR value is not an integer or out of range');
  });
  it('SET-style: relative amounts add the clock, absolute ones do not', () => {
    expect(parseSetExpire(b('10'), 'seconds', false, 1000, 'set')).toBe(11_000);
    expect(parseSetExpire(b('10'), 'milliseconds', true, 1000, 'set')).toBe(10);
    expect(parseSetExpire(b('9223372036854775'), 'seconds', true, 1000, 'set')).toBe(EXPIRE_AT_MS_MAX);
  });
  it('EXPIRE-style: negative times are allowed, overflow is not', () => {
    expect(parseExpireWhen(b('-5'), 'seconds', 10_000, 'expire')).toBe(5000);
    expect(() => parseExpireWhen(b('9223372036854776'), 'seconds', 0, 'expire')).toThrow("ERR invalid expire time in 'expire' command");
    expect(() => parseExpireWhen(b('9223372036854775'), 'seconds', 10_000, 'expire')).toThrow('invalid expire time');
    expect(() => parseExpireWhen(b('9223372036854775807'), 'milliseconds', 1, 'pexpire')).toThrow("in 'pexpire' command");
    expect(parseExpireWhen(b('-9223372036854775808'), 'milliseconds', 0, 'pexpireat')).toBe(-EXPIRE_AT_MS_MAX);
  });
});

describe('isWord', () => {
  it('matches ASCII words case-insensitively and nothing else', () => {
    expect(isWord(b('KeepTTL'), 'keepttl')).toBe(true);
    expect(isWord(b('keepttl '), 'keepttl')).toBe(false);
    expect(isWord(b('@x'), '`x')).toBe(false);
    expect(isWord(undefined, 'nx')).toBe(false);
  });
});

// Redis 7.2's getTimeoutFromObjectOrReply; 7.0.15 agrees except where it overflows (7.2's 'out of
// range' cases, which 7.0 answers with 'timeout is negative').
describe('parseBlockingTimeout', () => {
  const nowMs = 1_700_000_000_000;
  it.each([
    // -0.001 too: 0.001 as a long double is a hair below it, times 1000 rounds to 1 - 2^-64, whose ceiling is -0 (checked on 7.2.4)
    ['0', 0], ['0.0', 0], ['-0', 0], ['-0.0001', 0], ['-0.001', 0], ['1', nowMs + 1000], ['1.5', nowMs + 1500], ['0.001', nowMs + 1], ['0.0001', nowMs + 1],
    ['0.0015', nowMs + 2], ['1e-300', nowMs + 1], ['2e3', nowMs + 2_000_000], ['9223372036854', nowMs + 9223372036854000],
  ])('reads %s seconds', (text, deadline) => {
    expect(parseBlockingTimeout(b(text), nowMs)).toBe(deadline);
  });
  it.each([
    ['x', TIMEOUT_ERRORS.notFloat], ['', TIMEOUT_ERRORS.notFloat], ['nan', TIMEOUT_ERRORS.notFloat], [' 1', TIMEOUT_ERRORS.notFloat], ['1e99999', TIMEOUT_ERRORS.notFloat],
    ['-1', TIMEOUT_ERRORS.negative], ['-0.002', TIMEOUT_ERRORS.negative], ['-inf', TIMEOUT_ERRORS.negative], ['-1e400', TIMEOUT_ERRORS.negative],
    ['inf', TIMEOUT_ERRORS.outOfRange], ['1e400', TIMEOUT_ERRORS.outOfRange], ['9223372036854775807', TIMEOUT_ERRORS.outOfRange],
    ['9223372036854775', TIMEOUT_ERRORS.outOfRange], // fits in ms, not once now is added
  ])('refuses %j with its error', (text, message) => {
    expect(() => parseBlockingTimeout(b(text), nowMs)).toThrow(new CommandError(message));
  });
});
