// storage/sstable-reader.ts: reads an SSTable written by sstable-writer.ts (layout drawn there).
// open() reads and checks the footer (magic, version, crc, handle bounds), then the filter, meta
// and index blocks (crc-checked), which stay resident; data blocks go through the shared BlockCache
// keyed by (fileNumber, block offset).
// Invariants:
// - Every block read from the file has its trailer crc verified before it is decoded; any bad
//   crc, length, magic, version or encoding raises SstableCorruptionError(file, offset, reason).
//   Wrong data is never returned.
// - get() consults the key range and the Bloom filter before any block: a filter miss is a
//   bloomNegative and reads nothing.
// - The reader holds one open file handle until close(); close() does not touch the cache (the
//   engine calls cache.evictFile() when the file is deleted).
// - An SstableIterator asks its reader supplier for the reader only when it loads a block, so the
//   table cache may close a reader between blocks and reopen it; a decoded block does not need
//   its reader.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { BlockCache, BLOCK_CACHE_OVERHEAD_BYTES, type BlockSlots } from './block-cache.js';
import { Block, BLOCK, BlockIterator, ByteReader, compareBytes, decodeIndexBlock, KeyIndex, maskCrc, type BlockHandle, type DecodedIndex } from './block.js';
import { bloomHash, BloomFilter } from './bloom.js';
import { compareEntries, type Entry, type EntryIterator } from './entry.js';
import { SstableCorruptionError } from './errors.js';
import type { FileSystem, ReadableFile } from './file-system.js';
import { SSTABLE_FOOTER_BYTES, SSTABLE_FORMAT_VERSION, SSTABLE_FORMAT_VERSION_NO_HASH_INDEX, SSTABLE_MAGIC } from './sstable-writer.js';

export interface SstableMeta {
  entryCount: number;
  tombstoneCount: number;
  smallestSeq: number;
  largestSeq: number;
  keyCount: number;
  dataBlockCount: number;
  bloomBitsPerKey: number;
  smallestKey: Buffer;
  largestKey: Buffer;
}

export interface SstableLayout { fileBytes: number; filter: BlockHandle; meta: BlockHandle; index: BlockHandle }

/**
 * An iterator that has to read blocks from the file reads ahead: one block, then twice as many
 * bytes each time it comes back for the next block in order, up to this many (LevelDB/RocksDB
 * auto-readahead). A walk of a table then costs a few reads instead of one per 4 KiB block.
 */
export const ITERATOR_READAHEAD_BYTES_MAX = 128 * 1024;

/** Heap bytes of an open reader beyond its blocks: objects, the file handle, the meta (estimate). */
export const SSTABLE_READER_OVERHEAD_BYTES = 1024;
/**
 * Bytes per index entry beyond its key bytes, all in typed arrays: the block's offset and size
 * (16), the key's start (4) and prefix words (16), the block's cache slot hint (4), and at most
 * one bucket of the search's guide (4; KeyIndex).
 */
export const SSTABLE_INDEX_ENTRY_OVERHEAD_BYTES = 44;

export class SstableReader {
  readonly stats = { bloomNegatives: 0, blockReads: 0 };
  private closed = false;
  private readonly keyIndex: KeyIndex; // the separators, for the block search
  /** Data block i is blockSizes[i] bytes (without trailer) at blockOffsets[i]. */
  readonly blockOffsets: Float64Array;
  readonly blockSizes: Float64Array;
  private readonly blockSlots: BlockSlots; // where the cache last held each block (hints)

  private constructor(
    readonly path: string,
    readonly fileNumber: number,
    private readonly file: ReadableFile,
    private readonly cache: BlockCache,
    readonly layout: SstableLayout,
    readonly meta: SstableMeta,
    readonly filter: Buffer,
    index: DecodedIndex,
  ) {
    this.keyIndex = index.keys;
    this.blockOffsets = index.offsets;
    this.blockSizes = index.sizes;
    this.blockSlots = new Int32Array(index.offsets.length);
  }

