// src/types/rdb-listpack.ts: the listpack (Redis 7.0 src/listpack.c), the blob a DUMP of a small
// hash carries inside one RDB string (RDB_TYPE_HASH_LISTPACK; Redis 7.2 also RDB_TYPE_SET_LISTPACK).
// Little-endian:
//   offset  bytes  field
//   0       4      total bytes: the whole blob, header and end byte included
//   4       2      entry count; 65535 = too many to count (read by walking)
//   6       ...    entries, each: encoding byte(s), data, backlen
//   n - 1   1      0xFF, the end
// An entry's first byte says what it is:
//   0xxxxxxx                 7-bit unsigned integer, in the byte itself
//   10LLLLLL, L bytes        string of at most 63 bytes
//   110xxxxx, 1 byte         13-bit two's complement integer (high bits first)
//   1110LLLL, 1 byte, L      string of at most 4095 bytes (length high bits first)
//   0xF0, u32 length, L      string
//   0xF1 i16 | 0xF2 i24 | 0xF3 i32 | 0xF4 i64    integer
//   0xF5 .. 0xFE             invalid
// backlen: the entry's size without its backlen, 7 bits a byte, most significant byte first;
// every byte but the first has its top bit set, so a reader going backwards knows where it stops.
// Invariants:
// - decodeListpack accepts exactly what lpValidateIntegrity(deep = 1) accepts (header total =
//   blob size, last byte 0xFF, every entry inside the blob with a backlen that matches, the end
//   where the header says, the count matching unless 65535) and answers undefined for the rest;
//   it never reads past the blob, and every entry it returns is at least one byte of the blob, so
//   what it allocates is bounded by the blob's size.
// - Integers come back as their decimal text (lpGet with an intbuf), so a hash field stored as
//   the integer 12 equals the string "12".
// - encodeListpack writes what lpAppend writes: a canonical integer of at most 20 bytes in the
//   smallest integer encoding, anything else as a string.
import { string2ll } from './number-text.js';

export const LISTPACK_HEADER_BYTES = 6;
export const LISTPACK_END = 0xff;
export const LISTPACK_COUNT_UNKNOWN = 0xffff;
const LISTPACK_BYTES_MAX = 0xffffffff; // the header's u32

const ENCODING = { string32: 0xf0, int16: 0xf1, int24: 0xf2, int32: 0xf3, int64: 0xf4 } as const;

/** lpEncodeBacklen's size: how many bytes a backlen of this value takes. */
function backlenBytes(length: number): number {
  if (length <= 127) return 1;
  if (length < 16383) return 2;
  if (length < 2097151) return 3;
  if (length < 268435455) return 4;
  return 5;
}

/** lpEncodeBacklen. */
function encodeBacklen(length: number): Buffer {
  const size = backlenBytes(length);
  const out = Buffer.alloc(size);
  for (let index = size - 1, rest = length; index >= 0; index--, rest = Math.floor(rest / 128)) {
    out[index] = (rest % 128) | (index > 0 ? 0x80 : 0); // the first byte (read last) has no top bit
  }
  return out;
}

/** lpDecodeBacklen, reading backwards from `last`: undefined past 5 bytes (or the blob's start). */
function decodeBacklen(bytes: Buffer, last: number): number | undefined {
  let value = 0;
  let shift = 0;
  for (let position = last; ; position--) {
    if (position < 0) return undefined;
    const byte = bytes[position] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return value;
    shift += 7;
    if (shift > 28) return undefined;
  }
}

interface EntryHead {
  headBytes: number; // encoding byte(s) before the data
  dataBytes: number; // string bytes, or integer bytes after the encoding byte
  string: boolean;
}

/** lpCurrentEncodedSizeBytes + lpCurrentEncodedSizeUnsafe, with the reads bounded by `end`. */
function entryHead(bytes: Buffer, position: number, end: number): EntryHead | undefined {
  const first = bytes[position] as number;
  if ((first & 0x80) === 0) return { headBytes: 1, dataBytes: 0, string: false };
  if ((first & 0xc0) === 0x80) return { headBytes: 1, dataBytes: first & 0x3f, string: true };
  if ((first & 0xe0) === 0xc0) return { headBytes: 1, dataBytes: 1, string: false };
  if ((first & 0xf0) === 0xe0) {
    if (position + 1 >= end) return undefined;
    return { headBytes: 2, dataBytes: ((first & 0x0f) << 8) | (bytes[position + 1] as number), string: true };
  }
  switch (first) {
    case ENCODING.string32:
      if (position + 5 > end) return undefined;
      return { headBytes: 5, dataBytes: bytes.readUInt32LE(position + 1), string: true };
    case ENCODING.int16:
      return { headBytes: 1, dataBytes: 2, string: false };
    case ENCODING.int24:
      return { headBytes: 1, dataBytes: 3, string: false };
    case ENCODING.int32:
      return { headBytes: 1, dataBytes: 4, string: false };
    case ENCODING.int64:
      return { headBytes: 1, dataBytes: 8, string: false };
    default:
      return undefined; // 0xF5 .. 0xFE (0xFF is the end, handled by the caller)
  }
}

