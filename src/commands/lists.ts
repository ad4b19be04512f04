// src/commands/lists.ts: the list family (Redis 7.0 src/t_list.c; encodings as 7.2): LPUSH RPUSH
// LPUSHX RPUSHX LINSERT LLEN LINDEX LSET LRANGE LTRIM LPOP RPOP LREM LPOS LMOVE RPOPLPUSH LMPOP,
// and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP over dispatch/blocking.ts. The element
// layout, the costs and the encoding rules are src/types/list.ts's.
// Invariants:
// - Checks run in Redis's order (argument parsing, lookup, WRONGTYPE, then more parsing where
//   Redis parses late) and all before the first element is staged, so a refused command changes
//   nothing; a command that removes the last element deletes the key.
// - A blocking command that finds an element behaves as its non-blocking twin; one that finds
//   none blocks, unless inside EXEC (mayBlock): then it answers as on a timeout at once, a null
//   array (BLMOVE / BRPOPLPUSH: a null bulk, as Redis). Served later, it runs again (blocking.ts).
// - Each write publishes t_list.c's keyspace events (notify.ts) in its order: LMOVE the push's
//   event on the target, then the pop's on the source, then 'del' if the source was emptied.
// - LINSERT, LREM and LTRIM refuse, staging nothing, a change that would stage more than
//   limits.listBatchBytesMax bytes (one command is one WAL record).
import { CommandError, ERRORS, wrongArity } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { blockClient, mayBlock } from '../dispatch/blocking.js';
import { EVENT, notify } from '../dispatch/notify.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { REPLY } from '../../protocol/index.js';
import {
  backwardElements, elementAt, elementsBetween, elementViewsBetween, forwardElements, growEncoding, indexSpaceLeft, insertAt, listLength, listRecord, matchPositions, newListState,
  popElements, pushElement, readListState, removePositions, setElement, shrinkEncoding, trimList, type ListEnd, type ListState,
} from '../types/list.js';
import { dropListEnds, listEndElement } from '../types/list-end-cache.js';
import { limits } from '../ops/config.js';
import { INT64_MAX, isWord, parseBlockingTimeout, parseInt64, string2ll } from './arguments.js';
import { defineSpec, readTyped, writeTyped } from './key-access.js';

export const LIST_ERRORS = {
  noSuchKey: 'ERR no such key',
  indexOutOfRange: 'ERR index out of range',
  mustBePositive: 'ERR value is out of range, must be positive',
  rankZero: "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  rankRange: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
  countNegative: "ERR COUNT can't be negative",
  maxlenNegative: "ERR MAXLEN can't be negative",
  numkeys: 'ERR numkeys should be greater than 0',
  count: 'ERR count should be greater than 0',
  batchTooLarge: `ERR the list change would write more than ${limits.listBatchBytesMax} bytes in one command`,
  indexSpace: 'ERR the list has no index space left at that end',
} as const;

// ---- access ---------------------------------------------------------------------------------------

function readList(ctx: CommandContext, key: Buffer): ListState | undefined {
  const record = readTyped(ctx, key, KEY_TYPE.list);
  return record === undefined ? undefined : readListState(record);
}

function writeList(ctx: CommandContext, key: Buffer): { before: KeyRecord | undefined; state: ListState | undefined } {
  const before = writeTyped(ctx, key, KEY_TYPE.list);
  return { before, state: before === undefined ? undefined : readListState(before) };
}

/** Stores the list's metadata when it changed (an emptied list is deleted), else tells WATCH only. */
function storeList(ctx: CommandContext, key: Buffer, state: ListState, before: KeyRecord | undefined): void {
  const record = listRecord(state);
  const same = before !== undefined && before.version === record.version && before.count === record.count &&
    before.encoding === record.encoding && before.payload.equals(record.payload);
  if (same) ctx.server.keyspace.touch(ctx.client.db, key);
  else ctx.server.keyspace.set(ctx.client.db, key, record);
}

function fill(ctx: CommandContext): number {
  return ctx.server.config.listMaxListpackSize;
}

