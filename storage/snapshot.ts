// storage/snapshot.ts: a point in time of the engine that many reads may use later (a reply
// streamed over many event-loop turns reads its data from one): Engine.snapshot() pins the
// memtables, the current Version and a snapshot sequence; scans and point reads here see exactly
// the versions with seq <= that sequence, whatever was written, flushed or compacted since.
// Invariants:
// - The pin is held from Engine.snapshot() to release(), which is idempotent; reads after release
//   are a bug (asserted). While it is held the engine keeps what the snapshot sees (memtable puts
//   keep older versions, flushes and compactions keep versions at or below its sequence, tables
//   stay open) and counts it in stats().openSnapshots.
// - Scans opened here own no pin of their own: a scan abandoned half way (a generator never
//   resumed) leaks nothing once the snapshot is released.
import assert from 'node:assert/strict';
import type { EntryIterator } from './entry.js';
import { readPage, ScanCursor, scanIterable, type ScanCounters, type ScanItem, type ScanIterable, type ScanOptions } from './scan.js';

/** What Engine.pinReaders() holds for a reader: release() exactly once. */
export interface PinnedReaders {
  snapshotSeq: number;
  /** Fresh iterators over the pinned memtables and Version. */
  iterators(): EntryIterator[];
  release(): void;
}

const NO_RELEASE = (): void => undefined;
const KEY_END_BYTE = Buffer.from([0]);

export class EngineSnapshot {
  private released = false;

  constructor(
    private readonly pinned: PinnedReaders,
    private readonly counters: ScanCounters,
  ) {}

  get sequence(): number {
    return this.pinned.snapshotSeq;
  }

  isReleased(): boolean {
    return this.released;
  }

  /** Live items in key order as of the snapshot. */
  scan(options: ScanOptions = {}): ScanIterable {
    return scanIterable(() => this.openCursor(options));
  }

  /** Up to limit items as of the snapshot, and whether more remain. */
  scanPage(options: ScanOptions, limit: number, askMore = true): { items: ScanItem[]; more: boolean } {
    assert.ok(Number.isSafeInteger(limit) && limit >= 0, `scanPage limit ${limit}`);
    return readPage(this.openCursor(options), limit, askMore);
  }

  /** The live value of key as of the snapshot (an expired put reads as absent, as in a scan), or undefined. */
  getEntry(key: Buffer): { value: Buffer; expireAtMs: number } | undefined {
    const { items } = readPage(this.openCursor({ start: key, end: Buffer.concat([key, KEY_END_BYTE]) }), 1);
    const item = items[0];
    return item === undefined ? undefined : { value: item.value, expireAtMs: item.expireAtMs ?? 0 };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.pinned.release();
  }

  private openCursor(options: ScanOptions): ScanCursor {
    assert.ok(!this.released, 'a read from a released engine snapshot');
    const { snapshotSeq } = this.pinned;
    return new ScanCursor({ iterators: this.pinned.iterators(), snapshotSeq, counters: this.counters, release: NO_RELEASE }, options);
  }
}
