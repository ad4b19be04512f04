// src/types/zset-lex.ts: lexicographic ranges (ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX, ZRANGE
// BYLEX) over the score index. Redis defines them for a zset whose members all have one score;
// its walk (zzlFirstInLexRange, then on while the member is <= max) does not look at scores.
// - One score (the usual case, checked with two seeks: the first entry, and none past its score):
//   the members within range are one key range [score][min] .. [score][max], read like a score
//   range (zset-index.ts), so a count or the last entries cost what they cost there.
// - Several scores: tskv replays Redis's listpack walk over the whole index in score order, O(N):
//   forward, the run starts at the first member >= min (none if it is > max) and goes on while
//   members are <= max; in reverse, it ends at the last member <= max (none if it is < min) and
//   goes back while members are >= min; nothing at all unless the last member is >= min and the
//   first <= max (zzlIsInLexRange). A skiplist's answer then depends on its random levels; the
//   listpack's is the one a test can check.
// Invariants: member comparison is sdscmp (Buffer.compare); "-" is below and "+" above every member.
import type { Keyspace } from '../keyspace/keyspace.js';
import { nextSortable } from './score-order.js';
import { countInRange, entriesFrom, firstEntry, lastEntries, reverseSlice, sortableOfKey, walkIndex, wholeIndex, type IndexEntry, type KeyRange, ZsetResultLimitError } from './zset-index.js';
import { indexEnd, indexStart } from './zset.js';

export type LexBound = { kind: 'min' } | { kind: 'max' } | { kind: 'value'; value: Buffer; exclusive: boolean };

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** zslParseLexRangeItem: "-", "+", "(member", "[member"; undefined for anything else. */
export function parseLexBound(arg: Buffer): LexBound | undefined {
  const first = arg[0];
  const alone = arg.length === 1 || arg[1] === 0; // C reads up to a NUL
  if (first === 0x2b) return alone ? { kind: 'max' } : undefined;
  if (first === 0x2d) return alone ? { kind: 'min' } : undefined;
  if (first === 0x28 || first === 0x5b) return { kind: 'value', value: arg.subarray(1), exclusive: first === 0x28 };
  return undefined;
}

/** sdscmplex. */
function compareLex(a: LexBound | Buffer, b: LexBound): number {
  const left: LexBound = Buffer.isBuffer(a) ? { kind: 'value', value: a, exclusive: false } : a;
  if (left.kind === b.kind && left.kind !== 'value') return 0;
  if (left.kind === 'min' || b.kind === 'max') return -1;
  if (left.kind === 'max' || b.kind === 'min') return 1;
  return Buffer.compare(left.value, (b as { value: Buffer }).value);
}

const isExclusive = (bound: LexBound) => bound.kind !== 'value' || bound.exclusive;

export function gteMin(member: Buffer, range: LexRange): boolean {
  const order = compareLex(member, range.min);
  return isExclusive(range.min) ? order > 0 : order >= 0;
}

export function lteMax(member: Buffer, range: LexRange): boolean {
  const order = compareLex(member, range.max);
  return isExclusive(range.max) ? order < 0 : order <= 0;
}

/** The test for ranges that are always empty (zslIsInLexRange's first step). */
export function isEmptyLexRange(range: LexRange): boolean {
  const order = compareLex(range.min, range.max);
  return order > 0 || (order === 0 && (isExclusive(range.min) || isExclusive(range.max)));
}

const ZERO_BYTE = Buffer.from([0]);

/** With one score, the keys of the members within range; undefined when the zset has several scores. */
function uniformKeys(keyspace: Keyspace, version: number, range: LexRange): KeyRange | undefined {
  const whole = wholeIndex(version);
  const first = firstEntry(keyspace, whole);
  if (first === undefined) return { start: whole.end, end: whole.end };
  const sortable = sortableOfKey(first.key);
  const next = nextSortable(sortable);
  const groupEnd = next === undefined ? indexEnd(version) : Buffer.concat([indexStart(version), next]);
  if (firstEntry(keyspace, { start: groupEnd, end: whole.end }) !== undefined) return undefined;
  const group = Buffer.concat([indexStart(version), sortable]);
  const { min, max } = range;
  const start = min.kind === 'min' ? group : min.kind === 'max' ? groupEnd
    : Buffer.concat(min.exclusive ? [group, min.value, ZERO_BYTE] : [group, min.value]);
  const end = max.kind === 'max' ? groupEnd : max.kind === 'min' ? group
    : Buffer.concat(max.exclusive ? [group, max.value] : [group, max.value, ZERO_BYTE]);
  return { start, end };
}

