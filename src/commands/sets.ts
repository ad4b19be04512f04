// src/commands/sets.ts: the set family (Redis 7.0 src/t_set.c, encodings as 7.2): SADD SREM SCARD
// SISMEMBER SMISMEMBER SMEMBERS SPOP SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION
// SUNIONSTORE SDIFF SDIFFSTORE SSCAN. The element layout and the encoding rules are
// src/types/set.ts's.
// The algebra (SINTER, SUNION, SDIFF and their *STORE encodings) is src/types/set-algebra.ts's.
// Invariants:
// - Every check that can fail (arity, numbers, options, WRONGTYPE of every key a command reads)
//   runs before the first element is staged, so a refused command changes nothing. A *STORE
//   destination is replaced whatever its type; an empty result deletes it and answers 0.
// - A command that removes the last member deletes the key (keyspace.set with count 0).
// - Work is bounded by the sets' sizes (set-algebra.ts); SPOP reads the set whole at most once.
// - Members come out in hash order. SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count are
//   sets in RESP3 (`~`), SRANDMEMBER with a count and SMISMEMBER arrays.
// - Keyspace events as Redis's: sadd, srem, spop (then del when the last member went),
//   sinterstore / sunionstore / sdiffstore, or del when an empty result removed the destination.
import { isWord, parseInt64 } from './arguments.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { globMatch, REPLY } from '../../protocol/index.js';
import { allElements, distinctElements, elementsWithRepeats, pickDistinct, scanElements } from '../types/hashed-elements.js';
import {
  SET_ENCODING, SET_KIND, SetEncodingTracker, addMember, convertForHint, createSet, isMember, removeKnownMember, removeMember, setMembers,
  setWithMembers,
} from '../types/set.js';
import { builtEncoding, differenceOfSets, intersectSets, intersectionEncoding, unionSets } from '../types/set-algebra.js';
import { checkType, defineSpec, encodingLimits, readTyped, storeAggregate, writeKey, writeTyped } from './key-access.js';
import { parseRandomCount } from './random-count.js';
import { INVALID_CURSOR, encodeScanReply, parseScanCursor, parseScanOptions } from './scan.js';
import { EVENT, notify } from '../dispatch/notify.js';

export const SET_ERRORS = {
  popCount: 'ERR value is out of range, must be positive',
  numkeys: 'ERR numkeys should be greater than 0',
  numkeysPastArgs: "ERR Number of keys can't be greater than number of args",
  limitNegative: "ERR LIMIT can't be negative",
} as const;

/** SPOP_MOVE_STRATEGY_MUL: past size / (1 + this) left, SPOP rebuilds the set from what stays. */
const SPOP_REBUILD_RATIO = 5;

function readSet(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  return readTyped(ctx, key, KEY_TYPE.set);
}

/** addReplySetLen + the members. */
function replyMembers(ctx: CommandContext, members: readonly Buffer[]): void {
  ctx.out.setHeader(members.length);
  for (const member of members) ctx.out.bulk(member);
}

function sadd(ctx: CommandContext, args: Buffer[]): void {
  const { keyspace } = ctx.server;
  const key = args[1] as Buffer;
  const limits = encodingLimits(ctx);
  const before = writeTyped(ctx, key, KEY_TYPE.set);
  const sizeHint = args.length - 2;
  const record = before === undefined ? createSet(keyspace, args[2] as Buffer, sizeHint, limits) : { ...before };
  if (before !== undefined) convertForHint(record, sizeHint, limits);
  let added = 0;
  for (let index = 2; index < args.length; index++) {
    if (addMember(keyspace, record, args[index] as Buffer, limits)) added++;
  }
  if (added > 0 || record.encoding !== before?.encoding) storeAggregate(ctx, key, record, before);
  if (added > 0) notify(ctx, EVENT.set, 'sadd', key);
  ctx.out.integer(added);
}

