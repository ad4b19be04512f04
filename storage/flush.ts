// storage/flush.ts: writes a frozen memtable to a new level-0 SSTable, in slices of at most
// sliceMs of work with a setImmediate between them so the event loop keeps answering. The Bloom
// filter is built in slices too; finish() (index, footer), the reopen, each verify slice and the
// caller's install get turns of their own.
// Invariants:
// - Invariant 8: the table is written, fsynced, closed, reopened and fully verified (every block
//   read back from the file, crc-checked and decoded), and its directory entry fsynced, before the
//   caller names it in a manifest edit.
// - Older versions of a key are dropped unless an open snapshot still sees them (a snapshot sees
//   the newest version with seq <= its own). A visible version is kept even when it is a delete
//   (older tables may hold the key) or an expired put (dropping it could uncover an older value).
// - compactionFilter(key) true drops that version of key (dead namespaces and versions: the
//   caller guarantees nothing reads such keys again, so an older version left in a table cannot
//   be seen either).
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { BLOCK_CACHE_OVERHEAD_BYTES, type BlockCache } from './block-cache.js';
import { Block, BLOCK, blockChecksum, ENTRY_KIND_CODE, type BlockHandle } from './block.js';
import type { CompactionFilter, Entry } from './entry.js';
import { SstableCorruptionError } from './errors.js';
import type { FileSystem, WritableFile } from './file-system.js';
import type { FileMeta } from './manifest.js';
import type { Memtable } from './memtable.js';
import { SstableReader } from './sstable-reader.js';
import { SstableWriter, type SstableBuildResult } from './sstable-writer.js';

export interface TableOptions {
  blockBytes?: number;
  bloomBitsPerKey?: number;
}

export interface FlushInput {
  fs: FileSystem;
  dir: string;
  path: string;
  fileNumber: number;
  memtable: Memtable; // frozen: no puts while this runs
  snapshotSeqs: readonly number[]; // open snapshots, ascending
  tableOptions: TableOptions;
  cache: BlockCache;
  sliceMs: number; // Infinity: one slice (open and close)
  compactionFilter?: CompactionFilter | undefined;
  fillCache: boolean; // cache the table's blocks as they are verified (not at close), if they fit
}

export interface FlushOutput {
  meta: FileMeta;
  reader: SstableReader;
  entriesDropped: number;
}

const CLOCK_CHECK_ENTRIES = 64;

/**
 * A flush caches its table's blocks (FlushInput.fillCache) only when they take at most this share
 * of the cache's room: a bigger table would evict everything else for blocks that would then
 * evict each other.
 */
export const FLUSH_CACHE_SHARE_MAX = 0.5;

/** Returns undefined (and leaves no table) for an empty memtable or one the filter emptied. */
export async function flushMemtable(input: FlushInput): Promise<FlushOutput | undefined> {
  const written = await writeTable(input);
  if (written === undefined) return undefined;
  const { built, entriesDropped } = written;
  const reader = SstableReader.open(input.fs, input.path, input.fileNumber, input.cache);
  try {
    // invariant 8: readable back before it is named. Its blocks may stay cached: they hold the
    // newest writes, in memory until now (RocksDB's prepopulate_block_cache = kFlushOnly).
    const fillCache = input.fillCache && built.sizeBytes <= flushCacheRoomBytes(input.cache);
    await verifyTable({ fs: input.fs, path: input.path, sliceMs: input.sliceMs, fillCache }, reader, built);
    if (input.sliceMs !== Infinity) await yieldToEventLoop(); // the caller's manifest edit gets a turn of its own
    input.fs.syncDir(input.dir); // invariant 8: its directory entry durable too
  } catch (error) {
    reader.discard();
    throw error;
  }
  const meta: FileMeta = { number: input.fileNumber, level: 0, ...built }; // SstableBuildResult's fields are FileMeta's
  return { meta, reader, entriesDropped };
}

/** The largest table a flush caches the blocks of (FLUSH_CACHE_SHARE_MAX of the cache's room). */
export function flushCacheRoomBytes(cache: BlockCache): number {
  return (cache.capacityBytes - cache.reservedBytes()) * FLUSH_CACHE_SHARE_MAX;
}

export type TableWriteInput = Pick<FlushInput, 'fs' | 'path' | 'memtable' | 'snapshotSeqs' | 'tableOptions' | 'sliceMs' | 'compactionFilter'> & {
  /** The compaction filter's verdicts by memtable node, taken before (filterVerdicts): 1 drops the key. */
  droppedNodes?: Uint8Array | undefined;
};

