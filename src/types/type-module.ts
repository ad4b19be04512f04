// src/types/type-module.ts: what every type module (string.ts, hash.ts, set.ts, ...) gives the
// generic commands, so TYPE, OBJECT ENCODING, MEMORY USAGE, DUMP, COPY and SCAN TYPE know every
// type without a switch per command; and the encoding thresholds Redis's CONFIG names.
// Invariants:
// - A module answers only for records of its own type (the registry picks it by record.type).
// - copy() stages nothing for the source: the copy is a record (for aggregates, elements staged
//   under a new version) the caller stages at the target with keyspace.set.
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import type { RdbCursor } from './rdb-string.js';

/** Redis's encoding thresholds (CONFIG hash-max-listpack-entries ...), Redis 7.0's defaults. */
export interface EncodingLimits {
  hashListpackEntries: number;
  hashListpackValue: number;
  setIntsetEntries: number;
  setListpackEntries: number;
  setListpackValue: number;
  listListpackSize: number; // list-max-listpack-size: < 0 a node's size class (-2 = 8 KiB), > 0 its entries
  zsetListpackEntries: number;
  zsetListpackValue: number;
}

export const ENCODING_LIMITS_DEFAULT: EncodingLimits = {
  hashListpackEntries: 512,
  hashListpackValue: 64,
  setIntsetEntries: 512,
  setListpackEntries: 128,
  setListpackValue: 64,
  listListpackSize: -2,
  zsetListpackEntries: 128,
  zsetListpackValue: 64,
};

export interface TypeModule {
  readonly type: number;
  /** TYPE's answer, and what SCAN TYPE matches. */
  readonly name: string;
  /** OBJECT ENCODING, from the record's sticky encoding level. */
  encoding(record: KeyRecord): string;
  /** MEMORY USAGE of the value (robj and what it points to) as Redis 7.0 would report it; samples: 0 = all elements. */
  memoryUsage(keyspace: Keyspace, record: KeyRecord, samples: number): number;
  /** DUMP: the RDB object (type byte, then the object) Redis 7.0 reads with RESTORE. */
  dumpObject(keyspace: Keyspace, record: KeyRecord): Buffer[];
  /** When set, DUMP answers this error instead (a type with no RDB encoding). */
  readonly dumpUnsupported?: string;
  /** COPY: a record for the target holding the same value. */
  copy(keyspace: Keyspace, record: KeyRecord): KeyRecord;
  /**
   * RENAME / RENAMENX, after the key moved from source to target in db (its record and elements
   * unchanged): stages what other keys must learn of the new name (time series rules).
   */
  renamed?(keyspace: Keyspace, db: number, source: Buffer, target: Buffer): void;
  /** The RDB object types restoreObject reads (RESTORE picks the module by the payload's type byte). */
  readonly rdbTypes: readonly number[];
  /**
   * RESTORE: reads the object after its type byte and returns its record (elements staged under a
   * new version), or undefined where Redis answers "Bad data format" (damage, duplicates, empty).
   */
  restoreObject(keyspace: Keyspace, rdbType: number, cursor: RdbCursor, options: RestoreOptions): KeyRecord | undefined;
}

export interface RestoreOptions {
  limits: EncodingLimits;
  valueBytesMax: number; // proto-max-bulk-len: no string may exceed it
}
