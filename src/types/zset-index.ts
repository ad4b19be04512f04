// src/types/zset-index.ts: ordered reads of a sorted set through its score index
// [version][ZSET_KIND.score][sortable score][member] (zset.ts), which is in Redis's order. The engine
// iterates forward only and keeps no counts, so positions cost walks:
// - a score range is a key range: found with one seek, read forward;
// - a count (ZCOUNT, ZLEXCOUNT) or a rank (ZRANK, ZREVRANK) walks the range and its complement
//   in lockstep and stops at the first to end: O(min(k, N - k)) entries for an answer k of N
//   (Redis: O(log N));
// - the last entries of a range (ZREVRANGE 0 9, ZRANGE -10 -1, ZPOPMAX, a REV range with LIMIT)
//   come from a bisection of the key space: probe a key between lo and hi by walking forward at
//   most window = max(2 * count, count + 32) entries; more than that left means the tail starts
//   later (lo moves up to the first key found), fewer than count means earlier (hi moves down);
//   in between, the probe holds the answer. TAIL_PROBES_MAX probes at most, each a seek and at
//   most window + 1 entries; if they do not settle (members with very long common prefixes), a
//   walk from lo keeps the last count entries. So the top 10 of a 1M-member zset costs about a
//   hundred seeks and a few thousand entries, not a million.
// - entries by rank [first, last] take the cheaper of a walk from the start (last + 1 entries)
//   and the tail bisection (about TAIL_WALK_FACTOR times N - first entries): ZRANGE of the middle
//   of a big zset is O(rank), as ZRANK is.
// Invariants:
// - Every walk is a generator over keyspace.elements (staged writes included) closed when left
//   early, so no engine cursor stays open after a call. A short forward read (at most
//   PAGE_ENTRIES_MAX entries: ZRANGE 0 9, a LIMIT, a bisection probe) is one engine page instead
//   when nothing is staged in its range (keyspace.elementsPage), without generators.
// - Range bounds follow Redis's comparisons: -0 equals +0, an exclusive bound excludes equal
//   scores, min > max (or min == max with an open end) is empty.
import assert from 'node:assert/strict';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { StoredEntry } from '../keyspace/overlay.js';
import { SCORE_BYTES } from './score-order.js';
import type { ScoreBound } from './score-text.js';
import { INDEX_HEADER_BYTES, indexEnd, indexEntryOf, indexStart, scoreBoundKey, scoreKey, type ScoredMember } from './zset.js';

/** Bisection probes for the last entries of a range before falling back to one walk. */
export const TAIL_PROBES_MAX = 256;
/** Entries by rank come from the tail bisection when the tail is this many times shorter than the head. */
export const TAIL_WALK_FACTOR = 64;
/** A reverse read with LIMIT buffers at most this many entries (offset + count) before counting instead. */
export const TAIL_BUFFER_MAX = 65_536;
/** A forward read of at most this many entries (skip + take) is one engine page, not a walk of generators. */
export const PAGE_ENTRIES_MAX = 256;
/** The widest key tail (bytes after the common prefix) the bisection splits. */
const SPLIT_BYTES_MAX = 256;

/** A command asked for more members than its bound lets it hold (the commands answer an error). */
export class ZsetResultLimitError extends Error {
  override name = 'ZsetResultLimitError';
  readonly code = 'ERR_ZSET_RESULT_LIMIT';
  readonly limit: number;
  constructor(limit: number) {
    super(`more than ${limit} sorted set members in one result`);
    this.limit = limit;
  }
}

export interface IndexEntry extends ScoredMember {
  key: Buffer;
}

/** An index entry as the engine holds it: decoded by indexEntryOf / indexScoreOf (zset.ts). */
export interface RawEntry {
  key: Buffer;
  value: Buffer;
}

export interface KeyRange {
  start: Buffer; // first key in the range
  end: Buffer; // first key past it
}

export function* walkIndex(keyspace: Keyspace, range: KeyRange): Generator<IndexEntry> {
  for (const entry of walkRaw(keyspace, range)) yield decoded(entry);
}

/** The engine entries of range, not decoded (counting and skipping need no member or score). */
function* walkRaw(keyspace: Keyspace, range: KeyRange): Generator<StoredEntry> {
  if (Buffer.compare(range.start, range.end) >= 0) return;
  yield* keyspace.elements(range.start, range.end);
}

function decoded(entry: { key: Buffer; value: Buffer }): IndexEntry {
  const { member, score } = indexEntryOf(entry.key, entry.value);
  return { key: entry.key, member, score };
}

