// storage/block-cache.ts: an LRU of decoded SSTable blocks shared by all open readers, bounded by
// the bytes the blocks charge (contents plus a fixed per-block overhead), keyed by
// (fileNumber, block offset). The capacity is the engine's one memory budget (cacheBytes): other
// residents (the table cache's open readers with their filter and index blocks) reserve() part
// of it, and blocks get what is left.
// Invariants:
// - After every set() and reserve(), bytes() + reservedBytes() <= capacityBytes unless the
//   reservations alone exceed it (then no block is cached): least recently used blocks are
//   evicted first; a block charging more than the unreserved capacity is not cached at all.
// - get() of a hit makes that block the most recently used; has() changes nothing (a readahead
//   asking where to stop is neither a hit nor a miss).
// - evictFile() drops every block of a file (called when the file is deleted or closed for good).
// Bookkeeping without an object per block: each cached block has a slot, an index into typed
// arrays (its file number, offset, where it lies in its slab, charge, and LRU links to older and
// newer slots) and into one array of slabs; get() builds a Block over the bytes for its caller.
// A free slot has file number -1 and is chained through `newer`. An open-addressing table
// (linear probing, load <= 1/2, backward-shift deletion: no tombstones) maps (file, offset) to
// slot + 1 (0 = empty). A reader keeps each block's last known slot + 1 in its BlockSlots; that
// is a hint, checked against the slot's file and offset on use (a slot is reused once its block
// leaves), so the cache never has to find a reader to forget a slot.
// Block memory: blocks read to be cached are carved out of shared slabs (BlockMemory) rather than
// each getting its own ArrayBuffer, which costs more than the read itself. A slab is freed by the
// garbage collector once no block (or view of one) in it is referenced, so a slab whose other
// blocks were evicted stays alive for one: the heap may hold more than bytes() says, at most
// BLOCK_SLAB_BYTES per cached block and in practice a small multiple of the budget.
import assert from 'node:assert/strict';
import { Block } from './block.js';

/**
 * JS heap bytes a cached block costs beyond its contents: its entry in the cache's array of slabs
 * (8, kept for up to twice the cached count); the cache keeps no object per block. Measured: 20k
 * blocks cached through set(), heapUsed after a full GC, 19 bytes a block (310 with a Block,
 * a Buffer view and a CacheNode per block in a Map per file, before).
 */
export const BLOCK_CACHE_HEAP_BYTES = 16;
/**
 * What a cached block charges beyond its contents: its JS heap bytes and its share of the slot
 * typed arrays outside the heap (file, offset, start, length, charge, LRU links: 48 bytes; the
 * hash table: 8; a reader's slot hint: 4; slots kept for up to twice the cached count).
 */
export const BLOCK_CACHE_OVERHEAD_BYTES = BLOCK_CACHE_HEAP_BYTES + 88;
/**
 * Size of one slab of BlockMemory; a request above a quarter of it gets a buffer of its own. A
 * slab's tail that the next block does not fit is lost: at 64 KiB (15 blocks of ~4.2 KiB) 4.5 MiB
 * of slabs held 98 MiB of cached blocks after 1M SETs, at 128 KiB 1.2 MiB (bench/README.md).
 */
export const BLOCK_SLAB_BYTES = 128 * 1024;

export interface BlockCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  blockCount: number;
  bytes: number;
  reservedBytes: number;
  capacityBytes: number;
}

/**
 * A reader's hints by block index: slot + 1 of where the cache last held that block (0: none).
 * get() and set() write them; a stale hint costs one hash lookup.
 */
export type BlockSlots = Int32Array;

/** Slots the cache starts with; it doubles them as blocks arrive, never shrinks. */
const SLOTS_INITIAL = 64;
const NONE = -1;

/**
 * A bump allocator over BLOCK_SLAB_BYTES slabs for blocks about to be cached. claim(bytes) returns
 * the offset in `buffer` (read it after the call: claim may switch to a new slab) of bytes that no
 * other claim overlaps. Claims are 8-byte aligned.
 */
