// src/types/zset-rdb.ts: the RDB objects of sorted sets as RESTORE reads them (Redis 7.0 src/rdb.c
// rdbLoadObject with sanitize-dump-payload yes). After its type byte (dump-payload.ts):
//   type  name                   object
//   3     RDB_TYPE_ZSET          length, then per member: RDB string, score as a length byte
//                                (253 nan, 254 +inf, 255 -inf) and that many bytes of text
//   5     RDB_TYPE_ZSET_2        length, then per member: RDB string, score as 8 bytes, a
//                                little-endian binary64 (what tskv's DUMP writes)
//   12    RDB_TYPE_ZSET_ZIPLIST  one RDB string holding a ziplist (rdb-ziplist.ts) of member,
//                                score pairs, Redis 6.x
//   17    RDB_TYPE_ZSET_LISTPACK one RDB string holding a listpack (rdb-listpack.ts) of pairs, 7.x
// Invariants:
// - undefined wherever Redis 7.0 answers "Bad data format": damage the blob's validator finds, a
//   length cut short, an empty object, a member twice, a NaN score (types 3 and 5), an odd
//   number of entries in a blob. Nothing is staged here.
// - Every length is bounded by the payload: a count only bounds a loop whose every step
//   consumes payload bytes. A compact blob's score is its text read as zzlStrtod reads it.
import { RDB_TYPE } from './dump-payload.js';
import { decodeListpack } from './rdb-listpack.js';
import { decodeRdbString, readRdbLength, type RdbCursor } from './rdb-string.js';
import { decodeZiplist } from './rdb-ziplist.js';
import { listpackScore, scannedScore } from './score-text.js';

const SCORE_TEXT = { negativeInfinity: 255, positiveInfinity: 254, nan: 253 } as const;
const BINARY_SCORE_BYTES = 8;

export interface LoadedZset {
  members: Array<{ member: Buffer; score: number }>;
  /** A listpack or ziplist blob (kept compact unless too long), not a member list (built, then checked). */
  compact: boolean;
}

/** rdbLoadDoubleValue. */
function readTextScore(cursor: RdbCursor): number | undefined {
  const length = cursor.bytes[cursor.offset];
  if (length === undefined) return undefined;
  cursor.offset++;
  if (length === SCORE_TEXT.negativeInfinity) return -Infinity;
  if (length === SCORE_TEXT.positiveInfinity) return Infinity;
  if (length === SCORE_TEXT.nan) return Number.NaN;
  if (cursor.offset + length > cursor.bytes.length) return undefined;
  const text = cursor.bytes.subarray(cursor.offset, cursor.offset + length);
  cursor.offset += length;
  return scannedScore(text);
}

/** rdbLoadBinaryDoubleValue. */
function readBinaryScore(cursor: RdbCursor): number | undefined {
  if (cursor.offset + BINARY_SCORE_BYTES > cursor.bytes.length) return undefined;
  const score = cursor.bytes.readDoubleLE(cursor.offset);
  cursor.offset += BINARY_SCORE_BYTES;
  return score;
}

function hasDuplicate(members: ReadonlyArray<{ member: Buffer }>): boolean {
  const seen = new Set<string>();
  for (const { member } of members) {
    const name = member.toString('latin1');
    if (seen.has(name)) return true;
    seen.add(name);
  }
  return false;
}

function readMemberList(cursor: RdbCursor, binary: boolean, valueBytesMax: number): LoadedZset['members'] | undefined {
  const length = readRdbLength(cursor);
  if (length === undefined) return undefined;
  const members: LoadedZset['members'] = [];
  for (let index = 0; index < length.value; index++) {
    const member = decodeRdbString(cursor, valueBytesMax);
    if (member === undefined) return undefined;
    const score = binary ? readBinaryScore(cursor) : readTextScore(cursor);
    if (score === undefined || Number.isNaN(score)) return undefined; // "Zset with NAN score detected"
    members.push({ member, score });
  }
  return members;
}

function readBlob(cursor: RdbCursor, valueBytesMax: number, decode: (blob: Buffer) => Buffer[] | undefined): LoadedZset['members'] | undefined {
  const blob = decodeRdbString(cursor, valueBytesMax);
  const entries = blob === undefined ? undefined : decode(blob);
  if (entries === undefined || entries.length % 2 !== 0) return undefined;
  const members: LoadedZset['members'] = [];
  for (let index = 0; index < entries.length; index += 2) members.push({ member: entries[index]!, score: listpackScore(entries[index + 1]!) });
  return members;
}

/** A sorted set object of any type Redis 7.0 reads: not empty, no member twice. */
export function readRdbZset(rdbType: number, cursor: RdbCursor, valueBytesMax: number): LoadedZset | undefined {
  let members: LoadedZset['members'] | undefined;
  switch (rdbType) {
    case RDB_TYPE.zset:
    case RDB_TYPE.zset2:
      members = readMemberList(cursor, rdbType === RDB_TYPE.zset2, valueBytesMax);
      break;
    case RDB_TYPE.zsetZiplist:
      members = readBlob(cursor, valueBytesMax, decodeZiplist);
      break;
    case RDB_TYPE.zsetListpack:
      members = readBlob(cursor, valueBytesMax, decodeListpack);
      break;
    default:
      return undefined;
  }
  if (members === undefined || members.length === 0 || hasDuplicate(members)) return undefined;
  return { members, compact: rdbType === RDB_TYPE.zsetZiplist || rdbType === RDB_TYPE.zsetListpack };
}
