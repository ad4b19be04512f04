// src/types/timeseries/record-cache.ts: the stored records of series (options, state, version:
// the 'meta' value keyspace.get() decodes), kept in memory by database and key, so that a TS.MADD
// element or a TS.ADD finds its series without an engine lookup (which, since appends no longer
// rewrite the record, mostly reads an SSTable).
// Invariants:
// - An entry is what keyspace.get(db, key) returns, as long as it is kept: it is dropped on every
//   change of the key's metadata, which the keyspace reports through onKeyModified (set, delete,
//   relocate's both ends, lazy and active expiry; chained like WATCH's registry, installed on
//   first use), and the whole cache on onDbFlushed (FLUSHDB, FLUSHALL, SWAPDB, a full sync) and
//   when keyspace.stagedResets moves (staged writes discarded, a commit refused, read-only mode
//   changed). keyspace.touch() (an element changed in place, an unrecorded append) reports through
//   the same callback: appends call touchAppended, which leaves the entry.
// - Only live series records without an expiry are kept (an expiry would need the clock checked:
//   those go to keyspace.get(), which also deletes them lazily), and none in a read-only keyspace
//   (a replica's records are moved by its primary's batches).
// - At most RECORDS_CACHED_MAX entries, the oldest dropped first; payloads are copies (75 bytes),
//   decoded once (cachedSeriesState hands out copies of the decoded state).
// - Entries are found by the key's hash (recordCacheHooks.hash: no string built per lookup, which
//   was ~3 % of a TS.MADD server) and hold a copy of their key, compared on every hit: one entry
//   per hash, a key whose hash another holds replaces it.
import { bloomHash } from '../../../storage/index.js';
import { KEY_TYPE, type Keyspace, type KeyRecord } from '../../keyspace/keyspace.js';
import { decodeSeriesState, type SeriesState } from './series.js';

/** Series records cached per keyspace, at most (about 200 bytes each with the key). */
export const RECORDS_CACHED_MAX = 65_536;

interface CachedRecord {
  key: Buffer; // a copy
  record: KeyRecord;
}

interface RecordCache {
  resets: number; // keyspace.stagedResets when last checked
  byDb: Map<number, Map<number, CachedRecord>>; // db -> hash of the key -> its record
  size: number;
}

/** The key hash entries are found by (tests swap it for one that collides). */
export const recordCacheHooks = { hash: bloomHash };

/** Whether a cached entry holds key (a JS loop: Buffer#equals is a native call dearer than this at key sizes). */
function holdsKey(cached: CachedRecord | undefined, key: Buffer): cached is CachedRecord {
  if (cached === undefined) return false;
  const held = cached.key;
  const length = key.length;
  if (held.length !== length) return false;
  for (let index = 0; index < length; index++) if (held[index] !== key[index]) return false;
  return true;
}

const caches = new WeakMap<Keyspace, RecordCache>();
/** The decoded payloads of cached records (never handed out: copied). */
const decodedStates = new WeakMap<KeyRecord, SeriesState>();
/** Set while an unrecorded append tells WATCH of its key: the record did not change. */
let appending = false;

function cacheOf(keyspace: Keyspace): RecordCache | undefined {
  if (keyspace.readOnly) return undefined;
  let cache = caches.get(keyspace);
  if (cache === undefined) {
    cache = { resets: keyspace.stagedResets, byDb: new Map(), size: 0 };
    caches.set(keyspace, cache);
    install(keyspace, cache);
  } else if (cache.resets !== keyspace.stagedResets) {
    cache.resets = keyspace.stagedResets;
    clear(cache);
  }
  return cache;
}

function install(keyspace: Keyspace, cache: RecordCache): void {
  const previousModified = keyspace.onKeyModified;
  keyspace.onKeyModified = (db, key) => {
    previousModified?.(db, key);
    if (appending || cache.size === 0) return;
    const records = cache.byDb.get(db);
    if (records === undefined) return;
    const hash = recordCacheHooks.hash(key);
    if (holdsKey(records.get(hash), key) && records.delete(hash)) cache.size--;
  };
  const previousFlushed = keyspace.onDbFlushed;
  keyspace.onDbFlushed = (db) => {
    previousFlushed?.(db);
    clear(cache);
  };
}

function clear(cache: RecordCache): void {
  cache.byDb.clear();
  cache.size = 0;
}

/** keyspace.get(db, key), from the cache when it holds the key's series record. */
export function seriesRecordAt(keyspace: Keyspace, db: number, key: Buffer): KeyRecord | undefined {
  const cache = cacheOf(keyspace);
  if (cache === undefined) return keyspace.get(db, key);
  let records = cache.byDb.get(db);
  const hash = recordCacheHooks.hash(key);
  const cached = records?.get(hash);
  if (holdsKey(cached, key)) return cached.record;
  const record = keyspace.get(db, key);
  if (record === undefined || record.type !== KEY_TYPE.timeseries || record.expireAtMs !== 0) return record;
  if (cached !== undefined && records !== undefined) { // another key with this hash: this one takes its place
    records.delete(hash);
    cache.size--;
  }
  if (cache.size >= RECORDS_CACHED_MAX) dropOldest(cache);
  if (records === undefined) {
    records = new Map();
    cache.byDb.set(db, records);
  }
  const { type, encoding, expireAtMs, version, count, payload } = record;
  const copy: KeyRecord = { type, encoding, expireAtMs, version, count, payload: Buffer.from(payload) };
  decodedStates.set(copy, decodeSeriesState(copy.payload));
  records.set(hash, { key: Buffer.from(key), record: copy });
  cache.size++;
  return copy;
}

function dropOldest(cache: RecordCache): void {
  for (const records of cache.byDb.values()) {
    const oldest = records.keys().next();
    if (oldest.done === true) continue;
    records.delete(oldest.value);
    cache.size--;
    return;
  }
}

/** A copy of the decoded state of a record seriesRecordAt answered from the cache, else undefined. */
export function cachedSeriesState(record: KeyRecord): SeriesState | undefined {
  const state = decodedStates.get(record);
  return state === undefined ? undefined : { ...state };
}

/** keyspace.touch(db, key) for an append that left the series' record as stored. */
export function touchAppended(keyspace: Keyspace, db: number, key: Buffer): void {
  appending = true;
  try {
    keyspace.touch(db, key);
  } finally {
    appending = false;
  }
}

/** Entries cached in keyspace (tests). */
export function recordsCached(keyspace: Keyspace): number {
  return caches.get(keyspace)?.size ?? 0;
}
