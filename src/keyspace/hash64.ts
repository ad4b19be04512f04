// src/hash64.ts: the fixed 64-bit hash that orders keys inside a keyspace namespace (so a SCAN
// cursor is a hash position). Two MurmurHash3 x86_32 halves over the key bytes with fixed seeds:
// high half with HASH_SEEDS.high, low half with HASH_SEEDS.low.
// Invariants:
// - Unseeded per process and never changed: the hash is part of the on-disk key layout
//   (keyspace.ts), so a value written by one version must be found by the next. Changing a seed
//   or the mixing is a format change.
// - hash64(key) === readBigUInt64BE of what writeHash64 writes.
export const HASH_SEEDS = { high: 0x9747b28c, low: 0x2f6b8a1d } as const;
export const HASH_BYTES = 8;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(k: number): number {
  let block = Math.imul(k, C1);
  block = (block << 15) | (block >>> 17);
  return Math.imul(block, C2);
}

function mixHash(h: number, block: number): number {
  let hash = h ^ block;
  hash = (hash << 13) | (hash >>> 19);
  return (Math.imul(hash, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  let hash = h ^ length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** hash64's halves, written by hash64Halves (a module scratch, so the hot path allocates nothing). */
export const HASH64_HALVES = new Uint32Array(2); // [high, low]

/** Sets HASH64_HALVES to the key's two 32-bit halves (high: HASH_SEEDS.high, low: HASH_SEEDS.low). */
export function hash64Halves(key: Uint8Array): void {
  const length = key.length;
  const blockEnd = length & ~3;
  let high: number = HASH_SEEDS.high | 0;
  let low: number = HASH_SEEDS.low | 0;
  for (let index = 0; index < blockEnd; index += 4) {
    const block = mixBlock(key[index]! | (key[index + 1]! << 8) | (key[index + 2]! << 16) | (key[index + 3]! << 24));
    high = mixHash(high, block);
    low = mixHash(low, block);
  }
  const rest = length & 3;
  if (rest > 0) {
    let tail = key[blockEnd]!;
    if (rest > 1) tail ^= key[blockEnd + 1]! << 8;
    if (rest > 2) tail ^= key[blockEnd + 2]! << 16;
    const block = mixBlock(tail);
    high ^= block;
    low ^= block;
  }
  HASH64_HALVES[0] = finalize(high, length);
  HASH64_HALVES[1] = finalize(low, length);
}

/** Writes word as 4 big-endian bytes at target[offset] (offset + 4 <= target.length: the caller sized it). */
export function writeWordBE(target: Uint8Array, offset: number, word: number): void {
  target[offset] = word >>> 24;
  target[offset + 1] = word >>> 16;
  target[offset + 2] = word >>> 8;
  target[offset + 3] = word;
}

/** Writes the 8 hash bytes (big-endian: high half, then low half) at target[offset]. */
export function writeHash64(key: Uint8Array, target: Buffer, offset: number): void {
  if (offset < 0 || offset + HASH_BYTES > target.length) throw new RangeError(`hash bytes at ${offset} outside a buffer of ${target.length}`);
  hash64Halves(key);
  writeWordBE(target, offset, HASH64_HALVES[0]!);
  writeWordBE(target, offset + 4, HASH64_HALVES[1]!);
}

export function hash64(key: Uint8Array): bigint {
  const bytes = Buffer.allocUnsafe(HASH_BYTES);
  writeHash64(key, bytes, 0);
  return bytes.readBigUInt64BE(0);
}
