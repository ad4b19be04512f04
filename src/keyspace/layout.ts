// src/keyspace-layout.ts: how the keyspace (keyspace.ts) lays Redis keys out in the engine's one
// sorted key space. All integers big-endian, so byte order is numeric order.
//   data key   [namespace u32 >= 1][hash64(userKey) u64][userKey bytes]
//   data value [type u8][payload]            engine expireAtMs = the key's absolute expiry (0 = none)
//   meta keys  namespace 0, [0,0,0,0] then:
//     'dbmap'                      -> 16 x u32 namespace id (db 0..15), then u32 next namespace id
//     'count'   [ns u32]           -> u64 keys present in ns (live + expired not yet reaped),
//                                     u64 of those that carry an expiry
//     'dead'    [ns u32]           -> '' : ns was dropped by FLUSHDB / FLUSHALL, never read again
//     'ttl' [expireAtMs u64][data key] -> '' : expiry index, one entry per data key with an expiry
// Invariants:
// - A namespace id is never reused (next only grows), so a dropped namespace's leftovers can't
//   resurface; compaction may drop every entry of a dead namespace (DeadNamespaces.filter).
// - Every meta key starts with a distinct word ('dbmap' 'count' 'dead' 'ttl'), none a prefix of
//   another, so each is a contiguous range.
// - The 'ttl' entry of a data key exists exactly while the data key holds a put with that expiry
//   (both change in the same batch); the active expiry cycle walks it in time order.
import { HASH_BYTES, writeHash64 } from './hash64.js';

export const DATABASE_COUNT = 16;
export const NAMESPACE_BYTES = 4;
export const DATA_KEY_HEADER_BYTES = NAMESPACE_BYTES + HASH_BYTES; // 12
export const META_PREFIX = Buffer.from([0, 0, 0, 0]);

function metaKey(word: string, suffixBytes: number): Buffer {
  const key = Buffer.alloc(META_PREFIX.length + word.length + suffixBytes);
  key.write(word, META_PREFIX.length, 'latin1');
  return key;
}

export const DBMAP_KEY = metaKey('dbmap', 0);
export const COUNT_PREFIX = metaKey('count', 0);
export const DEAD_PREFIX = metaKey('dead', 0);
export const TTL_PREFIX = metaKey('ttl', 0);
/** Offset of the data key's namespace inside a 'ttl' key. */
export const TTL_NAMESPACE_OFFSET = TTL_PREFIX.length + 8;

const TWO_POW_32 = 2 ** 32;

/** A non-negative safe integer as a u64 BE (what writeBigUInt64BE writes, without a BigInt). */
function writeU64BE(bytes: Buffer, value: number, offset: number): void {
  bytes.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  bytes.writeUInt32BE(value % TWO_POW_32, offset + 4);
}

export function namespaceKey(prefix: Buffer, namespace: number): Buffer {
  const key = Buffer.allocUnsafe(prefix.length + NAMESPACE_BYTES);
  prefix.copy(key, 0);
  key.writeUInt32BE(namespace, prefix.length);
  return key;
}

export function dataKey(namespace: number, userKey: Buffer): Buffer {
  const key = Buffer.allocUnsafe(DATA_KEY_HEADER_BYTES + userKey.length);
  key.writeUInt32BE(namespace, 0);
  writeHash64(userKey, key, NAMESPACE_BYTES);
  userKey.copy(key, DATA_KEY_HEADER_BYTES);
  return key;
}

/** The first data key of namespace at or after hash position `hash`. */
export function dataKeyAtHash(namespace: number, hash: bigint): Buffer {
  const key = Buffer.allocUnsafe(DATA_KEY_HEADER_BYTES);
  key.writeUInt32BE(namespace, 0);
  key.writeBigUInt64BE(hash, NAMESPACE_BYTES);
  return key;
}

export function namespaceStart(namespace: number): Buffer {
  const key = Buffer.alloc(NAMESPACE_BYTES);
  key.writeUInt32BE(namespace, 0);
  return key;
}

export function userKeyOf(key: Buffer): Buffer {
  return key.subarray(DATA_KEY_HEADER_BYTES);
}

export function hashOf(key: Buffer): bigint {
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
  return { expireAtMs: Number(entry.readBigUInt64BE(TTL_PREFIX.length)), key: entry.subarray(TTL_PREFIX.length + 8) };
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

export function encodeValue(type: number, payload: Buffer): Buffer {
  const value = Buffer.allocUnsafe(1 + payload.length);
  value[0] = type;
  payload.copy(value, 1);
  return value;
}

export interface NamespaceCounts {
  keys: number;
  expires: number;
}

export function encodeCounts(counts: NamespaceCounts): Buffer {
  const bytes = Buffer.allocUnsafe(16);
  writeU64BE(bytes, counts.keys, 0);
  writeU64BE(bytes, counts.expires, 8);
  return bytes;
}

export function decodeCounts(bytes: Buffer | undefined): NamespaceCounts {
  if (bytes === undefined) return { keys: 0, expires: 0 };
  if (bytes.length !== 16) throw new Error(`keyspace count has ${bytes.length} bytes`);
  return { keys: Number(bytes.readBigUInt64BE(0)), expires: Number(bytes.readBigUInt64BE(8)) };
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

/**
 * The namespaces FLUSHDB / FLUSHALL dropped (durably), for the engine's compaction filter: pass
 * `filter` as EngineOptions.compactionFilter and the same object to Keyspace.open. An entry is
 * droppable when its data key, or the data key inside its 'ttl' key, is in a dead namespace.
 */
export class DeadNamespaces {
  private readonly dead = new Set<number>();

  add(namespace: number): void {
    this.dead.add(namespace);
  }

  has(namespace: number): boolean {
    return this.dead.has(namespace);
  }

  get size(): number {
    return this.dead.size;
  }

  readonly filter = (key: Buffer): boolean => {
    if (this.dead.size === 0 || key.length < NAMESPACE_BYTES) return false;
    const namespace = key.readUInt32BE(0);
    if (namespace !== 0) return this.dead.has(namespace);
    if (key.length < TTL_NAMESPACE_OFFSET + NAMESPACE_BYTES || TTL_PREFIX.compare(key, 0, TTL_PREFIX.length) !== 0) return false;
    return this.dead.has(key.readUInt32BE(TTL_NAMESPACE_OFFSET));
  };
}
