// src/types/binary-float.ts: exact binary floating point for Redis's number texts. Redis parses
// INCRBYFLOAT operands with strtold into an x87 80-bit long double (64-bit mantissa) on x86-64,
// adds in that precision and prints with printf("%.17Lf"); replies of doubles use "%.17g". A JS
// number has 53 bits, so 10.5 + 0.1 would print as 10.59999999999999964 instead of Redis's 10.6.
// Here a value is sign * mantissa * 2^exponent with a BigInt mantissa, and every step (parse, add,
// print) is computed exactly and rounded once, half to even, as glibc does.
// Invariants:
// - A finite value produced by roundToFormat has mantissa < 2^precisionBits and exponent >=
//   the format's exponentMin (subnormals keep exponentMin and a shorter mantissa); zero is 0n.
// - Parsing accepts exactly what glibc strtold/strtod consume in full, minus leading white space
//   (Redis rejects it): [+-] then inf | infinity | nan[(chars)] | 0x hex[.hex][p[+-]dec] |
//   dec[.dec][e[+-]dec] with at least one mantissa digit; anything left over means not a number.

export interface FloatFormat {
  precisionBits: number;
  exponentMin: number; // exponent of the least significant mantissa bit of the smallest subnormal
  topBitMax: number; // largest power of two a finite value may reach (value < 2^(topBitMax+1))
}

/** x87 80-bit extended precision (glibc long double on x86-64). */
export const LONG_DOUBLE: FloatFormat = { precisionBits: 64, exponentMin: -16445, topBitMax: 16383 };
/** IEEE 754 binary64 (C double, JS number). */
export const DOUBLE: FloatFormat = { precisionBits: 53, exponentMin: -1074, topBitMax: 1023 };

export type FloatKind = 'finite' | 'inf' | 'nan';

export interface BinaryFloat {
  kind: FloatKind;
  negative: boolean;
  mantissa: bigint; // finite only
  exponent: number; // finite only
}

export interface ParsedFloat {
  value: BinaryFloat;
  rangeError: boolean; // strtold's ERANGE: overflow to inf or a nonzero value rounded to zero
}

export const FLOAT_ZERO: BinaryFloat = { kind: 'finite', negative: false, mantissa: 0n, exponent: 0 };

function finite(negative: boolean, mantissa: bigint, exponent: number): BinaryFloat {
  return { kind: 'finite', negative, mantissa, exponent };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/**
 * Rounds (num / den) * 2^exp2, num >= 0 and den > 0, to the format, half to even.
 * Returns the rounded value and whether it overflowed or underflowed to zero.
 */
export function roundToFormat(negative: boolean, num: bigint, den: bigint, exp2: number, format: FloatFormat): ParsedFloat {
  if (num === 0n) return { value: finite(negative, 0n, 0), rangeError: false };
  let log2 = bitLength(num) - bitLength(den); // floor(log2(num/den)) is log2 or log2 - 1
  const below = log2 >= 0 ? num < den << BigInt(log2) : num << BigInt(-log2) < den;
  if (below) log2--;
  log2 += exp2;
  if (log2 > format.topBitMax) return { value: { kind: 'inf', negative, mantissa: 0n, exponent: 0 }, rangeError: true };
  const target = Math.max(log2 - (format.precisionBits - 1), format.exponentMin);
  const shift = exp2 - target; // quotient = num * 2^shift / den
  let n = num;
  let d = den;
  if (shift >= 0) n <<= BigInt(shift);
  else d <<= BigInt(-shift);
  let q = n / d;
  const twice = (n - q * d) * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
  let exponent = target;
  if (q === 1n << BigInt(format.precisionBits)) {
    q >>= 1n;
    exponent++;
    if (exponent + format.precisionBits - 1 > format.topBitMax) {
      return { value: { kind: 'inf', negative, mantissa: 0n, exponent: 0 }, rangeError: true };
    }
  }
  if (q === 0n) return { value: finite(negative, 0n, 0), rangeError: true };
  return { value: finite(negative, q, exponent), rangeError: false };
}

const DECIMAL_DIGITS_MAX_EXPONENT = 5200; // beyond every format's range: clamp to inf / zero

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Reads [+-]digits at position; returns the exponent (clamped) and the end, or undefined. */
function readExponent(text: string, position: number): { value: number; end: number } | undefined {
  let index = position;
  let negative = false;
  if (text[index] === '+' || text[index] === '-') negative = text[index++] === '-';
  const digitsStart = index;
  let value = 0;
  while (index < text.length && isDigit(text.charCodeAt(index))) {
    value = Math.min(value * 10 + (text.charCodeAt(index) - 48), 1e9);
    index++;
  }
  if (index === digitsStart) return undefined;
  return { value: negative ? -value : value, end: index };
}

function parseSpecial(body: string, negative: boolean): ParsedFloat | undefined {
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return { value: { kind: 'inf', negative, mantissa: 0n, exponent: 0 }, rangeError: false };
  if (lower === 'nan' || /^nan\([0-9a-z_]*\)$/.test(lower)) return { value: { kind: 'nan', negative, mantissa: 0n, exponent: 0 }, rangeError: false };
  return undefined;
}

/**
 * Reads `digits[.digits][<marker>[+-]exponent]` to the end of text: the digits without the point,
 * how many of them follow it, and the written exponent (0 when absent).
 */
function readDigits(
  text: string,
  start: number,
  isDigitCode: (code: number) => boolean,
  marker: 'e' | 'p',
): { digits: string; fractionDigits: number; exponent: number } | undefined {
  let index = start;
  let digits = '';
  let fractionDigits = 0;
  let seenPoint = false;
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 46 && !seenPoint) {
      seenPoint = true;
      continue;
    }
    if (!isDigitCode(code)) break;
    digits += text[index];
    if (seenPoint) fractionDigits++;
  }
  if (digits.length === 0) return undefined;
  let exponent = 0;
  if (index < text.length && text[index]!.toLowerCase() === marker) {
    const read = readExponent(text, index + 1);
    if (read === undefined) return undefined;
    exponent = read.value;
    index = read.end;
  }
  if (index !== text.length) return undefined;
  return { digits, fractionDigits, exponent };
}

