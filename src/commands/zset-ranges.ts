// src/commands/zset-ranges.ts: the sorted set commands that read or remove a range (Redis 7.0
// src/t_zset.c zrangeGenericCommand, zremrangeGenericCommand, zcountCommand, zlexcountCommand):
// ZRANGE ZRANGESTORE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZCOUNT
// ZLEXCOUNT ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX.
// Costs on the score index (src/types/zset-index.ts, zset-lex.ts), N members, k answered:
// - by score or lex, forward: a seek, then offset + k entries;
// - in reverse with LIMIT: the tail bisection (about a hundred seeks and a few times offset + k
//   entries), or a count and a forward walk past TAIL_BUFFER_MAX; without LIMIT: the range, read
//   forward and reversed;
// - by rank: O(start + k) from the head, or from the tail when it is much shorter (ZRANGE -10 -1,
//   ZREVRANGE 0 9 read the tail only); the middle of a big zset costs O(rank) (Redis: O(log N));
//   ZRANGE / ZREVRANGE within the first or last limits.zsetHeadCacheEntriesMax members of a zset
//   read before and unchanged since: k entries copied from memory (types/zset-head-cache.ts);
// - ZCOUNT, ZLEXCOUNT: O(min(k, N - k)).
// Invariants: options, then conflicts, then the range are checked in Redis's order before the key
// is looked up, so the same error wins; a refused command changes nothing.
import { isWord, parseInt64, parseInteger } from './arguments.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import { EVENT, notify } from '../dispatch/notify.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { REPLY } from '../../protocol/index.js';
import { rangeScore } from '../types/score-text.js';
import { ZSET_ENCODING, ZsetBuilder, removeKnownMember, type ScoredMember } from '../types/zset.js';
import { countInRange, entriesByRank, entriesFrom, indexPage, reverseSlice, scoreRangeKeys, type RawEntry, type ScoreRange } from '../types/zset-index.js';
import { lexCount, lexEntries, parseLexBound, type LexRange } from '../types/zset-lex.js';
import { entriesByRankCached, memberBulksCached } from '../types/zset-head-cache.js';
import { defineSpec, encodingLimits, storeAggregate, writeTyped } from './key-access.js';
import {
  ZSET_ERRORS, ZSET_RESULT_MEMBERS_MAX, ZSET_WRITE_MEMBERS_MAX, bounded, readZset, replyIndexEntries, replyMembers,
} from './zset-reply.js';

type RangeKind = 'rank' | 'score' | 'lex';

interface RangeRequest {
  kind: RangeKind;
  reverse: boolean;
  withScores: boolean;
  offset: number;
  count: number; // negative: no LIMIT (or LIMIT x -1)
  rank: { start: number; end: number }; // as given (rounded past 2^53, which no window tells apart)
  score: ScoreRange | undefined;
  lex: LexRange | undefined;
}

function parseScoreRange(min: Buffer, max: Buffer): ScoreRange {
  const low = rangeScore(min);
  const high = rangeScore(max);
  if (low === undefined || high === undefined) throw new CommandError(ZSET_ERRORS.minMaxFloat);
  return { min: low, max: high };
}

function parseLexRange(min: Buffer, max: Buffer): LexRange {
  const low = parseLexBound(min);
  const high = parseLexBound(max);
  if (low === undefined || high === undefined) throw new CommandError(ZSET_ERRORS.minMaxLex);
  return { min: low, max: high };
}

const toNumber = (value: bigint) => Number(value); // |value| < 2^63: close enough for offsets and counts

/**
 * zrangeGenericCommand's parsing: <source> <min> <max> from `first`, then options. `kind` and
 * `reverse` are fixed by the old commands (ZRANGEBYSCORE ...), undefined for ZRANGE / ZRANGESTORE.
 */
