// src/keyspace/layout.ts: how the keyspace (keyspace.ts) lays Redis keys out in the engine's one
// sorted key space, layout version 2. All integers big-endian, so byte order is numeric order.
//
//   metadata key    [namespace u32, 1 .. 0xfffffffe][position u64][user key]
//                   position = slot (14 bits) | top 50 bits of hash64(user key)   (slot.ts)
//   metadata value  offset  bytes  field
//                   0       1      type (KEY_TYPE)
//                   1       1      flags: bit 0 HAS_EXPIRY; bits 1-2 the sticky encoding level
//                   2       8      expireAtMs u64, only when HAS_EXPIRY
//                   then, strings:     the value, to the end (one engine read per GET)
//                         aggregates:  version u64, count u64 (HLEN, SCARD ...), then the type's
//                                      own fields (a list's head and tail) to the end
//   element key     [ELEMENT_NAMESPACE u32 = 0xffffffff][version u64][kind u8][the type's tail]
//                   each type module (src/types/) draws its kinds and tails
//   meta keys       namespace 0, [0,0,0,0] then a word, none a prefix of another:
//     'dbmap'                            -> 16 x u32 namespace id (db 0..15), u32 next namespace id
//     'count'   [ns u32]                 -> u64 keys present (live + expired not yet reaped),
//                                           u64 of those with an expiry, u128 sum of their expireAtMs,
//                                           u64 time series, u64 their samples (INFO's # tskv)
//     'dead'    [ns u32]                 -> '' : ns dropped by FLUSHDB / FLUSHALL, never read again
//     'ttl'     [expireAtMs u64][metadata key] -> version u64 of the aggregate it expires (0: string)
//     'ver'     [version u64][ns u32]    -> user key: exists exactly while that version is the
//                                           live aggregate at that key of ns (the namespace is in
//                                           the key so every version of one 'ver' entry names the
//                                           same namespace: see garbage.ts)
//     'vnext'                            -> u64: every version below it may have been handed out
//     'layout'                           -> u32 LAYOUT_VERSION
//     'migrate'                          -> progress of the 0.1.0 migration (migrate.ts)
//     'vidx' [type's index key ...][version u64] -> a type's secondary index entry (a time series'
//                                           labels); garbage once that version is dead
// The engine entry's own expireAtMs is always 0 for keyspace entries: expiry has one owner, the
// metadata value (and its 'ttl' index entry, written in the same batch).
// Invariants:
// - A namespace id is never reused (next only grows); a version is never reused (handed out below
//   'vnext', which is raised in the batch that first uses a version at or past it).
// - An aggregate's elements are reachable only through its metadata's version, so DEL, overwrite,
//   expiry, RENAME, MOVE and FLUSHDB touch metadata, 'ver' and 'ttl' only: O(1) in the elements.
//   An element whose 'ver' entry is gone, or names a dead namespace, is garbage (KeyspaceFilter).
// - The 'ttl' entry of a metadata key exists exactly while it holds that expiry.
import assert from 'node:assert/strict';
import { HASH_BYTES, writeHash64, writeWordBE } from './hash64.js';
import { POSITION_BYTES, writePosition } from './slot.js';

export const DATABASE_COUNT = 16;
export const NAMESPACE_BYTES = 4;
export const METADATA_KEY_HEADER_BYTES = NAMESPACE_BYTES + POSITION_BYTES; // 12
export const META_PREFIX = Buffer.from([0, 0, 0, 0]);
export const ELEMENT_NAMESPACE = 0xffffffff;
export const VERSION_BYTES = 8;
export const ELEMENT_KEY_HEADER_BYTES = NAMESPACE_BYTES + VERSION_BYTES + 1; // + kind
export const LAYOUT_VERSION = 2;
/** The first namespace id FLUSHDB may hand out may not reach this (it is the element space). */
export const NAMESPACE_ID_MAX = ELEMENT_NAMESPACE - 1;

export const KEY_TYPE = { string: 1, hash: 2, list: 3, set: 4, zset: 5, timeseries: 6 } as const;

export const META_FLAGS = { hasExpiry: 0x01, encodingShift: 1, encodingMask: 0x06 } as const;
const VALUE_HEADER_BYTES = 2;
const AGGREGATE_FIELDS_BYTES = 16; // version, count

