// src/types/timeseries/chunk-codec.test.ts: the chunk codec. Fixed vectors checked by hand
// against the layouts drawn in gorilla-stream.ts and chunk-header.ts; agreement with a literal
// transcription of RedisTimeSeries 1.12's gorilla.c; round trips of random series with values
// compared bit for bit; the header's statistics; the incremental encoder's cuts; cursors; and
// damaged input, which must throw ChunkCorruptError and nothing else.
import { AssertionError } from 'node:assert';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_HEADER_BYTES,
  CHUNK_PAYLOAD_BYTES_MAX,
  ChunkCorruptError,
  ChunkCursor,
  ChunkEncoder,
  chunkSamples,
  decodeChunk,
  decodeChunkInto,
  encodeChunk,
  encodeChunkColumns,
  readChunkHeader,
  sampleIndexAfter,
  sampleIndexAtOrAfter,
  verifyChunk,
  type ChunkEncoding,
} from './chunk-codec.js';

const ENCODINGS: readonly ChunkEncoding[] = ['compressed', 'uncompressed'];
const MAX_TS = Number.MAX_SAFE_INTEGER;

type Bits = readonly [lo: number, hi: number];
const scratch = new Float64Array(1);
const scratch32 = new Uint32Array(scratch.buffer);

function bitsOf(value: number): Bits {
  scratch[0] = value;
  return [scratch32[0] as number, scratch32[1] as number];
}

function columnsOf(bits: readonly Bits[]): Float64Array {
  const values = new Float64Array(bits.length);
  const values32 = new Uint32Array(values.buffer);
  bits.forEach(([lo, hi], index) => {
    values32[2 * index] = lo;
    values32[2 * index + 1] = hi;
  });
  return values;
}

function hexOfValues(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex');
}

/** Packs a bit string written in stream order (spaces ignored): bit k is bit k % 8 of byte k / 8. */
function packStream(stream: string): string {
  const bits = stream.replace(/ /g, '');
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  for (let index = 0; index < bits.length; index++) if (bits[index] === '1') bytes[index >> 3]! |= 1 << (index & 7);
  return bytes.toString('hex');
}

/** value's low `width` bits in two's complement, lowest first: how the stream writes a field. */
function field(value: number | bigint, width: number): string {
  const bits = BigInt.asUintN(width, BigInt(value));
  let text = '';
  for (let index = 0; index < width; index++) text += (bits >> BigInt(index)) & 1n ? '1' : '0';
  return text;
}

function payloadHex(chunk: Buffer): string {
  return chunk.subarray(CHUNK_HEADER_BYTES).toString('hex');
}

function samplesOf(timestamps: readonly number[], values: Float64Array): Array<{ ts: number; value: number }> {
  return timestamps.map((ts, index) => ({ ts, value: values[index] as number }));
}

// --- random series -----------------------------------------------------------------------------

interface Series {
  timestamps: number[];
  values: Float64Array;
}

const BOUNDARY_DODS = [1, -1, 15, -16, 16, -17, 127, -128, 128, -129, 1023, -1024, 1024, -1025, 16383, -16384, 16384, -16385, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40)];
const SPECIAL_BITS: readonly Bits[] = [
  [0, 0], // +0
  [0, 0x80000000], // -0
  [0, 0x7ff00000], // +Infinity
  [0, 0xfff00000], // -Infinity
  [0, 0x7ff80000], // the quiet NaN
  [1, 0x7ff00000], // a signalling NaN, payload 1
  [0xdeadbeef, 0xfff7ffff], // a negative NaN with a payload
  [1, 0], // the smallest subnormal
  [0xffffffff, 0x000fffff], // the largest subnormal
  [0, 0x00100000], // the smallest normal
  [0xffffffff, 0x7fefffff], // DBL_MAX
  [0xffffffff, 0xffffffff], // all ones: a NaN
];

const dodArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: -20, max: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...BOUNDARY_DODS) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 33), max: 2 ** 33 }) },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
);
const startArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 41 }), fc.maxSafeNat(), fc.constant(MAX_TS));
type ValueChoice = Bits | 'repeat' | { xor: Bits };
const valueArb: fc.Arbitrary<ValueChoice> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('repeat' as const) },
  // The previous value with a few low bits changed: long runs of leading zeros in the XOR.
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xff })).map((xor) => ({ xor })) },
  { weight: 3, arbitrary: fc.double().map(bitsOf) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_BITS) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }).map(bitsOf) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 10_000 }).map((cents) => bitsOf(cents / 100)) },
);

function buildSeries(start: number, steps: ReadonlyArray<readonly [number, ValueChoice]>, first: Bits): Series {
  const timestamps = [start];
  const bits: Bits[] = [first];
  let delta = 0;
  for (const [dod, value] of steps) {
    delta = Math.max(1, delta + dod);
    const previous = timestamps[timestamps.length - 1] as number;
    if (delta > MAX_TS - previous) break;
    timestamps.push(previous + delta);
    const [lo, hi] = bits[bits.length - 1] as Bits;
    if (value === 'repeat') bits.push([lo, hi]);
    else if ('xor' in value) bits.push([(lo ^ value.xor[0]) >>> 0, (hi ^ value.xor[1]) >>> 0]);
    else bits.push(value);
  }
  return { timestamps, values: columnsOf(bits) };
}

