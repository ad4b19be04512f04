// src/commands/random-count.ts: the count argument of HRANDFIELD, SRANDMEMBER and ZRANDMEMBER
// (Redis 7.0 getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)) and its bound.
// Invariants:
// - A negative count past -RANDOM_REPLY_ELEMENTS_MAX is refused with Redis's out-of-range text
//   before anything is read: tskv builds a reply in memory, and a negative count asks for that
//   many elements whatever the aggregate's size (a positive one is capped by the size).
import { CommandError } from '../dispatch/errors.js';
import { parseInt64 } from './arguments.js';

export const LONG_MAX = 9223372036854775807n;
/** The most elements one random reply may hold (Redis streams them; tskv bounds the reply). */
export const RANDOM_REPLY_ELEMENTS_MAX = 16_000_000;

export const RANDOM_ERRORS = {
  outOfRange: 'ERR value is out of range',
  halfLongMax: LONG_MAX / 2n,
  range: `ERR value is out of range, value must between ${-LONG_MAX} and ${LONG_MAX}`,
} as const;

export function parseRandomCount(arg: Buffer): bigint {
  const count = parseInt64(arg);
  if (count < -LONG_MAX) throw new CommandError(RANDOM_ERRORS.range);
  if (count < -BigInt(RANDOM_REPLY_ELEMENTS_MAX)) throw new CommandError(RANDOM_ERRORS.outOfRange);
  return count;
}