function srem(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const before = writeTyped(ctx, key, KEY_TYPE.set);
  if (before === undefined) return ctx.out.raw(REPLY.zero);
  const record = { ...before };
  let removed = 0;
  for (let index = 2; index < args.length && record.count > 0; index++) {
    if (removeMember(ctx.server.keyspace, record, args[index] as Buffer)) removed++;
  }
  if (removed > 0) {
    storeAggregate(ctx, key, record, before);
    notify(ctx, EVENT.set, 'srem', key);
    if (record.count === 0) notify(ctx, EVENT.generic, 'del', key);
  }
  ctx.out.integer(removed);
}

/** SMOVE source destination member (smoveCommand's order of checks). */
function smove(ctx: CommandContext, args: Buffer[]): void {
  const { keyspace } = ctx.server;
  const source = args[1] as Buffer;
  const target = args[2] as Buffer;
  const member = args[3] as Buffer;
  const sourceBefore = writeKey(ctx, source);
  const targetBefore = writeKey(ctx, target);
  if (sourceBefore === undefined) return ctx.out.raw(REPLY.zero);
  checkType(sourceBefore, KEY_TYPE.set);
  checkType(targetBefore, KEY_TYPE.set);
  if (source.equals(target)) return ctx.out.raw(isMember(keyspace, sourceBefore, member) ? REPLY.one : REPLY.zero);
  const sourceRecord = { ...sourceBefore };
  if (!removeMember(keyspace, sourceRecord, member)) return ctx.out.raw(REPLY.zero);
  storeAggregate(ctx, source, sourceRecord, sourceBefore);
  notify(ctx, EVENT.set, 'srem', source);
  if (sourceRecord.count === 0) notify(ctx, EVENT.generic, 'del', source);
  const limits = encodingLimits(ctx);
  const targetRecord = targetBefore === undefined ? createSet(keyspace, member, 1, limits) : { ...targetBefore };
  if (addMember(keyspace, targetRecord, member, limits)) {
    storeAggregate(ctx, target, targetRecord, targetBefore);
    notify(ctx, EVENT.set, 'sadd', target);
  }
  ctx.out.raw(REPLY.one);
}

function sismember(ctx: CommandContext, args: Buffer[]): void {
  const record = readSet(ctx, args[1] as Buffer);
  ctx.out.raw(record !== undefined && isMember(ctx.server.keyspace, record, args[2] as Buffer) ? REPLY.one : REPLY.zero);
}

function smismember(ctx: CommandContext, args: Buffer[]): void {
  const record = readSet(ctx, args[1] as Buffer);
  ctx.out.arrayHeader(args.length - 2);
  for (let index = 2; index < args.length; index++) {
    ctx.out.raw(record !== undefined && isMember(ctx.server.keyspace, record, args[index] as Buffer) ? REPLY.one : REPLY.zero);
  }
}

function scard(ctx: CommandContext, args: Buffer[]): void {
  ctx.out.integer(readSet(ctx, args[1] as Buffer)?.count ?? 0);
}

function smembers(ctx: CommandContext, args: Buffer[]): void {
  const record = readSet(ctx, args[1] as Buffer);
  const count = record?.count ?? 0;
  ctx.out.setHeader(count);
  if (record === undefined) return;
  let written = 0;
  for (const member of setMembers(ctx.server.keyspace, record)) {
    ctx.out.bulk(member);
    written++;
  }
  if (written !== count) throw new Error(`set holds ${written} members, its metadata says ${count}`);
}

/** One uniformly random member of a non-empty set (exact below SAMPLE_READ_ALL_MAX members). */
function randomMember(ctx: CommandContext, record: KeyRecord): Buffer {
  const picked = elementsWithRepeats(ctx.server.keyspace, record.version, SET_KIND.member, record.count, 1)[0];
  if (picked === undefined) throw new Error(`set of ${record.count} members has none to pick`);
  return picked.part;
}

