// storage/crashable-file-system.ts: the in-memory FileSystem tests crash (see file-system.ts for
// the model: inodes vs directory entries, durable vs live, the crash modes; 'lose-pages' is the
// page cache writing a preallocated file's pages back out of order).
// Invariant: handles never alias caller buffers; bytes are copied in and out.
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { LockedError } from './errors.js';
import { currentLockHolder, encodeLockHolder } from './file-lock.js';
import { createErrnoError, type FileLock, type FileSystem, type ReadableFile, type WritableFile } from './file-system.js';

export type CrashMode = 'drop' | 'keep-random' | 'tear' | 'zero-fill' | 'lose-pages';
export interface CrashOptions {
  mode?: CrashMode;
  seed?: number;
}
export type FaultOp = 'append' | 'sync' | 'create' | 'rename' | 'remove' | 'syncDir' | 'writeAll' | 'truncate' | 'read';
export interface FaultSpec {
  op: FaultOp;
  path?: RegExp; // matched against the path the op names (for rename: the source)
  code: 'ENOSPC' | 'EIO';
  count?: number; // how many matching calls fail; default: all of them until clearFaults()
  after?: number; // matching calls that succeed first; default 0
}
/** One mutating operation, with enough to replay it on a clone of the state at startRecording(). */
export type RecordedOp =
  | { kind: 'mkdirp'; path: string }
  | { kind: 'create'; path: string; inode: number; existed: boolean } // existed: truncated to 0
  | { kind: 'append'; path: string; inode: number; offset: number; bytes: Buffer }
  | { kind: 'writeAll'; path: string; inode: number; existed: boolean; bytes: Buffer }
  | { kind: 'truncate'; path: string; inode: number; size: number }
  | { kind: 'sync'; path: string; inode: number; size: number } // bytes 0 .. size became durable
  | { kind: 'rename'; path: string; target: string; inode: number }
  | { kind: 'remove'; path: string; inode: number | undefined } // undefined: an empty directory
  | { kind: 'syncDir'; path: string };
export interface CrashableStats {
  bytesWritten: number;
  bytesRead: number;
  syncs: number; // file fdatasyncs (sync, syncAsync, syncFile)
  dirSyncs: number;
  reads: number; // read and readAll calls
  openReads: number;
}

class Inode {
  data = Buffer.alloc(0); // capacity; live content is data[0, length)
  length = 0;
  syncedLength = 0;
  syncedCopy: Buffer | undefined; // durable content once the live one diverged from it (not an extension)
  unsyncedAppends: { offset: number; length: number }[] = [];
  constructor(readonly id: number) {}

  content(): Buffer {
    return this.data.subarray(0, this.length);
  }
  durableContent(): Buffer {
    return this.syncedCopy ?? this.data.subarray(0, this.syncedLength);
  }
  append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#reserve(this.length + bytes.length);
    bytes.copy(this.data, this.length);
    this.unsyncedAppends.push({ offset: this.length, length: bytes.length });
    this.length += bytes.length;
  }
  replace(bytes: Buffer): void {
    this.truncate(0);
    this.append(bytes);
  }
  truncate(size: number): void {
    if (size < this.syncedLength) this.#keepSynced();
    if (size > this.length) {
      this.#reserve(size);
      this.data.fill(0, this.length, size);
    }
    this.length = size;
    this.#trimAppends(0, size);
  }
  sync(size: number): void {
    const covered = Math.min(size, this.length);
    this.syncedCopy = undefined;
    this.syncedLength = covered;
    this.#trimAppends(covered, this.length);
  }
  static withDurableContent(id: number, content: Buffer): Inode {
    const copy = new Inode(id);
    copy.data = Buffer.from(content);
    copy.length = content.length;
    copy.syncedLength = content.length;
    return copy;
  }
  deepClone(): Inode {
    const copy = new Inode(this.id);
    copy.data = Buffer.from(this.content());
    copy.length = this.length;
    copy.syncedLength = this.syncedLength;
    copy.syncedCopy = this.syncedCopy === undefined ? undefined : Buffer.from(this.syncedCopy);
    copy.unsyncedAppends = this.unsyncedAppends.map((append) => ({ ...append }));
    return copy;
  }
  #keepSynced(): void {
    this.syncedCopy ??= Buffer.from(this.data.subarray(0, this.syncedLength));
  }
  #trimAppends(start: number, end: number): void {
    this.unsyncedAppends = this.unsyncedAppends
      .map((append) => {
        const head = Math.max(append.offset, start);
        const tail = Math.min(append.offset + append.length, end);
        return { offset: head, length: tail - head };
      })
      .filter((append) => append.length > 0);
  }
  #reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    const grown = Buffer.alloc(Math.max(capacity, this.data.length * 2, 4096));
    this.data.copy(grown, 0, 0, this.length);
    this.data = grown;
  }
}

