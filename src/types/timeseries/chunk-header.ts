// src/types/timeseries/chunk-header.ts: the fixed header that opens every chunk, so that
// aggregations can answer a whole chunk, and range scans skip one, without decoding it.
// Little-endian:
//   offset  bytes  field
//   0       1      format version: CHUNK_FORMAT_VERSION (1)
//   1       1      encoding: 1 = uncompressed, 2 = compressed (CHUNK_ENCODING_CODES)
//   2       2      reserved, 0
//   4       4      sample count n, >= 1
//   8       4      NaN count: samples whose value is a NaN, <= n
//   12      4      stream bits: compressed, the Gorilla stream's length in bits; uncompressed, 0
//   16      8      first timestamp (u64, < 2^53)
//   24      8      last timestamp (u64, < 2^53; = first when n = 1, else greater)
//   32      8      first value (f64, bit-exact)
//   40      8      last value (f64, bit-exact)
//   48      8      min: smallest non-NaN value (f64; NaN when all n values are NaN)
//   56      8      max: largest non-NaN value (f64; NaN when all n values are NaN)
//   64      8      sum of the non-NaN values, added in sample order from 0 (f64)
//   72      8      sum of their squares (value * value), likewise (f64)
//   80      ..     payload: uncompressed, n samples of 16 bytes (timestamp u64, value f64),
//                  RedisTimeSeries's Sample array; compressed, samples 2..n as the Gorilla
//                  stream (gorilla-stream.ts) in ceil(stream bits / 8) bytes, unused bits 0.
// NaN: RedisTimeSeries's aggregators (src/compaction.c, 1.12) treat NaN unevenly: min and max
// compare with < and >, so they skip NaN (starting from DBL_MAX / -DBL_MAX); sum, avg, var and
// std add it, so one NaN makes them NaN; count counts it; first and last take it. The header
// keeps min, max, sum and sum of squares over the non-NaN values plus the NaN count, so a caller
// can give either answer: RedisTimeSeries's sum is `nanCount > 0 ? NaN : sum`. min and max keep
// the first of equal values in sample order (-0 before 0 stays -0), as a sequential < / > does.
// Invariants: readChunkHeader is O(1) and checks every field it can without the payload (the
// byte length agrees with the count or the stream bits; a stream of n - 1 samples has between
// 2(n - 1) and 147(n - 1) bits; the payload is at most CHUNK_PAYLOAD_BYTES_MAX), so a decoder
// sized from the header allocates at most 64 bytes per payload byte and stays within the buffer.
import { ChunkCorruptError } from './chunk-corrupt-error.js';
import { STREAM_SAMPLE_BITS_MAX } from './gorilla-stream.js';

export const CHUNK_FORMAT_VERSION = 1;
export const CHUNK_HEADER_BYTES = 80;
/** Bytes after the header, at most: far above RedisTimeSeries's CHUNK_SIZE cap of 1 MiB. */
export const CHUNK_PAYLOAD_BYTES_MAX = 16 * 1024 * 1024;
export const UNCOMPRESSED_SAMPLE_BYTES = 16;
export const CHUNK_ENCODING_CODES = { uncompressed: 1, compressed: 2 } as const;
export const CHUNK_HEADER_OFFSETS = {
  version: 0,
  encoding: 1,
  reserved: 2,
  count: 4,
  nanCount: 8,
  streamBits: 12,
  firstTimestamp: 16,
  lastTimestamp: 24,
  firstValue: 32,
  lastValue: 40,
  min: 48,
  max: 56,
  sum: 64,
  sumOfSquares: 72,
} as const;

export type ChunkEncoding = keyof typeof CHUNK_ENCODING_CODES;

