// storage/engine.ts: the storage engine. Writes go to the WAL (group commit, group-commit.ts) and
// the active memtable; a full memtable becomes immutable and is flushed to a level-0 SSTable in
// the background (lsm-files.ts, flush.ts); background compaction keeps the levels in shape
// (compaction-scheduler.ts); reads look at the memtables, then the tables of the current Version
// (version.ts); scans merge them all at one sequence (scan.ts).
// Memory: one budget, cacheBytes, holds the block cache and the open table readers (their index
// and filter blocks, table-cache.ts); beyond it the engine uses its two memtables and fixed
// overhead (per-table manifest entries, one output table's filter hashes during a compaction).
// Invariants (numbers from shared/reference/storage-engines.md §2.2):
// - write() assigns seqs, stages the WAL record and applies the batch to the memtable before it
//   returns; its promise resolves only when durable per policy (1, 2, 3: one batch = one record).
// - Rotation appends and fsyncs the current WAL before a new one is created (13); the new WAL's
//   first record and its directory entry are synced before it takes writes.
// - A flushed table is durable and verified before the manifest names it (8); the manifest edit
//   carries logNumber = the WAL opened at rotation, and only older WALs are then removed (11, 12).
// - Any append, fsync, rename or manifest error fails the engine for good (14): pending writes are
//   rejected, later writes throw EngineFailedError, reads keep working, no file is removed (15).
//   Reads never show a refused write: on failure the active memtable (which already held the
//   writes that were then refused) is rebuilt from its WALs, keeping only acknowledged sequence
//   numbers; if that rebuild cannot read them, reads throw the failure rather than guess.
// - One immutable memtable at most. While it flushes and the active one is full, writeStallMs()
//   is > 0 and waitForWriteRoom() waits; so it does at the level-0 and pending-compaction stop
//   thresholds, and between slowdown and stop thresholds writes are paced (write-stall.ts).
//   write() itself never blocks and never fails for a stall (memory may overshoot by what callers
//   squeeze in).
// - While any scan is open, memtable puts keep older versions and flushes keep what a snapshot
//   sees; tables a scan pinned stay open (Version refcounts).
// Replication (additive; nothing changes until a replica asks):
// - A primary's history is its WAL: openWalCursor(seq) reads durable batches from seq on, from
//   the in-memory tail (wal-tail.ts, sized by setWalRetention) or the WAL files; obsolete WALs are
//   kept up to setWalRetention's bytesMax for that (wal-archive.ts). checkpoint() pins a Version
//   and the WALs after it for a full sync (checkpoint.ts). onDurable() hears durableSequence grow.
// - A replica applies the primary's batches with applyReplicated(): same sequence numbers, one
//   batch = one WAL record, as write() does; it never calls write().
import assert from 'node:assert/strict';
import { BlockCache } from './block-cache.js';
import { bloomHash } from './bloom.js';
import { compactionTuning, type CompactionTuning } from './compaction-picker.js';
import { CompactionScheduler, type CompactionStats } from './compaction-scheduler.js';
import type { CompactionFilter, Entry } from './entry.js';
import type { EngineCheckpoint } from './checkpoint.js';
import { EngineClosedError, EngineFailedError, ReplicationGapError, WalCorruptionError } from './errors.js';
import { RealFileSystem, type FileSystem } from './file-system.js';
import type { TableOptions } from './flush.js';
import { FlushWorker } from './flush-worker-client.js';
import { GroupCommit, type SyncPolicy } from './group-commit.js';
import { LsmFiles, type KillPoint } from './lsm-files.js';
import type { Version } from './version.js';
import { arraysBytes, Memtable, TAIL_NODES_MAX, type MemtableArrays } from './memtable.js';
import { parseFileName, tablePath, walPath, type EngineLogger } from './recovery.js';
import { isExpired, readPage, ScanCursor, scanIterable, type ScanCounters, type ScanItem, type ScanIterable, type ScanOptions } from './scan.js';
import { readValuePage, type ValuePage } from './value-page.js';
import { TABLE_CACHE_BUDGET_SHARE, TABLE_CACHE_READERS_MAX_DEFAULT, TableCache } from './table-cache.js';
import { decodeBatch, encodeBatch, readWal, type WriteOp } from './wal.js';
import { EngineSnapshot, type PinnedReaders } from './snapshot.js';
import { WalArchive } from './wal-archive.js';
import { WalCursor } from './wal-cursor.js';
import { WalTail } from './wal-tail.js';
import { WriteStall, type StallCondition } from './write-stall.js';

export type { SyncPolicy } from './group-commit.js';
export type { EngineLogger, EngineLogLevel } from './recovery.js';
export type { ScanItem, ScanOptions, ScanIterable } from './scan.js';
export type { EngineSnapshot } from './snapshot.js';
export type { WriteOp } from './wal.js';
export type { CompactionTuning } from './compaction-picker.js';
export type { KillPoint } from './lsm-files.js';
export type { CompactionFilter } from './entry.js';
export type { EngineCheckpoint } from './checkpoint.js';
export type { WalCursor } from './wal-cursor.js';
export type { WalBatchRecord } from './wal-tail.js';

