// storage/file-system.ts: the only door from storage/ to the disk. Two implementations:
// - RealFileSystem: synchronous node:fs calls (positional writeSync/readSync, fdatasyncSync); the
//   one async call, syncAsync, runs fs.fdatasync on the libuv thread pool (WAL group commit); its
//   lock() is the kernel lock of file-lock.ts.
// - CrashableFileSystem (crashable-file-system.ts): in memory, for tests. It keeps inodes (file contents) apart from
//   directory entries, and for each the durable part separately from the live one:
//     file content   durable = content at its last sync (fdatasync / syncFile)
//     dir entries    durable = entries at the directory's last syncDir (create, rename and
//                    remove are not durable before it; a synced file whose entry is not durable
//                    vanishes in a crash)
//   crash() replaces the live state by a durable one, per mode:
//     'drop'        unsynced bytes and unsynced directory operations vanish (default)
//     'keep-random' a random prefix of each file's unsynced bytes and a random subset (in order)
//                   of each directory's unsynced operations survive
//     'tear'        every unsynced append survives except each file's last, cut at a random byte
//     'zero-fill'   unsynced appended bytes survive as zeros (size persisted, data not)
//     'lose-pages'  unsynced appended bytes survive, but some of their 4 KiB pages read as zeros
//                   (the page cache wrote a preallocated file's pages back out of order)
//   and invalidates every handle opened before it (any call on one throws EBADF).
// Simplifications of the model: directories made by mkdirp are durable at once; a file rewritten
// in place (truncate, create over it, writeAll) keeps its last synced content until it is synced;
// a failed append writes nothing; a failed sync leaves the bytes unsynced; reserve() writes no
// zeros (what a crash leaves of real reserved space, zeros after the last append, is what
// 'zero-fill' produces).
// Invariant: handles never alias caller buffers; bytes are copied in and out.
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { lockFile, type FileLock } from './file-lock.js';

export type { FileLock } from './file-lock.js';

export interface WritableFile {
  readonly path: string;
  size(): number; // bytes appended so far (including unsynced)
  append(data: Buffer): void; // synchronous write at the end; throws the errno error (ENOSPC, EIO)
  /**
   * Makes the next `bytes` bytes of appends land in space the file already has, by writing zeros
   * past the end (RealFileSystem; the in-memory one writes nothing: the zeros change no content).
   * An fdatasync of appends inside it need not write the file's size too. size() still counts
   * appended bytes only; a crash may leave the zeros after them.
   */
  reserve(bytes: number): void;
  /** Cuts off zeros reserve() wrote past the appended bytes (durable after the next sync). */
  trimReserve(): void;
  sync(): void; // fdatasync, blocking
  syncAsync(): Promise<void>; // fdatasync on the thread pool (used once per WAL group commit)
  close(): void;
}
export interface ReadableFile {
  readonly path: string;
  size(): number;
  read(position: number, length: number): Buffer; // positional; shorter only at end of file
  /** Positional read into target[targetOffset ..]; returns the bytes read (fewer only at end of file). */
  readInto(position: number, target: Buffer, targetOffset: number, length: number): number;
  close(): void;
}
export interface FileSystem {
  mkdirp(dir: string): void;
  list(dir: string): string[]; // names only, sorted
  exists(path: string): boolean;
  fileSize(path: string): number;
  create(path: string): WritableFile; // create or truncate, for appending
  openAppend(path: string): WritableFile; // existing file, appends at its end
  openRead(path: string): ReadableFile;
  readAll(path: string): Buffer;
  writeAll(path: string, data: Buffer): void; // create/truncate + write (no sync)
  truncate(path: string, size: number): void;
  rename(source: string, target: string): void;
  remove(path: string): void;
  syncFile(path: string): void; // open + fdatasync + close
  syncDir(dir: string): void;
  /**
   * Takes the LOCK at path for this process (file-lock.ts: a kernel lock, dropped when the process
   * dies; the file names the holder) or throws LockedError naming who holds it.
   */
  lock(path: string): FileLock;
}

export type ErrnoCode = 'ENOSPC' | 'EIO' | 'ENOENT' | 'EEXIST' | 'EBADF' | 'EISDIR' | 'ENOTDIR' | 'ENOTEMPTY';
const ERRNO_MESSAGES: Record<ErrnoCode, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'i/o error',
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  EBADF: 'bad file descriptor',
  EISDIR: 'illegal operation on a directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
};