const seriesArb = (maxLength: number): fc.Arbitrary<Series> =>
  fc
    .tuple(startArb, fc.array(fc.tuple(dodArb, valueArb), { maxLength }), valueArb.filter((value): value is Bits => Array.isArray(value)))
    .map(([start, steps, first]) => buildSeries(start, steps, first));

/** RedisTimeSeries 1.12 src/gorilla.c, appendInteger and appendFloat, transcribed line by line. */
function gorillaReference(timestamps: readonly number[], values: Float64Array): { stream: string; bits: number } {
  let out = '';
  const appendBits = (data: bigint, length: number): void => {
    for (let bit = 0; bit < length; bit++) out += (data >> BigInt(bit)) & 1n ? '1' : '0';
  };
  const inRange = (x: bigint, nbits: number): boolean => x >= -(1n << BigInt(nbits - 1)) && x <= (1n << BigInt(nbits - 1)) - 1n;
  const int2bin = (x: bigint, length: number): bigint => BigInt.asUintN(length, x);
  const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
  const valueAt = (index: number): bigint => view.getBigUint64(index * 8, true);
  let prevTimestamp = BigInt(timestamps[0] as number);
  let prevTimestampDelta = 0n;
  let prevValue = valueAt(0);
  let prevLeading = 32;
  let prevTrailing = 32;
  for (let index = 1; index < timestamps.length; index++) {
    const timestamp = BigInt(timestamps[index] as number);
    const curDelta = timestamp - prevTimestamp;
    const doubleDelta = curDelta - prevTimestampDelta;
    if (doubleDelta === 0n) appendBits(0x00n, 1);
    else if (inRange(doubleDelta, 5)) (appendBits(0x01n, 2), appendBits(int2bin(doubleDelta, 5), 5));
    else if (inRange(doubleDelta, 8)) (appendBits(0x03n, 3), appendBits(int2bin(doubleDelta, 8), 8));
    else if (inRange(doubleDelta, 11)) (appendBits(0x07n, 4), appendBits(int2bin(doubleDelta, 11), 11));
    else if (inRange(doubleDelta, 15)) (appendBits(0x0fn, 5), appendBits(int2bin(doubleDelta, 15), 15));
    else if (inRange(doubleDelta, 32)) (appendBits(0x1fn, 6), appendBits(int2bin(doubleDelta, 32), 32));
    else (appendBits(0x3fn, 6), appendBits(BigInt.asUintN(64, doubleDelta), 64));
    prevTimestampDelta = curDelta;
    prevTimestamp = timestamp;

    const value = valueAt(index);
    const xorWithPrevious = value ^ prevValue;
    if (xorWithPrevious === 0n) {
      appendBits(0n, 1);
      continue;
    }
    appendBits(1n, 1);
    let leading = 64 - xorWithPrevious.toString(2).length;
    let trailing = 0;
    while (((xorWithPrevious >> BigInt(trailing)) & 1n) === 0n) trailing++;
    if (leading > 31) leading = 31;
    const blockSize = 64 - leading - trailing;
    const expectedSize = 5 + 6 + blockSize;
    const prevBlockInfoSize = 64 - prevLeading - prevTrailing;
    if (leading >= prevLeading && trailing >= prevTrailing && expectedSize > prevBlockInfoSize) {
      appendBits(0n, 1);
      appendBits(xorWithPrevious >> BigInt(prevTrailing), prevBlockInfoSize);
    } else {
      appendBits(1n, 1);
      appendBits(BigInt(leading), 5);
      appendBits(BigInt(blockSize - 1), 6);
      appendBits(xorWithPrevious >> BigInt(trailing), blockSize);
      prevLeading = leading;
      prevTrailing = trailing;
    }
    prevValue = value;
  }
  return { stream: out, bits: out.length };
}

/** Header fields recomputed the slow way, for comparison. */
function modelHeader(series: Series) {
  const values = Array.from(series.values);
  const finite = values.filter((value) => !Number.isNaN(value));
  let min = Number.NaN;
  let max = Number.NaN;
  let sum = 0;
  let sumOfSquares = 0;
  finite.forEach((value, index) => {
    if (index === 0 || value < min) min = value;
    if (index === 0 || value > max) max = value;
    sum += value;
    sumOfSquares += value * value;
  });
  return { count: values.length, nanCount: values.length - finite.length, firstTimestamp: series.timestamps[0], lastTimestamp: series.timestamps.at(-1), min, max, sum, sumOfSquares };
}

function expectRoundTrip(chunk: Buffer, series: Series): void {
  const decoded = decodeChunk(chunk);
  expect(Array.from(decoded.timestamps)).toEqual(series.timestamps);
  expect(hexOfValues(decoded.values)).toBe(hexOfValues(series.values));
}

// --- fixed vectors ---------------------------------------------------------------------------

