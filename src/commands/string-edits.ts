// src/commands/string-edits.ts: the string commands that read, compute and write back (Redis 7.0
// src/t_string.c): INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, APPEND, STRLEN, GETRANGE, SUBSTR,
// SETRANGE.
// Invariants:
// - A read-modify-write keeps the key's TTL (Redis's dbReplaceValue / in-place edits).
// - Integers follow string2ll (so " 1" or "01" is not an integer) and 64-bit overflow is an error;
//   INCRBYFLOAT computes in x87 long double and stores ld2string's human form, like Redis on x86-64.
// - Keyspace events as Redis's: incrby (INCR DECR INCRBY DECRBY), incrbyfloat, append, setrange.
import {
  INT64_MAX, INT64_MIN, NUMBER_ERRORS, formatLongDoubleHuman, parseInt64, parseInteger, parseLongDouble, string2ll,
} from './arguments.js';
import { addFloats, FLOAT_ZERO, LONG_DOUBLE } from '../types/binary-float.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { REPLY } from '../../protocol/index.js';
import { STRING_ENCODING } from '../types/string.js';
import { KEY_ERRORS, checkStringLength, defineSpec, putString, readString, writeString } from './key-access.js';
import { EVENT, notify } from '../dispatch/notify.js';

const EMPTY = Buffer.alloc(0);

/** incrDecrCommand. */
function incrDecr(ctx: CommandContext, key: Buffer, increment: bigint): void {
  const record = writeString(ctx, key);
  const value = record === undefined ? 0n : string2ll(record.payload);
  if (value === undefined) throw new CommandError(ERRORS.notInteger);
  if ((increment < 0n && value < 0n && increment < INT64_MIN - value) || (increment > 0n && value > 0n && increment > INT64_MAX - value)) {
    throw new CommandError(NUMBER_ERRORS.overflow);
  }
  const result = value + increment;
  putString(ctx, key, Buffer.from(result.toString(), 'latin1'), record?.expireAtMs ?? 0);
  notify(ctx, EVENT.string, 'incrby', key);
  ctx.out.integer(result);
}

function decrby(ctx: CommandContext, args: Buffer[]): void {
  const decrement = parseInt64(args[2] as Buffer);
  if (decrement === INT64_MIN) throw new CommandError(NUMBER_ERRORS.decrementOverflow);
  incrDecr(ctx, args[1] as Buffer, -decrement);
}

function incrbyfloat(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const record = writeString(ctx, key);
  const value = record === undefined ? FLOAT_ZERO : parseLongDouble(record.payload);
  const increment = parseLongDouble(args[2] as Buffer);
  const sum = addFloats(value, increment, LONG_DOUBLE);
  if (sum.kind !== 'finite') throw new CommandError(NUMBER_ERRORS.nanOrInfinity);
  const text = Buffer.from(formatLongDoubleHuman(sum), 'latin1');
  putString(ctx, key, text, record?.expireAtMs ?? 0);
  notify(ctx, EVENT.string, 'incrbyfloat', key);
  ctx.out.bulk(text);
}

function append(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const suffix = args[2] as Buffer;
  const record = writeString(ctx, key);
  if (record === undefined) {
    putString(ctx, key, suffix, 0);
    notify(ctx, EVENT.string, 'append', key);
    return ctx.out.integer(suffix.length);
  }
  checkStringLength(ctx, record.payload.length, suffix.length);
  const payload = Buffer.concat([record.payload, suffix]);
  putString(ctx, key, payload, record.expireAtMs, STRING_ENCODING.raw); // dbUnshareStringValue
  notify(ctx, EVENT.string, 'append', key);
  ctx.out.integer(payload.length);
}

function getrange(ctx: CommandContext, args: Buffer[]): void {
  let start = parseInteger(args[2] as Buffer);
  let end = parseInteger(args[3] as Buffer);
  const record = readString(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.raw(REPLY.emptyBulk);
  const length = record.payload.length;
  if (start < 0 && end < 0 && start > end) return ctx.out.raw(REPLY.emptyBulk);
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return ctx.out.raw(REPLY.emptyBulk);
  ctx.out.bulk(record.payload.subarray(start, end + 1));
}

function setrange(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const offset = parseInteger(args[2] as Buffer);
  const value = args[3] as Buffer;
  if (offset < 0) throw new CommandError(KEY_ERRORS.offsetOutOfRange);
  const record = writeString(ctx, key);
  const old = record?.payload ?? EMPTY;
  if (value.length === 0) return ctx.out.integer(old.length);
  checkStringLength(ctx, offset, value.length);
  const payload = Buffer.alloc(Math.max(old.length, offset + value.length));
  old.copy(payload, 0);
  value.copy(payload, offset);
  putString(ctx, key, payload, record?.expireAtMs ?? 0, STRING_ENCODING.raw); // dbUnshareStringValue, or a new raw sds
  notify(ctx, EVENT.string, 'setrange', key);
  ctx.out.integer(payload.length);
}

const spec = defineSpec.bind(undefined, 'string');
const ONE_KEY = [1, 1, 1] as const;
const WRITE_FAST = ['write', 'denyoom', 'fast'] as const;

export const stringEditCommands: CommandSpec[] = [
  spec({ name: 'incr', arity: 2, flags: WRITE_FAST, keys: ONE_KEY, summary: 'Increments the integer value of a key by one. Uses 0 as initial value if the key doesn\'t exist.', since: '1.0.0', handler: (ctx, args) => incrDecr(ctx, args[1] as Buffer, 1n) }),
  spec({ name: 'decr', arity: 2, flags: WRITE_FAST, keys: ONE_KEY, summary: 'Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn\'t exist.', since: '1.0.0', handler: (ctx, args) => incrDecr(ctx, args[1] as Buffer, -1n) }),
  spec({ name: 'incrby', arity: 3, flags: WRITE_FAST, keys: ONE_KEY, summary: 'Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn\'t exist.', since: '1.0.0', handler: (ctx, args) => incrDecr(ctx, args[1] as Buffer, parseInt64(args[2] as Buffer)) }),
  spec({ name: 'decrby', arity: 3, flags: WRITE_FAST, keys: ONE_KEY, summary: 'Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn\'t exist.', since: '1.0.0', handler: decrby }),
  spec({ name: 'incrbyfloat', arity: 3, flags: WRITE_FAST, keys: ONE_KEY, summary: 'Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn\'t exist.', since: '2.6.0', handler: incrbyfloat }),
  spec({ name: 'append', arity: 3, flags: WRITE_FAST, keys: ONE_KEY, summary: 'Appends a string to the value of a key. Creates the key if it doesn\'t exist.', since: '2.0.0', handler: append }),
  spec({
    name: 'strlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the length of a string value.', since: '2.2.0',
    handler: (ctx, args) => ctx.out.integer(readString(ctx, args[1] as Buffer)?.payload.length ?? 0),
  }),
  spec({ name: 'getrange', arity: 4, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns a substring of the string stored at a key.', since: '2.4.0', handler: getrange }),
  spec({ name: 'substr', arity: 4, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns a substring from a string value.', since: '1.0.0', handler: getrange }),
  spec({ name: 'setrange', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, summary: 'Overwrites a part of a string value with another by an offset. Creates the key if it doesn\'t exist.', since: '2.2.0', handler: setrange }),
];
