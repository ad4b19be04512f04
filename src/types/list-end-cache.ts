// src/types/list-end-cache.ts: runs of elements at the ends of hot lists, kept in memory so that a
// pop (LPOP / RPOP, BLPOP / BRPOP, LMOVE, LMPOP) takes its element without a point lookup in the
// memtable and the tables. A queue (LPUSH at one end, RPOP at the other) pops elements written long
// ago, from tables: one page read of up to LIST_END_FILL_ELEMENTS_MAX of them costs about as much
// as one or two point lookups (bench/README.md, helper RP).
// Invariants:
// - Per keyspace and keyed by the list's version, which is never handed out twice. Deleting,
//   overwriting, expiring, renaming, moving, copying, restoring, flushing or swapping a key
//   changes which version its metadata names (or names none), and every pop looks the metadata up
//   first, so only a version's elements can go stale. Elements change only through
//   keyspace.putElement / deleteElement, which tell this cache as they stage each one
//   (onElementStaged): a run holds the values at the indexes [first, end) exactly as staged, so a
//   put or delete at its first or last index shrinks it by that index, one inside drops it, one
//   outside leaves it as is. Shrinking and dropping are right whether the write commits or not.
// - Filled only from committed state: while the keyspace has nothing staged (in an EXEC after a
//   write, a read sees staged writes a refused or discarded commit would undo).
// - Dropped whole when the keyspace drops staged writes, has a commit refused or changes read-only
//   mode (stagedResets); not used at all once the engine has failed (it rolled its memtable back
//   to the acknowledged writes; the caller says so); a read-only keyspace (a replica's, whose
//   elements its primary's batches change) caches nothing. FLUSHDB, FLUSHALL and SWAPDB drop it
//   (only to free the runs of versions that died).
// - A run is filled only at the second pop in a row at one end of a list (the previous pop there
//   took the index one further out): a stack (LPUSH and LPOP alternating) pops the element it just
//   pushed, which the memtable holds, and a fill per pop would cost more.
// - Bounded (src/ops/config.ts limits): a fill reads at most listEndCacheFillElementsMax elements
//   and about listEndCacheFillBytesMax bytes (from the list's average entry size), at most
//   listEndCacheListsMax lists are kept and at most listEndCacheBytesMax bytes (values plus
//   RUN_OVERHEAD_BYTES per run); past a bound the oldest filled go first.
import { elementVersionOf, readU64BE } from '../keyspace/layout.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { limits } from '../ops/config.js';
import { elementViewsBetween, elementsBetween, LIST_ELEMENT_KEY_BYTES, listLength, type ListEnd, type ListState } from './list.js';

/** Heap bytes counted per run besides its values: the run object, its offsets and its map slot. */
export const RUN_OVERHEAD_BYTES = 256;

export interface ListEndCacheLimits {
  fillElementsMax: number;
  fillBytesMax: number;
  listsMax: number;
  bytesMax: number;
}

/** The values at indexes [first, end) of one version: value i is slab[offsets[i - base] .. offsets[i - base + 1]). */
interface Run {
  base: number; // the index of the fill's first value
  first: number;
  end: number;
  slab: Buffer;
  offsets: Int32Array;
  bytes: number;
}

/** One list's runs and the index of the last pop at each end (to fill at the second pop in a row). */
interface CachedList {
  head: Run | undefined;
  tail: Run | undefined;
  headPopped: number;
  tailPopped: number;
}

interface EndCache {
  resets: number; // keyspace.stagedResets when last checked
  byVersion: Map<number, CachedList>;
  bytes: number;
  enabled: boolean;
  limits: ListEndCacheLimits;
  hits: number;
  fills: number;
}

const caches = new WeakMap<Keyspace, EndCache>();

function clear(cache: EndCache): void {
  cache.byVersion.clear();
  cache.bytes = 0;
}

function drop(cache: EndCache, version: number): void {
  const cached = cache.byVersion.get(version);
  if (cached === undefined) return;
  cache.byVersion.delete(version);
  cache.bytes -= (cached.head?.bytes ?? 0) + (cached.tail?.bytes ?? 0);
}

/** A staged put or delete at index: the run keeps only indexes the write left as they were. */
function shrunk(cache: EndCache, run: Run | undefined, index: number): Run | undefined {
  if (run === undefined || index < run.first || index >= run.end) return run;
  if (index === run.first) run.first++;
  else if (index === run.end - 1) run.end--;
  else run.first = run.end; // inside: nothing of it is kept
  if (run.first < run.end) return run;
  cache.bytes -= run.bytes;
  return undefined;
}

function onStaged(cache: EndCache, key: Buffer): void {
  if (key.length !== LIST_ELEMENT_KEY_BYTES) return; // not a list element
  const cached = cache.byVersion.get(elementVersionOf(key));
  if (cached === undefined) return;
  const index = readU64BE(key, LIST_ELEMENT_KEY_BYTES - 8);
  cached.head = shrunk(cache, cached.head, index);
  cached.tail = shrunk(cache, cached.tail, index);
}

function cacheOf(keyspace: Keyspace): EndCache {
  let cache = caches.get(keyspace);
  if (cache === undefined) {
    const created: EndCache = {
      resets: keyspace.stagedResets, byVersion: new Map(), bytes: 0, enabled: true, hits: 0, fills: 0,
      limits: { fillElementsMax: limits.listEndCacheFillElementsMax, fillBytesMax: limits.listEndCacheFillBytesMax, listsMax: limits.listEndCacheListsMax, bytesMax: limits.listEndCacheBytesMax },
    };
    keyspace.addElementCacheHooks((key) => {
      if (created.byVersion.size !== 0) onStaged(created, key);
    }, () => clear(created));
    caches.set(keyspace, created);
    cache = created;
  } else if (cache.resets !== keyspace.stagedResets) {
    cache.resets = keyspace.stagedResets;
    clear(cache);
  }
  return cache;
}