function parseRangeRequest(args: Buffer[], first: number, store: boolean, fixedKind?: RangeKind, fixedReverse?: boolean): RangeRequest {
  let kind = fixedKind;
  let reverse = fixedReverse;
  let withScores = false;
  let offset = 0n;
  let count = -1n;
  for (let index = first + 3; index < args.length; index++) {
    const arg = args[index];
    const left = args.length - index - 1;
    if (!store && isWord(arg, 'withscores')) {
      withScores = true;
    } else if (isWord(arg, 'limit') && left >= 2) {
      offset = parseInt64(args[index + 1] as Buffer);
      count = parseInt64(args[index + 2] as Buffer);
      index += 2;
    } else if (fixedReverse === undefined && reverse === undefined && isWord(arg, 'rev')) {
      reverse = true;
    } else if (fixedKind === undefined && kind === undefined && isWord(arg, 'bylex')) {
      kind = 'lex';
    } else if (fixedKind === undefined && kind === undefined && isWord(arg, 'byscore')) {
      kind = 'score';
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  const request: RangeRequest = {
    kind: kind ?? 'rank', reverse: reverse ?? false, withScores, offset: toNumber(offset), count: toNumber(count),
    rank: { start: 0, end: 0 }, score: undefined, lex: undefined,
  };
  if (count !== -1n && request.kind === 'rank') throw new CommandError(ZSET_ERRORS.limitWithRank);
  if (withScores && request.kind === 'lex') throw new CommandError(ZSET_ERRORS.withScoresWithLex);
  let [min, max] = [args[first + 1] as Buffer, args[first + 2] as Buffer];
  if (request.reverse && request.kind !== 'rank') [min, max] = [max, min]; // given as max, min
  if (request.kind === 'rank') request.rank = { start: parseInteger(min), end: parseInteger(max) };
  else if (request.kind === 'score') request.score = parseScoreRange(min, max);
  else request.lex = parseLexRange(min, max);
  return request;
}

/** The rank window [start, end] of a zset of `length` members, or undefined when empty (Redis's sanitizing). */
function rankWindow(rank: { start: number; end: number }, length: number): [number, number] | undefined {
  let { start, end } = rank;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return undefined;
  if (end >= length) end = length - 1;
  return [start, end];
}

/**
 * The members a range request answers, in the order answered; cached: a read-only command's rank
 * range may come from (and fill) the zset head cache (types/zset-head-cache.ts).
 */
function rangeEntries(ctx: CommandContext, record: KeyRecord, request: RangeRequest, limit: number, cached = false): ScoredMember[] {
  const { keyspace } = ctx.server;
  const { version, count: total } = record;
  if (request.kind === 'rank') {
    const window = rankWindow(request.rank, total);
    if (window === undefined) return [];
    const [start, end] = window;
    const [first, last] = request.reverse ? [total - 1 - end, total - 1 - start] : [start, end];
    const entries = cached
      ? entriesByRankCached(keyspace, record, first, last, limit, ctx.server.engine.failure() === undefined)
      : entriesByRank(keyspace, version, total, first, last, limit);
    return request.reverse ? entries.reverse() : entries;
  }
  const { offset, count, reverse } = request;
  if (request.kind === 'lex') return lexEntries(keyspace, version, request.lex!, { total, reverse, offset, count, limit });
  if (offset > 0 && offset >= total) return [];
  const keys = scoreRangeKeys(version, request.score!);
  if (keys === undefined || offset < 0) return [];
  return reverse ? reverseSlice(keyspace, version, total, keys, offset, count, limit) : entriesFrom(keyspace, keys, offset, count, limit);
}

/** ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX. */
function zrange(ctx: CommandContext, args: Buffer[], kind?: RangeKind, reverse?: boolean): void {
  const request = parseRangeRequest(args, 1, false, kind, reverse);
  const record = readZset(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.arrayHeader(0);
  const page = forwardScorePage(ctx, record, request);
  if (page !== undefined) return replyIndexEntries(ctx, page, request.withScores);
  if (request.kind === 'rank' && !request.reverse && !request.withScores) {
    const window = rankWindow(request.rank, record.count);
    if (window === undefined) return ctx.out.arrayHeader(0);
    const bulks = memberBulksCached(ctx.server.keyspace, record, window[0], window[1], ctx.server.engine.failure() === undefined);
    if (bulks !== undefined) {
      ctx.out.arrayHeader(window[1] - window[0] + 1);
      return ctx.out.raw(bulks);
    }
  }
  const entries = bounded(() => rangeEntries(ctx, record, request, ZSET_RESULT_MEMBERS_MAX, true));
  replyMembers(ctx, entries, request.withScores);
}

/**
 * A forward score range with a LIMIT that fits one engine page (ZRANGEBYSCORE ... LIMIT 0 10), as
 * the index entries it answers, undefined for every other request (and when the page cannot be
 * had): the answer rangeEntries gives, without decoding the entries.
 */
function forwardScorePage(ctx: CommandContext, record: KeyRecord, request: RangeRequest): RawEntry[] | undefined {
  const { kind, reverse, offset, count } = request;
  if (kind !== 'score' || reverse || count <= 0 || offset < 0) return undefined;
  if (offset > 0 && offset >= record.count) return [];
  const keys = scoreRangeKeys(record.version, request.score!);
  return keys === undefined ? [] : indexPage(ctx.server.keyspace, keys, offset, count);
}

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]. */
function zrangestore(ctx: CommandContext, args: Buffer[]): void {
  const request = parseRangeRequest(args, 2, true);
  const target = args[1] as Buffer;
  const record = readZset(ctx, args[2] as Buffer);
  const { keyspace } = ctx.server;
  const entries = record === undefined ? [] : bounded(() => rangeEntries(ctx, record, request, ZSET_RESULT_MEMBERS_MAX));
  if (entries.length === 0) {
    if (keyspace.delete(ctx.client.db, target)) notify(ctx, EVENT.generic, 'del', target);
    return ctx.out.raw(REPLY.zero);
  }
  const limits = encodingLimits(ctx);
  // zrangeResultBeginStore: a skiplist from the start only for a rank range known to be long
  const long = request.kind === 'rank' && entries.length > limits.zsetListpackEntries;
  const builder = new ZsetBuilder(limits, long ? ZSET_ENCODING.skiplist : ZSET_ENCODING.listpack);
  for (const { member, score } of entries) builder.add(member, score);
  keyspace.set(ctx.client.db, target, builder.stage(keyspace));
  notify(ctx, EVENT.zset, 'zrangestore', target);
  ctx.out.integer(entries.length);
}

/** ZCOUNT key min max. */
function zcount(ctx: CommandContext, args: Buffer[]): void {
  const range = parseScoreRange(args[2] as Buffer, args[3] as Buffer);
  const record = readZset(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.raw(REPLY.zero);
  const keys = scoreRangeKeys(record.version, range);
  ctx.out.integer(keys === undefined ? 0 : countInRange(ctx.server.keyspace, record.version, record.count, keys));
}

/** ZLEXCOUNT key min max. */
function zlexcount(ctx: CommandContext, args: Buffer[]): void {
  const range = parseLexRange(args[2] as Buffer, args[3] as Buffer);
  const record = readZset(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.raw(REPLY.zero);
  ctx.out.integer(lexCount(ctx.server.keyspace, record.version, record.count, range));
}

/** ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX (zremrangeGenericCommand). */
function zremrange(ctx: CommandContext, args: Buffer[], kind: RangeKind): void {
  const [min, max] = [args[2] as Buffer, args[3] as Buffer];
  const request: RangeRequest = { kind, reverse: false, withScores: false, offset: 0, count: -1, rank: { start: 0, end: 0 }, score: undefined, lex: undefined };
  if (kind === 'rank') request.rank = { start: parseInteger(min), end: parseInteger(max) };
  else if (kind === 'score') request.score = parseScoreRange(min, max);
  else request.lex = parseLexRange(min, max);
  const key = args[1] as Buffer;
  const before = writeTyped(ctx, key, KEY_TYPE.zset);
  if (before === undefined) return ctx.out.raw(REPLY.zero);
  const entries = bounded(() => rangeEntries(ctx, before, request, ZSET_WRITE_MEMBERS_MAX), ZSET_ERRORS.tooManyWrites);
  const record = { ...before };
  for (const { member, score } of entries) removeKnownMember(ctx.server.keyspace, record, member, score);
  if (entries.length > 0) {
    storeAggregate(ctx, key, record, before);
    notify(ctx, EVENT.zset, `zremrangeby${kind}`, key);
    if (record.count === 0) notify(ctx, EVENT.generic, 'del', key);
  }
  ctx.out.integer(entries.length);
}

const spec = defineSpec.bind(undefined, 'sorted_set');
const ONE_KEY = [1, 1, 1] as const;

export const zsetRangeCommands: CommandSpec[] = [
  spec({ name: 'zrange', arity: -4, flags: ['readonly'], keys: ONE_KEY, summary: 'Return a range of members in a sorted set', since: '1.2.0', handler: (ctx, args) => zrange(ctx, args) }),
  spec({ name: 'zrangestore', arity: -5, flags: ['write', 'denyoom'], keys: [1, 2, 1], summary: 'Store a range of members from sorted set into another key', since: '6.2.0', handler: zrangestore }),
  spec({ name: 'zrevrange', arity: -4, flags: ['readonly'], keys: ONE_KEY, summary: 'Return a range of members in a sorted set, by index, with scores ordered from high to low', since: '1.2.0', handler: (ctx, args) => zrange(ctx, args, 'rank', true) }),
  spec({ name: 'zrangebyscore', arity: -4, flags: ['readonly'], keys: ONE_KEY, summary: 'Return a range of members in a sorted set, by score', since: '1.0.5', handler: (ctx, args) => zrange(ctx, args, 'score', false) }),
  spec({ name: 'zrevrangebyscore', arity: -4, flags: ['readonly'], keys: ONE_KEY, summary: 'Return a range of members in a sorted set, by score, with scores ordered from high to low', since: '2.2.0', handler: (ctx, args) => zrange(ctx, args, 'score', true) }),
  spec({ name: 'zrangebylex', arity: -4, flags: ['readonly'], keys: ONE_KEY, summary: 'Return a range of members in a sorted set, by lexicographical range', since: '2.8.9', handler: (ctx, args) => zrange(ctx, args, 'lex', false) }),
  spec({ name: 'zrevrangebylex', arity: -4, flags: ['readonly'], keys: ONE_KEY, summary: 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.', since: '2.8.9', handler: (ctx, args) => zrange(ctx, args, 'lex', true) }),
  spec({ name: 'zcount', arity: 4, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Count the members in a sorted set with scores within the given values', since: '2.0.0', handler: zcount }),
  spec({ name: 'zlexcount', arity: 4, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Count the number of members in a sorted set between a given lexicographical range', since: '2.8.9', handler: zlexcount }),
  spec({ name: 'zremrangebyrank', arity: 4, flags: ['write'], keys: ONE_KEY, summary: 'Remove all members in a sorted set within the given indexes', since: '2.0.0', handler: (ctx, args) => zremrange(ctx, args, 'rank') }),
  spec({ name: 'zremrangebyscore', arity: 4, flags: ['write'], keys: ONE_KEY, summary: 'Remove all members in a sorted set within the given scores', since: '1.2.0', handler: (ctx, args) => zremrange(ctx, args, 'score') }),
  spec({ name: 'zremrangebylex', arity: 4, flags: ['write'], keys: ONE_KEY, summary: 'Remove all members in a sorted set between the given lexicographical range', since: '2.8.9', handler: (ctx, args) => zremrange(ctx, args, 'lex') }),
];
