// src/types/timeseries/label-index.ts: the label index that finds series for TS.MGET, TS.MRANGE
// and TS.QUERYINDEX. One engine entry per (label, value) of each series, owned by the series'
// version (keyspace/layout.ts 'vidx'):
//   [0,0,0,0] 'vidx' 'T' [u32 name bytes][name][u32 value bytes][value][version u64] -> ''
// Invariants:
// - Written and deleted in the same batch as the labels they mirror (TS.CREATE, TS.ALTER LABELS,
//   a series created by TS.ADD / TS.INCRBY / RESTORE / COPY).
// - DEL, overwrite, expiry, FLUSHDB, RENAME and MOVE touch no entry: an entry names a version, the
//   version's 'ver' mark names its key and namespace (so RENAME and MOVE are followed for free),
//   and entries of dead versions are garbage the compaction filter drops; lookups skip them.
// - A query reads the entries of its positive matchers only (l=v, l=(a,b)): it costs what it
//   matches, not the number of series.
// - A version's owner (db, key) found once is remembered (at most OWNERS_CACHED_MAX per keyspace)
//   and trusted only while that key of that db still holds a series of that version: versions are
//   never reused, so a hit names the one owner; after a RENAME, MOVE or DEL the check fails and
//   the 'ver' marks are read again (keyspace.ownerOf, an engine scan per series: ~a third of a
//   TS.MGET over 200 series). The record comes from the record cache (record-cache.ts).
import type { Keyspace, KeyRecord } from '../../keyspace/keyspace.js';
import { seriesRecordAt } from './record-cache.js';
import type { Label } from './sample.js';
import { KEY_TYPE, VERSION_BYTES, VERSION_INDEX_PREFIX, prefixEnd, readU64BE, writeU64BE } from '../../keyspace/layout.js';

const LABEL_INDEX_PREFIX = Buffer.concat([VERSION_INDEX_PREFIX, Buffer.from('T', 'latin1')]);
/** Owners of versions remembered per keyspace, at most (about 100 bytes each); full, they are all dropped. */
export const OWNERS_CACHED_MAX = 262_144;

const owners = new WeakMap<Keyspace, Map<number, { db: number; key: Buffer }>>();

/** The series record of version in db, and its key, if db holds it (see the header on the cache). */
function ownedRecord(keyspace: Keyspace, db: number, version: number): IndexedSeries | undefined {
  let cache = owners.get(keyspace);
  if (cache === undefined) {
    cache = new Map();
    owners.set(keyspace, cache);
  }
  const cached = cache.get(version);
  if (cached !== undefined && cached.db === db) {
    const record = seriesRecordAt(keyspace, db, cached.key);
    if (record !== undefined && record.type === KEY_TYPE.timeseries && record.version === version) return { key: Buffer.from(cached.key), record };
  }
  const owner = keyspace.ownerOf(version);
  if (owner === undefined) {
    cache.delete(version);
    return undefined;
  }
  if (cache.size >= OWNERS_CACHED_MAX) cache.clear();
  cache.set(version, { db: owner.db, key: Buffer.from(owner.key) });
  if (owner.db !== db) return undefined;
  const record = seriesRecordAt(keyspace, db, owner.key);
  if (record === undefined || record.type !== KEY_TYPE.timeseries || record.version !== version) return undefined;
  return { key: Buffer.from(owner.key), record };
}

function u32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

/** The key prefix of every entry for name (any value). */
function labelPrefix(name: string): Buffer {
  const nameBytes = Buffer.from(name, 'latin1');
  return Buffer.concat([LABEL_INDEX_PREFIX, u32(nameBytes.length), nameBytes]);
}

/** The key prefix of every entry for name = value. */
function pairPrefix(name: string, value: string): Buffer {
  const valueBytes = Buffer.from(value, 'latin1');
  return Buffer.concat([labelPrefix(name), u32(valueBytes.length), valueBytes]);
}

function entryKey(name: string, value: string, version: number): Buffer {
  const prefix = pairPrefix(name, value);
  const key = Buffer.allocUnsafe(prefix.length + VERSION_BYTES);
  prefix.copy(key, 0);
  writeU64BE(key, version, prefix.length);
  return key;
}

export function indexLabels(keyspace: Keyspace, version: number, labels: readonly Label[]): void {
  for (const [name, value] of labels) keyspace.putElement(entryKey(name, value, version), Buffer.alloc(0));
}

export function unindexLabels(keyspace: Keyspace, version: number, labels: readonly Label[]): void {
  for (const [name, value] of labels) keyspace.deleteElement(entryKey(name, value, version));
}

/** The versions indexed under name = value (every value when undefined); dead ones included. */
function versionsWith(keyspace: Keyspace, name: string, value: string | undefined, into: Set<number>): void {
  const prefix = value === undefined ? labelPrefix(name) : pairPrefix(name, value);
  for (const entry of keyspace.indexEntries(prefix, prefixEnd(prefix))) {
    if (value !== undefined && entry.key.length !== prefix.length + VERSION_BYTES) continue;
    into.add(readU64BE(entry.key, entry.key.length - VERSION_BYTES));
  }
}

/** A matcher as the index sees it: the label and the values it may take (undefined: any value). */
export interface IndexLookup {
  name: string;
  values: readonly string[] | undefined;
}

export interface IndexedSeries {
  key: Buffer;
  record: KeyRecord;
}

/**
 * The live series of db matching every lookup (an intersection, smallest first), each resolved
 * through its version's owner and checked to still be that key's series, in key byte order.
 */
export function seriesMatching(keyspace: Keyspace, db: number, lookups: readonly IndexLookup[]): IndexedSeries[] {
  if (lookups.length === 0) return [];
  const sets = lookups.map((lookup) => {
    const union = new Set<number>();
    if (lookup.values === undefined) versionsWith(keyspace, lookup.name, undefined, union);
    else for (const value of lookup.values) versionsWith(keyspace, lookup.name, value, union);
    return union;
  });
  sets.sort((a, b) => a.size - b.size);
  const found: IndexedSeries[] = [];
  for (const version of sets[0]!) {
    if (!sets.every((set) => set.has(version))) continue;
    const owned = ownedRecord(keyspace, db, version);
    if (owned !== undefined) found.push(owned);
  }
  return found.sort((a, b) => Buffer.compare(a.key, b.key));
}
