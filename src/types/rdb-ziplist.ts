// src/types/rdb-ziplist.ts: the ziplist (Redis 6.x src/ziplist.c), the blob a Redis 6 DUMP of a
// small hash carries inside one RDB string (RDB_TYPE_HASH_ZIPLIST, RDB version 9). Redis 7.0
// still reads it (and converts it to a listpack) but no longer writes it. Little-endian:
//   offset  bytes  field
//   0       4      total bytes: the whole blob
//   4       4      offset of the last entry (10 when there is none)
//   8       2      entry count; 65535 = too many to count (read by walking)
//   10      ...    entries, each: prevlen, encoding, data
//   n - 1   1      0xFF, the end
// prevlen, the previous entry's size (0 for the first): one byte below 254, else 0xFE and a u32.
// encoding (big-endian lengths):
//   00LLLLLL                 string of at most 63 bytes
//   01LLLLLL LLLLLLLL        string of at most 16383 bytes
//   10xxxxxx u32             string (the low 6 bits are unused)
//   0xC0 i16 | 0xD0 i32 | 0xE0 i64 | 0xF0 i24 | 0xFE i8      integer, little-endian
//   0xF1 .. 0xFD             the integer 0 .. 12 in the byte itself
//   anything else            invalid
// Invariants:
// - decodeZiplist accepts exactly what ziplistValidateIntegrity(deep = 1) accepts (header total
//   = blob size, last byte 0xFF, tail offset inside the blob and on the last entry, every entry
//   inside the blob with the previous entry's true size, the end where the header says, the count
//   matching unless 65535), undefined otherwise; it never reads past the blob and returns at most
//   one entry per two blob bytes.
// - Integers come back as their decimal text, as Redis's conversion to a listpack reads them.
// - encodeZiplist writes what Redis 6's ziplistPush writes (zipTryEncoding: a canonical integer
//   of 1 .. 31 bytes in the smallest integer encoding), for tests and hand-built payloads.
import { string2ll } from './number-text.js';

export const ZIPLIST_HEADER_BYTES = 10;
export const ZIPLIST_END = 0xff;
export const ZIPLIST_COUNT_UNKNOWN = 0xffff;
const PREVLEN_BIG = 0xfe;
const INTEGER_TEXT_BYTES_MAX = 31; // zipTryEncoding tries strings shorter than 32 bytes

const ENCODING = { int16: 0xc0, int32: 0xd0, int64: 0xe0, int24: 0xf0, int8: 0xfe, immediateMin: 0xf1, immediateMax: 0xfd } as const;
const STRING = { bits6: 0x00, bits14: 0x40, bits32: 0x80 } as const;

interface Entry {
  prevlen: number;
  headBytes: number; // prevlen + encoding bytes
  dataBytes: number;
  encoding: number; // the encoding byte (strings: its top two bits only)
}

/** zipEntrySafe: the entry at position, every byte it names before `last` (the end byte). */
function readEntry(bytes: Buffer, position: number, last: number): Entry | undefined {
  const prevlenBytes = (bytes[position] as number) < PREVLEN_BIG ? 1 : 5;
  const at = position + prevlenBytes;
  if (at > last) return undefined;
  const prevlen = prevlenBytes === 1 ? (bytes[position] as number) : bytes.readUInt32LE(position + 1);
  const first = bytes[at] as number;
  let lengthBytes = 1;
  let dataBytes: number;
  let encoding = first;
  if (first < 0xc0) {
    encoding = first & 0xc0;
    lengthBytes = encoding === STRING.bits6 ? 1 : encoding === STRING.bits14 ? 2 : 5;
    if (at + lengthBytes > last) return undefined;
    if (encoding === STRING.bits6) dataBytes = first & 0x3f;
    else if (encoding === STRING.bits14) dataBytes = ((first & 0x3f) << 8) | (bytes[at + 1] as number);
    else dataBytes = bytes.readUInt32BE(at + 1);
  } else if (first >= ENCODING.immediateMin && first <= ENCODING.immediateMax) {
    dataBytes = 0;
  } else {
    const widths: Record<number, number> = { [ENCODING.int8]: 1, [ENCODING.int16]: 2, [ENCODING.int24]: 3, [ENCODING.int32]: 4, [ENCODING.int64]: 8 };
    const width = widths[first];
    if (width === undefined) return undefined;
    dataBytes = width;
  }
  const headBytes = prevlenBytes + lengthBytes;
  if (position + headBytes + dataBytes > last) return undefined;
  return { prevlen, headBytes, dataBytes, encoding };
}

