// src/types/timeseries/chunk-codec.ts: chunks, the immutable values the series storage writes
// into the engine. A chunk holds a run of samples of one series, timestamps strictly increasing,
// as RedisTimeSeries's ENCODING COMPRESSED (Gorilla, gorilla-stream.ts) or UNCOMPRESSED (16
// bytes a sample), behind a fixed 80-byte header (chunk-header.ts) that answers count, first and
// last timestamp and value, min, max, sum, sum of squares and NaN count in O(1).
//
//   encodeChunk(samples: readonly Sample[], encoding: ChunkEncoding): Buffer
//   encodeChunkColumns(timestamps: ArrayLike<number>, values: Float64Array,
//                      encoding: ChunkEncoding, start = 0, end = timestamps.length): Buffer
//   class ChunkEncoder(encoding): append(ts, value): void
//                                 tryAppend(ts, value, payloadBytesMax): boolean
//                                 appendColumns(timestamps, values, start?, end?): void
//                                 count, lastTimestamp, payloadByteLength, byteLength
//                                 finish(): Buffer (and the encoder is empty again)
//   readChunkHeader(chunk: Uint8Array): ChunkHeader                           (O(1), checked)
//   decodeChunk(chunk: Uint8Array): { timestamps: Float64Array; values: Float64Array }
//   decodeChunkInto(chunk, timestamps: Float64Array, values: Float64Array, index = 0): number
//   verifyChunk(chunk: Uint8Array): ChunkHeader            (decodes; checks the header's sums)
//   sampleIndexAtOrAfter(timestamps, ts, count?) / sampleIndexAfter(timestamps, ts, count?)
//   class ChunkCursor(chunk, { from?, to?, reverse? }): next(): boolean; timestamp; value
//   chunkSamples(chunk, { from?, to?, reverse? }): IterableIterator<Sample>
//
// Invariants:
// - Timestamps are integers in [0, 2^53 - 1]; values are any doubles, kept bit for bit (NaN
//   payloads, -0, infinities, subnormals): bits travel as two 32-bit halves, never through
//   arithmetic. Passing unsorted or non-integer timestamps is a programmer error (assert).
// - payloadBytesMax bounds the bytes after the header, what RedisTimeSeries's CHUNK_SIZE bounds:
//   an uncompressed chunk of CHUNK_SIZE 4096 holds 256 samples, a compressed one the same samples
//   a RedisTimeSeries chunk fed by appends holds (its bit stream is the same). A chunk's first
//   sample is always accepted; no chunk exceeds CHUNK_PAYLOAD_BYTES_MAX.
// - Decoding checks the header, then every step of the stream (timestamps increase, the stream
//   ends exactly at its recorded length, last timestamp and value match the header) and throws
//   ChunkCorruptError otherwise; it never reads outside the chunk or loops past the count. The
//   header's statistics are trusted (the engine's blocks are CRC'd); verifyChunk recomputes them.
// - Decoding allocates per chunk, never per sample; compressed chunks decode from their start, so
//   a cursor decodes the whole chunk and then seeks and walks either way.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { ChunkCorruptError } from './chunk-corrupt-error.js';
import {
  CHUNK_HEADER_BYTES,
  CHUNK_HEADER_OFFSETS,
  CHUNK_PAYLOAD_BYTES_MAX,
  ChunkStatistics,
  readChunkHeader,
  UNCOMPRESSED_SAMPLE_BYTES,
  type ChunkEncoding,
  type ChunkHeader,
} from './chunk-header.js';
import { decodeGorillaStream, DECODE_PADDING_WORDS, GorillaWriter } from './gorilla-stream.js';

export { ChunkCorruptError } from './chunk-corrupt-error.js';
export { CHUNK_HEADER_BYTES, CHUNK_PAYLOAD_BYTES_MAX, readChunkHeader, type ChunkEncoding, type ChunkHeader } from './chunk-header.js';

assert.equal(os.endianness(), 'LE', 'the chunk codec reads and writes little-endian 32-bit words');

export interface Sample {
  ts: number;
  value: number;
}

export interface DecodedChunk {
  timestamps: Float64Array;
  values: Float64Array;
}

export interface ChunkRange {
  /** Smallest timestamp to visit (default 0). */
  from?: number;
  /** Largest timestamp to visit (default: no bound). */
  to?: number;
  /** Walk from the newest sample to the oldest. */
  reverse?: boolean;
}

const valueScratch = new Float64Array(1);
const valueScratch32 = new Uint32Array(valueScratch.buffer);
const TWO_POW_32 = 4294967296;

