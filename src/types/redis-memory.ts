// src/types/redis-memory.ts: the sizes Redis 7.0 (64-bit, jemalloc) gives its objects, so MEMORY
// USAGE can answer what Redis would report for the same value (src/object.c objectComputeSize).
// tskv keeps values on disk, so these are estimates of Redis's layout, not of tskv's memory.
import { string2ll } from './number-text.js';

export const ROBJ_BYTES = 16; // sizeof(robj)
export const DICT_ENTRY_BYTES = 24; // sizeof(dictEntry)
export const DICT_BYTES = 56; // sizeof(dict)
const LISTPACK_HEADER_BYTES = 6; // total bytes u32, count u16
const INTSET_HEADER_BYTES = 8; // encoding u32, length u32

/** jemalloc's size class for an allocation of `bytes` (8, 16, 32, 48, 64, then 4 per doubling). */
export function jemallocSize(bytes: number): number {
  if (bytes <= 8) return 8;
  if (bytes <= 64) return Math.ceil(bytes / 16) * 16;
  let base = 64;
  while (base * 2 < bytes) base *= 2;
  const step = base / 4;
  return Math.ceil(bytes / step) * step;
}

/** The header of the sds type Redis picks for a string of this length (sdsReqType; type 5 below 32). */
export function sdsHeaderBytes(length: number): number {
  if (length < 32) return 1;
  if (length < 256) return 3;
  if (length < 65_536) return 5;
  return 9;
}

/** sdsZmallocSize of a fresh sds of this length. */
export function sdsAllocBytes(length: number): number {
  return jemallocSize(sdsHeaderBytes(length) + length + 1);
}

/** One listpack entry (lpEncodeString / integer encodings, plus its back-length). */
export function listpackEntryBytes(element: Buffer): number {
  const integer = element.length <= 20 ? string2ll(element) : undefined;
  let body: number;
  if (integer !== undefined) {
    const value = integer;
    if (value >= 0n && value <= 127n) body = 1;
    else if (value >= -4096n && value <= 4095n) body = 2;
    else if (value >= -32768n && value <= 32767n) body = 3;
    else if (value >= -8388608n && value <= 8388607n) body = 4;
    else if (value >= -2147483648n && value <= 2147483647n) body = 5;
    else body = 9;
  } else {
    const length = element.length;
    body = (length < 64 ? 1 : length < 4096 ? 2 : 5) + length;
  }
  return body + (body < 128 ? 1 : body < 16_384 ? 2 : body < 2_097_152 ? 3 : body < 268_435_456 ? 4 : 5);
}

/** A listpack holding these entries, as allocated. */
export function listpackBytes(entries: Iterable<Buffer>): number {
  let bytes = LISTPACK_HEADER_BYTES + 1; // + the end byte
  for (const entry of entries) bytes += listpackEntryBytes(entry);
  return jemallocSize(bytes);
}

/** An intset of count integers of the given width (2, 4 or 8 bytes). */
export function intsetBytes(count: number, width: number): number {
  return jemallocSize(INTSET_HEADER_BYTES + count * width);
}

/** A dict's fixed part plus its bucket array (power of two, at least 4). */
export function dictBytes(count: number): number {
  let slots = 4;
  while (slots < count) slots *= 2;
  return DICT_BYTES + 8 * slots;
}