function metaKey(word: string, suffixBytes: number): Buffer {
  const key = Buffer.alloc(META_PREFIX.length + word.length + suffixBytes);
  key.write(word, META_PREFIX.length, 'latin1');
  return key;
}

export const DBMAP_KEY = metaKey('dbmap', 0);
export const COUNT_PREFIX = metaKey('count', 0);
export const DEAD_PREFIX = metaKey('dead', 0);
export const TTL_PREFIX = metaKey('ttl', 0);
export const VERSION_MARK_PREFIX = metaKey('ver', 0);
export const VERSION_NEXT_KEY = metaKey('vnext', 0);
export const LAYOUT_KEY = metaKey('layout', 0);
export const MIGRATE_KEY = metaKey('migrate', 0);
export const VERSION_INDEX_PREFIX = metaKey('vidx', 0);
/** Offset of the metadata key's namespace inside a 'ttl' key. */
export const TTL_NAMESPACE_OFFSET = TTL_PREFIX.length + 8;
/** Offset of the owner's namespace inside a 'ver' key. */
export const VERSION_MARK_NAMESPACE_OFFSET = VERSION_MARK_PREFIX.length + 8;

const TWO_POW_32 = 2 ** 32;

/** A non-negative safe integer as a u64 BE (what writeBigUInt64BE writes, without a BigInt). */
export function writeU64BE(bytes: Buffer, value: number, offset: number): void {
  bytes.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  bytes.writeUInt32BE(value % TWO_POW_32, offset + 4);
}

/**
 * writeU64BE without Buffer's range checks, for keys built per sample (writeUInt32BE's checks made
 * a key ~3x dearer): value must be a non-negative safe integer, bytes sized by the caller.
 */
export function writeU64BEUnchecked(bytes: Buffer, value: number, offset: number): void {
  writeWordBE(bytes, offset, Math.floor(value / TWO_POW_32));
  writeWordBE(bytes, offset + 4, value >>> 0);
}

/** A u64 BE that holds a safe integer (versions, counts, times). */
export function readU64BE(bytes: Buffer, offset: number): number {
  return bytes.readUInt32BE(offset) * TWO_POW_32 + bytes.readUInt32BE(offset + 4);
}

export function namespaceKey(prefix: Buffer, namespace: number): Buffer {
  const key = Buffer.allocUnsafe(prefix.length + NAMESPACE_BYTES);
  prefix.copy(key, 0);
  key.writeUInt32BE(namespace, prefix.length);
  return key;
}

/** Keys up to this long are copied by a JS loop (Buffer#copy's native call costs more below it). */
const SHORT_COPY_BYTES = 64;

export function metadataKey(namespace: number, userKey: Buffer): Buffer {
  return writeMetadataKey(namespace, userKey, Buffer.allocUnsafe(METADATA_KEY_HEADER_BYTES + userKey.length));
}

/** metadataKey written into key, a Buffer of exactly its length (a lookup's reused scratch); returns key. */
export function writeMetadataKey(namespace: number, userKey: Buffer, key: Buffer): Buffer {
  const length = userKey.length;
  if (key.length !== METADATA_KEY_HEADER_BYTES + length) assert.fail('a metadata key buffer of the key\'s length'); // not assert.equal: a hot path
  assert.ok(namespace >= 0 && namespace <= NAMESPACE_ID_MAX, 'namespace id in range');
  writeWordBE(key, 0, namespace);
  writePosition(userKey, key, NAMESPACE_BYTES);
  // a JS loop for short keys: Buffer#copy is a native call costing more than the copy
  if (length <= SHORT_COPY_BYTES) for (let index = 0; index < length; index++) key[METADATA_KEY_HEADER_BYTES + index] = userKey[index]!;
  else userKey.copy(key, METADATA_KEY_HEADER_BYTES);
  return key;
}

/** The first metadata key of namespace at or after position. */
export function metadataKeyAt(namespace: number, position: bigint): Buffer {
  const key = Buffer.allocUnsafe(METADATA_KEY_HEADER_BYTES);
  key.writeUInt32BE(namespace, 0);
  key.writeBigUInt64BE(position, NAMESPACE_BYTES);
  return key;
}

