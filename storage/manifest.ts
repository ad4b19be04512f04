// storage/manifest.ts: the MANIFEST, a log of version edits naming the live SSTables per level, and
// CURRENT, which names the manifest in use. Manifests use the record log of wal.ts, one edit per
// record. An edit is a sequence of tagged fields, integers little-endian:
//   tag  field              body
//   1    FORMAT_VERSION     u32 MANIFEST_FORMAT_VERSION; only in a snapshot, the first record of a manifest
//   2    LOG_NUMBER         u64: WALs numbered below it are obsolete
//   3    NEXT_FILE_NUMBER   u64: every file number in use is below it
//   4    LAST_SEQUENCE      u64
//   5    REMOVE_FILE        level u8, number u64
//   6    ADD_FILE           level u8, number u64, sizeBytes u64, entryCount u64, tombstoneCount u64,
//                           smallestSeq u64, largestSeq u64, smallestKey (u32 length, bytes),
//                           largestKey (u32 length, bytes)
//   128+ (bit 7 set)        u32 length, bytes: optional, skipped by readers that do not know it
//   (an unknown tag below 128 is corruption)
// An edit applies its removals before its additions. CURRENT holds "MANIFEST-000007\n".
//
// Invariants:
// - apply() and applyAsync() change the in-memory state only after the edit is appended and
//   synced (9); applyAsync() syncs on the thread pool, one call at a time.
// - Every manifest opens with a snapshot of the whole state; open() replays CURRENT's manifest and
//   starts a new one (so a torn tail is never appended to), and so does apply() once the manifest
//   has reached MANIFEST_BYTES_MAX (folding the edit into the snapshot).
// - CURRENT is switched by temp file + sync + rename + directory sync (10); the old manifest is
//   removed only after that (11). A new manifest's content and directory entry are synced before
//   CURRENT names it. Any I/O error leaves the manifest failed: later calls rethrow it.
// - Every file number named (tables, log number, manifests) is below nextFileNumber, and numbers
//   are never reused: allocateFileNumber() hands them out, apply() persists the counter.
// - L0 lists files in the order they were added (newest last); levels 1..6 are sorted by
//   smallestKey and do not overlap. A state object is never mutated; apply() replaces it.
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { ManifestCorruptionError, MissingFileError, WalCorruptionError } from './errors.js';
import type { FileSystem } from './file-system.js';
import { LogWriter, readLogRecords, readU64, writeU64 } from './wal.js';

export interface FileMeta {
  number: number;
  level: number;
  sizeBytes: number;
  smallestKey: Buffer;
  largestKey: Buffer;
  entryCount: number;
  tombstoneCount: number;
  smallestSeq: number;
  largestSeq: number;
}
export interface VersionEdit {
  logNumber?: number;
  nextFileNumber?: number;
  lastSequence?: number;
  addFiles?: FileMeta[];
  removeFiles?: { level: number; number: number }[];
}
export interface ManifestState {
  logNumber: number;
  nextFileNumber: number;
  lastSequence: number;
  levels: FileMeta[][]; // levels[0..6]; L0 newest file last
}

// DO NOT CHANGE: these values are on disk.
export const MANIFEST_TAG = {
  FORMAT_VERSION: 1,
  LOG_NUMBER: 2,
  NEXT_FILE_NUMBER: 3,
  LAST_SEQUENCE: 4,
  REMOVE_FILE: 5,
  ADD_FILE: 6,
  IGNORABLE_BIT: 0x80,
} as const;
export const MANIFEST_FORMAT_VERSION = 1;
export const MANIFEST_BYTES_MAX = 1024 * 1024;
export interface ManifestOptions {
  manifestBytesMax?: number; // rotate past this size; default MANIFEST_BYTES_MAX (tests use less)
}
export const LEVEL_COUNT = 7;
export const CURRENT_FILE_NAME = 'CURRENT';
const CURRENT_TEMP_FILE_NAME = 'CURRENT.tmp';