function spop(ctx: CommandContext, args: Buffer[]): void {
  if (args.length > 3) throw new CommandError(ERRORS.syntax);
  if (args.length === 3) return spopWithCount(ctx, args);
  const key = args[1] as Buffer;
  const before = writeTyped(ctx, key, KEY_TYPE.set);
  if (before === undefined) return ctx.out.nullBulk();
  const member = randomMember(ctx, before);
  const record = { ...before };
  removeKnownMember(ctx.server.keyspace, record, member);
  storeAggregate(ctx, key, record, before);
  notify(ctx, EVENT.set, 'spop', key);
  if (record.count === 0) notify(ctx, EVENT.generic, 'del', key);
  ctx.out.bulk(member);
}

/** spopWithCountCommand: the whole set, or count random members popped (CASE 2), or the set rebuilt from those left (CASE 3). */
function spopWithCount(ctx: CommandContext, args: Buffer[]): void {
  const count = parseInt64(args[2] as Buffer, SET_ERRORS.popCount);
  if (count < 0n) throw new CommandError(SET_ERRORS.popCount);
  const { keyspace } = ctx.server;
  const key = args[1] as Buffer;
  const before = writeTyped(ctx, key, KEY_TYPE.set);
  if (before === undefined || count === 0n) return ctx.out.setHeader(0);
  notify(ctx, EVENT.set, 'spop', key);
  if (count >= BigInt(before.count)) {
    const members = [...setMembers(keyspace, before)];
    keyspace.delete(ctx.client.db, key);
    notify(ctx, EVENT.generic, 'del', key);
    return replyMembers(ctx, members);
  }
  const popCount = Number(count);
  const keptCount = before.count - popCount;
  const record = { ...before };
  let popped: Buffer[];
  if (keptCount * SPOP_REBUILD_RATIO > popCount) {
    popped = distinctElements(keyspace, before.version, SET_KIND.member, before.count, popCount).map((element) => element.part);
  } else {
    const all = allElements(keyspace, before.version, SET_KIND.member);
    pickDistinct(all, popCount); // the popped first, then the members left
    popped = all.slice(0, popCount).map((element) => element.part);
    if (record.encoding === SET_ENCODING.hashtable) { // Redis 7.2 refills a listpack with the members left
      const tracker = new SetEncodingTracker(encodingLimits(ctx), SET_ENCODING.listpack);
      for (let index = popCount; index < all.length; index++) tracker.add(all[index]!.part);
      record.encoding = tracker.encoding;
    }
  }
  for (const member of popped) removeKnownMember(keyspace, record, member);
  storeAggregate(ctx, key, record, before);
  replyMembers(ctx, popped);
}

/** SRANDMEMBER key [count] (srandmemberCommand, srandmemberWithCountCommand). */
function srandmember(ctx: CommandContext, args: Buffer[]): void {
  if (args.length > 3) throw new CommandError(ERRORS.syntax);
  const { keyspace } = ctx.server;
  if (args.length === 2) {
    const record = readSet(ctx, args[1] as Buffer);
    if (record === undefined) return ctx.out.nullBulk();
    return ctx.out.bulk(randomMember(ctx, record));
  }
  const count = parseRandomCount(args[2] as Buffer);
  const record = readSet(ctx, args[1] as Buffer);
  if (record === undefined || count === 0n) return ctx.out.arrayHeader(0);
  let picks: Buffer[];
  if (count < 0n || count === 1n) {
    picks = elementsWithRepeats(keyspace, record.version, SET_KIND.member, record.count, Number(count < 0n ? -count : count)).map((element) => element.part);
  } else if (count >= BigInt(record.count)) {
    picks = [...setMembers(keyspace, record)];
  } else {
    picks = distinctElements(keyspace, record.version, SET_KIND.member, record.count, Number(count)).map((element) => element.part);
  }
  ctx.out.arrayHeader(picks.length);
  for (const member of picks) ctx.out.bulk(member);
}

/** Every key's set (undefined = missing), WRONGTYPE for any key of another type. */
function readSets(ctx: CommandContext, keys: readonly Buffer[]): Array<KeyRecord | undefined> {
  return keys.map((key) => readSet(ctx, key));
}