export class ChunkEncoder {
  readonly encoding: ChunkEncoding;
  private readonly statistics = new ChunkStatistics();
  /** Compressed: samples 2..n. */
  private readonly stream: GorillaWriter | undefined;
  /** Uncompressed: the samples, four words each: timestamp low, high, value low, high. */
  private words: Uint32Array;

  constructor(encoding: ChunkEncoding) {
    this.encoding = encoding;
    this.stream = encoding === 'compressed' ? new GorillaWriter() : undefined;
    this.words = new Uint32Array(encoding === 'compressed' ? 0 : 256);
  }

  get count(): number {
    return this.statistics.count;
  }

  /** The last appended timestamp; -1 while empty. */
  get lastTimestamp(): number {
    return this.statistics.count === 0 ? -1 : this.statistics.lastTimestamp;
  }

  /** Bytes after the header so far (0 while empty): what payloadBytesMax bounds. */
  get payloadByteLength(): number {
    if (this.stream === undefined) return this.statistics.count * UNCOMPRESSED_SAMPLE_BYTES;
    return this.statistics.count === 0 ? 0 : (this.stream.bitCount + 7) >>> 3;
  }

  /** The length finish() would return now (CHUNK_HEADER_BYTES while empty). */
  get byteLength(): number {
    return CHUNK_HEADER_BYTES + this.payloadByteLength;
  }

  /** Appends a sample; asserts that the chunk stays within CHUNK_PAYLOAD_BYTES_MAX. */
  append(ts: number, value: number): void {
    valueScratch[0] = value;
    const appended = this.add(ts, value, valueScratch32[0] as number, valueScratch32[1] as number, CHUNK_PAYLOAD_BYTES_MAX);
    assert.ok(appended, `a chunk holds at most ${CHUNK_PAYLOAD_BYTES_MAX} payload bytes`);
  }

  /**
   * Appends a sample if the payload stays within payloadBytesMax bytes (the first sample of a
   * chunk always fits); returns false, changing nothing, otherwise.
   */
  tryAppend(ts: number, value: number, payloadBytesMax: number): boolean {
    valueScratch[0] = value;
    return this.add(ts, value, valueScratch32[0] as number, valueScratch32[1] as number, Math.min(payloadBytesMax, CHUNK_PAYLOAD_BYTES_MAX));
  }

  /** Appends timestamps[i], values[i] for i in [start, end), values' bits taken as they are. */
  appendColumns(timestamps: ArrayLike<number>, values: Float64Array, start = 0, end = timestamps.length): void {
    assert.ok(start >= 0 && end <= timestamps.length && end <= values.length && start <= end, `columns [${start}, ${end}) out of range`);
    const values32 = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let index = start; index < end; index++) {
      const appended = this.add(timestamps[index] as number, values[index] as number, values32[2 * index] as number, values32[2 * index + 1] as number, CHUNK_PAYLOAD_BYTES_MAX);
      assert.ok(appended, `a chunk holds at most ${CHUNK_PAYLOAD_BYTES_MAX} payload bytes`);
    }
  }

  /**
   * The chunk of the samples appended since the last finish(), in a Buffer of its own (not a
   * slice of Node's pool, so keeping it keeps nothing else alive); the encoder is empty again.
   */
  finish(): Buffer {
    const statistics = this.statistics;
    assert.ok(statistics.count > 0, 'a chunk holds at least one sample');
    const payloadBytes = this.payloadByteLength;
    const chunk = Buffer.allocUnsafeSlow(CHUNK_HEADER_BYTES + payloadBytes);
    if (this.stream !== undefined) {
      statistics.writeHeader(chunk, 'compressed', this.stream.bitCount);
      this.stream.copyTo(chunk, CHUNK_HEADER_BYTES);
    } else {
      statistics.writeHeader(chunk, 'uncompressed', 0);
      chunk.set(new Uint8Array(this.words.buffer, 0, payloadBytes), CHUNK_HEADER_BYTES);
    }
    statistics.reset();
    return chunk;
  }

  private add(ts: number, value: number, lo: number, hi: number, payloadBytesMax: number): boolean {
    const statistics = this.statistics;
    const count = statistics.count;
    if (!(Number.isSafeInteger(ts) && ts >= 0 && (count === 0 || ts > statistics.lastTimestamp))) {
      assert.fail(`sample timestamp ${ts} is not an integer in [0, 2^53) after ${count === 0 ? 'none' : statistics.lastTimestamp}`);
    }
    if (this.stream !== undefined) {
      if (count === 0) this.stream.start(ts, lo, hi);
      else if (!this.stream.tryAppend(ts, lo, hi, payloadBytesMax * 8)) return false;
    } else {
      if (count > 0 && (count + 1) * UNCOMPRESSED_SAMPLE_BYTES > payloadBytesMax) return false;
      if (this.words.length < (count + 1) * 4) {
        const words = new Uint32Array(this.words.length * 2);
        words.set(this.words);
        this.words = words;
      }
      const high = Math.floor(ts / TWO_POW_32);
      this.words[4 * count] = ts - high * TWO_POW_32;
      this.words[4 * count + 1] = high;
      this.words[4 * count + 2] = lo;
      this.words[4 * count + 3] = hi;
    }
    statistics.add(ts, value, lo, hi);
    return true;
  }
}

