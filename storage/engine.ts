// storage/engine.ts: the storage engine. Writes go to the WAL (group commit, group-commit.ts) and
// the active memtable; a full memtable becomes immutable and is flushed to a level-0 SSTable in
// the background (lsm-files.ts, flush.ts); reads look at the memtables, then the tables of the
// current Version (version.ts); scans merge them all at one sequence (scan.ts).
// Invariants (numbers from shared/reference/storage-engines.md §2.2):
// - write() assigns seqs, stages the WAL record and applies the batch to the memtable before it
//   returns; its promise resolves only when durable per policy (1, 2, 3: one batch = one record).
// - Rotation appends and fsyncs the current WAL before a new one is created (13); the new WAL's
//   first record and its directory entry are synced before it takes writes.
// - A flushed table is durable and verified before the manifest names it (8); the manifest edit
//   carries logNumber = the WAL opened at rotation, and only older WALs are then removed (11, 12).
// - Any append, fsync, rename or manifest error fails the engine for good (14): pending writes are
//   rejected, later writes throw EngineFailedError, reads keep working, no file is removed (15).
// - One immutable memtable at most. While it flushes and the active one is full, writeStallMs()
//   is > 0 and waitForWriteRoom() waits; write() itself never blocks (memory may overshoot by
//   what callers squeeze in).
// - While any scan is open, memtable puts keep older versions and flushes keep what a snapshot
//   sees; tables a scan pinned stay open (Version refcounts).
import assert from 'node:assert/strict';
import { BlockCache } from './block-cache.js';
import type { Entry } from './entry.js';
import { EngineClosedError, EngineFailedError } from './errors.js';
import { RealFileSystem, type FileSystem } from './file-system.js';
import type { TableOptions } from './flush.js';
import { GroupCommit, type SyncPolicy } from './group-commit.js';
import { LsmFiles } from './lsm-files.js';
import { Memtable } from './memtable.js';
import type { EngineLogger } from './recovery.js';
import { isExpired, readPage, ScanCursor, scanIterable, type ScanItem, type ScanIterable, type ScanOptions } from './scan.js';
import { encodeBatch, type WriteOp } from './wal.js';
import { WriteStall } from './write-stall.js';

export type { SyncPolicy } from './group-commit.js';
export type { EngineLogger, EngineLogLevel } from './recovery.js';
export type { ScanItem, ScanOptions, ScanIterable } from './scan.js';
export type { WriteOp } from './wal.js';

export interface EngineOptions {
  dir: string;
  syncPolicy?: SyncPolicy; // default 'always'
  fs?: FileSystem; // default RealFileSystem
  memtableBytesMax?: number; // default MEMTABLE_BYTES_MAX_DEFAULT
  blockBytes?: number;
  bloomBitsPerKey?: number;
  cacheBytes?: number; // default CACHE_BYTES_DEFAULT
  logger?: EngineLogger;
}

export const MEMTABLE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
export const CACHE_BYTES_DEFAULT = 32 * 1024 * 1024;

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

const EMPTY = Buffer.alloc(0);

export class Engine {
  private active: Memtable;
  private immutable: Memtable | undefined;
  private immutableLogNumber = 0; // the WAL opened when `immutable` was frozen
  private lastSequence: number;
  private readonly group: GroupCommit;
  private readonly snapshots = new Map<number, number>(); // scan id -> snapshot seq
  private nextSnapshotId = 1;
  private flushInFlight: Promise<void> | undefined;
  private readonly stall = new WriteStall(() => this.isStalled());
  private failedWith: EngineFailedError | undefined;
  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;