export interface EngineTestHooks {
  /** Called at each named point of a compaction; throw (after copying the file system) to "crash" there. */
  onKillPoint?: (name: KillPoint) => void;
  /** The flush worker thread exits at its first request instead of answering (a crash). */
  flushWorkerExits?: boolean;
}

export interface EngineOptions {
  dir: string;
  syncPolicy?: SyncPolicy; // default 'always'
  fs?: FileSystem; // default RealFileSystem
  memtableBytesMax?: number; // default MEMTABLE_BYTES_MAX_DEFAULT
  blockBytes?: number;
  bloomBitsPerKey?: number;
  cacheBytes?: number; // default CACHE_BYTES_DEFAULT: block cache + open tables' index/filter blocks
  logger?: EngineLogger;
  /** Flush and compaction drop the entries it returns true for (entry.ts). */
  compactionFilter?: CompactionFilter;
  /** Compaction drops (or rewrites as deletes) puts whose expireAtMs has passed. Default true. */
  dropExpired?: boolean;
  /** Overrides of the compaction and stall tuning (defaults from memtableBytesMax). */
  compaction?: Partial<CompactionTuning>;
  /** At most this many table readers (file descriptors) open at once. */
  openTablesMax?: number;
  testHooks?: EngineTestHooks;
  /**
   * Background flushes on a worker thread (flush-worker-client.ts). Default: with the real file
   * system only (a test's in-memory one lives on the main thread; true with one throws).
   */
  flushWorker?: boolean;
}

export const MEMTABLE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
export const CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;

export interface EngineStats {
  walAppends: number;
  walBytes: number;
  fsyncs: number;
  sstableFiles: number;
  sstableBytes: number;
  levelFiles: number[];
  bloomNegatives: number;
  memtableBytes: number;
  immutableMemtableBytes: number;
  memtableEntries: number;
  flushes: number;
  flushBytesWritten: number;
  stallCount: number;
  stallMs: number;
  compactions: number;
  compactionBytesRead: number;
  compactionBytesWritten: number;
  bytesWritten: number;
  lastSequence: number;
  openSnapshots: number;
  replayedBatches: number;
  failed: boolean;
}

/** What stats() returns: EngineStats plus compaction, stall, cache and read-path detail. */
export interface EngineDetailedStats extends EngineStats, CompactionStats {
  levelBytes: number[];
  pendingCompactionBytes: number;
  slowdownCount: number;
  slowdownMs: number;
  tableCacheHits: number;
  tableCacheMisses: number;
  tableCacheReaders: number;
  tableCacheBytes: number;
  blockCacheBytes: number;
  flushesInWorker: number;
  flushWorkerExportMs: number;
  blockCacheBlocks: number; // each charges BLOCK_CACHE_OVERHEAD_BYTES within blockCacheBytes (BLOCK_CACHE_HEAP_BYTES of it JS heap)
  cacheBytes: number; // the budget both of the above share
  memtableArenaBytes: number; // active + immutable memtables' arena slabs
  memtableIndexBytes: number; // their typed arrays, and the spare set kept for the next memtable
  memtableBytesMax: number; // the active memtable is flushed at this size
  blockReads: number;
  tablesProbed: number; // point reads: tables whose key range held the key
  entriesSkipped: number; // scans: entries passed over without being returned
  tombstonesSkipped: number; // ... of which deletes
}

const EMPTY = Buffer.alloc(0);
/** Open flushes the recovered memtable when it came from at least this many WALs (crash after crash). */
const REPLAYED_WALS_FLUSH_MIN = 2;

export class Engine {
  private active: Memtable;
  private immutable: Memtable | undefined;
  private spareArrays: MemtableArrays | undefined; // a flushed memtable's arrays, for the next one
  private immutableLogNumber = 0; // the WAL opened when `immutable` was frozen
  private activeFirstLogNumber = 0; // WALs numbered from here on hold the active memtable's writes
  private walSource: { fs: FileSystem; dir: string } | undefined;
  private readsRefused: EngineFailedError | undefined; // set when a failure's rollback could not read the WAL
  private lastSequence: number;
  private readonly group: GroupCommit;
  private readonly snapshots = new Map<number, number>(); // scan id -> snapshot seq
  private manualCompactionsWaiting = 0; // compactAll() calls not yet settled
  private nextSnapshotId = 1;
  private flushInFlight: Promise<void> | undefined;
  private readonly stall = new WriteStall(() => this.stallCondition());
  private readonly scheduler: CompactionScheduler;
  private readonly scanCounters: ScanCounters = { entriesSkipped: 0, tombstonesSkipped: 0 };
  private spareCursor: ScanCursor | undefined = new ScanCursor(); // scanPage's, between pages
  private scanSmallestKeys: { version: Version; memtableCount: number; keys: readonly (Buffer | undefined)[] } | undefined; // smallestKeysOf's
  private levelState = { level0Files: 0, pendingBytes: 0 };
  private failedWith: EngineFailedError | undefined;
  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private readonly archive: WalArchive; // the WAL files cursors read (replication)
  private readonly tail = new WalTail(0); // the newest batches in memory, once setWalRetention sized it
  private readonly durableListeners = new Set<(durableSeq: number) => void>();

