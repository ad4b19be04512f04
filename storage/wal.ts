// storage/wal.ts: the record log (LevelDB's log format, shared by the WAL and the MANIFEST) and the
// write-batch payload the WAL carries. All integers little-endian.
//
// A log file is a sequence of 32 KiB blocks (the last one may be partial). A block holds physical
// records; a record never starts in a block's last 6 bytes, which are zero-filled (the trailer):
//   offset  bytes   field
//   0       4       masked crc32 of bytes 6 .. 7 + length (the type byte, then the payload)
//   4       2       payload length (u16), at most 32 KiB - 7 (a fragment never crosses a block)
//   6       1       type: 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST (0 is never written; zeros = no data)
//   7       length  payload fragment
// One logical record is a FULL record, or FIRST, MIDDLE*, LAST. With exactly 7 bytes left in a
// block the writer emits a FIRST with an empty payload there (or a FULL, for an empty record).
// mask(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8 (uint32), crc = zlib.crc32 (CRC-32/IEEE).
//
// A WAL file's first logical record is the format version (12 bytes):
//   0       8       magic "tskv.wal"
//   8       4       WAL_FORMAT_VERSION (u32)
// and every later one is a write batch (one batch = one record = atomic on replay):
//   0       8       firstSeq (u64, < 2^53); op i has sequence firstSeq + i
//   8       4       op count (u32)
//   12      ...     ops, each:
//           1         kind: 1 put, 2 delete (BATCH_OP_KIND)
//           4         key length (u32), then the key bytes
//           put only:
//           4         value length (u32), then the value bytes
//           8         expireAtMs (u64; 0 = never)
//
// Invariants:
// - Only the last WAL may end in a torn tail (a crash mid-append): a cut header or payload, a
//   FIRST/MIDDLE without its LAST at end of file, or damage (bad crc, zeros, garbage) after which
//   no valid record follows. Replay keeps the records before it; validBytes is where they end.
//   The live WAL keeps zeros preallocated past its last record (WAL_RESERVE_BYTES), so after a
//   crash it ends in zeros (zeroTail) even when nothing was lost.
// - A lost page in the last WAL is a torn tail too, whatever follows it: zeros from the damage to
//   the end of its 4 KiB page, or a whole page of zeros inside the damaged record (a power loss
//   wrote a later page of the preallocated space back, not this one; see isLostPage).
// - Anything else bad is corruption and fails the read with the file and byte offset: damage
//   followed by a valid record, a bad record type under a good crc, fragments out of order, any
//   damage in a non-last file. A bad record is never skipped.
// - Batches in a WAL have strictly increasing sequence numbers.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { WalCorruptionError } from './errors.js';
import type { FileSystem, WritableFile } from './file-system.js';

// DO NOT CHANGE: these values are on disk.
export const WAL_BLOCK_BYTES = 32 * 1024;
export const WAL_HEADER_BYTES = 7;
export const RECORD_TYPE = { ZERO: 0, FULL: 1, FIRST: 2, MIDDLE: 3, LAST: 4 } as const;
export const BATCH_OP_KIND = { PUT: 1, DELETE: 2 } as const;
export const WAL_FORMAT_VERSION = 1;
export const WAL_MAGIC = Buffer.from('tskv.wal', 'latin1');
const CRC_MASK_DELTA = 0xa282ead8;
const BATCH_HEADER_BYTES = 12;
/** Bound on one logical record (a batch holds at most a few values of at most 512 MiB). */
export const LOG_RECORD_BYTES_MAX = 1024 * 1024 * 1024;

