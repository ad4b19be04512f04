// src/commands/hashes.ts: the hash family (Redis 7.0 src/t_hash.c): HSET HSETNX HMSET HGET HMGET
// HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN. The
// element layout and the encoding rules are src/types/hash.ts's.
// Invariants:
// - Every check that can fail (arity, numbers, WRONGTYPE, the stored value's type) runs before
//   the first element is staged, so a refused command changes nothing.
// - A command that removes the last field deletes the key (keyspace.set with count 0).
// - Fields come out in hash order (Redis: insertion order for listpack, table order for
//   hashtable); HGETALL is a map in RESP3, HRANDFIELD WITHVALUES pairs in RESP3 and flat in RESP2.
// - Keyspace events as Redis's: hset (HSET HMSET HSETNX), hincrby, hincrbyfloat, hdel (then del
//   when the last field went).
import { INT64_MAX, INT64_MIN, NUMBER_ERRORS, formatLongDoubleHuman, parseInt64, parseLongDouble, string2ld, string2ll } from './arguments.js';
import { addFloats, LONG_DOUBLE } from '../types/binary-float.js';
import { CommandError, ERRORS, wrongArity } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { globMatch, REPLY } from '../../protocol/index.js';
import { HASH_ENCODING, HASH_KIND, getField, hashFields, newHash, putField, removeField } from '../types/hash.js';
import { distinctElements, elementsWithRepeats, scanElements, type HashedElement } from '../types/hashed-elements.js';
import { defineSpec, encodingLimits, readTyped, storeAggregate, writeTyped } from './key-access.js';
import { INVALID_CURSOR, encodeScanReply, parseScanCursor, parseScanOptions } from './scan.js';
import { parseRandomCount, RANDOM_ERRORS } from './random-count.js';
import { EVENT, notify } from '../dispatch/notify.js';

export const HASH_ERRORS = {
  notInteger: 'ERR hash value is not an integer',
  notFloat: 'ERR hash value is not a float',
  incrementNotFinite: 'ERR value is NaN or Infinity',
} as const;

function readHash(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  return readTyped(ctx, key, KEY_TYPE.hash);
}

/** hashTypeLookupWriteOrCreate: the key's hash (a copy to change), or a new one. */
function hashForWrite(ctx: CommandContext, key: Buffer): { before: KeyRecord | undefined; record: KeyRecord } {
  const before = writeTyped(ctx, key, KEY_TYPE.hash);
  return { before, record: before === undefined ? newHash(ctx.server.keyspace) : { ...before } };
}

function hset(ctx: CommandContext, args: Buffer[]): void {
  if (args.length % 2 === 1) throw new CommandError(wrongArity(args[0]!.toString('latin1').toLowerCase()));
  const key = args[1] as Buffer;
  const { before, record } = hashForWrite(ctx, key);
  const limits = encodingLimits(ctx);
  let created = 0;
  for (let index = 2; index < args.length; index += 2) {
    if (putField(ctx.server.keyspace, record, args[index] as Buffer, args[index + 1] as Buffer, limits)) created++;
  }
  storeAggregate(ctx, key, record, before);
  notify(ctx, EVENT.hash, 'hset', key);
  const name = args[0] as Buffer;
  if (name[1] === 0x73 || name[1] === 0x53) ctx.out.integer(created); // HSET; HMSET answers OK
  else ctx.out.raw(REPLY.ok);
}

function hsetnx(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const { before, record } = hashForWrite(ctx, key);
  if (before !== undefined && getField(ctx.server.keyspace, before, args[2] as Buffer) !== undefined) return ctx.out.raw(REPLY.zero);
  putField(ctx.server.keyspace, record, args[2] as Buffer, args[3] as Buffer, encodingLimits(ctx));
  storeAggregate(ctx, key, record, before);
  notify(ctx, EVENT.hash, 'hset', key);
  ctx.out.raw(REPLY.one);
}

function hget(ctx: CommandContext, args: Buffer[]): void {
  const record = readHash(ctx, args[1] as Buffer);
  const value = record === undefined ? undefined : getField(ctx.server.keyspace, record, args[2] as Buffer);
  if (value === undefined) ctx.out.nullBulk();
  else ctx.out.bulk(value);
}

function hmget(ctx: CommandContext, args: Buffer[]): void {
  const record = readHash(ctx, args[1] as Buffer);
  ctx.out.arrayHeader(args.length - 2);
  for (let index = 2; index < args.length; index++) {
    const value = record === undefined ? undefined : getField(ctx.server.keyspace, record, args[index] as Buffer);
    if (value === undefined) ctx.out.nullBulk();
    else ctx.out.bulk(value);
  }
}