  private constructor(
    private readonly files: LsmFiles,
    private memtableBytesMax: number,
    private readonly logger: EngineLogger,
    private readonly replayedBatches: number,
    recovered: { memtable: Memtable; lastSequence: number },
    syncPolicy: SyncPolicy,
    private readonly tuning: CompactionTuning,
    dropExpired: boolean,
    private cacheBytes: number,
    private readonly blockCache: BlockCache,
  ) {
    this.active = recovered.memtable;
    this.lastSequence = recovered.lastSequence;
    const created = files.createWal(); // throws: the open fails
    this.group = new GroupCommit(syncPolicy, created.log, (reason, error) => this.fail(reason, error));
    this.group.onSynced = (durableSeq) => {
      for (const listener of this.durableListeners) listener(durableSeq);
    };
    const { fs, dir } = files.options;
    this.archive = new WalArchive({ fs, logger, healthy: () => this.failedWith === undefined });
    for (const number of files.liveWalNumbers()) {
      this.archive.addFile(number, walPath(dir, number), number === created.number ? recovered.lastSequence + 1 : undefined);
    }
    files.walRetirer = (number, path) => this.archive.retire(number, path);
    files.hooks = { fail: (reason, error) => this.fail(reason, error), failed: () => this.failedWith !== undefined };
    this.scheduler = new CompactionScheduler({
      files,
      tuning,
      logger,
      dropExpired,
      snapshotSeqs: () => this.snapshotSeqs(),
      healthy: () => this.failedWith === undefined && !this.closed,
      fail: (reason, error) => this.fail(reason, error),
      onVersionInstalled: () => this.onVersionInstalled(),
    });
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const startedAt = performance.now();
    const logger: EngineLogger = options.logger ?? (() => undefined);
    const tableOptions: TableOptions = {};
    if (options.blockBytes !== undefined) tableOptions.blockBytes = options.blockBytes;
    if (options.bloomBitsPerKey !== undefined) tableOptions.bloomBitsPerKey = options.bloomBitsPerKey;
    const fs = options.fs ?? new RealFileSystem();
    const cacheBytes = options.cacheBytes ?? CACHE_BYTES_DEFAULT;
    const cache = new BlockCache(cacheBytes);
    const tableCache = new TableCache(fs, cache, options.openTablesMax ?? TABLE_CACHE_READERS_MAX_DEFAULT, Math.floor(cacheBytes * TABLE_CACHE_BUDGET_SHARE));
    const useFlushWorker = options.flushWorker ?? fs instanceof RealFileSystem;
    assert.ok(!useFlushWorker || fs instanceof RealFileSystem, 'the flush worker writes to the real file system only');
    const flushWorker = useFlushWorker ? new FlushWorker(logger) : undefined; // its thread starts at the first flush
    if (flushWorker !== undefined && options.testHooks?.flushWorkerExits === true) flushWorker.exitOnNextRequest = true;
    const opened = LsmFiles.open({
      fs,
      dir: options.dir,
      cache,
      tableCache,
      tableOptions,
      logger,
      compactionFilter: options.compactionFilter,
      onKillPoint: options.testHooks?.onKillPoint,
      flushWorker,
    });
    let engine: Engine;
    try {
      const memtableBytesMax = options.memtableBytesMax ?? MEMTABLE_BYTES_MAX_DEFAULT;
      const tuning = compactionTuning(memtableBytesMax, options.compaction);
      engine = new Engine(
        opened.files,
        memtableBytesMax,
        logger,
        opened.replayedBatches,
        opened,
        options.syncPolicy ?? 'always',
        tuning,
        options.dropExpired ?? true,
        cacheBytes,
        cache,
      );
    } catch (error) {
      opened.files.close();
      throw error;
    }
    logger('info', 'engine open', {
      dir: options.dir,
      tables: opened.files.current.tables().length,
      recoveryMs: Math.round((performance.now() - startedAt) * 10) / 10, // LOCK, manifest, tables, WAL replay, new WAL
      replayedBytes: opened.replayedBytes,
      replayedBatches: opened.replayedBatches,
      lastSequence: opened.lastSequence,
    });
    engine.walSource = { fs, dir: options.dir };
    engine.group.acknowledgedSeq = opened.lastSequence; // what recovery found is as durable as it gets
    engine.group.syncedSeq = opened.lastSequence; // recovery synced the WALs it replayed
    // After repeated crashes, recovered writes go to a level-0 table at once (as LevelDB does), so
    // crashes do not pile up WALs that every later open must replay: at most two stay.
    const walsReplayed = fs.list(options.dir).filter((name) => parseFileName(name)?.kind === 'wal').length - 1;
    if (walsReplayed >= REPLAYED_WALS_FLUSH_MIN && engine.active.entryCount() > 0) engine.rotate();
    engine.maybeRotate();
    engine.onVersionInstalled(); // level-0 files left from before may call for a compaction
    return engine;
  }