/** An error shaped like node:fs's own (code, errno, syscall, path), for the in-memory file system. */
export function createErrnoError(code: ErrnoCode, syscall: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${ERRNO_MESSAGES[code]}, ${syscall} '${path}'`);
  error.code = code;
  error.errno = -(osConstants.errno[code] ?? 0);
  error.syscall = syscall;
  error.path = path;
  return error;
}

function errnoCodeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

// ---------------------------------------------------------------------------------------------
// RealFileSystem

/** An open descriptor that throws once closed; close() is idempotent. */
class RealFileHandle {
  #fd: number | undefined;
  constructor(readonly path: string, fd: number) {
    this.#fd = fd;
  }
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    nodeFs.closeSync(fd);
  }
  protected openFd(): number {
    assert.ok(this.#fd !== undefined, `${this.path} is closed`);
    return this.#fd;
  }
}

/** Zeros written by RealWritableFile.reserve(), a chunk at a time. */
const RESERVE_CHUNK = Buffer.alloc(256 * 1024);

class RealWritableFile extends RealFileHandle implements WritableFile {
  #size: number;
  #reservedEnd: number; // the file's physical size: appended bytes, then reserved zeros
  constructor(path: string, fd: number, size: number) {
    super(path, fd);
    this.#size = size;
    this.#reservedEnd = size;
  }
  size(): number {
    return this.#size;
  }
  append(data: Buffer): void {
    const fd = this.openFd();
    let written = 0;
    try {
      while (written < data.length) {
        written += nodeFs.writeSync(fd, data, written, data.length - written, this.#size + written);
      }
    } finally {
      this.#size += written; // a partial write still moved the end of the file
      if (this.#size > this.#reservedEnd) this.#reservedEnd = this.#size;
    }
  }
  reserve(bytes: number): void {
    assert.ok(Number.isSafeInteger(bytes) && bytes >= 0, `reserve of ${bytes} bytes`);
    const fd = this.openFd();
    const target = this.#size + bytes;
    while (this.#reservedEnd < target) {
      const length = Math.min(RESERVE_CHUNK.length, target - this.#reservedEnd);
      this.#reservedEnd += nodeFs.writeSync(fd, RESERVE_CHUNK, 0, length, this.#reservedEnd);
    }
  }
  trimReserve(): void {
    if (this.#reservedEnd === this.#size) return;
    nodeFs.ftruncateSync(this.openFd(), this.#size);
    this.#reservedEnd = this.#size;
  }
  sync(): void {
    nodeFs.fdatasyncSync(this.openFd());
  }
  syncAsync(): Promise<void> {
    const fd = this.openFd();
    return new Promise((resolve, reject) => nodeFs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }
}

class RealReadableFile extends RealFileHandle implements ReadableFile {
  size(): number {
    return nodeFs.fstatSync(this.openFd()).size;
  }
  read(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    return buffer.subarray(0, this.readInto(position, buffer, 0, length));
  }
  readInto(position: number, target: Buffer, targetOffset: number, length: number): number {
    assert.ok(targetOffset >= 0 && targetOffset + length <= target.length, 'readInto past the end of its target');
    const fd = this.openFd();
    let filled = 0;
    while (filled < length) {
      const count = nodeFs.readSync(fd, target, targetOffset + filled, length - filled, position + filled);
      if (count === 0) break; // end of file
      filled += count;
    }
    return filled;
  }
}

export class RealFileSystem implements FileSystem {
  mkdirp(dir: string): void {
    nodeFs.mkdirSync(dir, { recursive: true });
  }
  list(dir: string): string[] {
    return nodeFs.readdirSync(dir).sort();
  }
  exists(path: string): boolean {
    return nodeFs.existsSync(path);
  }
  fileSize(path: string): number {
    return nodeFs.statSync(path).size;
  }
  create(path: string): WritableFile {
    return new RealWritableFile(path, nodeFs.openSync(path, 'w'), 0);
  }
  openAppend(path: string): WritableFile {
    const fd = nodeFs.openSync(path, 'r+'); // positional writes at our own end offset
    try {
      return new RealWritableFile(path, fd, nodeFs.fstatSync(fd).size);
    } catch (error) {
      nodeFs.closeSync(fd);
      throw error;
    }
  }
  openRead(path: string): ReadableFile {
    return new RealReadableFile(path, nodeFs.openSync(path, 'r'));
  }
  readAll(path: string): Buffer {
    return nodeFs.readFileSync(path);
  }
  writeAll(path: string, data: Buffer): void {
    nodeFs.writeFileSync(path, data);
  }
  truncate(path: string, size: number): void {
    nodeFs.truncateSync(path, size);
  }
  rename(source: string, target: string): void {
    nodeFs.renameSync(source, target);
  }
  remove(path: string): void {
    try {
      nodeFs.unlinkSync(path);
    } catch (error) {
      const code = errnoCodeOf(error);
      if (code !== 'EISDIR' && code !== 'EPERM') throw error;
      nodeFs.rmdirSync(path); // an empty directory
    }
  }
  syncFile(path: string): void {
    const fd = nodeFs.openSync(path, 'r');
    try {
      nodeFs.fdatasyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  }
  syncDir(dir: string): void {
    if (process.platform === 'win32') return; // directories cannot be opened for fsync there
    const fd = nodeFs.openSync(dir, 'r');
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  }
  lock(path: string): FileLock {
    return lockFile(path);
  }
}
