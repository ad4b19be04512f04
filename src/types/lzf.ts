// src/types/lzf.ts: LZF as Redis builds it (src/lzf_c.c, src/lzf_d.c: liblzf 3.6 with HLOG 16,
// VERY_FAST 1, CHECK_INPUT 1), so a DUMP of a long string carries the very bytes Redis writes.
// Compressed format, a sequence of:
//   000LLLLL <L+1 bytes>          literal run of L+1 = 1..32 bytes
//   LLLooooo oooooooo             back reference: copy L+2 = 3..8 bytes from o+1 bytes back
//   111ooooo LLLLLLLL oooooooo    back reference: copy L+9 = 9..264 bytes from o+1 bytes back
// Invariants:
// - lzfCompress follows lzf_compress step by step (same hash, same match search, same bounds
//   checks, so the same decision to give up when the output would not fit). Its hash table
//   starts zeroed; Redis's lives uninitialized on the C stack, where a stale slot can only add a
//   match whose bytes still agree, so the two differ at most in such rare extra matches.
// - lzfDecompress returns the byte count written, or 0 on any malformed input (as lzf_decompress
//   does); it never reads or writes outside the given buffers.
import assert from 'node:assert/strict';

const HASH_LOG = 16;
const HASH_SIZE = 1 << HASH_LOG;
const LITERAL_MAX = 1 << 5;
const OFFSET_MAX = 1 << 13;
const REFERENCE_MAX = (1 << 8) + (1 << 3);

/** IDX for VERY_FAST: ((h >> (3*8 - HLOG)) - h*5) & (HSIZE - 1), in 32-bit unsigned arithmetic. */
function hashIndex(hash: number): number {
  return ((hash >>> (24 - HASH_LOG)) - Math.imul(hash, 5)) & (HASH_SIZE - 1);
}

/** How far a match from ip against ref extends: lzf_compress's unrolled loop, then its do-while. */
function matchLength(input: Uint8Array, ref: number, ip: number, lengthMax: number): number {
  let length = 2;
  if (lengthMax > 16) {
    for (let step = 0; step < 16; step++) {
      length++;
      if (input[ref + length] !== input[ip + length]) return length;
    }
  }
  do length++;
  while (length < lengthMax && input[ref + length] === input[ip + length]);
  return length;
}

/**
 * lzf_compress(input, input.length, out, outBytesMax): the compressed bytes, or undefined when
 * they would not fit in outBytesMax (Redis then stores the string uncompressed).
 */
export function lzfCompress(input: Uint8Array, outBytesMax: number): Buffer | undefined {
  const inEnd = input.length;
  if (inEnd === 0 || outBytesMax <= 0) return undefined;
  const out = Buffer.alloc(outBytesMax + 4); // room for the run header lzf may write at out_end
  const table = new Int32Array(HASH_SIZE); // offsets; 0 never matches (ref > in_data fails)
  let ip = 0;
  let op = 1; // start run
  let literals = 0;
  let hash = ((input[0] as number) << 8) | (input[1] ?? 0);
  while (ip < inEnd - 2) {
    hash = ((hash << 8) | (input[ip + 2] as number)) >>> 0;
    const slot = hashIndex(hash);
    const ref = table[slot] as number;
    table[slot] = ip;
    const offset = ip - ref - 1;
    if (offset < OFFSET_MAX && ref > 0 && input[ref + 2] === input[ip + 2] && input[ref] === input[ip] && input[ref + 1] === input[ip + 1]) {
      const lengthMax = Math.min(inEnd - ip - 2, REFERENCE_MAX);
      if (op + 3 + 1 >= outBytesMax && op - (literals === 0 ? 1 : 0) + 3 + 1 >= outBytesMax) return undefined;
      out[op - literals - 1] = (literals - 1) & 0xff; // stop run
      if (literals === 0) op--; // undo run if length is zero
      const length = matchLength(input, ref, ip, lengthMax) - 2; // octets - 1
      ip++;
      if (length < 7) {
        out[op++] = (offset >> 8) + (length << 5);
      } else {
        out[op++] = (offset >> 8) + (7 << 5);
        out[op++] = length - 7;
      }
      out[op++] = offset & 0xff;
      literals = 0;
      op++; // start run
      ip += length + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      hash = ((input[ip] as number) << 8) | (input[ip + 1] as number);
      hash = ((hash << 8) | (input[ip + 2] as number)) >>> 0;
      table[hashIndex(hash)] = ip;
      ip++;
      hash = ((hash << 8) | (input[ip + 2] as number)) >>> 0;
      table[hashIndex(hash)] = ip;
      ip++;
    } else {
      if (op >= outBytesMax) return undefined;
      literals++;
      out[op++] = input[ip++] as number;
      if (literals === LITERAL_MAX) {
        out[op - literals - 1] = literals - 1;
        literals = 0;
        op++;
      }
    }
  }
  if (op + 3 > outBytesMax) return undefined; // at most 3 bytes can be missing here
  while (ip < inEnd) {
    literals++;
    out[op++] = input[ip++] as number;
    if (literals === LITERAL_MAX) {
      out[op - literals - 1] = literals - 1;
      literals = 0;
      op++;
    }
  }
  out[op - literals - 1] = (literals - 1) & 0xff; // end run
  if (literals === 0) op--;
  assert.ok(op <= outBytesMax, `lzf wrote ${op} bytes into ${outBytesMax}`);
  return out.subarray(0, op);
}

/** The most bytes `compressedBytes` of LZF can expand to (a 3-byte reference yields 264). */
export function lzfExpandedBytesMax(compressedBytes: number): number {
  return Math.ceil(compressedBytes / 3) * REFERENCE_MAX + compressedBytes;
}

/** lzf_decompress(input, input.length, out, out.length): bytes written, 0 when input is malformed. */
export function lzfDecompress(input: Uint8Array, out: Uint8Array): number {
  const inEnd = input.length;
  const outEnd = out.length;
  let ip = 0;
  let op = 0;
  while (ip < inEnd) {
    let control = input[ip++] as number;
    if (control < 1 << 5) {
      control++;
      if (op + control > outEnd || ip + control > inEnd) return 0;
      out.set(input.subarray(ip, ip + control), op);
      op += control;
      ip += control;
    } else {
      let length = control >> 5;
      let ref = op - ((control & 0x1f) << 8) - 1;
      if (ip >= inEnd) return 0;
      if (length === 7) {
        length += input[ip++] as number;
        if (ip >= inEnd) return 0;
      }
      ref -= input[ip++] as number;
      if (op + length + 2 > outEnd || ref < 0) return 0;
      for (let count = length + 2; count > 0; count--) out[op++] = out[ref++] as number;
    }
  }
  return op;
}
