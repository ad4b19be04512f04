// src/types/crc64.ts: Redis's CRC-64 (src/crc64.c): the Jones polynomial 0xad93d23594c935a9, reflected
// (0x95ac9329ac4bc9b5), initial value 0, no final xor. It guards every DUMP payload.
// Invariants:
// - crc64('123456789') === 0xe9c6d914c4b8d9can (Redis's own self-test vector).
// - The 64-bit state is kept as two unsigned 32-bit halves so the byte loop never allocates.
const POLY_REFLECTED = 0x95ac9329ac4bc9b5n;

const TABLE_LOW = new Uint32Array(256);
const TABLE_HIGH = new Uint32Array(256);
for (let index = 0; index < 256; index++) {
  let crc = BigInt(index);
  for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY_REFLECTED : crc >> 1n;
  TABLE_LOW[index] = Number(crc & 0xffffffffn);
  TABLE_HIGH[index] = Number(crc >> 32n);
}

/** The CRC-64 of bytes, continuing from crc (0 for a fresh one). */
export function crc64(bytes: Uint8Array, crc = 0n): bigint {
  let low = Number(crc & 0xffffffffn);
  let high = Number((crc >> 32n) & 0xffffffffn);
  for (let position = 0; position < bytes.length; position++) {
    const index = (low ^ (bytes[position] as number)) & 0xff;
    low = (((low >>> 8) | (high << 24)) ^ (TABLE_LOW[index] as number)) >>> 0;
    high = ((high >>> 8) ^ (TABLE_HIGH[index] as number)) >>> 0;
  }
  return (BigInt(high) << 32n) | BigInt(low);
}
