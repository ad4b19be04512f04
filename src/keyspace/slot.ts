// src/keyspace/slot.ts: Redis Cluster's hash slot of a key, and the 64-bit position that orders
// keys inside a keyspace namespace (layout.ts) by slot first.
//   slot     = CRC16-XMODEM(hash tag or whole key) mod 16384   (redis/redis src/cluster.c keyHashSlot)
//   position = slot (14 bits) | the top 50 bits of hash64(key)  (u64, big-endian in engine keys)
// The hash tag is the part between the first '{' and the next '}' when that part is non-empty
// ('foo{}{bar}' hashes whole, 'foo{{bar}}zap' hashes '{bar').
// Invariants:
// - Both are fixed functions of the key bytes: they are part of the on-disk key layout, so a key
//   written by one version is found by the next. Changing either is a format change.
// - A slot's keys are one contiguous range of positions: [slot << 50, (slot + 1) << 50).
import { HASH64_HALVES, hash64Halves, writeWordBE } from './hash64.js';

export const SLOT_COUNT = 16384;
export const SLOT_BITS = 14;
export const POSITION_BYTES = 8;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16-XMODEM (poly 0x1021, init 0) of bytes[start, end), as Redis's crc16(). */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let index = start; index < end; index++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >>> 8) ^ bytes[index]!) & 0xff]!;
  return crc;
}

/** The key's hash slot, hash tags honoured (Redis's keyHashSlot). */
export function keySlot(key: Uint8Array): number {
  const length = key.length;
  // JS loops: Buffer#indexOf is a native call that cost more than the search (SET's lookup)
  let open = 0;
  while (open < length && key[open] !== 0x7b) open++; // '{'
  if (open < length) {
    let close = open + 1;
    while (close < length && key[close] !== 0x7d) close++; // '}'
    if (close < length && close > open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key) & (SLOT_COUNT - 1);
}

/** Writes the key's 8-byte position at target[offset]: slot in the top 14 bits, then the top 50 bits of hash64(key). */
export function writePosition(key: Uint8Array, target: Buffer, offset: number): void {
  if (offset < 0 || offset + POSITION_BYTES > target.length) throw new RangeError(`position bytes at ${offset} outside a buffer of ${target.length}`);
  const slot = keySlot(key);
  hash64Halves(key);
  const high = HASH64_HALVES[0]!;
  const low = HASH64_HALVES[1]!;
  writeWordBE(target, offset, ((slot << 18) | (high >>> 14)) >>> 0);
  writeWordBE(target, offset + 4, (((high & 0x3fff) << 18) | (low >>> 14)) >>> 0);
}

/** The first position of a slot (SCAN cursors and cluster ranges). */
export function slotStartPosition(slot: number): bigint {
  return BigInt(slot) << 50n;
}

export function slotOfPosition(position: bigint): number {
  return Number(position >> 50n);
}
