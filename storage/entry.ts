// storage/entry.ts: one version of one key (Entry), the positioned iterator every layer offers
// (EntryIterator, LevelDB style), the entry order, and a MergingIterator over several iterators.
// Invariants:
// - Entry order everywhere: key ascending (Buffer.compare), then seq descending (newest first).
// - A delete carries an empty value; expireAtMs 0 means the entry never expires.
// - MergingIterator yields the union of its children in entry order; for entries that compare
//   equal (same key and seq, which a correct engine never produces) the child listed first wins
//   the tie and comes out first. It does not drop versions: callers filter by snapshot.
import assert from 'node:assert/strict';

export type EntryKind = 'put' | 'delete';

export interface Entry {
  key: Buffer;
  seq: number;
  kind: EntryKind;
  value: Buffer; // empty for delete
  expireAtMs: number; // 0 = never
}

/**
 * The engine user's say over what flush and compaction keep: true drops this version of key, by the
 * key alone (a flush then builds no view of each value). The caller guarantees nothing reads a
 * dropped entry again, including an older version of the same key that a deeper table still holds
 * (dead namespaces, dead versions).
 */
export type CompactionFilter = (key: Buffer) => boolean;

export interface EntryIterator {
  seekToFirst(): void;
  seek(key: Buffer): void; // first entry with entry.key >= key (newest version first)
  valid(): boolean;
  entry(): Entry; // asserts valid()
  next(): void;
  /**
   * Optional: seek(key) for a read that stops before end, which may instead leave the iterator
   * invalid when it can tell without decoding entries that it holds none in [key, end) (a table
   * whose next block or table starts at or past end). The iterator is then done for that read.
   */
  seekBelow?(key: Buffer, end: Buffer): void;
  /**
   * Optional: a key no entry from key on is below (a level's table holding key starts there), told
   * without positioning the iterator, or undefined when it cannot tell; a merge seeks the iterator
   * only once it reaches that key.
   */
  smallestKeyFrom?(key: Buffer): Buffer | undefined;
}

/** Buffer.compare for keys; a JS loop for short ones (the native call costs more than the bytes). */
export function compareKeys(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  if (length > 32) return Buffer.compare(a, b);
  for (let index = 0; index < length; index++) {
    const difference = a[index]! - b[index]!;
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Key ascending, then seq descending. */
export function compareEntries(a: Entry, b: Entry): number {
  const byKey = compareKeys(a.key, b.key);
  if (byKey !== 0) return byKey;
  return b.seq - a.seq;
}

/** Compare a (key, seq) position with an entry in entry order. */
export function compareKeySeq(key: Buffer, seq: number, entry: Entry): number {
  const byKey = Buffer.compare(key, entry.key);
  if (byKey !== 0) return byKey;
  return entry.seq - seq;
}

/** An iterator over an array already in entry order (tests and small in-memory sets). */
export class ArrayEntryIterator implements EntryIterator {
  private index = 0;
  constructor(private readonly entries: readonly Entry[]) {
    this.index = entries.length;
  }
  seekToFirst(): void {
    this.index = 0;
  }
  seek(key: Buffer): void {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (Buffer.compare(this.entries[mid]!.key, key) < 0) low = mid + 1;
      else high = mid;
    }
    this.index = low;
  }
  valid(): boolean {
    return this.index < this.entries.length;
  }
  entry(): Entry {
    assert.ok(this.valid(), 'ArrayEntryIterator.entry() on an invalid iterator');
    return this.entries[this.index]!;
  }
  next(): void {
    assert.ok(this.valid(), 'ArrayEntryIterator.next() on an invalid iterator');
    this.index++;
  }
}

/**
 * Merges children into one iterator in entry order using a binary min-heap of child indexes.
 * Children are owned by the caller; positioning the merger positions every child.
 */
export class MergingIterator implements EntryIterator {
  private heap: number[] = []; // child indexes, heap-ordered by (current entry, child index)

  constructor(private readonly children: readonly EntryIterator[]) {}

  seekToFirst(): void {
    for (const child of this.children) child.seekToFirst();
    this.rebuild();
  }

  seek(key: Buffer): void {
    for (const child of this.children) child.seek(key);
    this.rebuild();
  }

  valid(): boolean {
    return this.heap.length > 0;
  }

  entry(): Entry {
    assert.ok(this.valid(), 'MergingIterator.entry() on an invalid iterator');
    return this.children[this.heap[0]!]!.entry();
  }

  next(): void {
    assert.ok(this.valid(), 'MergingIterator.next() on an invalid iterator');
    const top = this.heap[0]!;
    const child = this.children[top]!;
    child.next();
    if (child.valid()) {
      this.siftDown(0);
    } else {
      const last = this.heap.pop()!;
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.siftDown(0);
      }
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (let index = 0; index < this.children.length; index++) {
      if (this.children[index]!.valid()) this.heap.push(index);
    }
    for (let position = (this.heap.length >>> 1) - 1; position >= 0; position--) {
      this.siftDown(position);
    }
  }

  private less(a: number, b: number): boolean {
    const order = compareEntries(this.children[a]!.entry(), this.children[b]!.entry());
    return order < 0 || (order === 0 && a < b);
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    let position = start;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= heap.length) return;
      const right = left + 1;
      let smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[left]!)) smallest = right;
      if (!this.less(heap[smallest]!, heap[position]!)) return;
      const swap = heap[position]!;
      heap[position] = heap[smallest]!;
      heap[smallest] = swap;
      position = smallest;
    }
  }
}