function valueOf(run: Run, index: number): Buffer {
  const at = index - run.base;
  return run.slab.subarray(run.offsets[at]!, run.offsets[at + 1]!);
}

/**
 * The element at index (an end of the list: head or tail - 1 as state says, or next to it for a
 * pop of several) from the cache, or undefined (then a point read). A miss at an end right after
 * a miss at its neighbour outward fills a run there from the engine when nothing is staged.
 * usable: false once the engine has failed.
 */
export function listEndElement(keyspace: Keyspace, state: ListState, end: ListEnd, index: number, usable: boolean): Buffer | undefined {
  if (!usable || keyspace.readOnly) return undefined;
  const cache = cacheOf(keyspace);
  if (!cache.enabled) return undefined;
  const { version } = state.record;
  let cached = cache.byVersion.get(version);
  const run = cached?.[end];
  if (run !== undefined && index >= run.first && index < run.end) {
    cache.hits++;
    if (end === 'head') cached!.headPopped = index;
    else cached!.tailPopped = index;
    return valueOf(run, index);
  }
  if (cached === undefined) {
    cached = { head: undefined, tail: undefined, headPopped: -1, tailPopped: -1 };
    cache.byVersion.set(version, cached);
    evict(cache);
  }
  const inARow = end === 'head' ? cached.headPopped === index - 1 : cached.tailPopped === index + 1;
  if (end === 'head') cached.headPopped = index;
  else cached.tailPopped = index;
  if (!inARow || keyspace.hasStaged()) return undefined;
  const filled = fill(cache, keyspace, state, end, index);
  if (filled === undefined) return undefined;
  if (cached[end] !== undefined) cache.bytes -= cached[end].bytes;
  cached[end] = filled;
  cache.bytes += filled.bytes;
  cache.fills++;
  cache.byVersion.delete(version); // the newest fill goes last in eviction order
  cache.byVersion.set(version, cached);
  evict(cache);
  return valueOf(filled, index);
}

/** A run of elements from index inward (up to the fill bounds), copied out of the engine into one slab. */
function fill(cache: EndCache, keyspace: Keyspace, state: ListState, end: ListEnd, index: number): Run | undefined {
  const { fillElementsMax, fillBytesMax } = cache.limits;
  const length = listLength(state);
  const averageBytes = Math.max(1, state.entryBytes / Math.max(1, length));
  const count = Math.min(fillElementsMax, Math.floor(fillBytesMax / averageBytes), end === 'head' ? state.tail - index : index + 1 - state.head);
  if (count < 2) return undefined;
  const from = end === 'head' ? index - state.head : index - state.head - count + 1; // positions
  const to = from + count - 1;
  const offsets = new Int32Array(count + 1);
  let slab: Buffer;
  const views = elementViewsBetween(keyspace, state, from, to);
  if (views !== undefined) {
    let bytes = 0;
    for (let at = 0; at < count; at++) bytes += views.lengths[at]!;
    slab = Buffer.allocUnsafeSlow(bytes);
    let offset = 0;
    for (let at = 0; at < count; at++) {
      offsets[at] = offset;
      const start = views.offsets[at]!;
      offset += views.sources[at]!.copy(slab, offset, start, start + views.lengths[at]!);
    }
    offsets[count] = offset;
  } else {
    const values = elementsBetween(keyspace, state, from, to);
    slab = Buffer.allocUnsafeSlow(values.reduce((sum, value) => sum + value.length, 0));
    let offset = 0;
    values.forEach((value, at) => {
      offsets[at] = offset;
      offset += value.copy(slab, offset);
    });
    offsets[count] = offset;
  }
  const base = state.head + from;
  return { base, first: base, end: base + count, slab, offsets, bytes: slab.length + RUN_OVERHEAD_BYTES };
}

/** Drops the oldest filled lists until within the bounds. */
function evict(cache: EndCache): void {
  const { listsMax, bytesMax } = cache.limits;
  while (cache.byVersion.size > listsMax || (cache.bytes > bytesMax && cache.byVersion.size > 0)) {
    const version = cache.byVersion.keys().next().value as number;
    drop(cache, version);
  }
}

/** An emptied list's version died with its key: its runs go at once. */
export function dropListEnds(keyspace: Keyspace, version: number): void {
  const cache = caches.get(keyspace);
  if (cache !== undefined) drop(cache, version);
}

/** Lists with cached runs, their bytes as counted against the bound, pops served and fills. */
export function listEndCacheStats(keyspace: Keyspace): { lists: number; bytes: number; bytesMax: number; hits: number; fills: number } {
  const cache = caches.get(keyspace);
  if (cache === undefined) return { lists: 0, bytes: 0, bytesMax: limits.listEndCacheBytesMax, hits: 0, fills: 0 };
  return { lists: cache.byVersion.size, bytes: cache.bytes, bytesMax: cache.limits.bytesMax, hits: cache.hits, fills: cache.fills };
}

/** Tests: turns the cache off (pops read the engine) or on, and sets its bounds. */
export function configureListEndCache(keyspace: Keyspace, options: { enabled?: boolean; limits?: Partial<ListEndCacheLimits> }): void {
  const cache = cacheOf(keyspace);
  if (options.enabled !== undefined) cache.enabled = options.enabled;
  cache.limits = { ...cache.limits, ...options.limits };
  evict(cache);
}