/** Several scores, forward: the run of zzlFirstInLexRange and the loop after it, as a generator. */
function* forwardRun(keyspace: Keyspace, version: number, range: LexRange): Generator<IndexEntry> {
  const whole = wholeIndex(version);
  const last = lastEntries(keyspace, whole, 1)[0];
  if (last === undefined || !gteMin(last.member, range)) return;
  let started = false;
  for (const entry of walkIndex(keyspace, whole)) {
    if (!started) {
      if (!gteMin(entry.member, range)) continue;
      if (!lteMax(entry.member, range)) return;
      started = true;
    } else if (!lteMax(entry.member, range)) {
      return;
    }
    yield entry;
  }
}

/**
 * Several scores, reverse: the run ending at the last member <= max (zzlLastInLexRange) and going
 * back while members are >= min, as positions [first, last] of the index, or undefined.
 */
function reverseRun(keyspace: Keyspace, version: number, range: LexRange): { first: number; last: number } | undefined {
  let position = 0;
  let blockStart = -1; // start of the current run of members >= min, -1 when outside one
  let found: { first: number; last: number } | undefined;
  let firstMember: Buffer | undefined;
  let lastMember: Buffer | undefined;
  for (const entry of walkIndex(keyspace, wholeIndex(version))) {
    firstMember ??= entry.member;
    lastMember = entry.member;
    const above = gteMin(entry.member, range);
    if (!above) blockStart = -1;
    else if (blockStart < 0) blockStart = position;
    if (lteMax(entry.member, range)) found = above ? { first: blockStart, last: position } : undefined;
    position++;
  }
  if (firstMember === undefined || lastMember === undefined || !lteMax(firstMember, range) || !gteMin(lastMember, range)) return undefined;
  return found;
}

export interface LexQuery {
  total: number; // the zset's members
  reverse: boolean;
  offset: number; // negative: nothing (Redis walks past the end)
  count: number; // negative: no limit
  limit: number; // the most entries this may return (else ZsetResultLimitError)
}

/** The members of a lex range in the order asked, after offset, at most count of them. */
export function lexEntries(keyspace: Keyspace, version: number, range: LexRange, query: LexQuery): IndexEntry[] {
  const { total, reverse, offset, count, limit } = query;
  if (isEmptyLexRange(range) || offset < 0 || count === 0) return [];
  const keys = uniformKeys(keyspace, version, range);
  if (keys !== undefined) {
    return reverse ? reverseSlice(keyspace, version, total, keys, offset, count, limit) : entriesFrom(keyspace, keys, offset, count, limit);
  }
  if (!reverse) {
    const taken: IndexEntry[] = [];
    let skipped = 0;
    for (const entry of forwardRun(keyspace, version, range)) {
      if (skipped++ < offset) continue;
      if (taken.length >= limit) throw new ZsetResultLimitError(limit);
      taken.push(entry);
      if (count > 0 && taken.length >= count) break;
    }
    return taken;
  }
  const run = reverseRun(keyspace, version, range);
  if (run === undefined) return [];
  const last = run.last - offset;
  const first = count < 0 ? run.first : Math.max(run.first, last - count + 1);
  if (last < first) return [];
  return entriesFrom(keyspace, wholeIndex(version), first, last - first + 1, limit).reverse();
}

/** ZLEXCOUNT. */
export function lexCount(keyspace: Keyspace, version: number, total: number, range: LexRange): number {
  if (isEmptyLexRange(range)) return 0;
  const keys = uniformKeys(keyspace, version, range);
  if (keys !== undefined) return countInRange(keyspace, version, total, keys);
  let counted = 0;
  for (const _entry of forwardRun(keyspace, version, range)) counted++;
  return counted;
}
