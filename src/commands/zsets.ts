// src/commands/zsets.ts: the sorted set family's point commands (Redis 7.0 src/t_zset.c): ZADD
// ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN, and the
// blocking BZPOPMIN BZPOPMAX BZMPOP over dispatch/blocking.ts. The ranges are zset-ranges.ts's, the algebra zset-combine.ts's; the element layout and the
// encoding rules src/types/zset.ts's.
// Invariants:
// - Every check that can fail (arity, options, scores, WRONGTYPE) runs before the first element
//   is staged, so a refused command changes nothing. A command that removes the last member
//   deletes the key; one that changes nothing writes nothing (WATCH is not disturbed).
// - Each write publishes t_zset.c's keyspace events (notify.ts): zadd / zincr when a member was
//   added or changed, zrem, zpopmin / zpopmax, then 'del' when the zset was emptied.
// - ZRANK / ZREVRANK cost O(min(rank, N - rank)) entries of the score index (zset-index.ts):
//   the layout keeps no counts, Redis's skiplist does (O(log N)).
// - ZPOPMIN pops from the index's head (count entries), ZPOPMAX from its tail (the bisection of
//   zset-index.ts), so neither walks a big zset.
// - A blocking pop that finds a zset behaves as its non-blocking twin (BZPOPMIN answers
//   [key, member, score] flat in both protocols, BZMPOP as ZMPOP); one that finds none blocks,
//   unless inside EXEC (mayBlock): then a null array at once. Served later, it runs again.
// - ZSCAN answers a listpack zset whole in score order, as Redis does, scores as the listpack
//   holds them (integers, "%.17g"); a skiplist zset by pages in hash order (cursor = the next
//   member's hash), scores as "%.17Lg".
import { isWord, parseBlockingTimeout, parseInt64 } from './arguments.js';
import { blockClient, mayBlock } from '../dispatch/blocking.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import { EVENT, notify } from '../dispatch/notify.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { globMatch, REPLY } from '../../protocol/index.js';
import { distinctElements, elementsWithRepeats, scanElements, type HashedElement } from '../types/hashed-elements.js';
import { readStoredScore } from '../types/score-order.js';
import { scoreArgument } from '../types/score-text.js';
import {
  ZSET_ENCODING, ZSET_KIND, listpackScoreText, newZset, putMember, removeKnownMember, removeMember, scoreOf, type ScoredMember,
} from '../types/zset.js';
import { entriesFrom, lastEntries, rankOf, walkIndex, wholeIndex } from '../types/zset-index.js';
import { formatDoubleG17 } from './arguments.js';
import { checkType, defineSpec, encodingLimits, storeAggregate, writeKey, writeTyped } from './key-access.js';
import { RANDOM_ERRORS, parseRandomCount } from './random-count.js';
import { INVALID_CURSOR, encodeScanReply, parseScanCursor, parseScanOptions } from './scan.js';
import {
  ZSET_ERRORS, ZSET_RESULT_MEMBERS_MAX, bounded, checkWriteCount, readZset, replyMembers, replyScore,
} from './zset-reply.js';