  // ---- writes ------------------------------------------------------------------------------

  write(ops: readonly WriteOp[]): Promise<void> {
    this.checkWritable();
    if (ops.length === 0) return Promise.resolve();
    const firstSeq = this.lastSequence + 1;
    assert.ok(Number.isSafeInteger(firstSeq + ops.length), 'sequence numbers exhausted');
    return this.commitBatch(firstSeq, ops, encodeBatch(firstSeq, ops));
  }

  /**
   * A replica's write: one batch as the primary's WAL holds it (wal.ts payload), applied with the
   * primary's sequence numbers, which must follow this engine's last one (ReplicationGapError
   * otherwise; WalCorruptionError for a payload that does not decode). Returns its ops (views
   * into payload) and its durability promise, settled as write()'s.
   */
  applyReplicated(payload: Buffer): { firstSeq: number; ops: WriteOp[]; durable: Promise<void> } {
    this.checkWritable();
    const { firstSeq, ops } = decodeBatch(payload);
    if (ops.length === 0) throw new WalCorruptionError('batch', 8, 'a replicated batch holds no op');
    if (firstSeq !== this.lastSequence + 1) throw new ReplicationGapError(this.lastSequence + 1, firstSeq);
    return { firstSeq, ops, durable: this.commitBatch(firstSeq, ops, payload) };
  }