export function wholeIndex(version: number): KeyRange {
  return { start: indexStart(version), end: indexEnd(version) };
}

export interface ScoreRange {
  min: ScoreBound;
  max: ScoreBound;
}

/** The keys of the members within range, or undefined when the range is empty (zslIsInRange). */
export function scoreRangeKeys(version: number, range: ScoreRange): KeyRange | undefined {
  const { min, max } = range;
  if (min.value > max.value || (min.value === max.value && (min.exclusive || max.exclusive))) return undefined;
  const start = scoreBoundKey(version, min.value, min.exclusive);
  if (start === undefined) return undefined;
  return { start, end: scoreBoundKey(version, max.value, !max.exclusive) ?? indexEnd(version) };
}

/**
 * The raw entries of range at positions skip .. skip + take - 1 (fewer at its end) from one engine
 * page, when they fit one (take > 0, skip + take <= PAGE_ENTRIES_MAX) and nothing is staged in
 * range; undefined otherwise (walk instead). Keys and values are views valid until the caller
 * returns to the event loop.
 */
export function indexPage(keyspace: Keyspace, range: KeyRange, skip: number, take: number): RawEntry[] | undefined {
  if (take <= 0 || skip < 0 || skip + take > PAGE_ENTRIES_MAX) return undefined;
  if (Buffer.compare(range.start, range.end) >= 0) return [];
  const items = keyspace.elementsPage(range.start, range.end, skip + take, false)?.items;
  if (items === undefined || skip === 0) return items;
  return items.slice(skip);
}

/** Entries of range in order: `skip` passed over, then at most `take` (all when negative). */
export function entriesFrom(keyspace: Keyspace, range: KeyRange, skip: number, take: number, limit: number): IndexEntry[] {
  const taken: IndexEntry[] = [];
  if (take === 0) return taken;
  const page = take <= limit ? indexPage(keyspace, range, skip, take) : undefined;
  if (page !== undefined) return page.map(decoded);
  let skipped = 0;
  for (const entry of walkRaw(keyspace, range)) {
    if (skipped < skip) {
      skipped++;
      continue;
    }
    if (taken.length >= limit) throw new ZsetResultLimitError(limit);
    taken.push(decoded(entry));
    if (take > 0 && taken.length >= take) break;
  }
  return taken;
}

function* chain(parts: ReadonlyArray<Iterable<StoredEntry>>): Generator<StoredEntry> {
  for (const part of parts) yield* part;
}

/**
 * How many of a zset's `total` entries are in range: the range and its complement walked in
 * lockstep; the first to end answers (O(min(k, total - k))).
 */
export function countInRange(keyspace: Keyspace, version: number, total: number, range: KeyRange): number {
  const whole = wholeIndex(version);
  if (Buffer.compare(range.start, range.end) >= 0) return 0;
  const inside = walkRaw(keyspace, range);
  const outside = chain([walkRaw(keyspace, { start: whole.start, end: range.start }), walkRaw(keyspace, { start: range.end, end: whole.end })]);
  try {
    for (let counted = 0; ; counted++) {
      if (inside.next().done === true) return counted;
      if (outside.next().done === true) {
        assert.ok(counted + 1 <= total, `a zset of ${total} members holds more outside a range`);
        return total - counted;
      }
    }
  } finally {
    inside.return(undefined);
    outside.return(undefined);
  }
}

/** ZRANK: the position of the member (known to hold score) among total entries. */
export function rankOf(keyspace: Keyspace, version: number, total: number, member: Buffer, score: number): number {
  return countInRange(keyspace, version, total, { start: indexStart(version), end: scoreKey(version, score, member) });
}

/** A key strictly between lo and hi (lo < hi), or undefined when none is found within SPLIT_BYTES_MAX. */
export function keyBetween(lo: Buffer, hi: Buffer): Buffer | undefined {
  let common = 0;
  while (common < lo.length && common < hi.length && lo[common] === hi[common]) common++;
  const width = Math.min(Math.max(lo.length, hi.length) - common, SPLIT_BYTES_MAX);
  const numberOf = (bytes: Buffer, size: number): bigint => {
    const padded = Buffer.alloc(size);
    bytes.copy(padded, 0, common, Math.min(bytes.length, common + size));
    return padded.length === 0 ? 0n : BigInt(`0x${padded.toString('hex')}`);
  };
  for (let size = Math.max(width, 1); size <= width + 1; size++) {
    const low = numberOf(lo, size);
    const high = numberOf(hi, size);
    if (high - low < 2n) continue;
    const middle = Buffer.from(((low + high) / 2n).toString(16).padStart(size * 2, '0'), 'hex');
    const key = Buffer.concat([lo.subarray(0, common), middle]);
    if (Buffer.compare(key, lo) > 0 && Buffer.compare(key, hi) < 0) return key;
  }
  return undefined;
}

