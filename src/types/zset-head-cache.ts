// src/types/zset-head-cache.ts: the first and the last entries of hot sorted sets, in score order
// with their scores, kept in memory so that ZRANGE key 0 9 (and ZREVRANGE 0 9, ZRANGE -10 -1, REV,
// WITHSCORES) answers without opening an engine cursor over the memtable and every table.
// Invariants:
// - Per keyspace and keyed by the zset's version, which is never handed out twice. Deleting,
//   overwriting, expiring, renaming, moving, copying, restoring, flushing or swapping a key
//   changes which version its metadata names (or names none), and every read looks the metadata
//   up first (readZset), so only a version's elements can go stale. Elements change only through
//   keyspace.putElement / deleteElement, which tell this cache as they stage each one
//   (onElementStaged): the version's entry is dropped then, whether the write commits or not.
// - Filled only from committed state: while the keyspace has nothing staged (in an EXEC after a
//   write, a read sees staged writes a refused or discarded commit would undo).
// - Dropped whole when the keyspace drops staged writes, has a commit refused or changes read-only
//   mode (stagedResets), not used at all once the engine has failed (it rolled its memtable back to
//   the acknowledged writes; the caller says so), and a read-only keyspace (a replica's, whose
//   elements its primary's batches change) caches nothing. FLUSHDB, FLUSHALL and SWAPDB drop it
//   too (only to free the entries of versions that died).
// - An entry answers only for a record of the count it was filled at (a mismatch drops it).
// - Bounded (src/ops/config.ts limits): at most zsetHeadCacheEntriesMax entries at each end of a
//   zset, zsetHeadCacheZsetsMax zsets and zsetHeadCacheBytesMax bytes (member and score reply bytes
//   plus ENTRY_OVERHEAD_BYTES per entry and ZSET_OVERHEAD_BYTES per zset); a fill larger than an eighth of
//   the bytes is not kept. When full, the zsets not read since the last pass go first (second chance).
// Fill cost: a miss reads entries 0 .. last (head) or the last total - first (tail bisection), as
// entriesByRank would for such a window, and copies their members into one Buffer with their
// scores as replies encode them (CachedMember), so WITHSCORES formats nothing on a hit; the
// members are kept as adjacent RESP bulk strings, so a hit without scores is one raw reply write
// (memberBulksCached).
import { elementVersionOf } from '../keyspace/layout.js';
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import { limits } from '../ops/config.js';
import { formatDoubleG17 } from './number-text.js';
import type { ScoredMember } from './zset.js';
import { entriesByRank, entriesFrom, lastEntries, wholeIndex, type IndexEntry } from './zset-index.js';

/** Heap bytes counted per cached entry besides its member's and score's: the entry object and its four Buffer views. */
export const ENTRY_OVERHEAD_BYTES = 400;
/** Heap bytes counted per cached zset: its record, two arrays and its map slot. */
export const ZSET_OVERHEAD_BYTES = 256;

export interface ZsetHeadCacheLimits {
  entriesMax: number; // per end of one zset
  zsetsMax: number;
  bytesMax: number;
}

interface CachedZset {
  count: number; // the record's count at the fill
  head: CachedMember[]; // ranks 0 .. head.length - 1
  tail: CachedMember[]; // ranks count - tail.length .. count - 1
  bytes: number;
  read: boolean; // read since the last eviction pass
}

interface HeadCache {
  resets: number; // keyspace.stagedResets when last checked
  byVersion: Map<number, CachedZset>;
  bytes: number;
  enabled: boolean;
  limits: ZsetHeadCacheLimits;
  hits: number;
  misses: number;
}

const caches = new WeakMap<Keyspace, HeadCache>();
const NONE: CachedMember[] = [];

function clear(cache: HeadCache): void {
  if (cache.byVersion.size === 0) return;
  cache.byVersion.clear();
  cache.bytes = 0;
}

function drop(cache: HeadCache, version: number): void {
  const cached = cache.byVersion.get(version);
  if (cached === undefined) return;
  cache.byVersion.delete(version);
  cache.bytes -= cached.bytes;
}

