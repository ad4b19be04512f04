// src/types/rdb-string.ts: the RDB string encoding (Redis 7.0 src/rdb.c rdbSaveRawString,
// rdbGenericLoadStringObject), as DUMP payloads carry it. A string is one of:
//   length, then that many bytes                        plain
//   0xC0 i8 | 0xC1 i16 LE | 0xC2 i32 LE                 an integer, written back in decimal
//   0xC3, compressed length, plain length, LZF bytes    compressed (src/types/lzf.ts)
// A length is its first byte's top two bits: 00 = 6-bit length in that byte, 01 = 14-bit length
// (6 bits + the next byte), 0x80 = 32-bit big-endian length follows, 0x81 = 64-bit; 11 = one of
// the encodings above (low 6 bits: 0 int8, 1 int16, 2 int32, 3 lzf).
// Invariants:
// - encodeRdbString writes what Redis writes with rdbcompression yes: the integer form for a
//   canonical integer of at most 11 bytes that fits 32 bits, LZF for more than 20 bytes when it
//   saves at least 4, else plain.
// - decodeRdbString accepts every form Redis accepts and fails (undefined) where Redis's loader
//   fails: a bad length prefix, an unknown encoding, bytes past the end, LZF that does not expand
//   to exactly its stated length. It also fails on a value longer than valueBytesMax.
import { string2ll } from './number-text.js';
import { lzfCompress, lzfDecompress, lzfExpandedBytesMax } from './lzf.js';

export const RDB_LENGTH = { bits6: 0, bits14: 1, bits32: 0x80, bits64: 0x81, encodedValue: 3 } as const;
export const RDB_ENCODING = { int8: 0, int16: 1, int32: 2, lzf: 3 } as const;
/** rdbSaveRawString: integers are tried up to 11 bytes, LZF above 20. */
export const RDB_INTEGER_BYTES_MAX = 11;
export const RDB_COMPRESS_BYTES_MIN = 21;
/** rdbSaveLzfStringObject: compressing must save more than this many bytes. */
const LZF_SAVED_BYTES_MIN = 4;

/** rdbSaveLen. */
export function encodeRdbLength(length: number): Buffer {
  if (length < 1 << 6) return Buffer.from([(RDB_LENGTH.bits6 << 6) | length]);
  if (length < 1 << 14) return Buffer.from([(RDB_LENGTH.bits14 << 6) | (length >> 8), length & 0xff]);
  if (length <= 0xffffffff) {
    const head = Buffer.alloc(5);
    head[0] = RDB_LENGTH.bits32;
    head.writeUInt32BE(length, 1);
    return head;
  }
  const head = Buffer.alloc(9);
  head[0] = RDB_LENGTH.bits64;
  head.writeBigUInt64BE(BigInt(length), 1);
  return head;
}

/** rdbEncodeInteger: the 2, 3 or 5 byte form, or undefined outside 32 bits. */
function encodeRdbInteger(value: bigint): Buffer | undefined {
  const encoded = (kind: number, bytes: number): Buffer => {
    const out = Buffer.alloc(1 + bytes);
    out[0] = (RDB_LENGTH.encodedValue << 6) | kind;
    out.writeIntLE(Number(value), 1, bytes);
    return out;
  };
  if (value >= -128n && value <= 127n) return encoded(RDB_ENCODING.int8, 1);
  if (value >= -32768n && value <= 32767n) return encoded(RDB_ENCODING.int16, 2);
  if (value >= -2147483648n && value <= 2147483647n) return encoded(RDB_ENCODING.int32, 4);
  return undefined;
}

/** rdbSaveRawString with rdbcompression yes: the encoded string, as chunks to concatenate. */
export function encodeRdbString(value: Buffer): Buffer[] {
  if (value.length <= RDB_INTEGER_BYTES_MAX) {
    const integer = string2ll(value);
    const encoded = integer === undefined ? undefined : encodeRdbInteger(integer);
    if (encoded !== undefined) return [encoded];
  }
  if (value.length >= RDB_COMPRESS_BYTES_MIN) {
    const compressed = lzfCompress(value, value.length - LZF_SAVED_BYTES_MIN);
    if (compressed !== undefined) {
      const marker = Buffer.from([(RDB_LENGTH.encodedValue << 6) | RDB_ENCODING.lzf]);
      return [marker, encodeRdbLength(compressed.length), encodeRdbLength(value.length), compressed];
    }
  }
  return [encodeRdbLength(value.length), value];
}

