// src/types/score-order.ts: a sorted set's scores as bytes. Two forms, both 8 bytes:
//   stored score   the IEEE-754 binary64 bits, big-endian, exactly as given (-0 stays -0):
//                  the value of a member's element (zset.ts)
//   sortable score the same bits with the sign bit set for a positive number, all 64 bits
//                  flipped for a negative one, so unsigned byte order is numeric order:
//                    -inf 000fffffffffffff   -1 400fffffffffffff   -5e-324 7ffffffffffffffe
//                    +0   8000000000000000   5e-324 8000000000000001   1 bff0000000000000
//                    +inf fff0000000000000
//                  the score index's key part (zset-index.ts)
// Invariants:
// - NaN is never encoded (Redis refuses it before any write): asserted.
// - -0 and +0 compare equal in Redis, so -0 gets +0's sortable bytes; a member's stored score
//   keeps the sign (ZSCORE of a skiplist zset says "-0").
// - For non-NaN a and b: compare(sortable(a), sortable(b)) has the sign of a - b.
import assert from 'node:assert/strict';

export const SCORE_BYTES = 8;
const SIGN_BIT = 0x80;

/** Writes the stored form (raw binary64 bits, big-endian) of score at offset. */
export function writeStoredScore(score: number, target: Buffer, offset: number): void {
  assert.ok(!Number.isNaN(score), 'a score is never NaN');
  target.writeDoubleBE(score, offset);
}

export function encodeStoredScore(score: number): Buffer {
  const bytes = Buffer.allocUnsafe(SCORE_BYTES);
  writeStoredScore(score, bytes, 0);
  return bytes;
}

export function readStoredScore(source: Buffer, offset = 0): number {
  return source.readDoubleBE(offset);
}

/** Writes the sortable form of score (-0 as +0) at offset. */
export function writeSortableScore(score: number, target: Buffer, offset: number): void {
  assert.ok(!Number.isNaN(score), 'a score is never NaN');
  target.writeDoubleBE(score === 0 ? 0 : score, offset);
  if ((target[offset]! & SIGN_BIT) === 0) {
    target[offset] = target[offset]! | SIGN_BIT;
    return;
  }
  for (let index = offset; index < offset + SCORE_BYTES; index++) target[index] = ~target[index]! & 0xff;
}

export function encodeSortableScore(score: number): Buffer {
  const bytes = Buffer.allocUnsafe(SCORE_BYTES);
  writeSortableScore(score, bytes, 0);
  return bytes;
}

const scratch = Buffer.alloc(SCORE_BYTES); // decoding only: no allocation per index entry read

/** The score a sortable form holds (+0 for either zero). */
export function readSortableScore(source: Buffer, offset: number): number {
  const positive = (source[offset]! & SIGN_BIT) !== 0;
  const flip = positive ? 0 : 0xff;
  for (let index = 0; index < SCORE_BYTES; index++) scratch[index] = source[offset + index]! ^ flip;
  if (positive) scratch[0] = scratch[0]! & ~SIGN_BIT;
  return scratch.readDoubleBE(0);
}

/**
 * The sortable form that follows `sortable` (8 bytes) in byte order, or undefined after
 * 0xff..ff: every key [sortable][member] sorts below [next][...].
 */
export function nextSortable(sortable: Buffer): Buffer | undefined {
  const next = Buffer.from(sortable);
  for (let index = SCORE_BYTES - 1; index >= 0; index--) {
    if (next[index]! < 0xff) {
      next[index]!++;
      return next;
    }
    next[index] = 0;
  }
  return undefined;
}
