// storage/table-cache.ts: the open SstableReaders (one file handle each, plus the filter, meta and
// index blocks a reader keeps resident), an LRU bounded by a count and by bytes. The bytes are
// reserved in the BlockCache, so one budget (EngineOptions.cacheBytes) covers data blocks, index
// and filter blocks and open handles together; tables not in use cost nothing but their manifest
// entry. A read of an evicted table reopens it (footer, filter, meta, index: crc-checked again).
// Invariants:
// - At most readersMax readers are open and their residentBytes() sum to at most bytesMax, except
//   that the reader just opened is never evicted by its own open (one table larger than the whole
//   share still works, alone).
// - Nothing outside holds a reader across another reader() call: callers use it synchronously
//   (a point get, one block load of an SstableIterator), so eviction never closes a reader in use.
// - evict() closes the reader and returns its reservation; a table being deleted is evicted first.
// - An entry use() handed out holds its reader until evict() takes it (reader undefined): a holder
//   of an evicted entry keeps no reader alive, and asks the Map again.
import assert from 'node:assert/strict';
import type { BlockCache } from './block-cache.js';
import type { FileSystem } from './file-system.js';
import { SstableReader } from './sstable-reader.js';

/** Open readers at most, by default (each holds a file descriptor). */
export const TABLE_CACHE_READERS_MAX_DEFAULT = 500;
/** Share of the memory budget open readers may reserve; data blocks get at least the rest. */
export const TABLE_CACHE_BUDGET_SHARE = 0.5;

/** An open reader as the table cache keeps it; a TableHandle keeps the last one it was given (see use()). */
export interface CachedReader {
  reader: SstableReader | undefined; // undefined once evicted (then a holder keeps nothing alive and must ask again)
  readonly bytes: number;
  lastUsed: number; // the table cache's use counter at its last reader() or adopt()
}

export interface TableCacheStats {
  tableCacheHits: number;
  tableCacheMisses: number;
  tableCacheReaders: number;
  tableCacheBytes: number;
  bloomNegatives: number;
  blockReads: number;
}

export class TableCache {
  private readonly readers = new Map<number, CachedReader>();
  private useCount = 0; // bumped by every use; the reader with the smallest lastUsed is the LRU one
  private residentBytes = 0;
  private hits = 0;
  private misses = 0;
  private closedBloomNegatives = 0;
  private closedBlockReads = 0;

  constructor(
    private readonly fs: FileSystem,
    readonly blockCache: BlockCache,
    readonly readersMax: number,
    readonly bytesMax: number,
  ) {
    assert.ok(Number.isSafeInteger(readersMax) && readersMax >= 1, `readersMax ${readersMax}`);
    assert.ok(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `bytesMax ${bytesMax}`);
  }

  /** The open reader of a table, opening it (and evicting older readers) on a miss. */
  reader(fileNumber: number, path: string): SstableReader {
    return this.use(fileNumber, path, undefined).reader!; // use() returns an open entry
  }

  /**
   * reader() for a holder of the entry it was given last time (a TableHandle): while that entry is
   * open it is the table's, so a point read skips the Map lookup (4.5 % of a lookup's CPU with
   * ~4 tables probed per key); an evicted one (reader undefined) falls back to the Map. Returns
   * an open entry.
   */
  use(fileNumber: number, path: string, last: CachedReader | undefined): CachedReader {
    const cached = last !== undefined && last.reader !== undefined ? last : this.readers.get(fileNumber);
    if (cached !== undefined) {
      this.hits++;
      cached.lastUsed = ++this.useCount; // no Map reordering: a hit is on every point read's path
      return cached;
    }
    this.misses++;
    const reader = SstableReader.open(this.fs, path, fileNumber, this.blockCache);
    return this.adopt(fileNumber, reader);
  }

  /** Takes over a reader opened elsewhere (recovery, flush and compaction outputs). */
  adopt(fileNumber: number, reader: SstableReader): CachedReader {
    if (this.readers.has(fileNumber)) assert.fail(`table ${fileNumber} is already open in the table cache`);
    const bytes = reader.residentBytes();
    const cached: CachedReader = { reader, bytes, lastUsed: ++this.useCount };
    this.readers.set(fileNumber, cached);
    this.residentBytes += bytes;
    this.blockCache.reserve(bytes);
    this.evictBeyondLimits();
    return cached;
  }

  /** Closes the table's reader if open (table released, or its file about to be deleted). */
  evict(fileNumber: number): void {
    const cached = this.readers.get(fileNumber);
    if (cached === undefined) return;
    const reader = cached.reader!; // every entry in the Map is open
    this.readers.delete(fileNumber);
    cached.reader = undefined;
    this.residentBytes -= cached.bytes;
    this.blockCache.unreserve(cached.bytes);
    this.closedBloomNegatives += reader.stats.bloomNegatives;
    this.closedBlockReads += reader.stats.blockReads;
    closeQuietly(reader);
  }

  closeAll(): void {
    for (const fileNumber of [...this.readers.keys()]) this.evict(fileNumber);
  }

  isOpen(fileNumber: number): boolean {
    return this.readers.has(fileNumber);
  }

  stats(): TableCacheStats {
    let bloomNegatives = this.closedBloomNegatives;
    let blockReads = this.closedBlockReads;
    for (const { reader } of this.readers.values()) {
      bloomNegatives += reader!.stats.bloomNegatives;
      blockReads += reader!.stats.blockReads;
    }
    return {
      tableCacheHits: this.hits,
      tableCacheMisses: this.misses,
      tableCacheReaders: this.readers.size,
      tableCacheBytes: this.residentBytes,
      bloomNegatives,
      blockReads,
    };
  }

  /**
   * Evicts least recently used readers (a scan for the smallest lastUsed: evictions come with an
   * open, which costs far more). The reader just adopted is the most recent, so it goes only when
   * it is not alone.
   */
  private evictBeyondLimits(): void {
    while ((this.readers.size > this.readersMax || this.residentBytes > this.bytesMax) && this.readers.size > 1) {
      let oldest: number | undefined;
      let oldestUse = Infinity;
      for (const [fileNumber, cached] of this.readers) {
        if (cached.lastUsed < oldestUse) {
          oldest = fileNumber;
          oldestUse = cached.lastUsed;
        }
      }
      assert.ok(oldest !== undefined);
      this.evict(oldest);
    }
  }
}

/** Closing a read handle loses nothing; after a simulated crash the handle is simply dead. */
function closeQuietly(reader: SstableReader): void {
  try {
    reader.close();
  } catch {
    // nothing to do
  }
}