describe('chunk codec: fixed vectors', () => {
  it('keeps a lone sample in the header, with an empty stream', () => {
    const chunk = encodeChunk([{ ts: 1000, value: 1.5 }], 'compressed');
    expect(chunk.length).toBe(CHUNK_HEADER_BYTES);
    expect(chunk.toString('hex')).toBe(
      '01' + '02' + '0000' + '01000000' + '00000000' + '00000000' + // version, encoding, reserved, count 1, NaN 0, stream bits 0
        'e803000000000000' + 'e803000000000000' + // first and last timestamp 1000
        '000000000000f83f'.repeat(4) + // first value, last value, min, max: 1.5
        '000000000000f83f' + '0000000000000240', // sum 1.5, sum of squares 2.25
    );
    expect(readChunkHeader(chunk)).toMatchObject({ encoding: 'compressed', count: 1, firstTimestamp: 1000, lastTimestamp: 1000, min: 1.5, max: 1.5, sum: 1.5, sumOfSquares: 2.25 });
  });

  it('writes timestamps and values bit by bit as gorilla-stream.ts draws them', () => {
    const samples = [
      { ts: 1000, value: 1.0 },
      { ts: 1003, value: 1.0 }, // dod 3: 1 0, then 3 in 5 bits low first; the value repeats: 0
      { ts: 1006, value: 1.0 }, // dod 0: 0; value: 0
      { ts: 1010, value: 2.5 }, // dod 1: 1 0 10000; value: a new window (below)
      { ts: 1014, value: 2.5 }, // dod 0: 0; value: 0
    ];
    // 1.0 ^ 2.5 = 0x3ff0000000000000 ^ 0x4004000000000000 = 0x7ff4000000000000: 1 leading zero,
    // 50 trailing, 13 meaningful bits 0x1ffd. The window was empty, so: 1 1, leading 1 in 5 bits
    // (10000), size - 1 = 12 in 6 bits (001100), then 0x1ffd in 13 bits low first.
    const stream = '10 11000 0' + '0 0' + '10 10000' + '11 10000 001100 1011111111111' + '0 0';
    const chunk = encodeChunk(samples, 'compressed');
    expect(payloadHex(chunk)).toBe(packStream(stream));
    expect(payloadHex(chunk)).toBe('0d140e4cff07');
    expect(readChunkHeader(chunk).streamBits).toBe(45);
    expect(decodeChunk(chunk).timestamps).toEqual(new Float64Array([1000, 1003, 1006, 1010, 1014]));
  });

  it('puts each delta of delta in the smallest bucket of 5, 8, 11, 15, 32 or 64 bits', () => {
    const rows: Array<[delta: number, prefix: string, width: number]> = [
      [16, '110', 8], // dod 16: one past the 5-bit bucket
      [1, '10', 5], // dod -15
      [1025, '11110', 15], // dod 1024: one past the 11-bit bucket
      [1, '1110', 11], // dod -1024: the 11-bit minimum
      [16385, '111110', 32], // dod 16384: one past the 15-bit bucket
      [1, '11110', 15], // dod -16384: the 15-bit minimum
      [2 ** 31 + 1, '111111', 64], // dod 2^31: one past the 32-bit bucket
      [2 ** 31 + 128, '110', 8], // dod 127: the 8-bit maximum
      [2 ** 31, '110', 8], // dod -128: the 8-bit minimum
      [2 ** 32 - 1, '111110', 32], // dod 2^31 - 1: the 32-bit maximum
      [2 ** 31 - 1, '111110', 32], // dod -2^31: the 32-bit minimum
      [2 ** 45, '111111', 64], // dod 2^45 - 2^31 + 1
      [1, '111111', 64], // dod 1 - 2^45: negative, 64 bits
      [17, '110', 8], // dod 16
      [1, '10', 5], // dod -16: the 5-bit minimum
      [16, '10', 5], // dod 15: the 5-bit maximum
    ];
    const samples = [{ ts: 0, value: 7 }];
    let stream = '';
    let previousDelta = 0;
    for (const [delta, prefix, width] of rows) {
      samples.push({ ts: (samples.at(-1)?.ts ?? 0) + delta, value: 7 });
      stream += prefix + field(delta - previousDelta, width) + '0';
      previousDelta = delta;
    }
    const chunk = encodeChunk(samples, 'compressed');
    expect(payloadHex(chunk)).toBe(packStream(stream));
    expect(readChunkHeader(chunk).streamBits).toBe(stream.length);
    expect(Array.from(decodeChunk(chunk).timestamps)).toEqual(samples.map((sample) => sample.ts));
  });

  it('uses 11 bits for a delta of delta of 999, not the 13 that gorilla.c\'s stale file comment gives', () => {
    const chunk = encodeChunk([{ ts: 0, value: 0 }, { ts: 999, value: 0 }], 'compressed');
    expect(payloadHex(chunk)).toBe(packStream('1110' + field(999, 11) + '0'));
    expect(readChunkHeader(chunk).streamBits).toBe(16);
  });

  it('reuses the value window only while a new window would cost more', () => {
    const values = [1.0, 3.0, 4.0, 4.0, 6.0, 4.0, 1.5];
    const stream =
      '10 10000 ' + '11 ' + field(1, 5) + field(11, 6) + field(0xfff, 12) + // 1 ^ 3 = 0x7ff8 << 48: window (1, 51), 12 bits
      '0 ' + '10 ' + field(3, 12) + // 3 ^ 4 = 0x0018 << 48: fits (1, 51); 11 + 2 > 12, so reuse
      '0 0' + // 4 again
      '0 ' + '11 ' + field(12, 5) + field(0, 6) + '1' + // 4 ^ 6 = 0x0008 << 48 fits (1, 51), but 11 + 1 = 12: new window (12, 51)
      '0 ' + '10 1' + // 6 ^ 4: the same bit, reuse (12, 51)
      '0 ' + '11 ' + field(1, 5) + field(11, 6) + field(0xffd, 12); // 4 ^ 1.5 = 0x7fe8 << 48: leading 1 < 12, new window
    const chunk = encodeChunk(values.map((value, index) => ({ ts: index, value })), 'compressed');
    expect(payloadHex(chunk)).toBe(packStream(stream));
    expect(Array.from(decodeChunk(chunk).values)).toEqual(values);
  });

  it('caps leading zeros at 31, keeping the rest inside the window', () => {
    // 1 ^ 0 (bits 0x0000000000000001): 63 leading zeros, written as 31, so the block is 33 bits.
    const zero = columnsOf([[0, 0], [1, 0]]);
    const chunk = encodeChunkColumns([0, 1], zero, 'compressed');
    expect(payloadHex(chunk)).toBe(packStream('10 10000 ' + '11 ' + field(31, 5) + field(32, 6) + field(1, 33)));
    expect(hexOfValues(decodeChunk(chunk).values)).toBe(hexOfValues(zero));
  });

  it('stores uncompressed samples as RedisTimeSeries\'s 16-byte (u64, f64) pairs', () => {
    const chunk = encodeChunk([{ ts: 1, value: -0 }, { ts: 2 ** 40 + 5, value: Number.NaN }], 'uncompressed');
    expect(chunk.length).toBe(CHUNK_HEADER_BYTES + 32);
    expect(payloadHex(chunk)).toBe('0100000000000000' + '0000000000000080' + '0500000000010000' + '000000000000f87f');
    expect(chunk.subarray(0, 16).toString('hex')).toBe('01010000' + '02000000' + '01000000' + '00000000');
  });
});

