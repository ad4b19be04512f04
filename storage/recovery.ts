// storage/recovery.ts: what Engine.open does before it takes writes (LevelDB DBImpl::Recover):
//   1. mkdirp, take LOCK (invariant 20)
//   2. open the manifest through CURRENT, or create a new database
//   3. remove files the manifest does not need: .sst and MANIFEST not named by it, WALs numbered
//      below its logNumber, temp files (invariant 15; a crash mid-flush or mid-compaction leaves
//      such orphans: outputs not yet named by a manifest edit, inputs an edit already removed)
//   4. open every table it names: a missing one, a size that differs from the manifest, or a bad
//      footer/index/filter fails the open with the file's name (invariants 18, 19); the readers
//      go to the table cache, which keeps only as many open as the memory budget allows
//   5. replay WALs numbered >= logNumber in order into a memtable. Only the newest may end in a
//      torn tail (a crash mid-append): it is dropped with a warning (zeros alone, as preallocated
//      space leaves after a crash, are only noted) and the file truncated and synced, so it still
//      reads clean once a newer WAL exists (invariant 4). Damage anywhere else fails the open
//      with the file and offset. Every replayed WAL is synced, so what the engine shows after
//      open is durable even if the crash came before the fsync (kill -9, or appendfsync no).
//   6. lastSequence = max(manifest, replayed); every file number seen on disk is marked used in
//      the manifest's counter, so a number allocated but never logged is not reused (6, 7).
// Also the one place that knows the on-disk file names.
import * as nodePath from 'node:path';
import { MissingFileError, SstableCorruptionError, StorageError } from './errors.js';
import type { FileLock, FileSystem } from './file-system.js';
import { Manifest, type FileMeta } from './manifest.js';
import { Memtable } from './memtable.js';
import { SstableReader } from './sstable-reader.js';
import type { TableCache } from './table-cache.js';
import type { TableHandle } from './version.js';
import { readWal, WAL_BLOCK_BYTES } from './wal.js';

export type FileKind = 'wal' | 'sstable' | 'manifest' | 'current' | 'lock' | 'temp';

const NUMBER_DIGITS = 6;

function numbered(number: number): string {
  return String(number).padStart(NUMBER_DIGITS, '0');
}

export function walPath(dir: string, number: number): string {
  return nodePath.join(dir, `${numbered(number)}.log`);
}

export function tablePath(dir: string, number: number): string {
  return nodePath.join(dir, `${numbered(number)}.sst`);
}

/** The kind and number of a file name tskv owns; undefined for anything else (left alone). */
export function parseFileName(name: string): { kind: FileKind; number: number } | undefined {
  if (name === 'CURRENT') return { kind: 'current', number: 0 };
  if (name === 'LOCK') return { kind: 'lock', number: 0 };
  if (name.endsWith('.tmp')) return { kind: 'temp', number: 0 };
  let match = /^(\d+)\.(log|sst)$/.exec(name);
  if (match !== null) return { kind: match[2] === 'log' ? 'wal' : 'sstable', number: Number(match[1]) };
  match = /^MANIFEST-(\d+)$/.exec(name);
  if (match !== null) return { kind: 'manifest', number: Number(match[1]) };
  return undefined;
}

export type EngineLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type EngineLogger = (level: EngineLogLevel, msg: string, fields: Record<string, unknown>) => void;

export interface RecoveryInput {
  fs: FileSystem;
  dir: string;
  tableCache: TableCache;
  logger: EngineLogger;
  makeTable: (meta: FileMeta, path: string) => TableHandle;
}

export interface Recovered {
  lock: FileLock;
  manifest: Manifest;
  tables: TableHandle[];
  memtable: Memtable;
  walNumbers: number[]; // replayed WALs still needed (ascending); removed by the next flush
  lastSequence: number;
  replayedBatches: number;
  replayedBytes: number; // valid WAL bytes read by replay (format records included)
}

export function recover(input: RecoveryInput): Recovered {
  const { fs, dir } = input;
  fs.mkdirp(dir);
  const lock = fs.lock(nodePath.join(dir, 'LOCK'));
  let manifest: Manifest | undefined;
  const tables: TableHandle[] = [];
  try {
    manifest = fs.exists(nodePath.join(dir, 'CURRENT')) ? Manifest.open(fs, dir) : Manifest.create(fs, dir);
    const { walNumbers, maxNumberSeen } = removeObsoleteFiles(fs, dir, manifest, input.logger);
    manifest.markFileNumberUsed(maxNumberSeen);
    for (const level of manifest.state.levels) {
      for (const meta of level) tables.push(openTable(input, meta));
    }
    const memtable = new Memtable();
    const replay = replayWals(input, walNumbers, memtable);
    return {
      lock,
      manifest,
      tables,
      memtable,
      walNumbers: walNumbers.filter((number) => !replay.removed.includes(number)),
      lastSequence: Math.max(manifest.state.lastSequence, replay.lastSequence),
      replayedBatches: replay.batches,
      replayedBytes: replay.bytes,
    };
  } catch (error) {
    input.tableCache.closeAll();
    manifest?.close();
    lock.release();
    throw error;
  }
}