/** Writes a *STORE result: the members under a new version, or the destination deleted. */
function storeResult(ctx: CommandContext, target: Buffer, members: readonly Buffer[], encoding: number, event: string): void {
  const { keyspace } = ctx.server;
  if (members.length === 0) {
    if (keyspace.delete(ctx.client.db, target)) notify(ctx, EVENT.generic, 'del', target);
    return ctx.out.raw(REPLY.zero);
  }
  keyspace.set(ctx.client.db, target, setWithMembers(keyspace, members, encoding));
  notify(ctx, EVENT.set, event, target);
  ctx.out.integer(members.length);
}

function sinter(ctx: CommandContext, args: Buffer[]): void {
  replyMembers(ctx, intersectSets(ctx.server.keyspace, readSets(ctx, args.slice(1)), 0).members);
}

function sinterstore(ctx: CommandContext, args: Buffer[]): void {
  const { members, smallest } = intersectSets(ctx.server.keyspace, readSets(ctx, args.slice(2)), 0);
  const encoding = smallest === undefined ? SET_ENCODING.intset : intersectionEncoding(smallest, members, encodingLimits(ctx));
  storeResult(ctx, args[1] as Buffer, members, encoding, 'sinterstore');
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] (sinterCardCommand). */
function sintercard(ctx: CommandContext, args: Buffer[]): void {
  const numkeys = parseInt64(args[1] as Buffer, SET_ERRORS.numkeys);
  if (numkeys < 1n) throw new CommandError(SET_ERRORS.numkeys);
  if (numkeys > BigInt(args.length - 2)) throw new CommandError(SET_ERRORS.numkeysPastArgs);
  const keysEnd = 2 + Number(numkeys);
  let limit = 0n;
  for (let index = keysEnd; index < args.length; index++) {
    if (isWord(args[index], 'limit') && index + 1 < args.length) {
      limit = parseInt64(args[++index] as Buffer, SET_ERRORS.limitNegative);
      if (limit < 0n) throw new CommandError(SET_ERRORS.limitNegative);
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  const cap = limit > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(limit);
  ctx.out.integer(intersectSets(ctx.server.keyspace, readSets(ctx, args.slice(2, keysEnd)), cap).members.length);
}

function sunion(ctx: CommandContext, args: Buffer[]): void {
  replyMembers(ctx, unionSets(ctx.server.keyspace, readSets(ctx, args.slice(1))));
}

function sunionstore(ctx: CommandContext, args: Buffer[]): void {
  const members = unionSets(ctx.server.keyspace, readSets(ctx, args.slice(2)));
  storeResult(ctx, args[1] as Buffer, members, builtEncoding(members, encodingLimits(ctx)), 'sunionstore');
}

function sdiff(ctx: CommandContext, args: Buffer[]): void {
  replyMembers(ctx, differenceOfSets(ctx.server.keyspace, readSets(ctx, args.slice(1))).members);
}

function sdiffstore(ctx: CommandContext, args: Buffer[]): void {
  const { members, addedFirst } = differenceOfSets(ctx.server.keyspace, readSets(ctx, args.slice(2)));
  storeResult(ctx, args[1] as Buffer, members, builtEncoding(addedFirst ?? members, encodingLimits(ctx)), 'sdiffstore');
}

/** SSCAN key cursor [MATCH pattern] [COUNT count]: an intset or listpack set comes whole, as in Redis. */
function sscan(ctx: CommandContext, args: Buffer[]): void {
  const cursor = parseScanCursor(args[2] as Buffer);
  if (cursor === undefined) throw new CommandError(INVALID_CURSOR);
  const record = readSet(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.raw(encodeScanReply(0n, []));
  const options = parseScanOptions(args, 3, false);
  const { keyspace } = ctx.server;
  const page = record.encoding === SET_ENCODING.hashtable
    ? scanElements(keyspace, record.version, SET_KIND.member, cursor, options.countHint)
    : { next: 0n, items: allElements(keyspace, record.version, SET_KIND.member) };
  const members: Buffer[] = [];
  for (const { part } of page.items) {
    if (options.pattern === undefined || globMatch(options.pattern, part)) members.push(part);
  }
  ctx.out.raw(encodeScanReply(page.next, members));
}

/**
 * SINTERCARD's keys, as Redis 7.0 finds them (its keynum key spec, falling back to
 * sintercardGetKeys, which reads numkeys with atoi): numkeys keys from position 2, or none when
 * numkeys is below 1 or past the arguments.
 */
export function sintercardKeyPositions(args: readonly Buffer[]): number[] {
  const numkeys = Number.parseInt(args[1]?.toString('latin1') ?? '', 10);
  if (!Number.isSafeInteger(numkeys) || numkeys < 1 || numkeys > args.length - 2) return [];
  return Array.from({ length: numkeys }, (_, index) => 2 + index);
}

const spec = defineSpec.bind(undefined, 'set');
const ONE_KEY = [1, 1, 1] as const;
const ALL_KEYS = [1, -1, 1] as const;
const STORE_KEYS = [1, -1, 1] as const;

export const setCommands: CommandSpec[] = [
  spec({ name: 'sadd', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Add one or more members to a set', since: '1.0.0', handler: sadd }),
  spec({ name: 'srem', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Remove one or more members from a set', since: '1.0.0', handler: srem }),
  spec({ name: 'scard', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Get the number of members in a set', since: '1.0.0', handler: scard }),
  spec({ name: 'sismember', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Determine if a given value is a member of a set', since: '1.0.0', handler: sismember }),
  spec({ name: 'smismember', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the membership associated with the given elements for a set', since: '6.2.0', handler: smismember }),
  spec({ name: 'smembers', arity: 2, flags: ['readonly'], keys: ONE_KEY, summary: 'Get all the members in a set', since: '1.0.0', handler: smembers }),
  spec({ name: 'spop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Remove and return one or multiple random members from a set', since: '1.0.0', handler: spop }),
  spec({ name: 'srandmember', arity: -2, flags: ['readonly'], keys: ONE_KEY, summary: 'Get one or multiple random members from a set', since: '1.0.0', handler: srandmember }),
  spec({ name: 'smove', arity: 4, flags: ['write', 'fast'], keys: [1, 2, 1], summary: 'Move a member from one set to another', since: '1.0.0', handler: smove }),
  spec({ name: 'sinter', arity: -2, flags: ['readonly'], keys: ALL_KEYS, summary: 'Intersect multiple sets', since: '1.0.0', handler: sinter }),
  spec({ name: 'sintercard', arity: -3, flags: ['readonly'], keys: [0, 0, 0], keyPositions: sintercardKeyPositions, summary: 'Intersect multiple sets and return the cardinality of the result', since: '7.0.0', handler: sintercard }),
  spec({ name: 'sinterstore', arity: -3, flags: ['write', 'denyoom'], keys: STORE_KEYS, summary: 'Intersect multiple sets and store the resulting set in a key', since: '1.0.0', handler: sinterstore }),
  spec({ name: 'sunion', arity: -2, flags: ['readonly'], keys: ALL_KEYS, summary: 'Add multiple sets', since: '1.0.0', handler: sunion }),
  spec({ name: 'sunionstore', arity: -3, flags: ['write', 'denyoom'], keys: STORE_KEYS, summary: 'Add multiple sets and store the resulting set in a key', since: '1.0.0', handler: sunionstore }),
  spec({ name: 'sdiff', arity: -2, flags: ['readonly'], keys: ALL_KEYS, summary: 'Subtract multiple sets', since: '1.0.0', handler: sdiff }),
  spec({ name: 'sdiffstore', arity: -3, flags: ['write', 'denyoom'], keys: STORE_KEYS, summary: 'Subtract multiple sets and store the resulting set in a key', since: '1.0.0', handler: sdiffstore }),
  spec({ name: 'sscan', arity: -3, flags: ['readonly'], keys: ONE_KEY, summary: 'Incrementally iterate Set elements', since: '2.8.0', handler: sscan }),
];