export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + CRC_MASK_DELTA) >>> 0;
}
export function unmaskCrc(masked: number): number {
  const rotated = (masked - CRC_MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}
const TYPE_CRCS = [0, 1, 2, 3, 4].map((type) => crc32(Buffer.of(type)));

/** The masked crc a physical record's header holds for its type and payload fragment. */
export function recordCrc(type: number, payload: Buffer): number {
  const typeCrc = TYPE_CRCS[type] ?? crc32(Buffer.of(type));
  // Node 20's zlib.crc32 returns 0, not the initial value, for some empty views: skip them
  return maskCrc(payload.length === 0 ? typeCrc : crc32(payload, typeCrc));
}

/** Appends logical records as fragments into a staging buffer; flush() writes it in one append. */
/**
 * Space a WAL keeps preallocated ahead of its appends (WritableFile.reserve): a group commit's
 * fdatasync then writes the records only, not the file's size (125 vs 200 µs for 5 KB here). A
 * new MiB is reserved once less than a quarter of one is left; the fsync after it carries the
 * zeros. A rotated WAL is trimmed to its records, so only the last WAL can end in zeros.
 */
export const WAL_RESERVE_BYTES = 1024 * 1024;

export class LogWriter {
  readonly file: WritableFile;
  #blockOffset: number;
  #staged = Buffer.allocUnsafe(64 * 1024);
  #stagedLength = 0;
  #failure: unknown;
  #reserveBytes = 0; // 0: no preallocation (manifests, a WAL before setReserve)
  #reservedEnd = 0; // appends up to here land in reserved space

  constructor(file: WritableFile) {
    this.file = file;
    this.#blockOffset = file.size() % WAL_BLOCK_BYTES;
  }

  /** From now on, keep about `bytes` preallocated ahead of the appends (see WAL_RESERVE_BYTES). */
  setReserve(bytes: number): void {
    assert.ok(Number.isSafeInteger(bytes) && bytes >= 0, `reserve of ${bytes} bytes`);
    this.#reserveBytes = bytes;
  }

  /** Writes what is staged, then cuts off the reserved zeros (a rotated WAL ends at its last record). */
  trimReserve(): void {
    this.flush();
    this.#reserveBytes = 0;
    try { // the file knows what it reserved, a preallocation that failed half way included
      this.file.trimReserve();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
    this.#reservedEnd = 0;
  }

  addRecord(payload: Buffer): void {
    this.#throwIfFailed();
    if (payload.length > LOG_RECORD_BYTES_MAX) assert.fail(`record of ${payload.length} bytes`);
    let position = 0;
    let isFirst = true;
    do {
      const blockLeft = WAL_BLOCK_BYTES - this.#blockOffset;
      if (blockLeft < WAL_HEADER_BYTES) {
        this.#stage(Buffer.alloc(blockLeft)); // trailer: never start a header in it
        this.#blockOffset = 0;
      }
      const available = WAL_BLOCK_BYTES - this.#blockOffset - WAL_HEADER_BYTES;
      const fragmentLength = Math.min(payload.length - position, available);
      const isLast = position + fragmentLength === payload.length;
      const type = isFirst
        ? isLast
          ? RECORD_TYPE.FULL
          : RECORD_TYPE.FIRST
        : isLast
          ? RECORD_TYPE.LAST
          : RECORD_TYPE.MIDDLE;
      this.#emit(type, payload.subarray(position, position + fragmentLength));
      position += fragmentLength;
      isFirst = false;
    } while (position < payload.length);
  }

  stagedBytes(): number {
    return this.#stagedLength;
  }

  /** Writes everything staged with one append. After a failed append the writer stays failed. */
  flush(): void {
    this.#throwIfFailed();
    if (this.#stagedLength === 0) return;
    try {
      this.file.append(this.#staged.subarray(0, this.#stagedLength));
    } catch (error) {
      this.#failure = error;
      throw error;
    }
    this.#stagedLength = 0;
    if (this.#reserveBytes > 0 && this.#reservedEnd - this.file.size() < this.#reserveBytes / 4) this.#extendReserve();
  }

  /** Preallocates the next #reserveBytes; a failure (a full disk) only ends preallocation. */
  #extendReserve(): void {
    try {
      this.file.reserve(this.#reserveBytes);
      this.#reservedEnd = this.file.size() + this.#reserveBytes;
    } catch {
      this.#reserveBytes = 0; // the appends themselves will say whether the disk is full
    }
  }

  sync(): void {
    this.flush();
    this.file.sync();
  }

  async syncAsync(): Promise<void> {
    this.flush();
    await this.file.syncAsync();
  }

  /** Flushes what is staged (unless failed), without syncing, and closes the file. */
  close(): void {
    try {
      if (this.#failure === undefined) this.flush();
    } finally {
      this.file.close();
    }
  }

  /** Stages the header (written in place) and the fragment. */
  #emit(type: number, fragment: Buffer): void {
    this.#reserve(WAL_HEADER_BYTES + fragment.length);
    const staged = this.#staged;
    const at = this.#stagedLength;
    staged.writeUInt32LE(recordCrc(type, fragment), at);
    staged.writeUInt16LE(fragment.length, at + 4);
    staged[at + 6] = type;
    staged.set(fragment, at + WAL_HEADER_BYTES);
    this.#stagedLength = at + WAL_HEADER_BYTES + fragment.length;
    this.#blockOffset += WAL_HEADER_BYTES + fragment.length;
  }

  #stage(bytes: Buffer): void {
    this.#reserve(bytes.length);
    this.#staged.set(bytes, this.#stagedLength);
    this.#stagedLength += bytes.length;
  }

  #reserve(bytes: number): void {
    const needed = this.#stagedLength + bytes;
    if (needed <= this.#staged.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#staged.length * 2));
    this.#staged.copy(grown, 0, 0, this.#stagedLength);
    this.#staged = grown;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

export interface LogReadResult {
  records: Buffer[];
  offsets: number[]; // file offset of each record's first fragment header
  validBytes: number; // where the good part ends; === file size unless tornTail is set
  tornTail: string | undefined;
  /** The torn tail is zeros from validBytes to the end: reserved space, or appends never synced. */
  zeroTail: boolean;
}

type Physical =
  | { kind: 'record'; type: number; payload: Buffer; end: number }
  // end: after the damaged record, if its length is sane; atEndOfFile: the record is cut by the end
  // of the file (nothing can follow it: its block ends after the file does)
  | { kind: 'damage'; reason: string; end: number | undefined; atEndOfFile: boolean };

/** Parses the physical record at offset (which leaves at least a header's room in its block). */
function readPhysical(data: Buffer, offset: number): Physical {
  const damage = (reason: string, end: number | undefined, atEndOfFile = false): Physical => ({ kind: 'damage', reason, end, atEndOfFile });
  if (data.length - offset < WAL_HEADER_BYTES) return damage('cut header at end of file', undefined, true);
  const storedCrc = data.readUInt32LE(offset);
  const length = data.readUInt16LE(offset + 4);
  const type = data.readUInt8(offset + 6);
  if (storedCrc === 0 && length === 0 && type === RECORD_TYPE.ZERO) return damage('zero-filled header', undefined);
  const blockEnd = (Math.floor(offset / WAL_BLOCK_BYTES) + 1) * WAL_BLOCK_BYTES;
  const end = offset + WAL_HEADER_BYTES + length;
  if (end > blockEnd) return damage(`record length ${length} crosses the block end`, undefined);
  if (end > data.length) return damage('cut payload at end of file', undefined, true);
  const payload = data.subarray(offset + WAL_HEADER_BYTES, end);
  if (recordCrc(type, payload) !== storedCrc) return damage('bad crc', end);
  return { kind: 'record', type, payload, end }; // the type is checked by the caller: under a good crc, a bad one is corruption
}

function isValidAt(data: Buffer, offset: number): boolean {
  const blockLeft = WAL_BLOCK_BYTES - (offset % WAL_BLOCK_BYTES);
  return blockLeft >= WAL_HEADER_BYTES && readPhysical(data, offset).kind === 'record';
}

/**
 * Whether any valid physical record starts after damage at offset: at the end the damaged record
 * claims, at any byte of the rest of its block (its length cannot be trusted), or at any later
 * block start. If none does, the damage is a torn tail (a crash mid-append); otherwise corruption.
 */
function validRecordFollows(data: Buffer, offset: number, claimedEnd: number | undefined): boolean {
  if (claimedEnd !== undefined && isValidAt(data, claimedEnd)) return true;
  const blockEnd = Math.min((Math.floor(offset / WAL_BLOCK_BYTES) + 1) * WAL_BLOCK_BYTES, data.length);
  for (let candidate = offset + 1; candidate + WAL_HEADER_BYTES <= blockEnd; candidate++) {
    const type = data[candidate + 6] ?? 0;
    if (type >= RECORD_TYPE.FULL && type <= RECORD_TYPE.LAST && isValidAt(data, candidate)) return true;
  }
  for (let block = blockEnd; block + WAL_HEADER_BYTES <= data.length; block += WAL_BLOCK_BYTES) {
    if (isValidAt(data, block)) return true;
  }
  return false;
}

/** The page the page cache writes back as a unit; a power loss can keep one and lose an earlier one. */
export const WAL_PAGE_BYTES = 4096;

/**
 * Whether damage at offset is a page the power loss did not write back: zeros from offset to the
 * end of its page, or a whole page of zeros inside the damaged record. The live WAL's space is
 * preallocated zeros, and the page cache writes its pages back in any order, so after a power
 * loss an unsynced page can read as zeros while a later one holds records. Nothing past such a
 * page was acknowledged (an fsync covering a later record covered this page too): the records
 * after it are dropped as a torn tail, and replay keeps a prefix.
 */
function isLostPage(data: Buffer, offset: number, claimedEnd: number | undefined): boolean {
  const pageEnd = Math.min((Math.floor(offset / WAL_PAGE_BYTES) + 1) * WAL_PAGE_BYTES, data.length);
  if (pageEnd - offset >= WAL_HEADER_BYTES && isAllZero(data, offset, pageEnd)) return true;
  const recordEnd = Math.min(claimedEnd ?? offset + WAL_HEADER_BYTES, data.length);
  for (let page = pageEnd; page < recordEnd; page += WAL_PAGE_BYTES) {
    if (isAllZero(data, page, Math.min(page + WAL_PAGE_BYTES, data.length))) return true;
  }
  return false;
}

function isAllZero(data: Buffer, start: number, end: number): boolean {
  for (let index = start; index < end; index++) if (data[index] !== 0) return false;
  return true;
}

/** Reads every logical record of a log file; see the file header for torn tail vs corruption. */
export function readLogRecords(fs: FileSystem, path: string, options: { isLast: boolean }): LogReadResult {
  const data = fs.readAll(path);
  const records: Buffer[] = [];
  const offsets: number[] = [];
  let fragments: Buffer[] | undefined; // inside FIRST .. LAST
  let fragmentsBytes = 0;
  let recordStart = 0; // where the logical record being read began
  let validBytes = 0;
  let offset = 0;
  const fail = (at: number, reason: string): never => {
    throw new WalCorruptionError(path, at, reason);
  };
  // validBytes is the end of the last whole record (trailers after it included), so a torn
  // FIRST .. MIDDLE is dropped with the damage that ends it.
  const tornOrFail = (at: number, physical: Extract<Physical, { kind: 'damage' }>): LogReadResult => {
    if (!options.isLast) fail(at, `${physical.reason} (not the last log file)`);
    if (!physical.atEndOfFile && !isLostPage(data, at, physical.end) && validRecordFollows(data, at, physical.end)) fail(at, `${physical.reason}, followed by valid records`);
    return { records, offsets, validBytes, tornTail: `${physical.reason} at byte ${at}`, zeroTail: isAllZero(data, validBytes, data.length) };
  };
  while (offset < data.length) {
    const blockLeft = WAL_BLOCK_BYTES - (offset % WAL_BLOCK_BYTES);
    if (blockLeft < WAL_HEADER_BYTES) {
      const trailerEnd = Math.min(offset + blockLeft, data.length);
      if (!isAllZero(data, offset, trailerEnd)) return tornOrFail(offset, { kind: 'damage', reason: 'non-zero block trailer', end: undefined, atEndOfFile: false });
      offset = trailerEnd;
      if (fragments === undefined) validBytes = offset;
      continue;
    }
    const physical = readPhysical(data, offset);
    if (physical.kind === 'damage') return tornOrFail(offset, physical);
    const { type, payload } = physical;
    if (type < RECORD_TYPE.FULL || type > RECORD_TYPE.LAST) fail(offset, `bad record type ${type}`);
    if (type === RECORD_TYPE.FULL || type === RECORD_TYPE.FIRST) {
      if (fragments !== undefined) fail(offset, `${type === RECORD_TYPE.FULL ? 'FULL' : 'FIRST'} record inside a fragmented record begun at byte ${recordStart}`);
      recordStart = offset;
      fragments = [];
      fragmentsBytes = 0;
    } else if (fragments === undefined) {
      fail(offset, `${type === RECORD_TYPE.MIDDLE ? 'MIDDLE' : 'LAST'} record without a FIRST`);
    }
    assert.ok(fragments !== undefined);
    fragments.push(payload);
    fragmentsBytes += payload.length;
    if (fragmentsBytes > LOG_RECORD_BYTES_MAX) fail(recordStart, `record over ${LOG_RECORD_BYTES_MAX} bytes`);
    offset = physical.end;
    if (type === RECORD_TYPE.FULL || type === RECORD_TYPE.LAST) {
      records.push(fragments.length === 1 ? payload : Buffer.concat(fragments, fragmentsBytes));
      offsets.push(recordStart);
      fragments = undefined;
      validBytes = offset;
    }
  }
  if (fragments !== undefined) {
    if (!options.isLast) fail(recordStart, 'FIRST/MIDDLE without LAST at end of file (not the last log file)');
    return { records, offsets, validBytes: recordStart, tornTail: `FIRST/MIDDLE without LAST at end of file, begun at byte ${recordStart}`, zeroTail: false };
  }
  return { records, offsets, validBytes, tornTail: undefined, zeroTail: false };
}

// ---------------------------------------------------------------------------------------------
// Write batches

export type WriteOp = { kind: 'put'; key: Buffer; value: Buffer; expireAtMs?: number } | { kind: 'delete'; key: Buffer };
export interface WalBatch {
  firstSeq: number;
  ops: WriteOp[];
}

const TWO_POW_32 = 2 ** 32;
/** A safe integer as a u64 LE (shared with the manifest's encoding). */
export function writeU64(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32LE(value % TWO_POW_32, offset);
  buffer.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}
/** A u64 LE as a number; undefined when >= 2^53. */
export function readU64(buffer: Buffer, offset: number): number | undefined {
  const high = buffer.readUInt32LE(offset + 4);
  return high >= 2 ** 21 ? undefined : high * TWO_POW_32 + buffer.readUInt32LE(offset);
}

export function encodeBatch(firstSeq: number, ops: readonly WriteOp[]): Buffer {
  if (!(Number.isSafeInteger(firstSeq) && firstSeq >= 0)) assert.fail(`firstSeq ${firstSeq}`);
  if (!Number.isSafeInteger(firstSeq + ops.length)) assert.fail(`sequence overflow at ${firstSeq}`);
  let bytes = BATCH_HEADER_BYTES;
  for (const op of ops) bytes += op.kind === 'put' ? 1 + 4 + op.key.length + 4 + op.value.length + 8 : 1 + 4 + op.key.length;
  const payload = Buffer.allocUnsafe(bytes);
  writeU64(payload, firstSeq, 0);
  payload.writeUInt32LE(ops.length, 8);
  let offset = BATCH_HEADER_BYTES;
  for (const op of ops) {
    payload.writeUInt8(op.kind === 'put' ? BATCH_OP_KIND.PUT : BATCH_OP_KIND.DELETE, offset);
    payload.writeUInt32LE(op.key.length, offset + 1);
    offset += 5 + op.key.copy(payload, offset + 5);
    if (op.kind === 'put') {
      const expireAtMs = op.expireAtMs ?? 0;
      if (!(Number.isSafeInteger(expireAtMs) && expireAtMs >= 0)) assert.fail(`expireAtMs ${expireAtMs}`);
      payload.writeUInt32LE(op.value.length, offset);
      offset += 4 + op.value.copy(payload, offset + 4);
      writeU64(payload, expireAtMs, offset);
      offset += 8;
    }
  }
  assert.equal(offset, bytes);
  return payload;
}

/** Decodes a batch payload; keys and values are views into it. Garbage throws WalCorruptionError('batch', offset in payload, ...). */
export function decodeBatch(payload: Buffer): WalBatch {
  const fail = (offset: number, reason: string): never => {
    throw new WalCorruptionError('batch', offset, reason);
  };
  if (payload.length < BATCH_HEADER_BYTES) fail(0, `batch of ${payload.length} bytes is shorter than its header`);
  const firstSeq = readU64(payload, 0) ?? fail(0, 'firstSeq >= 2^53');
  const count = payload.readUInt32LE(8);
  if (count > (payload.length - BATCH_HEADER_BYTES) / 5) fail(8, `op count ${count} does not fit in ${payload.length} bytes`);
  if (!Number.isSafeInteger(firstSeq + count)) fail(0, `sequence overflow: ${firstSeq} + ${count}`);
  const ops: WriteOp[] = [];
  let offset = BATCH_HEADER_BYTES;
  const take = (length: number): Buffer => {
    if (offset + length > payload.length) fail(offset, `${length} bytes needed, ${payload.length - offset} left`);
    const bytes = payload.subarray(offset, offset + length);
    offset += length;
    return bytes;
  };
  for (let index = 0; index < count; index++) {
    const opStart = offset;
    const kind = take(1)[0];
    const key = take(take(4).readUInt32LE(0));
    if (kind === BATCH_OP_KIND.DELETE) {
      ops.push({ kind: 'delete', key });
    } else if (kind === BATCH_OP_KIND.PUT) {
      const value = take(take(4).readUInt32LE(0));
      const expireAtMs = readU64(take(8), 0) ?? fail(offset - 8, 'expireAtMs >= 2^53');
      ops.push(expireAtMs === 0 ? { kind: 'put', key, value } : { kind: 'put', key, value, expireAtMs });
    } else {
      fail(opStart, `bad op kind ${kind}`);
    }
  }
  if (offset !== payload.length) fail(offset, `${payload.length - offset} bytes after the last op`);
  return { firstSeq, ops };
}

function versionRecord(): Buffer {
  const record = Buffer.alloc(WAL_MAGIC.length + 4);
  WAL_MAGIC.copy(record, 0);
  record.writeUInt32LE(WAL_FORMAT_VERSION, WAL_MAGIC.length);
  return record;
}

/** Creates (or truncates) a WAL file and stages its format-version record; nothing is written yet. */
export function createWal(fs: FileSystem, path: string): LogWriter {
  const writer = new LogWriter(fs.create(path));
  writer.addRecord(versionRecord());
  return writer;
}

/**
 * Replays a WAL file. A last file torn before its version record reads as empty (a crash right
 * after creating it); a non-last file must hold one.
 */
export function readWal(fs: FileSystem, path: string, options: { isLast: boolean }): { batches: WalBatch[]; validBytes: number; tornTail: string | undefined; zeroTail: boolean } {
  const { records, offsets, validBytes, tornTail, zeroTail } = readLogRecords(fs, path, options);
  const [version, ...rest] = records;
  if (version === undefined) {
    if (!options.isLast) throw new WalCorruptionError(path, 0, 'no format-version record');
    return { batches: [], validBytes, tornTail, zeroTail };
  }
  const expected = versionRecord();
  if (version.length !== expected.length || !version.subarray(0, WAL_MAGIC.length).equals(WAL_MAGIC)) {
    throw new WalCorruptionError(path, 0, 'the first record is not a tskv WAL format-version record');
  }
  const formatVersion = version.readUInt32LE(WAL_MAGIC.length);
  if (formatVersion !== WAL_FORMAT_VERSION) throw new WalCorruptionError(path, 0, `unsupported WAL format version ${formatVersion}`);
  const batches: WalBatch[] = [];
  let nextSeqMin = 0;
  rest.forEach((payload, index) => {
    const at = offsets[index + 1] ?? 0;
    let batch: WalBatch;
    try {
      batch = decodeBatch(payload);
    } catch (error) {
      if (!(error instanceof WalCorruptionError)) throw error;
      throw new WalCorruptionError(path, at, `bad batch (at byte ${error.offset} of its payload): ${error.reason}`, { cause: error });
    }
    if (batch.firstSeq < nextSeqMin) throw new WalCorruptionError(path, at, `batch firstSeq ${batch.firstSeq} is below ${nextSeqMin}`);
    nextSeqMin = batch.firstSeq + batch.ops.length;
    batches.push(batch);
  });
  return { batches, validBytes, tornTail, zeroTail };
}
