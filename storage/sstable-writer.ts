// storage/sstable-writer.ts: writes one immutable sorted table (SSTable) from entries given in
// entry order. The file, front to back (each block is followed by its 5-byte trailer: u8 type 0 +
// u32 LE masked crc32 over contents + type; block formats are drawn in block.ts):
//
//   +--------------+---------+--------------+---------+-----+--------+---------+------+---------+-------+---------+--------+
//   | data block 0 | trailer | data block 1 | trailer | ... | filter | trailer | meta | trailer | index | trailer | footer |
//   +--------------+---------+--------------+---------+-----+--------+---------+------+---------+-------+---------+--------+
//
// - data block: ~blockBytes (default 4 KiB) of prefix-compressed entries, a restart every
//   restartInterval (default 16) keys.
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
// - Output is staged and appended in chunks of up to SSTABLE_WRITE_CHUNK_BYTES.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { BLOCK, BlockBuilder, ByteWriter, blockChecksum, compareBytes, maskCrc, type BlockHandle } from './block.js';
import { bloomHash, BloomFilter, BLOOM } from './bloom.js';
import type { Entry } from './entry.js';
import type { WritableFile } from './file-system.js';

export const SSTABLE_FORMAT_VERSION = 1;
export const SSTABLE_MAGIC = Buffer.from('74736b7673737462', 'hex'); // "tskvsstb"
export const SSTABLE_FOOTER_BYTES = 52;
export const SSTABLE_BLOCK_BYTES_DEFAULT = 4096;
export const SSTABLE_WRITE_CHUNK_BYTES = 64 * 1024;

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
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private offset = 0; // file bytes written + staged
  private hashes = new Uint32Array(1024);
  private keyCount = 0;
  private dataBlockCount = 0;
  private pendingHandle: BlockHandle | undefined; // last flushed block, awaiting its separator
  private smallestKey: Buffer | undefined;
  private lastKey: Buffer | undefined;
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
    this.dataBlock = new BlockBuilder(options.restartInterval ?? BLOCK.RESTART_INTERVAL_DEFAULT);
    this.offset = file.size();
    assert.equal(this.offset, 0, 'an SSTable starts in an empty file');
  }

  add(entry: Entry): void {
    assert.ok(!this.finished, 'SstableWriter.add() after finish()');
    assert.ok(Number.isSafeInteger(entry.seq) && entry.seq >= 0, 'entry seq must be a safe non-negative integer');
    const lastKey = this.lastKey;
    const byKey = lastKey === undefined ? 1 : compareBytes(entry.key, 0, entry.key.length, lastKey);
    assert.ok(byKey > 0 || (byKey === 0 && entry.seq < this.lastSeq), 'SstableWriter.add() out of entry order');
    if (this.pendingHandle !== undefined) {
      this.indexBlock.addHandle(shortestSeparator(lastKey!, entry.key), this.pendingHandle);
      this.pendingHandle = undefined;
    }
    if (byKey !== 0) {
      this.lastKey = Buffer.from(entry.key);
      this.smallestKey ??= this.lastKey;
      this.addHash(bloomHash(entry.key));
    }
    this.lastSeq = entry.seq;
    this.entryCount++;
    if (entry.kind === 'delete') this.tombstoneCount++;
    this.smallestSeq = Math.min(this.smallestSeq, entry.seq);
    this.largestSeq = Math.max(this.largestSeq, entry.seq);
    this.dataBlock.addEntry(entry);
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
    if (this.pendingHandle !== undefined) this.indexBlock.addHandle(this.lastKey!, this.pendingHandle);
    const filterHandle = this.writeBlock(BloomFilter.build(this.hashes.subarray(0, this.keyCount), this.bloomBitsPerKey));
    const metaHandle = this.writeBlock(this.encodeMeta());
    const indexHandle = this.writeBlock(this.indexBlock.finish());
    this.stage(encodeFooter(filterHandle, metaHandle, indexHandle));
    this.appendStaged();
    const empty = this.entryCount === 0;
    return {
      sizeBytes: this.offset,
      smallestKey: this.smallestKey ?? Buffer.alloc(0),
      largestKey: this.lastKey ?? Buffer.alloc(0),
      entryCount: this.entryCount,
      tombstoneCount: this.tombstoneCount,
      smallestSeq: empty ? 0 : this.smallestSeq,
      largestSeq: this.largestSeq,
    };
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

  private encodeMeta(): Buffer {
    const out = new ByteWriter();
    const empty = this.entryCount === 0;
    out.varint(this.entryCount);
    out.varint(this.tombstoneCount);
    out.varint(empty ? 0 : this.smallestSeq);
    out.varint(this.largestSeq);
    out.varint(this.keyCount);
    out.varint(this.dataBlockCount);
    out.varint(this.bloomBitsPerKey);
    for (const key of [this.smallestKey ?? Buffer.alloc(0), this.lastKey ?? Buffer.alloc(0)]) {
      out.varint(key.length);
      out.bytes(key);
    }
    return out.toBuffer();
  }

  private writeBlock(contents: Buffer): BlockHandle {
    assert.ok(contents.length < 2 ** 32, 'a block must fit a u32 size');
    const handle = { offset: this.offset, size: contents.length };
    const trailer = Buffer.alloc(BLOCK.TRAILER_BYTES);
    trailer[0] = BLOCK.TYPE_UNCOMPRESSED;
    trailer.writeUInt32LE(blockChecksum(contents, BLOCK.TYPE_UNCOMPRESSED), 1);
    this.stage(contents);
    this.stage(trailer);
    if (this.stagedBytes >= SSTABLE_WRITE_CHUNK_BYTES) this.appendStaged();
    return handle;
  }

  private stage(data: Buffer): void {
    this.staged.push(data);
    this.stagedBytes += data.length;
    this.offset += data.length;
  }

  private appendStaged(): void {
    if (this.stagedBytes === 0) return;
    const chunk = this.staged.length === 1 ? this.staged[0]! : Buffer.concat(this.staged, this.stagedBytes);
    this.staged = [];
    this.stagedBytes = 0;
    this.file.append(chunk);
  }
}