export interface ChunkHeader {
  encoding: ChunkEncoding;
  /** Samples in the chunk, >= 1. */
  count: number;
  /** Samples whose value is a NaN. */
  nanCount: number;
  firstTimestamp: number;
  lastTimestamp: number;
  firstValue: number;
  lastValue: number;
  /** Over the non-NaN values; NaN when there are none. */
  min: number;
  max: number;
  /** Over the non-NaN values, in sample order from 0; 0 when there are none. */
  sum: number;
  sumOfSquares: number;
  /** The whole chunk: header and payload. */
  byteLength: number;
  /** Compressed: the Gorilla stream's length in bits; uncompressed: 0. */
  streamBits: number;
}

const TWO_POW_32 = 4294967296;
const TIMESTAMP_HIGH_LIMIT = 2 ** 21; // a u64 whose high word is below this is < 2^53

function readTimestamp(view: DataView, offset: number): number {
  const high = view.getUint32(offset + 4, true);
  if (high >= TIMESTAMP_HIGH_LIMIT) throw new ChunkCorruptError(offset, `timestamp ${view.getBigUint64(offset, true)} is not below 2^53`);
  return high * TWO_POW_32 + view.getUint32(offset, true);
}

/** The header of a chunk, checked; throws ChunkCorruptError. */
export function readChunkHeader(chunk: Uint8Array): ChunkHeader {
  const o = CHUNK_HEADER_OFFSETS;
  if (chunk.length < CHUNK_HEADER_BYTES) throw new ChunkCorruptError(chunk.length, `${chunk.length} bytes is shorter than the ${CHUNK_HEADER_BYTES}-byte header`);
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const version = view.getUint8(o.version);
  if (version !== CHUNK_FORMAT_VERSION) throw new ChunkCorruptError(o.version, `unknown format version ${version}`);
  const code = view.getUint8(o.encoding);
  let encoding: ChunkEncoding;
  if (code === CHUNK_ENCODING_CODES.compressed) encoding = 'compressed';
  else if (code === CHUNK_ENCODING_CODES.uncompressed) encoding = 'uncompressed';
  else throw new ChunkCorruptError(o.encoding, `unknown encoding ${code}`);
  if (view.getUint16(o.reserved, true) !== 0) throw new ChunkCorruptError(o.reserved, 'reserved bytes are not 0');
  const count = view.getUint32(o.count, true);
  if (count === 0) throw new ChunkCorruptError(o.count, 'sample count is 0');
  const nanCount = view.getUint32(o.nanCount, true);
  if (nanCount > count) throw new ChunkCorruptError(o.nanCount, `NaN count ${nanCount} exceeds sample count ${count}`);
  const streamBits = view.getUint32(o.streamBits, true);
  const payloadBytes = chunk.length - CHUNK_HEADER_BYTES;
  if (payloadBytes > CHUNK_PAYLOAD_BYTES_MAX) throw new ChunkCorruptError(CHUNK_HEADER_BYTES + CHUNK_PAYLOAD_BYTES_MAX, `${payloadBytes} payload bytes exceed ${CHUNK_PAYLOAD_BYTES_MAX}`);
  if (encoding === 'uncompressed') {
    if (streamBits !== 0) throw new ChunkCorruptError(o.streamBits, `uncompressed chunk has stream bits ${streamBits}`);
    if (payloadBytes !== count * UNCOMPRESSED_SAMPLE_BYTES) throw new ChunkCorruptError(Math.min(chunk.length, CHUNK_HEADER_BYTES + count * UNCOMPRESSED_SAMPLE_BYTES), `${payloadBytes} payload bytes for ${count} samples of ${UNCOMPRESSED_SAMPLE_BYTES}`);
  } else {
    if (streamBits < 2 * (count - 1) || streamBits > STREAM_SAMPLE_BITS_MAX * (count - 1)) throw new ChunkCorruptError(o.streamBits, `stream of ${streamBits} bits cannot hold ${count - 1} samples`);
    const streamBytes = Math.ceil(streamBits / 8);
    if (payloadBytes !== streamBytes) throw new ChunkCorruptError(Math.min(chunk.length, CHUNK_HEADER_BYTES + streamBytes), `${payloadBytes} payload bytes for a stream of ${streamBits} bits`);
  }
  const firstTimestamp = readTimestamp(view, o.firstTimestamp);
  const lastTimestamp = readTimestamp(view, o.lastTimestamp);
  if (count === 1 ? lastTimestamp !== firstTimestamp : lastTimestamp - firstTimestamp < count - 1) {
    throw new ChunkCorruptError(o.lastTimestamp, `timestamps ${firstTimestamp}..${lastTimestamp} cannot hold ${count} increasing samples`);
  }
  const min = view.getFloat64(o.min, true);
  const max = view.getFloat64(o.max, true);
  if (nanCount === count ? !(Number.isNaN(min) && Number.isNaN(max)) : !(min <= max)) {
    throw new ChunkCorruptError(o.min, `min ${min} and max ${max} disagree with ${nanCount} NaN of ${count}`);
  }
  return {
    encoding,
    count,
    nanCount,
    firstTimestamp,
    lastTimestamp,
    firstValue: view.getFloat64(o.firstValue, true),
    lastValue: view.getFloat64(o.lastValue, true),
    min,
    max,
    sum: view.getFloat64(o.sum, true),
    sumOfSquares: view.getFloat64(o.sumOfSquares, true),
    byteLength: chunk.length,
    streamBits,
  };
}

