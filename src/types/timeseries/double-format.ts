// src/types/timeseries/double-format.ts: sample values as RedisTimeSeries 1.12 reads and writes them.
// - RESP2 replies carry a sample value as a simple string written by RTS's modified Dragonbox
//   (deps/dragonbox/dragonbox.cpp, reply.c RedisModule_ReplyWithDoubleOrString): the shortest
//   digits that round-trip, laid out plain when Dragonbox's decimal exponent is in [-16, 0] and the
//   value is at least 1, else as d.dddE<exp> (capital E, no '+', no leading zeros). Dragonbox's
//   exponent is min(p, K + 1), with p the power of ten of the last shortest digit and K < 0 for
//   every |x| <= 2^52, so: |x| < 1 -> exponent form; 1 <= |x| <= 2^52 -> plain; above 2^52 plain
//   only when the shortest digits reach the units (2^53 -> 9007199254740992, 5e15 -> 5E15).
//   0 is '0', -0 is '-0', NaN is 'NaN' (sign dropped), infinities 'Infinity' / '-Infinity'.
// - TS.ADD and TS.MADD parse the value with fast_double_parser (deps/fast_double_parser, only its
//   NULL result checked, module.c add()): [-] (0 | [1-9][0-9]*) [. digits] [(e|E) [+-] digits],
//   and whatever follows is ignored ('12abc' is 12, '0x10' is 0); a '0' followed by a digit, a '.'
//   or 'e' not followed by a digit, a leading '+', '.' or space, 'inf', 'nan' and results that
//   overflow to infinity are refused; tiny values round to subnormals or 0.
// - Every other double argument (TS.INCRBY's amount, FILTER_BY_VALUE, IGNORE's maxValDiff) goes
//   through RedisModule_StringToDouble, Redis's string2d: strtod over the whole argument, no
//   leading space, 'inf' and hex accepted, 'nan' and overflow refused (types/number-text.ts).
// - Doubles replied with RedisModule_ReplyWithDouble (TS.INFO ignoreMaxValDiff, bytesPerSample) are
//   "%.17g" bulk strings in RESP2 under Redis 7.0 (formatReplyDouble).
import { formatDoubleG17, string2d } from '../number-text.js';

const TWO_POW_52 = 2 ** 52;

/** The RESP2 text of a sample value (RTS's Dragonbox layout). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const sign = value < 0 ? '-' : '';
  const magnitude = Math.abs(value);
  const exponential = magnitude.toExponential(); // shortest round-trip digits, e.g. 1.5e+16
  if (magnitude >= 1 && (magnitude <= TWO_POW_52 || lastDigitPower(exponential) <= 0)) return sign + String(magnitude);
  return sign + exponential.replace('e+', 'E').replace('e-', 'E-');
}

/** The power of ten of the last digit of toExponential's text ('1.25e+3' -> 1). */
function lastDigitPower(exponential: string): number {
  const at = exponential.indexOf('e');
  const mantissa = exponential.slice(0, at);
  const fractionDigits = mantissa.length > 1 ? mantissa.length - 2 : 0;
  return Number(exponential.slice(at + 1)) - fractionDigits;
}

const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;
const DOT = 0x2e;
const PLUS = 0x2b;
/** Decimal digits below 2^53: an integer of at most this many is exact when summed digit by digit. */
const INTEGER_DIGITS_EXACT = 15;

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= ZERO && code <= NINE;
}

/**
 * fast_double_parser as TS.ADD / TS.MADD use it: the value of the number at the start of `text`
 * (the rest ignored), or undefined where RTS replies 'ERR TSDB: invalid value'.
 */
export function parseAddValue(text: Buffer): number | undefined {
  let at = 0;
  if (text[at] === MINUS) at++;
  if (!isDigit(text[at])) return undefined;
  const digitsFrom = at;
  let integer = 0; // the integer part while it is exact (at most INTEGER_DIGITS_EXACT digits)
  if (text[at] === ZERO) {
    at++;
    if (isDigit(text[at])) return undefined;
  } else {
    while (isDigit(text[at])) integer = integer * 10 + (text[at++]! - ZERO);
  }
  const next = text[at];
  if (next !== DOT && next !== 0x65 && next !== 0x45 && at - digitsFrom <= INTEGER_DIGITS_EXACT) {
    return digitsFrom === 0 ? integer : -integer; // an integer (most samples): no string to parse
  }
  if (text[at] === DOT) {
    at++;
    if (!isDigit(text[at])) return undefined;
    while (isDigit(text[at])) at++;
  }
  if (text[at] === 0x65 || text[at] === 0x45) {
    at++;
    if (text[at] === MINUS || text[at] === PLUS) at++;
    if (!isDigit(text[at])) return undefined;
    while (isDigit(text[at])) at++;
  }
  const value = Number(text.toString('latin1', 0, at)); // correctly rounded, as Eisel-Lemire or strtod
  return Number.isFinite(value) ? value : undefined;
}

/** RedisModule_StringToDouble (Redis string2d): the value, or undefined if not a valid double. */
export function parseDoubleArg(text: Buffer): number | undefined {
  return string2d(text);
}

/** The text of RedisModule_ReplyWithDouble in RESP2 under Redis 7.0: printf("%.17g"), inf/-inf/nan. */
export function formatReplyDouble(value: number): string {
  return formatDoubleG17(value);
}
