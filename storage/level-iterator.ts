// storage/level-iterator.ts: one iterator over a sorted, non-overlapping level (1..6): it walks the
// level's tables in key order and opens only the table it is in. A seek binary-searches the tables
// by largest key, so a scan or compaction costs one table per level, not one per table.
// Invariants:
// - tables are sorted by smallestKey and do not overlap (the Version guarantees it), so the
//   concatenation of their entries is in entry order.
// - At most one table iterator is positioned at a time.
import assert from 'node:assert/strict';
import type { Entry, EntryIterator } from './entry.js';

export interface LevelTable {
  readonly meta: { readonly largestKey: Buffer };
  iterator(fillCache: boolean): EntryIterator;
}

export class LevelIterator implements EntryIterator {
  private index = 0;
  private current: EntryIterator | undefined;

  constructor(
    private readonly tables: readonly LevelTable[],
    private readonly fillCache = true,
  ) {}

  seekToFirst(): void {
    this.open(0);
    this.current?.seekToFirst();
    this.skipExhausted();
  }

  seek(key: Buffer): void {
    let low = 0;
    let high = this.tables.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (Buffer.compare(this.tables[mid]!.meta.largestKey, key) < 0) low = mid + 1;
      else high = mid;
    }
    this.open(low);
    this.current?.seek(key);
    this.skipExhausted();
  }

  valid(): boolean {
    return this.current?.valid() ?? false;
  }

  entry(): Entry {
    assert.ok(this.current !== undefined, 'LevelIterator.entry() on an invalid iterator');
    return this.current.entry();
  }

  next(): void {
    assert.ok(this.current !== undefined, 'LevelIterator.next() on an invalid iterator');
    this.current.next();
    this.skipExhausted();
  }

  private open(index: number): void {
    this.index = index;
    this.current = index < this.tables.length ? this.tables[index]!.iterator(this.fillCache) : undefined;
  }

  private skipExhausted(): void {
    while (this.current !== undefined && !this.current.valid()) {
      this.open(this.index + 1);
      this.current?.seekToFirst();
    }
  }
}