  /** Data blocks in the table. */
  get blockCount(): number {
    return this.blockOffsets.length;
  }

  /** The data blocks' handles as objects (allocates them: for a flush's verification and tests, not reads). */
  get indexHandles(): BlockHandle[] {
    return Array.from(this.blockOffsets, (offset, index) => ({ offset, size: this.blockSizes[index]! }));
  }

  /** Separator i: every key of data block i is <= it (a view: allocates). */
  indexKey(index: number): Buffer {
    return this.keyIndex.key(index);
  }

  /** Index of the first data block whose separator is >= key (== block count: none). */
  blockFor(key: Buffer): number {
    return this.keyIndex.lowerBound(key);
  }

  static open(fs: FileSystem, path: string, fileNumber: number, cache: BlockCache): SstableReader {
    const file = fs.openRead(path);
    try {
      const layout = readFooter(file);
      const filter = readBlockContents(file, layout.filter);
      const meta = decodeMeta(readBlockContents(file, layout.meta), path, layout.meta.offset);
      const index = decodeIndexBlock(new Block(readBlockContents(file, layout.index), path, layout.index.offset));
      if (index.offsets.length !== meta.dataBlockCount) {
        throw new SstableCorruptionError(path, layout.index.offset, `index has ${index.offsets.length} blocks, meta says ${meta.dataBlockCount}`);
      }
      for (let block = 0; block < index.offsets.length; block++) {
        const offset = index.offsets[block]!;
        const size = index.sizes[block]!;
        if (offset + size + BLOCK.TRAILER_BYTES > layout.filter.offset) {
          throw new SstableCorruptionError(path, layout.index.offset, `data block handle ${offset}+${size} overlaps the filter`);
        }
      }
      return new SstableReader(path, fileNumber, file, cache, layout, meta, filter, index);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  mayContain(key: Buffer): boolean {
    return BloomFilter.mayContain(this.filter, key);
  }

  /**
   * Newest version of key with seq <= snapshotSeq (may be a 'delete'), or undefined; its key is
   * `key`. keyHash: bloomHash(key), when the caller probes several tables with the same key.
   * rangeChecked: the caller found key within the table's key range (Version.get does), so the
   * check here is skipped (it only saves the filter probe: a key out of range is in no block).
   */
  get(key: Buffer, snapshotSeq?: number, keyHash?: number, rangeChecked = false): Entry | undefined {
    if (this.meta.entryCount === 0) return undefined;
    const { smallestKey, largestKey } = this.meta;
    if (!rangeChecked && (compareBytes(key, 0, key.length, smallestKey) < 0 || compareBytes(key, 0, key.length, largestKey) > 0)) return undefined;
    const hash = keyHash ?? bloomHash(key);
    if (!BloomFilter.mayContainHash(this.filter, hash)) {
      this.stats.bloomNegatives++;
      return undefined;
    }
    for (let blockIndex = this.keyIndex.lowerBound(key); blockIndex < this.blockOffsets.length; blockIndex++) {
      const found = this.dataBlock(blockIndex).find(key, snapshotSeq, hash);
      if (found === 'absent') return undefined;
      if (found !== 'next') return found;
    }
    return undefined;
  }

  iterator(): EntryIterator {
    return new SstableIterator(() => this);
  }

  /** What this open reader keeps resident (filter, meta, index arrays, objects): charged to the budget. */
  residentBytes(): number {
    const blocks = this.layout.filter.size + this.layout.meta.size + this.layout.index.size + 3 * BLOCK.TRAILER_BYTES;
    return blocks + this.blockOffsets.length * SSTABLE_INDEX_ENTRY_OVERHEAD_BYTES + SSTABLE_READER_OVERHEAD_BYTES;
  }

  /** Reads every block from the file (not the cache) and checks crcs, order, layout and meta. */
  verify(): void {
    assert.ok(!this.closed, `SSTable ${this.path} verified after close()`);
    for (const [name, handle, resident] of [['filter', this.layout.filter, this.filter], ['meta', this.layout.meta, undefined], ['index', this.layout.index, undefined]] as const) {
      const contents = readBlockContents(this.file, handle);
      if (resident !== undefined && !contents.equals(resident)) throw new SstableCorruptionError(this.path, handle.offset, `${name} block changed since open`);
    }
    const found = verifyDataBlocks(this, (handle) => new Block(readBlockContents(this.file, handle), this.path, handle.offset));
    checkMetaAgainst(this, found);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
  }

  /**
   * The decoded data block at blockIndex, from the cache or the file. fillCache false (compaction
   * inputs, read once) uses a cached block but does not cache one it had to read.
   */
  dataBlock(blockIndex: number, fillCache = true): Block {
    if (this.closed) assert.fail(`SSTable ${this.path} read after close()`);
    const cached = this.cachedBlock(blockIndex);
    if (cached !== undefined) return cached;
    const handle = { offset: this.blockOffsets[blockIndex]!, size: this.blockSizes[blockIndex]! };
    this.stats.blockReads++;
    if (!fillCache) {
      return new Block(readBlockContents(this.file, handle), this.path, handle.offset);
    }
    const start = this.readIntoCacheMemory(this.file, handle);
    const block = new Block(this.cache.memory.buffer, this.path, handle.offset, start, start + handle.size);
    this.cache.set(this.fileNumber, handle.offset, block, handle.size + BLOCK_CACHE_OVERHEAD_BYTES, this.blockSlots, blockIndex);
    return block;
  }

  /**
   * Caches a copy of data block blockIndex, whose contents were read and crc-checked elsewhere
   * (verifyTable, right after the table was written), unless it is cached already.
   */
  cacheBlock(blockIndex: number, contents: Buffer): void {
    if (this.closed) assert.fail(`SSTable ${this.path} cached after close()`);
    const offset = this.blockOffsets[blockIndex]!;
    assert.equal(contents.length, this.blockSizes[blockIndex], 'cacheBlock: contents of another size than the block');
    if (this.cache.has(this.fileNumber, offset)) return;
    const block = this.copyIntoCacheMemory(contents, offset);
    this.cache.set(this.fileNumber, offset, block, contents.length + BLOCK_CACHE_OVERHEAD_BYTES, this.blockSlots, blockIndex);
  }

  /** Drops this table's blocks from the cache (a table that failed verification). */
  dropCachedBlocks(): void {
    this.cache.evictFile(this.fileNumber);
  }

  /**
   * Closes the reader of a table that will not be installed (a failed or abandoned flush or
   * compaction): its cached blocks go too, and a dead handle (after a simulated crash) is ignored.
   */
  discard(): void {
    this.dropCachedBlocks();
    try {
      this.close();
    } catch {
      // the handle died with a simulated crash; nothing to release
    }
  }

  /** A Block over a copy of contents (the block at offset) in the cache's slab memory. */
  private copyIntoCacheMemory(contents: Buffer, offset: number): Block {
    const memory = this.cache.memory;
    const start = memory.claim(contents.length);
    contents.copy(memory.buffer, start);
    return new Block(memory.buffer, this.path, offset, start, start + contents.length);
  }

  /**
   * Reads a block and its trailer straight into the cache's slab memory (this.cache.memory.buffer
   * after the call) and returns where its contents start there, once the crc matches (the trailer
   * stays behind in the slab, unreferenced).
   */
  private readIntoCacheMemory(file: ReadableFile, handle: BlockHandle): number {
    const { offset, size } = handle;
    const rawBytes = size + BLOCK.TRAILER_BYTES;
    const memory = this.cache.memory;
    const start = memory.claim(rawBytes);
    const slab = memory.buffer;
    if (file.readInto(offset, slab, start, rawBytes) !== rawBytes) {
      throw new SstableCorruptionError(this.path, offset, `block of ${size} bytes cut short at end of file`);
    }
    const type = slab[start + size]!;
    if (type !== BLOCK.TYPE_UNCOMPRESSED) throw new SstableCorruptionError(this.path, offset + size, `unknown block type ${type}`);
    const contents = slab.subarray(start, start + size);
    if (maskCrc(crc32(UNCOMPRESSED_TYPE_BYTE, crc32(contents))) !== slab.readUInt32LE(start + size + 1)) {
      throw new SstableCorruptionError(this.path, offset, `block crc mismatch (block of ${size} bytes)`);
    }
    return start;
  }

  /**
   * Data blocks first, first + 1, ... read with one file read of about `bytes` (at least one
   * block; never past a block already cached), each crc-checked like any block read. They are
   * views of one buffer; the ones cached (when fillCache) are copies in the cache's slab memory,
   * so the cache's byte count stays what it holds.
   */
  readBlocks(first: number, bytes: number, fillCache: boolean): Block[] {
    if (this.closed) assert.fail(`SSTable ${this.path} read after close()`);
    const offsets = this.blockOffsets;
    const sizes = this.blockSizes;
    const start = offsets[first]!;
    let last = first;
    while (last + 1 < offsets.length) {
      const next = last + 1;
      if (offsets[next]! + sizes[next]! + BLOCK.TRAILER_BYTES - start > bytes || this.cache.has(this.fileNumber, offsets[next]!)) break;
      last++;
    }
    const end = offsets[last]! + sizes[last]! + BLOCK.TRAILER_BYTES;
    const raw = this.file.read(start, end - start);
    const blocks: Block[] = [];
    for (let index = first; index <= last; index++) {
      const handle = { offset: offsets[index]!, size: sizes[index]! };
      const contents = checkBlock(this.file.path, raw.subarray(handle.offset - start, handle.offset - start + handle.size + BLOCK.TRAILER_BYTES), handle);
      this.stats.blockReads++;
      const block = new Block(contents, this.path, handle.offset);
      if (fillCache) this.cache.set(this.fileNumber, handle.offset, this.copyIntoCacheMemory(contents, handle.offset), contents.length + BLOCK_CACHE_OVERHEAD_BYTES, this.blockSlots, index);
      blocks.push(block);
    }
    return blocks;
  }

  /** The block at blockIndex if the cache holds it. */
  cachedBlock(blockIndex: number): Block | undefined {
    return this.cache.get(this.fileNumber, this.blockOffsets[blockIndex]!, this.blockSlots, blockIndex, this.path);
  }
}

const NO_BLOCKS: Block[] = [];

/** Positioned iterator over every entry of a file, block by block (see the header on readerOf). */
export class SstableIterator implements EntryIterator {
  private blockIndex = 0;
  private blockIterator: BlockIterator | undefined; // spareIterator while positioned, undefined past the last block
  private spareIterator: BlockIterator | undefined; // reset onto each block in turn (one scratch key buffer per table iterator)
  private ahead: Block[] = []; // blocks read ahead: ahead[i] is block aheadFirst + i
  private aheadFirst = 0;
  private readaheadBytes = 0; // 0: the next file read is of one block

  constructor(
    private readerOf: () => SstableReader,
    readonly fillCache = true,
  ) {}

  /**
   * Aims this iterator at another table (unpositioned, no blocks read ahead), keeping its block
   * iterator and scratch key: a LevelIterator moving between tables allocates nothing.
   */
  retarget(readerOf: () => SstableReader): void {
    this.readerOf = readerOf;
    this.blockIndex = 0;
    this.blockIterator = undefined;
    this.ahead = NO_BLOCKS;
    this.aheadFirst = 0;
    this.readaheadBytes = 0;
  }

  seekToFirst(): void {
    this.loadBlock(0);
    this.blockIterator?.seekToFirst();
    this.skipExhaustedBlocks();
  }

  seek(key: Buffer): void {
    this.loadBlock(this.readerOf().blockFor(key));
    this.blockIterator?.seek(key);
    this.skipExhaustedBlocks();
  }

  /**
   * seek(key), or invalid when no entry lies in [key, end): the block the key falls in starts at or
   * past end (told by its first key, no entry decoded), or its first entry from key on is past end.
   */
  seekBelow(key: Buffer, end: Buffer): void {
    const reader = this.readerOf();
    const count = reader.blockCount;
    let blockIndex = reader.blockFor(key);
    for (let first = true; blockIndex < count; blockIndex++, first = false) {
      const block = this.blockAt(reader, blockIndex, blockIndex === this.blockIndex + 1);
      if (block.startsAtOrAfter(end)) break;
      this.useBlock(blockIndex, block);
      const iterator = this.blockIterator!;
      if (first) iterator.seek(key);
      else iterator.seekToFirst(); // every key of the block before was below key
      if (iterator.valid()) {
        if (iterator.compareKey(end) < 0) return;
        break;
      }
    }
    this.blockIndex = blockIndex;
    this.blockIterator = undefined;
  }

  valid(): boolean {
    return this.blockIterator?.valid() ?? false;
  }

  entry(): Entry {
    if (this.blockIterator === undefined) assert.fail('SstableIterator.entry() on an invalid iterator'); // not assert.ok: a hot path
    return this.blockIterator.entry();
  }

  next(): void {
    if (this.blockIterator === undefined) assert.fail('SstableIterator.next() on an invalid iterator');
    this.blockIterator.next();
    this.skipExhaustedBlocks();
  }

  private loadBlock(blockIndex: number): void {
    const reader = this.readerOf();
    const sequential = blockIndex === this.blockIndex + 1;
    this.blockIndex = blockIndex;
    if (blockIndex >= reader.blockCount) {
      this.blockIterator = undefined;
      return;
    }
    this.useBlock(blockIndex, this.blockAt(reader, blockIndex, sequential));
  }

  /** Positions nothing yet: aims the (reused) block iterator at block, which is block blockIndex. */
  private useBlock(blockIndex: number, block: Block): void {
    this.blockIndex = blockIndex;
    if (this.spareIterator === undefined) this.spareIterator = block.iterator();
    else this.spareIterator.reset(block);
    this.blockIterator = this.spareIterator;
  }

  private blockAt(reader: SstableReader, blockIndex: number, sequential: boolean): Block {
    const inWindow = blockIndex - this.aheadFirst;
    if (inWindow >= 0 && inWindow < this.ahead.length) return this.ahead[inWindow]!;
    const cached = reader.cachedBlock(blockIndex);
    if (cached !== undefined) return cached;
    this.readaheadBytes = sequential ? Math.min(ITERATOR_READAHEAD_BYTES_MAX, Math.max(2 * this.readaheadBytes, 8 * 1024)) : 0;
    this.ahead = reader.readBlocks(blockIndex, this.readaheadBytes, this.fillCache);
    this.aheadFirst = blockIndex;
    return this.ahead[0]!;
  }

  private skipExhaustedBlocks(): void {
    while (this.blockIterator !== undefined && !this.blockIterator.valid()) {
      this.loadBlock(this.blockIndex + 1);
      this.blockIterator?.seekToFirst();
    }
  }
}

/** The type byte of an uncompressed block, for continuing a crc over contents with it. */
const UNCOMPRESSED_TYPE_BYTE = Buffer.of(BLOCK.TYPE_UNCOMPRESSED);

/** Reads handle.size bytes plus the trailer and returns the contents once the crc matches. */
export function readBlockContents(file: ReadableFile, handle: BlockHandle): Buffer {
  return checkBlock(file.path, file.read(handle.offset, handle.size + BLOCK.TRAILER_BYTES), handle);
}

/** The contents of raw (a block and its trailer, as read) once its length, type and crc check. */
function checkBlock(path: string, raw: Buffer, handle: BlockHandle): Buffer {
  if (raw.length !== handle.size + BLOCK.TRAILER_BYTES) {
    throw new SstableCorruptionError(path, handle.offset, `block of ${handle.size} bytes cut short at end of file`);
  }
  const type = raw[handle.size]!;
  if (type !== BLOCK.TYPE_UNCOMPRESSED) throw new SstableCorruptionError(path, handle.offset + handle.size, `unknown block type ${type}`);
  const stored = raw.readUInt32LE(handle.size + 1);
  if (maskCrc(crc32(raw.subarray(0, handle.size + 1))) !== stored) {
    throw new SstableCorruptionError(path, handle.offset, `block crc mismatch (block of ${handle.size} bytes)`);
  }
  return raw.subarray(0, handle.size);
}

function readFooter(file: ReadableFile): SstableLayout {
  const fileBytes = file.size();
  const footerOffset = fileBytes - SSTABLE_FOOTER_BYTES;
  const corrupt = (reason: string, at = footerOffset): never => {
    throw new SstableCorruptionError(file.path, Math.max(0, at), reason);
  };
  if (footerOffset < 0) corrupt(`file of ${fileBytes} bytes is shorter than the footer`);
  const footer = file.read(footerOffset, SSTABLE_FOOTER_BYTES);
  if (footer.length !== SSTABLE_FOOTER_BYTES) corrupt('footer cut short');
  if (!footer.subarray(44, 52).equals(SSTABLE_MAGIC)) corrupt('bad magic number', footerOffset + 44);
  const version = footer.readUInt32LE(40);
  if (version !== SSTABLE_FORMAT_VERSION && version !== SSTABLE_FORMAT_VERSION_NO_HASH_INDEX) corrupt(`unsupported format version ${version}`, footerOffset + 40);
  if (maskCrc(crc32(footer.subarray(0, 36))) !== footer.readUInt32LE(36)) corrupt('footer crc mismatch', footerOffset + 36);
  const handles: BlockHandle[] = [];
  for (let position = 0; position < 36; position += 12) {
    const high = footer.readUInt32LE(position + 4);
    if (high >= 2 ** 21) corrupt('block offset exceeds 2^53', footerOffset + position);
    handles.push({ offset: high * 2 ** 32 + footer.readUInt32LE(position), size: footer.readUInt32LE(position + 8) });
  }
  const [filter, meta, index] = handles as [BlockHandle, BlockHandle, BlockHandle];
  const trailer = BLOCK.TRAILER_BYTES;
  const tiled = filter.offset + filter.size + trailer === meta.offset && meta.offset + meta.size + trailer === index.offset
    && index.offset + index.size + trailer === footerOffset;
  if (!tiled) corrupt('filter, meta and index blocks do not tile the end of the file');
  return { fileBytes, filter, meta, index };
}

function decodeMeta(contents: Buffer, file: string, offset: number): SstableMeta {
  const reader = new ByteReader(contents, file, offset);
  const entryCount = reader.varint();
  const tombstoneCount = reader.varint();
  const smallestSeq = reader.varint();
  const largestSeq = reader.varint();
  const keyCount = reader.varint();
  const dataBlockCount = reader.varint();
  const bloomBitsPerKey = reader.varint();
  const keys: Buffer[] = [];
  for (let index = 0; index < 2; index++) {
    const start = reader.skip(reader.varint());
    keys.push(contents.subarray(start, reader.pos));
  }
  if (reader.pos !== contents.length) reader.fail('trailing bytes after meta');
  const [smallestKey, largestKey] = keys as [Buffer, Buffer];
  return { entryCount, tombstoneCount, smallestSeq, largestSeq, keyCount, dataBlockCount, bloomBitsPerKey, smallestKey, largestKey };
}

interface DataSummary { entryCount: number; tombstoneCount: number; keyCount: number; smallestSeq: number; largestSeq: number; smallestKey: Buffer; largestKey: Buffer }

/** Walks every data block in file order: layout, entry order, separators, filter membership. */
function verifyDataBlocks(reader: SstableReader, readBlock: (handle: BlockHandle) => Block): DataSummary {
  const fail = (offset: number, reason: string): never => {
    throw new SstableCorruptionError(reader.path, offset, reason);
  };
  const summary: DataSummary = { entryCount: 0, tombstoneCount: 0, keyCount: 0, smallestSeq: 0, largestSeq: 0, smallestKey: Buffer.alloc(0), largestKey: Buffer.alloc(0) };
  let expectedOffset = 0;
  let previous: Entry | undefined;
  for (let blockIndex = 0; blockIndex < reader.blockCount; blockIndex++) {
    const handle = { offset: reader.blockOffsets[blockIndex]!, size: reader.blockSizes[blockIndex]! };
    if (handle.offset !== expectedOffset) fail(handle.offset, `data block ${blockIndex} starts at ${handle.offset}, expected ${expectedOffset}`);
    expectedOffset = handle.offset + handle.size + BLOCK.TRAILER_BYTES;
    const iterator = readBlock(handle).iterator();
    iterator.seekToFirst();
    if (!iterator.valid()) fail(handle.offset, `data block ${blockIndex} is empty`);
    if (blockIndex > 0) {
      // lastKey(i - 1) <= separator(i - 1) < firstKey(i), or all three equal when a key's versions span blocks.
      const first = iterator.entry().key;
      const byKey = Buffer.compare(first, reader.indexKey(blockIndex - 1));
      if (byKey < 0 || (byKey === 0 && !first.equals(previous!.key))) fail(handle.offset, `data block ${blockIndex} does not start above the previous separator`);
    }
    for (; iterator.valid(); iterator.next()) {
      const entry = iterator.entry();
      if (previous !== undefined && compareEntries(previous, entry) >= 0) fail(handle.offset, `entries out of order in data block ${blockIndex}`);
      if (previous === undefined || !previous.key.equals(entry.key)) {
        summary.keyCount++;
        if (!BloomFilter.mayContain(reader.filter, entry.key)) fail(reader.layout.filter.offset, 'the filter misses a key of the file');
      }
      if (summary.entryCount === 0) {
        summary.smallestSeq = entry.seq;
        summary.smallestKey = entry.key;
      }
      summary.entryCount++;
      if (entry.kind === 'delete') summary.tombstoneCount++;
      summary.smallestSeq = Math.min(summary.smallestSeq, entry.seq);
      summary.largestSeq = Math.max(summary.largestSeq, entry.seq);
      previous = entry;
    }
    if (Buffer.compare(previous!.key, reader.indexKey(blockIndex)) > 0) fail(handle.offset, `data block ${blockIndex} ends above its separator`);
  }
  if (expectedOffset !== reader.layout.filter.offset) fail(expectedOffset, 'data blocks do not end where the filter starts');
  summary.largestKey = previous?.key ?? Buffer.alloc(0);
  return summary;
}

function checkMetaAgainst(reader: SstableReader, found: DataSummary): void {
  const meta = reader.meta;
  const fields = ['entryCount', 'tombstoneCount', 'keyCount', 'smallestSeq', 'largestSeq'] as const;
  for (const field of fields) {
    if (meta[field] !== found[field]) {
      throw new SstableCorruptionError(reader.path, reader.layout.meta.offset, `meta ${field} ${meta[field]} but the data has ${found[field]}`);
    }
  }
  if (!meta.smallestKey.equals(found.smallestKey) || !meta.largestKey.equals(found.largestKey)) {
    throw new SstableCorruptionError(reader.path, reader.layout.meta.offset, 'meta key range differs from the data');
  }
}
