// storage/lsm-files.ts: the database's files as the engine sees them: LOCK, the manifest and the
// current Version of tables (readers in the TableCache), the live WALs, the flush of a memtable
// into a level-0 table, and the install of a compaction's outputs (compaction-scheduler.ts).
// The engine keeps the memory side (memtables, sequences, group commit, snapshots, failure).
// Invariants (numbers from shared/reference/storage-engines.md §2.2):
// - A new WAL's format record and directory entry are synced before it takes writes.
// - A flushed table is durable and verified before the manifest names it (8); the edit carries
//   logNumber, and only WALs below it are removed, after the edit is durable (11, 12).
// - Nothing is removed once the engine failed (15): a table whose last reference goes away is
//   closed, and its file removed only if an edit removed it and the engine is healthy.
// - Every file number comes from the manifest's one counter (7).
// - A compaction installs all its outputs and removes all its inputs in one manifest edit; an
//   input file is deleted only after that edit is durable and no Version (scan) lists it (11).
// - checkFileSystem() throws once the file system this engine opened is gone (a test's simulated
//   crash kills every handle): background work calls it before it creates a file by path, so an
//   engine left running after a crash never writes into the state a new engine recovered.
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import type { BlockCache } from './block-cache.js';
import type { CompactionPlan } from './compaction-picker.js';
import type { CompactionOutput } from './compaction.js';
import type { CompactionFilter } from './entry.js';
import type { FileLock, FileSystem, ReadableFile } from './file-system.js';
import { flushMemtable, type FlushInput, type FlushOutput, type TableOptions } from './flush.js';
import type { FlushWorker } from './flush-worker-client.js';
import type { FileMeta, Manifest, VersionEdit } from './manifest.js';
import type { Memtable } from './memtable.js';
import { recover, tablePath, walPath, type EngineLogger } from './recovery.js';
import type { TableCache } from './table-cache.js';
import { LEVEL_COUNT, TableHandle, VersionSet, type Version } from './version.js';
import { createWal, WAL_RESERVE_BYTES, type LogWriter } from './wal.js';

/** Work per flush slice before yielding to the event loop. */
export const FLUSH_SLICE_MS = 4;

/** Named points of a compaction where tests simulate a crash (EngineOptions.testHooks). */
export type KillPoint = 'compaction-outputs-written' | 'compaction-before-manifest' | 'compaction-after-manifest' | 'compaction-input-delete';

export interface LsmFilesOptions {
  fs: FileSystem;
  dir: string;
  cache: BlockCache;
  tableCache: TableCache;
  tableOptions: TableOptions;
  logger: EngineLogger;
  compactionFilter?: CompactionFilter | undefined;
  onKillPoint?: ((name: KillPoint) => void) | undefined;
  /** Background flushes run there (flush-worker-client.ts); the flush at close stays in-process. */
  flushWorker?: FlushWorker | undefined;
}

export interface FailureHooks {
  fail(reason: string, error: unknown): void;
  failed(): boolean;
}

export interface OpenedFiles {
  files: LsmFiles;
  memtable: Memtable; // replayed from the WALs still needed
  lastSequence: number;
  replayedBatches: number;
  replayedBytes: number;
}

export interface FilesStats {
  sstableFiles: number;
  sstableBytes: number;
  levelFiles: number[];
  levelBytes: number[];
  bloomNegatives: number;
  flushes: number;
  flushBytesWritten: number;
  flushesInWorker: number;
  flushWorkerExportMs: number; // main thread: copying frozen memtables for the worker
  tableCacheHits: number;
  tableCacheMisses: number;
  tableCacheReaders: number;
  tableCacheBytes: number;
  blockCacheBytes: number;
  blockCacheBlocks: number;
  blockReads: number;
  tablesProbed: number;
}

export class LsmFiles {
  /** Set by the engine right after open; until then a failure simply throws. */
  hooks: FailureHooks = {
    fail: (reason, error) => {
      throw new Error(reason, { cause: error });
    },
    failed: () => false,
  };
  /**
   * Set by the engine: takes over each WAL the manifest no longer needs (wal-archive.ts keeps it
   * for replicas or deletes it). Unset, such a WAL is deleted at once.
   */
  walRetirer: ((number: number, path: string) => void) | undefined = undefined;
  private readonly counters = { flushes: 0, flushBytesWritten: 0 };
  private versionsOrUndefined: VersionSet | undefined;
  private probe: ReadableFile | undefined;