export class BlockMemory {
  buffer: Buffer = Buffer.alloc(0);
  private used = 0;

  claim(bytes: number): number {
    assert.ok(Number.isSafeInteger(bytes) && bytes > 0, `claim of ${bytes} bytes`);
    if (bytes > BLOCK_SLAB_BYTES / 4) {
      this.buffer = Buffer.allocUnsafeSlow(bytes);
      this.used = this.buffer.length; // a buffer of its own: the next claim starts a slab
      return 0;
    }
    if (this.used + bytes > this.buffer.length) {
      this.buffer = Buffer.allocUnsafeSlow(BLOCK_SLAB_BYTES);
      this.used = 0;
    }
    const offset = this.used;
    this.used = (offset + bytes + 7) & ~7;
    return offset;
  }
}

export class BlockCache {
  /** Where blocks read to be cached are placed (see BlockMemory). */
  readonly memory = new BlockMemory();
  private slabs: (Buffer | undefined)[] = []; // the buffer each cached block lies in, at starts[slot], lengths[slot] bytes
  private starts = new Float64Array(0);
  private lengths = new Float64Array(0);
  private fileNumbers = new Float64Array(0); // NONE: a free slot
  private offsets = new Float64Array(0);
  private charges = new Float64Array(0);
  private older = new Int32Array(0);
  private newer = new Int32Array(0); // for a free slot: the next free slot
  private table = new Int32Array(0); // slot + 1 by hash of (file, offset); 0 = empty
  private freeSlot = NONE;
  private oldest = NONE;
  private newest = NONE;
  private usedBytes = 0;
  private reserved = 0;
  private blockCount = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private capacity: number) {
    assert.ok(Number.isSafeInteger(capacity) && capacity >= 0, 'capacityBytes must be a non-negative integer');
    this.grow(SLOTS_INITIAL);
  }

  get capacityBytes(): number {
    return this.capacity;
  }

  /** Evicts least recently used blocks until the cached ones charge at most bytes; the capacity stays. */
  evictDownTo(bytes: number): void {
    while (this.usedBytes > bytes && this.oldest !== NONE) {
      this.removeSlot(this.oldest);
      this.evictions++;
    }
  }

  /** A new capacity (the server's memory budget moved): evicts least recently used blocks to fit it. */
  resize(capacityBytes: number): void {
    assert.ok(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, 'capacityBytes must be a non-negative integer');
    this.capacity = capacityBytes;
    this.evictToCapacity();
  }

  /**
   * The cached block, if any, made the most recently used: a new Block over the cached bytes (file
   * names the table in its errors). With slots, slots[slotIndex] is tried first as a hint and set
   * to where the block was found.
   */
  get(fileNumber: number, offset: number, slots?: BlockSlots, slotIndex = 0, file = `table ${fileNumber}`): Block | undefined {
    let slot = slots === undefined ? NONE : slots[slotIndex]! - 1;
    if (slot < 0 || this.fileNumbers[slot] !== fileNumber || this.offsets[slot] !== offset) {
      slot = this.slotOf(fileNumber, offset);
      if (slot === NONE) {
        this.misses++;
        return undefined;
      }
      if (slots !== undefined) slots[slotIndex] = slot + 1;
    }
    this.hits++;
    if (slot !== this.newest) {
      this.unlink(slot);
      this.linkNewest(slot);
    }
    const start = this.starts[slot]!;
    return new Block(this.slabs[slot]!, file, offset, start, start + this.lengths[slot]!, true);
  }

  /** Whether the block is cached, without counting a hit or a miss or making it recent. */
  has(fileNumber: number, offset: number): boolean {
    return this.slotOf(fileNumber, offset) !== NONE;
  }

  /**
   * Caches block's bytes (the buffer it lies in and where; not the Block) charging `bytes` (callers
   * pass contents length + BLOCK_CACHE_OVERHEAD_BYTES); with slots, slots[slotIndex] is set to its slot.
   */
  set(fileNumber: number, offset: number, block: Block, bytes: number, slots?: BlockSlots, slotIndex = 0): void {
    assert.ok(Number.isSafeInteger(bytes) && bytes > 0, 'a block charges a positive byte count');
    assert.ok(Number.isSafeInteger(fileNumber) && fileNumber >= 0 && Number.isSafeInteger(offset) && offset >= 0, `block ${fileNumber}:${offset}`);
    const existing = this.slotOf(fileNumber, offset);
    if (existing !== NONE) this.removeSlot(existing);
    if (bytes > this.capacity - this.reserved) return;
    if (this.freeSlot === NONE) this.grow(2 * this.fileNumbers.length);
    const slot = this.freeSlot;
    this.freeSlot = this.newer[slot]!;
    this.fileNumbers[slot] = fileNumber;
    this.offsets[slot] = offset;
    this.charges[slot] = bytes;
    this.slabs[slot] = block.data;
    this.starts[slot] = block.start;
    this.lengths[slot] = block.byteLength;
    this.insertIntoTable(slot);
    this.linkNewest(slot);
    if (slots !== undefined) slots[slotIndex] = slot + 1;
    this.usedBytes += bytes;
    this.blockCount++;
    this.evictToCapacity();
  }

  /** Charges bytes held elsewhere against the budget, evicting blocks to make room. */
  reserve(bytes: number): void {
    assert.ok(Number.isSafeInteger(bytes) && bytes >= 0, 'a reservation is a non-negative byte count');
    this.reserved += bytes;
    this.evictToCapacity();
  }

  /** Returns bytes charged by reserve(). */
  unreserve(bytes: number): void {
    assert.ok(Number.isSafeInteger(bytes) && bytes >= 0 && bytes <= this.reserved, `unreserve ${bytes} of ${this.reserved}`);
    this.reserved -= bytes;
  }

  reservedBytes(): number {
    return this.reserved;
  }

  /** Drops one block if it is cached; returns what it charged (0: it was not cached). */
  evictBlock(fileNumber: number, offset: number): number {
    const slot = this.slotOf(fileNumber, offset);
    if (slot === NONE) return 0;
    const charge = this.charges[slot]!;
    this.removeSlot(slot);
    this.evictions++;
    return charge;
  }

  /** Drops every block of a file: a walk over the slots (a file is deleted once per compaction, not per read). */
  evictFile(fileNumber: number): void {
    const fileNumbers = this.fileNumbers;
    for (let slot = 0; slot < fileNumbers.length; slot++) if (fileNumbers[slot] === fileNumber) this.removeSlot(slot);
  }

  bytes(): number {
    return this.usedBytes;
  }

  /** Bytes charged by the cached blocks of one file. */
  fileBytes(fileNumber: number): number {
    return this.filesBytes(new Set([fileNumber]));
  }

  /** Bytes charged by the cached blocks of these files: one walk over the slots, however many files. */
  filesBytes(files: ReadonlySet<number>): number {
    let bytes = 0;
    const fileNumbers = this.fileNumbers;
    for (let slot = 0; slot < fileNumbers.length; slot++) if (fileNumbers[slot] !== NONE && files.has(fileNumbers[slot]!)) bytes += this.charges[slot]!;
    return bytes;
  }

  /** The files of `files` with blocks cached: one walk over the slots. */
  cachedFiles(files: ReadonlySet<number>): Set<number> {
    const cached = new Set<number>();
    const fileNumbers = this.fileNumbers;
    for (let slot = 0; slot < fileNumbers.length; slot++) if (fileNumbers[slot] !== NONE && files.has(fileNumbers[slot]!)) cached.add(fileNumbers[slot]!);
    return cached;
  }

  stats(): BlockCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      blockCount: this.blockCount,
      bytes: this.usedBytes,
      reservedBytes: this.reserved,
      capacityBytes: this.capacityBytes,
    };
  }

  private evictToCapacity(): void {
    while (this.usedBytes + this.reserved > this.capacity && this.oldest !== NONE) {
      this.removeSlot(this.oldest);
      this.evictions++;
    }
  }

  /** The table position (file, offset) hashes to. */
  private home(fileNumber: number, offset: number): number {
    let hash = Math.imul(fileNumber | 0, 0x9e3779b1) ^ Math.imul((offset / 0x100000000) | 0, 0x85ebca6b) ^ (offset | 0);
    hash = Math.imul(hash ^ (hash >>> 16), 0x7feb352d);
    hash = Math.imul(hash ^ (hash >>> 15), 0x846ca68b);
    return (hash ^ (hash >>> 16)) & (this.table.length - 1);
  }

  /** The slot holding (file, offset), or NONE. */
  private slotOf(fileNumber: number, offset: number): number {
    const table = this.table;
    const mask = table.length - 1;
    for (let at = this.home(fileNumber, offset); ; at = (at + 1) & mask) {
      const slot = table[at]! - 1;
      if (slot === NONE) return NONE;
      if (this.fileNumbers[slot] === fileNumber && this.offsets[slot] === offset) return slot;
    }
  }

  private insertIntoTable(slot: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let at = this.home(this.fileNumbers[slot]!, this.offsets[slot]!);
    while (table[at] !== 0) at = (at + 1) & mask;
    table[at] = slot + 1;
  }

  /** Takes slot's entry out of the table, shifting back the entries after it that may move up (Knuth's algorithm R). */
  private deleteFromTable(slot: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let hole = this.home(this.fileNumbers[slot]!, this.offsets[slot]!);
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let at = (hole + 1) & mask; table[at] !== 0; at = (at + 1) & mask) {
      const moved = table[at]! - 1;
      const home = this.home(this.fileNumbers[moved]!, this.offsets[moved]!);
      // the entry at `at` may fill the hole unless its home lies cyclically in (hole, at]
      const stays = hole <= at ? home > hole && home <= at : home > hole || home <= at;
      if (stays) continue;
      table[hole] = table[at]!;
      hole = at;
    }
    table[hole] = 0;
  }

  private removeSlot(slot: number): void {
    this.deleteFromTable(slot);
    this.unlink(slot);
    this.usedBytes -= this.charges[slot]!;
    this.blockCount--;
    this.fileNumbers[slot] = NONE;
    this.offsets[slot] = NONE;
    this.slabs[slot] = undefined;
    this.newer[slot] = this.freeSlot;
    this.freeSlot = slot;
  }

  /** Grows the slot arrays to slotCount (a power of two) and rebuilds the table at twice that. */
  private grow(slotCount: number): void {
    const previous = this.fileNumbers.length;
    const widen = <T extends Float64Array | Int32Array>(array: T, make: (length: number) => T): T => {
      const wider = make(slotCount);
      wider.set(array);
      return wider;
    };
    this.fileNumbers = widen(this.fileNumbers, (length) => new Float64Array(length));
    this.offsets = widen(this.offsets, (length) => new Float64Array(length));
    this.starts = widen(this.starts, (length) => new Float64Array(length));
    this.lengths = widen(this.lengths, (length) => new Float64Array(length));
    this.charges = widen(this.charges, (length) => new Float64Array(length));
    this.older = widen(this.older, (length) => new Int32Array(length));
    this.newer = widen(this.newer, (length) => new Int32Array(length));
    for (let slot = previous; slot < slotCount; slot++) this.slabs.push(undefined); // in order: a packed array
    for (let slot = slotCount - 1; slot >= previous; slot--) {
      this.fileNumbers[slot] = NONE;
      this.offsets[slot] = NONE;
      this.newer[slot] = this.freeSlot;
      this.freeSlot = slot;
    }
    this.table = new Int32Array(2 * slotCount);
    for (let slot = 0; slot < previous; slot++) if (this.fileNumbers[slot] !== NONE) this.insertIntoTable(slot);
  }

  private unlink(slot: number): void {
    const older = this.older[slot]!;
    const newer = this.newer[slot]!;
    if (older === NONE) this.oldest = newer;
    else this.newer[older] = newer;
    if (newer === NONE) this.newest = older;
    else this.older[newer] = older;
  }

  private linkNewest(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = NONE;
    if (this.newest === NONE) this.oldest = slot;
    else this.newer[this.newest] = slot;
    this.newest = slot;
  }
}