type DirOp =
  | { kind: 'link'; name: string; inode: Inode }
  | { kind: 'unlink'; name: string }
  | { kind: 'rename'; source: string; target: string; inode: Inode };

class Directory {
  live = new Map<string, Inode>();
  durable = new Map<string, Inode>();
  pending: DirOp[] = [];
}

function applyDirOp(entries: Map<string, Inode>, op: DirOp): void {
  if (op.kind === 'link') entries.set(op.name, op.inode);
  else if (op.kind === 'unlink') entries.delete(op.name);
  else {
    entries.delete(op.source);
    entries.set(op.target, op.inode);
  }
}

/** mulberry32: a small seeded PRNG; returns an integer in [0, bound). */
export function createRandom(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * bound);
  };
}

interface ActiveFault {
  spec: FaultSpec;
  path: RegExp | undefined;
  remaining: number;
  skip: number;
}

const STALE = 'handle opened before a crash';

export class CrashableFileSystem implements FileSystem {
  #dirs = new Map<string, Directory>([
    ['/', new Directory()],
    ['.', new Directory()],
  ]);
  #generation = 0;
  #crashCount = 0;
  #nextInodeId = 1;
  #faults: ActiveFault[] = [];
  #heldLocks = new Set<string>();
  #recording: RecordedOp[] | undefined;
  #recordingBase: CrashableFileSystem | undefined;
  #stats: CrashableStats = { bytesWritten: 0, bytesRead: 0, syncs: 0, dirSyncs: 0, reads: 0, openReads: 0 };

  get openReadCount(): number {
    return this.#stats.openReads;
  }
  stats(): CrashableStats {
    return { ...this.#stats };
  }
  resetStats(): void {
    this.#stats = { bytesWritten: 0, bytesRead: 0, syncs: 0, dirSyncs: 0, reads: 0, openReads: 0 };
  }
  /** Live bytes of every file under dir (recursively). */
  totalBytes(dir: string): number {
    const root = normalize(dir);
    let total = 0;
    for (const [name, directory] of this.#dirs) {
      if (name !== root && !name.startsWith(root === '/' ? '/' : `${root}/`)) continue;
      for (const inode of directory.live.values()) total += inode.length;
    }
    return total;
  }

  injectFault(spec: FaultSpec): void {
    const path = spec.path === undefined ? undefined : new RegExp(spec.path.source, spec.path.flags.replace(/[gy]/g, ''));
    this.#faults.push({ spec, path, remaining: spec.count ?? Infinity, skip: spec.after ?? 0 });
  }
  clearFaults(): void {
    this.#faults = [];
  }

  /** Starts a fresh op log; recordingBase() is the state (live and durable) at this moment. */
  startRecording(): void {
    this.#recordingBase = this.clone();
    this.#recording = [];
  }
  recordedOps(): RecordedOp[] {
    return [...(this.#recording ?? [])];
  }
  recordingBase(): CrashableFileSystem | undefined {
    return this.#recordingBase;
  }

  /** A deep copy of the whole state (live, durable, pending directory ops); no handles, faults, locks. */
  clone(): CrashableFileSystem {
    const copy = new CrashableFileSystem();
    const inodes = new Map<Inode, Inode>();
    const cloneInode = (inode: Inode): Inode => {
      let twin = inodes.get(inode);
      if (twin === undefined) inodes.set(inode, (twin = inode.deepClone()));
      return twin;
    };
    copy.#dirs = new Map();
    for (const [name, directory] of this.#dirs) {
      const twin = new Directory();
      for (const [entry, inode] of directory.live) twin.live.set(entry, cloneInode(inode));
      for (const [entry, inode] of directory.durable) twin.durable.set(entry, cloneInode(inode));
      twin.pending = directory.pending.map((op) => (op.kind === 'unlink' ? { ...op } : { ...op, inode: cloneInode(op.inode) }));
      copy.#dirs.set(name, twin);
    }
    copy.#nextInodeId = this.#nextInodeId;
    return copy;
  }

  /** Power loss: the live state becomes a durable one (see the file header); old handles die. */
  crash(options: CrashOptions = {}): void {
    const mode = options.mode ?? 'drop';
    const random = createRandom(options.seed ?? 0x2545f491 + this.#crashCount);
    this.#generation += 1;
    this.#crashCount += 1;
    this.#heldLocks.clear();
    const survivors = new Map<Inode, Inode>();
    const survivor = (inode: Inode): Inode => {
      let twin = survivors.get(inode);
      if (twin === undefined) survivors.set(inode, (twin = Inode.withDurableContent(inode.id, survivingContent(inode, mode, random))));
      return twin;
    };
    for (const directory of this.#dirs.values()) {
      const entries = new Map(directory.durable);
      if (mode === 'keep-random') {
        for (const op of directory.pending) if (random(2) === 1) applyDirOp(entries, op);
      }
      directory.live = new Map([...entries].map(([name, inode]) => [name, survivor(inode)]));
      directory.durable = new Map(directory.live);
      directory.pending = [];
    }
  }

  mkdirp(dir: string): void {
    const path = normalize(dir);
    const chain: string[] = [];
    for (let current = path; !this.#dirs.has(current); current = nodePath.posix.dirname(current)) chain.unshift(current);
    for (const current of chain) {
      if (this.#lookup(current) !== undefined) throw createErrnoError('ENOTDIR', 'mkdir', current);
      this.#dirs.set(current, new Directory());
    }
    if (chain.length > 0) this.#record({ kind: 'mkdirp', path });
  }
  list(dir: string): string[] {
    const path = normalize(dir);
    const directory = this.#dirs.get(path);
    if (directory === undefined) throw createErrnoError('ENOENT', 'scandir', path);
    const names = [...directory.live.keys()];
    for (const other of this.#dirs.keys()) {
      if (other !== path && nodePath.posix.dirname(other) === path) names.push(nodePath.posix.basename(other));
    }
    return names.sort();
  }
  exists(path: string): boolean {
    const normalized = normalize(path);
    return this.#dirs.has(normalized) || this.#lookup(normalized) !== undefined;
  }
  fileSize(path: string): number {
    return this.#existing(path, 'stat').length;
  }
  create(path: string): WritableFile {
    const normalized = normalize(path);
    this.#fault('create', normalized, 'open');
    const existing = this.#lookup(normalized);
    const inode = existing ?? this.#link(normalized, 'open');
    if (existing !== undefined) inode.replace(Buffer.alloc(0));
    this.#record({ kind: 'create', path: normalized, inode: inode.id, existed: existing !== undefined });
    return this.#writable(normalized, inode);
  }
  openAppend(path: string): WritableFile {
    const normalized = normalize(path);
    return this.#writable(normalized, this.#existing(normalized, 'open'));
  }
  openRead(path: string): ReadableFile {
    const normalized = normalize(path);
    const inode = this.#existing(normalized, 'open');
    this.#stats.openReads += 1;
    const generation = this.#generation;
    let closed = false;
    const check = (syscall: string): void => {
      if (closed || generation !== this.#generation) throw this.#badHandle(syscall, normalized, closed);
    };
    return {
      path: normalized,
      size: () => {
        check('fstat');
        return inode.length;
      },
      read: (position, length) => {
        check('read');
        this.#fault('read', normalized, 'read');
        this.#stats.reads += 1;
        const bytes = Buffer.from(inode.content().subarray(position, position + length));
        this.#stats.bytesRead += bytes.length;
        return bytes;
      },
      readInto: (position, target, targetOffset, length) => {
        check('read');
        assert.ok(targetOffset >= 0 && targetOffset + length <= target.length, 'readInto past the end of its target');
        this.#fault('read', normalized, 'read');
        this.#stats.reads += 1;
        const copied = inode.content().copy(target, targetOffset, position, Math.min(position + length, inode.length));
        this.#stats.bytesRead += copied;
        return copied;
      },
      close: () => {
        check('close');
        closed = true;
      },
    };
  }
  readAll(path: string): Buffer {
    const normalized = normalize(path);
    const inode = this.#existing(normalized, 'open');
    this.#fault('read', normalized, 'read');
    this.#stats.reads += 1;
    this.#stats.bytesRead += inode.length;
    return Buffer.from(inode.content());
  }
  writeAll(path: string, data: Buffer): void {
    const normalized = normalize(path);
    this.#fault('writeAll', normalized, 'write');
    const existing = this.#lookup(normalized);
    const inode = existing ?? this.#link(normalized, 'open');
    inode.replace(data);
    this.#stats.bytesWritten += data.length;
    this.#recording?.push({ kind: 'writeAll', path: normalized, inode: inode.id, existed: existing !== undefined, bytes: Buffer.from(data) });
  }
  truncate(path: string, size: number): void {
    const normalized = normalize(path);
    const inode = this.#existing(normalized, 'ftruncate');
    this.#fault('truncate', normalized, 'ftruncate');
    inode.truncate(size);
    this.#record({ kind: 'truncate', path: normalized, inode: inode.id, size });
  }
  rename(source: string, target: string): void {
    const from = normalize(source);
    const to = normalize(target);
    const inode = this.#existing(from, 'rename');
    this.#fault('rename', from, 'rename');
    if (this.#dirs.has(to)) throw createErrnoError('EISDIR', 'rename', to);
    const [sourceDir, sourceName] = this.#parent(from, 'rename');
    const [targetDir, targetName] = this.#parent(to, 'rename');
    if (sourceDir === targetDir) {
      const op: DirOp = { kind: 'rename', source: sourceName, target: targetName, inode };
      applyDirOp(sourceDir.live, op);
      sourceDir.pending.push(op);
    } else {
      sourceDir.live.delete(sourceName);
      sourceDir.pending.push({ kind: 'unlink', name: sourceName });
      targetDir.live.set(targetName, inode);
      targetDir.pending.push({ kind: 'link', name: targetName, inode });
    }
    this.#record({ kind: 'rename', path: from, target: to, inode: inode.id });
  }
  remove(path: string): void {
    const normalized = normalize(path);
    this.#fault('remove', normalized, 'unlink');
    const directory = this.#dirs.get(normalized);
    if (directory !== undefined) {
      if (this.list(normalized).length > 0) throw createErrnoError('ENOTEMPTY', 'rmdir', normalized);
      this.#dirs.delete(normalized);
      this.#record({ kind: 'remove', path: normalized, inode: undefined });
      return;
    }
    const inode = this.#existing(normalized, 'unlink');
    const [parent, name] = this.#parent(normalized, 'unlink');
    parent.live.delete(name);
    parent.pending.push({ kind: 'unlink', name });
    this.#record({ kind: 'remove', path: normalized, inode: inode.id });
  }
  syncFile(path: string): void {
    const normalized = normalize(path);
    const inode = this.#existing(normalized, 'open');
    this.#syncInode(normalized, inode, inode.length);
  }
  syncDir(dir: string): void {
    const path = normalize(dir);
    this.#fault('syncDir', path, 'fsync');
    const directory = this.#dirs.get(path);
    if (directory === undefined) throw createErrnoError('ENOENT', 'open', path);
    directory.durable = new Map(directory.live);
    directory.pending = [];
    this.#stats.dirSyncs += 1;
    this.#record({ kind: 'syncDir', path });
  }
  lock(path: string): FileLock {
    const normalized = normalize(path);
    if (this.#heldLocks.has(normalized)) throw new LockedError(path, currentLockHolder());
    this.writeAll(normalized, encodeLockHolder(currentLockHolder()));
    this.#heldLocks.add(normalized);
    const generation = this.#generation;
    let released = false;
    return {
      release: () => {
        if (generation !== this.#generation) throw this.#badHandle('unlink', normalized, false);
        if (released) return;
        released = true;
        this.#heldLocks.delete(normalized);
        if (this.#lookup(normalized) !== undefined) this.remove(normalized);
      },
    };
  }

  #writable(path: string, inode: Inode): WritableFile {
    const generation = this.#generation;
    let closed = false;
    const check = (syscall: string): void => {
      if (closed || generation !== this.#generation) throw this.#badHandle(syscall, path, closed);
    };
    return {
      path,
      size: () => {
        check('fstat');
        return inode.length;
      },
      append: (data) => {
        check('write');
        this.#fault('append', path, 'write');
        const offset = inode.length;
        inode.append(data);
        this.#stats.bytesWritten += data.length;
        this.#recording?.push({ kind: 'append', path, inode: inode.id, offset, bytes: Buffer.from(data) }); // copies only when recording
      },
      reserve: (bytes) => {
        check('write'); // preallocated zeros change no content: nothing to model (see file-system.ts)
        assert.ok(Number.isSafeInteger(bytes) && bytes >= 0, `reserve of ${bytes} bytes`);
      },
      trimReserve: () => {
        check('ftruncate');
      },
      sync: () => {
        check('fdatasync');
        this.#syncInode(path, inode, inode.length);
      },
      syncAsync: async () => {
        check('fdatasync');
        const size = inode.length; // fdatasync covers the bytes written before the call
        await new Promise<void>((resolve) => setImmediate(resolve));
        check('fdatasync'); // a crash while in flight: the sync never happened
        this.#syncInode(path, inode, size);
      },
      close: () => {
        check('close');
        closed = true;
      },
    };
  }
  #syncInode(path: string, inode: Inode, size: number): void {
    this.#fault('sync', path, 'fdatasync');
    inode.sync(size);
    this.#stats.syncs += 1;
    this.#record({ kind: 'sync', path, inode: inode.id, size: Math.min(size, inode.length) });
  }
  #badHandle(syscall: string, path: string, closed: boolean): NodeJS.ErrnoException {
    const error = createErrnoError('EBADF', syscall, path);
    if (!closed) error.message += ` (${STALE})`;
    return error;
  }
  #fault(op: FaultOp, path: string, syscall: string): void {
    for (const fault of this.#faults) {
      if (fault.spec.op !== op || (fault.path !== undefined && !fault.path.test(path))) continue;
      if (fault.skip > 0) {
        fault.skip -= 1;
        continue;
      }
      if (fault.remaining <= 0) continue;
      fault.remaining -= 1;
      throw createErrnoError(fault.spec.code, syscall, path);
    }
  }
  #record(op: RecordedOp): void {
    this.#recording?.push(op);
  }
  #parent(path: string, syscall: string): [Directory, string] {
    const directory = this.#dirs.get(nodePath.posix.dirname(path));
    if (directory === undefined) throw createErrnoError('ENOENT', syscall, path);
    return [directory, nodePath.posix.basename(path)];
  }
  #lookup(path: string): Inode | undefined {
    return this.#dirs.get(nodePath.posix.dirname(path))?.live.get(nodePath.posix.basename(path));
  }
  #existing(path: string, syscall: string): Inode {
    const normalized = normalize(path);
    const inode = this.#lookup(normalized);
    if (inode !== undefined) return inode;
    throw createErrnoError(this.#dirs.has(normalized) ? 'EISDIR' : 'ENOENT', syscall, normalized);
  }
  #link(path: string, syscall: string): Inode {
    if (this.#dirs.has(path)) throw createErrnoError('EISDIR', syscall, path);
    const [parent, name] = this.#parent(path, syscall);
    const inode = new Inode(this.#nextInodeId++);
    parent.live.set(name, inode);
    parent.pending.push({ kind: 'link', name, inode });
    return inode;
  }
}

function normalize(path: string): string {
  const normalized = nodePath.posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

/** The page size 'lose-pages' loses pages of. */
const LOST_PAGE_BYTES = 4096;

/** What a crash leaves of one file whose directory entry survived. */
function survivingContent(inode: Inode, mode: CrashMode, random: (bound: number) => number): Buffer {
  const durable = inode.durableContent();
  const isExtension = inode.syncedCopy === undefined; // live = durable + appended bytes
  const unsyncedBytes = inode.length - inode.syncedLength;
  if (!isExtension) return mode === 'keep-random' && random(2) === 1 ? inode.content() : durable;
  if (unsyncedBytes <= 0) return durable;
  switch (mode) {
    case 'drop':
      return durable;
    case 'keep-random':
      return inode.content().subarray(0, inode.syncedLength + random(unsyncedBytes + 1));
    case 'tear': {
      const last = inode.unsyncedAppends.at(-1);
      if (last === undefined) return durable;
      return inode.content().subarray(0, last.offset + random(last.length));
    }
    case 'zero-fill':
      return Buffer.concat([durable, Buffer.alloc(unsyncedBytes)]);
    case 'lose-pages': {
      // preallocated space written back out of order: every unsynced byte kept, but at least one
      // 4 KiB page holding unsynced bytes (and each other one at random) reads as zeros from where
      // the synced bytes end (the durable part of a page is kept)
      const kept = Buffer.from(inode.content());
      const firstPage = Math.floor(inode.syncedLength / LOST_PAGE_BYTES);
      const pages = Math.ceil(inode.length / LOST_PAGE_BYTES) - firstPage;
      const surely = firstPage + random(pages);
      for (let page = firstPage; page < firstPage + pages; page++) {
        if (page === surely || random(2) === 1) kept.fill(0, Math.max(page * LOST_PAGE_BYTES, inode.syncedLength), Math.min((page + 1) * LOST_PAGE_BYTES, inode.length));
      }
      return kept;
    }
  }
}