function cacheOf(keyspace: Keyspace): HeadCache {
  let cache = caches.get(keyspace);
  if (cache === undefined) {
    const created: HeadCache = {
      resets: keyspace.stagedResets, byVersion: new Map(), bytes: 0, enabled: true, hits: 0, misses: 0,
      limits: { entriesMax: limits.zsetHeadCacheEntriesMax, zsetsMax: limits.zsetHeadCacheZsetsMax, bytesMax: limits.zsetHeadCacheBytesMax },
    };
    keyspace.addElementCacheHooks((key) => {
      if (created.byVersion.size !== 0) drop(created, elementVersionOf(key));
    }, () => clear(created));
    caches.set(keyspace, created);
    cache = created;
  } else if (cache.resets !== keyspace.stagedResets) {
    cache.resets = keyspace.stagedResets;
    clear(cache);
  }
  return cache;
}

/**
 * Members of rank first .. last (0 <= first <= last < record.count) of a zset, in order: from the
 * cache when it holds them, else as entriesByRank reads them (and kept, when nothing is staged).
 * usable: false once the engine has failed.
 */
export function entriesByRankCached(keyspace: Keyspace, record: KeyRecord, first: number, last: number, limit: number, usable: boolean): ScoredMember[] {
  const { version, count: total } = record;
  if (!usable || keyspace.readOnly) return entriesByRank(keyspace, version, total, first, last, limit);
  const cache = cacheOf(keyspace);
  if (!cache.enabled) return entriesByRank(keyspace, version, total, first, last, limit);
  const cached = cache.byVersion.get(version);
  if (cached !== undefined) {
    if (cached.count !== total) {
      drop(cache, version);
    } else if (last < cached.head.length) {
      cached.read = true;
      cache.hits++;
      return cached.head.slice(first, last + 1);
    } else if (first >= total - cached.tail.length) {
      cached.read = true;
      cache.hits++;
      const offset = total - cached.tail.length;
      return cached.tail.slice(first - offset, last - offset + 1);
    }
  }
  cache.misses++;
  const { entriesMax } = cache.limits;
  if (keyspace.hasStaged() || last - first + 1 > limit) return entriesByRank(keyspace, version, total, first, last, limit);
  if (last < entriesMax) {
    const head = entriesFrom(keyspace, wholeIndex(version), 0, last + 1, limit);
    keep(cache, version, total, head, undefined);
    return head.slice(first, last + 1);
  }
  if (total - first <= entriesMax) {
    const tail = lastEntries(keyspace, wholeIndex(version), total - first);
    keep(cache, version, total, undefined, tail);
    return tail.slice(0, last - first + 1);
  }
  return entriesByRank(keyspace, version, total, first, last, limit);
}

/**
 * Ranks first .. last of a zset (0 <= first <= last < record.count) as the RESP bulk strings of
 * their members, in order, in one Buffer (the reply of ZRANGE key first last after its array
 * header), when the cache holds them; undefined otherwise (then entriesByRankCached). usable as there.
 */
export function memberBulksCached(keyspace: Keyspace, record: KeyRecord, first: number, last: number, usable: boolean): Buffer | undefined {
  if (!usable || keyspace.readOnly) return undefined;
  const cache = cacheOf(keyspace);
  const cached = cache.enabled ? cache.byVersion.get(record.version) : undefined;
  if (cached === undefined || cached.count !== record.count) return undefined;
  const offset = record.count - cached.tail.length;
  const inHead = last < cached.head.length;
  if (!inHead && first < offset) return undefined;
  const run = inHead ? cached.head : cached.tail;
  const shift = inHead ? 0 : offset;
  cached.read = true;
  cache.hits++;
  const start = run[first - shift]!.memberBulk;
  const end = run[last - shift]!.memberBulk;
  return Buffer.from(start.buffer, start.byteOffset, end.byteOffset + end.length - start.byteOffset);
}

/**
 * A cached entry: its member, the member as a RESP bulk string, and its score's two reply
 * encodings (a RESP2 bulk, a RESP3 double, Redis's "%.17g" text), all views of one Buffer per
 * fill, in which the member bulks of consecutive entries are adjacent (memberBulksCached).
 */
export interface CachedMember extends ScoredMember {
  memberBulk: Buffer;
  scoreBulk: Buffer;
  scoreDouble: Buffer;
}

/**
 * The entries with their members copied and their scores encoded into one Buffer (engine views do
 * not outlive the call): first every member's bulk string, then every score's two encodings.
 */