/** getListPositionFromObjectOrReply: LEFT is the head, RIGHT the tail. */
function parseEnd(arg: Buffer): ListEnd {
  if (isWord(arg, 'left')) return 'head';
  if (isWord(arg, 'right')) return 'tail';
  throw new CommandError(ERRORS.syntax);
}

/** getLongFromObjectOrReply, as a number (indexes past 2^53 lose precision but not their side of any list length). */
function parseLong(arg: Buffer, message?: string): number {
  return Number(parseInt64(arg, message));
}

/** getRangeLongFromObjectOrReply(min, LONG_MAX, message): the message for a non-integer too. */
function parseAtLeast(arg: Buffer, min: bigint, message: string): number {
  const value = string2ll(arg);
  if (value === undefined || value < min) throw new CommandError(message);
  return Number(value);
}

/** Stages elements pushed at one end (Redis pushes them one by one, so LPUSH reverses them). */
function pushAll(ctx: CommandContext, state: ListState, end: ListEnd, elements: readonly Buffer[]): void {
  if (!indexSpaceLeft(state, end, elements.length)) throw new CommandError(LIST_ERRORS.indexSpace);
  let rawBytes = 0;
  for (const element of elements) rawBytes += element.length;
  growEncoding(state, fill(ctx), rawBytes, elements.length);
  for (const element of elements) pushElement(ctx.server.keyspace, state, end, element);
}

// ---- pushes, reads, edits -------------------------------------------------------------------------

/** LPUSH / RPUSH / LPUSHX / RPUSHX (pushGenericCommand). */
function push(ctx: CommandContext, args: Buffer[], end: ListEnd, onlyExisting: boolean): void {
  const key = args[1] as Buffer;
  const { before, state: found } = writeList(ctx, key);
  if (found === undefined && onlyExisting) return ctx.out.raw(REPLY.zero);
  const state = found ?? newListState(ctx.server.keyspace);
  pushAll(ctx, state, end, args.slice(2));
  storeList(ctx, key, state, before);
  notify(ctx, EVENT.list, end === 'head' ? 'lpush' : 'rpush', key);
  ctx.out.integer(listLength(state));
}

/** LINSERT key BEFORE|AFTER pivot element. */
function linsert(ctx: CommandContext, args: Buffer[]): void {
  const where = args[2] as Buffer;
  let after: boolean;
  if (isWord(where, 'after')) after = true;
  else if (isWord(where, 'before')) after = false;
  else throw new CommandError(ERRORS.syntax);
  const key = args[1] as Buffer;
  const { before, state } = writeList(ctx, key);
  if (state === undefined) return ctx.out.raw(REPLY.zero);
  const element = args[4] as Buffer;
  growEncoding(state, fill(ctx), element.length, 1); // Redis 7.2 converts before it looks for the pivot
  const { keyspace } = ctx.server;
  const [pivot] = matchPositions(keyspace, state, args[3] as Buffer, false, 1);
  if (pivot === undefined) {
    storeList(ctx, key, state, before);
    return ctx.out.integer(-1);
  }
  if (insertAt(keyspace, state, after ? pivot + 1 : pivot, element, limits.listBatchBytesMax) === undefined) throw new CommandError(LIST_ERRORS.batchTooLarge);
  storeList(ctx, key, state, before);
  notify(ctx, EVENT.list, 'linsert', key);
  ctx.out.integer(listLength(state));
}

function llen(ctx: CommandContext, args: Buffer[]): void {
  ctx.out.integer(readTyped(ctx, args[1] as Buffer, KEY_TYPE.list)?.count ?? 0);
}

/** The position of a LINDEX / LSET index, or -1 outside the list. */
function positionOf(state: ListState, index: number): number {
  const length = listLength(state);
  const position = index < 0 ? length + index : index;
  return position >= 0 && position < length ? position : -1;
}

/** LINDEX key index: the key is looked up before the index is parsed, as in Redis. */
function lindex(ctx: CommandContext, args: Buffer[]): void {
  const state = readList(ctx, args[1] as Buffer);
  if (state === undefined) return ctx.out.nullBulk();
  const position = positionOf(state, parseLong(args[2] as Buffer));
  if (position < 0) return ctx.out.nullBulk();
  ctx.out.bulk(elementAt(ctx.server.keyspace, state, position));
}

