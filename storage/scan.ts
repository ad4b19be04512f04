// storage/scan.ts: a range scan at one point in time over memtables and tables (ScanCursor), and
// the Iterable/AsyncIterable wrapper Engine.scan() returns.
// Invariants:
// - A cursor sees exactly the versions with seq <= its snapshot: for each key the newest such
//   version decides; a delete or an expired put (expireAtMs <= the scan's start time) hides it.
// - start is inclusive, end exclusive, after exclusive; keys come out ascending, each once.
// - The cursor owns a pin (memtables + Version + snapshot registration) and releases it exactly
//   once: when exhausted, on return()/break, or on close().
// - Every entry the merge passes over without returning it (older versions, deletes, expired puts,
//   versions newer than the snapshot) counts in pin.counters: entriesSkipped, and tombstonesSkipped
//   for deletes. A scan across a deleted range is as slow as these counts (compaction drops them).
// - The active memtable may take puts while an async scan waits: the engine then inserts with
//   keepOlderVersions, so no version the snapshot sees disappears, and the memtable's iterator
//   re-seeks past its last (key, seq) after a put.
// Cost: the cursor merges its iterators itself (a binary heap of child indexes over each child's
// current Entry, fetched once per position, with 8 key bytes as two numbers), compares keys in JS
// rather than with the native Buffer.compare, and builds a ScanItem only for an entry it returns.
// The 8 bytes are those after the prefix every key of [seek key, end) shares (a sorted set's
// index range shares 12 bytes: namespace and version), so heads inside the range differ there;
// a child whose head leaves the prefix is past end and leaves the heap. A child that can tell
// from its index that it holds nothing in [seek key, end) (EntryIterator.seekBelow: a table whose
// block, a level whose table, starts at or past end) is not positioned at all.
import assert from 'node:assert/strict';
import { compareKeys, type Entry, type EntryIterator } from './entry.js';

export interface ScanItem {
  key: Buffer;
  value: Buffer;
  expireAtMs?: number;
}

export interface ScanOptions {
  start?: Buffer;
  end?: Buffer;
  after?: Buffer;
  snapshot?: boolean; // every scan is a snapshot; accepted for callers that say so
}

export interface ScanCounters {
  entriesSkipped: number;
  tombstonesSkipped: number;
}

export interface ScanPin {
  iterators: EntryIterator[];
  snapshotSeq: number;
  counters?: ScanCounters;
  /** Optional: smallestKeys[i] is a key iterators[i] holds nothing below (a table's smallest key), or undefined. */
  smallestKeys?: readonly (Buffer | undefined)[];
  release(): void;
}

/** A yield to the event loop every so many items of an async scan, so a long scan shares it. */
export const ASYNC_SCAN_ITEMS_PER_YIELD = 1024;

/** Whether keys a and b hold the same bytes (a JS loop: keys are short). */
function sameKey(a: Buffer, b: Buffer): boolean {
  const length = a.length;
  if (length !== b.length) return false;
  if (length > 64) return a.equals(b);
  for (let index = length - 1; index >= 0; index--) if (a[index] !== b[index]) return false; // keys differ late: shared prefixes
  return true;
}

/**
 * Key bytes start .. start + 3 as a big-endian u32, zero-padded past the key's end: keys whose
 * words differ are ordered as their words are, so most heap comparisons compare two numbers.
 */
function prefixWord(key: Buffer, start: number): number {
  if (start + 4 <= key.length) return ((key[start]! << 24) | (key[start + 1]! << 16) | (key[start + 2]! << 8) | key[start + 3]!) >>> 0;
  let word = 0;
  for (let index = start; index < start + 4; index++) word = word * 256 + (index < key.length ? key[index]! : 0);
  return word;
}

const EMPTY_PREFIX = Buffer.alloc(0);

/** How many leading bytes a and b share. */
function sharedPrefixBytes(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a[index] === b[index]) index++;
  return index;
}

export class ScanCursor {
  private children: readonly EntryIterator[] = [];
  private readonly heads: (Entry | undefined)[] = []; // heads[i]: children[i]'s current entry, undefined once exhausted or while unseeked
  private readonly bounds: (Buffer | undefined)[] = []; // bounds[i]: children[i] is not seeked yet and holds no key below it
  private readonly headHigh: number[] = []; // key bytes prefix .. prefix + 3 of heads[i] or bounds[i] (prefixWord)
  private readonly headLow: number[] = []; // key bytes prefix + 4 .. prefix + 7
  private prefix: Buffer = EMPTY_PREFIX; // bytes every key in [seek key, end) starts with
  private seekKey: Buffer | undefined; // where every child is seeked from (undefined: its first entry)
  private end: Buffer | undefined;
  private readonly heap: number[] = []; // child indexes, heap-ordered by (head entry or bound, child index)
  private nowMs = 0;
  private lastKey: Buffer | undefined;
  private released = true;
  private pin: ScanPin = CLOSED_PIN;

