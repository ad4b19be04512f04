// src/arguments.ts: Redis's argument parsers and number formats, shared by every command family.
// Each function follows the named Redis function (src/util.c, src/object.c, src/t_string.c,
// src/expire.c of Redis 7.0) and throws CommandError with Redis's words.
// Invariants:
// - string2ll: no spaces, no '+', no leading zeros ("0" alone is fine, "-0" and "007" are not),
//   at most 20 bytes, within [-2^63, 2^63-1].
// - string2ld: what strtold consumes in full (see binary-float.ts), no leading white space, at
//   most 5119 bytes, not nan, not out of range; arithmetic on it is x87 80-bit long double.
// - Absolute expiry times are kept as JS numbers: times past EXPIRE_AT_MS_MAX (2^53-1 ms, year
//   287396) are clamped to it.
import { LONG_DOUBLE, DOUBLE, floatFromNumber, formatFixed, formatGeneral, parseFloatText, trimFraction, type BinaryFloat } from './binary-float.js';
import { CommandError, ERRORS } from './command-error.js';

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
export const INT32_MAX = 2147483647;
export const INT32_MIN = -2147483648;
/** Redis's LONG_STR_SIZE: a string of 21 bytes or more is never an integer. */
export const INTEGER_BYTES_MAX = 20;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer texts are never floats. */
export const LONG_DOUBLE_CHARS_MAX = 5 * 1024;
export const EXPIRE_AT_MS_MAX = Number.MAX_SAFE_INTEGER;

export const NUMBER_ERRORS = {
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  decrementOverflow: 'ERR decrement would overflow',
  nanOrInfinity: 'ERR increment would produce NaN or Infinity',
} as const;

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

/** getLongLongFromObjectOrReply. */
export function parseInt64(buf: Buffer, message: string = ERRORS.notInteger): bigint {
  const value = string2ll(buf);
  if (value === undefined) throw new CommandError(message);
  return value;
}

/** getLongLongFromObjectOrReply for arguments used as offsets or counts: the value as a JS number (rounded past 2^53). */
export function parseInteger(buf: Buffer, message: string = ERRORS.notInteger): number {
  return Number(parseInt64(buf, message));
}

/**
 * getIntFromObjectOrReply: a 32-bit int. Out of range, Redis answers `message` when the caller
 * gave one, else its range text.
 */
export function parseInt32(buf: Buffer, message?: string): number {
  const value = string2ll(buf);
  if (value === undefined) throw new CommandError(message ?? ERRORS.notInteger);
  if (value > BigInt(INT32_MAX) || value < BigInt(INT32_MIN)) {
    throw new CommandError(message ?? `ERR value is out of range, value must between ${INT32_MIN} and ${INT32_MAX}`);
  }
  return Number(value);
}

/** Redis string2ld: a long double, or undefined. */
export function string2ld(buf: Buffer): BinaryFloat | undefined {
  if (buf.length === 0 || buf.length >= LONG_DOUBLE_CHARS_MAX) return undefined;
  const parsed = parseFloatText(buf.toString('latin1'), LONG_DOUBLE);
  if (parsed === undefined || parsed.value.kind === 'nan') return undefined;
  if (parsed.rangeError && (parsed.value.kind === 'inf' || parsed.value.mantissa === 0n)) return undefined;
  return parsed.value;
}

/** getLongDoubleFromObjectOrReply. */
export function parseLongDouble(buf: Buffer): BinaryFloat {
  const value = string2ld(buf);
  if (value === undefined) throw new CommandError(NUMBER_ERRORS.notFloat);
  return value;
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
  if (Number.isInteger(value) && Math.abs(value) < 1e17) return Object.is(value, -0) ? '-0' : String(value);
  return formatGeneral(floatFromNumber(value), 17);
}

// ---- expiry arguments -------------------------------------------------------------------------

export type TimeUnit = 'seconds' | 'milliseconds';

/** addReplyErrorExpireTime: `command` is the command's full name in lower case ('set', 'getex'). */
export function invalidExpireTime(command: string): CommandError {
  return new CommandError(`ERR invalid expire time in '${command}' command`);
}

function clampExpireAt(value: bigint): number {
  return value > BigInt(EXPIRE_AT_MS_MAX) ? EXPIRE_AT_MS_MAX : Number(value);
}

/**
 * getExpireMillisecondsOrReply (SET EX/PX/EXAT/PXAT, SETEX, PSETEX, GETEX): a positive amount,
 * relative to nowMs unless absolute; returns the absolute expiry in ms.
 */
export function parseSetExpire(arg: Buffer, unit: TimeUnit, absolute: boolean, nowMs: number, command: string): number {
  let value = parseInt64(arg);
  if (value <= 0n || (unit === 'seconds' && value > INT64_MAX / 1000n)) throw invalidExpireTime(command);
  if (unit === 'seconds') value *= 1000n;
  if (!absolute) value += BigInt(nowMs);
  if (value > INT64_MAX) throw invalidExpireTime(command); // Redis sees a wrapped, negative sum
  return clampExpireAt(value);
}

/**
 * expireGenericCommand's time (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT): any 64-bit integer, in
 * unit, plus basetimeMs; returns the absolute time in ms (may be negative: the key then goes).
 */
export function parseExpireWhen(arg: Buffer, unit: TimeUnit, basetimeMs: number, command: string): number {
  let when = parseInt64(arg);
  if (unit === 'seconds') {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw invalidExpireTime(command);
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(basetimeMs)) throw invalidExpireTime(command);
  when += BigInt(basetimeMs);
  return when < 0n ? Math.max(Number(when), -EXPIRE_AT_MS_MAX) : clampExpireAt(when);
}

/** Case-insensitive comparison of an argument with an ASCII word written in lower case. */
export function isWord(arg: Buffer | undefined, lowerWord: string): boolean {
  if (arg === undefined || arg.length !== lowerWord.length) return false;
  for (let index = 0; index < arg.length; index++) {
    const code = arg[index] as number;
    if ((code >= 65 && code <= 90 ? code + 32 : code) !== lowerWord.charCodeAt(index)) return false;
  }
  return true;
}
