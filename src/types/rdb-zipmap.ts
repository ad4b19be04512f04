// src/types/rdb-zipmap.ts: the zipmap (Redis 2.x src/zipmap.c), the blob RDB_TYPE_HASH_ZIPMAP
// carries inside one RDB string; Redis 7.0 still reads it (converting it to a listpack):
//   offset  bytes  field
//   0       1      pair count; 254 or more = count by walking
//   1       ...    pairs: field length, field, value length, free, value, free bytes
//   n - 1   1      0xFF, the end (where a field length would be)
// A length is one byte below 254, else 0xFE (or 0xFF, where a value length is read) and a u32,
// little-endian; free is one byte: unused bytes after the value.
// Invariants:
// - decodeZipmap accepts what zipmapValidateIntegrity(deep = 1) accepts (last byte 0xFF, every
//   pair inside the blob, at least one pair, the count matching unless 254 or more) and answers
//   undefined for the rest. It also refuses a length written in five bytes that fits in one:
//   Redis's validator walks such a length as five bytes and its reader as one, so what Redis
//   would load from it is not what the blob says.
// - It never reads past the blob and returns two buffers per pair of at least three bytes.
// - encodeZipmap writes what zipmapSet built (no free bytes), for tests and hand-built payloads.
export const ZIPMAP_END = 0xff;
const ZIPMAP_BIGLEN = 254;

/** zipmapDecodeLength at position, with how many bytes it took; undefined past `last`. */
function readLength(blob: Buffer, position: number, last: number): { length: number; bytes: number } | undefined {
  const first = blob[position] as number;
  const bytes = first < ZIPMAP_BIGLEN ? 1 : 5;
  if (position + bytes > last) return undefined;
  if (bytes === 1) return { length: first, bytes };
  const length = blob.readUInt32LE(position + 1);
  return length < ZIPMAP_BIGLEN ? undefined : { length, bytes };
}

/** The pairs of a zipmap blob as [field, value, field, value, ...], or undefined where Redis refuses it. */
export function decodeZipmap(blob: Buffer): Buffer[] | undefined {
  if (blob.length < 2) return undefined;
  const last = blob.length - 1;
  if (blob[last] !== ZIPMAP_END) return undefined;
  const entries: Buffer[] = [];
  let position = 1;
  while (blob[position] !== ZIPMAP_END) {
    const field = readLength(blob, position, last);
    if (field === undefined) return undefined;
    const fieldAt = position + field.bytes;
    position = fieldAt + field.length;
    if (position > last) return undefined;
    const value = readLength(blob, position, last);
    if (value === undefined) return undefined;
    const valueAt = position + value.bytes + 1; // after the free byte
    position = valueAt + value.length + (blob[valueAt - 1] as number);
    if (position > last) return undefined;
    entries.push(blob.subarray(fieldAt, fieldAt + field.length), blob.subarray(valueAt, valueAt + value.length));
  }
  const count = blob[0] as number;
  if (entries.length === 0 || (count !== ZIPMAP_BIGLEN && count !== entries.length / 2)) return undefined;
  return entries;
}

function encodeLength(length: number): Buffer {
  if (length < ZIPMAP_BIGLEN) return Buffer.from([length]);
  const out = Buffer.alloc(5);
  out[0] = ZIPMAP_BIGLEN;
  out.writeUInt32LE(length, 1);
  return out;
}

/** A zipmap of [field, value, ...] pairs. */
export function encodeZipmap(pairs: readonly Buffer[]): Buffer {
  const count = pairs.length / 2;
  const parts: Buffer[] = [Buffer.from([Math.min(count, ZIPMAP_BIGLEN)])];
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    const field = pairs[index] as Buffer;
    const value = pairs[index + 1] as Buffer;
    parts.push(encodeLength(field.length), field, encodeLength(value.length), Buffer.from([0]), value);
  }
  parts.push(Buffer.from([ZIPMAP_END]));
  return Buffer.concat(parts);
}