function parseHex(text: string, start: number, negative: boolean, format: FloatFormat): ParsedFloat | undefined {
  const parts = readDigits(text, start, (code) => hexValue(code) >= 0, 'p');
  if (parts === undefined) return undefined;
  const { digits } = parts;
  const exp2 = parts.exponent - 4 * parts.fractionDigits; // p counts bits; a hex digit is 4
  const mantissa = BigInt(`0x${digits}`);
  if (mantissa !== 0n) {
    const top = bitLength(mantissa) + exp2;
    if (top > format.topBitMax + 2) return roundToFormat(negative, 1n, 1n, format.topBitMax + 1, format);
    if (top < format.exponentMin - 2) return { value: finite(negative, 0n, 0), rangeError: true };
  }
  return roundToFormat(negative, mantissa, 1n, exp2, format);
}

function parseDecimal(text: string, start: number, negative: boolean, format: FloatFormat): ParsedFloat | undefined {
  const parts = readDigits(text, start, isDigit, 'e');
  if (parts === undefined) return undefined;
  const { digits } = parts;
  const exp10 = parts.exponent - parts.fractionDigits;
  const mantissa = BigInt(digits);
  if (mantissa === 0n) return { value: finite(negative, 0n, 0), rangeError: false };
  const magnitude = mantissa.toString().length + exp10; // value < 10^magnitude
  if (magnitude > DECIMAL_DIGITS_MAX_EXPONENT) return roundToFormat(negative, 1n, 1n, format.topBitMax + 1, format);
  if (magnitude < -DECIMAL_DIGITS_MAX_EXPONENT) return { value: finite(negative, 0n, 0), rangeError: true };
  if (exp10 >= 0) return roundToFormat(negative, mantissa * 10n ** BigInt(exp10), 1n, 0, format);
  return roundToFormat(negative, mantissa, 10n ** BigInt(-exp10), 0, format);
}

/** strtold/strtod over the whole text (no leading white space); undefined unless all of it is a number. */
export function parseFloatText(text: string, format: FloatFormat): ParsedFloat | undefined {
  let index = 0;
  let negative = false;
  if (text[0] === '+' || text[0] === '-') {
    negative = text[0] === '-';
    index = 1;
  }
  const first = text.charCodeAt(index);
  if (first === 105 || first === 73 || first === 110 || first === 78) return parseSpecial(text.slice(index), negative);
  if (text[index] === '0' && (text[index + 1] === 'x' || text[index + 1] === 'X')) {
    const hex = parseHex(text, index + 2, negative, format);
    if (hex !== undefined) return hex;
    return undefined; // strtold would stop after the "0": the rest is left over
  }
  return parseDecimal(text, index, negative, format);
}