describe('chunk codec: agreement with RedisTimeSeries', () => {
  it('writes the bits of a transcription of gorilla.c\'s appendInteger and appendFloat', () => {
    fc.assert(
      fc.property(seriesArb(200), (series) => {
        const reference = gorillaReference(series.timestamps, series.values);
        const chunk = encodeChunkColumns(series.timestamps, series.values, 'compressed');
        expect(readChunkHeader(chunk).streamBits).toBe(reference.bits);
        expect(payloadHex(chunk)).toBe(packStream(reference.stream));
      }),
      { numRuns: 200 },
    );
  });
});

describe('chunk codec: round trips', () => {
  it('round-trips random series in both encodings, values bit for bit', () => {
    fc.assert(
      fc.property(seriesArb(300), fc.constantFrom(...ENCODINGS), (series, encoding) => {
        const chunk = encodeChunkColumns(series.timestamps, series.values, encoding);
        expectRoundTrip(chunk, series);
        expect(encodeChunk(samplesOf(series.timestamps, series.values), encoding).equals(chunk)).toBe(true);
        const offset = 3;
        const timestamps = new Float64Array(series.timestamps.length + offset + 2);
        const values = new Float64Array(timestamps.length);
        expect(decodeChunkInto(chunk, timestamps, values, offset)).toBe(series.timestamps.length);
        expect(Array.from(timestamps.subarray(offset, offset + series.timestamps.length))).toEqual(series.timestamps);
        expect(hexOfValues(values.subarray(offset, offset + series.timestamps.length))).toBe(hexOfValues(series.values));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips every special double after every other', () => {
    const bits: Bits[] = [];
    for (const previous of SPECIAL_BITS) for (const next of SPECIAL_BITS) bits.push(previous, next);
    const series = { timestamps: bits.map((_, index) => index * 10), values: columnsOf(bits) };
    for (const encoding of ENCODINGS) expectRoundTrip(encodeChunkColumns(series.timestamps, series.values, encoding), series);
  });

  it('round-trips timestamps at 0 and 2^53 - 1 and jumps between them', () => {
    const timestamps = [0, 1, 2 ** 52, 2 ** 52 + 1, MAX_TS - 2, MAX_TS];
    const series = { timestamps, values: new Float64Array(timestamps.length).fill(0.1) };
    for (const encoding of ENCODINGS) {
      const chunk = encodeChunkColumns(series.timestamps, series.values, encoding);
      expectRoundTrip(chunk, series);
      expect(readChunkHeader(chunk)).toMatchObject({ firstTimestamp: 0, lastTimestamp: MAX_TS });
    }
  });

  it('packs a constant series at 1 ms into 2 bits a sample, as RedisTimeSeries (0.25 B/sample)', () => {
    const encoder = new ChunkEncoder('compressed');
    for (let ts = 0; encoder.tryAppend(ts, 42, 128); ts++);
    // 1 in the header, 1 of 8 bits (dod 1, same value), 508 of 2: test_ts_resp3.py's 510 in 128 bytes.
    expect(encoder.count).toBe(510);
    expect(encoder.payloadByteLength).toBe(128);
  });
});

describe('chunk codec: header', () => {
  it('records count, NaN count, first and last, and min, max and sums of the non-NaN values', () => {
    fc.assert(
      fc.property(seriesArb(100), fc.constantFrom(...ENCODINGS), (series, encoding) => {
        const chunk = encodeChunkColumns(series.timestamps, series.values, encoding);
        const header = readChunkHeader(chunk);
        const model = modelHeader(series);
        expect(header).toMatchObject({ encoding, byteLength: chunk.length, count: model.count, nanCount: model.nanCount, firstTimestamp: model.firstTimestamp, lastTimestamp: model.lastTimestamp });
        for (const name of ['min', 'max', 'sum', 'sumOfSquares'] as const) expect(Object.is(header[name], model[name]), name).toBe(true);
        expect(chunk.subarray(32, 40).toString('hex')).toBe(hexOfValues(series.values.subarray(0, 1)));
        expect(chunk.subarray(40, 48).toString('hex')).toBe(hexOfValues(series.values.subarray(-1)));
        expect(verifyChunk(chunk)).toEqual(header);
      }),
    );
  });

  it('keeps the first of equal extremes, so -0 before 0 is both min and max', () => {
    const header = readChunkHeader(encodeChunk([{ ts: 1, value: -0 }, { ts: 2, value: Number.NaN }, { ts: 3, value: 0 }], 'compressed'));
    expect(Object.is(header.min, -0)).toBe(true);
    expect(Object.is(header.max, -0)).toBe(true);
    expect(header).toMatchObject({ nanCount: 1, sum: 0, sumOfSquares: 0 });
  });

  it('gives NaN min and max and zero sums when every value is NaN', () => {
    const header = readChunkHeader(encodeChunk([{ ts: 5, value: Number.NaN }, { ts: 6, value: Number.NaN }], 'uncompressed'));
    expect(header).toMatchObject({ count: 2, nanCount: 2, min: Number.NaN, max: Number.NaN, sum: 0, sumOfSquares: 0 });
  });

  it('sums infinities as doubles do: +Infinity and -Infinity give a NaN sum', () => {
    const header = readChunkHeader(encodeChunk([{ ts: 1, value: Infinity }, { ts: 2, value: -Infinity }], 'compressed'));
    expect(header).toMatchObject({ nanCount: 0, min: -Infinity, max: Infinity, sum: Number.NaN, sumOfSquares: Infinity });
  });

  it('has verifyChunk catch statistics that disagree with the samples', () => {
    const chunk = encodeChunk([{ ts: 1, value: 1 }, { ts: 2, value: 2 }], 'compressed');
    chunk.writeDoubleLE(4, 64); // sum 3 -> 4
    expect(() => verifyChunk(chunk)).toThrow(new ChunkCorruptError(64, 'sum 4, but the values give 3'));
    expect(decodeChunk(chunk).values).toEqual(new Float64Array([1, 2]));
  });
});

describe('chunk codec: ChunkEncoder', () => {
  it('cuts chunks at payloadBytesMax as late as possible, each as encodeChunk would write it', () => {
    fc.assert(
      fc.property(seriesArb(300), fc.constantFrom(...ENCODINGS), fc.integer({ min: 1, max: 600 }), (series, encoding, payloadBytesMax) => {
        const encoder = new ChunkEncoder(encoding);
        const chunks: Array<{ chunk: Buffer; start: number; end: number }> = [];
        let start = 0;
        series.timestamps.forEach((ts, index) => {
          const value = series.values[index] as number;
          if (encoder.tryAppend(ts, value, payloadBytesMax)) return;
          expect(encoder.count).toBeGreaterThan(0);
          chunks.push({ chunk: encoder.finish(), start, end: index });
          start = index;
          expect(encoder.tryAppend(ts, value, payloadBytesMax)).toBe(true);
        });
        expect(encoder.lastTimestamp).toBe(series.timestamps.at(-1));
        const byteLength = encoder.byteLength;
        const last = encoder.finish();
        expect(last.length).toBe(byteLength);
        chunks.push({ chunk: last, start, end: series.timestamps.length });
        for (const { chunk, start: from, end } of chunks) {
          expect(chunk.equals(encodeChunkColumns(series.timestamps, series.values, encoding, from, end))).toBe(true);
          if (end - from > 1) expect(chunk.length - CHUNK_HEADER_BYTES).toBeLessThanOrEqual(payloadBytesMax);
          if (end < series.timestamps.length) {
            const longer = encodeChunkColumns(series.timestamps, series.values, encoding, from, end + 1);
            expect(longer.length - CHUNK_HEADER_BYTES).toBeGreaterThan(payloadBytesMax);
          }
        }
        const decoded = chunks.flatMap(({ chunk }) => Array.from(decodeChunk(chunk).timestamps));
        expect(decoded).toEqual(series.timestamps);
      }),
      { numRuns: 200 },
    );
  });

  it('holds 256 uncompressed samples in 4096 payload bytes, as a RedisTimeSeries chunk of CHUNK_SIZE 4096', () => {
    const encoder = new ChunkEncoder('uncompressed');
    let ts = 0;
    while (encoder.tryAppend(ts, ts / 3, 4096)) ts += 10;
    expect(encoder.count).toBe(256);
    expect(encoder.byteLength).toBe(CHUNK_HEADER_BYTES + 4096);
  });

  it('reports its byte length as finish() will return it, sample by sample', () => {
    for (const encoding of ENCODINGS) {
      const encoder = new ChunkEncoder(encoding);
      expect(encoder.lastTimestamp).toBe(-1);
      const samples: Array<{ ts: number; value: number }> = [];
      for (let index = 0; index < 50; index++) {
        const sample = { ts: index * 1000 + (index % 7), value: Math.sin(index) };
        encoder.append(sample.ts, sample.value);
        samples.push(sample);
        expect(encoder.byteLength).toBe(encodeChunk(samples, encoding).length);
      }
    }
  });

  it('accepts a chunk\'s first sample whatever the limit, and is empty and reusable after finish()', () => {
    const encoder = new ChunkEncoder('compressed');
    expect(encoder.tryAppend(5, 1, 0)).toBe(true);
    expect(encoder.tryAppend(6, 1, 0)).toBe(false);
    expect(encoder.count).toBe(1);
    expect(encoder.finish().equals(encodeChunk([{ ts: 5, value: 1 }], 'compressed'))).toBe(true);
    expect(encoder.count).toBe(0);
    encoder.append(3, 2);
    encoder.append(4, 3);
    expect(encoder.payloadByteLength).toBe(3); // dod 1: 7 bits; 2 ^ 3 = 0x0008 << 48: 13 + 1 bits
    encoder.finish();
    expect(encoder.payloadByteLength).toBe(0);
    expect(encoder.byteLength).toBe(CHUNK_HEADER_BYTES);
    expect(encoder.lastTimestamp).toBe(-1);
    encoder.append(3, 2);
    encoder.append(4, 2);
    expect(encoder.finish().equals(encodeChunk([{ ts: 3, value: 2 }, { ts: 4, value: 2 }], 'compressed'))).toBe(true);
  });

  it('asserts past CHUNK_PAYLOAD_BYTES_MAX on append(), and refuses the sample with tryAppend()', () => {
    const encoder = new ChunkEncoder('uncompressed');
    const count = CHUNK_PAYLOAD_BYTES_MAX / 16;
    encoder.appendColumns(Array.from({ length: count }, (_, index) => index), new Float64Array(count));
    expect(encoder.payloadByteLength).toBe(CHUNK_PAYLOAD_BYTES_MAX);
    expect(encoder.tryAppend(count, 0, Infinity)).toBe(false);
    expect(() => encoder.append(count, 0)).toThrow(AssertionError);
    expect(readChunkHeader(encoder.finish()).count).toBe(count);
  });

  it('asserts on an empty finish() and on timestamps that are not increasing integers below 2^53', () => {
    for (const encoding of ENCODINGS) {
      const encoder = new ChunkEncoder(encoding);
      expect(() => encoder.finish()).toThrow(AssertionError);
      for (const ts of [-1, 1.5, Number.NaN, 2 ** 53, Infinity]) expect(() => encoder.append(ts, 0), String(ts)).toThrow(AssertionError);
      encoder.append(10, 0);
      expect(() => encoder.append(10, 0)).toThrow(AssertionError);
      expect(() => encoder.append(9, 0)).toThrow(AssertionError);
      expect(encoder.count).toBe(1);
    }
  });
});

describe('chunk codec: cursors', () => {
  it('walks [from, to] oldest first or newest first, as a filter of the samples', () => {
    fc.assert(
      fc.property(seriesArb(60), fc.constantFrom(...ENCODINGS), fc.option(fc.maxSafeNat(), { nil: undefined }), fc.option(fc.maxSafeNat(), { nil: undefined }), fc.boolean(), (series, encoding, from, to, reverse) => {
        const chunk = encodeChunkColumns(series.timestamps, series.values, encoding);
        // Bounds drawn near the samples too, not only anywhere in [0, 2^53).
        const near = (bound: number | undefined): number | undefined => (bound === undefined ? undefined : (series.timestamps[bound % series.timestamps.length] as number) + ((bound >> 3) % 3) - 1);
        const range = { ...(from === undefined ? {} : { from: from % 2 === 0 ? from : near(from) as number }), ...(to === undefined ? {} : { to: to % 2 === 0 ? to : near(to) as number }), reverse };
        const expected = series.timestamps
          .map((ts, index) => [ts, index] as const)
          .filter(([ts]) => (range.from === undefined || ts >= range.from) && (range.to === undefined || ts <= range.to));
        if (reverse) expected.reverse();
        const cursor = new ChunkCursor(chunk, range);
        expect(cursor.remaining).toBe(expected.length);
        const seen: number[] = [];
        while (cursor.next()) {
          const [ts, index] = expected[seen.length] ?? [Number.NaN, 0];
          expect(cursor.timestamp).toBe(ts);
          expect(Object.is(cursor.value, series.values[index])).toBe(true);
          seen.push(cursor.timestamp);
        }
        expect(seen.length).toBe(expected.length);
        expect(cursor.next()).toBe(false);
        expect(Array.from(chunkSamples(chunk, range), (sample) => sample.ts)).toEqual(seen);
      }),
    );
  });

  it('finds sample indexes by binary search', () => {
    const timestamps = new Float64Array([10, 20, 30]);
    expect([0, 10, 11, 30, 31].map((ts) => sampleIndexAtOrAfter(timestamps, ts))).toEqual([0, 0, 1, 2, 3]);
    expect([0, 10, 11, 30, 31].map((ts) => sampleIndexAfter(timestamps, ts))).toEqual([0, 1, 1, 3, 3]);
    expect(sampleIndexAtOrAfter(timestamps, 25, 2)).toBe(2);
  });
});

// --- damaged input ---------------------------------------------------------------------------

/** A compressed chunk around a hand-written stream; header fields may be overridden. */
function craftChunk(stream: string, fields: { count: number; lastTimestamp: number; lastValue?: number; streamBits?: number }): Buffer {
  const bits = stream.replace(/ /g, '');
  const payload = Buffer.from(packStream(bits), 'hex');
  const chunk = Buffer.alloc(CHUNK_HEADER_BYTES + payload.length);
  chunk.writeUInt8(1, 0);
  chunk.writeUInt8(2, 1);
  chunk.writeUInt32LE(fields.count, 4);
  chunk.writeUInt32LE(fields.streamBits ?? bits.length, 12);
  chunk.writeBigUInt64LE(1000n, 16); // first timestamp
  chunk.writeBigUInt64LE(BigInt(fields.lastTimestamp), 24);
  chunk.writeDoubleLE(1, 32); // first value
  chunk.writeDoubleLE(fields.lastValue ?? 1, 40);
  chunk.writeDoubleLE(1, 48); // min
  chunk.writeDoubleLE(1, 56); // max
  payload.copy(chunk, CHUNK_HEADER_BYTES);
  return chunk;
}

function corruptError(chunk: Uint8Array): unknown {
  try {
    decodeChunk(chunk);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('chunk codec: damaged input', () => {
  it('rejects every truncation and any extra byte', () => {
    fc.assert(
      fc.property(seriesArb(40), fc.constantFrom(...ENCODINGS), (series, encoding) => {
        const chunk = encodeChunkColumns(series.timestamps, series.values, encoding);
        for (let length = 0; length < chunk.length; length++) expect(corruptError(chunk.subarray(0, length))).toBeInstanceOf(ChunkCorruptError);
        expect(corruptError(Buffer.concat([chunk, Buffer.alloc(1)]))).toBeInstanceOf(ChunkCorruptError);
      }),
      { numRuns: 40 },
    );
  });

  it('throws only ChunkCorruptError on damaged bytes, and reads nothing outside the chunk', () => {
    fc.assert(
      fc.property(
        seriesArb(80),
        fc.constantFrom(...ENCODINGS),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        (series, encoding, damage, before, after) => {
          const chunk = encodeChunkColumns(series.timestamps, series.values, encoding);
          for (const [position, mask] of damage) chunk[position % chunk.length]! ^= mask;
          const alone = corruptError(chunk);
          if (alone !== undefined) expect(alone).toBeInstanceOf(ChunkCorruptError);
          // The same bytes between random neighbours decode the same way.
          const embedded = Buffer.concat([before, chunk, after]).subarray(before.length, before.length + chunk.length);
          expect(corruptError(embedded)).toEqual(alone);
          if (alone === undefined) expect(decodeChunk(embedded)).toEqual(decodeChunk(chunk));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names the field of a header that cannot be right', () => {
    const good = encodeChunk([{ ts: 1, value: 1 }, { ts: 2, value: 2 }], 'compressed');
    const cases: Array<[edit: (chunk: Buffer) => void, offset: number, reason: RegExp]> = [
      [(chunk) => chunk.writeUInt8(2, 0), 0, /unknown format version 2/],
      [(chunk) => chunk.writeUInt8(3, 1), 1, /unknown encoding 3/],
      [(chunk) => chunk.writeUInt8(1, 3), 2, /reserved/],
      [(chunk) => chunk.writeUInt32LE(0, 4), 4, /sample count is 0/],
      [(chunk) => chunk.writeUInt32LE(3, 8), 8, /NaN count 3 exceeds sample count 2/],
      [(chunk) => chunk.writeUInt32LE(1, 12), 12, /stream of 1 bits cannot hold 1 samples/],
      [(chunk) => chunk.writeUInt32LE(2 ** 31, 12), 12, /cannot hold/],
      [(chunk) => chunk.writeBigUInt64LE(2n ** 53n, 24), 24, /not below 2\^53/],
      [(chunk) => chunk.writeBigUInt64LE(1n, 24), 24, /timestamps 1\.\.1 cannot hold 2 increasing samples/],
      [(chunk) => chunk.writeDoubleLE(5, 48), 48, /min 5 and max 2 disagree/],
      [(chunk) => chunk.writeDoubleLE(Number.NaN, 56), 48, /disagree with 0 NaN of 2/],
      [(chunk) => chunk.writeUInt32LE(0, 12), 12, /stream of 0 bits cannot hold 1 samples/],
      [(chunk) => chunk.writeUInt8(1, 1), 12, /uncompressed chunk has stream bits 31/],
      [(chunk) => (chunk.writeUInt8(1, 1), chunk.writeUInt32LE(0, 12)), CHUNK_HEADER_BYTES + 4, /^.*: 4 payload bytes for 2 samples of 16$/],
      [(chunk) => chunk.writeUInt32LE(39, 12), CHUNK_HEADER_BYTES + 4, /4 payload bytes for a stream of 39 bits/],
    ];
    for (const [edit, offset, reason] of cases) {
      const chunk = Buffer.from(good);
      edit(chunk);
      const error = corruptError(chunk);
      expect(error, String(reason)).toBeInstanceOf(ChunkCorruptError);
      expect((error as ChunkCorruptError).offset, String(reason)).toBe(offset);
      expect((error as ChunkCorruptError).message).toMatch(reason);
      expect(() => readChunkHeader(chunk)).toThrow(ChunkCorruptError);
    }
    expect(corruptError(good.subarray(0, 79))).toEqual(new ChunkCorruptError(79, '79 bytes is shorter than the 80-byte header'));
    const huge = Buffer.alloc(CHUNK_HEADER_BYTES + CHUNK_PAYLOAD_BYTES_MAX + 1);
    good.copy(huge, 0, 0, CHUNK_HEADER_BYTES);
    expect(corruptError(huge)).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES + CHUNK_PAYLOAD_BYTES_MAX, `${CHUNK_PAYLOAD_BYTES_MAX + 1} payload bytes exceed ${CHUNK_PAYLOAD_BYTES_MAX}`));
  });

  it('rejects a stream whose timestamps stop increasing', () => {
    // Sample 2 at +5 (dod 5), sample 3 at dod -5: delta 0.
    const chunk = craftChunk('10 ' + field(5, 5) + '0 ' + '10 ' + field(-5, 5) + '0', { count: 3, lastTimestamp: 1010 });
    expect(corruptError(chunk)).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES + 1, 'timestamp of sample 3 does not increase'));
  });

  it('rejects a second sample at the first one\'s timestamp (a dod of 0 from a delta of 0)', () => {
    expect(corruptError(craftChunk('0 0 ' + '10 ' + field(2, 5) + '0', { count: 3, lastTimestamp: 1002 }))).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES, 'timestamp of sample 2 does not increase'));
  });

  it('rejects a value that reuses a window never opened, or opens one wider than 64 bits', () => {
    const tick = '10 ' + field(1, 5);
    expect(corruptError(craftChunk(tick + '10', { count: 2, lastTimestamp: 1001 }))).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES, 'value of sample 2 reuses a window never opened'));
    const wide = craftChunk(tick + '11 ' + field(31, 5) + field(40, 6) + '1'.repeat(41), { count: 2, lastTimestamp: 1001 });
    expect(corruptError(wide)).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES, 'value of sample 2 has a window of 31 + 41 bits'));
  });

  it('rejects a stream that ends early, ends late, or leaves bits set after its end', () => {
    // Sample 2 at +1 (dod 1, value unchanged): 8 bits; sample 3 at +1 again (dod 0, value unchanged): 2 bits.
    const stream = '10 ' + field(1, 5) + '0' + '0 0';
    expect(corruptError(craftChunk(stream, { count: 3, lastTimestamp: 1002 }))).toBeUndefined();
    expect(corruptError(craftChunk(stream, { count: 3, lastTimestamp: 1002, streamBits: 9 }))).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES + 1, 'stream of 9 bits ends inside sample 3'));
    expect(corruptError(craftChunk(stream + '0', { count: 3, lastTimestamp: 1002 }))).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES + 1, 'stream of 11 bits ends at bit 10 after 3 samples'));
    expect(corruptError(craftChunk(stream + '01', { count: 3, lastTimestamp: 1002, streamBits: 10 }))).toEqual(new ChunkCorruptError(CHUNK_HEADER_BYTES + 1, 'bits after the stream are not 0'));
  });

  it('rejects a last sample that differs from the header, a timestamp beyond 2^53 included', () => {
    const sample = '10 ' + field(1, 5) + '0';
    expect(corruptError(craftChunk(sample, { count: 2, lastTimestamp: 1002 }))).toEqual(new ChunkCorruptError(24, 'last timestamp 1001 differs from the header\'s 1002'));
    expect(corruptError(craftChunk(sample, { count: 2, lastTimestamp: 1001, lastValue: 2 }))).toEqual(new ChunkCorruptError(40, 'last value differs from the header'));
    const jump = '111111 ' + field(2n ** 53n, 64) + '0';
    expect(corruptError(craftChunk(jump, { count: 2, lastTimestamp: 1001 }))).toBeInstanceOf(ChunkCorruptError);
  });
});