export function namespaceStart(namespace: number): Buffer {
  const key = Buffer.alloc(NAMESPACE_BYTES);
  key.writeUInt32BE(namespace, 0);
  return key;
}

export function userKeyOf(key: Buffer): Buffer {
  return key.subarray(METADATA_KEY_HEADER_BYTES);
}

export function positionOf(key: Buffer): bigint {
  return key.readBigUInt64BE(NAMESPACE_BYTES);
}

export function ttlKey(expireAtMs: number, key: Buffer): Buffer {
  const entry = Buffer.allocUnsafe(TTL_PREFIX.length + 8 + key.length);
  TTL_PREFIX.copy(entry, 0);
  writeU64BE(entry, expireAtMs, TTL_PREFIX.length);
  key.copy(entry, TTL_PREFIX.length + 8);
  return entry;
}

/** The 'ttl' keys of every expiry at or before `expireAtMs` sort below this key. */
export function ttlKeyBound(expireAtMs: number): Buffer {
  const entry = Buffer.allocUnsafe(TTL_PREFIX.length + 8);
  TTL_PREFIX.copy(entry, 0);
  writeU64BE(entry, Math.max(0, expireAtMs + 1), TTL_PREFIX.length);
  return entry;
}

export function parseTtlKey(entry: Buffer): { expireAtMs: number; key: Buffer } {
  return { expireAtMs: readU64BE(entry, TTL_PREFIX.length), key: entry.subarray(TTL_PREFIX.length + 8) };
}

export function encodeVersion(version: number): Buffer {
  const bytes = Buffer.allocUnsafe(VERSION_BYTES);
  writeU64BE(bytes, version, 0);
  return bytes;
}

/** The 'ver' entry of version owned by a key of namespace (its value is the user key). */
export function versionMarkKey(version: number, namespace: number): Buffer {
  const key = Buffer.allocUnsafe(VERSION_MARK_NAMESPACE_OFFSET + NAMESPACE_BYTES);
  VERSION_MARK_PREFIX.copy(key, 0);
  writeU64BE(key, version, VERSION_MARK_PREFIX.length);
  key.writeUInt32BE(namespace, VERSION_MARK_NAMESPACE_OFFSET);
  return key;
}

/** The first 'ver' key of version (the one of version + 1 ends its range). */
export function versionMarksStart(version: number): Buffer {
  const key = Buffer.allocUnsafe(VERSION_MARK_NAMESPACE_OFFSET);
  VERSION_MARK_PREFIX.copy(key, 0);
  writeU64BE(key, version, VERSION_MARK_PREFIX.length);
  return key;
}

/** The first element key of version (and kind, when given): element tails follow it. */
export function elementPrefix(version: number, kind?: number): Buffer {
  const key = Buffer.allocUnsafe(NAMESPACE_BYTES + VERSION_BYTES + (kind === undefined ? 0 : 1));
  key.writeUInt32BE(ELEMENT_NAMESPACE, 0);
  writeU64BE(key, version, NAMESPACE_BYTES);
  if (kind !== undefined) key[NAMESPACE_BYTES + VERSION_BYTES] = kind;
  return key;
}

/** [ELEMENT_NAMESPACE][version][kind][hash64 u64 of part][part]: a hash field or a set member. */
export function hashedElementKey(version: number, kind: number, part: Buffer): Buffer {
  const key = Buffer.allocUnsafe(ELEMENT_KEY_HEADER_BYTES + HASH_BYTES + part.length);
  key.writeUInt32BE(ELEMENT_NAMESPACE, 0);
  writeU64BE(key, version, NAMESPACE_BYTES);
  key[NAMESPACE_BYTES + VERSION_BYTES] = kind;
  writeHash64(part, key, ELEMENT_KEY_HEADER_BYTES);
  part.copy(key, ELEMENT_KEY_HEADER_BYTES + HASH_BYTES);
  return key;
}

/** The part (field, member) of a hashed element key, and its hash as a u64 position. */
export function hashedPartOf(key: Buffer): Buffer {
  return key.subarray(ELEMENT_KEY_HEADER_BYTES + HASH_BYTES);
}

export function hashedPositionOf(key: Buffer): bigint {
  return key.readBigUInt64BE(ELEMENT_KEY_HEADER_BYTES);
}

