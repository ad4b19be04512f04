// src/commands/zset-reply.ts: what the sorted set families (zsets.ts, zset-ranges.ts,
// zset-combine.ts) share: Redis 7.0's error texts, tskv's bounds on the members one command holds,
// and the reply shapes.
// Invariants:
// - A score is answered as Redis 7.0's addReplyDouble: "%.17g" ("inf", "-inf", "-0"), a bulk
//   string in RESP2 and a double in RESP3.
// - Members with scores are a flat array [member, score, ...] in RESP2 and an array of
//   [member, score] pairs in RESP3 (never a map: the order matters).
// - A command that would hold more than ZSET_RESULT_MEMBERS_MAX members (a reply, a *STORE
//   result) or add or remove more than ZSET_WRITE_MEMBERS_MAX answers ZSET_ERRORS.tooMany before it
//   changes anything: tskv builds replies and write batches in memory, Redis streams them.
import { formatDoubleG17 } from './arguments.js';
import { CommandError } from '../dispatch/errors.js';
import type { CommandContext } from '../dispatch/command-table.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { ZsetResultLimitError, type RawEntry } from '../types/zset-index.js';
import { INDEX_MEMBER_OFFSET, indexScoreOf, type ScoredMember } from '../types/zset.js';
import type { CachedMember } from '../types/zset-head-cache.js';
import { readTyped } from './key-access.js';

/** The most members one reply or one *STORE result may hold. */
export const ZSET_RESULT_MEMBERS_MAX = 1_000_000;
/** The most members one command may add or remove (each is two engine entries in its batch). */
export const ZSET_WRITE_MEMBERS_MAX = 1_000_000;

export const ZSET_ERRORS = {
  notFloat: 'ERR value is not a valid float',
  nan: 'ERR resulting score is not a number (NaN)',
  xxAndNx: 'ERR XX and NX options at the same time are not compatible',
  gtLtNx: 'ERR GT, LT, and/or NX options at the same time are not compatible',
  incrPair: 'ERR INCR option supports a single increment-element pair',
  minMaxFloat: 'ERR min or max is not a float',
  minMaxLex: 'ERR min or max not valid string range item',
  limitWithRank: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
  withScoresWithLex: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX',
  weight: 'ERR weight value is not a float',
  positive: 'ERR value is out of range, must be positive',
  numkeys: 'ERR numkeys should be greater than 0',
  count: 'ERR count should be greater than 0',
  limitNegative: "ERR LIMIT can't be negative",
  outOfRange: 'ERR value is out of range',
  tooMany: `ERR the result would hold more than ${ZSET_RESULT_MEMBERS_MAX} sorted set members (tskv's bound per command)`,
  tooManyWrites: `ERR the command would add or remove more than ${ZSET_WRITE_MEMBERS_MAX} sorted set members (tskv's bound per command)`,
} as const;

export function readZset(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  return readTyped(ctx, key, KEY_TYPE.zset);
}

export function replyScore(ctx: CommandContext, score: number): void {
  ctx.out.doubleText(formatDoubleG17(score));
}

/**
 * Members, with their scores when asked: flat in RESP2, [member, score] pairs in RESP3. Entries
 * from the head cache (CachedMember) carry their score replies already encoded.
 */
export function replyMembers(ctx: CommandContext, entries: readonly (ScoredMember | CachedMember)[], withScores: boolean): void {
  const pairs = withScores && ctx.client.protocol === 3;
  ctx.out.arrayHeader(withScores && !pairs ? entries.length * 2 : entries.length);
  for (const entry of entries) {
    const { member } = entry;
    if (pairs) ctx.out.arrayHeader(2);
    if ('memberBulk' in entry) ctx.out.raw(entry.memberBulk);
    else ctx.out.bulkSlice(member, 0, member.length); // no Buffer.copy per member
    if (!withScores) continue;
    if ('scoreBulk' in entry) ctx.out.raw(pairs ? entry.scoreDouble : entry.scoreBulk);
    else replyScore(ctx, entry.score);
  }
}

/**
 * replyMembers for score index entries as the engine holds them (types/zset-index.ts indexPage):
 * each member copied from its key into the reply, with no ScoredMember or member view built.
 */
export function replyIndexEntries(ctx: CommandContext, entries: readonly RawEntry[], withScores: boolean): void {
  const pairs = withScores && ctx.client.protocol === 3;
  ctx.out.arrayHeader(withScores && !pairs ? entries.length * 2 : entries.length);
  for (const { key, value } of entries) {
    if (pairs) ctx.out.arrayHeader(2);
    ctx.out.bulkSlice(key, INDEX_MEMBER_OFFSET, key.length - INDEX_MEMBER_OFFSET);
    if (withScores) replyScore(ctx, indexScoreOf(key, value));
  }
}

/** Runs a read that may meet the result bound; the bound's error reply instead of its exception. */
export function bounded<T>(read: () => T, message: string = ZSET_ERRORS.tooMany): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ZsetResultLimitError) throw new CommandError(message, { cause: error });
    throw error;
  }
}

export function checkWriteCount(count: number): void {
  if (count > ZSET_WRITE_MEMBERS_MAX) throw new CommandError(ZSET_ERRORS.tooManyWrites);
}