/** ziplistGet: a string entry's bytes, or an integer entry's decimal text. */
function entryValue(bytes: Buffer, position: number, entry: Entry): Buffer {
  const data = position + entry.headBytes;
  if (entry.encoding < 0xc0) return bytes.subarray(data, data + entry.dataBytes);
  let value: number | bigint;
  if (entry.dataBytes === 0) value = (entry.encoding & 0x0f) - 1;
  else if (entry.dataBytes === 8) value = bytes.readBigInt64LE(data);
  else value = bytes.readIntLE(data, entry.dataBytes);
  return Buffer.from(String(value), 'latin1');
}

/** The entries of a ziplist blob (ziplistValidateIntegrity, deep), or undefined where Redis refuses it. */
export function decodeZiplist(blob: Buffer): Buffer[] | undefined {
  if (blob.length < ZIPLIST_HEADER_BYTES + 1) return undefined;
  const last = blob.length - 1;
  if (blob.readUInt32LE(0) !== blob.length || blob[last] !== ZIPLIST_END) return undefined;
  const tail = blob.readUInt32LE(4);
  if (tail > last) return undefined;
  const entries: Buffer[] = [];
  let position = ZIPLIST_HEADER_BYTES;
  let previous = -1;
  let previousBytes = 0;
  while (blob[position] !== ZIPLIST_END) {
    const entry = readEntry(blob, position, last);
    if (entry === undefined || entry.prevlen !== previousBytes) return undefined;
    entries.push(entryValue(blob, position, entry));
    previous = position;
    previousBytes = entry.headBytes + entry.dataBytes;
    position += previousBytes;
  }
  if (position !== last || (previous !== -1 && previous !== tail)) return undefined;
  const count = blob.readUInt16LE(8);
  return count !== ZIPLIST_COUNT_UNKNOWN && count !== entries.length ? undefined : entries;
}

/** zipTryEncoding + zipStoreEntryEncoding: an entry's encoding and data. */
function encodeEntryBody(value: Buffer): Buffer[] {
  const integer = value.length <= INTEGER_TEXT_BYTES_MAX ? string2ll(value) : undefined;
  if (integer !== undefined) {
    if (integer >= 0n && integer <= 12n) return [Buffer.from([ENCODING.immediateMin + Number(integer)])];
    const sized = (encoding: number, width: number): Buffer[] => {
      const out = Buffer.alloc(1 + width);
      out[0] = encoding;
      if (width === 8) out.writeBigInt64LE(integer, 1);
      else out.writeIntLE(Number(integer), 1, width);
      return [out];
    };
    if (integer >= -128n && integer <= 127n) return sized(ENCODING.int8, 1);
    if (integer >= -32768n && integer <= 32767n) return sized(ENCODING.int16, 2);
    if (integer >= -8388608n && integer <= 8388607n) return sized(ENCODING.int24, 3);
    if (integer >= -2147483648n && integer <= 2147483647n) return sized(ENCODING.int32, 4);
    return sized(ENCODING.int64, 8);
  }
  if (value.length <= 0x3f) return [Buffer.from([STRING.bits6 | value.length]), value];
  if (value.length <= 0x3fff) return [Buffer.from([STRING.bits14 | (value.length >> 8), value.length & 0xff]), value];
  const head = Buffer.alloc(5);
  head[0] = STRING.bits32;
  head.writeUInt32BE(value.length, 1);
  return [head, value];
}

/** zipStorePrevEntryLength. */
function encodePrevlen(length: number): Buffer {
  if (length < PREVLEN_BIG) return Buffer.from([length]);
  const out = Buffer.alloc(5);
  out[0] = PREVLEN_BIG;
  out.writeUInt32LE(length, 1);
  return out;
}

/** A ziplist holding entries, pushed at the tail one by one as Redis 6 does. */
export function encodeZiplist(entries: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(ZIPLIST_HEADER_BYTES)];
  let offset = ZIPLIST_HEADER_BYTES;
  let tail = ZIPLIST_HEADER_BYTES;
  let previousBytes = 0;
  for (const value of entries) {
    const body = encodeEntryBody(value);
    const entry = [encodePrevlen(previousBytes), ...body];
    previousBytes = entry.reduce((sum, part) => sum + part.length, 0);
    tail = offset;
    offset += previousBytes;
    parts.push(...entry);
  }
  parts.push(Buffer.from([ZIPLIST_END]));
  const header = parts[0] as Buffer;
  header.writeUInt32LE(offset + 1, 0);
  header.writeUInt32LE(tail, 4);
  header.writeUInt16LE(Math.min(entries.length, ZIPLIST_COUNT_UNKNOWN), 8);
  return Buffer.concat(parts, offset + 1);
}