/** A read position in a payload; `offset` advances as fields are read. */
export interface RdbCursor {
  readonly bytes: Buffer;
  offset: number;
}

interface RdbLength {
  value: number;
  encoded: boolean;
}

/** rdbLoadLen: undefined for a cut-short or unknown prefix (and for lengths past 2^53). */
export function readRdbLength(cursor: RdbCursor): RdbLength | undefined {
  const { bytes } = cursor;
  const first = bytes[cursor.offset];
  if (first === undefined) return undefined;
  cursor.offset++;
  const kind = first >> 6;
  if (kind === RDB_LENGTH.encodedValue) return { value: first & 0x3f, encoded: true };
  if (kind === RDB_LENGTH.bits6) return { value: first & 0x3f, encoded: false };
  if (kind === RDB_LENGTH.bits14) {
    const second = bytes[cursor.offset];
    if (second === undefined) return undefined;
    cursor.offset++;
    return { value: ((first & 0x3f) << 8) | second, encoded: false };
  }
  const width = first === RDB_LENGTH.bits32 ? 4 : first === RDB_LENGTH.bits64 ? 8 : 0;
  if (width === 0 || cursor.offset + width > bytes.length) return undefined;
  const value = width === 4 ? bytes.readUInt32BE(cursor.offset) : bytes.readBigUInt64BE(cursor.offset);
  cursor.offset += width;
  if (typeof value === 'bigint' && value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { value: Number(value), encoded: false };
}

function readBytes(cursor: RdbCursor, length: number): Buffer | undefined {
  if (length > cursor.bytes.length - cursor.offset) return undefined;
  const out = cursor.bytes.subarray(cursor.offset, cursor.offset + length);
  cursor.offset += length;
  return out;
}

/** rdbLoadIntegerObject: the signed little-endian integer, in decimal. */
function readRdbInteger(cursor: RdbCursor, encoding: number): Buffer | undefined {
  const width = encoding === RDB_ENCODING.int8 ? 1 : encoding === RDB_ENCODING.int16 ? 2 : 4;
  const raw = readBytes(cursor, width);
  return raw === undefined ? undefined : Buffer.from(String(raw.readIntLE(0, width)), 'latin1');
}

/** rdbLoadLzfStringObject. */
function readRdbLzf(cursor: RdbCursor, valueBytesMax: number): Buffer | undefined {
  const compressedLength = readRdbLength(cursor);
  const plainLength = readRdbLength(cursor);
  if (compressedLength === undefined || plainLength === undefined) return undefined;
  const compressed = readBytes(cursor, compressedLength.value);
  if (compressed === undefined) return undefined;
  const length = plainLength.value;
  if (length > valueBytesMax || length > lzfExpandedBytesMax(compressed.length)) return undefined;
  const value = Buffer.allocUnsafe(length);
  return lzfDecompress(compressed, value) === length ? value : undefined;
}

/** rdbGenericLoadStringObject: the string at the cursor, or undefined where Redis fails to load. */
export function decodeRdbString(cursor: RdbCursor, valueBytesMax: number): Buffer | undefined {
  const length = readRdbLength(cursor);
  if (length === undefined) return undefined;
  if (!length.encoded) return length.value > valueBytesMax ? undefined : readBytes(cursor, length.value);
  switch (length.value) {
    case RDB_ENCODING.int8:
    case RDB_ENCODING.int16:
    case RDB_ENCODING.int32:
      return readRdbInteger(cursor, length.value);
    case RDB_ENCODING.lzf:
      return readRdbLzf(cursor, valueBytesMax);
    default:
      return undefined; // "Unknown RDB string encoding type"
  }
}
