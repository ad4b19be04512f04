// storage/wal-cursor.ts: reads the engine's write batches in sequence order from a given sequence
// number on, for a replica: from the WAL files (wal-archive.ts names them) while it is behind,
// from the in-memory tail (wal-tail.ts) once it has caught up. Only durable batches (at or below
// the engine's durable sequence number) are returned, so no replica is ever ahead of what the
// primary would recover after a crash.
// Files are read with LogStreamReader: positional reads of READ_CHUNK_BYTES, records parsed as
// wal.ts lays them out (32 KiB blocks, FULL / FIRST MIDDLE* LAST fragments, masked crcs).
// Invariants:
// - Batches come out contiguous: each one's firstSeq is the previous one's lastSeq + 1, the first
//   one's is the cursor's start. A file that does not continue the sequence (the one holding it
//   was trimmed) ends the cursor with WalGoneError; so does a start the files no longer hold.
// - A file is read up to where its writer has got: the reserved zeros of the WAL taking writes,
//   or its end, read as "nothing more yet". A file with a newer one after it is complete (its
//   writer trimmed and synced it before the newer one took writes): its end moves the cursor on.
// - A bad crc is a WalCorruptionError naming the file and offset (never skipped).
// - The cursor holds at most one file open, and at most one chunk of it in memory plus the
//   records it returns (bounded by the caller's bytesMax, past one record).
import { WalCorruptionError, WalGoneError } from './errors.js';
import type { FileSystem, ReadableFile } from './file-system.js';
import type { WalBatchRecord, WalTail } from './wal-tail.js';
import { readU64, recordCrc, RECORD_TYPE, WAL_BLOCK_BYTES, WAL_HEADER_BYTES, WAL_MAGIC } from './wal.js';

/** Bytes read from a WAL file per positional read (a multiple of the block size). */
export const READ_CHUNK_BYTES = 8 * WAL_BLOCK_BYTES;
const EMPTY = Buffer.alloc(0);
const BATCH_HEADER_BYTES = 12;

/** One logical record of a log file, whole, and where the next one starts. */
export interface StreamedRecord {
  payload: Buffer;
  start: number;
  end: number;
}

/**
 * The logical records of a log file that may still grow, read forward from an offset. next()
 * returns undefined where the file ends for now (end of file, a cut record, zeros) and reads
 * again from that record the next time.
 */
export class LogStreamReader {
  private buffer: Buffer = EMPTY;
  private bufferStart = 0; // file offset of buffer[0]

  constructor(
    private readonly file: ReadableFile,
    public offset = 0,
  ) {}

  next(): StreamedRecord | undefined {
    let position = this.offset;
    let fragments: Buffer[] | undefined;
    const start = position;
    for (;;) {
      const blockLeft = WAL_BLOCK_BYTES - (position % WAL_BLOCK_BYTES);
      if (blockLeft < WAL_HEADER_BYTES) {
        position += blockLeft; // the block's trailer
        continue;
      }
      const header = this.bytes(position, WAL_HEADER_BYTES);
      if (header === undefined) return undefined;
      const storedCrc = header.readUInt32LE(0);
      const length = header.readUInt16LE(4);
      const type = header[6]!;
      if (storedCrc === 0 && length === 0 && type === RECORD_TYPE.ZERO) return undefined; // reserved space: nothing more yet
      if (length > blockLeft - WAL_HEADER_BYTES) throw this.corrupt(position, `record length ${length} crosses the block end`);
      const payload = this.bytes(position + WAL_HEADER_BYTES, length);
      if (payload === undefined) return undefined;
      if (recordCrc(type, payload) !== storedCrc) throw this.corrupt(position, 'bad crc');
      position += WAL_HEADER_BYTES + length;
      if (type === RECORD_TYPE.FULL) {
        if (fragments !== undefined) throw this.corrupt(position, 'FULL record inside a fragmented record');
        this.offset = position;
        return { payload, start, end: position };
      }
      if (type === RECORD_TYPE.FIRST) {
        if (fragments !== undefined) throw this.corrupt(position, 'FIRST record inside a fragmented record');
        fragments = [payload];
      } else if (type === RECORD_TYPE.MIDDLE || type === RECORD_TYPE.LAST) {
        if (fragments === undefined) throw this.corrupt(position, 'MIDDLE or LAST record without a FIRST');
        fragments.push(payload);
        if (type === RECORD_TYPE.LAST) {
          this.offset = position;
          return { payload: Buffer.concat(fragments), start, end: position };
        }
      } else {
        throw this.corrupt(position, `bad record type ${type}`);
      }
    }
  }

  close(): void {
    this.buffer = EMPTY;
    this.file.close();
  }

  /** length bytes at position, or undefined when the file does not hold them (yet). */
  private bytes(position: number, length: number): Buffer | undefined {
    const offset = position - this.bufferStart;
    if (offset >= 0 && offset + length <= this.buffer.length) return this.buffer.subarray(offset, offset + length);
    // a fresh buffer each read: records returned earlier may still be views of the old one
    this.buffer = this.file.read(position, Math.max(length, READ_CHUNK_BYTES));
    this.bufferStart = position;
    return this.buffer.length >= length ? this.buffer.subarray(0, length) : undefined;
  }

  private corrupt(offset: number, reason: string): WalCorruptionError {
    return new WalCorruptionError(this.file.path, offset, reason);
  }
}

