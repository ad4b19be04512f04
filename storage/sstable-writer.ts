// storage/sstable-writer.ts: writes one immutable sorted table (SSTable) from entries given in
// entry order. The file, front to back (each block is followed by its 5-byte trailer: u8 type 0 +
// u32 LE masked crc32 over contents + type; block formats are drawn in block.ts):
//
//   +--------------+---------+--------------+---------+-----+--------+---------+------+---------+-------+---------+--------+
//   | data block 0 | trailer | data block 1 | trailer | ... | filter | trailer | meta | trailer | index | trailer | footer |
//   +--------------+---------+--------------+---------+-----+--------+---------+------+---------+-------+---------+--------+
//
// - data block: ~blockBytes (default 4 KiB) of prefix-compressed entries, a restart every
//   restartInterval (default 4, BLOCK.RESTART_INTERVAL_DEFAULT) keys, and (format 2 on) a hash
//   index from each key's hash to its restart interval (block.ts; ~2 bytes per distinct key).
// - filter: one Bloom filter over the file's distinct user keys (bloom.ts; k in its last byte).
// - meta: varints entryCount, tombstoneCount, smallestSeq, largestSeq, keyCount, dataBlockCount,
//   bloomBitsPerKey, then smallestKey and largestKey (each varint length + bytes).
// - index: an index block (restart interval 1) with one entry per data block: a separator key
//   s with lastKey(i) <= s < firstKey(i + 1) (s = lastKey(i) when a key's versions span both
//   blocks; the last block's separator is its last key) -> that block's handle.
// - footer, SSTABLE_FOOTER_BYTES = 52, little-endian:
//     offset  bytes  field
//     0       8      filter block offset      (u64: low u32, high u32)
//     8       4      filter block size        (contents, without trailer)
//     12      8      meta block offset
//     20      4      meta block size
//     24      8      index block offset
//     32      4      index block size
//     36      4      masked crc32 of bytes 0 .. 35
//     40      4      format version (SSTABLE_FORMAT_VERSION)
//     44      8      magic (SSTABLE_MAGIC)
// Invariants:
// - add() takes entries strictly in entry order (asserted): key ascending, then seq descending.
// - Blocks are appended whole and in order; finish() writes the rest and does NOT sync or close.
// - Output is copied into one reused chunk buffer and appended when it is full (a block that does
//   not fit goes out on its own): no buffer is allocated per block for the file's sake. Reusing the
//   chunk is safe because WritableFile.append() writes (or copies) synchronously.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { BLOCK, BlockBuilder, ByteWriter, blockChecksum, ENTRY_KIND_CODE, maskCrc, type BlockHandle } from './block.js';
import { bloomHash, BloomBuilder, BLOOM } from './bloom.js';
import type { Entry } from './entry.js';
import type { WritableFile } from './file-system.js';

/**
 * Format 2: data blocks may end with a hash index (block.ts), flagged in their restart count word.
 * Format 1 tables (none have one) still read; a build that knows only format 1 refuses a format 2
 * table by its version instead of reading a flagged block as a bad restart count.
 */
export const SSTABLE_FORMAT_VERSION = 2;
export const SSTABLE_FORMAT_VERSION_NO_HASH_INDEX = 1;
export const SSTABLE_MAGIC = Buffer.from('74736b7673737462', 'hex'); // "tskvsstb"
export const SSTABLE_FOOTER_BYTES = 52;
export const SSTABLE_BLOCK_BYTES_DEFAULT = 4096;
export const SSTABLE_WRITE_CHUNK_BYTES = 64 * 1024;
const SHORT_KEY_BYTES_MAX = 48; // keys compared and copied in JS up to this length; natively above

export interface SstableWriterOptions { blockBytes?: number; restartInterval?: number; bloomBitsPerKey?: number }
export interface SstableBuildResult {
  sizeBytes: number;
  smallestKey: Buffer;
  largestKey: Buffer;
  entryCount: number;
  tombstoneCount: number;
  smallestSeq: number;
  largestSeq: number;
}

/** Returns a short s with start <= s < limit, or start itself (when start is a prefix of limit or equal). */
export function shortestSeparator(start: Buffer, limit: Buffer): Buffer {
  const minLength = Math.min(start.length, limit.length);
  let diff = 0;
  while (diff < minLength && start[diff] === limit[diff]) diff++;
  if (diff >= minLength) return start;
  const byte = start[diff]!;
  if (byte >= 0xff || byte + 1 >= limit[diff]!) return start;
  const separator = Buffer.from(start.subarray(0, diff + 1));
  separator[diff] = byte + 1;
  return separator;
}

export function encodeFooter(filter: BlockHandle, meta: BlockHandle, index: BlockHandle): Buffer {
  const footer = Buffer.alloc(SSTABLE_FOOTER_BYTES);
  let position = 0;
  for (const handle of [filter, meta, index]) {
    footer.writeUInt32LE(handle.offset % 2 ** 32, position);
    footer.writeUInt32LE(Math.floor(handle.offset / 2 ** 32), position + 4);
    footer.writeUInt32LE(handle.size, position + 8);
    position += 12;
  }
  footer.writeUInt32LE(maskCrc(crc32(footer.subarray(0, 36))), 36);
  footer.writeUInt32LE(SSTABLE_FORMAT_VERSION, 40);
  SSTABLE_MAGIC.copy(footer, 44);
  return footer;
}

