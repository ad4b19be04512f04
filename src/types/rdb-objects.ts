// src/types/rdb-objects.ts: the RDB objects of hashes and sets as RESTORE reads them (Redis 7.0
// src/rdb.c rdbLoadObject with sanitize-dump-payload yes), each into a plain list of elements the
// type module then stages. After its type byte (dump-payload.ts), an object is one of:
//   type  name                 object
//   4     RDB_TYPE_HASH        length, then field and value RDB strings (rdb-string.ts)
//   9     RDB_TYPE_HASH_ZIPMAP one RDB string holding a zipmap (rdb-zipmap.ts), Redis 2.x
//   13    RDB_TYPE_HASH_ZIPLIST  one RDB string holding a ziplist (rdb-ziplist.ts), Redis 6.x
//   16    RDB_TYPE_HASH_LISTPACK one RDB string holding a listpack (rdb-listpack.ts), Redis 7.x
//   2     RDB_TYPE_SET         length, then member RDB strings
//   11    RDB_TYPE_SET_INTSET  one RDB string holding an intset (rdb-intset.ts)
//   20    RDB_TYPE_SET_LISTPACK  one RDB string holding a listpack, Redis 7.2 (RDB version 11)
//   1     RDB_TYPE_LIST        length, then element RDB strings
//   10    RDB_TYPE_LIST_ZIPLIST  one RDB string holding a ziplist, Redis 2.x .. 3.0
//   14    RDB_TYPE_LIST_QUICKLIST  node count, then each node's ziplist as an RDB string, Redis 3.2 .. 6.x
//   18    RDB_TYPE_LIST_QUICKLIST_2  node count, then per node its container (1 plain: the RDB
//         string is one element; 2 packed: it holds a listpack), Redis 7.x
// Invariants:
// - A reader answers undefined wherever Redis 7.0 answers "Bad data format": damage the blob's
//   validator finds, a length cut short, an empty object, a duplicate field or member, a field
//   without its value. Nothing is staged here, so a refused payload changes nothing.
// - Every length is bounded by the payload: a count read from it only bounds a loop whose every
//   step consumes payload bytes, and nothing is allocated from a count.
// - readRdbSet answers type 20 only for callers that accept RDB version 11 (Redis 7.2's DUMP):
//   RESTORE refuses that version before any reader runs, as Redis 7.0 does.
import { RDB_TYPE } from './dump-payload.js';
import { decodeIntset } from './rdb-intset.js';
import { decodeListpack } from './rdb-listpack.js';
import { decodeRdbString, readRdbLength, type RdbCursor } from './rdb-string.js';
import { decodeZiplist } from './rdb-ziplist.js';
import { decodeZipmap } from './rdb-zipmap.js';

/** A quicklist node's container (quicklist.h QUICKLIST_NODE_CONTAINER_*). */
const QUICKLIST_CONTAINER = { plain: 1, packed: 2 } as const;

/** Whether two of entries[0], entries[stride], entries[2 * stride] ... are equal. */
function hasDuplicate(entries: readonly Buffer[], stride: number): boolean {
  const seen = new Set<string>();
  for (let index = 0; index < entries.length; index += stride) {
    const text = (entries[index] as Buffer).toString('latin1');
    if (seen.has(text)) return true;
    seen.add(text);
  }
  return false;
}

/** rdbLoadLen then that many RDB strings (times perElement); undefined when cut short. */
function readStrings(cursor: RdbCursor, perElement: number, valueBytesMax: number): Buffer[] | undefined {
  const length = readRdbLength(cursor); // an encoded-value prefix reads as its low 6 bits, as rdbLoadLen(rdb, NULL)
  if (length === undefined) return undefined;
  const strings: Buffer[] = [];
  for (let index = 0; index < length.value * perElement; index++) {
    const string = decodeRdbString(cursor, valueBytesMax);
    if (string === undefined) return undefined;
    strings.push(string);
  }
  return strings;
}