/**
 * The compaction filter's verdict for every key of a frozen memtable (1: drop), by node, in slices
 * of sliceMs: the flush worker cannot run the filter (it reads engine state on this thread), so
 * the main thread hands it these with the memtable. A verdict depends on the key alone and a
 * dropped key is never read again (CompactionFilter), so one taken before the write holds for it.
 */
export async function filterVerdicts(memtable: Memtable, filter: CompactionFilter, sliceMs: number): Promise<Uint8Array> {
  const nodeCount = memtable.keyCount();
  const dropped = new Uint8Array(nodeCount);
  let sliceStartMs = performance.now();
  for (let node = 0; node < nodeCount; node++) {
    if (filter(memtable.keyOf(node))) dropped[node] = 1;
    if ((node & (CLOCK_CHECK_ENTRIES - 1)) === CLOCK_CHECK_ENTRIES - 1 && performance.now() - sliceStartMs >= sliceMs) {
      await yieldToEventLoop();
      sliceStartMs = performance.now();
    }
  }
  return dropped;
}

/**
 * The first half of a flush, shared with the flush worker (flush-worker.ts): the memtable's
 * surviving versions written to input.path, fsynced and closed. undefined, and no file left, when
 * none survive.
 */
export async function writeTable(input: TableWriteInput): Promise<{ built: SstableBuildResult; entriesDropped: number } | undefined> {
  if (input.memtable.entryCount() === 0) return undefined;
  const file = input.fs.create(input.path);
  let closed = false;
  try {
    const writer = new SstableWriter(file, writerOptions(input.tableOptions));
    // The memtable's versions go to the writer as arena bytes: no Entry, no value view, the key's
    // Bloom hash as put() computed it (an Entry and two views per entry were ~3% of a SET's CPU).
    const iterator = input.memtable.flushIterator();
    iterator.seekToFirst();
    const snapshotSeqs = input.snapshotSeqs;
    const noSnapshots = snapshotSeqs.length === 0;
    const filter = input.compactionFilter;
    const droppedNodes = input.droppedNodes;
    let previousNode = -1;
    let previousBucket = -1;
    let entriesDropped = 0;
    let sliceStartMs = performance.now();
    let sinceClockCheck = 0;
    let entriesWritten = 0;
    while (iterator.valid()) {
      // versionFilter's rule: within a snapshot bucket only the newest version of a key is kept
      const node = iterator.currentNode();
      const seq = iterator.currentSeq();
      const bucket = noSnapshots ? 0 : snapshotBucket(snapshotSeqs, seq);
      const shadowed = node === previousNode && bucket === previousBucket;
      previousNode = node;
      previousBucket = bucket;
      const key = iterator.currentKey();
      if (!shadowed && (filter === undefined || !filter(key)) && (droppedNodes === undefined || droppedNodes[node] === 0)) {
        const kindCode = iterator.currentIsPut() ? ENTRY_KIND_CODE.put : ENTRY_KIND_CODE.delete;
        writer.addParts(key, iterator.currentKeyHash(), seq, kindCode, iterator.currentExpireAtMs(), iterator.currentValueSource(), iterator.currentValueStart(), iterator.currentValueLength());
        entriesWritten++;
      } else {
        entriesDropped++;
      }
      iterator.next();
      if (++sinceClockCheck >= CLOCK_CHECK_ENTRIES) {
        sinceClockCheck = 0;
        if (performance.now() - sliceStartMs >= input.sliceMs) {
          await yieldToEventLoop();
          sliceStartMs = performance.now();
        }
      }
    }
    if (entriesWritten === 0) {
      // everything was filtered out: no table (the file was never named; a crash leaves an orphan)
      closed = true;
      file.close();
      input.fs.remove(input.path);
      return undefined;
    }
    await buildFilterInSlices(writer, input.sliceMs, () => undefined);
    if (input.sliceMs !== Infinity) await yieldToEventLoop(); // finish() (index, footer) gets its own turn
    const built = writer.finish();
    await file.syncAsync(); // invariant 8: table durable before it is named (off the event loop)
    closed = true;
    file.close();
    return { built, entriesDropped };
  } finally {
    if (!closed) closeQuietly(file);
  }
}

export interface VerifyInput {
  fs: FileSystem;
  path: string;
  sliceMs: number;
  fillCache?: boolean; // cache each block once checked
  /** With fillCache: asked before each block is cached with what it would charge; false leaves it out. */
  mayCache?: (chargeBytes: number) => boolean;
  /** Each read of data blocks once they all checked: span holds the file's bytes from offset on (until the call returns: the buffer is reused). */
  onSpan?: (offset: number, span: Buffer) => void;
}