  private constructor(
    private readonly files: LsmFiles,
    private readonly memtableBytesMax: number,
    private readonly logger: EngineLogger,
    private readonly replayedBatches: number,
    recovered: { memtable: Memtable; lastSequence: number },
    syncPolicy: SyncPolicy,
  ) {
    this.active = recovered.memtable;
    this.lastSequence = recovered.lastSequence;
    const { log } = files.createWal(); // throws: the open fails
    this.group = new GroupCommit(syncPolicy, log, (reason, error) => this.fail(reason, error));
    files.hooks = { fail: (reason, error) => this.fail(reason, error), failed: () => this.failedWith !== undefined };
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const logger: EngineLogger = options.logger ?? (() => undefined);
    const tableOptions: TableOptions = {};
    if (options.blockBytes !== undefined) tableOptions.blockBytes = options.blockBytes;
    if (options.bloomBitsPerKey !== undefined) tableOptions.bloomBitsPerKey = options.bloomBitsPerKey;
    const opened = LsmFiles.open({
      fs: options.fs ?? new RealFileSystem(),
      dir: options.dir,
      cache: new BlockCache(options.cacheBytes ?? CACHE_BYTES_DEFAULT),
      tableOptions,
      logger,
    });
    let engine: Engine;
    try {
      const memtableBytesMax = options.memtableBytesMax ?? MEMTABLE_BYTES_MAX_DEFAULT;
      engine = new Engine(opened.files, memtableBytesMax, logger, opened.replayedBatches, opened, options.syncPolicy ?? 'always');
    } catch (error) {
      opened.files.close();
      throw error;
    }
    logger('info', 'engine open', {
      dir: options.dir,
      tables: opened.files.current.tables().length,
      replayedBatches: opened.replayedBatches,
      lastSequence: opened.lastSequence,
    });
    engine.maybeRotate();
    return engine;
  }

  // ---- writes ------------------------------------------------------------------------------