function copied(entries: readonly IndexEntry[]): CachedMember[] {
  const texts = entries.map(({ score }) => formatDoubleG17(score));
  const headers = entries.map(({ member }) => `$${member.length}\r\n`);
  let bytes = 0;
  entries.forEach((entry, index) => {
    const text = texts[index]!;
    bytes += headers[index]!.length + entry.member.length + 2 + `$${text.length}\r\n`.length + 2 * (text.length + 2) + 1;
  });
  const slab = Buffer.allocUnsafeSlow(bytes);
  let offset = 0;
  const view = (length: number) => slab.subarray(offset, (offset += length));
  const members = entries.map(({ member }, index) => {
    const header = headers[index]!;
    const start = offset;
    slab.write(header, offset, 'latin1');
    offset += header.length;
    member.copy(slab, offset);
    const copy = view(member.length);
    slab.write('\r\n', offset, 'latin1');
    offset += 2;
    return { member: copy, memberBulk: slab.subarray(start, offset) };
  });
  return entries.map(({ score }, index) => {
    const text = texts[index]!;
    const bulk = `$${text.length}\r\n${text}\r\n`;
    slab.write(bulk, offset, 'latin1');
    const scoreBulk = view(bulk.length);
    slab.write(`,${text}\r\n`, offset, 'latin1');
    return { ...members[index]!, score, scoreBulk, scoreDouble: view(text.length + 3) };
  });
}

function bytesOf(entries: readonly CachedMember[]): number {
  let bytes = 0;
  for (const entry of entries) bytes += entry.memberBulk.length + entry.scoreBulk.length + entry.scoreDouble.length + ENTRY_OVERHEAD_BYTES;
  return bytes;
}

/** Stores a fresh head or tail of version (the other end kept if the count is the same), then evicts to the bounds. */
function keep(cache: HeadCache, version: number, count: number, head: IndexEntry[] | undefined, tail: IndexEntry[] | undefined): void {
  const previous = cache.byVersion.get(version);
  const same = previous !== undefined && previous.count === count;
  const keptHead = head === undefined ? (same ? previous.head : NONE) : copied(head);
  const keptTail = tail === undefined ? (same ? previous.tail : NONE) : copied(tail);
  const bytes = ZSET_OVERHEAD_BYTES + bytesOf(keptHead) + bytesOf(keptTail);
  drop(cache, version);
  if (bytes > cache.limits.bytesMax / 8) return;
  cache.byVersion.set(version, { count, head: keptHead, tail: keptTail, bytes, read: false });
  cache.bytes += bytes;
  evict(cache);
}

/** Second chance: drops zsets from the oldest inserted on, skipping (once) those read since the last pass. */
function evict(cache: HeadCache): void {
  const { zsetsMax, bytesMax } = cache.limits;
  let steps = 2 * cache.byVersion.size + 1;
  while ((cache.byVersion.size > zsetsMax || cache.bytes > bytesMax) && steps-- > 0) {
    const [version, oldest] = cache.byVersion.entries().next().value as [number, CachedZset];
    cache.byVersion.delete(version);
    if (oldest.read) {
      oldest.read = false;
      cache.byVersion.set(version, oldest);
    } else {
      cache.bytes -= oldest.bytes;
    }
  }
}

/** INFO memory's figures: zsets cached, their bytes as counted against the bound, and reads served. */
export function zsetHeadCacheStats(keyspace: Keyspace): { zsets: number; bytes: number; bytesMax: number; hits: number; misses: number } {
  const cache = caches.get(keyspace);
  if (cache === undefined) return { zsets: 0, bytes: 0, bytesMax: limits.zsetHeadCacheBytesMax, hits: 0, misses: 0 };
  return { zsets: cache.byVersion.size, bytes: cache.bytes, bytesMax: cache.limits.bytesMax, hits: cache.hits, misses: cache.misses };
}

/** Tests: turns the cache off (reads go to the engine) or on, and sets its bounds. */
export function configureZsetHeadCache(keyspace: Keyspace, options: { enabled?: boolean; limits?: Partial<ZsetHeadCacheLimits> }): void {
  const cache = cacheOf(keyspace);
  if (options.enabled !== undefined) cache.enabled = options.enabled;
  cache.limits = { ...cache.limits, ...options.limits };
  evict(cache);
}
