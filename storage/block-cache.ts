// storage/block-cache.ts: an LRU of decoded SSTable blocks shared by all open readers, bounded by
// the bytes the blocks charge (contents plus a fixed per-block overhead), keyed by
// (fileNumber, block offset). The capacity is the engine's one memory budget (cacheBytes): other
// residents (the table cache's open readers with their filter and index blocks) reserve() part
// of it, and blocks get what is left.
// Invariants:
// - After every set() and reserve(), bytes() + reservedBytes() <= capacityBytes unless the
//   reservations alone exceed it (then no block is cached): least recently used blocks are
//   evicted first; a block charging more than the unreserved capacity is not cached at all.
// - get() of a hit makes that block the most recently used, as does touch() of a reader's slot;
//   has() changes nothing (a readahead asking where to stop is neither a hit nor a miss).
// - A node is in at most one reader's BlockSlots, and in none once it left the cache.
// - evictFile() drops every block of a file (called when the file is deleted or closed for good).
// Block memory: blocks read to be cached are carved out of shared slabs (BlockMemory) rather than
// each getting its own ArrayBuffer, which costs more than the read itself. A slab is freed by the
// garbage collector once no block (or view of one) in it is referenced, so a slab whose other
// blocks were evicted stays alive for one: the heap may hold more than bytes() says, at most
// BLOCK_SLAB_BYTES per cached block and in practice a small multiple of the budget.
import assert from 'node:assert/strict';
import type { Block } from './block.js';

/**
 * JS heap bytes a cached block costs beyond its contents: the Block (~64), its contents' Buffer
 * view (~104), the CacheNode (~96), its entry in the file's Map (~40), a reader slot (8).
 * Measured: 20k blocks cached through set(), heapUsed after a full GC, 310 bytes a block.
 */
export const BLOCK_CACHE_OVERHEAD_BYTES = 320;
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

/** A cached block as a reader may hold it in its BlockSlots (fields are the cache's). */
export interface CacheNode {
  readonly block: Block;
  blocks: Map<number, CacheNode>; // the file's map that holds this node
  fileNumber: number;
  offset: number;
  bytes: number;
  older: CacheNode | undefined;
  newer: CacheNode | undefined;
  slots: BlockSlots | undefined; // the reader's slots that point here, at slotIndex
  slotIndex: number;
}

/**
 * A reader's cached blocks by block index, kept by the cache: a node is in at most one reader's
 * slots, and leaves them when it leaves the cache. A hit through a slot skips both map lookups.
 */
export type BlockSlots = (CacheNode | undefined)[];

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
  private readonly files = new Map<number, Map<number, CacheNode>>();
  private oldest: CacheNode | undefined;
  private newest: CacheNode | undefined;
  private usedBytes = 0;
  private reserved = 0;
  private blockCount = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private capacity: number) {
    assert.ok(Number.isSafeInteger(capacity) && capacity >= 0, 'capacityBytes must be a non-negative integer');
  }

  get capacityBytes(): number {
    return this.capacity;
  }

  /** Evicts least recently used blocks until the cached ones charge at most bytes; the capacity stays. */
  evictDownTo(bytes: number): void {
    while (this.usedBytes > bytes && this.oldest !== undefined) {
      this.removeNode(this.oldest);
      this.evictions++;
    }
  }

  /** A new capacity (the server's memory budget moved): evicts least recently used blocks to fit it. */
  resize(capacityBytes: number): void {
    assert.ok(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, 'capacityBytes must be a non-negative integer');
    this.capacity = capacityBytes;
    this.evictToCapacity();
  }

  /** The cached block, if any; with slots, the node is also put in slots[slotIndex]. */
  get(fileNumber: number, offset: number, slots?: BlockSlots, slotIndex = 0): Block | undefined {
    const node = this.files.get(fileNumber)?.get(offset);
    if (node === undefined) {
      this.misses++;
      return undefined;
    }
    if (slots !== undefined) this.attach(node, slots, slotIndex);
    return this.touch(node);
  }

  /** Whether the block is cached, without counting a hit or a miss or making it recent. */
  has(fileNumber: number, offset: number): boolean {
    return this.files.get(fileNumber)?.has(offset) === true;
  }

  /** A hit on a node found in a reader's slots: makes it the most recently used. */
  touch(node: CacheNode): Block {
    this.hits++;
    if (node !== this.newest) {
      this.unlink(node);
      this.linkNewest(node);
    }
    return node.block;
  }

  /**
   * Caches block charging `bytes` (callers pass contents length + BLOCK_CACHE_OVERHEAD_BYTES);
   * with slots, the node is also put in slots[slotIndex].
   */
  set(fileNumber: number, offset: number, block: Block, bytes: number, slots?: BlockSlots, slotIndex = 0): void {
    assert.ok(Number.isSafeInteger(bytes) && bytes > 0, 'a block charges a positive byte count');
    let blocks = this.files.get(fileNumber);
    const existing = blocks?.get(offset);
    if (existing !== undefined) {
      this.removeNode(existing);
      blocks = this.files.get(fileNumber); // gone if that was the file's only block
    }
    if (bytes > this.capacity - this.reserved) return;
    if (blocks === undefined) {
      blocks = new Map();
      this.files.set(fileNumber, blocks);
    }
    const node: CacheNode = { blocks, fileNumber, offset, block, bytes, older: undefined, newer: undefined, slots: undefined, slotIndex: 0 };
    if (slots !== undefined) this.attach(node, slots, slotIndex);
    blocks.set(offset, node);
    this.linkNewest(node);
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

  evictFile(fileNumber: number): void {
    const blocks = this.files.get(fileNumber);
    if (blocks === undefined) return;
    for (const node of blocks.values()) {
      this.detach(node);
      this.unlink(node);
      this.usedBytes -= node.bytes;
      this.blockCount--;
    }
    this.files.delete(fileNumber);
  }

  bytes(): number {
    return this.usedBytes;
  }

  /** Bytes charged by the cached blocks of one file. */
  fileBytes(fileNumber: number): number {
    const blocks = this.files.get(fileNumber);
    if (blocks === undefined) return 0;
    let bytes = 0;
    for (const node of blocks.values()) bytes += node.bytes;
    return bytes;
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
    while (this.usedBytes + this.reserved > this.capacity && this.oldest !== undefined) {
      this.removeNode(this.oldest);
      this.evictions++;
    }
  }

  private removeNode(node: CacheNode): void {
    const blocks = node.blocks;
    blocks.delete(node.offset);
    if (blocks.size === 0) this.files.delete(node.fileNumber);
    this.detach(node);
    this.unlink(node);
    this.usedBytes -= node.bytes;
    this.blockCount--;
  }

  private attach(node: CacheNode, slots: BlockSlots, slotIndex: number): void {
    if (node.slots === slots && node.slotIndex === slotIndex) return;
    this.detach(node);
    assert.ok(slots[slotIndex] === undefined, 'a reader slot holds one cached block');
    node.slots = slots;
    node.slotIndex = slotIndex;
    slots[slotIndex] = node;
  }

  private detach(node: CacheNode): void {
    if (node.slots !== undefined && node.slots[node.slotIndex] === node) node.slots[node.slotIndex] = undefined;
    node.slots = undefined;
  }

  private unlink(node: CacheNode): void {
    if (node.older === undefined) this.oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  private linkNewest(node: CacheNode): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest === undefined) this.oldest = node;
    else this.newest.newer = node;
    this.newest = node;
  }
}