  /** One batch, ops firstSeq .. firstSeq + ops.length - 1, as the WAL record `record`. */
  private commitBatch(firstSeq: number, ops: readonly WriteOp[], record: Buffer): Promise<void> {
    this.lastSequence = firstSeq + ops.length - 1;
    const durable = this.group.add(record, this.lastSequence);
    this.tail.push({ firstSeq, lastSeq: this.lastSequence, payload: record });
    this.stall.noteWrite(record.length);
    const keepOlderVersions = this.snapshots.size > 0;
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index]!;
      const seq = firstSeq + index;
      if (op.kind === 'put') this.active.putParts(op.key, seq, true, op.value, op.expireAtMs ?? 0, keepOlderVersions);
      else this.active.putParts(op.key, seq, false, EMPTY, 0, keepOlderVersions);
    }
    try {
      this.maybeRotate();
    } catch {
      // the engine failed; durable settles accordingly (rejected unless already synced)
    }
    return durable;
  }

  /** The sequence number of the newest write (0 before the first): write() assigns the next ones. */
  sequence(): number {
    return this.lastSequence;
  }

  /**
   * Every write with a sequence number at or below this is on disk (an fsync covering its WAL
   * record returned), whatever the sync policy: what a crash of the machine cannot take back.
   */
  durableSequence(): number {
    return this.group.syncedSeq;
  }

  /**
   * 0 when a write may proceed now; else, when writes must wait for a flush or compaction, how
   * long they have been waiting, or when they are paced (a slowdown), how long this one should wait.
   */
  writeStallMs(): number {
    return this.stall.stallMs();
  }

  waitForWriteRoom(): Promise<void> {
    return this.stall.wait();
  }

  /**
   * Changes when writes are acknowledged from now on. Everything written before is appended and
   * fsynced first (blocking), so no write loses the promise it was made under.
   */
  setSyncPolicy(policy: SyncPolicy): void {
    this.checkWritable();
    this.group.setPolicy(policy);
  }

  /**
   * The server's memory budget moved (maxmemory): the active memtable is flushed at
   * memtableBytesMax from now on (at once if it is past it), and the block cache holds at most
   * cacheBytes (least recently used blocks evicted now). Compaction tuning stays as opened. A
   * smaller memtable also lets go of the spare arrays kept for the next one.
   */
  setMemoryBudget(budget: { memtableBytesMax: number; cacheBytes: number }): void {
    assert.ok(Number.isSafeInteger(budget.memtableBytesMax) && budget.memtableBytesMax > 0, 'memtableBytesMax is a positive integer');
    if (budget.memtableBytesMax < this.memtableBytesMax) this.spareArrays = undefined;
    this.memtableBytesMax = budget.memtableBytesMax;
    this.cacheBytes = budget.cacheBytes;
    this.blockCache.resize(budget.cacheBytes);
    try {
      this.maybeRotate();
    } catch {
      // failed: recorded by fail()
    }
  }

  /**
   * Lets go of memory that only saves time: the spare memtable arrays, the active memtable's
   * arrays beyond what it holds (they grow again as it fills), and cached blocks down to cacheBytes.
   * Returns the bytes of memtable arrays let go (garbage until the next GC).
   */
  shedMemory(cacheBytes: number): number {
    const spareBytes = this.spareArrays === undefined ? 0 : arraysBytes(this.spareArrays);
    this.spareArrays = undefined;
    const trimmedBytes = this.active.trimArrays();
    this.blockCache.evictDownTo(cacheBytes); // the budget stays; blocks come back as they are read
    return spareBytes + trimmedBytes;
  }

  /** Starts flushing the active memtable now if no flush is in progress (memory pressure). */
  flushEarly(): void {
    if (this.immutable !== undefined || this.failedWith !== undefined || this.closing || this.active.entryCount() === 0) return;
    try {
      this.rotate();
    } catch {
      // failed: recorded by fail()
    }
  }

  private memtableResidentBytes(): { memtableArenaBytes: number; memtableIndexBytes: number } {
    const active = this.active.residentBytes();
    const immutable = this.immutable?.residentBytes() ?? { arenaBytes: 0, indexBytes: 0 };
    const spare = this.spareArrays === undefined ? 0 : arraysBytes(this.spareArrays);
    return { memtableArenaBytes: active.arenaBytes + immutable.arenaBytes, memtableIndexBytes: active.indexBytes + immutable.indexBytes + spare };
  }

  /** Freezes the active memtable (if it holds anything) and waits until it is an SSTable. */
  async flush(): Promise<void> {
    await this.waitForFlushes();
    this.checkWritable();
    if (this.active.entryCount() > 0) this.rotate();
    await this.waitForFlushes();
    if (this.failedWith !== undefined) throw this.failedWith;
  }

  /**
   * Manual full compaction (the server's DEBUG COMPACT / COMPACT): flushes the memtable, then
   * merges every table into the deepest level in one job, dropping deletes, shadowed versions,
   * expired and filtered entries. Runs after a background job in progress; other writes continue.
   */
  async compactAll(): Promise<void> {
    this.checkWritable();
    this.manualCompactionsWaiting++; // stats().compactionRunning from now on, through the flush
    try {
      await this.flush();
      await this.scheduler.compactAll();
    } catch (error) {
      if (this.failedWith !== undefined) throw this.failedWith;
      if (this.closing) throw new EngineClosedError();
      throw error;
    } finally {
      this.manualCompactionsWaiting--;
    }
  }

  /** Resolves when no compaction runs and none is due (tests, benchmarks). */
  async waitForCompactions(): Promise<void> {
    await this.scheduler.idle();
    if (this.failedWith !== undefined) throw this.failedWith;
  }

  failure(): EngineFailedError | undefined {
    return this.failedWith;
  }

  // ---- replication -------------------------------------------------------------------------

  /**
   * How much history cursors may read: obsolete WALs are kept up to bytesMax bytes (0: deleted
   * as soon as obsolete), the newest batches up to tailBytesMax in memory (0: none kept).
   */
  setWalRetention(bytesMax: number, tailBytesMax: number): void {
    this.archive.setBytesMax(bytesMax);
    this.tail.setBytesMax(tailBytesMax);
  }

  /** The oldest sequence number a cursor may start at, and the WAL bytes kept (INFO's backlog). */
  walHistory(): { firstSeq: number; bytes: number; retainedBytes: number } {
    return { firstSeq: this.archive.firstSeq() ?? this.lastSequence + 1, bytes: this.archive.totalBytes(), retainedBytes: this.archive.retainedBytes() };
  }

  /**
   * Reads durable batches from fromSeq on (the first sequence number of a batch, or one past the
   * newest). Throws WalGoneError when the WAL no longer holds fromSeq.
   */
  openWalCursor(fromSeq: number): WalCursor {
    if (this.closed) throw new EngineClosedError();
    const archive = this.archive;
    return new WalCursor(
      {
        fs: archive.fs,
        tail: this.tail,
        durableSeq: () => this.group.syncedSeq,
        fileHolding: (seq) => archive.holding(seq),
        fileAfter: (number) => archive.after(number),
      },
      fromSeq,
    );
  }

  /** Calls listener each time durableSequence() grows; returns the function that stops it. */
  onDurable(listener: (durableSeq: number) => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  /** Under 'everysec' and 'no', starts an fsync of what was written now rather than later. */
  requestSync(): void {
    if (this.failedWith === undefined && !this.closing) this.group.syncSoon();
  }

  /**
   * Pins the current Version's tables and the WAL after them for a full sync (checkpoint.ts).
   * Release it before close().
   */
  checkpoint(): EngineCheckpoint {
    if (this.closed || this.closing) throw new EngineClosedError();
    const version = this.files.current;
    version.ref();
    const unpin = this.archive.pin(version.lastSequence + 1);
    const fs = this.archive.fs;
    let released = false;
    return {
      lastSequence: version.lastSequence,
      tables: version.levels.flatMap((level) => level.map((table) => table.meta)),
      openTable: (meta) => fs.openRead(tablePath(this.files.options.dir, meta.number)),
      release: () => {
        if (released) return;
        released = true;
        unpin();
        version.unref();
      },
    };
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The value, or undefined when absent, deleted or expired. Do not modify the returned Buffer. */
  get(key: Buffer): Buffer | undefined {
    const entry = this.findEntry(key);
    if (entry === undefined || entry.kind === 'delete' || isExpired(entry, Date.now())) return undefined;
    return entry.value;
  }

  /** The newest entry (value and expireAtMs; an Entry, its other fields included), or undefined when absent, deleted or (unless includeExpired) expired. */
  getEntry(key: Buffer, options?: { includeExpired?: boolean }): { value: Buffer; expireAtMs: number } | undefined {
    const entry = this.findEntry(key);
    if (entry === undefined || entry.kind === 'delete') return undefined;
    if (options?.includeExpired !== true && isExpired(entry, Date.now())) return undefined;
    return entry; // an Entry is a { value, expireAtMs } already: no copy per read (every SET reads one)
  }

  /** Live items in key order at one point in time (taken when iteration starts). */
  scan(options: ScanOptions = {}): ScanIterable {
    return scanIterable(() => this.openCursor(options));
  }

  /**
   * Up to limit items at this point in time, and whether more remain (for SCAN pages; more: false
   * when the caller says it does not ask, so no item past limit is read). Synchronous, so it pins
   * nothing (no flush or compaction installs a Version, no put lands, until it returns) and reads
   * through the current Version's reused iterators (Version.takeIterators).
   */
  scanPage(options: ScanOptions, limit: number, askMore = true): { items: ScanItem[]; more: boolean } {
    assert.ok(Number.isSafeInteger(limit) && limit >= 0, `scanPage limit ${limit}`);
    if (this.closed) throw new EngineClosedError();
    if (this.readsRefused !== undefined) throw this.readsRefused;
    const version = this.files.current;
    const tables = version.takeIterators();
    const iterators = this.immutable === undefined ? [this.active.iterator(), ...tables] : [this.active.iterator(), this.immutable.iterator(), ...tables];
    const release = () => version.giveBackIterators(tables);
    const pin = { iterators, snapshotSeq: this.lastSequence, counters: this.scanCounters, smallestKeys: this.smallestKeysOf(version, iterators.length - tables.length), release };
    const cursor = this.spareCursor ?? new ScanCursor();
    this.spareCursor = undefined; // a page read inside this one (none today) would open its own
    try {
      return readPage(cursor.open(pin, options), limit, askMore);
    } finally {
      this.spareCursor = cursor; // closed by readPage, even when a read failed
    }
  }

  /**
   * ScanPin.smallestKeys for memtables (none known) then version.iterators(): each level-0 table's
   * smallest key (the deeper levels' LevelIterators tell theirs); kept while the Version is current.
   */
  private smallestKeysOf(version: Version, memtableCount: number): readonly (Buffer | undefined)[] {
    const known = this.scanSmallestKeys;
    if (known !== undefined && known.version === version && known.memtableCount === memtableCount) return known.keys;
    const keys: (Buffer | undefined)[] = new Array<Buffer | undefined>(memtableCount).fill(undefined);
    for (const table of version.levels[0]!) keys.push(table.meta.smallestKey);
    this.scanSmallestKeys = { version, memtableCount, keys };
    return keys;
  }

  /**
   * Up to limit live values of [start, end) into page (value-page.ts: no Entry, no merge) when at
   * most one memtable, level-0 table or level holds keys there, or the active memtable holds all
   * keysMax keys the caller says the range can hold; false otherwise (use scanPage).
   * Synchronous: the page's sources are valid until the caller returns to the event loop.
   */
  valuesPage(start: Buffer, end: Buffer, limit: number, page: ValuePage, keysMax = Infinity): boolean {
    if (this.closed) throw new EngineClosedError();
    if (this.readsRefused !== undefined) throw this.readsRefused;
    assert.ok(Number.isSafeInteger(limit) && limit >= 0, `valuesPage limit ${limit}`);
    const memtables = this.immutable === undefined ? [this.active] : [this.active, this.immutable];
    return readValuePage(memtables, this.files.current, start, end, this.lastSequence, limit, page, keysMax);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Stops writes, syncs the WAL, flushes the memtable to an SSTable, releases LOCK. */
  close(): Promise<void> {
    this.closePromise ??= this.closeOnce();
    return this.closePromise;
  }

  stats(): EngineDetailedStats {
    const wal = this.group.stats;
    const files = this.files.stats();
    const compaction = this.scheduler.stats();
    return {
      walAppends: wal.walAppends,
      walBytes: wal.walBytes,
      fsyncs: wal.fsyncs,
      ...files,
      memtableBytes: this.active.approximateBytes(),
      immutableMemtableBytes: this.immutable?.approximateBytes() ?? 0,
      memtableEntries: this.active.entryCount(),
      ...this.stall.stats(),
      ...compaction,
      compactionRunning: compaction.compactionRunning || this.manualCompactionsWaiting > 0,
      pendingCompactionBytes: this.levelState.pendingBytes,
      cacheBytes: this.cacheBytes,
      ...this.memtableResidentBytes(),
      memtableBytesMax: this.memtableBytesMax,
      ...this.scanCounters,
      bytesWritten: wal.walBytes + files.flushBytesWritten + compaction.compactionBytesWritten,
      lastSequence: this.lastSequence,
      openSnapshots: this.snapshots.size,
      replayedBatches: this.replayedBatches,
      failed: this.failedWith !== undefined,
    };
  }

  // ---- internals ---------------------------------------------------------------------------

  private checkWritable(): void {
    if (this.failedWith !== undefined) throw this.failedWith;
    if (this.closing) throw new EngineClosedError();
  }

  private findEntry(key: Buffer): Entry | undefined {
    if (this.closed) throw new EngineClosedError();
    if (this.readsRefused !== undefined) throw this.readsRefused;
    const keyHash = bloomHash(key); // one hash for the memtables' tables and the Bloom filters
    return this.active.get(key, undefined, keyHash) ?? this.immutable?.get(key, undefined, keyHash) ?? this.files.current.get(key, keyHash);
  }

  private openCursor(options: ScanOptions): ScanCursor {
    const pinned = this.pinReaders();
    const { smallestKeys } = pinned;
    return new ScanCursor({ iterators: pinned.iterators(), snapshotSeq: pinned.snapshotSeq, counters: this.scanCounters, smallestKeys, release: pinned.release }, options);
  }

  /**
   * A point in time to read from later, by many scans (a streamed reply, snapshot.ts): holds its
   * memtables, Version and snapshot registration until release().
   */
  snapshot(): EngineSnapshot {
    return new EngineSnapshot(this.pinReaders(), this.scanCounters);
  }

  /** Pins the memtables and the current Version at lastSequence; release() exactly once. */
  private pinReaders(): PinnedReaders & { smallestKeys: readonly (Buffer | undefined)[] } {
    if (this.closed) throw new EngineClosedError();
    if (this.readsRefused !== undefined) throw this.readsRefused;
    const id = this.nextSnapshotId++;
    const snapshotSeq = this.lastSequence;
    const version = this.files.current;
    version.ref();
    this.snapshots.set(id, snapshotSeq);
    const memtables = this.immutable === undefined ? [this.active] : [this.active, this.immutable];
    for (const memtable of memtables) memtable.pin(); // their arrays stay theirs while the cursor reads
    return {
      snapshotSeq,
      iterators: () => [...memtables.map((memtable) => memtable.iterator()), ...version.iterators()],
      smallestKeys: this.smallestKeysOf(version, memtables.length),
      release: () => {
        for (const memtable of memtables) memtable.unpin();
        this.snapshots.delete(id);
        version.unref();
        if (this.snapshots.size === 0) this.scheduler.onSnapshotsReleased();
      },
    };
  }

  private stallCondition(): StallCondition {
    if (this.closing || this.failedWith !== undefined) return { stop: false, slowdown: 0 };
    const memtableFull = this.immutable !== undefined && this.active.approximateBytes() >= this.memtableBytesMax;
    const { level0Files, pendingBytes } = this.levelState;
    const tuning = this.tuning;
    if (memtableFull || level0Files >= tuning.level0StopTrigger || pendingBytes >= tuning.pendingStopBytes) {
      return { stop: true, slowdown: 0 };
    }
    let slowdown = 0;
    if (level0Files >= tuning.level0SlowdownTrigger) {
      slowdown = (level0Files - tuning.level0SlowdownTrigger + 1) / (tuning.level0StopTrigger - tuning.level0SlowdownTrigger + 1);
    }
    if (pendingBytes >= tuning.pendingSlowdownBytes) {
      const span = Math.max(1, tuning.pendingStopBytes - tuning.pendingSlowdownBytes);
      slowdown = Math.max(slowdown, Math.min(0.9, 0.1 + (pendingBytes - tuning.pendingSlowdownBytes) / span));
    }
    return { stop: false, slowdown };
  }

  /** After every install (flush, compaction) and at open: new stall state, maybe a compaction. */
  private onVersionInstalled(): void {
    const shape = this.scheduler.shape();
    this.levelState = { level0Files: shape.level0Files, pendingBytes: this.scheduler.pendingBytes(shape) };
    this.stall.release();
    this.scheduler.maybeSchedule();
  }

  private maybeRotate(): void {
    if (this.immutable !== undefined || this.failedWith !== undefined || this.closing) return;
    if (this.active.approximateBytes() >= this.memtableBytesMax) this.rotate();
  }

  /** Active memtable -> immutable, on a new WAL; starts its flush. Throws if the engine fails. */
  private rotate(): void {
    assert.ok(this.immutable === undefined, 'rotate() with a flush in progress');
    this.group.sealForRotation(); // invariant 13: older WAL durable (and trimmed) before a newer one exists
    if (this.failedWith !== undefined) throw this.failedWith;
    let wal: ReturnType<LsmFiles['createWal']>;
    try {
      wal = this.files.createWal();
    } catch (error) {
      throw this.fail('WAL creation failed', error);
    }
    this.group.rotate(wal.log);
    this.archive.addFile(wal.number, walPath(this.files.options.dir, wal.number), this.lastSequence + 1);
    this.immutable = this.active;
    this.immutableLogNumber = wal.number;
    this.activeFirstLogNumber = wal.number;
    this.active = new Memtable(TAIL_NODES_MAX, this.spareArrays);
    this.spareArrays = undefined;
    this.startFlush();
  }

  private startFlush(): void {
    const flushing = this.flushImmutable();
    this.flushInFlight = flushing;
    void flushing.finally(() => {
      if (this.flushInFlight === flushing) this.flushInFlight = undefined;
    });
  }

  private async waitForFlushes(): Promise<void> {
    while (this.flushInFlight !== undefined) await this.flushInFlight;
  }

  /** Never rejects: a failure fails the engine. */
  private async flushImmutable(): Promise<void> {
    const memtable = this.immutable;
    assert.ok(memtable !== undefined);
    const edit = { logNumber: this.immutableLogNumber, lastSequence: this.lastSequence };
    if (!(await this.files.flushToLevel0(memtable, edit, this.snapshotSeqs(), true))) return;
    this.immutable = undefined;
    this.spareArrays = memtable.takeArrays(); // for the next memtable, unless a scan still reads it
    try {
      this.maybeRotate();
    } catch {
      // failed: recorded by fail()
    }
    this.onVersionInstalled();
  }

  private snapshotSeqs(): number[] {
    return [...this.snapshots.values()].sort((a, b) => a - b);
  }

  /** Enters the failed state (once) and returns the error to throw. */
  private fail(reason: string, error: unknown): EngineFailedError {
    if (this.failedWith !== undefined) return this.failedWith;
    const failure = new EngineFailedError(reason, { cause: error });
    this.failedWith = failure;
    this.logger('error', 'storage engine failed; refusing writes', { reason: failure.message });
    this.group.fail(failure);
    this.rollbackToAcknowledged(failure);
    this.stall.release(true); // waiters proceed to write() and get the error
    return failure;
  }

  /**
   * The active memtable holds every write applied so far, including those just refused. Rebuilds
   * it from its WALs with only the acknowledged sequence numbers, so no read shows a refused
   * write (it would vanish at the next restart). Cold path: runs once, when the engine fails.
   */
  private rollbackToAcknowledged(failure: EngineFailedError): void {
    const acknowledged = this.group.acknowledgedSeq;
    if (acknowledged >= this.lastSequence || this.walSource === undefined) return;
    const { fs, dir } = this.walSource;
    try {
      const numbers = fs
        .list(dir)
        .map((name) => parseFileName(name))
        .filter((parsed) => parsed?.kind === 'wal' && parsed.number >= this.activeFirstLogNumber)
        .map((parsed) => parsed!.number)
        .sort((a, b) => a - b);
      const rebuilt = new Memtable();
      numbers.forEach((number, index) => {
        const { batches } = readWal(fs, walPath(dir, number), { isLast: index === numbers.length - 1 });
        for (const batch of batches) {
          batch.ops.forEach((op, opIndex) => {
            const seq = batch.firstSeq + opIndex;
            if (seq > acknowledged) return;
            rebuilt.put(
              op.kind === 'put'
                ? { key: op.key, seq, kind: 'put', value: op.value, expireAtMs: op.expireAtMs ?? 0 }
                : { key: op.key, seq, kind: 'delete', value: EMPTY, expireAtMs: 0 },
              false,
            );
          });
        }
      });
      this.active = rebuilt;
      this.logger('warn', 'rolled the memtable back to the acknowledged writes', { acknowledgedSeq: acknowledged, lastSequence: this.lastSequence });
    } catch (error) {
      this.readsRefused = failure;
      this.logger('error', 'cannot roll back refused writes; refusing reads too', { error: String(error) });
    }
  }

  private async closeOnce(): Promise<void> {
    const failedBefore = this.failedWith;
    this.closing = true;
    this.stall.release(true);
    try {
      await this.scheduler.stop(); // a running compaction ends at its next slice, leaving nothing
      await this.waitForFlushes();
      await this.group.drain();
      this.group.syncNow('WAL sync at close failed');
      this.archive.close(); // the final flush makes every WAL obsolete: they go, as before replication
      if (this.failedWith === undefined) {
        // Everything goes into one table; the edit's logNumber makes every WAL obsolete, so the
        // next open replays nothing.
        const edit = { logNumber: this.files.allocateFileNumber(), lastSequence: this.lastSequence };
        await this.files.flushToLevel0(this.active, edit, this.snapshotSeqs(), false);
      }
    } finally {
      this.group.close();
      this.closed = true;
      this.files.close();
      await this.files.options.flushWorker?.close(); // the thread ends with the engine
    }
    // A failure during close is news to the caller; one from before was reported already.
    if (this.failedWith !== undefined && failedBefore === undefined) throw this.failedWith;
  }
}