/** A compact blob: one RDB string, then its decoder. */
function readBlob(cursor: RdbCursor, valueBytesMax: number, decode: (blob: Buffer) => Buffer[] | undefined): Buffer[] | undefined {
  const blob = decodeRdbString(cursor, valueBytesMax);
  return blob === undefined ? undefined : decode(blob);
}

/** Quicklist nodes (types 14 and 18) as one list of elements; empty nodes are skipped, as Redis does. */
function readQuicklist(rdbType: number, cursor: RdbCursor, valueBytesMax: number): Buffer[] | undefined {
  const nodes = readRdbLength(cursor);
  if (nodes === undefined) return undefined;
  const elements: Buffer[] = [];
  for (let node = 0; node < nodes.value; node++) {
    let container: number = QUICKLIST_CONTAINER.packed;
    if (rdbType === RDB_TYPE.listQuicklist2) {
      const read = readRdbLength(cursor);
      if (read === undefined || (read.value !== QUICKLIST_CONTAINER.plain && read.value !== QUICKLIST_CONTAINER.packed)) return undefined;
      container = read.value;
    }
    const blob = decodeRdbString(cursor, valueBytesMax);
    if (blob === undefined || blob.length === 0) return undefined;
    if (container === QUICKLIST_CONTAINER.plain) {
      elements.push(blob);
      continue;
    }
    const entries = rdbType === RDB_TYPE.listQuicklist2 ? decodeListpack(blob) : decodeZiplist(blob);
    if (entries === undefined) return undefined;
    for (const entry of entries) elements.push(entry);
  }
  return elements;
}

/** A list object (types 1, 10, 14, 18) as its elements, head first: not empty. */
export function readRdbList(rdbType: number, cursor: RdbCursor, valueBytesMax: number): Buffer[] | undefined {
  let elements: Buffer[] | undefined;
  switch (rdbType) {
    case RDB_TYPE.list:
      elements = readStrings(cursor, 1, valueBytesMax);
      break;
    case RDB_TYPE.listZiplist:
      elements = readBlob(cursor, valueBytesMax, decodeZiplist);
      break;
    case RDB_TYPE.listQuicklist:
    case RDB_TYPE.listQuicklist2:
      elements = readQuicklist(rdbType, cursor, valueBytesMax);
      break;
    default:
      return undefined;
  }
  if (elements === undefined || elements.length === 0) return undefined;
  return elements;
}

/** A hash object of any type Redis 7.0 reads, as [field, value, field, value, ...]: not empty, no field twice. */
export function readRdbHash(rdbType: number, cursor: RdbCursor, valueBytesMax: number): Buffer[] | undefined {
  let pairs: Buffer[] | undefined;
  switch (rdbType) {
    case RDB_TYPE.hash:
      pairs = readStrings(cursor, 2, valueBytesMax);
      break;
    case RDB_TYPE.hashZipmap:
      pairs = readBlob(cursor, valueBytesMax, decodeZipmap);
      break;
    case RDB_TYPE.hashZiplist:
      pairs = readBlob(cursor, valueBytesMax, decodeZiplist);
      break;
    case RDB_TYPE.hashListpack:
      pairs = readBlob(cursor, valueBytesMax, decodeListpack);
      break;
    default:
      return undefined;
  }
  if (pairs === undefined || pairs.length === 0 || pairs.length % 2 !== 0 || hasDuplicate(pairs, 2)) return undefined;
  return pairs;
}

/** A set object (types 2 and 11; 20 where RDB version 11 is accepted) as its members: not empty, none twice. */
export function readRdbSet(rdbType: number, cursor: RdbCursor, valueBytesMax: number): Buffer[] | undefined {
  let members: Buffer[] | undefined;
  switch (rdbType) {
    case RDB_TYPE.set:
      members = readStrings(cursor, 1, valueBytesMax);
      break;
    case RDB_TYPE.setIntset:
      members = readBlob(cursor, valueBytesMax, decodeIntset);
      break;
    case RDB_TYPE.setListpack:
      members = readBlob(cursor, valueBytesMax, decodeListpack);
      break;
    default:
      return undefined;
  }
  if (members === undefined || members.length === 0 || hasDuplicate(members, 1)) return undefined;
  return members;
}