export function encodeChunk(samples: readonly Sample[], encoding: ChunkEncoding): Buffer {
  const encoder = new ChunkEncoder(encoding);
  for (const sample of samples) encoder.append(sample.ts, sample.value);
  return encoder.finish();
}

export function encodeChunkColumns(timestamps: ArrayLike<number>, values: Float64Array, encoding: ChunkEncoding, start = 0, end = timestamps.length): Buffer {
  const encoder = new ChunkEncoder(encoding);
  encoder.appendColumns(timestamps, values, start, end);
  return encoder.finish();
}

let scratchWords = new Uint32Array(2048);
let scratchBytes = new Uint8Array(scratchWords.buffer);

/** The payload as aligned 32-bit words followed by DECODE_PADDING_WORDS zero words. */
function payloadWords(chunk: Uint8Array): Uint32Array {
  const payloadBytes = chunk.length - CHUNK_HEADER_BYTES;
  const wordCount = ((payloadBytes + 3) >>> 2) + DECODE_PADDING_WORDS;
  if (scratchWords.length < wordCount) {
    scratchWords = new Uint32Array(Math.max(wordCount, scratchWords.length * 2));
    scratchBytes = new Uint8Array(scratchWords.buffer);
  }
  scratchBytes.set(chunk.subarray(CHUNK_HEADER_BYTES), 0);
  scratchBytes.fill(0, payloadBytes, wordCount * 4);
  return scratchWords;
}

function readUint32(chunk: Uint8Array, offset: number): number {
  return ((chunk[offset] as number) | ((chunk[offset + 1] as number) << 8) | ((chunk[offset + 2] as number) << 16) | ((chunk[offset + 3] as number) << 24)) >>> 0;
}

/**
 * Decodes a chunk's samples into timestamps[index ..] and values[index ..] (both must have room
 * for them) and returns their count; throws ChunkCorruptError.
 */
export function decodeChunkInto(chunk: Uint8Array, timestamps: Float64Array, values: Float64Array, index = 0): number {
  const header = readChunkHeader(chunk);
  const count = header.count;
  assert.ok(index >= 0 && index + count <= timestamps.length && index + count <= values.length, `no room for ${count} samples at ${index}`);
  const values32 = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const words = payloadWords(chunk);
  const o = CHUNK_HEADER_OFFSETS;
  const last = index + count - 1;
  if (header.encoding === 'compressed') {
    const first = { ts: header.firstTimestamp, lo: readUint32(chunk, o.firstValue), hi: readUint32(chunk, o.firstValue + 4) };
    const bits = header.streamBits;
    const position = decodeGorillaStream(words, bits, count, first, timestamps, values32, index, CHUNK_HEADER_BYTES);
    if (position !== bits) throw new ChunkCorruptError(CHUNK_HEADER_BYTES + (position >>> 3), `stream of ${bits} bits ends at bit ${position} after ${count} samples`);
    if ((bits & 7) !== 0 && (chunk[chunk.length - 1] as number) >>> (bits & 7) !== 0) throw new ChunkCorruptError(chunk.length - 1, 'bits after the stream are not 0');
  } else {
    let previous = -1;
    for (let sample = 0; sample < count; sample++) {
      const high = words[4 * sample + 1] as number;
      const ts = high * TWO_POW_32 + (words[4 * sample] as number);
      if (high >= 2 ** 21 || ts <= previous) throw new ChunkCorruptError(CHUNK_HEADER_BYTES + sample * UNCOMPRESSED_SAMPLE_BYTES, `timestamp ${ts} of sample ${sample + 1} does not increase below 2^53`);
      previous = ts;
      timestamps[index + sample] = ts;
      values32[2 * (index + sample)] = words[4 * sample + 2] as number;
      values32[2 * (index + sample) + 1] = words[4 * sample + 3] as number;
    }
    if (timestamps[index] !== header.firstTimestamp || values32[2 * index] !== readUint32(chunk, o.firstValue) || values32[2 * index + 1] !== readUint32(chunk, o.firstValue + 4)) {
      throw new ChunkCorruptError(CHUNK_HEADER_BYTES, 'first sample differs from the header');
    }
  }
  if (timestamps[last] !== header.lastTimestamp) throw new ChunkCorruptError(o.lastTimestamp, `last timestamp ${timestamps[last]} differs from the header's ${header.lastTimestamp}`);
  if (values32[2 * last] !== readUint32(chunk, o.lastValue) || values32[2 * last + 1] !== readUint32(chunk, o.lastValue + 4)) {
    throw new ChunkCorruptError(o.lastValue, 'last value differs from the header');
  }
  return count;
}

