// storage/level-iterator.ts: one iterator over a sorted, non-overlapping level (1..6): it walks the
// level's tables in key order and opens only the table it is in. A seek binary-searches the tables
// by largest key, so a scan or compaction costs one table per level, not one per table.
// Invariants:
// - tables are sorted by smallestKey and do not overlap (the Version guarantees it), so the
//   concatenation of their entries is in entry order.
// - At most one table iterator is positioned at a time.
import assert from 'node:assert/strict';
import { compareKeys, type Entry, type EntryIterator } from './entry.js';

/** In a sorted, non-overlapping level: the index of the first table whose largest key is >= key (tables.length: none). */
export function tableIndexFor(tables: readonly { readonly meta: { readonly largestKey: Buffer } }[], key: Buffer): number {
  let low = 0;
  let high = tables.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(tables[mid]!.meta.largestKey, key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

export interface LevelTable {
  readonly meta: { readonly smallestKey: Buffer; readonly largestKey: Buffer };
  /** An unpositioned iterator over the table; it may re-aim `reuse` (another table's, no longer used) instead of allocating. */
  iterator(fillCache: boolean, reuse?: EntryIterator): EntryIterator;
}

export class LevelIterator implements EntryIterator {
  private index = 0;
  private current: EntryIterator | undefined;
  private spare: EntryIterator | undefined; // the last table iterator opened, re-aimed at the next table

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
    this.open(this.tableFor(key));
    this.current?.seek(key);
    this.skipExhausted();
  }

  /** The first table whose largest key is >= key (tables.length: none). */
  private tableFor(key: Buffer): number {
    return tableIndexFor(this.tables, key);
  }

  /**
   * seek(key) for a read that stops before end: invalid, without opening a table, when the table
   * the key falls in (or the one after, once that is exhausted) starts at or past end.
   */
  seekBelow(key: Buffer, end: Buffer): void {
    let index = this.tableFor(key);
    for (;;) {
      if (index >= this.tables.length || compareKeys(this.tables[index]!.meta.smallestKey, end) >= 0) {
        this.index = index;
        this.current = undefined;
        return;
      }
      this.open(index);
      const current = this.current!;
      if (current.seekBelow !== undefined) current.seekBelow(key, end);
      else current.seek(key);
      if (current.valid()) return;
      index++;
    }
  }

  /** The smallest key of the table key falls in or before (the level holds nothing from key on below it); undefined past the last. */
  smallestKeyFrom(key: Buffer): Buffer | undefined {
    return this.tables[this.tableFor(key)]?.meta.smallestKey;
  }

  valid(): boolean {
    return this.current?.valid() ?? false;
  }

  entry(): Entry {
    if (this.current === undefined) assert.fail('LevelIterator.entry() on an invalid iterator'); // not assert.ok: a hot path
    return this.current.entry();
  }

  next(): void {
    if (this.current === undefined) assert.fail('LevelIterator.next() on an invalid iterator');
    this.current.next();
    this.skipExhausted();
  }

  private open(index: number): void {
    this.index = index;
    if (index >= this.tables.length) {
      this.current = undefined;
      return;
    }
    this.spare = this.tables[index]!.iterator(this.fillCache, this.spare);
    this.current = this.spare;
  }

  private skipExhausted(): void {
    while (this.current !== undefined && !this.current.valid()) {
      this.open(this.index + 1);
      this.current?.seekToFirst();
    }
  }
}