const OPTION_NAMES = ['nx', 'xx', 'ch', 'incr', 'gt', 'lt'] as const;
type ZaddOption = (typeof OPTION_NAMES)[number];

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ... and ZINCRBY (zaddGenericCommand). */
function zadd(ctx: CommandContext, args: Buffer[], incrCommand: boolean): void {
  const options = new Set<ZaddOption>(incrCommand ? ['incr'] : []);
  let scoreIndex = 2;
  for (; scoreIndex < args.length; scoreIndex++) {
    const option = OPTION_NAMES.find((name) => isWord(args[scoreIndex], name));
    if (option === undefined) break;
    options.add(option);
  }
  const has = (option: ZaddOption) => options.has(option);
  const words = args.length - scoreIndex;
  if (words % 2 !== 0 || words === 0) throw new CommandError(ERRORS.syntax);
  if (has('nx') && has('xx')) throw new CommandError(ZSET_ERRORS.xxAndNx);
  if ((has('gt') && has('nx')) || (has('lt') && has('nx')) || (has('gt') && has('lt'))) throw new CommandError(ZSET_ERRORS.gtLtNx);
  if (has('incr') && words > 2) throw new CommandError(ZSET_ERRORS.incrPair);
  checkWriteCount(words / 2);
  const scores: number[] = [];
  for (let index = scoreIndex; index < args.length; index += 2) {
    const score = scoreArgument(args[index] as Buffer);
    if (score === undefined) throw new CommandError(ZSET_ERRORS.notFloat);
    scores.push(score);
  }
  const { keyspace } = ctx.server;
  const key = args[1] as Buffer;
  const before = writeTyped(ctx, key, KEY_TYPE.zset);
  const incr = has('incr');
  if (before === undefined && has('xx')) return incr ? ctx.out.nullBulk() : ctx.out.raw(REPLY.zero);
  const record = before === undefined ? newZset(keyspace, ZSET_ENCODING.listpack) : { ...before };
  const limits = encodingLimits(ctx);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  for (let pair = 0; pair < scores.length; pair++) {
    const member = args[scoreIndex + 1 + pair * 2] as Buffer;
    const current = record.count === 0 ? undefined : scoreOf(keyspace, record, member);
    if (current === undefined) {
      if (has('xx')) continue;
      putMember(keyspace, record, member, scores[pair]!, undefined, limits);
      lastScore = scores[pair]!;
      added++;
      processed++;
      continue;
    }
    if (has('nx')) continue;
    const score = incr ? scores[pair]! + current : scores[pair]!;
    if (Number.isNaN(score)) throw new CommandError(ZSET_ERRORS.nan); // INCR: one pair, nothing staged yet
    if ((has('lt') && score >= current) || (has('gt') && score <= current)) continue;
    processed++;
    lastScore = score;
    if (score !== current) {
      putMember(keyspace, record, member, score, current, limits);
      updated++;
    }
  }
  if (added > 0 || updated > 0) {
    storeAggregate(ctx, key, record, before);
    notify(ctx, EVENT.zset, incr ? 'zincr' : 'zadd', key);
  }
  if (!incr) return ctx.out.integer(has('ch') ? added + updated : added);
  if (processed === 0) return ctx.out.nullBulk();
  replyScore(ctx, lastScore);
}

function zrem(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const before = writeTyped(ctx, key, KEY_TYPE.zset);
  if (before === undefined) return ctx.out.raw(REPLY.zero);
  checkWriteCount(Math.min(args.length - 2, before.count));
  const record = { ...before };
  let removed = 0;
  for (let index = 2; index < args.length && record.count > 0; index++) {
    if (removeMember(ctx.server.keyspace, record, args[index] as Buffer)) removed++;
  }
  if (removed > 0) {
    storeAggregate(ctx, key, record, before);
    notify(ctx, EVENT.zset, 'zrem', key);
    if (record.count === 0) notify(ctx, EVENT.generic, 'del', key);
  }
  ctx.out.integer(removed);
}

function zcard(ctx: CommandContext, args: Buffer[]): void {
  ctx.out.integer(readZset(ctx, args[1] as Buffer)?.count ?? 0);
}

function zscore(ctx: CommandContext, args: Buffer[]): void {
  const record = readZset(ctx, args[1] as Buffer);
  const score = record === undefined ? undefined : scoreOf(ctx.server.keyspace, record, args[2] as Buffer);
  if (score === undefined) return ctx.out.nullBulk();
  replyScore(ctx, score);
}

function zmscore(ctx: CommandContext, args: Buffer[]): void {
  const record = readZset(ctx, args[1] as Buffer);
  ctx.out.arrayHeader(args.length - 2);
  for (let index = 2; index < args.length; index++) {
    const score = record === undefined ? undefined : scoreOf(ctx.server.keyspace, record, args[index] as Buffer);
    if (score === undefined) ctx.out.nullBulk();
    else replyScore(ctx, score);
  }
}

/** ZRANK, ZREVRANK: O(min(rank, N - rank)) index entries (zset-index.ts rankOf). */
function zrank(ctx: CommandContext, args: Buffer[], reverse: boolean): void {
  const record = readZset(ctx, args[1] as Buffer);
  const member = args[2] as Buffer;
  const score = record === undefined ? undefined : scoreOf(ctx.server.keyspace, record, member);
  if (record === undefined || score === undefined) return ctx.out.nullBulk();
  const rank = rankOf(ctx.server.keyspace, record.version, record.count, member, score);
  ctx.out.integer(reverse ? record.count - 1 - rank : rank);
}

interface PopRequest {
  keys: readonly Buffer[];
  max: boolean;
  count: number; // -1: a single pop without COUNT
  emitKey: boolean; // the key first: BZPOPMIN [key, member, score], ZMPOP [key, [[member, score], ...]]
  nested: boolean; // [member, score] pairs
}

