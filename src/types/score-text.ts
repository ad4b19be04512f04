// src/types/score-text.ts: the score texts of sorted sets, read as Redis 7.0 reads them. Three
// readers, because Redis uses three:
// - scoreArgument: getDoubleFromObject (ZADD, ZINCRBY, WEIGHTS): string2d, the whole text a float,
//   no white space, no overflow, no NaN (number-text.ts).
// - rangeScore: zslParseRange's item (ZRANGEBYSCORE, ZCOUNT ...): "(" for an open end, then C
//   strtod over the C string (up to a NUL): leading white space allowed, overflow gives +-inf,
//   "" is 0, anything left over or NaN is refused.
// - strtodPrefix: strtod's longest valid prefix after white space (zzlStrtod for a listpack's
//   score, sscanf("%lg") for RDB_TYPE_ZSET's), 0 when nothing converts.
// Invariants: the value is a JS number rounded as glibc rounds (binary-float.ts parses exactly).
// scoreArgument and rangeScore read a plain integer of up to 15 digits (and rangeScore "+inf",
// "-inf", "inf") without the general parser: ~0.02 µs instead of ~0.95, the same value.
import { DOUBLE, parseFloatText, type BinaryFloat } from './binary-float.js';
import { string2d } from './number-text.js';

/** What C strtod accepts, after white space: the longest match is what it consumes. */
const STRTOD_SYNTAX = /^[+-]?(?:inf(?:inity)?|nan(?:\([0-9a-z_]*\))?|0x(?:[0-9a-f]+(?:\.[0-9a-f]*)?|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?)/i;

function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

export function numberOf(value: BinaryFloat): number {
  if (value.kind === 'nan') return Number.NaN;
  if (value.kind === 'inf') return value.negative ? -Infinity : Infinity;
  const magnitude = Number(value.mantissa) * 2 ** value.exponent; // exact: <= 53 bits, exponent >= -1074
  return value.negative ? -magnitude : magnitude;
}

/** C strtod: the value and how many characters it consumed (0: no conversion, value 0). */
export function strtod(text: string): { value: number; consumed: number } {
  let start = 0;
  while (start < text.length && isCSpace(text.charCodeAt(start))) start++;
  const match = STRTOD_SYNTAX.exec(text.slice(start));
  if (match === null) return { value: 0, consumed: 0 };
  const parsed = parseFloatText(match[0], DOUBLE);
  if (parsed === undefined) return { value: 0, consumed: 0 };
  return { value: numberOf(parsed.value), consumed: start + match[0].length };
}

/** The text C sees: the bytes up to the first NUL. */
function cString(arg: Buffer): string {
  const nul = arg.indexOf(0);
  return (nul < 0 ? arg : arg.subarray(0, nul)).toString('latin1');
}

/** getDoubleFromObject: a score argument, or undefined ("value is not a valid float"). */
export function scoreArgument(arg: Buffer): number | undefined {
  return plainInteger(arg, 0) ?? string2d(arg);
}

/** Digits in a plain integer that a double holds exactly (10^15 < 2^53). */
const PLAIN_INTEGER_DIGITS_MAX = 15;

/**
 * arg[from ..] as an optional '-' and 1..15 decimal digits, nothing else: the value every reader
 * above gives it (exact; "-0" is -0), without building a string. undefined for any other text.
 */
export function plainInteger(arg: Buffer, from: number): number | undefined {
  let index = from;
  const negative = arg[index] === 0x2d;
  if (negative) index++;
  const digits = arg.length - index;
  if (digits < 1 || digits > PLAIN_INTEGER_DIGITS_MAX) return undefined;
  let value = 0;
  for (; index < arg.length; index++) {
    const digit = arg[index]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

export interface ScoreBound {
  value: number;
  exclusive: boolean;
}

/** arg[from ..] is exactly "+inf", "-inf" or "inf" (the usual spellings): that infinity, else undefined. */
function infinityOf(arg: Buffer, from: number): number | undefined {
  const length = arg.length - from;
  if (length !== 3 && length !== 4) return undefined;
  const sign = length === 4 ? arg[from] : 0x2b;
  if (sign !== 0x2b && sign !== 0x2d) return undefined;
  const at = arg.length - 3;
  if (arg[at] !== 0x69 || arg[at + 1] !== 0x6e || arg[at + 2] !== 0x66) return undefined; // "inf"
  return sign === 0x2d ? -Infinity : Infinity;
}

/** One end of zslParseRange, or undefined ("min or max is not a float"). */
export function rangeScore(arg: Buffer): ScoreBound | undefined {
  const exclusiveFast = arg[0] === 0x28; // '('
  const plain = plainInteger(arg, exclusiveFast ? 1 : 0);
  if (plain !== undefined) return { value: plain, exclusive: exclusiveFast };
  const infinity = infinityOf(arg, exclusiveFast ? 1 : 0);
  if (infinity !== undefined) return { value: infinity, exclusive: exclusiveFast };
  let text = cString(arg);
  const exclusive = text.startsWith('(');
  if (exclusive) text = text.slice(1);
  const { value, consumed } = strtod(text);
  if (consumed !== text.length && !(consumed === 0 && text.length === 0)) return undefined;
  if (Number.isNaN(value)) return undefined;
  return { value, exclusive };
}

/** zzlStrtod: a listpack score's text (at most 127 characters read), 0 when nothing converts. */
export function listpackScore(text: Buffer): number {
  return strtod(cString(text.subarray(0, 127))).value;
}

/** sscanf("%lg"): undefined when nothing converts (rdbLoadDoubleValue fails). */
export function scannedScore(text: Buffer): number | undefined {
  const { value, consumed } = strtod(cString(text));
  return consumed === 0 ? undefined : value;
}