/** Up to `window` + 1 entries from `from` to end, and whether the walk reached the end. */
function probe(keyspace: Keyspace, from: Buffer, end: Buffer, window: number): { entries: { key: Buffer; value: Buffer }[]; complete: boolean } {
  if (window < PAGE_ENTRIES_MAX && Buffer.compare(from, end) < 0) {
    const page = keyspace.elementsPage(from, end, window + 1, false);
    if (page !== undefined) return { entries: page.items, complete: page.items.length <= window };
  }
  const entries: StoredEntry[] = [];
  for (const entry of walkRaw(keyspace, { start: from, end })) {
    entries.push(entry);
    if (entries.length > window) return { entries, complete: false };
  }
  return { entries, complete: true };
}

/** The last `count` entries of range, in order (all of them when it holds fewer). */
export function lastEntries(keyspace: Keyspace, range: KeyRange, count: number): IndexEntry[] {
  if (count <= 0) return [];
  const window = Math.max(2 * count, count + 32);
  const first = probe(keyspace, range.start, range.end, window);
  if (first.complete) return first.entries.slice(-count).map(decoded);
  let lo = first.entries[0]!.key; // more than window entries from lo to the end
  let hi = range.end; // fewer than count
  for (let probes = 0; probes < TAIL_PROBES_MAX; probes++) {
    const middle = keyBetween(lo, hi);
    if (middle === undefined) break;
    const found = probe(keyspace, middle, range.end, window);
    if (!found.complete) lo = found.entries[0]!.key;
    else if (found.entries.length >= count) return found.entries.slice(-count).map(decoded);
    else hi = middle;
  }
  const ring: StoredEntry[] = [];
  let next = 0;
  for (const entry of walkRaw(keyspace, { start: lo, end: range.end })) {
    if (ring.length < count) ring.push(entry);
    else ring[next] = entry;
    next = (next + 1) % count;
  }
  return (ring.length < count ? ring : [...ring.slice(next), ...ring.slice(0, next)]).map(decoded);
}

/** The first entry of range, or undefined. */
export function firstEntry(keyspace: Keyspace, range: KeyRange): IndexEntry | undefined {
  for (const entry of walkIndex(keyspace, range)) return entry;
  return undefined;
}

/**
 * A reverse read of range (ZREVRANGEBYSCORE ... LIMIT offset count): the entries at reverse
 * positions offset .. offset + count - 1 (all from offset when count is negative), last first.
 * From the tail bisection while offset + count is at most TAIL_BUFFER_MAX, else from a count of
 * the range and a forward walk, so memory stays bounded by the answer.
 */
export function reverseSlice(keyspace: Keyspace, version: number, total: number, range: KeyRange, offset: number, count: number, limit: number): IndexEntry[] {
  if (offset < 0 || count === 0) return [];
  if (count > 0 && offset + count <= TAIL_BUFFER_MAX) {
    if (count > limit) throw new ZsetResultLimitError(limit);
    return lastEntries(keyspace, range, offset + count).reverse().slice(offset);
  }
  const inRange = countInRange(keyspace, version, total, range);
  const end = inRange - offset; // forward position one past the first entry answered
  if (end <= 0) return [];
  const start = count < 0 ? 0 : Math.max(0, end - count);
  if (end - start > limit) throw new ZsetResultLimitError(limit);
  return entriesFrom(keyspace, range, start, end - start, limit).reverse();
}

/** Entries of rank first .. last (0 <= first <= last < total), in order, by the cheaper walk. */
export function entriesByRank(keyspace: Keyspace, version: number, total: number, first: number, last: number, limit: number): IndexEntry[] {
  assert.ok(first >= 0 && first <= last && last < total, 'a rank range inside the zset');
  if (last - first + 1 > limit) throw new ZsetResultLimitError(limit);
  const tail = total - first;
  if (tail * TAIL_WALK_FACTOR < first) return lastEntries(keyspace, wholeIndex(version), tail).slice(0, last - first + 1);
  return entriesFrom(keyspace, wholeIndex(version), first, last - first + 1, limit);
}

/** The sortable score bytes of an index key. */
export function sortableOfKey(key: Buffer): Buffer {
  return key.subarray(INDEX_HEADER_BYTES, INDEX_HEADER_BYTES + SCORE_BYTES);
}
