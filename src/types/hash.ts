// src/types/hash.ts: the hash type. Metadata (keyspace/layout.ts) holds the version and HLEN; each
// field is one element:
//   [ELEMENT_NAMESPACE][version u64][HASH_KIND.field][hash64(field) u64][field] -> value
// Invariants:
// - count = the fields present, exact: a write reads each field before it writes (a repeated
//   field in one command counts once); a command that removes the last field deletes the key.
// - encoding is Redis's, sticky: listpack while every field and value has at most
//   hash-max-listpack-value bytes and there are at most hash-max-listpack-entries fields;
//   hashtable from the first write that breaks either, for good (Redis never converts back).
//   RESTORE of a listpack or ziplist payload checks the field count only, as Redis's loader does.
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import { KEY_TYPE } from '../keyspace/layout.js';
import { elementKeyOf, walkElements, type HashedElement } from './hashed-elements.js';
import { encodeRdbLength, encodeRdbString } from './rdb-string.js';
import { readRdbHash } from './rdb-objects.js';
import { RDB_TYPE } from './dump-payload.js';
import { DICT_ENTRY_BYTES, ROBJ_BYTES, dictBytes, listpackBytes, sdsAllocBytes } from './redis-memory.js';
import type { EncodingLimits, TypeModule } from './type-module.js';

export const HASH_KIND = { field: 1 } as const;
export const HASH_ENCODING = { listpack: 0, hashtable: 2 } as const;
const EMPTY = Buffer.alloc(0);

export function fieldKey(version: number, field: Buffer): Buffer {
  return elementKeyOf(version, HASH_KIND.field, field);
}

export function getField(keyspace: Keyspace, record: KeyRecord, field: Buffer): Buffer | undefined {
  return keyspace.element(fieldKey(record.version, field));
}

export function hashFields(keyspace: Keyspace, record: KeyRecord): Generator<HashedElement> {
  return walkElements(keyspace, record.version, HASH_KIND.field);
}

/** A new, empty hash record (a fresh version); it exists once set() stages it with fields. */
export function newHash(keyspace: Keyspace): KeyRecord {
  return { type: KEY_TYPE.hash, encoding: HASH_ENCODING.listpack, expireAtMs: 0, version: keyspace.newVersion(), count: 0, payload: EMPTY };
}

/**
 * Stages field = value into record (mutated: count and encoding), returns whether the field is
 * new. The caller writes the record back with keyspace.set (or touch when nothing changed).
 */
export function putField(keyspace: Keyspace, record: KeyRecord, field: Buffer, value: Buffer, limits: EncodingLimits): boolean {
  const key = fieldKey(record.version, field);
  const created = record.count === 0 || keyspace.element(key) === undefined;
  keyspace.putElement(key, value);
  if (created) record.count++;
  if (field.length > limits.hashListpackValue || value.length > limits.hashListpackValue || record.count > limits.hashListpackEntries) {
    record.encoding = HASH_ENCODING.hashtable;
  }
  return created;
}

/** Stages the removal of field; returns whether it was there. */
export function removeField(keyspace: Keyspace, record: KeyRecord, field: Buffer): boolean {
  const key = fieldKey(record.version, field);
  if (keyspace.element(key) === undefined) return false;
  keyspace.deleteElement(key);
  record.count--;
  return true;
}

/** A new hash holding pairs (COPY, RESTORE): staged elements; the caller sets the record. */
export function hashFrom(keyspace: Keyspace, pairs: Iterable<HashedElement>, limits: EncodingLimits): KeyRecord {
  const record = newHash(keyspace);
  for (const { part, value } of pairs) putField(keyspace, record, part, value, limits);
  return record;
}

export const hashType: TypeModule = {
  type: KEY_TYPE.hash,
  name: 'hash',
  encoding: (record) => (record.encoding === HASH_ENCODING.hashtable ? 'hashtable' : 'listpack'),
  memoryUsage(keyspace, record, samples) {
    if (record.encoding !== HASH_ENCODING.hashtable) {
      const entries: Buffer[] = [];
      for (const { part, value } of hashFields(keyspace, record)) entries.push(part, value);
      return ROBJ_BYTES + listpackBytes(entries);
    }
    let sampled = 0;
    let bytes = 0;
    for (const { part, value } of hashFields(keyspace, record)) {
      if (samples !== 0 && sampled >= samples) break;
      bytes += sdsAllocBytes(part.length) + sdsAllocBytes(value.length) + DICT_ENTRY_BYTES;
      sampled++;
    }
    return ROBJ_BYTES + dictBytes(record.count) + (sampled === 0 ? 0 : Math.floor((bytes / sampled) * record.count));
  },
  dumpObject(keyspace, record) {
    const parts: Buffer[] = [Buffer.from([RDB_TYPE.hash]), encodeRdbLength(record.count)];
    for (const { part, value } of hashFields(keyspace, record)) parts.push(...encodeRdbString(part), ...encodeRdbString(value));
    return parts;
  },
  copy(keyspace, record) {
    const copy = newHash(keyspace);
    for (const { part, value } of hashFields(keyspace, record)) keyspace.putElement(fieldKey(copy.version, part), value);
    return { ...record, version: copy.version };
  },
  rdbTypes: [RDB_TYPE.hash, RDB_TYPE.hashZipmap, RDB_TYPE.hashZiplist, RDB_TYPE.hashListpack],
  restoreObject(keyspace, rdbType, cursor, options) {
    const pairs = readRdbHash(rdbType, cursor, options.valueBytesMax); // not empty, no field twice
    if (pairs === undefined) return undefined;
    const record = newHash(keyspace);
    for (let index = 0; index < pairs.length; index += 2) putField(keyspace, record, pairs[index] as Buffer, pairs[index + 1] as Buffer, options.limits);
    if (rdbType === RDB_TYPE.hashListpack || rdbType === RDB_TYPE.hashZiplist) {
      // rdbLoadObject keeps a listpack (or a ziplist's listpack) unless it has too many fields
      record.encoding = record.count > options.limits.hashListpackEntries ? HASH_ENCODING.hashtable : HASH_ENCODING.listpack;
    }
    return record;
  },
};
