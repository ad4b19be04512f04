// src/types/number-text.ts: Redis's number texts, parsed and formatted without replies: what
// counts as an integer or a float in a value (string2ll, string2ld, string2d) and how numbers are
// written back (ld2string, %.17g). Commands wrap the parsers with Redis's error replies
// (src/commands/arguments.ts); types use them for encodings (intset, listpack integers).
// Invariants:
// - string2ll: no spaces, no '+', no leading zeros ("0" alone is fine, "-0" and "007" are not),
//   at most 20 bytes, within [-2^63, 2^63-1].
// - string2ld: what strtold consumes in full (see binary-float.ts), no leading white space, at
//   most 5119 bytes, not nan, not out of range; arithmetic on it is x87 80-bit long double.
import { LONG_DOUBLE, DOUBLE, floatFromNumber, formatFixed, formatGeneral, parseFloatText, trimFraction, type BinaryFloat } from './binary-float.js';

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
export const INT32_MAX = 2147483647;
export const INT32_MIN = -2147483648;
/** Redis's LONG_STR_SIZE: a string of 21 bytes or more is never an integer. */
export const INTEGER_BYTES_MAX = 20;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer texts are never floats. */
export const LONG_DOUBLE_CHARS_MAX = 5 * 1024;

/** Redis string2ll: the exact value, or undefined if buf is not a canonical 64-bit integer. */
export function string2ll(buf: Buffer): bigint | undefined {
  const length = buf.length;
  if (length === 0 || length > INTEGER_BYTES_MAX) return undefined;
  if (length === 1 && buf[0] === 48) return 0n;
  let index = 0;
  const negative = buf[0] === 45;
  if (negative) {
    index = 1;
    if (length === 1) return undefined;
  }
  const first = buf[index] as number;
  if (first < 49 || first > 57) return undefined;
  let small = 0; // exact while at most 15 digits
  for (let position = index; position < length; position++) {
    const code = buf[position] as number;
    if (code < 48 || code > 57) return undefined;
    small = small * 10 + (code - 48);
  }
  if (length - index <= 15) return BigInt(negative ? -small : small);
  const value = BigInt(buf.toString('latin1'));
  return value > INT64_MAX || value < INT64_MIN ? undefined : value;
}

/** Redis string2ld: a long double, or undefined. */
export function string2ld(buf: Buffer): BinaryFloat | undefined {
  if (buf.length === 0 || buf.length >= LONG_DOUBLE_CHARS_MAX) return undefined;
  const parsed = parseFloatText(buf.toString('latin1'), LONG_DOUBLE);
  if (parsed === undefined || parsed.value.kind === 'nan') return undefined;
  if (parsed.rangeError && (parsed.value.kind === 'inf' || parsed.value.mantissa === 0n)) return undefined;
  return parsed.value;
}

/** Redis string2d (strtod; leading or trailing white space refused): a double, or undefined. */
export function string2d(buf: Buffer): number | undefined {
  if (buf.length === 0 || buf.length >= LONG_DOUBLE_CHARS_MAX) return undefined;
  const parsed = parseFloatText(buf.toString('latin1'), DOUBLE);
  if (parsed === undefined || parsed.value.kind === 'nan') return undefined;
  const { value } = parsed;
  if (parsed.rangeError && (value.kind === 'inf' || value.mantissa === 0n)) return undefined;
  if (value.kind === 'inf') return value.negative ? -Infinity : Infinity;
  const magnitude = Number(value.mantissa) * 2 ** value.exponent; // exact: <= 53 bits, exponent >= -1074
  return value.negative ? -magnitude : magnitude;
}

/** ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros (and the point) removed; "-0" becomes "0". */
export function formatLongDoubleHuman(value: BinaryFloat): string {
  const text = trimFraction(formatFixed(value, 17));
  return text === '-0' ? '0' : text;
}

/** Redis 7.0 addReplyDouble: printf("%.17g") (protocol/index.ts formatDouble is 7.2's shortest form). */
export function formatDoubleG17(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  if (Number.isSafeInteger(value)) return Object.is(value, -0) ? '-0' : String(value);
  return formatG17Rounded(value) ?? formatGeneral(floatFromNumber(value), 17);
}

/**
 * "%.17g" from JS's own rounding, which is exact but breaks ties away from zero where glibc breaks
 * them to even: undefined when the value might be such a tie (its 18th digit is a 5).
 */
function formatG17Rounded(value: number): string | undefined {
  const wide = value.toExponential(17);
  if (wide.charCodeAt(wide.indexOf('e') - 1) === 53) return undefined;
  const text = value.toExponential(16);
  const at = text.indexOf('e');
  const exponent = Number(text.slice(at + 1));
  const negative = value < 0;
  const digits = text.slice(negative ? 1 : 0, at).replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent >= -4 && exponent < 17) {
    const fixed = exponent >= 0 ? `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}` : `0.${'0'.repeat(-exponent - 1)}${digits}`;
    return sign + trimFraction(fixed);
  }
  const exponentText = String(Math.abs(exponent)).padStart(2, '0');
  return `${sign}${trimFraction(`${digits[0]}.${digits.slice(1)}`)}e${exponent < 0 ? '-' : '+'}${exponentText}`;
}