  /** A cursor over pin's iterators; without a pin, closed until open() (Engine.scanPage reuses one). */
  constructor(pin?: ScanPin, options?: ScanOptions) {
    if (pin !== undefined) this.open(pin, options ?? {});
  }

  /**
   * Positions the cursor (closed: this one's last pin released) at options' range over pin's
   * iterators. A child with a smallest key past the seek key (pin.smallestKeys, or the child's
   * smallestKeyFrom) is not seeked until the merge reaches that key, and never when it is at or
   * past end; every other child is seeked here.
   */
  open(pin: ScanPin, options: ScanOptions): this {
    assert.ok(this.released, 'ScanCursor.open() on an open cursor');
    this.pin = pin;
    this.released = false;
    this.nowMs = Date.now();
    const children = pin.iterators;
    this.children = children;
    const { start, after, end } = options;
    this.lastKey = after;
    const seekKey = start !== undefined && (after === undefined || Buffer.compare(start, after) > 0) ? start : after;
    this.seekKey = seekKey;
    this.end = end;
    this.prefix = seekKey === undefined || end === undefined ? EMPTY_PREFIX : seekKey.subarray(0, sharedPrefixBytes(seekKey, end));
    const count = children.length;
    const { heads, bounds, heap } = this;
    while (heads.length < count) { // grown by push, so the arrays stay packed
      heads.push(undefined);
      bounds.push(undefined);
      this.headHigh.push(0);
      this.headLow.push(0);
    }
    heap.length = 0;
    try {
      for (let index = 0; index < count; index++) {
        heads[index] = undefined;
        bounds[index] = undefined;
        const bound = this.boundOf(index);
        if (bound === undefined) {
          this.position(index);
          if (heads[index] !== undefined) heap.push(index);
        } else if (end === undefined || compareKeys(bound, end) < 0) {
          this.setBound(index, bound);
          heap.push(index);
        }
      }
    } catch (error) {
      this.close(); // a block read failed (StorageError): nobody else holds this pin to release it
      throw error;
    }
    for (let position = (heap.length >>> 1) - 1; position >= 0; position--) this.siftDown(position);
    return this;
  }

  /** The next live item, or undefined at the end (the pin is then released). */
  next(): ScanItem | undefined {
    const entry = this.nextLive();
    if (entry === undefined) return undefined;
    return entry.expireAtMs === 0
      ? { key: entry.key, value: entry.value }
      : { key: entry.key, value: entry.value, expireAtMs: entry.expireAtMs };
  }