function hdel(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const before = writeTyped(ctx, key, KEY_TYPE.hash);
  if (before === undefined) return ctx.out.raw(REPLY.zero);
  const record = { ...before };
  let deleted = 0;
  for (let index = 2; index < args.length && record.count > 0; index++) {
    if (removeField(ctx.server.keyspace, record, args[index] as Buffer)) deleted++;
  }
  if (deleted > 0) {
    storeAggregate(ctx, key, record, before);
    notify(ctx, EVENT.hash, 'hdel', key);
    if (record.count === 0) notify(ctx, EVENT.generic, 'del', key);
  }
  ctx.out.integer(deleted);
}

function hlen(ctx: CommandContext, args: Buffer[]): void {
  ctx.out.integer(readHash(ctx, args[1] as Buffer)?.count ?? 0);
}

function hstrlen(ctx: CommandContext, args: Buffer[]): void {
  const record = readHash(ctx, args[1] as Buffer);
  ctx.out.integer(record === undefined ? 0 : (getField(ctx.server.keyspace, record, args[2] as Buffer)?.length ?? 0));
}

function hexists(ctx: CommandContext, args: Buffer[]): void {
  const record = readHash(ctx, args[1] as Buffer);
  const found = record !== undefined && getField(ctx.server.keyspace, record, args[2] as Buffer) !== undefined;
  ctx.out.raw(found ? REPLY.one : REPLY.zero);
}

/** HKEYS, HVALS, HGETALL (genericHgetallCommand). */
function hgetall(ctx: CommandContext, args: Buffer[], keys: boolean, values: boolean): void {
  const record = readHash(ctx, args[1] as Buffer);
  const count = record?.count ?? 0;
  if (keys && values) ctx.out.mapHeader(count);
  else ctx.out.arrayHeader(count);
  if (record === undefined) return;
  let written = 0;
  for (const { part, value } of hashFields(ctx.server.keyspace, record)) {
    if (keys) ctx.out.bulk(part);
    if (values) ctx.out.bulk(value);
    written++;
  }
  if (written !== count) throw new Error(`hash holds ${written} fields, its metadata says ${count}`);
}

function hincrby(ctx: CommandContext, args: Buffer[]): void {
  const increment = parseInt64(args[3] as Buffer);
  const key = args[1] as Buffer;
  const field = args[2] as Buffer;
  const { before, record } = hashForWrite(ctx, key);
  const stored = before === undefined ? undefined : getField(ctx.server.keyspace, before, field);
  const value = stored === undefined ? 0n : string2ll(stored);
  if (value === undefined) throw new CommandError(HASH_ERRORS.notInteger);
  if ((increment < 0n && value < 0n && increment < INT64_MIN - value) || (increment > 0n && value > 0n && increment > INT64_MAX - value)) {
    throw new CommandError(NUMBER_ERRORS.overflow);
  }
  const result = value + increment;
  putField(ctx.server.keyspace, record, field, Buffer.from(result.toString(), 'latin1'), encodingLimits(ctx));
  storeAggregate(ctx, key, record, before);
  notify(ctx, EVENT.hash, 'hincrby', key);
  ctx.out.integer(result);
}

function hincrbyfloat(ctx: CommandContext, args: Buffer[]): void {
  const increment = parseLongDouble(args[3] as Buffer);
  if (increment.kind !== 'finite') throw new CommandError(HASH_ERRORS.incrementNotFinite);
  const key = args[1] as Buffer;
  const field = args[2] as Buffer;
  const { before, record } = hashForWrite(ctx, key);
  const stored = before === undefined ? undefined : getField(ctx.server.keyspace, before, field);
  let sum = increment; // 0 + increment
  if (stored !== undefined) {
    const value = string2ld(stored);
    if (value === undefined) throw new CommandError(HASH_ERRORS.notFloat);
    sum = addFloats(value, increment, LONG_DOUBLE);
  }
  if (sum.kind !== 'finite') throw new CommandError(NUMBER_ERRORS.nanOrInfinity);
  const text = Buffer.from(formatLongDoubleHuman(sum), 'latin1');
  putField(ctx.server.keyspace, record, field, text, encodingLimits(ctx));
  storeAggregate(ctx, key, record, before);
  notify(ctx, EVENT.hash, 'hincrbyfloat', key);
  ctx.out.bulk(text);
}

function writePair(ctx: CommandContext, element: HashedElement, withValues: boolean): void {
  if (withValues && ctx.client.protocol === 3) ctx.out.arrayHeader(2);
  ctx.out.bulk(element.part);
  if (withValues) ctx.out.bulk(element.value);
}