/** The first hashed element key of (version, kind) at or after position. */
export function hashedElementKeyAt(version: number, kind: number, position: bigint): Buffer {
  const key = Buffer.allocUnsafe(ELEMENT_KEY_HEADER_BYTES + HASH_BYTES);
  key.writeUInt32BE(ELEMENT_NAMESPACE, 0);
  writeU64BE(key, version, NAMESPACE_BYTES);
  key[NAMESPACE_BYTES + VERSION_BYTES] = kind;
  key.writeBigUInt64BE(position, ELEMENT_KEY_HEADER_BYTES);
  return key;
}

/** The version an element key belongs to. */
export function elementVersionOf(key: Buffer): number {
  return readU64BE(key, NAMESPACE_BYTES);
}

export function isElementKey(key: Buffer): boolean {
  return key.length >= NAMESPACE_BYTES && key.readUInt32BE(0) === ELEMENT_NAMESPACE;
}

/** One past the last key starting with prefix (prefix must not be all 0xff). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    if (end[index]! < 0xff) {
      end[index]!++;
      return end.subarray(0, index + 1);
    }
  }
  throw new Error('prefixEnd of an all-0xff prefix');
}

/** A key's metadata, decoded. Strings carry their value in payload; version and count are 0. */
export interface KeyRecord {
  type: number;
  /** The sticky encoding level (OBJECT ENCODING): 0 compact; what higher levels mean is the type's. */
  encoding: number;
  expireAtMs: number; // 0 = no TTL
  version: number; // aggregates: the elements' version; strings: 0
  count: number; // aggregates: elements (HLEN, SCARD ...); strings: 0
  payload: Buffer; // strings: the value; aggregates: the type's own fields (often empty)
}

export function isAggregateType(type: number): boolean {
  return type !== KEY_TYPE.string;
}

/** Redis deletes a hash, set, zset or list its last element left; a time series lives empty (TS.CREATE). */
export function isDeletedWhenEmpty(type: number): boolean {
  return type !== KEY_TYPE.string && type !== KEY_TYPE.timeseries;
}

export function encodeRecord(record: KeyRecord): Buffer {
  const hasExpiry = record.expireAtMs !== 0;
  const aggregate = isAggregateType(record.type);
  const headerBytes = VALUE_HEADER_BYTES + (hasExpiry ? 8 : 0) + (aggregate ? AGGREGATE_FIELDS_BYTES : 0);
  const value = Buffer.allocUnsafe(headerBytes + record.payload.length);
  value[0] = record.type;
  value[1] = (hasExpiry ? META_FLAGS.hasExpiry : 0) | ((record.encoding << META_FLAGS.encodingShift) & META_FLAGS.encodingMask);
  let offset = VALUE_HEADER_BYTES;
  if (hasExpiry) {
    writeU64BE(value, record.expireAtMs, offset);
    offset += 8;
  }
  if (aggregate) {
    writeU64BE(value, record.version, offset);
    writeU64BE(value, record.count, offset + 8);
    offset += AGGREGATE_FIELDS_BYTES;
  }
  record.payload.copy(value, offset);
  return value;
}

/**
 * decodeRecord without the payload view (payload empty): what a write needs of the record it
 * replaces (type, expiry, version, count), one Buffer view less per SET.
 */
export function decodeRecordMeta(value: Buffer): KeyRecord {
  const type = value[0]!;
  const flags = value[1]!;
  const expireAtMs = (flags & META_FLAGS.hasExpiry) === 0 ? 0 : readU64BE(value, VALUE_HEADER_BYTES);
  const encoding = (flags & META_FLAGS.encodingMask) >> META_FLAGS.encodingShift;
  if (!isAggregateType(type)) return { type, encoding, expireAtMs, version: 0, count: 0, payload: EMPTY_PAYLOAD };
  const offset = VALUE_HEADER_BYTES + ((flags & META_FLAGS.hasExpiry) === 0 ? 0 : 8);
  return { type, encoding, expireAtMs, version: readU64BE(value, offset), count: readU64BE(value, offset + 8), payload: EMPTY_PAYLOAD };
}
const EMPTY_PAYLOAD = Buffer.alloc(0);

/** The key type (KEY_TYPE) a metadata value holds. */
export function typeOfValue(value: Buffer): number {
  return value[0]!;
}