  /**
   * The newest version (seq <= snapshot) of the next key when it is a live put, as the child
   * iterator's Entry; undefined at the end (the pin is then released).
   */
  nextLive(): Entry | undefined {
    if (this.released) return undefined;
    const { end } = this;
    const { snapshotSeq } = this.pin;
    const counters = this.pin.counters ?? UNCOUNTED;
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      const entry = this.heads[top];
      if (entry === undefined) {
        this.seekTop(top); // a bound: no entry of any child sorts before it
        continue;
      }
      if (end !== undefined && compareKeys(entry.key, end) >= 0) break;
      try {
        this.advance(top);
      } catch (error) {
        this.close(); // a block read failed (StorageError): the caller's loop ends without close()
        throw error;
      }
      if (entry.seq > snapshotSeq || (this.lastKey !== undefined && sameKey(this.lastKey, entry.key))) {
        counters.entriesSkipped++;
        if (entry.kind === 'delete') counters.tombstonesSkipped++;
        continue;
      }
      this.lastKey = entry.key;
      if (entry.kind === 'delete' || isExpired(entry, this.nowMs)) {
        counters.entriesSkipped++;
        if (entry.kind === 'delete') counters.tombstonesSkipped++;
        continue;
      }
      return entry;
    }
    this.close();
    return undefined;
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    this.heads.fill(undefined); // no entry (a view of a memtable's arena) outlives the read in a reused cursor
    this.bounds.fill(undefined);
    this.heap.length = 0;
    const pin = this.pin;
    this.pin = CLOSED_PIN;
    pin.release();
  }

  /** A key child index holds nothing below, past the seek key (then seeked lazily), or undefined (seek it now). */
  private boundOf(index: number): Buffer | undefined {
    const seekKey = this.seekKey;
    const smallest = this.pin.smallestKeys?.[index] ?? this.children[index]!.smallestKeyFrom?.(seekKey ?? EMPTY_PREFIX);
    if (smallest === undefined || (seekKey !== undefined && compareKeys(smallest, seekKey) <= 0)) return undefined;
    return smallest;
  }

  /** Seeks child index (as every child is: from the seek key, or its first entry) and makes its entry the head. */
  private position(index: number): void {
    const child = this.children[index]!;
    const { seekKey, end } = this;
    if (seekKey === undefined) child.seekToFirst();
    else if (end !== undefined && child.seekBelow !== undefined) child.seekBelow(seekKey, end);
    else child.seek(seekKey);
    if (child.valid()) this.setHead(index, child.entry());
  }

  /** Seeks child top, at the heap's root with its bound, and restores the heap. */
  private seekTop(top: number): void {
    this.bounds[top] = undefined;
    try {
      this.position(top);
    } catch (error) {
      this.close();
      throw error;
    }
    if (this.heads[top] !== undefined) {
      this.siftDown(0);
      return;
    }
    this.removeTop();
  }

  /** Moves child `top` (at the heap's root) to its next entry and restores the heap. */
  private advance(top: number): void {
    const child = this.children[top]!;
    child.next();
    if (child.valid() && this.setHead(top, child.entry())) {
      this.siftDown(0);
      return;
    }
    this.heads[top] = undefined;
    this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  /** Makes bound child index's place in the merge until it is seeked (bound is in [seek key, end), so within the prefix). */
  private setBound(index: number, bound: Buffer): void {
    const start = this.prefix.length;
    this.bounds[index] = bound;
    this.headHigh[index] = prefixWord(bound, start);
    this.headLow[index] = prefixWord(bound, start + 4);
  }

  /**
   * Makes entry child index's head, unless its key leaves the shared prefix: it is then past end
   * (as is everything after it in that child), so the child is done and the head stays undefined.
   * Returns whether the entry became the head.
   */
  private setHead(index: number, entry: Entry): boolean {
    const key = entry.key;
    const prefix = this.prefix;
    const start = prefix.length;
    let shared = key.length >= start;
    for (let at = start - 1; shared && at >= 0; at--) shared = key[at] === prefix[at]; // keys differ late: shared prefixes
    if (!shared) {
      this.heads[index] = undefined;
      return false;
    }
    this.heads[index] = entry;
    this.headHigh[index] = prefixWord(key, start);
    this.headLow[index] = prefixWord(key, start + 4);
    return true;
  }

  /**
   * Entry order (key ascending, seq descending); ties go to the child listed first. An unseeked
   * child sorts at its bound before every entry of that key (it may hold a newer version of it).
   */
  private less(a: number, b: number): boolean {
    const highA = this.headHigh[a]!;
    const highB = this.headHigh[b]!;
    if (highA !== highB) return highA < highB;
    const lowA = this.headLow[a]!;
    const lowB = this.headLow[b]!;
    if (lowA !== lowB) return lowA < lowB;
    const left = this.heads[a];
    const right = this.heads[b];
    const order = compareKeys(left?.key ?? this.bounds[a]!, right?.key ?? this.bounds[b]!);
    if (order !== 0) return order < 0;
    if (left === undefined || right === undefined) return left === undefined && (right !== undefined || a < b);
    return left.seq !== right.seq ? left.seq > right.seq : a < b;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const length = heap.length;
    let position = start;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= length) return;
      const right = left + 1;
      let smallest = left;
      if (right < length && this.less(heap[right]!, heap[left]!)) smallest = right;
      if (!this.less(heap[smallest]!, heap[position]!)) return;
      const swap = heap[position]!;
      heap[position] = heap[smallest]!;
      heap[smallest] = swap;
      position = smallest;
    }
  }
}
const CLOSED_PIN: ScanPin = { iterators: [], snapshotSeq: 0, release: () => undefined };
const UNCOUNTED: ScanCounters = { entriesSkipped: 0, tombstonesSkipped: 0 };

export function isExpired(entry: Entry, nowMs: number): boolean {
  return entry.expireAtMs !== 0 && entry.expireAtMs <= nowMs;
}

/** Up to limit items, and whether more remain (false, unread, unless askMore); closes the cursor. */
export function readPage(cursor: ScanCursor, limit: number, askMore = true): { items: ScanItem[]; more: boolean } {
  try {
    const items: ScanItem[] = [];
    while (items.length < limit) {
      const item = cursor.next();
      if (item === undefined) return { items, more: false };
      items.push(item);
    }
    return { items, more: askMore && cursor.next() !== undefined };
  } finally {
    cursor.close();
  }
}

export type ScanIterable = AsyncIterable<ScanItem> & Iterable<ScanItem>;

/** Each iteration opens its own cursor (its own point in time) when it starts. */
export function scanIterable(openCursor: () => ScanCursor): ScanIterable {
  return {
    [Symbol.iterator](): Iterator<ScanItem> {
      const cursor = openCursor();
      return {
        next: () => {
          const item = cursor.next();
          return item === undefined ? { done: true, value: undefined } : { done: false, value: item };
        },
        return: () => {
          cursor.close();
          return { done: true, value: undefined };
        },
      };
    },
    [Symbol.asyncIterator](): AsyncIterator<ScanItem> {
      const cursor = openCursor();
      let sinceYield = 0;
      return {
        next: async () => {
          if (++sinceYield >= ASYNC_SCAN_ITEMS_PER_YIELD) {
            sinceYield = 0;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          const item = cursor.next();
          return item === undefined ? { done: true, value: undefined } : { done: false, value: item };
        },
        return: async () => {
          cursor.close();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