/** The lowest (or highest) count members of a zset, in pop order. */
function poppedEntries(ctx: CommandContext, record: KeyRecord, count: number, max: boolean): ScoredMember[] {
  const whole = wholeIndex(record.version);
  const { keyspace } = ctx.server;
  return max ? lastEntries(keyspace, whole, count).reverse() : entriesFrom(keyspace, whole, 0, count, ZSET_RESULT_MEMBERS_MAX);
}

/**
 * genericZpopCommand: the first key holding a zset is popped and answered, the keys after it are
 * not looked at; WRONGTYPE at the first key of another type. False, with no reply, when every key
 * is missing (the caller answers: an empty array, ZMPOP's null, or a BZ* wait).
 */
function popFirstZset(ctx: CommandContext, request: PopRequest): boolean {
  let key: Buffer | undefined;
  let before: KeyRecord | undefined;
  for (const candidate of request.keys) {
    before = checkType(writeKey(ctx, candidate), KEY_TYPE.zset);
    if (before === undefined) continue;
    key = candidate;
    break;
  }
  if (key === undefined || before === undefined) return false;
  if (request.count === 0) {
    ctx.out.arrayHeader(0);
    return true;
  }
  const take = request.count < 0 ? 1 : Math.min(request.count, before.count);
  checkWriteCount(take);
  const entries = poppedEntries(ctx, before, take, request.max);
  const record = { ...before };
  for (const { member, score } of entries) removeKnownMember(ctx.server.keyspace, record, member, score);
  storeAggregate(ctx, key, record, before);
  notify(ctx, EVENT.zset, request.max ? 'zpopmax' : 'zpopmin', key);
  if (record.count === 0) notify(ctx, EVENT.generic, 'del', key);
  const { out } = ctx;
  if (request.emitKey && request.nested) {
    out.arrayHeader(2);
    out.bulk(key);
    out.arrayHeader(entries.length);
  } else if (request.emitKey) {
    out.arrayHeader(entries.length * 2 + 1);
    out.bulk(key);
  } else {
    out.arrayHeader(request.nested ? entries.length : entries.length * 2);
  }
  for (const { member, score } of entries) {
    if (request.nested) out.arrayHeader(2);
    out.bulk(member);
    replyScore(ctx, score);
  }
  return true;
}

/** A positive long count (getRangeLongFromObjectOrReply(0 or 1, LONG_MAX, message)). */
function parseCount(arg: Buffer, message: string, min: bigint): number {
  const count = parseInt64(arg, message);
  if (count < min) throw new CommandError(message);
  return count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
}

/** ZPOPMIN / ZPOPMAX key [count]. */
function zpop(ctx: CommandContext, args: Buffer[], max: boolean): void {
  if (args.length > 3) throw new CommandError(ERRORS.syntax);
  const count = args.length === 3 ? parseCount(args[2] as Buffer, ZSET_ERRORS.positive, 0n) : -1;
  if (!popFirstZset(ctx, { keys: [args[1] as Buffer], max, count, emitKey: false, nested: ctx.client.protocol === 3 && count !== -1 })) ctx.out.arrayHeader(0);
}

/** ZMPOP / BZMPOP's numkeys key [key ...] MIN|MAX [COUNT count], numkeys at numkeysIndex (zmpopGenericCommand). */
function parseZmpop(args: readonly Buffer[], numkeysIndex: number): PopRequest {
  const numkeys = parseInt64(args[numkeysIndex] as Buffer, ZSET_ERRORS.numkeys);
  if (numkeys < 1n) throw new CommandError(ZSET_ERRORS.numkeys);
  if (numkeys + BigInt(numkeysIndex + 1) >= BigInt(args.length)) throw new CommandError(ERRORS.syntax);
  const whereIndex = numkeysIndex + 1 + Number(numkeys);
  const where = args[whereIndex];
  if (!isWord(where, 'min') && !isWord(where, 'max')) throw new CommandError(ERRORS.syntax);
  let count = -1;
  for (let index = whereIndex + 1; index < args.length; index++) {
    if (count === -1 && isWord(args[index], 'count') && index + 1 < args.length) count = parseCount(args[++index] as Buffer, ZSET_ERRORS.count, 1n);
    else throw new CommandError(ERRORS.syntax);
  }
  return { keys: args.slice(numkeysIndex + 1, whereIndex), max: isWord(where, 'max'), count: count === -1 ? 1 : count, emitKey: true, nested: true };
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]. */
function zmpop(ctx: CommandContext, args: Buffer[]): void {
  if (!popFirstZset(ctx, parseZmpop(args, 1))) ctx.out.nullArray();
}