function removeObsoleteFiles(
  fs: FileSystem,
  dir: string,
  manifest: Manifest,
  logger: EngineLogger,
): { walNumbers: number[]; maxNumberSeen: number } {
  const live = manifest.liveFileNumbers();
  const { logNumber } = manifest.state;
  const walNumbers: number[] = [];
  let maxNumberSeen = 0;
  for (const name of fs.list(dir)) {
    const parsed = parseFileName(name);
    if (parsed === undefined) continue;
    maxNumberSeen = Math.max(maxNumberSeen, parsed.number);
    const obsolete =
      parsed.kind === 'temp' ||
      (parsed.kind === 'wal' && parsed.number < logNumber) ||
      ((parsed.kind === 'sstable' || parsed.kind === 'manifest') && !live.has(parsed.number));
    if (parsed.kind === 'wal' && !obsolete) walNumbers.push(parsed.number);
    if (!obsolete) continue;
    logger('info', 'removing obsolete file', { file: name });
    fs.remove(nodePath.join(dir, name));
  }
  walNumbers.sort((a, b) => a - b);
  return { walNumbers, maxNumberSeen };
}

function openTable(input: RecoveryInput, meta: FileMeta): TableHandle {
  const path = tablePath(input.dir, meta.number);
  if (!input.fs.exists(path)) throw new MissingFileError(path);
  const size = input.fs.fileSize(path);
  if (size !== meta.sizeBytes) {
    throw new SstableCorruptionError(path, size, `file has ${size} bytes, the manifest says ${meta.sizeBytes}`);
  }
  let reader: SstableReader;
  try {
    reader = SstableReader.open(input.fs, path, meta.number, input.tableCache.blockCache);
  } catch (error) {
    if (error instanceof StorageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new SstableCorruptionError(path, 0, `cannot open: ${message}`, { cause: error });
  }
  input.tableCache.adopt(meta.number, reader);
  return input.makeTable(meta, path);
}

function replayWals(
  input: RecoveryInput,
  walNumbers: readonly number[],
  memtable: Memtable,
): { lastSequence: number; batches: number; bytes: number; removed: number[] } {
  let lastSequence = 0;
  let batches = 0;
  let bytes = 0;
  const removed: number[] = [];
  const tornFrom = walNumbers.length - (olderWalMayBeUntrimmed(input, walNumbers) ? 2 : 1);
  for (let index = 0; index < walNumbers.length; index++) {
    const path = walPath(input.dir, walNumbers[index]!);
    const isLast = index >= tornFrom;
    const result = readWal(input.fs, path, { isLast });
    bytes += result.validBytes;
    for (const batch of result.batches) {
      batch.ops.forEach((op, opIndex) => {
        const seq = batch.firstSeq + opIndex;
        memtable.put(
          op.kind === 'put'
            ? { key: op.key, seq, kind: 'put', value: op.value, expireAtMs: op.expireAtMs ?? 0 }
            : { key: op.key, seq, kind: 'delete', value: EMPTY, expireAtMs: 0 },
          false,
        );
        lastSequence = Math.max(lastSequence, seq);
      });
      batches++;
    }
    if (result.tornTail !== undefined && result.zeroTail) {
      // the space the WAL preallocates looks like this after any crash; unsynced writes too
      input.logger('info', 'WAL ends in zeros: preallocated space, or writes the OS had not synced', { file: path, validBytes: result.validBytes });
    } else if (result.tornTail !== undefined) {
      input.logger('warn', 'dropped a torn WAL tail', {
        file: path,
        validBytes: result.validBytes,
        reason: result.tornTail,
      });
    }
    if (result.validBytes === 0) {
      // Not even its format record survived (a crash right after creating it): it holds nothing,
      // and once a newer WAL exists it would read as damaged. Remove it.
      input.fs.remove(path);
      input.fs.syncDir(input.dir);
      removed.push(walNumbers[index]!);
    } else if (result.tornTail !== undefined) {
      input.fs.truncate(path, result.validBytes);
      input.fs.syncFile(path); // it reads clean once it is no longer the last WAL
    } else {
      // Replayed writes may sit in the page cache only (kill -9 before their fsync, or 'no'):
      // sync them, so everything the engine shows after open is durable (engine.durableSequence).
      input.fs.syncFile(path);
    }
  }
  return { lastSequence, batches, bytes, removed };
}

/**
 * Builds before 2026-12-07 created the next WAL before trimming the zeros preallocated past the
 * previous one, so a kill -9 between the two left a WAL that is not the last ending in zeros. That
 * state has a newest WAL holding no batch; only then may the WAL before it end in a torn tail.
 */
function olderWalMayBeUntrimmed(input: RecoveryInput, walNumbers: readonly number[]): boolean {
  if (walNumbers.length < 2) return false;
  const newest = walPath(input.dir, walNumbers[walNumbers.length - 1]!);
  if (input.fs.fileSize(newest) > WAL_BLOCK_BYTES) return false; // holds batches: cheap to tell
  return readWal(input.fs, newest, { isLast: true }).batches.length === 0;
}

const EMPTY = Buffer.alloc(0);
