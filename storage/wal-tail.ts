// storage/wal-tail.ts: the newest write batches in memory, exactly as the engine put them in the
// WAL (wal.ts batch payloads), so a replica that keeps up reads them without a file read. Older
// batches are read from the WAL files (wal-cursor.ts).
// Invariants:
// - Entries are contiguous: each one's firstSeq is the previous one's lastSeq + 1, in the order
//   written. push() of a batch that does not follow the last one empties the tail first.
// - Their payload bytes sum to at most bytesMax (the oldest go first); a batch larger than
//   bytesMax alone is not kept (the tail is then empty: readers fall back to the files).
// - The tail knows nothing of durability: readers pass the highest sequence number they may see.
import assert from 'node:assert/strict';

/** One write batch as the WAL holds it: ops firstSeq .. lastSeq, payload as wal.ts encodes it. */
export interface WalBatchRecord {
  firstSeq: number;
  lastSeq: number;
  payload: Buffer;
}

/** Dropped entries are spliced out of the array once this many have piled up at its head. */
const DROPPED_SPLICE_MIN = 1024;

export class WalTail {
  private entries: WalBatchRecord[] = [];
  private head = 0; // entries before it are dropped
  private bytes = 0;

  constructor(private bytesMax: number) {
    assert.ok(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `tail of ${bytesMax} bytes`);
  }

  get heldBytes(): number {
    return this.bytes;
  }

  setBytesMax(bytesMax: number): void {
    assert.ok(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `tail of ${bytesMax} bytes`);
    this.bytesMax = bytesMax;
    this.dropOverBound();
  }

  push(record: WalBatchRecord): void {
    if (this.bytesMax === 0) return; // off (no replica asked for it): the engine's write path pays one check
    assert.ok(record.lastSeq >= record.firstSeq, 'a batch holds at least one op');
    const last = this.entries[this.entries.length - 1];
    if (this.head < this.entries.length && last !== undefined && last.lastSeq + 1 !== record.firstSeq) this.clear();
    if (record.payload.length > this.bytesMax) {
      this.clear(); // kept contiguous: what follows starts a new run
      return;
    }
    this.entries.push(record);
    this.bytes += record.payload.length;
    this.dropOverBound();
  }

  /** The first sequence number held, or undefined when empty. */
  firstSeq(): number | undefined {
    return this.entries[this.head]?.firstSeq;
  }

  /** The last sequence number held, or undefined when empty. */
  lastSeq(): number | undefined {
    return this.head < this.entries.length ? this.entries[this.entries.length - 1]!.lastSeq : undefined;
  }

  /** Whether a read from fromSeq can be served here: a held batch starts there, or it is the next one to come. */
  holds(fromSeq: number): boolean {
    const first = this.firstSeq();
    const last = this.lastSeq();
    return first !== undefined && last !== undefined && fromSeq >= first && fromSeq <= last + 1 && this.indexOf(fromSeq) !== undefined;
  }

  /**
   * The batches from the one starting at fromSeq on, none past uptoSeq, at most bytesMax payload
   * bytes (but at least one batch when one is there). Requires holds(fromSeq).
   */
  read(fromSeq: number, uptoSeq: number, bytesMax: number): WalBatchRecord[] {
    const start = this.indexOf(fromSeq);
    assert.ok(start !== undefined, `the tail does not hold ${fromSeq}`);
    const batches: WalBatchRecord[] = [];
    let bytes = 0;
    for (let index = start; index < this.entries.length; index++) {
      const entry = this.entries[index]!;
      if (entry.lastSeq > uptoSeq) break;
      if (batches.length > 0 && bytes + entry.payload.length > bytesMax) break;
      batches.push(entry);
      bytes += entry.payload.length;
    }
    return batches;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }

  /** The index of the entry starting at seq; entries.length for the one after the last; else undefined. */
  private indexOf(seq: number): number | undefined {
    let low = this.head;
    let high = this.entries.length;
    if (low === high) return undefined;
    if (seq === this.entries[high - 1]!.lastSeq + 1) return high;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.entries[mid]!.firstSeq < seq) low = mid + 1;
      else high = mid;
    }
    return this.entries[low]?.firstSeq === seq ? low : undefined;
  }

  private dropOverBound(): void {
    while (this.bytes > this.bytesMax && this.head < this.entries.length) {
      this.bytes -= this.entries[this.head]!.payload.length;
      this.head++;
    }
    if (this.head === this.entries.length) this.clear();
    else if (this.head >= DROPPED_SPLICE_MIN && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