/** HRANDFIELD key [count [WITHVALUES]] (hrandfieldCommand, hrandfieldWithCountCommand). */
function hrandfield(ctx: CommandContext, args: Buffer[]): void {
  const { keyspace } = ctx.server;
  if (args.length === 2) {
    const record = readHash(ctx, args[1] as Buffer);
    // uniform: a hash of up to SAMPLE_READ_ALL_MAX fields is read whole, as for SRANDMEMBER
    const element = record === undefined ? undefined : elementsWithRepeats(keyspace, record.version, HASH_KIND.field, record.count, 1)[0];
    if (element === undefined) ctx.out.nullBulk();
    else ctx.out.bulk(element.part);
    return;
  }
  const count = parseRandomCount(args[2] as Buffer);
  if (args.length > 4 || (args.length === 4 && (args[3] as Buffer).toString('latin1').toLowerCase() !== 'withvalues')) throw new CommandError(ERRORS.syntax);
  const withValues = args.length === 4;
  if (withValues && (count < -RANDOM_ERRORS.halfLongMax || count > RANDOM_ERRORS.halfLongMax)) throw new CommandError(RANDOM_ERRORS.outOfRange);
  const record = readHash(ctx, args[1] as Buffer);
  if (record === undefined || count === 0n) return ctx.out.arrayHeader(0);
  const flat = withValues && ctx.client.protocol === 2;
  if (count < 0n || count === 1n) {
    const picks = elementsWithRepeats(keyspace, record.version, HASH_KIND.field, record.count, Number(count < 0n ? -count : count));
    ctx.out.arrayHeader(flat ? picks.length * 2 : picks.length);
    for (const element of picks) writePair(ctx, element, withValues);
    return;
  }
  const picks = count >= BigInt(record.count)
    ? [...hashFields(keyspace, record)]
    : distinctElements(keyspace, record.version, HASH_KIND.field, record.count, Number(count));
  ctx.out.arrayHeader(flat ? picks.length * 2 : picks.length);
  for (const element of picks) writePair(ctx, element, withValues);
}

/** HSCAN key cursor [MATCH pattern] [COUNT count]: a listpack hash comes whole, as in Redis. */
function hscan(ctx: CommandContext, args: Buffer[]): void {
  const cursor = parseScanCursor(args[2] as Buffer);
  if (cursor === undefined) throw new CommandError(INVALID_CURSOR);
  const record = readHash(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.raw(encodeScanReply(0n, []));
  const options = parseScanOptions(args, 3, false);
  const whole = record.encoding === HASH_ENCODING.listpack;
  const page = whole
    ? { next: 0n, items: [...hashFields(ctx.server.keyspace, record)] }
    : scanElements(ctx.server.keyspace, record.version, HASH_KIND.field, cursor, options.countHint);
  const flat: Buffer[] = [];
  for (const { part, value } of page.items) {
    if (options.pattern !== undefined && !globMatch(options.pattern, part)) continue;
    flat.push(part, value);
  }
  ctx.out.raw(encodeScanReply(page.next, flat));
}

const spec = defineSpec.bind(undefined, 'hash');
const ONE_KEY = [1, 1, 1] as const;

export const hashCommands: CommandSpec[] = [
  spec({ name: 'hset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Creates or modifies the value of a field in a hash.', since: '2.0.0', handler: hset }),
  spec({ name: 'hmset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Sets the values of multiple fields.', since: '2.0.0', handler: hset }),
  spec({ name: 'hsetnx', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Sets the value of a field in a hash only when the field doesn\'t exist.', since: '2.0.0', handler: hsetnx }),
  spec({ name: 'hget', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the value of a field in a hash.', since: '2.0.0', handler: hget }),
  spec({ name: 'hmget', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the values of all fields in a hash.', since: '2.0.0', handler: hmget }),
  spec({ name: 'hdel', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.', since: '2.0.0', handler: hdel }),
  spec({ name: 'hlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the number of fields in a hash.', since: '2.0.0', handler: hlen }),
  spec({ name: 'hstrlen', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the length of the value of a field.', since: '3.2.0', handler: hstrlen }),
  spec({ name: 'hexists', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Determines whether a field exists in a hash.', since: '2.0.0', handler: hexists }),
  spec({ name: 'hkeys', arity: 2, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns all fields in a hash.', since: '2.0.0', handler: (ctx, args) => hgetall(ctx, args, true, false) }),
  spec({ name: 'hvals', arity: 2, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns all values in a hash.', since: '2.0.0', handler: (ctx, args) => hgetall(ctx, args, false, true) }),
  spec({ name: 'hgetall', arity: 2, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns all fields and values in a hash.', since: '2.0.0', handler: (ctx, args) => hgetall(ctx, args, true, true) }),
  spec({ name: 'hincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn\'t exist.', since: '2.0.0', handler: hincrby }),
  spec({ name: 'hincrbyfloat', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn\'t exist.', since: '2.6.0', handler: hincrbyfloat }),
  spec({ name: 'hrandfield', arity: -2, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns one or more random fields from a hash.', since: '6.2.0', handler: hrandfield }),
  spec({ name: 'hscan', arity: -3, flags: ['readonly'], keys: ONE_KEY, summary: 'Iterates over fields and values of a hash.', since: '2.8.0', handler: hscan }),
];