/** Running header fields of a chunk being encoded; the encoder owns one. */
export class ChunkStatistics {
  count = 0;
  nanCount = 0;
  firstTimestamp = 0;
  lastTimestamp = 0;
  firstLo = 0;
  firstHi = 0;
  lastLo = 0;
  lastHi = 0;
  min = Number.NaN;
  max = Number.NaN;
  sum = 0;
  sumOfSquares = 0;

  reset(): void {
    this.count = 0;
    this.nanCount = 0;
    this.min = Number.NaN;
    this.max = Number.NaN;
    this.sum = 0;
    this.sumOfSquares = 0;
  }

  add(ts: number, value: number, lo: number, hi: number): void {
    if (this.count === 0) {
      this.firstTimestamp = ts;
      this.firstLo = lo;
      this.firstHi = hi;
    }
    this.count++;
    this.lastTimestamp = ts;
    this.lastLo = lo;
    this.lastHi = hi;
    if (value !== value) {
      this.nanCount++;
      return;
    }
    if (this.count - this.nanCount === 1) {
      this.min = value;
      this.max = value;
    } else {
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
    }
    this.sum += value;
    this.sumOfSquares += value * value;
  }

  /** Writes the header for these statistics at the start of target. */
  writeHeader(target: Uint8Array, encoding: ChunkEncoding, streamBits: number): void {
    const o = CHUNK_HEADER_OFFSETS;
    const view = new DataView(target.buffer, target.byteOffset, CHUNK_HEADER_BYTES);
    view.setUint8(o.version, CHUNK_FORMAT_VERSION);
    view.setUint8(o.encoding, CHUNK_ENCODING_CODES[encoding]);
    view.setUint16(o.reserved, 0, true);
    view.setUint32(o.count, this.count, true);
    view.setUint32(o.nanCount, this.nanCount, true);
    view.setUint32(o.streamBits, streamBits, true);
    writeTimestamp(view, o.firstTimestamp, this.firstTimestamp);
    writeTimestamp(view, o.lastTimestamp, this.lastTimestamp);
    view.setUint32(o.firstValue, this.firstLo, true);
    view.setUint32(o.firstValue + 4, this.firstHi, true);
    view.setUint32(o.lastValue, this.lastLo, true);
    view.setUint32(o.lastValue + 4, this.lastHi, true);
    view.setFloat64(o.min, this.min, true);
    view.setFloat64(o.max, this.max, true);
    view.setFloat64(o.sum, this.sum, true);
    view.setFloat64(o.sumOfSquares, this.sumOfSquares, true);
  }
}

function writeTimestamp(view: DataView, offset: number, ts: number): void {
  const high = Math.floor(ts / TWO_POW_32);
  view.setUint32(offset, ts - high * TWO_POW_32, true);
  view.setUint32(offset + 4, high, true);
}