  write(ops: readonly WriteOp[]): Promise<void> {
    this.checkWritable();
    if (ops.length === 0) return Promise.resolve();
    const firstSeq = this.lastSequence + 1;
    this.lastSequence += ops.length;
    assert.ok(Number.isSafeInteger(this.lastSequence), 'sequence numbers exhausted');
    const durable = this.group.add(encodeBatch(firstSeq, ops));
    const keepOlderVersions = this.snapshots.size > 0;
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index]!;
      const seq = firstSeq + index;
      this.active.put(
        op.kind === 'put'
          ? { key: op.key, seq, kind: 'put', value: op.value, expireAtMs: op.expireAtMs ?? 0 }
          : { key: op.key, seq, kind: 'delete', value: EMPTY, expireAtMs: 0 },
        keepOlderVersions,
      );
    }
    try {
      this.maybeRotate();
    } catch {
      // the engine failed; durable settles accordingly (rejected unless already synced)
    }
    return durable;
  }

  /** 0 when a write may proceed now; else how long writes have been waiting for a flush. */
  writeStallMs(): number {
    return this.stall.stallMs();
  }

  waitForWriteRoom(): Promise<void> {
    return this.stall.wait();
  }

  /** Freezes the active memtable (if it holds anything) and waits until it is an SSTable. */
  async flush(): Promise<void> {
    await this.waitForFlushes();
    this.checkWritable();
    if (this.active.entryCount() > 0) this.rotate();
    await this.waitForFlushes();
    if (this.failedWith !== undefined) throw this.failedWith;
  }

  failure(): EngineFailedError | undefined {
    return this.failedWith;
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The value, or undefined when absent, deleted or expired. Do not modify the returned Buffer. */
  get(key: Buffer): Buffer | undefined {
    const entry = this.findEntry(key);
    if (entry === undefined || entry.kind === 'delete' || isExpired(entry, Date.now())) return undefined;
    return entry.value;
  }

  getEntry(key: Buffer, options?: { includeExpired?: boolean }): { value: Buffer; expireAtMs: number } | undefined {
    const entry = this.findEntry(key);
    if (entry === undefined || entry.kind === 'delete') return undefined;
    if (options?.includeExpired !== true && isExpired(entry, Date.now())) return undefined;
    return { value: entry.value, expireAtMs: entry.expireAtMs };
  }

  /** Live items in key order at one point in time (taken when iteration starts). */
  scan(options: ScanOptions = {}): ScanIterable {
    return scanIterable(() => this.openCursor(options));
  }

  /** Up to limit items from a fresh snapshot, and whether more remain (for SCAN pages). */
  scanPage(options: ScanOptions, limit: number): { items: ScanItem[]; more: boolean } {
    assert.ok(Number.isSafeInteger(limit) && limit >= 0, `scanPage limit ${limit}`);
    return readPage(this.openCursor(options), limit);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Stops writes, syncs the WAL, flushes the memtable to an SSTable, releases LOCK. */
  close(): Promise<void> {
    this.closePromise ??= this.closeOnce();
    return this.closePromise;
  }

  stats(): EngineStats {
    const wal = this.group.stats;
    const files = this.files.stats();
    return {
      walAppends: wal.walAppends,
      walBytes: wal.walBytes,
      fsyncs: wal.fsyncs,
      ...files,
      memtableBytes: this.active.approximateBytes(),
      immutableMemtableBytes: this.immutable?.approximateBytes() ?? 0,
      memtableEntries: this.active.entryCount(),
      ...this.stall.stats(),
      compactions: 0,
      compactionBytesRead: 0,
      compactionBytesWritten: 0,
      bytesWritten: wal.walBytes + files.flushBytesWritten,
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
    return this.active.get(key) ?? this.immutable?.get(key) ?? this.files.current.get(key);
  }

  private openCursor(options: ScanOptions): ScanCursor {
    if (this.closed) throw new EngineClosedError();
    const id = this.nextSnapshotId++;
    const snapshotSeq = this.lastSequence;
    const version = this.files.current;
    version.ref();
    this.snapshots.set(id, snapshotSeq);
    const iterators = [this.active.iterator()];
    if (this.immutable !== undefined) iterators.push(this.immutable.iterator());
    iterators.push(...version.iterators());
    return new ScanCursor(
      {
        iterators,
        snapshotSeq,
        release: () => {
          this.snapshots.delete(id);
          version.unref();
        },
      },
      options,
    );
  }

  private isStalled(): boolean {
    return this.immutable !== undefined && this.active.approximateBytes() >= this.memtableBytesMax && !this.closing;
  }

  private maybeRotate(): void {
    if (this.immutable !== undefined || this.failedWith !== undefined || this.closing) return;
    if (this.active.approximateBytes() >= this.memtableBytesMax) this.rotate();
  }

  /** Active memtable -> immutable, on a new WAL; starts its flush. Throws if the engine fails. */
  private rotate(): void {
    assert.ok(this.immutable === undefined, 'rotate() with a flush in progress');
    this.group.syncNow('WAL sync at rotation failed'); // invariant 13: older WAL durable first
    if (this.failedWith !== undefined) throw this.failedWith;
    let wal: ReturnType<LsmFiles['createWal']>;
    try {
      wal = this.files.createWal();
    } catch (error) {
      throw this.fail('WAL creation failed', error);
    }
    this.group.rotate(wal.log);
    this.immutable = this.active;
    this.immutableLogNumber = wal.number;
    this.active = new Memtable();
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
    try {
      this.maybeRotate();
    } catch {
      // failed: recorded by fail()
    }
    this.stall.release();
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
    this.stall.release(true); // waiters proceed to write() and get the error
    return failure;
  }

  private async closeOnce(): Promise<void> {
    const failedBefore = this.failedWith;
    this.closing = true;
    this.stall.release(true);
    try {
      await this.waitForFlushes();
      await this.group.drain();
      this.group.syncNow('WAL sync at close failed');
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
    }
    // A failure during close is news to the caller; one from before was reported already.
    if (this.failedWith !== undefined && failedBefore === undefined) throw this.failedWith;
  }
}