export function manifestFileName(number: number): string {
  return `MANIFEST-${String(number).padStart(6, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Encoding

class EditEncoder {
  #chunks: Buffer[] = [];
  u8(value: number): void {
    this.#chunks.push(Buffer.of(value));
  }
  u32(value: number): void {
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeUInt32LE(value, 0);
    this.#chunks.push(bytes);
  }
  u64(value: number): void {
    assert.ok(Number.isSafeInteger(value) && value >= 0, `u64 field ${value}`);
    const bytes = Buffer.allocUnsafe(8);
    writeU64(bytes, value, 0);
    this.#chunks.push(bytes);
  }
  bytes(value: Buffer): void {
    this.u32(value.length);
    this.#chunks.push(value);
  }
  finish(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

export function encodeVersionEdit(edit: VersionEdit, options: { snapshot?: boolean } = {}): Buffer {
  const encoder = new EditEncoder();
  if (options.snapshot === true) {
    encoder.u8(MANIFEST_TAG.FORMAT_VERSION);
    encoder.u32(MANIFEST_FORMAT_VERSION);
  }
  const numbers: [number, number | undefined][] = [
    [MANIFEST_TAG.LOG_NUMBER, edit.logNumber],
    [MANIFEST_TAG.NEXT_FILE_NUMBER, edit.nextFileNumber],
    [MANIFEST_TAG.LAST_SEQUENCE, edit.lastSequence],
  ];
  for (const [tag, value] of numbers) {
    if (value === undefined) continue;
    encoder.u8(tag);
    encoder.u64(value);
  }
  for (const file of edit.removeFiles ?? []) {
    encoder.u8(MANIFEST_TAG.REMOVE_FILE);
    encoder.u8(file.level);
    encoder.u64(file.number);
  }
  for (const file of edit.addFiles ?? []) {
    encoder.u8(MANIFEST_TAG.ADD_FILE);
    encoder.u8(file.level);
    for (const value of [file.number, file.sizeBytes, file.entryCount, file.tombstoneCount, file.smallestSeq, file.largestSeq]) encoder.u64(value);
    encoder.bytes(file.smallestKey);
    encoder.bytes(file.largestKey);
  }
  return encoder.finish();
}

/** Decodes one edit; garbage throws ManifestCorruptionError('edit', offset in payload, ...). Keys are copies. */
export function decodeVersionEdit(payload: Buffer): { edit: VersionEdit; snapshot: boolean } {
  let offset = 0;
  const fail = (at: number, reason: string): never => {
    throw new ManifestCorruptionError('edit', at, reason);
  };
  const take = (length: number): Buffer => {
    if (offset + length > payload.length) fail(offset, `${length} bytes needed, ${payload.length - offset} left`);
    offset += length;
    return payload.subarray(offset - length, offset);
  };
  const u8 = (): number => take(1).readUInt8(0);
  const u32 = (): number => take(4).readUInt32LE(0);
  const u64 = (): number => readU64(take(8), 0) ?? fail(offset - 8, 'u64 field >= 2^53');
  const edit: VersionEdit = {};
  let snapshot = false;
  while (offset < payload.length) {
    const tagOffset = offset;
    const tag = u8();
    switch (tag) {
      case MANIFEST_TAG.FORMAT_VERSION: {
        const version = u32();
        if (version !== MANIFEST_FORMAT_VERSION) fail(tagOffset, `unsupported manifest format version ${version}`);
        snapshot = true;
        break;
      }
      case MANIFEST_TAG.LOG_NUMBER:
        edit.logNumber = u64();
        break;
      case MANIFEST_TAG.NEXT_FILE_NUMBER:
        edit.nextFileNumber = u64();
        break;
      case MANIFEST_TAG.LAST_SEQUENCE:
        edit.lastSequence = u64();
        break;
      case MANIFEST_TAG.REMOVE_FILE:
        (edit.removeFiles ??= []).push({ level: u8(), number: u64() });
        break;
      case MANIFEST_TAG.ADD_FILE: {
        const level = u8();
        const [number, sizeBytes, entryCount, tombstoneCount, smallestSeq, largestSeq] = [u64(), u64(), u64(), u64(), u64(), u64()];
        const smallestKey = Buffer.from(take(u32()));
        const largestKey = Buffer.from(take(u32()));
        (edit.addFiles ??= []).push({ number, level, sizeBytes, smallestKey, largestKey, entryCount, tombstoneCount, smallestSeq, largestSeq });
        break;
      }
      default:
        if ((tag & MANIFEST_TAG.IGNORABLE_BIT) === 0) fail(tagOffset, `unknown tag ${tag}`);
        take(u32()); // an optional field from a newer writer
    }
  }
  return { edit, snapshot };
}

// ---------------------------------------------------------------------------------------------
// State

function emptyLevels(): FileMeta[][] {
  return Array.from({ length: LEVEL_COUNT }, () => []);
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** The state after edit, or the reason it cannot apply. Never mutates state. */
export function applyVersionEdit(state: ManifestState, edit: VersionEdit): ManifestState | string {
  for (const [name, value, floor] of [
    ['logNumber', edit.logNumber, state.logNumber],
    ['lastSequence', edit.lastSequence, state.lastSequence],
    ['nextFileNumber', edit.nextFileNumber, state.nextFileNumber],
  ] as const) {
    if (value === undefined) continue;
    if (!isCount(value)) return `${name} ${value} is not a non-negative integer`;
    if (value < floor) return `${name} ${value} goes back from ${floor}`;
  }
  const levels = [...state.levels];
  const touched = new Set<number>();
  const level = (index: number): FileMeta[] | undefined => {
    if (!Number.isInteger(index) || index < 0 || index >= LEVEL_COUNT) return undefined;
    if (!touched.has(index)) levels[index] = [...(levels[index] ?? [])];
    touched.add(index);
    return levels[index];
  };
  for (const { level: index, number } of edit.removeFiles ?? []) {
    const files = level(index);
    const position = files?.findIndex((file) => file.number === number) ?? -1;
    if (files === undefined || position < 0) return `removed file ${number} is not in level ${index}`;
    files.splice(position, 1);
  }
  const inUse = new Set(levels.flatMap((files) => files.map((file) => file.number)));
  for (const file of edit.addFiles ?? []) {
    const files = level(file.level);
    if (files === undefined) return `added file ${file.number} has level ${file.level}`;
    if (inUse.has(file.number)) return `added file ${file.number} is already live`;
    if (![file.number, file.sizeBytes, file.entryCount, file.tombstoneCount, file.smallestSeq, file.largestSeq].every(isCount)) {
      return `added file ${file.number} has a field that is not a non-negative integer`;
    }
    if (Buffer.compare(file.smallestKey, file.largestKey) > 0) return `added file ${file.number} has smallestKey > largestKey`;
    if (file.smallestSeq > file.largestSeq) return `added file ${file.number} has smallestSeq > largestSeq`;
    inUse.add(file.number);
    files.push(file);
  }
  for (const index of touched) {
    if (index === 0) continue;
    const files = levels[index] ?? [];
    files.sort((left, right) => Buffer.compare(left.smallestKey, right.smallestKey) || left.number - right.number);
    for (let position = 1; position < files.length; position++) {
      const [previous, current] = [files[position - 1], files[position]];
      if (previous && current && Buffer.compare(previous.largestKey, current.smallestKey) >= 0) {
        return `files ${previous.number} and ${current.number} overlap in level ${index}`;
      }
    }
  }
  const next: ManifestState = {
    logNumber: edit.logNumber ?? state.logNumber,
    nextFileNumber: edit.nextFileNumber ?? state.nextFileNumber,
    lastSequence: edit.lastSequence ?? state.lastSequence,
    levels,
  };
  let highest = next.logNumber;
  for (const number of inUse) highest = Math.max(highest, number);
  if (highest >= next.nextFileNumber) return `file number ${highest} is not below nextFileNumber ${next.nextFileNumber}`;
  return next;
}

function snapshotEdit(state: ManifestState): VersionEdit {
  return { logNumber: state.logNumber, nextFileNumber: state.nextFileNumber, lastSequence: state.lastSequence, addFiles: state.levels.flat() };
}

/** The highest file number among tskv's files in dir (0 if none). */
function highestFileNumberIn(fs: FileSystem, dir: string): number {
  let highest = 0;
  for (const name of fs.list(dir)) {
    const match = /^(\d+)\.(log|sst|tmp)$/.exec(name) ?? /^MANIFEST-(\d+)$/.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest;
}

// ---------------------------------------------------------------------------------------------
// Manifest

export class Manifest {
  readonly #fs: FileSystem;
  readonly #dir: string;
  #state: ManifestState;
  #number = 0;
  #writer: LogWriter | undefined;
  #nextFileNumber: number; // in memory: allocateFileNumber() runs ahead of state.nextFileNumber
  #failure: unknown;
  #closed = false;
  #applying = false; // an applyAsync() is waiting for its fsync
  readonly #manifestBytesMax: number;

  private constructor(fs: FileSystem, dir: string, state: ManifestState, nextFileNumber: number, options: ManifestOptions) {
    this.#fs = fs;
    this.#dir = dir;
    this.#manifestBytesMax = options.manifestBytesMax ?? MANIFEST_BYTES_MAX;
    this.#state = state;
    this.#nextFileNumber = Math.max(nextFileNumber, state.nextFileNumber);
  }

  /** A new database: MANIFEST-000001 holding an empty snapshot, then CURRENT naming it. */
  static create(fs: FileSystem, dir: string, options: ManifestOptions = {}): Manifest {
    assert.ok(!fs.exists(nodePath.join(dir, CURRENT_FILE_NAME)), `${dir} already has a CURRENT`);
    const manifest = new Manifest(fs, dir, { logNumber: 0, nextFileNumber: 1, lastSequence: 0, levels: emptyLevels() }, 1, options);
    manifest.#startNewManifest(manifest.#state);
    return manifest;
  }

  /** Replays the manifest CURRENT names (a torn tail is dropped), then starts a new manifest. */
  static open(fs: FileSystem, dir: string, options: ManifestOptions = {}): Manifest {
    const number = readCurrent(fs, dir);
    const state = replayManifest(fs, nodePath.join(dir, manifestFileName(number)));
    const manifest = new Manifest(fs, dir, state, highestFileNumberIn(fs, dir) + 1, options);
    manifest.#number = number;
    manifest.#startNewManifest(state);
    return manifest;
  }

  get state(): ManifestState {
    return this.#state;
  }
  /** The file number of the manifest in use. */
  get manifestNumber(): number {
    return this.#number;
  }

  /** A fresh file number (in memory; made durable by the next apply()). */
  allocateFileNumber(): number {
    return this.#nextFileNumber++;
  }
  /** Records that number is taken (e.g. a WAL found on disk), so it is never handed out again. */
  markFileNumberUsed(number: number): void {
    this.#nextFileNumber = Math.max(this.#nextFileNumber, number + 1);
  }

  apply(edit: VersionEdit): void {
    const prepared = this.#prepare(edit);
    if (prepared === undefined) return; // folded into a new manifest
    const writer = this.#writer!;
    try {
      writer.addRecord(encodeVersionEdit(prepared.complete));
      writer.sync();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
    this.#state = prepared.next;
  }

  /**
   * apply() with the edit's fsync on the thread pool, so the event loop goes on meanwhile (a
   * synchronous fsync while a table was being written back held it ~10 ms). One call at a time
   * (VersionSet queues them); the state changes only once the edit is durable (9). A switch to a
   * new manifest, once per MANIFEST_BYTES_MAX, is still done synchronously.
   */
  async applyAsync(edit: VersionEdit): Promise<void> {
    assert.ok(!this.#applying, 'Manifest.applyAsync() while another is in flight');
    this.#applying = true;
    try {
      const prepared = this.#prepare(edit);
      if (prepared === undefined) return;
      const writer = this.#writer!;
      try {
        writer.addRecord(encodeVersionEdit(prepared.complete));
        await writer.syncAsync();
      } catch (error) {
        this.#failure = error;
        throw error;
      }
      this.#checkUsable();
      this.#state = prepared.next;
    } finally {
      this.#applying = false;
    }
  }

  /** The edit as it will be recorded and the state after it; undefined when it went into a new manifest. */
  #prepare(edit: VersionEdit): { complete: VersionEdit; next: ManifestState } | undefined {
    this.#checkUsable();
    const highestAdded = Math.max(0, ...(edit.addFiles ?? []).map((file) => file.number));
    this.markFileNumberUsed(Math.max(highestAdded, edit.logNumber ?? 0, (edit.nextFileNumber ?? 1) - 1));
    const complete: VersionEdit = { ...edit, nextFileNumber: this.#nextFileNumber };
    const next = applyVersionEdit(this.#state, complete);
    assert.ok(typeof next !== 'string', `bad version edit: ${String(next)}`);
    const writer = this.#writer;
    assert.ok(writer !== undefined);
    if (writer.file.size() >= this.#manifestBytesMax) {
      this.#startNewManifest(next);
      return undefined;
    }
    return { complete, next };
  }

  /** Table files the state names, and the manifest in use. */
  liveFileNumbers(): Set<number> {
    const numbers = new Set(this.#state.levels.flatMap((files) => files.map((file) => file.number)));
    numbers.add(this.#number);
    return numbers;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const writer = this.#writer;
    this.#writer = undefined;
    writer?.close();
  }

  #checkUsable(): void {
    assert.ok(!this.#closed, 'manifest is closed');
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Writes state as the snapshot of a new manifest, switches CURRENT to it, removes the old one. */
  #startNewManifest(state: ManifestState): void {
    const number = this.allocateFileNumber();
    const snapshot: ManifestState = { ...state, nextFileNumber: this.#nextFileNumber };
    const path = nodePath.join(this.#dir, manifestFileName(number));
    let writer: LogWriter | undefined;
    try {
      writer = new LogWriter(this.#fs.create(path));
      writer.addRecord(encodeVersionEdit(snapshotEdit(snapshot), { snapshot: true }));
      writer.sync(); // its content, then its directory entry, durable before CURRENT names it
      this.#fs.syncDir(this.#dir);
      setCurrentManifest(this.#fs, this.#dir, number);
    } catch (error) {
      this.#failure = error;
      try {
        writer?.close();
      } catch {
        // the first error is the one to report
      }
      throw error;
    }
    const previousWriter = this.#writer;
    const previousNumber = this.#number;
    this.#writer = writer;
    this.#number = number;
    this.#state = snapshot;
    if (previousNumber === 0) return;
    try {
      previousWriter?.close();
      this.#fs.remove(nodePath.join(this.#dir, manifestFileName(previousNumber)));
    } catch {
      // The switch is durable; an old manifest left behind is not live and is garbage-collected later.
    }
  }
}

/** CURRENT := "MANIFEST-<number>\n", durably: temp file, sync, rename, sync the directory. */
export function setCurrentManifest(fs: FileSystem, dir: string, number: number): void {
  const temp = nodePath.join(dir, CURRENT_TEMP_FILE_NAME);
  fs.writeAll(temp, Buffer.from(`${manifestFileName(number)}\n`));
  fs.syncFile(temp);
  fs.rename(temp, nodePath.join(dir, CURRENT_FILE_NAME));
  fs.syncDir(dir); // the rename (and the new manifest's entry) survive a crash only after this
}

/** The manifest number CURRENT names. */
export function readCurrent(fs: FileSystem, dir: string): number {
  const path = nodePath.join(dir, CURRENT_FILE_NAME);
  if (!fs.exists(path)) throw new MissingFileError(path);
  const text = fs.readAll(path).toString('latin1');
  const match = /^MANIFEST-(\d{6,15})\n$/.exec(text);
  if (!match) throw new ManifestCorruptionError(path, 0, `CURRENT does not hold "MANIFEST-<number>\\n": ${JSON.stringify(text.slice(0, 40))}`);
  return Number(match[1]);
}

/** Replays one manifest file into a state. */
export function replayManifest(fs: FileSystem, path: string): ManifestState {
  if (!fs.exists(path)) throw new MissingFileError(path);
  let read: ReturnType<typeof readLogRecords>;
  try {
    read = readLogRecords(fs, path, { isLast: true });
  } catch (error) {
    if (!(error instanceof WalCorruptionError)) throw error;
    throw new ManifestCorruptionError(path, error.offset, error.reason, { cause: error });
  }
  if (read.records.length === 0) throw new ManifestCorruptionError(path, 0, 'no snapshot record');
  let state: ManifestState = { logNumber: 0, nextFileNumber: 0, lastSequence: 0, levels: emptyLevels() };
  read.records.forEach((payload, index) => {
    const at = read.offsets[index] ?? 0;
    let decoded: ReturnType<typeof decodeVersionEdit>;
    try {
      decoded = decodeVersionEdit(payload);
    } catch (error) {
      if (!(error instanceof ManifestCorruptionError)) throw error;
      throw new ManifestCorruptionError(path, at, `bad edit (at byte ${error.offset} of its payload): ${error.reason}`, { cause: error });
    }
    const { edit, snapshot } = decoded;
    if (snapshot !== (index === 0)) throw new ManifestCorruptionError(path, at, index === 0 ? 'the first record is not a snapshot' : 'a snapshot after the first record');
    if (snapshot && (edit.logNumber === undefined || edit.nextFileNumber === undefined || edit.lastSequence === undefined)) {
      throw new ManifestCorruptionError(path, at, 'the snapshot lacks logNumber, nextFileNumber or lastSequence');
    }
    const next = applyVersionEdit(state, edit);
    if (typeof next === 'string') throw new ManifestCorruptionError(path, at, next);
    state = next;
  });
  return state;
}