export function decodeChunk(chunk: Uint8Array): DecodedChunk {
  const count = readChunkHeader(chunk).count;
  const decoded = { timestamps: new Float64Array(count), values: new Float64Array(count) };
  decodeChunkInto(chunk, decoded.timestamps, decoded.values);
  return decoded;
}

/** Decodes a chunk and checks its header's NaN count, min, max, sum and sum of squares. */
export function verifyChunk(chunk: Uint8Array): ChunkHeader {
  const header = readChunkHeader(chunk);
  const { timestamps, values } = decodeChunk(chunk);
  const statistics = new ChunkStatistics();
  for (let index = 0; index < header.count; index++) statistics.add(timestamps[index] as number, values[index] as number, 0, 0);
  const o = CHUNK_HEADER_OFFSETS;
  if (statistics.nanCount !== header.nanCount) throw new ChunkCorruptError(o.nanCount, `NaN count ${header.nanCount}, but ${statistics.nanCount} NaN values`);
  const expected = [
    ['min', o.min, statistics.min, header.min],
    ['max', o.max, statistics.max, header.max],
    ['sum', o.sum, statistics.sum, header.sum],
    ['sum of squares', o.sumOfSquares, statistics.sumOfSquares, header.sumOfSquares],
  ] as const;
  for (const [name, offset, actual, recorded] of expected) {
    if (!Object.is(actual, recorded)) throw new ChunkCorruptError(offset, `${name} ${recorded}, but the values give ${actual}`);
  }
  return header;
}

/** The first index in [0, count) whose timestamp is >= ts, or count. */
export function sampleIndexAtOrAfter(timestamps: ArrayLike<number>, ts: number, count = timestamps.length): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((timestamps[middle] as number) < ts) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index in [0, count) whose timestamp is > ts, or count. */
export function sampleIndexAfter(timestamps: ArrayLike<number>, ts: number, count = timestamps.length): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((timestamps[middle] as number) <= ts) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Walks a chunk's samples in [from, to], oldest first or newest first, without allocating. */
export class ChunkCursor {
  timestamp = 0;
  value = 0;
  private readonly decoded: DecodedChunk;
  private index: number;
  private readonly stop: number;
  private readonly step: 1 | -1;

  constructor(chunk: Uint8Array, range: ChunkRange = {}) {
    this.decoded = decodeChunk(chunk);
    const timestamps = this.decoded.timestamps;
    const first = range.from === undefined ? 0 : sampleIndexAtOrAfter(timestamps, range.from);
    const end = range.to === undefined ? timestamps.length : Math.max(first, sampleIndexAfter(timestamps, range.to));
    if (range.reverse === true) {
      this.index = end - 1;
      this.stop = first - 1;
      this.step = -1;
    } else {
      this.index = first;
      this.stop = end;
      this.step = 1;
    }
  }

  /** Samples left to visit. */
  get remaining(): number {
    return this.step === 1 ? this.stop - this.index : this.index - this.stop;
  }

  /** Moves to the next sample (setting timestamp and value); false when there is none. */
  next(): boolean {
    if (this.index === this.stop) return false;
    this.timestamp = this.decoded.timestamps[this.index] as number;
    this.value = this.decoded.values[this.index] as number;
    this.index += this.step;
    return true;
  }
}

export function* chunkSamples(chunk: Uint8Array, range: ChunkRange = {}): IterableIterator<Sample> {
  const cursor = new ChunkCursor(chunk, range);
  while (cursor.next()) yield { ts: cursor.timestamp, value: cursor.value };
}
