// src/types/dump-payload.ts: the DUMP / RESTORE payload of Redis 7.0 (src/cluster.c createDumpPayload,
// verifyDumpPayload, restoreCommand's rdbLoadObjectType + rdbLoadObject). Layout:
//   offset    bytes   field
//   0         1       RDB object type (0 = string; the only type tskv stores)
//   1         n       the object; for a string, its RDB string encoding (src/types/rdb-string.ts)
//   1 + n     2       RDB version, little-endian: 10 written; anything up to 10 accepted
//   3 + n     8       CRC-64 (src/types/crc64.ts) of bytes 0 .. 2 + n, little-endian
// Invariants:
// - verifyDumpPayload is Redis's check: at least 10 bytes, version <= 10, CRC matches.
// - decodeDumpPayload reads the object from offset 0 over the whole payload, footer included, as
//   Redis's rio buffer does; like Redis it does not require the object to end at the footer.
import { crc64 } from './crc64.js';
import { decodeRdbString, encodeRdbString, type RdbCursor } from './rdb-string.js';

export const DUMP_RDB_VERSION = 10;
export const DUMP_FOOTER_BYTES = 10; // version (2) + crc (8)
/** RDB object types (src/rdb.h) tskv reads or writes. */
export const RDB_TYPE = {
  string: 0, list: 1, set: 2, zset: 3, hash: 4, zset2: 5, hashZipmap: 9, listZiplist: 10, setIntset: 11, zsetZiplist: 12, hashZiplist: 13,
  listQuicklist: 14, hashListpack: 16, zsetListpack: 17, listQuicklist2: 18, setListpack: 20,
} as const;

/** createDumpPayload for a string value. */
export function createDumpPayload(value: Buffer): Buffer {
  return createObjectDumpPayload([Buffer.from([RDB_TYPE.string]), ...encodeRdbString(value)]);
}

/** createDumpPayload around an RDB object (its type byte, then the object). */
export function createObjectDumpPayload(object: readonly Buffer[]): Buffer {
  const body = Buffer.concat([...object, Buffer.from([DUMP_RDB_VERSION & 0xff, DUMP_RDB_VERSION >> 8])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
}

/** verifyDumpPayload: the version is known and the checksum matches. */
export function verifyDumpPayload(payload: Buffer): boolean {
  if (payload.length < DUMP_FOOTER_BYTES) return false;
  const footer = payload.length - DUMP_FOOTER_BYTES;
  if (payload.readUInt16LE(footer) > DUMP_RDB_VERSION) return false;
  return crc64(payload.subarray(0, footer + 2)) === payload.readBigUInt64LE(footer + 2);
}

/**
 * The string a verified payload holds, or undefined where Redis answers "Bad data format" (a type
 * other than string counts: tskv has no other type yet) or where it would exceed valueBytesMax.
 */
export function decodeDumpPayload(payload: Buffer, valueBytesMax: number): Buffer | undefined {
  const cursor: RdbCursor = { bytes: payload, offset: 0 };
  if (payload[cursor.offset++] !== RDB_TYPE.string) return undefined;
  return decodeRdbString(cursor, valueBytesMax);
}
