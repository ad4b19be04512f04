// src/types/timeseries/gorilla-stream.ts: the bit stream of a compressed chunk: Gorilla (Pelkonen
// et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database", PVLDB 8(12) 2015, §4.1),
// bit for bit as RedisTimeSeries 1.12 writes it (src/gorilla.c; its file comment's bucket widths
// 7/10/13/16 are stale: the code uses CMPR_L1..L5 = 5, 8, 11, 15, 32 bits, then 64).
//
// The stream encodes samples 2..n; sample 1 lives in the chunk header. Bits are numbered from 0;
// bit k is bit (k mod 8), counted from the least significant, of byte k/8, so the bytes are those
// of RedisTimeSeries's u64 words on a little-endian machine. A multi-bit field is written low bit
// first. Per sample, the timestamp and then the value:
//
//   timestamp: dod = (ts - prevTs) - prevDelta, with prevDelta = 0 before sample 2
//     bits in stream order   payload (two's complement)   dod range
//     0                      -                            0
//     1 0                    5 bits                       [-16, 15]
//     1 1 0                  8 bits                       [-128, 127]
//     1 1 1 0                11 bits                      [-1024, 1023]
//     1 1 1 1 0              15 bits                      [-16384, 16383]
//     1 1 1 1 1 0            32 bits                      [-2^31, 2^31 - 1]
//     1 1 1 1 1 1            64 bits                      any other
//   value: x = bits(value) XOR bits(previous value), over all 64 bits (NaN payloads, -0 exact)
//     0                                     x = 0
//     1 0 block                             x fits the window: block = x >> trailing,
//                                           64 - leading - trailing bits
//     1 1 leading(5) size-1(6) block        a new window: leading = min(clz64(x), 31),
//                                           trailing = ctz64(x), size = 64 - leading - trailing
//
// Invariants:
// - The window starts as leading = trailing = 32 (size 0), so the first x != 0 opens one. The
//   writer reuses the window iff clz >= leading, ctz >= trailing and a new window would cost more
//   (11 + size > window size), as gorilla.c's appendFloat; so the bits match RedisTimeSeries's.
// - A sample costs at most 6 + 64 + 2 + 11 + 64 = 147 bits (STREAM_SAMPLE_BITS_MAX).
// - The decoder reads 32-bit words of a copy padded with zero words (DECODE_PADDING_WORDS), so
//   it may look past the stream's end by one sample without leaving the array; it checks the bit
//   position against the stream length after every sample and never loops beyond the count.
//   Timestamps are JS numbers: integers below 2^53, and the chunk header bounds the last one.
import { ChunkCorruptError } from './chunk-corrupt-error.js';

export const STREAM_SAMPLE_BITS_MAX = 147;
export const DECODE_PADDING_WORDS = 8;

const TWO_POW_32 = 4294967296;
/** Payload width by the count of leading 1 bits of a timestamp's prefix (0 = dod is 0). */
const DOD_WIDTHS = [0, 5, 8, 11, 15, 32, 64] as const;
/** Count of trailing 1 bits of a 6-bit number, capped at 6: the timestamp prefix's length code. */
const PREFIX_ONES = new Uint8Array(64);
for (let bits = 0; bits < 64; bits++) {
  let ones = 0;
  while (ones < 6 && ((bits >>> ones) & 1) === 1) ones++;
  PREFIX_ONES[bits] = ones;
}