export class SstableWriter {
  private readonly blockBytes: number;
  private readonly bloomBitsPerKey: number;
  private readonly dataBlock: BlockBuilder;
  private readonly indexBlock = new BlockBuilder(BLOCK.INDEX_RESTART_INTERVAL);
  private readonly chunk = Buffer.allocUnsafe(SSTABLE_WRITE_CHUNK_BYTES);
  private chunkBytes = 0; // staged in chunk, not yet appended
  private offset = 0; // file bytes written + staged
  private hashes = new Uint32Array(1024);
  private filter: BloomBuilder | undefined; // started by buildFilterStep() or finish()
  private filterNext = 0; // hashes[0 .. filterNext) are in the filter
  private keyCount = 0;
  private dataBlockCount = 0;
  private lastKeyHash = -1; // bloomHash of the last key added (the data block's hash index takes it too)
  private pendingHandle: BlockHandle | undefined; // last flushed block, awaiting its separator
  private smallestKey: Buffer | undefined;
  private lastKey = Buffer.alloc(64); // scratch: bytes 0 .. lastKeyLength of the last key added
  private lastKeyLength = -1; // -1: no entry yet
  private lastSeq = 0;
  private entryCount = 0;
  private tombstoneCount = 0;
  private smallestSeq = Number.MAX_SAFE_INTEGER;
  private largestSeq = 0;
  private finished = false;

  constructor(private readonly file: WritableFile, options: SstableWriterOptions = {}) {
    this.blockBytes = options.blockBytes ?? SSTABLE_BLOCK_BYTES_DEFAULT;
    this.bloomBitsPerKey = options.bloomBitsPerKey ?? BLOOM.BITS_PER_KEY_DEFAULT;
    assert.ok(Number.isInteger(this.blockBytes) && this.blockBytes >= 1, 'blockBytes must be a positive integer');
    this.dataBlock = new BlockBuilder(options.restartInterval ?? BLOCK.RESTART_INTERVAL_DEFAULT, true);
    this.offset = file.size();
    assert.equal(this.offset, 0, 'an SSTable starts in an empty file');
  }

  add(entry: Entry): void {
    this.addParts(entry.key, -1, entry.seq, ENTRY_KIND_CODE[entry.kind], entry.expireAtMs, entry.value, 0, entry.value.length);
  }

  /**
   * add() without an Entry: the value is valueSource[valueStart .. valueStart + valueLength), and
   * keyHash is bloomHash(key) when the caller has it (a memtable keeps it), else -1. A flush adds
   * the memtable's arena bytes this way, building no Entry and no value view per entry.
   */
  addParts(key: Buffer, keyHash: number, seq: number, kindCode: number, expireAtMs: number, valueSource: Buffer, valueStart: number, valueLength: number): void {
    assert.ok(!this.finished, 'SstableWriter.add() after finish()');
    if (this.filter !== undefined) assert.fail('SstableWriter.add() after buildFilterStep()');
    assert.ok(Number.isSafeInteger(seq) && seq >= 0, 'entry seq must be a safe non-negative integer');
    const byKey = this.lastKeyLength < 0 ? 1 : this.compareWithLastKey(key);
    assert.ok(byKey > 0 || (byKey === 0 && seq < this.lastSeq), 'SstableWriter.add() out of entry order');
    if (this.pendingHandle !== undefined) {
      this.indexBlock.addHandle(shortestSeparator(this.lastKeyView(), key), this.pendingHandle); // addHandle copies the key
      this.pendingHandle = undefined;
    }
    if (byKey !== 0) {
      this.smallestKey ??= Buffer.from(key);
      this.setLastKey(key);
      this.lastKeyHash = keyHash < 0 ? bloomHash(key) : keyHash;
      this.addHash(this.lastKeyHash);
    }
    this.lastSeq = seq;
    this.entryCount++;
    if (kindCode === ENTRY_KIND_CODE.delete) this.tombstoneCount++;
    if (seq < this.smallestSeq) this.smallestSeq = seq;
    if (seq > this.largestSeq) this.largestSeq = seq;
    this.dataBlock.addEntryParts(key, seq, kindCode, expireAtMs, valueSource, valueStart, valueLength, this.lastKeyHash);
    if (this.dataBlock.estimatedBytes() >= this.blockBytes) this.flushDataBlock();
  }

  estimatedBytes(): number {
    const filterBytes = Math.ceil((this.keyCount * this.bloomBitsPerKey) / 8);
    return this.offset + this.dataBlock.estimatedBytes() + this.indexBlock.estimatedBytes() + filterBytes + SSTABLE_FOOTER_BYTES;
  }