/** LSET key index element. */
function lset(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const { before, state } = writeList(ctx, key);
  if (state === undefined) throw new CommandError(LIST_ERRORS.noSuchKey);
  const position = positionOf(state, parseLong(args[2] as Buffer));
  if (position < 0) throw new CommandError(LIST_ERRORS.indexOutOfRange);
  const element = args[3] as Buffer;
  growEncoding(state, fill(ctx), element.length, 1);
  setElement(ctx.server.keyspace, state, position, element);
  shrinkEncoding(state, fill(ctx));
  storeList(ctx, key, state, before);
  notify(ctx, EVENT.list, 'lset', key);
  ctx.out.raw(REPLY.ok);
}

/** A start .. end range (negative from the tail) clamped to the list, as addListRangeReply; undefined if empty. */
function clampRange(length: number, startIndex: number, endIndex: number): { from: number; to: number } | undefined {
  let start = startIndex < 0 ? length + startIndex : startIndex;
  let end = endIndex < 0 ? length + endIndex : endIndex;
  if (start < 0) start = 0;
  if (start > end || start >= length) return undefined;
  if (end >= length) end = length - 1;
  return { from: start, to: end };
}

/** LRANGE key start stop: the indexes are parsed before the lookup, as in Redis. */
function lrange(ctx: CommandContext, args: Buffer[]): void {
  const start = parseLong(args[2] as Buffer);
  const stop = parseLong(args[3] as Buffer);
  const state = readList(ctx, args[1] as Buffer);
  const range = state === undefined ? undefined : clampRange(listLength(state), start, stop);
  if (state === undefined || range === undefined) return ctx.out.arrayHeader(0);
  const views = elementViewsBetween(ctx.server.keyspace, state, range.from, range.to);
  ctx.out.arrayHeader(range.to - range.from + 1);
  if (views !== undefined) {
    const { sources, offsets, lengths } = views;
    for (let index = 0; index < views.count; index++) ctx.out.bulkSlice(sources[index]!, offsets[index]!, lengths[index]!);
    return;
  }
  for (const element of elementsBetween(ctx.server.keyspace, state, range.from, range.to)) ctx.out.bulk(element);
}

/** LTRIM key start stop. */
function ltrim(ctx: CommandContext, args: Buffer[]): void {
  const start = parseLong(args[2] as Buffer);
  const stop = parseLong(args[3] as Buffer);
  const key = args[1] as Buffer;
  const { before, state } = writeList(ctx, key);
  if (state === undefined) return ctx.out.raw(REPLY.ok);
  const range = clampRange(listLength(state), start, stop) ?? { from: 0, to: -1 };
  if (trimList(ctx.server.keyspace, state, range.from, range.to, limits.listBatchBytesMax) === undefined) throw new CommandError(LIST_ERRORS.batchTooLarge);
  shrinkEncoding(state, fill(ctx));
  storeList(ctx, key, state, before);
  notify(ctx, EVENT.list, 'ltrim', key); // even when nothing was trimmed, as Redis
  if (listLength(state) === 0) notify(ctx, EVENT.generic, 'del', key);
  ctx.out.raw(REPLY.ok);
}