/** The WAL files as a cursor sees them (wal-archive.ts). */
export interface WalCursorSource {
  readonly fs: FileSystem;
  readonly tail: WalTail;
  /** The highest sequence number whose batch is on disk (the engine's durableSequence). */
  durableSeq(): number;
  /** The WAL file that holds seq (the newest one starting at or before it), or undefined when none does any more. */
  fileHolding(seq: number): { number: number; path: string } | undefined;
  /** The WAL file after number, or undefined when number is the newest one. */
  fileAfter(number: number): { number: number; path: string } | undefined;
}

interface OpenFile {
  number: number;
  path: string;
  reader: LogStreamReader;
}

/** The first sequence number and the op count in a batch payload (wal.ts encodeBatch). */
export function batchSeqs(payload: Buffer, path: string, offset: number): { firstSeq: number; lastSeq: number } {
  if (payload.length < BATCH_HEADER_BYTES) throw new WalCorruptionError(path, offset, `batch of ${payload.length} bytes`);
  const firstSeq = readU64(payload, 0);
  const count = payload.readUInt32LE(8);
  if (firstSeq === undefined || count === 0) throw new WalCorruptionError(path, offset, 'bad batch header');
  return { firstSeq, lastSeq: firstSeq + count - 1 };
}

export class WalCursor {
  private file: OpenFile | undefined;
  private pending: WalBatchRecord | undefined; // read from the file, not yet durable
  private closed = false;

  /** Reads from nextSeq on (a batch's first sequence number, or the one after the newest). */
  constructor(
    private readonly source: WalCursorSource,
    public nextSeq: number,
  ) {
    if (!source.tail.holds(nextSeq)) this.openFileHolding(nextSeq); // throws WalGoneError
  }

  /**
   * Durable batches from nextSeq on, at most bytesMax payload bytes (at least one batch when one is
   * durable); [] when there is none yet. Throws WalGoneError or WalCorruptionError: the cursor is
   * then useless.
   */
  read(bytesMax: number): WalBatchRecord[] {
    if (this.closed) throw new Error('read of a closed WAL cursor');
    const durable = this.source.durableSeq();
    const batches: WalBatchRecord[] = [];
    let bytes = 0;
    while (this.nextSeq <= durable && (batches.length === 0 || bytes < bytesMax)) {
      const { tail } = this.source;
      if (tail.holds(this.nextSeq)) {
        this.closeFile();
        for (const batch of tail.read(this.nextSeq, durable, bytesMax - bytes)) {
          if (batches.length > 0 && bytes + batch.payload.length > bytesMax) break;
          batches.push(batch);
          bytes += batch.payload.length;
          this.nextSeq = batch.lastSeq + 1;
        }
        break;
      }
      const batch = this.pending ?? this.nextFromFiles();
      this.pending = undefined;
      if (batch === undefined) break;
      if (batch.lastSeq > durable) {
        this.pending = batch;
        break;
      }
      batches.push(batch);
      bytes += batch.payload.length;
      this.nextSeq = batch.lastSeq + 1;
    }
    return batches;
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    this.closeFile();
  }

  /** The next batch at or after nextSeq from the files; undefined when the newest file has nothing more yet. */
  private nextFromFiles(): WalBatchRecord | undefined {
    if (this.file === undefined) this.openFileHolding(this.nextSeq);
    for (;;) {
      const file = this.file!;
      const record = file.reader.next();
      if (record === undefined) {
        const after = this.source.fileAfter(file.number);
        if (after === undefined) return undefined; // the WAL taking writes: nothing more yet
        this.closeFile();
        this.file = this.openFile(after.number, after.path);
        continue;
      }
      if (record.start === 0) {
        checkFormatRecord(record.payload, file.path);
        continue;
      }
      const { firstSeq, lastSeq } = batchSeqs(record.payload, file.path, record.start);
      if (lastSeq < this.nextSeq) continue; // before the start, in the first file read
      if (firstSeq !== this.nextSeq) throw new WalGoneError(this.nextSeq, `the next WAL batch found starts at ${firstSeq}`);
      return { firstSeq, lastSeq, payload: record.payload };
    }
  }

  private openFileHolding(seq: number): void {
    const holding = this.source.fileHolding(seq);
    if (holding === undefined) throw new WalGoneError(seq, 'no retained WAL file holds it');
    this.file = this.openFile(holding.number, holding.path);
  }

  private openFile(number: number, path: string): OpenFile {
    let file: ReadableFile;
    try {
      file = this.source.fs.openRead(path);
    } catch (error) {
      throw new WalGoneError(this.nextSeq, `WAL ${path} is gone`, { cause: error });
    }
    return { number, path, reader: new LogStreamReader(file) };
  }

  private closeFile(): void {
    const file = this.file;
    this.file = undefined;
    if (file === undefined) return;
    try {
      file.reader.close();
    } catch {
      // the handle died with a simulated crash: nothing to release
    }
  }
}

function checkFormatRecord(payload: Buffer, path: string): void {
  if (payload.length !== WAL_MAGIC.length + 4 || !payload.subarray(0, WAL_MAGIC.length).equals(WAL_MAGIC)) {
    throw new WalCorruptionError(path, 0, 'the first record is not a tskv WAL format-version record');
  }
}
