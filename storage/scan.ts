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
import { MergingIterator, type Entry, type EntryIterator } from './entry.js';

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
  release(): void;
}

/** A yield to the event loop every so many items of an async scan, so a long scan shares it. */
export const ASYNC_SCAN_ITEMS_PER_YIELD = 1024;

export class ScanCursor {
  private readonly merged: MergingIterator;
  private readonly nowMs = Date.now();
  private lastKey: Buffer | undefined;
  private released = false;

  constructor(
    private readonly pin: ScanPin,
    private readonly options: ScanOptions,
  ) {
    this.merged = new MergingIterator(pin.iterators);
    const { start, after } = options;
    this.lastKey = after;
    const seekKey = start !== undefined && (after === undefined || Buffer.compare(start, after) > 0) ? start : after;
    if (seekKey === undefined) this.merged.seekToFirst();
    else this.merged.seek(seekKey);
  }

  /** The next live item, or undefined at the end (the pin is then released). */
  next(): ScanItem | undefined {
    if (this.released) return undefined;
    const { end } = this.options;
    const { snapshotSeq } = this.pin;
    const counters = this.pin.counters ?? UNCOUNTED;
    while (this.merged.valid()) {
      const entry = this.merged.entry();
      if (end !== undefined && Buffer.compare(entry.key, end) >= 0) break;
      if (entry.seq > snapshotSeq || (this.lastKey !== undefined && this.lastKey.equals(entry.key))) {
        counters.entriesSkipped++;
        if (entry.kind === 'delete') counters.tombstonesSkipped++;
        this.merged.next();
        continue;
      }
      this.lastKey = entry.key;
      this.merged.next();
      if (entry.kind === 'delete' || isExpired(entry, this.nowMs)) {
        counters.entriesSkipped++;
        if (entry.kind === 'delete') counters.tombstonesSkipped++;
        continue;
      }
      return entry.expireAtMs === 0
        ? { key: entry.key, value: entry.value }
        : { key: entry.key, value: entry.value, expireAtMs: entry.expireAtMs };
    }
    this.close();
    return undefined;
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    this.pin.release();
  }
}

const UNCOUNTED: ScanCounters = { entriesSkipped: 0, tombstonesSkipped: 0 };

export function isExpired(entry: Entry, nowMs: number): boolean {
  return entry.expireAtMs !== 0 && entry.expireAtMs <= nowMs;
}

/** Up to limit items, and whether more remain; closes the cursor. */
export function readPage(cursor: ScanCursor, limit: number): { items: ScanItem[]; more: boolean } {
  try {
    const items: ScanItem[] = [];
    while (items.length < limit) {
      const item = cursor.next();
      if (item === undefined) return { items, more: false };
      items.push(item);
    }
    return { items, more: cursor.next() !== undefined };
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