/** LREM key count element: count > 0 from the head, < 0 from the tail, 0 all. */
function lrem(ctx: CommandContext, args: Buffer[]): void {
  const count = parseInt64(args[2] as Buffer);
  const key = args[1] as Buffer;
  const { before, state } = writeList(ctx, key);
  if (state === undefined) return ctx.out.raw(REPLY.zero);
  const { keyspace } = ctx.server;
  const limit = count < 0n ? -count : count;
  const positions = matchPositions(keyspace, state, args[3] as Buffer, count < 0n, limit > BigInt(listLength(state)) ? 0 : Number(limit));
  if (positions.length > 0) {
    if (removePositions(keyspace, state, positions, limits.listBatchBytesMax) === undefined) throw new CommandError(LIST_ERRORS.batchTooLarge);
    shrinkEncoding(state, fill(ctx));
    storeList(ctx, key, state, before);
    notify(ctx, EVENT.list, 'lrem', key);
    if (listLength(state) === 0) notify(ctx, EVENT.generic, 'del', key);
  }
  ctx.out.integer(positions.length);
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. */
function lpos(ctx: CommandContext, args: Buffer[]): void {
  let rank = 1n;
  let count = -1n; // not given
  let maxlen = 0n;
  for (let index = 3; index < args.length; index++) {
    const option = args[index] as Buffer;
    const more = index + 1 < args.length;
    if (isWord(option, 'rank') && more) {
      rank = parseInt64(args[++index] as Buffer);
      if (rank < -INT64_MAX) throw new CommandError(LIST_ERRORS.rankRange);
      if (rank === 0n) throw new CommandError(LIST_ERRORS.rankZero);
    } else if (isWord(option, 'count') && more) {
      count = BigInt(parseAtLeast(args[++index] as Buffer, 0n, LIST_ERRORS.countNegative));
    } else if (isWord(option, 'maxlen') && more) {
      maxlen = BigInt(parseAtLeast(args[++index] as Buffer, 0n, LIST_ERRORS.maxlenNegative));
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  const fromTail = rank < 0n;
  if (fromTail) rank = -rank;
  const state = readList(ctx, args[1] as Buffer);
  if (state === undefined) return count === -1n ? ctx.out.nullBulk() : ctx.out.arrayHeader(0);
  const length = listLength(state);
  const element = args[2] as Buffer;
  const { keyspace } = ctx.server;
  const scanned = maxlen === 0n || maxlen > BigInt(length) ? length : Number(maxlen);
  const walk = fromTail ? backwardElements(keyspace, state, length - scanned, length - 1) : forwardElements(keyspace, state, 0, scanned - 1);
  const found: number[] = [];
  let matches = 0n;
  let step = 0;
  for (const candidate of walk) {
    if (candidate.equals(element)) {
      matches++;
      if (matches >= rank) {
        found.push(fromTail ? length - step - 1 : step);
        if (count === -1n || (count !== 0n && matches - rank + 1n >= count)) break;
      }
    }
    step++;
  }
  if (count !== -1n) {
    ctx.out.arrayHeader(found.length);
    for (const position of found) ctx.out.integer(position);
  } else if (found.length > 0) {
    ctx.out.integer(found[0] as number);
  } else {
    ctx.out.nullBulk();
  }
}

// ---- pops -----------------------------------------------------------------------------------------

/** Pops count elements (at most the length) and stores the list (deleted once empty): listElementsRemoved. */
function popAndStore(ctx: CommandContext, key: Buffer, before: KeyRecord, state: ListState, end: ListEnd, count: number): Buffer[] {
  const { keyspace, engine } = ctx.server;
  const usable = engine.failure() === undefined;
  const values = popElements(keyspace, state, end, count, (index) => listEndElement(keyspace, state, end, index, usable));
  if (listLength(state) === 0) dropListEnds(keyspace, state.record.version);
  shrinkEncoding(state, fill(ctx));
  storeList(ctx, key, state, before);
  notifyPopped(ctx, key, state, end);
  return values;
}

/** The pop's event, then 'del' when the list is gone. */
function notifyPopped(ctx: CommandContext, key: Buffer, state: ListState, end: ListEnd): void {
  notify(ctx, EVENT.list, end === 'head' ? 'lpop' : 'rpop', key);
  if (listLength(state) === 0) notify(ctx, EVENT.generic, 'del', key);
}

function replyElements(ctx: CommandContext, values: readonly Buffer[]): void {
  ctx.out.arrayHeader(values.length);
  for (const value of values) ctx.out.bulk(value);
}

/** LPOP / RPOP key [count] (popGenericCommand). */
function pop(ctx: CommandContext, args: Buffer[], end: ListEnd): void {
  if (args.length > 3) throw new CommandError(wrongArity((args[0] as Buffer).toString('latin1').toLowerCase()));
  const withCount = args.length === 3;
  const count = withCount ? parseAtLeast(args[2] as Buffer, 0n, LIST_ERRORS.mustBePositive) : 1;
  const key = args[1] as Buffer;
  const { before, state } = writeList(ctx, key);
  if (before === undefined || state === undefined) return withCount ? ctx.out.nullArray() : ctx.out.nullBulk();
  if (withCount && count === 0) return ctx.out.arrayHeader(0);
  const values = popAndStore(ctx, key, before, state, end, count);
  if (withCount) replyElements(ctx, values);
  else ctx.out.bulk(values[0] as Buffer);
}

/**
 * The first key of keys holding a list pops up to count elements (mpopGenericCommand): the reply
 * [key, [elements]]; WRONGTYPE at the first key of another type. False when every key was missing.
 */
function popFirstList(ctx: CommandContext, keys: readonly Buffer[], end: ListEnd, count: number): boolean {
  for (const key of keys) {
    const { before, state } = writeList(ctx, key);
    if (before === undefined || state === undefined) continue;
    const values = popAndStore(ctx, key, before, state, end, count);
    ctx.out.arrayHeader(2);
    ctx.out.bulk(key);
    replyElements(ctx, values);
    return true;
  }
  return false;
}

/** The first key of keys holding a list pops one element: the reply [key, element] (BLPOP / BRPOP). */
function popOneOfKeys(ctx: CommandContext, keys: readonly Buffer[], end: ListEnd): boolean {
  for (const key of keys) {
    const { before, state } = writeList(ctx, key);
    if (before === undefined || state === undefined) continue;
    const [value] = popAndStore(ctx, key, before, state, end, 1);
    ctx.out.arrayHeader(2);
    ctx.out.bulk(key);
    ctx.out.bulk(value as Buffer);
    return true;
  }
  return false;
}

interface MpopArguments {
  keys: Buffer[];
  end: ListEnd;
  count: number;
}

/** LMPOP / BLMPOP's numkeys key [key ...] LEFT|RIGHT [COUNT count], numkeys at numkeysIndex. */
function parseMpop(args: readonly Buffer[], numkeysIndex: number): MpopArguments {
  const numkeys = string2ll(args[numkeysIndex] as Buffer);
  if (numkeys === undefined || numkeys < 1n) throw new CommandError(LIST_ERRORS.numkeys);
  const whereIndex = BigInt(numkeysIndex) + numkeys + 1n;
  if (whereIndex >= BigInt(args.length)) throw new CommandError(ERRORS.syntax);
  const end = parseEnd(args[Number(whereIndex)] as Buffer);
  let count = -1;
  for (let index = Number(whereIndex) + 1; index < args.length; index++) {
    if (count === -1 && isWord(args[index], 'count') && index + 1 < args.length) count = parseAtLeast(args[++index] as Buffer, 1n, LIST_ERRORS.count);
    else throw new CommandError(ERRORS.syntax);
  }
  return { keys: args.slice(numkeysIndex + 1, Number(whereIndex)), end, count: count === -1 ? 1 : count };
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]. */
function lmpop(ctx: CommandContext, args: Buffer[]): void {
  const { keys, end, count } = parseMpop(args, 1);
  if (!popFirstList(ctx, keys, end, count)) ctx.out.nullArray();
}

/** LMOVE / RPOPLPUSH and the served half of BLMOVE / BRPOPLPUSH (lmoveGenericCommand). */
function moveElement(ctx: CommandContext, source: Buffer, target: Buffer, from: ListEnd, to: ListEnd): void {
  const { keyspace } = ctx.server;
  const { before, state } = writeList(ctx, source);
  if (before === undefined || state === undefined) return ctx.out.nullBulk();
  const sameKey = source.equals(target);
  const targetFound = sameKey ? { before, state } : writeList(ctx, target); // WRONGTYPE before anything moves
  if (sameKey && listLength(state) === 1) {
    // a one-element rotation changes nothing (popping it then pushing it back would empty the list in between)
    keyspace.touch(ctx.client.db, source);
    notify(ctx, EVENT.list, to === 'head' ? 'lpush' : 'rpush', source); // Redis pops, pushes back, and notifies both
    notify(ctx, EVENT.list, from === 'head' ? 'lpop' : 'rpop', source);
    return ctx.out.bulk(elementAt(keyspace, state, 0));
  }
  const [value] = popElements(keyspace, state, from, 1) as [Buffer];
  const targetState = sameKey ? state : (targetFound.state ?? newListState(keyspace));
  pushAll(ctx, targetState, to, [value]);
  shrinkEncoding(state, fill(ctx));
  if (!sameKey) storeList(ctx, target, targetState, targetFound.before);
  storeList(ctx, source, state, before);
  notify(ctx, EVENT.list, to === 'head' ? 'lpush' : 'rpush', target); // lmoveHandlePush's, then the pop's
  notifyPopped(ctx, source, state, from);
  ctx.out.bulk(value);
}

function lmove(ctx: CommandContext, args: Buffer[]): void {
  const from = parseEnd(args[3] as Buffer);
  const to = parseEnd(args[4] as Buffer);
  moveElement(ctx, args[1] as Buffer, args[2] as Buffer, from, to);
}

// ---- blocking pops --------------------------------------------------------------------------------

/** BLPOP / BRPOP key [key ...] timeout (blockingPopGenericCommand). */
function blockingPop(ctx: CommandContext, args: Buffer[], end: ListEnd): void {
  const deadlineMs = parseBlockingTimeout(args[args.length - 1] as Buffer, Date.now());
  const keys = args.slice(1, -1);
  if (popOneOfKeys(ctx, keys, end)) return;
  if (!mayBlock(ctx)) return ctx.out.nullArray();
  blockClient(ctx, args, { keys, type: KEY_TYPE.list, deadlineMs });
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the timeout is parsed after the rest. */
function blmpop(ctx: CommandContext, args: Buffer[]): void {
  const { keys, end, count } = parseMpop(args, 2);
  const deadlineMs = parseBlockingTimeout(args[1] as Buffer, Date.now());
  if (popFirstList(ctx, keys, end, count)) return;
  if (!mayBlock(ctx)) return ctx.out.nullArray();
  blockClient(ctx, args, { keys, type: KEY_TYPE.list, deadlineMs });
}

/** BLMOVE / BRPOPLPUSH once the positions and the timeout are parsed (blmoveGenericCommand). */
function blockingMove(ctx: CommandContext, args: Buffer[], from: ListEnd, to: ListEnd, deadlineMs: number): void {
  const source = args[1] as Buffer;
  if (writeTyped(ctx, source, KEY_TYPE.list) !== undefined) return moveElement(ctx, source, args[2] as Buffer, from, to);
  if (!mayBlock(ctx)) return ctx.out.nullBulk();
  blockClient(ctx, args, { keys: [source], type: KEY_TYPE.list, deadlineMs });
}

function blmove(ctx: CommandContext, args: Buffer[]): void {
  const from = parseEnd(args[3] as Buffer);
  const to = parseEnd(args[4] as Buffer);
  blockingMove(ctx, args, from, to, parseBlockingTimeout(args[5] as Buffer, Date.now()));
}

function brpoplpush(ctx: CommandContext, args: Buffer[]): void {
  blockingMove(ctx, args, 'tail', 'head', parseBlockingTimeout(args[3] as Buffer, Date.now()));
}

// ---- the table ------------------------------------------------------------------------------------

/** LMPOP / BLMPOP's keys (lmpopGetKeys, which reads numkeys with atoi): none when numkeys is below 1 or past the arguments. */
function mpopKeyPositions(numkeysIndex: number): (args: readonly Buffer[]) => number[] {
  return (args) => {
    const numkeys = Number.parseInt(args[numkeysIndex]?.toString('latin1') ?? '', 10);
    if (!Number.isSafeInteger(numkeys) || numkeys < 1 || numkeys > args.length - numkeysIndex - 1) return [];
    return Array.from({ length: numkeys }, (_, index) => numkeysIndex + 1 + index);
  };
}

const spec = defineSpec.bind(undefined, 'list');
const ONE_KEY = [1, 1, 1] as const;
const TWO_KEYS = [1, 2, 1] as const;

export const listCommands: CommandSpec[] = [
  spec({ name: 'lpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.", since: '1.0.0', handler: (ctx, args) => push(ctx, args, 'head', false) }),
  spec({ name: 'rpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.", since: '1.0.0', handler: (ctx, args) => push(ctx, args, 'tail', false) }),
  spec({ name: 'lpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Prepends one or more elements to a list only when the list exists.', since: '2.2.0', handler: (ctx, args) => push(ctx, args, 'head', true) }),
  spec({ name: 'rpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Appends an element to a list only when the list exists.', since: '2.2.0', handler: (ctx, args) => push(ctx, args, 'tail', true) }),
  spec({ name: 'linsert', arity: 5, flags: ['write', 'denyoom'], keys: ONE_KEY, summary: 'Inserts an element before or after another element in a list.', since: '2.2.0', handler: linsert }),
  spec({ name: 'llen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the length of a list.', since: '1.0.0', handler: llen }),
  spec({ name: 'lindex', arity: 3, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns an element from a list by its index.', since: '1.0.0', handler: lindex }),
  spec({ name: 'lset', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, summary: 'Sets the value of an element in a list by its index.', since: '1.0.0', handler: lset }),
  spec({ name: 'lrange', arity: 4, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns a range of elements from a list.', since: '1.0.0', handler: lrange }),
  spec({ name: 'ltrim', arity: 4, flags: ['write'], keys: ONE_KEY, summary: 'Removes elements from both ends a list. Deletes the list if all elements were trimmed.', since: '1.0.0', handler: ltrim }),
  spec({ name: 'lpop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Returns the first elements in a list after removing it. Deletes the list if the last element was popped.', since: '1.0.0', handler: (ctx, args) => pop(ctx, args, 'head') }),
  spec({ name: 'rpop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Returns and removes the last elements of a list. Deletes the list if the last element was popped.', since: '1.0.0', handler: (ctx, args) => pop(ctx, args, 'tail') }),
  spec({ name: 'lrem', arity: 4, flags: ['write'], keys: ONE_KEY, summary: 'Removes elements from a list. Deletes the list if the last element was removed.', since: '1.0.0', handler: lrem }),
  spec({ name: 'lpos', arity: -3, flags: ['readonly'], keys: ONE_KEY, summary: 'Returns the index of matching elements in a list.', since: '6.0.6', handler: lpos }),
  spec({ name: 'lmove', arity: 5, flags: ['write', 'denyoom'], keys: TWO_KEYS, summary: 'Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.', since: '6.2.0', handler: lmove }),
  spec({ name: 'rpoplpush', arity: 3, flags: ['write', 'denyoom'], keys: TWO_KEYS, summary: 'Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.', since: '1.2.0', handler: (ctx, args) => moveElement(ctx, args[1] as Buffer, args[2] as Buffer, 'tail', 'head') }),
  spec({ name: 'lmpop', arity: -4, flags: ['write'], keys: [0, 0, 0], keyPositions: mpopKeyPositions(1), summary: 'Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.', since: '7.0.0', handler: lmpop }),
  spec({ name: 'blpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: [1, -2, 1], summary: 'Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.', since: '2.0.0', handler: (ctx, args) => blockingPop(ctx, args, 'head') }),
  spec({ name: 'brpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: [1, -2, 1], summary: 'Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.', since: '2.0.0', handler: (ctx, args) => blockingPop(ctx, args, 'tail') }),
  spec({ name: 'blmove', arity: 6, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: TWO_KEYS, summary: 'Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.', since: '6.2.0', handler: blmove }),
  spec({ name: 'brpoplpush', arity: 4, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: TWO_KEYS, summary: 'Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.', since: '2.2.0', handler: brpoplpush }),
  spec({ name: 'blmpop', arity: -5, flags: ['write', 'blocking'], keys: [0, 0, 0], keyPositions: mpopKeyPositions(2), summary: 'Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.', since: '7.0.0', handler: blmpop }),
];