/** Where a string's bytes start in its metadata value (GET replies from the value itself, no payload view). */
export function stringPayloadOffset(value: Buffer): number {
  return (value[1]! & META_FLAGS.hasExpiry) === 0 ? VALUE_HEADER_BYTES : VALUE_HEADER_BYTES + 8;
}

/** The expiry inside a metadata value, without decoding the rest (walks and lookups). */
export function expireAtOfValue(value: Buffer): number {
  return (value[1]! & META_FLAGS.hasExpiry) === 0 ? 0 : readU64BE(value, VALUE_HEADER_BYTES);
}

export function decodeRecord(value: Buffer): KeyRecord {
  const type = value[0]!;
  const flags = value[1]!;
  let offset = VALUE_HEADER_BYTES;
  let expireAtMs = 0;
  if ((flags & META_FLAGS.hasExpiry) !== 0) {
    expireAtMs = readU64BE(value, offset);
    offset += 8;
  }
  const encoding = (flags & META_FLAGS.encodingMask) >> META_FLAGS.encodingShift;
  if (!isAggregateType(type)) return { type, encoding, expireAtMs, version: 0, count: 0, payload: value.subarray(offset) };
  const version = readU64BE(value, offset);
  const count = readU64BE(value, offset + 8);
  return { type, encoding, expireAtMs, version, count, payload: value.subarray(offset + AGGREGATE_FIELDS_BYTES) };
}

export interface NamespaceCounts {
  keys: number;
  expires: number;
  expireAtSumMs: bigint; // of the keys with an expiry (INFO keyspace avg_ttl)
  series: number; // time series among the keys
  samples: number; // their samples
}

export function emptyCounts(): NamespaceCounts {
  return { keys: 0, expires: 0, expireAtSumMs: 0n, series: 0, samples: 0 };
}

const COUNTS_BYTES = 48;

export function encodeCounts(counts: NamespaceCounts): Buffer {
  const bytes = Buffer.allocUnsafe(COUNTS_BYTES);
  writeU64BE(bytes, counts.keys, 0);
  writeU64BE(bytes, counts.expires, 8);
  bytes.writeBigUInt64BE(counts.expireAtSumMs >> 64n, 16);
  bytes.writeBigUInt64BE(counts.expireAtSumMs & 0xffffffffffffffffn, 24);
  writeU64BE(bytes, counts.series, 32);
  writeU64BE(bytes, counts.samples, 40);
  return bytes;
}

export function decodeCounts(bytes: Buffer | undefined): NamespaceCounts {
  if (bytes === undefined) return emptyCounts();
  if (bytes.length !== COUNTS_BYTES) throw new Error(`keyspace count has ${bytes.length} bytes`);
  return {
    keys: readU64BE(bytes, 0),
    expires: readU64BE(bytes, 8),
    expireAtSumMs: (bytes.readBigUInt64BE(16) << 64n) | bytes.readBigUInt64BE(24),
    series: readU64BE(bytes, 32),
    samples: readU64BE(bytes, 40),
  };
}

export interface DatabaseMap {
  namespaces: number[]; // db index -> namespace id
  nextNamespace: number;
}

export function defaultDatabaseMap(): DatabaseMap {
  return { namespaces: Array.from({ length: DATABASE_COUNT }, (_, db) => db + 1), nextNamespace: DATABASE_COUNT + 1 };
}

export function encodeDatabaseMap(map: DatabaseMap): Buffer {
  const bytes = Buffer.allocUnsafe((DATABASE_COUNT + 1) * 4);
  map.namespaces.forEach((namespace, db) => bytes.writeUInt32BE(namespace, db * 4));
  bytes.writeUInt32BE(map.nextNamespace, DATABASE_COUNT * 4);
  return bytes;
}

export function decodeDatabaseMap(bytes: Buffer | undefined): DatabaseMap {
  if (bytes === undefined) return defaultDatabaseMap();
  if (bytes.length !== (DATABASE_COUNT + 1) * 4) throw new Error(`keyspace dbmap has ${bytes.length} bytes`);
  const namespaces = Array.from({ length: DATABASE_COUNT }, (_, db) => bytes.readUInt32BE(db * 4));
  return { namespaces, nextNamespace: bytes.readUInt32BE(DATABASE_COUNT * 4) };
}