  private constructor(
    readonly options: LsmFilesOptions,
    private readonly lock: FileLock,
    private readonly manifest: Manifest,
    private walNumbers: number[], // live WALs, ascending; the last takes writes
  ) {}

  /** Recovery (recovery.ts), then the Version of the tables the manifest names. */
  static open(options: LsmFilesOptions): OpenedFiles {
    let files: LsmFiles | undefined;
    const release = (table: TableHandle, removeFile: boolean): void => {
      assert.ok(files !== undefined);
      files.releaseTable(table, removeFile);
    };
    const makeTable = (meta: FileMeta, path: string): TableHandle => new TableHandle(meta, path, options.tableCache, release);
    const recovered = recover({ ...options, makeTable });
    files = new LsmFiles(options, recovered.lock, recovered.manifest, recovered.walNumbers);
    try {
      files.versionsOrUndefined = new VersionSet(recovered.manifest, recovered.tables);
      files.probe = options.fs.openRead(nodePath.join(options.dir, 'LOCK'));
    } catch (error) {
      options.tableCache.closeAll();
      recovered.manifest.close();
      recovered.lock.release();
      throw error;
    }
    return {
      files,
      memtable: recovered.memtable,
      lastSequence: recovered.lastSequence,
      replayedBatches: recovered.replayedBatches,
      replayedBytes: recovered.replayedBytes,
    };
  }

  get current(): Version {
    return this.versions.current;
  }

  /** The live WALs (their writes are in no SSTable yet), oldest first; the last takes writes. */
  liveWalNumbers(): readonly number[] {
    return this.walNumbers;
  }

  /** A number for a file that will never be named by the manifest as a WAL (close's logNumber). */
  allocateFileNumber(): number {
    return this.manifest.allocateFileNumber();
  }

  /** Creates the next WAL, durable (format record and directory entry) before it takes writes. */
  createWal(): { number: number; log: LogWriter } {
    const number = this.manifest.allocateFileNumber();
    const log = createWal(this.options.fs, walPath(this.options.dir, number));
    log.sync(); // its format record, so a crash never leaves it empty
    this.options.fs.syncDir(this.options.dir); // its directory entry, before a write in it is acknowledged
    log.setReserve(WAL_RESERVE_BYTES); // from the first append on: not in this blocking sync
    this.walNumbers.push(number);
    return { number, log };
  }

  /**
   * Writes memtable to a level-0 table (none if it is empty) and installs it with logNumber and
   * lastSequence, then removes WALs below logNumber. Returns false if the engine failed (before,
   * during, or because of this). sliced: yield to the event loop every FLUSH_SLICE_MS and cache
   * the table's blocks (a background flush); the flush at close does neither.
   */
  async flushToLevel0(
    memtable: Memtable,
    edit: { logNumber: number; lastSequence: number },
    snapshotSeqs: readonly number[],
    sliced: boolean,
  ): Promise<boolean> {
    const { fs, dir, cache, tableOptions, logger, compactionFilter, flushWorker } = this.options;
    const fileNumber = this.manifest.allocateFileNumber();
    const path = tablePath(dir, fileNumber);
    let output: FlushOutput | undefined;
    try {
      const sliceMs = sliced ? FLUSH_SLICE_MS : Infinity;
      // the flush at close leaves the cache alone: nothing will read it
      const input: FlushInput = { fs, dir, path, fileNumber, memtable, snapshotSeqs, tableOptions, cache, sliceMs, compactionFilter, fillCache: sliced };
      output = sliced && flushWorker !== undefined ? await flushWorker.flush(input) : await flushMemtable(input);
    } catch (error) {
      this.hooks.fail('memtable flush failed', error);
      return false;
    }
    if (this.hooks.failed()) {
      output?.reader.discard();
      return false;
    }
    const versionEdit: VersionEdit = { ...edit }; // the manifest fills in nextFileNumber
    const tables: TableHandle[] = [];
    if (output !== undefined) {
      versionEdit.addFiles = [output.meta];
      tables.push(this.makeTable(output.meta, path));
    }
    try {
      await this.versions.installEdit(versionEdit, tables);
    } catch (error) {
      output?.reader.discard();
      this.hooks.fail('manifest update failed', error);
      return false;
    }
    if (output !== undefined) {
      this.options.tableCache.adopt(output.meta.number, output.reader);
      this.counters.flushes++;
      this.counters.flushBytesWritten += output.meta.sizeBytes;
      logger('debug', 'memtable flushed', { file: path, bytes: output.meta.sizeBytes, logNumber: edit.logNumber });
    }
    this.removeWalsBelow(edit.logNumber);
    return true;
  }