  finish(): SstableBuildResult {
    assert.ok(!this.finished, 'SstableWriter.finish() twice');
    this.finished = true;
    if (this.dataBlock.entryCount() > 0) this.flushDataBlock();
    const largestKey = this.lastKeyLength < 0 ? Buffer.alloc(0) : Buffer.from(this.lastKeyView());
    if (this.pendingHandle !== undefined) this.indexBlock.addHandle(largestKey, this.pendingHandle);
    this.fillFilter(Infinity);
    const filterHandle = this.writeBlock(this.filter!.finish());
    const metaHandle = this.writeBlock(this.encodeMeta(largestKey));
    const indexHandle = this.writeBlock(this.indexBlock.finish());
    this.stage(encodeFooter(filterHandle, metaHandle, indexHandle));
    this.appendChunk();
    const empty = this.entryCount === 0;
    return {
      sizeBytes: this.offset,
      smallestKey: this.smallestKey ?? Buffer.alloc(0),
      largestKey,
      entryCount: this.entryCount,
      tombstoneCount: this.tombstoneCount,
      smallestSeq: empty ? 0 : this.smallestSeq,
      largestSeq: this.largestSeq,
    };
  }

  /**
   * Puts up to maxKeys more keys into the Bloom filter; true once every key added is in. For a
   * caller that spreads the filter over turns of the event loop: call it after the last add(),
   * until it says true, then finish() (which otherwise builds the whole filter at once).
   */
  buildFilterStep(maxKeys: number): boolean {
    assert.ok(!this.finished, 'SstableWriter.buildFilterStep() after finish()');
    return this.fillFilter(maxKeys);
  }

  private fillFilter(maxKeys: number): boolean {
    this.filter ??= new BloomBuilder(this.keyCount, this.bloomBitsPerKey);
    const end = Math.min(this.keyCount, this.filterNext + maxKeys);
    this.filter.add(this.hashes, this.filterNext, end);
    this.filterNext = end;
    return end === this.keyCount;
  }

  /** compareBytes(key, lastKey) without a view of the scratch buffer. */
  private compareWithLastKey(key: Buffer): number {
    const lastKey = this.lastKey;
    const lastLength = this.lastKeyLength;
    const length = key.length < lastLength ? key.length : lastLength;
    if (length > SHORT_KEY_BYTES_MAX) return key.compare(lastKey, 0, lastLength);
    for (let index = 0; index < length; index++) {
      const difference = key[index]! - lastKey[index]!;
      if (difference !== 0) return difference;
    }
    return key.length - lastLength;
  }

  private setLastKey(key: Buffer): void {
    if (key.length > this.lastKey.length) this.lastKey = Buffer.alloc(2 * key.length);
    if (key.length > SHORT_KEY_BYTES_MAX) key.copy(this.lastKey);
    else for (let index = 0; index < key.length; index++) this.lastKey[index] = key[index]!;
    this.lastKeyLength = key.length;
  }

  /** A view of the last key added: valid until the next add(). */
  private lastKeyView(): Buffer {
    return this.lastKey.subarray(0, this.lastKeyLength);
  }

  private addHash(hash: number): void {
    if (this.keyCount === this.hashes.length) {
      const grown = new Uint32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.keyCount++] = hash;
  }

  private flushDataBlock(): void {
    this.pendingHandle = this.writeBlock(this.dataBlock.finish());
    this.dataBlockCount++;
  }

  private encodeMeta(largestKey: Buffer): Buffer {
    const out = new ByteWriter();
    const empty = this.entryCount === 0;
    out.varint(this.entryCount);
    out.varint(this.tombstoneCount);
    out.varint(empty ? 0 : this.smallestSeq);
    out.varint(this.largestSeq);
    out.varint(this.keyCount);
    out.varint(this.dataBlockCount);
    out.varint(this.bloomBitsPerKey);
    for (const key of [this.smallestKey ?? Buffer.alloc(0), largestKey]) {
      out.varint(key.length);
      out.bytes(key);
    }
    return out.toBuffer();
  }

  private writeBlock(contents: Buffer): BlockHandle {
    assert.ok(contents.length < 2 ** 32, 'a block must fit a u32 size');
    const handle = { offset: this.offset, size: contents.length };
    this.stage(contents);
    if (this.chunkBytes + BLOCK.TRAILER_BYTES > this.chunk.length) this.appendChunk();
    const at = this.chunkBytes;
    this.chunk[at] = BLOCK.TYPE_UNCOMPRESSED;
    this.chunk.writeUInt32LE(blockChecksum(contents, BLOCK.TYPE_UNCOMPRESSED), at + 1);
    this.chunkBytes += BLOCK.TRAILER_BYTES;
    this.offset += BLOCK.TRAILER_BYTES;
    return handle;
  }

  /** Copies data into the chunk (appending the chunk first when data does not fit; big data goes out directly). */
  private stage(data: Buffer): void {
    if (this.chunkBytes + data.length > this.chunk.length) this.appendChunk();
    if (data.length > this.chunk.length) {
      this.file.append(data);
    } else {
      data.copy(this.chunk, this.chunkBytes);
      this.chunkBytes += data.length;
    }
    this.offset += data.length;
  }

  private appendChunk(): void {
    if (this.chunkBytes === 0) return;
    const bytes = this.chunkBytes;
    this.chunkBytes = 0;
    this.file.append(this.chunk.subarray(0, bytes));
  }
}