/**
 * What SstableReader.verify() checks of the data, in slices of sliceMs (verify() is one blocking
 * call: ~0.5 s for a 64 MiB memtable). Reads every data block from the file, not the cache, in
 * reads of up to VERIFY_READ_BYTES into one reused buffer (not a buffer per read or per block: a
 * table's worth of garbage per verify was RSS until the next GC), checks each block's trailer (type,
 * crc) as readBlockContents does, decodes it, checks entry order across blocks, and that the
 * entries, key range and the reader's meta block match what the writer reported.
 */
export async function verifyTable(
  input: VerifyInput,
  reader: SstableReader,
  built: SstableBuildResult,
): Promise<void> {
  try {
    await verifyTableBlocks(input, reader, built);
  } catch (error) {
    if (input.fillCache === true) reader.dropCachedBlocks(); // a table that failed is never read
    throw error;
  }
}

async function verifyTableBlocks(
  input: VerifyInput,
  reader: SstableReader,
  built: SstableBuildResult,
): Promise<void> {
  const path = input.path;
  const corrupt = (offset: number, reason: string): never => {
    throw new SstableCorruptionError(path, offset, `written table reads back wrong: ${reason}`);
  };
  if (input.sliceMs !== Infinity) await yieldToEventLoop(); // not in the turn that opened the reader
  const file = input.fs.openRead(path);
  try {
    // entries are checked in order without building them (an Entry and a key Buffer each was 13%
    // of a SET's CPU under `appendfsync no`): the previous key lives in a reused buffer
    let previousKey: Buffer = Buffer.allocUnsafe(64);
    let previousLength = -1;
    let previousSeq = 0;
    let firstKey: Buffer | undefined;
    let entryCount = 0;
    let sliceStartMs = performance.now();
    // every span is read into this one buffer: nothing keeps a view of it (cached blocks and
    // onSpan's callers copy), and a table's worth of read buffers is garbage the GC frees late
    let spanBuffer = Buffer.allocUnsafeSlow(VERIFY_READ_BYTES);
    const handles = reader.indexHandles;
    for (let spanStart = 0; spanStart < handles.length; ) {
      const spanEnd = spanEndIndex(handles, spanStart, corrupt);
      const base = handles[spanStart]!.offset;
      const last = handles[spanEnd - 1]!;
      const spanBytes = last.offset + last.size + BLOCK.TRAILER_BYTES - base;
      if (spanBytes > spanBuffer.length) spanBuffer = Buffer.allocUnsafeSlow(spanBytes); // one block past VERIFY_READ_BYTES
      const span = spanBuffer.subarray(0, file.readInto(base, spanBuffer, 0, spanBytes));
      for (let index = spanStart; index < spanEnd; index++) {
        const handle = handles[index]!;
        const contents = checkedBlock(path, span, handle.offset - base, handle);
        const iterator = new Block(contents, path, handle.offset).iterator();
        for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
          const seq = iterator.currentSeq();
          if (previousLength < 0) {
            firstKey = Buffer.from(iterator.entry().key);
          } else {
            // key ascending, then seq descending (compareEntries)
            const byKey = iterator.compareKeyWith(previousKey, previousLength);
            if (byKey < 0 || (byKey === 0 && seq >= previousSeq)) corrupt(handle.offset, 'entries out of order');
          }
          previousKey = iterator.copyKey(previousKey);
          previousLength = iterator.currentKeyLength();
          previousSeq = seq;
          entryCount++;
        }
        if (input.fillCache === true && (input.mayCache?.(contents.length + BLOCK_CACHE_OVERHEAD_BYTES) ?? true)) reader.cacheBlock(index, contents);
        if (performance.now() - sliceStartMs >= input.sliceMs) {
          await yieldToEventLoop();
          sliceStartMs = performance.now();
        }
      }
      input.onSpan?.(base, span);
      spanStart = spanEnd;
    }
    if (entryCount !== built.entryCount || reader.meta.entryCount !== built.entryCount) {
      corrupt(0, `${entryCount} entries (meta ${reader.meta.entryCount}), the writer added ${built.entryCount}`);
    }
    const lastKey = previousLength < 0 ? undefined : previousKey.subarray(0, previousLength);
    const isBuiltRange = (smallest: Buffer | undefined, largest: Buffer | undefined): boolean =>
      smallest !== undefined && largest !== undefined && smallest.equals(built.smallestKey) && largest.equals(built.largestKey);
    if (!isBuiltRange(firstKey, lastKey) || !isBuiltRange(reader.meta.smallestKey, reader.meta.largestKey)) {
      corrupt(0, 'key range differs from what the writer reported');
    }
  } finally {
    file.close();
  }
}