function trailingZeros32(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/** Appends samples 2..n to a growable bit stream; the chunk encoder owns one. */
export class GorillaWriter {
  private words = new Uint32Array(256);
  bitCount = 0;
  private prevTs = 0;
  private prevDelta = 0;
  private prevLo = 0;
  private prevHi = 0;
  private leading = 32;
  private trailing = 32;

  /** Starts an empty stream after a first sample (which the header holds). */
  start(ts: number, lo: number, hi: number): void {
    this.words.fill(0, 0, (this.bitCount + 31) >>> 5);
    this.bitCount = 0;
    this.prevTs = ts;
    this.prevDelta = 0;
    this.prevLo = lo | 0;
    this.prevHi = hi | 0;
    this.leading = 32;
    this.trailing = 32;
  }

  /**
   * Appends one sample (ts > the previous; value as its two 32-bit halves) if the stream stays
   * within bitCountMax bits; returns false and changes nothing otherwise.
   */
  tryAppend(ts: number, lo: number, hi: number, bitCountMax: number): boolean {
    const delta = ts - this.prevTs;
    const dod = delta - this.prevDelta;
    let dodBits: number;
    if (dod === 0) dodBits = 1;
    else if (dod >= -16 && dod <= 15) dodBits = 7;
    else if (dod >= -128 && dod <= 127) dodBits = 11;
    else if (dod >= -1024 && dod <= 1023) dodBits = 15;
    else if (dod >= -16384 && dod <= 16383) dodBits = 20;
    else if (dod >= -2147483648 && dod <= 2147483647) dodBits = 38;
    else dodBits = 70;
    const xorLo = (lo ^ this.prevLo) | 0;
    const xorHi = (hi ^ this.prevHi) | 0;
    let valueBits = 1;
    let leading = 0;
    let trailing = 0;
    let reuse = false;
    if ((xorLo | xorHi) !== 0) {
      leading = xorHi !== 0 ? Math.clz32(xorHi) : 32 + Math.clz32(xorLo);
      if (leading > 31) leading = 31;
      trailing = xorLo !== 0 ? trailingZeros32(xorLo) : 32 + trailingZeros32(xorHi);
      const size = 64 - leading - trailing;
      const windowSize = 64 - this.leading - this.trailing;
      reuse = leading >= this.leading && trailing >= this.trailing && 11 + size > windowSize;
      valueBits = reuse ? 2 + windowSize : 13 + size;
    }
    if (this.bitCount + dodBits + valueBits > bitCountMax) return false;
    if (this.bitCount + STREAM_SAMPLE_BITS_MAX + 64 > this.words.length * 32) this.grow();

    if (dodBits === 1) this.put(0, 1);
    else if (dodBits === 7) this.put(((dod & 0x1f) << 2) | 0b01, 7);
    else if (dodBits === 11) this.put(((dod & 0xff) << 3) | 0b011, 11);
    else if (dodBits === 15) this.put(((dod & 0x7ff) << 4) | 0b0111, 15);
    else if (dodBits === 20) this.put(((dod & 0x7fff) << 5) | 0b01111, 20);
    else if (dodBits === 38) {
      this.put(0b011111, 6);
      this.put(dod | 0, 32);
    } else {
      const high = Math.floor(dod / TWO_POW_32);
      this.put(0b111111, 6);
      this.put((dod - high * TWO_POW_32) | 0, 32);
      this.put(high | 0, 32);
    }

    if (valueBits === 1) this.put(0, 1);
    else if (reuse) {
      this.put(0b01, 2);
      this.putShifted(xorLo, xorHi, this.trailing, 64 - this.leading - this.trailing);
    } else {
      const size = 64 - leading - trailing;
      this.put(0b11 | (leading << 2) | ((size - 1) << 7), 13);
      this.putShifted(xorLo, xorHi, trailing, size);
      this.leading = leading;
      this.trailing = trailing;
    }
    this.prevTs = ts;
    this.prevDelta = delta;
    this.prevLo = lo | 0;
    this.prevHi = hi | 0;
    return true;
  }

  /** The stream's bytes, ceil(bitCount / 8) of them, copied into target at offset. */
  copyTo(target: Uint8Array, offset: number): void {
    const bytes = new Uint8Array(this.words.buffer, 0, (this.bitCount + 7) >>> 3);
    target.set(bytes, offset);
  }

  /** Writes the low `width` (1..32) bits of `bits`. */
  private put(bits: number, width: number): void {
    const position = this.bitCount;
    const index = position >>> 5;
    const shift = position & 31;
    const masked = (bits << (32 - width)) >>> (32 - width);
    this.words[index] = (this.words[index] as number) | (masked << shift);
    if (shift + width > 32) this.words[index + 1] = masked >>> (32 - shift);
    this.bitCount = position + width;
  }

  /** Writes (hi:lo >>> shift) in `width` (1..64) bits. */
  private putShifted(lo: number, hi: number, shift: number, width: number): void {
    let shiftedLo: number;
    let shiftedHi: number;
    if (shift === 0) {
      shiftedLo = lo;
      shiftedHi = hi;
    } else if (shift < 32) {
      shiftedLo = (lo >>> shift) | (hi << (32 - shift));
      shiftedHi = hi >>> shift;
    } else {
      shiftedLo = hi >>> (shift - 32);
      shiftedHi = 0;
    }
    if (width <= 32) this.put(shiftedLo, width);
    else {
      this.put(shiftedLo, 32);
      this.put(shiftedHi, width - 32);
    }
  }

  private grow(): void {
    const words = new Uint32Array(this.words.length * 2);
    words.set(this.words);
    this.words = words;
  }
}

/** The 32 bits of the stream from bit `position` on (zeros past the end, within the padding). */
function peek(words: Uint32Array, position: number): number {
  const shift = position & 31;
  const index = position >>> 5;
  // (next << 1) << (31 - shift) is next << (32 - shift), and 0 when shift is 0 (JS shifts mod 32).
  return ((words[index] as number) >>> shift) | (((words[index + 1] as number) << 1) << (31 - shift));
}

export interface StreamStart {
  ts: number;
  lo: number;
  hi: number;
}

/**
 * Decodes samples 2..count from `words` (the stream, zero-padded by DECODE_PADDING_WORDS words)
 * into timestamps[index + 1 ..] and the value halves values32[2 * (index + 1) ..]; sample 1 is
 * written at index from `first`. Returns the bit position after the last sample. Throws
 * ChunkCorruptError (offsets counted from byteOffset, the stream's first byte in the chunk).
 */
export function decodeGorillaStream(
  words: Uint32Array,
  bitCount: number,
  count: number,
  first: StreamStart,
  timestamps: Float64Array,
  values32: Uint32Array,
  index: number,
  byteOffset: number,
): number {
  let position = 0;
  let ts = first.ts;
  let delta = 0;
  let lo = first.lo | 0;
  let hi = first.hi | 0;
  let leading = 32;
  let size = 0;
  let trailing = 32;
  timestamps[index] = ts;
  values32[2 * index] = lo;
  values32[2 * index + 1] = hi;
  // A dod of 0 keeps the delta, which is >= 1 once set; only sample 2 (delta 0 before it) could
  // repeat a timestamp that way, so it must start with a 1 bit.
  if (count > 1 && ((words[0] as number) & 1) === 0) throw new ChunkCorruptError(byteOffset, 'timestamp of sample 2 does not increase');
  const end = index + count;
  for (let target = index + 1; target < end; target++) {
    let window = peek(words, position);
    if ((window & 1) === 0) {
      position += 1;
      window >>>= 1;
    } else {
      const ones = PREFIX_ONES[window & 0x3f] as number;
      let dod: number;
      if (ones === 6) {
        const dodLo = peek(words, position + 6);
        const dodHi = peek(words, position + 38);
        dod = (dodHi | 0) * TWO_POW_32 + (dodLo >>> 0);
        position += 70;
      } else {
        const width = DOD_WIDTHS[ones] as number;
        const start = position + ones + 1;
        const bits = ones + 1 + width <= 32 ? window >>> (ones + 1) : peek(words, start);
        dod = (bits << (32 - width)) >> (32 - width);
        position = start + width;
      }
      delta += dod;
      if (!(delta >= 1)) throw new ChunkCorruptError(byteOffset + (position >>> 3), `timestamp of sample ${target - index + 1} does not increase`);
      window = peek(words, position);
    }
    ts += delta;

    if ((window & 1) === 0) position += 1;
    else {
      if ((window & 2) === 0) {
        if (size === 0) throw new ChunkCorruptError(byteOffset + (position >>> 3), `value of sample ${target - index + 1} reuses a window never opened`);
        position += 2;
      } else {
        leading = (window >>> 2) & 0x1f;
        size = ((window >>> 7) & 0x3f) + 1;
        trailing = 64 - leading - size;
        if (trailing < 0) throw new ChunkCorruptError(byteOffset + (position >>> 3), `value of sample ${target - index + 1} has a window of ${leading} + ${size} bits`);
        position += 13;
      }
      let xorLo: number;
      let xorHi: number;
      if (size <= 32) {
        const block = (peek(words, position) << (32 - size)) >>> (32 - size);
        if (trailing >= 32) {
          xorLo = 0;
          xorHi = block << (trailing - 32);
        } else if (trailing === 0) {
          xorLo = block;
          xorHi = 0;
        } else {
          xorLo = block << trailing;
          xorHi = block >>> (32 - trailing);
        }
      } else {
        const blockLo = peek(words, position);
        const blockHi = (peek(words, position + 32) << (64 - size)) >>> (64 - size);
        if (trailing === 0) {
          xorLo = blockLo;
          xorHi = blockHi;
        } else {
          xorLo = blockLo << trailing;
          xorHi = (blockHi << trailing) | (blockLo >>> (32 - trailing));
        }
      }
      position += size;
      lo ^= xorLo;
      hi ^= xorHi;
    }
    if (position > bitCount) throw new ChunkCorruptError(byteOffset + (bitCount >>> 3), `stream of ${bitCount} bits ends inside sample ${target - index + 1}`);
    timestamps[target] = ts;
    values32[2 * target] = lo;
    values32[2 * target + 1] = hi;
  }
  return position;
}
