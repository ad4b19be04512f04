// storage/wal-archive.ts: the WAL files a reader of the engine's history (a replica's WalCursor)
// may use: the live ones (writes not yet in an SSTable) and the obsolete ones the engine keeps for
// replicas, up to bytesMax bytes (the server's repl-backlog-size), oldest deleted first; and where
// each one starts in sequence numbers.
// Invariants:
// - files is in file-number order, which is sequence order; the obsolete ones are a prefix of it
//   (WALs become obsolete oldest first), and only obsolete files are deleted here.
// - An obsolete file is deleted once the obsolete bytes exceed bytesMax, oldest first, unless a
//   pin (a full sync in progress) needs it: a pin at p needs every file whose last sequence
//   number (the next file's start - 1) is at least p. With bytesMax 0 and no pin, a WAL is
//   deleted as soon as it is obsolete, as the engine did before replication.
// - Nothing is deleted once the engine failed (storage invariant 15), nor after close() began
//   retaining nothing (the engine's close makes every WAL obsolete: they all go).
// - A file's start is its first batch's firstSeq; a file holding no batch starts where the next
//   one does. Known for WALs this engine created, read once (first batch only) for those it
//   recovered at open.
import assert from 'node:assert/strict';
import type { EngineLogger } from './recovery.js';
import type { FileSystem } from './file-system.js';
import { batchSeqs, LogStreamReader } from './wal-cursor.js';

interface ArchivedWal {
  number: number;
  path: string;
  start: number | undefined; // undefined: not read yet (recovered at open)
  obsoleteBytes: number; // its size once obsolete; -1 while live
}

export interface WalArchiveOptions {
  fs: FileSystem;
  logger: EngineLogger;
  healthy: () => boolean;
}

export class WalArchive {
  private files: ArchivedWal[] = [];
  private bytesMax = 0;
  private obsoleteBytes = 0;
  private readonly pins = new Map<number, number>(); // pin id -> first sequence number it needs
  private nextPinId = 1;
  private closing = false;

  constructor(private readonly options: WalArchiveOptions) {}

  get fs(): FileSystem {
    return this.options.fs;
  }

  /** A live WAL (the engine writes, or replayed, it); start undefined for one recovered at open. */
  addFile(number: number, path: string, start: number | undefined): void {
    const last = this.files[this.files.length - 1];
    assert.ok(last === undefined || last.number < number, `WAL ${number} added after ${last?.number}`);
    this.files.push({ number, path, start, obsoleteBytes: -1 });
  }

  /** The engine no longer needs WAL number: it is deleted now, or later once no reader may need it. */
  retire(number: number, path: string): void {
    const file = this.files.find((candidate) => candidate.number === number);
    if (file === undefined) {
      this.remove(path);
      return;
    }
    if (file.obsoleteBytes >= 0) return;
    try {
      file.obsoleteBytes = this.options.fs.fileSize(file.path);
    } catch {
      file.obsoleteBytes = 0;
    }
    this.obsoleteBytes += file.obsoleteBytes;
    this.trim();
  }

  setBytesMax(bytesMax: number): void {
    assert.ok(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `WAL retention of ${bytesMax} bytes`);
    this.bytesMax = bytesMax;
    this.trim();
  }

  /** Keeps every file holding fromSeq or later until the returned function is called. */
  pin(fromSeq: number): () => void {
    const id = this.nextPinId++;
    this.pins.set(id, fromSeq);
    return () => {
      if (this.pins.delete(id)) this.trim();
    };
  }

  /** The engine is closing: obsolete WALs are deleted as before replication. */
  close(): void {
    this.closing = true;
    this.trim();
  }

  /** The first sequence number a cursor may start at, or undefined before any file. */
  firstSeq(): number | undefined {
    return this.files.length === 0 ? undefined : this.startOf(0);
  }

  /** Bytes of the obsolete files kept (the history beyond the live WALs). */
  retainedBytes(): number {
    return this.obsoleteBytes;
  }

  /** Bytes of every file a cursor may read: the obsolete ones and the live ones as they are now. */
  totalBytes(): number {
    let bytes = this.obsoleteBytes;
    for (const file of this.files) {
      if (file.obsoleteBytes >= 0) continue;
      try {
        bytes += this.options.fs.fileSize(file.path);
      } catch {
        // being created or removed: counts nothing
      }
    }
    return bytes;
  }

  // WalCursorSource's file side

  holding(seq: number): { number: number; path: string } | undefined {
    for (let index = this.files.length - 1; index >= 0; index--) {
      if (this.startOf(index) <= seq) return this.files[index]!;
    }
    return undefined;
  }

  after(number: number): { number: number; path: string } | undefined {
    return this.files.find((file) => file.number > number);
  }

  /** Deletes obsolete files over the bound, oldest first, while no pin needs them. */
  private trim(): void {
    if (!this.options.healthy()) return;
    for (;;) {
      const oldest = this.files[0];
      if (oldest === undefined || oldest.obsoleteBytes < 0) return;
      if (!this.closing) {
        if (this.files.length < 2) return; // the newest WAL is never obsolete while the engine runs
        if (this.obsoleteBytes <= this.bytesMax) return;
        const lastSeq = this.startOf(1) - 1;
        for (const pinned of this.pins.values()) if (pinned <= lastSeq) return;
      }
      this.files.shift();
      this.obsoleteBytes -= oldest.obsoleteBytes;
      this.remove(oldest.path);
    }
  }

  private startOf(index: number): number {
    const file = this.files[index];
    assert.ok(file !== undefined, `no WAL at index ${index}`);
    if (file.start === undefined) {
      const first = readFirstBatchSeq(this.options.fs, file.path);
      // a file holding no batch starts where the next one does (the newest file always has a known start)
      file.start = first ?? this.startOf(index + 1);
    }
    return file.start;
  }

  private remove(path: string): void {
    try {
      this.options.fs.remove(path);
    } catch (error) {
      this.options.logger('warn', 'could not remove an obsolete WAL', { file: path, error: String(error) });
    }
  }
}

/** The firstSeq of a WAL file's first batch, or undefined when it holds none (or cannot be read). */
export function readFirstBatchSeq(fs: FileSystem, path: string): number | undefined {
  let reader: LogStreamReader | undefined;
  try {
    reader = new LogStreamReader(fs.openRead(path));
    for (let record = reader.next(); record !== undefined; record = reader.next()) {
      if (record.start === 0) continue; // the format-version record
      return batchSeqs(record.payload, path, record.start).firstSeq;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    try {
      reader?.close();
    } catch {
      // nothing to release
    }
  }
}