/** Keys put into a table's Bloom filter between two looks at the clock. */
const FILTER_KEYS_PER_STEP = 8192;

/**
 * Builds writer's Bloom filter (after its last add) in slices of sliceMs with a turn of the event
 * loop between them; afterYield runs after each yield (compaction checks it may go on). With
 * sliceMs Infinity it does nothing: finish() builds the filter in one go.
 */
export async function buildFilterInSlices(writer: SstableWriter, sliceMs: number, afterYield: () => void): Promise<void> {
  if (sliceMs === Infinity) return;
  let sliceStartMs = performance.now();
  while (!writer.buildFilterStep(FILTER_KEYS_PER_STEP)) {
    if (performance.now() - sliceStartMs >= sliceMs) {
      await yieldToEventLoop();
      afterYield();
      sliceStartMs = performance.now();
    }
  }
}

/** Bytes of data blocks read at once by verifyTable (a bigger block is read alone). */
export const VERIFY_READ_BYTES = 256 * 1024;

/** Index past the last handle of the span that starts at `start`: back-to-back blocks within VERIFY_READ_BYTES. */
function spanEndIndex(handles: readonly BlockHandle[], start: number, corrupt: (offset: number, reason: string) => never): number {
  const base = handles[start]!.offset;
  let end = start + 1;
  for (; end < handles.length; end++) {
    const previous = handles[end - 1]!;
    const handle = handles[end]!;
    if (handle.offset !== previous.offset + previous.size + BLOCK.TRAILER_BYTES) corrupt(handle.offset, 'data blocks are not back to back');
    if (handle.offset + handle.size + BLOCK.TRAILER_BYTES - base > VERIFY_READ_BYTES) break;
  }
  return end;
}

/** The block at `at` in span once its length, type and crc check (the trailer is drawn in sstable-writer.ts). */
function checkedBlock(path: string, span: Buffer, at: number, handle: BlockHandle): Buffer {
  const end = at + handle.size;
  if (end + BLOCK.TRAILER_BYTES > span.length) throw new SstableCorruptionError(path, handle.offset, `block of ${handle.size} bytes cut short at end of file`);
  const contents = span.subarray(at, end);
  const type = span[end]!;
  if (type !== BLOCK.TYPE_UNCOMPRESSED) throw new SstableCorruptionError(path, handle.offset + handle.size, `unknown block type ${type}`);
  if (blockChecksum(contents, type) !== span.readUInt32LE(end + 1)) {
    throw new SstableCorruptionError(path, handle.offset, `block crc mismatch (block of ${handle.size} bytes)`);
  }
  return contents;
}

export function writerOptions(options: TableOptions): { blockBytes?: number; bloomBitsPerKey?: number } {
  const result: { blockBytes?: number; bloomBitsPerKey?: number } = {};
  if (options.blockBytes !== undefined) result.blockBytes = options.blockBytes;
  if (options.bloomBitsPerKey !== undefined) result.bloomBitsPerKey = options.bloomBitsPerKey;
  return result;
}

/**
 * A predicate fed entries in entry order: false for a version no snapshot can see. Snapshots split
 * seqs into buckets (bucket = first snapshot >= seq; past the last one = the live bucket); within a
 * bucket only the newest version of a key is visible.
 */
export function versionFilter(snapshotSeqs: readonly number[]): (entry: Entry) => boolean {
  let previousKey: Buffer | undefined;
  let previousBucket = -1;
  const noSnapshots = snapshotSeqs.length === 0;
  return (entry) => {
    const bucket = noSnapshots ? 0 : snapshotBucket(snapshotSeqs, entry.seq);
    const shadowed = previousKey !== undefined && previousBucket === bucket && sameKey(previousKey, entry.key);
    previousKey = entry.key;
    previousBucket = bucket;
    return !shadowed;
  };
}

/**
 * Key equality for neighbours in entry order: lengths first, then bytes from the end (neighbouring
 * keys tend to share a prefix and differ near the end, e.g. "user:1041" and "user:1042").
 */
export function sameKey(a: Buffer, b: Buffer): boolean {
  if (a === b) return true;
  const length = a.length;
  if (length !== b.length) return false;
  if (length > 32) return a.equals(b);
  for (let index = length - 1; index >= 0; index--) if (a[index] !== b[index]) return false;
  return true;
}

export function snapshotBucket(snapshotSeqs: readonly number[], seq: number): number {
  let low = 0;
  let high = snapshotSeqs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (snapshotSeqs[mid]! < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

export function closeQuietly(file: WritableFile): void {
  try {
    file.close();
  } catch {
    // already failing; the orphan file is removed at the next open
  }
}
