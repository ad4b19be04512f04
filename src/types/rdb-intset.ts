// src/types/rdb-intset.ts: the intset (Redis 7.0 src/intset.c), the blob a DUMP of a set of
// small integers carries inside one RDB string (RDB_TYPE_SET_INTSET). Little-endian:
//   offset  bytes          field
//   0       4              width of every member: 2, 4 or 8 bytes
//   4       4              member count
//   8       count * width  the members, signed, in strictly increasing order
// Invariants:
// - decodeIntset accepts exactly what intsetValidateIntegrity(deep = 1) accepts (a known width,
//   a blob of exactly 8 + count * width bytes, at least one member, strictly increasing, so no
//   duplicates) and answers undefined for the rest; the count is checked against the blob's size
//   before anything is allocated from it.
// - Members come back as their decimal text; the width need not be the smallest that fits (Redis
//   accepts an int64 intset of small numbers).
// - encodeIntset writes what intsetAdd builds: the smallest width that holds every member.
export const INTSET_HEADER_BYTES = 8;
const WIDTH_MIN = 2;

function readMember(blob: Buffer, offset: number, width: number): bigint {
  return width === 8 ? blob.readBigInt64LE(offset) : BigInt(blob.readIntLE(offset, width));
}

/** The members of an intset blob (intsetValidateIntegrity, deep), or undefined where Redis refuses it. */
export function decodeIntset(blob: Buffer): Buffer[] | undefined {
  if (blob.length < INTSET_HEADER_BYTES) return undefined;
  const width = blob.readUInt32LE(0);
  if (width !== 2 && width !== 4 && width !== 8) return undefined;
  const count = blob.readUInt32LE(4);
  if (INTSET_HEADER_BYTES + count * width !== blob.length || count === 0) return undefined;
  const members: Buffer[] = [];
  let previous: bigint | undefined;
  for (let index = 0; index < count; index++) {
    const value = readMember(blob, INTSET_HEADER_BYTES + index * width, width);
    if (previous !== undefined && value <= previous) return undefined;
    previous = value;
    members.push(Buffer.from(value.toString(), 'latin1'));
  }
  return members;
}

/** _intsetValueEncoding: the smallest width holding value. */
function widthOf(value: bigint): number {
  if (value >= -32768n && value <= 32767n) return 2;
  if (value >= -2147483648n && value <= 2147483647n) return 4;
  return 8;
}

/** An intset of the given int64 values (duplicates dropped, sorted), as intsetAdd builds it. */
export function encodeIntset(values: readonly bigint[]): Buffer {
  const sorted = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const width = sorted.reduce<number>((widest, value) => Math.max(widest, widthOf(value)), WIDTH_MIN);
  const blob = Buffer.alloc(INTSET_HEADER_BYTES + sorted.length * width);
  blob.writeUInt32LE(width, 0);
  blob.writeUInt32LE(sorted.length, 4);
  sorted.forEach((value, index) => {
    const offset = INTSET_HEADER_BYTES + index * width;
    if (width === 8) blob.writeBigInt64LE(value, offset);
    else blob.writeIntLE(Number(value), offset, width);
  });
  return blob;
}
