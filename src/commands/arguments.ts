// src/commands/arguments.ts: Redis's argument parsers, shared by every command family. Each
// function follows the named Redis function (src/util.c, src/object.c, src/t_string.c,
// src/expire.c of Redis 7.0) and throws CommandError with Redis's words; what counts as a number
// is src/types/number-text.ts's (re-exported here for the handlers).
// Invariants:
// - Absolute expiry times are kept as JS numbers: times past EXPIRE_AT_MS_MAX (2^53-1 ms, year
//   287396) are clamped to it.
import { LONG_DOUBLE, roundToFormat, type BinaryFloat } from '../types/binary-float.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, string2ld, string2ll } from '../types/number-text.js';

export {
  INT64_MAX, INT64_MIN, INT32_MAX, INT32_MIN, INTEGER_BYTES_MAX, LONG_DOUBLE_CHARS_MAX,
  string2ll, string2ld, string2d, formatLongDoubleHuman, formatDoubleG17,
} from '../types/number-text.js';

export const EXPIRE_AT_MS_MAX = Number.MAX_SAFE_INTEGER;

export const NUMBER_ERRORS = {
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  decrementOverflow: 'ERR decrement would overflow',
  nanOrInfinity: 'ERR increment would produce NaN or Infinity',
} as const;

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

/** getLongDoubleFromObjectOrReply. */
export function parseLongDouble(buf: Buffer): BinaryFloat {
  const value = string2ld(buf);
  if (value === undefined) throw new CommandError(NUMBER_ERRORS.notFloat);
  return value;
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

// ---- blocking commands' timeout ---------------------------------------------------------------

export const TIMEOUT_ERRORS = {
  notFloat: 'ERR timeout is not a float or out of range',
  negative: 'ERR timeout is negative',
  outOfRange: 'ERR timeout is out of range',
} as const;

/** The value of a finite long double, rounded up to an integer (ceill). */
function ceilOf(value: BinaryFloat): bigint {
  const { mantissa, exponent, negative } = value;
  if (exponent >= 0) return (negative ? -mantissa : mantissa) << BigInt(exponent);
  const whole = mantissa >> BigInt(-exponent);
  if (negative) return -whole;
  return (whole << BigInt(-exponent)) === mantissa ? whole : whole + 1n;
}

/**
 * getTimeoutFromObjectOrReply(UNIT_SECONDS) of Redis 7.2 (BLPOP & co.): float seconds, times 1000
 * in long double and rounded up to whole ms; the absolute deadline in ms, or 0 (block forever)
 * for 0 and for anything that rounds up to 0 (-0.0001 does).
 */
export function parseBlockingTimeout(arg: Buffer, nowMs: number): number {
  const seconds = string2ld(arg);
  if (seconds === undefined) throw new CommandError(TIMEOUT_ERRORS.notFloat);
  const product = seconds.kind === 'finite' ? roundToFormat(seconds.negative, seconds.mantissa * 1000n, 1n, seconds.exponent, LONG_DOUBLE).value : seconds;
  if (product.kind !== 'finite') throw new CommandError(product.negative ? TIMEOUT_ERRORS.negative : TIMEOUT_ERRORS.outOfRange);
  const ms = ceilOf(product);
  if (ms > INT64_MAX) throw new CommandError(TIMEOUT_ERRORS.outOfRange);
  if (ms < 0n) throw new CommandError(TIMEOUT_ERRORS.negative);
  if (ms === 0n) return 0;
  if (ms > INT64_MAX - BigInt(nowMs)) throw new CommandError(TIMEOUT_ERRORS.outOfRange);
  return Number(ms) + nowMs;
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