/** a + b rounded to the format (IEEE rules for inf and nan; an exact zero sum is +0). */
export function addFloats(a: BinaryFloat, b: BinaryFloat, format: FloatFormat): BinaryFloat {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan', negative: false, mantissa: 0n, exponent: 0 };
  if (a.kind === 'inf' && b.kind === 'inf') {
    return a.negative === b.negative ? a : { kind: 'nan', negative: false, mantissa: 0n, exponent: 0 };
  }
  if (a.kind === 'inf') return a;
  if (b.kind === 'inf') return b;
  const exponent = Math.min(a.exponent, b.exponent);
  const left = (a.negative ? -a.mantissa : a.mantissa) << BigInt(a.exponent - exponent);
  const right = (b.negative ? -b.mantissa : b.mantissa) << BigInt(b.exponent - exponent);
  const sum = left + right;
  if (sum === 0n) return finite(a.negative && b.negative, 0n, 0);
  const negative = sum < 0n;
  return roundToFormat(negative, negative ? -sum : sum, 1n, exponent, format).value;
}

/** The exact value of a JS number. */
export function floatFromNumber(value: number): BinaryFloat {
  if (Number.isNaN(value)) return { kind: 'nan', negative: false, mantissa: 0n, exponent: 0 };
  const negative = value < 0 || Object.is(value, -0);
  if (!Number.isFinite(value)) return { kind: 'inf', negative, mantissa: 0n, exponent: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0) return finite(negative, fraction, -1074);
  return finite(negative, fraction | (1n << 52n), biased - 1075);
}

/** round(|value| * 10^scale), half to even, for a finite value. */
function scaledInteger(value: BinaryFloat, scale: number): bigint {
  let num = value.mantissa;
  let den = 1n;
  if (scale >= 0) num *= 10n ** BigInt(scale);
  else den = 10n ** BigInt(-scale);
  if (value.exponent >= 0) num <<= BigInt(value.exponent);
  else den <<= BigInt(-value.exponent);
  let q = num / den;
  const twice = (num - q * den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  return q;
}

function specialText(value: BinaryFloat): string | undefined {
  if (value.kind === 'nan') return value.negative ? '-nan' : 'nan';
  if (value.kind === 'inf') return value.negative ? '-inf' : 'inf';
  return undefined;
}

/** printf("%.<digits>f") (glibc: exact, half to even). */
export function formatFixed(value: BinaryFloat, fractionDigits: number): string {
  const special = specialText(value);
  if (special !== undefined) return special;
  const text = scaledInteger(value, fractionDigits).toString().padStart(fractionDigits + 1, '0');
  const sign = value.negative ? '-' : '';
  if (fractionDigits === 0) return sign + text;
  return `${sign}${text.slice(0, -fractionDigits)}.${text.slice(-fractionDigits)}`;
}

/** printf("%.<precision>g") (glibc: exact, half to even, trailing zeros removed). */
export function formatGeneral(value: BinaryFloat, precision: number): string {
  const special = specialText(value);
  if (special !== undefined) return special;
  const sign = value.negative ? '-' : '';
  if (value.mantissa === 0n) return `${sign}0`;
  const limit = 10n ** BigInt(precision);
  // decimal exponent estimate from the binary one, then corrected against the exact digits
  let exp10 = Math.floor((bitLength(value.mantissa) - 1 + value.exponent) * Math.LOG10E * Math.LN2);
  let digits = scaledInteger(value, precision - 1 - exp10);
  while (digits >= limit) digits = scaledInteger(value, precision - 1 - ++exp10);
  while (digits < limit / 10n) digits = scaledInteger(value, precision - 1 - --exp10);
  const text = digits.toString();
  if (exp10 >= -4 && exp10 < precision) {
    const fixed = exp10 >= 0 ? `${text.slice(0, exp10 + 1)}.${text.slice(exp10 + 1)}` : `0.${'0'.repeat(-exp10 - 1)}${text}`;
    return sign + trimFraction(fixed);
  }
  const mantissa = trimFraction(`${text[0]}.${text.slice(1)}`);
  const exponentText = String(Math.abs(exp10)).padStart(2, '0');
  return `${sign}${mantissa}e${exp10 < 0 ? '-' : '+'}${exponentText}`;
}

/** Drops trailing zeros after a decimal point, and the point if nothing follows it. */
export function trimFraction(text: string): string {
  if (!text.includes('.')) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text[end - 1] === '.') end--;
  return text.slice(0, end);
}