  /**
   * Installs a compaction: one manifest edit adds every output at plan.outputLevel and removes
   * every input (invariant 9: nothing changes in memory unless it is durable). Throws what the
   * manifest throws; the caller fails the engine. Inputs are deleted as Versions release them.
   */
  async installCompaction(plan: CompactionPlan, outputs: readonly CompactionOutput[]): Promise<void> {
    const addFiles = outputs.map((output): FileMeta => ({ ...output.meta, level: plan.outputLevel }));
    const removeFiles = plan.inputs.flatMap((input) => input.tables.map((table) => ({ level: input.level, number: table.meta.number })));
    const tables = addFiles.map((meta, index) => this.makeTable(meta, outputs[index]!.path));
    await this.versions.installEdit({ addFiles, removeFiles }, tables);
    for (const output of outputs) this.options.tableCache.adopt(output.meta.number, output.reader);
  }

  killPoint(name: KillPoint): void {
    this.options.onKillPoint?.(name);
  }

  /** Throws if the file system under this engine is gone (see the header). */
  checkFileSystem(): void {
    this.probe?.size();
  }

  allocateTableNumber(): number {
    return this.manifest.allocateFileNumber();
  }

  stats(): FilesStats {
    const version = this.current;
    const tables = version.tables();
    let sstableBytes = 0;
    for (const table of tables) sstableBytes += table.meta.sizeBytes;
    const tableCache = this.options.tableCache.stats();
    const levelBytes: number[] = [];
    for (let level = 0; level < LEVEL_COUNT; level++) levelBytes.push(version.levelBytes(level));
    return {
      sstableFiles: tables.length,
      sstableBytes,
      levelFiles: version.levels.map((level) => level.length),
      levelBytes,
      bloomNegatives: tableCache.bloomNegatives,
      flushes: this.counters.flushes,
      flushBytesWritten: this.counters.flushBytesWritten,
      flushesInWorker: this.options.flushWorker?.stats().workerFlushes ?? 0,
      flushWorkerExportMs: this.options.flushWorker?.stats().workerExportMs ?? 0,
      tableCacheHits: tableCache.tableCacheHits,
      tableCacheMisses: tableCache.tableCacheMisses,
      tableCacheReaders: tableCache.tableCacheReaders,
      tableCacheBytes: tableCache.tableCacheBytes,
      blockCacheBytes: this.options.cache.bytes(),
      blockCacheBlocks: this.options.cache.stats().blockCount,
      blockReads: tableCache.blockReads,
      tablesProbed: this.versions.readStats.tablesProbed,
    };
  }

  close(): void {
    this.versions.close();
    this.options.tableCache.closeAll();
    this.manifest.close();
    try {
      this.probe?.close();
    } catch {
      // dead after a simulated crash
    }
    this.lock.release();
  }

  private makeTable(meta: FileMeta, path: string): TableHandle {
    return new TableHandle(meta, path, this.options.tableCache, (table, remove) => this.releaseTable(table, remove));
  }

  private get versions(): VersionSet {
    assert.ok(this.versionsOrUndefined !== undefined);
    return this.versionsOrUndefined;
  }

  private removeWalsBelow(logNumber: number): void {
    const keep: number[] = [];
    for (const number of this.walNumbers) {
      if (number >= logNumber) {
        keep.push(number);
        continue;
      }
      const path = walPath(this.options.dir, number);
      if (this.walRetirer !== undefined) {
        this.walRetirer(number, path); // invariant 12 holds there too: only after the edit is durable
        continue;
      }
      try {
        this.options.fs.remove(path); // invariant 12: after the edit is durable
      } catch (error) {
        this.options.logger('warn', 'could not remove an obsolete WAL', { file: path, error });
      }
    }
    this.walNumbers = keep;
  }

  private releaseTable(table: TableHandle, removeFile: boolean): void {
    this.options.tableCache.evict(table.meta.number);
    this.options.cache.evictFile(table.meta.number);
    if (!removeFile || this.hooks.failed()) return; // invariant 15
    try {
      this.killPoint('compaction-input-delete');
      this.checkFileSystem();
    } catch (error) {
      this.hooks.fail('stopped before removing an obsolete table', error);
      return;
    }
    try {
      this.options.fs.remove(table.path); // invariant 11: the edit removing it is durable
    } catch (error) {
      this.options.logger('warn', 'could not remove an obsolete table', { file: table.path, error });
    }
  }
}