/**
 * blockingGenericZpopCommand, once the timeout is parsed: pops as the non-blocking twin when a
 * key holds a zset; else a null array inside EXEC, or the client waits (served, it runs again).
 */
function popOrBlock(ctx: CommandContext, args: Buffer[], request: PopRequest, deadlineMs: number): void {
  if (popFirstZset(ctx, request)) return;
  if (!mayBlock(ctx)) return ctx.out.nullArray();
  blockClient(ctx, args, { keys: request.keys, type: KEY_TYPE.zset, deadlineMs });
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout: the timeout is parsed before any key is looked at. */
function bzpop(ctx: CommandContext, args: Buffer[], max: boolean): void {
  const deadlineMs = parseBlockingTimeout(args[args.length - 1] as Buffer, Date.now());
  popOrBlock(ctx, args, { keys: args.slice(1, -1), max, count: -1, emitKey: true, nested: false }, deadlineMs);
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the timeout is parsed after the rest. */
function bzmpop(ctx: CommandContext, args: Buffer[]): void {
  const request = parseZmpop(args, 2);
  popOrBlock(ctx, args, request, parseBlockingTimeout(args[1] as Buffer, Date.now()));
}

function scoreOfElement(element: HashedElement): number {
  return readStoredScore(element.value);
}

/** ZRANDMEMBER key [count [WITHSCORES]] (zrandmemberCommand, zrandmemberWithCountCommand). */
function zrandmember(ctx: CommandContext, args: Buffer[]): void {
  const { keyspace } = ctx.server;
  if (args.length === 2) {
    const record = readZset(ctx, args[1] as Buffer);
    // uniform: a zset of up to SAMPLE_READ_ALL_MAX members is read whole, as for SRANDMEMBER
    const element = record === undefined ? undefined : elementsWithRepeats(keyspace, record.version, ZSET_KIND.member, record.count, 1)[0];
    if (element === undefined) return ctx.out.nullBulk();
    return ctx.out.bulk(element.part);
  }
  const count = parseRandomCount(args[2] as Buffer);
  if (args.length > 4 || (args.length === 4 && !isWord(args[3], 'withscores'))) throw new CommandError(ERRORS.syntax);
  const withScores = args.length === 4;
  if (withScores && (count < -RANDOM_ERRORS.halfLongMax || count > RANDOM_ERRORS.halfLongMax)) throw new CommandError(ZSET_ERRORS.outOfRange);
  const record = readZset(ctx, args[1] as Buffer);
  if (record === undefined || count === 0n) return ctx.out.arrayHeader(0);
  let picks: ScoredMember[];
  if (count < 0n || count === 1n) {
    picks = elementsWithRepeats(keyspace, record.version, ZSET_KIND.member, record.count, Number(count < 0n ? -count : count))
      .map((element) => ({ member: element.part, score: scoreOfElement(element) }));
  } else if (count >= BigInt(record.count)) {
    // CASE 2: the whole zset, highest first, as Redis's zuiNext walks it
    picks = bounded(() => entriesFrom(keyspace, wholeIndex(record.version), 0, -1, ZSET_RESULT_MEMBERS_MAX)).reverse();
  } else {
    if (count > BigInt(ZSET_RESULT_MEMBERS_MAX)) throw new CommandError(ZSET_ERRORS.tooMany);
    picks = distinctElements(keyspace, record.version, ZSET_KIND.member, record.count, Number(count))
      .map((element) => ({ member: element.part, score: scoreOfElement(element) }));
  }
  replyMembers(ctx, picks, withScores);
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count]. */
function zscan(ctx: CommandContext, args: Buffer[]): void {
  const cursor = parseScanCursor(args[2] as Buffer);
  if (cursor === undefined) throw new CommandError(INVALID_CURSOR);
  const record = readZset(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.raw(encodeScanReply(0n, []));
  const options = parseScanOptions(args, 3, false);
  const { keyspace } = ctx.server;
  const flat: Buffer[] = [];
  const push = (member: Buffer, text: string) => {
    if (options.pattern === undefined || globMatch(options.pattern, member)) flat.push(member, Buffer.from(text, 'latin1'));
  };
  if (record.encoding === ZSET_ENCODING.listpack) {
    for (const { member, score } of walkIndex(keyspace, wholeIndex(record.version))) push(member, listpackScoreText(score));
    return ctx.out.raw(encodeScanReply(0n, flat));
  }
  const page = scanElements(keyspace, record.version, ZSET_KIND.member, cursor, options.countHint);
  for (const element of page.items) push(element.part, formatDoubleG17(scoreOfElement(element)));
  ctx.out.raw(encodeScanReply(page.next, flat));
}

/** Keys of a command with numkeys at numkeysIndex and the keys after it (none at all for a bad numkeys, as Redis 7.0 answers). */
export function numkeysKeyPositions(numkeysIndex: number, before: readonly number[] = []): (args: readonly Buffer[]) => number[] {
  return (args) => {
    const numkeys = Number.parseInt(args[numkeysIndex]?.toString('latin1') ?? '', 10);
    if (!Number.isSafeInteger(numkeys) || numkeys < 1 || numkeys > args.length - numkeysIndex - 1) return [];
    return [...before, ...Array.from({ length: numkeys }, (_, index) => numkeysIndex + 1 + index)];
  };
}

const spec = defineSpec.bind(undefined, 'sorted_set');
const ONE_KEY = [1, 1, 1] as const;

export const zsetCommands: CommandSpec[] = [
  spec({ name: 'zadd', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Add one or more members to a sorted set, or update its score if it already exists', since: '1.2.0', handler: (ctx, args) => zadd(ctx, args, false) }),
  spec({ name: 'zincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Increment the score of a member in a sorted set', since: '1.2.0', handler: (ctx, args) => zadd(ctx, args, true) }),
  spec({ name: 'zrem', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Remove one or more members from a sorted set', since: '1.2.0', handler: zrem }),
  spec({ name: 'zcard', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Get the number of members in a sorted set', since: '1.2.0', handler: zcard }),
  spec({ name: 'zscore', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Get the score associated with the given member in a sorted set', since: '1.2.0', handler: zscore }),
  spec({ name: 'zmscore', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Get the score associated with the given members in a sorted set', since: '6.2.0', handler: zmscore }),
  spec({ name: 'zrank', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Determine the index of a member in a sorted set', since: '2.0.0', handler: (ctx, args) => zrank(ctx, args, false) }),
  spec({ name: 'zrevrank', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Determine the index of a member in a sorted set, with scores ordered from high to low', since: '2.0.0', handler: (ctx, args) => zrank(ctx, args, true) }),
  spec({ name: 'zpopmin', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Remove and return members with the lowest scores in a sorted set', since: '5.0.0', handler: (ctx, args) => zpop(ctx, args, false) }),
  spec({ name: 'zpopmax', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Remove and return members with the highest scores in a sorted set', since: '5.0.0', handler: (ctx, args) => zpop(ctx, args, true) }),
  spec({ name: 'zmpop', arity: -4, flags: ['write'], keys: [0, 0, 0], keyPositions: numkeysKeyPositions(1), summary: 'Remove and return members with scores in a sorted set', since: '7.0.0', handler: zmpop }),
  spec({ name: 'bzpopmin', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], keys: [1, -2, 1], summary: 'Remove and return the member with the lowest score from one or more sorted sets, or block until one is available', since: '5.0.0', handler: (ctx, args) => bzpop(ctx, args, false) }),
  spec({ name: 'bzpopmax', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], keys: [1, -2, 1], summary: 'Remove and return the member with the highest score from one or more sorted sets, or block until one is available', since: '5.0.0', handler: (ctx, args) => bzpop(ctx, args, true) }),
  spec({ name: 'bzmpop', arity: -5, flags: ['write', 'blocking'], keys: [0, 0, 0], keyPositions: numkeysKeyPositions(2), summary: 'Remove and return members with scores in a sorted set or block until one is available', since: '7.0.0', handler: bzmpop }),
  spec({ name: 'zrandmember', arity: -2, flags: ['readonly'], keys: ONE_KEY, summary: 'Get one or multiple random elements from a sorted set', since: '6.2.0', handler: zrandmember }),
  spec({ name: 'zscan', arity: -3, flags: ['readonly'], keys: ONE_KEY, summary: 'Incrementally iterate sorted sets elements and associated scores', since: '2.8.0', handler: zscan }),
];