/** lpGet's integer, as decimal text. */
function integerText(bytes: Buffer, position: number, head: EntryHead): Buffer {
  const first = bytes[position] as number;
  const data = position + 1;
  let value: number | bigint;
  if (head.dataBytes === 0) value = first & 0x7f;
  else if ((first & 0xe0) === 0xc0) value = ((((first & 0x1f) << 8) | (bytes[data] as number)) << 19) >> 19;
  else if (head.dataBytes === 8) value = bytes.readBigInt64LE(data);
  else value = bytes.readIntLE(data, head.dataBytes);
  return Buffer.from(String(value), 'latin1');
}

/** The entries of a listpack blob (lpValidateIntegrity, deep), or undefined where Redis refuses it. */
export function decodeListpack(blob: Buffer): Buffer[] | undefined {
  if (blob.length < LISTPACK_HEADER_BYTES + 1) return undefined;
  if (blob.readUInt32LE(0) !== blob.length || blob[blob.length - 1] !== LISTPACK_END) return undefined;
  const last = blob.length - 1; // the end byte: no entry may reach it
  const entries: Buffer[] = [];
  let position = LISTPACK_HEADER_BYTES;
  while (blob[position] !== LISTPACK_END) {
    const head = entryHead(blob, position, last);
    if (head === undefined || position + head.headBytes > last) return undefined;
    const size = head.headBytes + head.dataBytes;
    const backlen = backlenBytes(size);
    const next = position + size + backlen;
    if (next > last) return undefined;
    if (decodeBacklen(blob, next - 1) !== size) return undefined;
    entries.push(head.string ? blob.subarray(position + head.headBytes, position + size) : integerText(blob, position, head));
    position = next;
  }
  if (position !== last) return undefined;
  const count = blob.readUInt16LE(4);
  return count !== LISTPACK_COUNT_UNKNOWN && count !== entries.length ? undefined : entries;
}

/** lpEncodeIntegerGetType: the encoding of an integer entry (without backlen). */
function encodeInteger(value: bigint): Buffer {
  if (value >= 0n && value <= 127n) return Buffer.from([Number(value)]);
  if (value >= -4096n && value <= 4095n) {
    const bits = Number(value < 0n ? (1n << 13n) + value : value);
    return Buffer.from([0xc0 | (bits >> 8), bits & 0xff]);
  }
  const sized = (encoding: number, width: number): Buffer => {
    const out = Buffer.alloc(1 + width);
    out[0] = encoding;
    if (width === 8) out.writeBigInt64LE(value, 1);
    else out.writeIntLE(Number(value), 1, width);
    return out;
  };
  if (value >= -32768n && value <= 32767n) return sized(ENCODING.int16, 2);
  if (value >= -8388608n && value <= 8388607n) return sized(ENCODING.int24, 3);
  if (value >= -2147483648n && value <= 2147483647n) return sized(ENCODING.int32, 4);
  return sized(ENCODING.int64, 8);
}

/** lpEncodeString: the encoding of a string entry (without backlen). */
function encodeString(value: Buffer): Buffer[] {
  if (value.length < 64) return [Buffer.from([0x80 | value.length]), value];
  if (value.length < 4096) return [Buffer.from([0xe0 | (value.length >> 8), value.length & 0xff]), value];
  const head = Buffer.alloc(5);
  head[0] = ENCODING.string32;
  head.writeUInt32LE(value.length, 1);
  return [head, value];
}

/** A listpack holding entries, as lpAppend builds it. */
export function encodeListpack(entries: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(LISTPACK_HEADER_BYTES)];
  let total = LISTPACK_HEADER_BYTES + 1;
  for (const entry of entries) {
    const integer = string2ll(entry);
    const encoded = integer === undefined ? encodeString(entry) : [encodeInteger(integer)];
    const size = encoded.reduce((sum, part) => sum + part.length, 0);
    parts.push(...encoded, encodeBacklen(size));
    total += size + backlenBytes(size);
  }
  if (total > LISTPACK_BYTES_MAX) throw new RangeError(`a listpack of ${total} bytes exceeds its u32 header`);
  parts.push(Buffer.from([LISTPACK_END]));
  const header = parts[0] as Buffer;
  header.writeUInt32LE(total, 0);
  header.writeUInt16LE(Math.min(entries.length, LISTPACK_COUNT_UNKNOWN), 4);
  return Buffer.concat(parts, total);
}
