// src/keyspace/keyspace.ts: Redis's 16 databases of typed, expiring keys on the storage engine.
// Commands stage changes here synchronously; dispatch calls commit() once per command (or per
// EXEC), which makes one engine.write, so one command is one atomic WAL batch. The byte layout of
// metadata, elements and meta keys is drawn in layout.ts; type modules (src/types/) own their
// elements and reach them through element(), putElement(), deleteElement() and elements().
// Invariants:
// - Reads see staged changes first, then the engine; an expired key (expireAtMs <= now) is absent
//   on every read path (get, keys, scanPage, randomKey) at once. get() also stages its delete
//   (Redis's lazy expiry), so DBSIZE drops as in Redis.
// - counts[ns] = metadata keys present in ns (live or expired not yet reaped), kept in memory and
//   written with every batch that changes it, so after a crash it matches the data (DBSIZE). An
//   aggregate's count lives in its metadata, rewritten in the batch that changes its elements.
// - A key holds an expiry exactly when its 'ttl' index entry exists; both are staged together.
// - Killing an aggregate (delete, overwrite, expiry) deletes its metadata, its 'ver' entry and
//   its 'ttl' entry: O(1) in its elements, which garbage.ts lets compaction drop once durable.
//   RENAME and MOVE move metadata and rewrite 'ver': the version, so the elements, stay.
// - FLUSHDB / FLUSHALL / SWAPDB only rewrite the dbmap (O(1)): a flushed db gets a fresh namespace;
//   the old one is marked dead and left to compaction.
// - discardStaged() restores counts, the dbmap and the version lease as they were at the last commit.
// - A key Buffer given to get/set/delete is not mutated afterwards (command arguments never are):
//   the last lookup is remembered by the identity of its key Buffer, its namespace and the
//   overlay's version, so a command's lookupKeyWrite followed by its write looks up once.
// - A read (get, getStored, exists) builds its metadata key in a scratch Buffer reused by the
//   next read of a key as long (no allocation per GET); only the remembered lookup refers to it,
//   and whatever stages that key (a write, a lazy-expiry delete) gets its own copy first.
// - A read-only keyspace (a replica's) writes nothing of its own: get() stages no lazy-expiry
//   delete (an expired key still reads as absent), commit() drops whatever a command staged, and
//   open() neither migrates nor writes the layout key. Its primary's batches reach the engine
//   through engine.applyReplicated; noteReplicated() then brings the cached map, counts and
//   version lease up to date and tells WATCH which keys changed.
// - Hooks for the layers above (this file imports none of them): onKeyModified (WATCH) for every
//   key staged; onKeyExpired once per expired key removed, whichever path found it (get, delete,
//   set or relocate over it, the active cycle), as Redis's "expired" keyspace event; and
//   onStagedSettled once per commit() (the engine's promise) or discardStaged() (undefined), so
//   what waits for the staged writes (Pub/Sub messages) learns their fate; onElementStaged for
//   every element put or delete staged (the only way elements change, a replica's applied batches
//   aside), so a cache of a version's elements (types/zset-head-cache.ts) drops it.
import assert from 'node:assert/strict';
import type { Engine, ScanItem, ValuePage, WriteOp } from '../../storage/index.js';
import { KeyspaceGarbage, deadNamespaceOf } from './garbage.js';
import {
  COUNT_PREFIX, DATABASE_COUNT, emptyCounts, DBMAP_KEY, DEAD_PREFIX, ELEMENT_NAMESPACE, KEY_TYPE, LAYOUT_KEY, LAYOUT_VERSION, NAMESPACE_BYTES, NAMESPACE_ID_MAX,
  VERSION_MARK_PREFIX, VERSION_NEXT_KEY, decodeCounts, elementVersionOf, decodeDatabaseMap, decodeRecord, encodeCounts, encodeDatabaseMap, encodeRecord,
  encodeVersion, decodeRecordMeta, expireAtOfValue, isAggregateType, isDeletedWhenEmpty, metadataKey, namespaceKey, parseTtlKey, prefixEnd, readU64BE,
  VERSION_MARK_NAMESPACE_OFFSET, ttlKey, userKeyOf, writeMetadataKey, METADATA_KEY_HEADER_BYTES, versionMarkKey, versionMarksStart, type DatabaseMap, type KeyRecord, type NamespaceCounts,
} from './layout.js';
import { migrateIfNeeded } from './migrate.js';
import { StagedOverlay, type StoredEntry } from './overlay.js';
import { dueExpiryEntries, isExpired, randomNamespaceKey, scanNamespacePage, slotKeys, walkNamespace, type KeyFilter } from './walks.js';

export { DATABASE_COUNT, KEY_TYPE, stringPayloadOffset, typeOfValue, type KeyRecord } from './layout.js';
export { KeyspaceGarbage } from './garbage.js';
export { isExpired, type KeyFilter } from './walks.js';

/** TYPE's answer per key type. */
export const KEY_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [KEY_TYPE.string, 'string'], [KEY_TYPE.hash, 'hash'], [KEY_TYPE.list, 'list'], [KEY_TYPE.set, 'set'],
  [KEY_TYPE.zset, 'zset'], [KEY_TYPE.timeseries, 'TSDB-TYPE'],
]);
/** The active expiry cycle restarts its index walk from the oldest time after this many cycles (clock steps back). */
export const EXPIRE_CURSOR_RESET_CYCLES = 600;
/** Versions reserved by one write of 'vnext' (one extra put per this many new aggregates). */
export const VERSION_LEASE = 4096;
/** Aggregates whose owner noteReplicated looks up per batch to tell WATCH (element-only changes). */
export const REPLICATED_OWNERS_MAX = 64;
/** ownerOf looks a version's mark up in each database while there are at most this many; past it, one range scan. */
export const OWNER_POINT_LOOKUPS_MAX = 64;

export interface KeyspaceOptions {
  garbage?: KeyspaceGarbage;
  /** A replica's keyspace: writes nothing of its own (see the header). */
  readOnly?: boolean;
  nowMs?: () => number;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

const EMPTY = Buffer.alloc(0);
const STRING_VERSION = encodeVersion(0);

/** Reads of user keys up to this long build their metadata key in a reused scratch (locate). */
export const LOOKUP_SCRATCH_KEY_BYTES_MAX = 256;

/** The last lookup: valid while key, namespace and the overlay's version are the same. */
interface Located {
  key: Buffer | undefined;
  namespace: number;
  version: number;
  internal: Buffer;
  scratch: boolean; // internal is a read's scratch (lookupKeys): copied before anything stages it
  stored: Buffer | undefined; // the metadata value, expired included
}

/**
 * The record a write replaces, for the counts and the expiry index: its header alone (no payload
 * view), except a time series', whose payload says how many samples its record does not count
 * yet (Keyspace.seriesSamplesUnrecorded reads it).
 */
function decodeReplaced(stored: Buffer): KeyRecord {
  return stored[0] === KEY_TYPE.timeseries ? decodeRecord(stored) : decodeRecordMeta(stored);
}

export class Keyspace {
  /**
   * Samples a time series record does not count yet: appends the time series layer keeps only as
   * raw elements (types/timeseries/hot-state.ts sets this once, for every keyspace; 0 for the
   * record it is writing). Counted with the record wherever a series leaves or enters a
   * database's counts, so a command rewriting a stored record as it read it (EXPIRE) counts none.
   */
  static seriesSamplesUnrecorded: ((keyspace: Keyspace, record: KeyRecord) => number) | undefined = undefined;
  /** Bumped when staged writes are dropped, a commit is refused or read-only mode changes: caches of what was staged start over. */
  stagedResets = 0;
  onKeyModified: ((db: number, key: Buffer) => void) | undefined = undefined;
  onDbFlushed: ((db: number | 'all') => void) | undefined = undefined;
  onKeyExpired: ((db: number, key: Buffer) => void) | undefined = undefined;
  onStagedSettled: ((durable: Promise<void> | undefined) => void) | undefined = undefined;
  /** Every element put or delete staged (putElement, deleteElement), as it is staged: caches of an aggregate's elements drop it. */
  onElementStaged: ((key: Buffer) => void) | undefined = undefined;

  /**
   * An element cache's hooks, run after whatever already listens: elementStaged on every staged
   * element put or delete (onElementStaged), flushed on every emptied database (onDbFlushed).
   */
  addElementCacheHooks(elementStaged: (key: Buffer) => void, flushed: () => void): void {
    const previousStaged = this.onElementStaged;
    this.onElementStaged = (key) => {
      previousStaged?.(key);
      elementStaged(key);
    };
    const previousFlushed = this.onDbFlushed;
    this.onDbFlushed = (db) => {
      previousFlushed?.(db);
      flushed();
    };
  }
  /** Expired keys deleted since open, by get() or by the active expiry cycle. */
  expiredKeysTotal = 0;
  /** A replica's: nothing of its own is written (see the header). */
  readOnly = false;
  /** Commands whose staged writes commit() dropped because the keyspace is read-only. */
  droppedWritesTotal = 0;
  private reloadedAfterFailure = false;
  readonly now: () => number;
  readonly garbage: KeyspaceGarbage;
  private readonly staged: StagedOverlay;
  private readonly countsBefore = new Map<number, NamespaceCounts | undefined>();
  private mapBefore: DatabaseMap | undefined = undefined;
  private pendingDead: number[] = []; // namespaces dropped by the staged ops
  private pendingKills: number[] = []; // versions killed by the staged ops
  private nextVersion: number;
  private versionLimit: number; // versions below it are leased (durably, or by a staged 'vnext')
  private versionLimitBefore: number | undefined = undefined;
  private expireCursor: Buffer | undefined = undefined;
  private expireCycles = 0;
  private readonly located: Located = { key: undefined, namespace: 0, version: -1, internal: EMPTY, scratch: false, stored: undefined };
  private readonly lookupKeys: (Buffer | undefined)[] = []; // a read's metadata key scratch, by user key length
  private watchedCommit: Promise<void> | undefined = undefined; // the last commit promise given a rejection handler
  private countKey: { namespace: number; key: Buffer } = { namespace: -1, key: EMPTY }; // the last count key built

  private constructor(
    private readonly engine: Engine,
    private map: DatabaseMap,
    private readonly counts: Map<number, NamespaceCounts>,
    garbage: KeyspaceGarbage,
    versionNext: number,
    nowMs: () => number,
  ) {
    this.now = nowMs;
    this.garbage = garbage;
    this.staged = new StagedOverlay(engine);
    this.nextVersion = versionNext;
    this.versionLimit = versionNext;
  }

  /**
   * Opens the keyspace: migrates data written by 0.1.0 first (migrate.ts), then reads the dbmap,
   * the counts of the live namespaces, the dead namespaces and the version lease.
   */
  static async open(engine: Engine, options: KeyspaceOptions = {}): Promise<Keyspace> {
    const log = options.log ?? (() => undefined);
    if (options.readOnly !== true) {
      await migrateIfNeeded(engine, log);
      if (engine.getEntry(LAYOUT_KEY) === undefined) {
        await engine.write([{ kind: 'put', key: LAYOUT_KEY, value: layoutValue() }]);
      }
    }
    const map = decodeDatabaseMap(engine.getEntry(DBMAP_KEY)?.value);
    const counts = new Map<number, NamespaceCounts>();
    for (const namespace of map.namespaces) {
      counts.set(namespace, decodeCounts(engine.getEntry(namespaceKey(COUNT_PREFIX, namespace))?.value));
    }
    const garbage = options.garbage ?? new KeyspaceGarbage();
    for (const item of engine.scan({ start: DEAD_PREFIX, end: prefixEnd(DEAD_PREFIX) })) garbage.addDeadNamespace(deadNamespaceOf(item.key));
    garbage.attach(engine);
    const leased = engine.getEntry(VERSION_NEXT_KEY)?.value;
    const versionNext = leased === undefined ? 1 : readU64BE(leased, 0);
    const keyspace = new Keyspace(engine, map, counts, garbage, versionNext, options.nowMs ?? Date.now);
    keyspace.readOnly = options.readOnly === true;
    return keyspace;
  }

  /** Re-reads the database map and the counts from the engine (after a refused commit). */
  private reloadCachedMeta(): void {
    if (this.reloadedAfterFailure) return;
    this.reloadedAfterFailure = true;
    this.located.key = undefined;
    try {
      this.map = decodeDatabaseMap(this.engine.getEntry(DBMAP_KEY)?.value);
      this.counts.clear();
      for (const namespace of this.map.namespaces) {
        this.counts.set(namespace, decodeCounts(this.engine.getEntry(namespaceKey(COUNT_PREFIX, namespace))?.value));
      }
    } catch {
      // the engine refuses reads too; every command will say so
    }
  }

  /**
   * The live record, or undefined. Like Redis's lookupKey, finding an expired key deletes it
   * (staged; the command's commit writes it), unless the engine refuses writes.
   */
  get(db: number, key: Buffer): KeyRecord | undefined {
    const stored = this.getStored(db, key);
    return stored === undefined ? undefined : decodeRecord(stored);
  }

  /**
   * get() without decoding: the live record's metadata value (layout.ts; GET replies from it,
   * no payload view), or undefined. Finding an expired key deletes it as get() does. The Buffer
   * is the engine's or the staged one: read it before staging anything, never modify it.
   */
  getStored(db: number, key: Buffer): Buffer | undefined {
    const namespace = this.namespaceOf(db);
    const { stored } = this.locate(namespace, key, false);
    if (stored === undefined) return undefined;
    const expireAtMs = expireAtOfValue(stored);
    if (expireAtMs === 0 || !isExpired(expireAtMs, this.now())) return stored;
    if (this.engine.failure() === undefined && !this.readOnly) {
      this.removeStored(namespace, this.locate(namespace, key).internal, decodeReplaced(stored), true);
      this.expiredKeysTotal++;
      this.onKeyExpired?.(db, key);
      this.onKeyModified?.(db, key);
    }
    return undefined;
  }

  /**
   * Stages key's metadata: a string's value, or an aggregate's metadata (its version either the
   * one the key holds or one from newVersion()). Whatever the key held under another version
   * dies. An aggregate with no elements is deleted instead, as Redis deletes emptied keys
   * (a time series excepted: it exists empty).
   */
  set(db: number, key: Buffer, record: KeyRecord): void {
    assert.ok(Number.isSafeInteger(record.expireAtMs) && record.expireAtMs >= 0, 'expireAtMs is a non-negative safe integer');
    const aggregate = isAggregateType(record.type);
    assert.equal(aggregate, record.version !== 0, 'aggregates, and only they, carry a version');
    const namespace = this.namespaceOf(db);
    const { internal, stored } = this.locate(namespace, key);
    const before = stored === undefined ? undefined : decodeReplaced(stored); // never handed out: no payload view
    if (aggregate && record.count === 0 && isDeletedWhenEmpty(record.type)) {
      if (before !== undefined) this.removeStored(namespace, internal, before, true);
      if (before !== undefined) this.noteIfExpired(db, key, before);
      this.onKeyModified?.(db, key);
      return;
    }
    if (before !== undefined && before.version !== record.version && before.version !== 0) this.kill(before.version, namespace);
    if (aggregate && before?.version !== record.version) this.staged.put(versionMarkKey(record.version, namespace), key, 0);
    this.staged.put(internal, encodeRecord(record), 0);
    this.account(namespace, before, record);
    this.restageTtl(internal, before?.expireAtMs ?? 0, record.expireAtMs, record.version);
    if (record.expireAtMs !== 0 && isExpired(record.expireAtMs, this.now())) this.expireCursor = undefined; // indexed behind the cursor
    if (before !== undefined) this.noteIfExpired(db, key, before); // once staged: its event waits for this commit
    this.onKeyModified?.(db, key);
  }

  /** Stages a delete if the key is present (even expired); returns whether it was live. */
  delete(db: number, key: Buffer): boolean {
    const namespace = this.namespaceOf(db);
    const { internal, stored } = this.locate(namespace, key);
    if (stored === undefined) return false;
    const before = decodeReplaced(stored);
    this.removeStored(namespace, internal, before, true);
    const expired = this.noteIfExpired(db, key, before);
    this.onKeyModified?.(db, key);
    return !expired;
  }

  /**
   * RENAME and MOVE: the live key source (checked by the caller) becomes target, replacing what
   * target held. O(1) in the elements: the version stays, its 'ver' entry names the new owner.
   */
  relocate(sourceDb: number, source: Buffer, targetDb: number, target: Buffer): void {
    const sourceNamespace = this.namespaceOf(sourceDb);
    const sourceFound = this.locate(sourceNamespace, source);
    const sourceKey = sourceFound.internal;
    assert.ok(sourceFound.stored !== undefined, 'relocate of an absent key');
    const record = decodeRecord(sourceFound.stored);
    this.removeStored(sourceNamespace, sourceKey, record, false);
    this.onKeyModified?.(sourceDb, source);
    const targetNamespace = this.namespaceOf(targetDb);
    const { internal, stored } = this.locate(targetNamespace, target);
    const before = stored === undefined ? undefined : decodeReplaced(stored); // never handed out: no payload view
    if (before !== undefined && before.version !== 0 && before.version !== record.version) this.kill(before.version, targetNamespace);
    if (record.version !== 0) {
      if (sourceNamespace !== targetNamespace) this.staged.delete(versionMarkKey(record.version, sourceNamespace));
      this.staged.put(versionMarkKey(record.version, targetNamespace), target, 0);
    }
    this.staged.put(internal, encodeRecord(record), 0);
    this.account(targetNamespace, before, record);
    this.restageTtl(internal, before?.expireAtMs ?? 0, record.expireAtMs, record.version);
    if (before !== undefined) this.noteIfExpired(targetDb, target, before);
    this.onKeyModified?.(targetDb, target);
  }

  /** A version never handed out before (a new aggregate, or the target of COPY). */
  newVersion(): number {
    if (this.nextVersion >= this.versionLimit) {
      if (this.versionLimitBefore === undefined) this.versionLimitBefore = this.versionLimit;
      this.versionLimit = this.nextVersion + VERSION_LEASE;
      this.staged.put(VERSION_NEXT_KEY, encodeVersion(this.versionLimit), 0);
    }
    assert.ok(Number.isSafeInteger(this.nextVersion + VERSION_LEASE), 'versions exhausted');
    return this.nextVersion++;
  }

  /** An element's value (staged or in the engine); element keys are the type modules'. */
  element(key: Buffer): Buffer | undefined {
    return this.staged.lookup(key)?.value;
  }

  putElement(key: Buffer, value: Buffer): void {
    const located = this.locatedIsCurrent();
    this.staged.put(key, value, 0);
    this.keepLocated(located, key);
    this.onElementStaged?.(key);
  }

  deleteElement(key: Buffer): void {
    const located = this.locatedIsCurrent();
    this.staged.delete(key);
    this.keepLocated(located, key);
    this.onElementStaged?.(key);
  }

  private locatedIsCurrent(): boolean {
    return this.located.key !== undefined && this.located.version === this.staged.version;
  }

  /**
   * After an element op was staged: the remembered metadata lookup (locate) stays current when it
   * was before, as an element key (namespace ELEMENT_NAMESPACE, 0xffffffff) is never a metadata
   * key (namespaces stop at NAMESPACE_ID_MAX). A push or pop then finds its metadata once.
   */
  private keepLocated(wasCurrent: boolean, key: Buffer): void {
    if (wasCurrent && key.length >= NAMESPACE_BYTES && key[0] === 0xff && key[1] === 0xff && key[2] === 0xff && key[3] === 0xff) {
      this.located.version = this.staged.version;
    }
  }

  /** Elements in [start, end), staged ones included, in key order. */
  elements(start: Buffer, end: Buffer): Generator<StoredEntry> {
    return this.staged.entries(start, end);
  }

  /**
   * Up to limit elements in [start, end) as one array when nothing is staged there (a read
   * without generators), and whether more remain (false, unread, unless askMore); undefined when
   * something is (use elements()).
   */
  elementsPage(start: Buffer, end: Buffer, limit: number, askMore = true): { items: ScanItem[]; more: boolean } | undefined {
    return this.staged.enginePage(start, end, limit, askMore);
  }

  /**
   * Up to limit element values in [start, end) into page (views valid until the caller returns to
   * the event loop), when nothing is staged there and at most one engine source holds keys there
   * (or the newest holds all keysMax the range can hold: Engine.valuesPage); false otherwise (use
   * elementsPage() or elements()).
   */
  elementValues(start: Buffer, end: Buffer, limit: number, page: ValuePage, keysMax?: number): boolean {
    return this.staged.engineValues(start, end, limit, page, keysMax);
  }

  /** Index entries (a type's 'vidx' keys, staged writes included) in [start, end), in key order. */
  indexEntries(start: Buffer, end: Buffer): Generator<StoredEntry> {
    return this.staged.entries(start, end);
  }

  /**
   * Who owns a live version: its database and key, from its 'ver' entry (staged writes included);
   * undefined when the version is dead or its namespace is no database's now.
   */
  ownerOf(version: number): { db: number; key: Buffer } | undefined {
    const { namespaces } = this.map;
    if (namespaces.length <= OWNER_POINT_LOOKUPS_MAX) {
      // a version has at most one mark in a live namespace (RENAME and MOVE move it, COPY makes a
      // new version): one point lookup per database, most misses answered by a Bloom filter, costs
      // a fraction of opening a range scan (the time series caches' sweeps ask for thousands)
      for (let db = 0; db < namespaces.length; db++) {
        const mark = this.staged.lookup(versionMarkKey(version, namespaces[db]!));
        if (mark !== undefined) return { db, key: mark.value };
      }
      return undefined;
    }
    for (const mark of this.staged.entries(versionMarksStart(version), versionMarksStart(version + 1))) {
      if (mark.key.length !== VERSION_MARK_NAMESPACE_OFFSET + NAMESPACE_BYTES) continue;
      const db = this.map.namespaces.indexOf(mark.key.readUInt32BE(VERSION_MARK_NAMESPACE_OFFSET));
      if (db >= 0) return { db, key: mark.value };
    }
    return undefined;
  }

  /** Tells WATCH that key changed without a metadata write (an element overwritten in place). */
  touch(db: number, key: Buffer): void {
    this.onKeyModified?.(db, key);
  }

  dbSize(db: number): number {
    return this.counts.get(this.namespaceOf(db))?.keys ?? 0;
  }

  expiresCount(db: number): number {
    return this.counts.get(this.namespaceOf(db))?.expires ?? 0;
  }

  /** INFO keyspace's avg_ttl: the mean time to live left of the keys with an expiry, in ms (0 if none). */
  averageTtlMs(db: number): number {
    const counts = this.counts.get(this.namespaceOf(db));
    if (counts === undefined || counts.expires === 0) return 0;
    return Math.max(0, Math.round(Number(counts.expireAtSumMs / BigInt(counts.expires)) - this.now()));
  }

  hasStaged(): boolean {
    return this.staged.size > 0 || this.countsBefore.size > 0 || this.mapBefore !== undefined;
  }

  discardStaged(): void {
    this.stagedResets++;
    for (const [namespace, counts] of this.countsBefore) {
      if (counts === undefined) this.counts.delete(namespace);
      else this.counts.set(namespace, counts);
    }
    if (this.mapBefore !== undefined) this.map = this.mapBefore;
    if (this.versionLimitBefore !== undefined) this.versionLimit = this.versionLimitBefore;
    this.clearStaging();
    this.onStagedSettled?.(undefined);
  }

  /** One engine.write with every staged op plus the changed counts and dbmap; undefined if nothing is staged. */
  commit(): Promise<void> | undefined {
    if (!this.hasStaged()) return undefined;
    if (this.readOnly) {
      this.discardStaged(); // a replica writes only its primary's batches
      this.droppedWritesTotal++;
      return undefined;
    }
    const ops: WriteOp[] = this.staged.takeWriteOps();
    for (const namespace of this.countsBefore.keys()) {
      const counts = this.counts.get(namespace);
      if (counts === undefined) continue; // dropped: its count keys are staged as deletes
      ops.push({ kind: 'put', key: this.countKeyOf(namespace), value: encodeCounts(counts) });
    }
    if (this.mapBefore !== undefined) ops.push({ kind: 'put', key: DBMAP_KEY, value: encodeDatabaseMap(this.map) });
    const dead = this.pendingDead;
    const kills = this.pendingKills;
    let durable: Promise<void>;
    try {
      durable = this.engine.write(ops);
    } catch (error) {
      this.discardStaged();
      throw error;
    }
    const seq = this.engine.sequence();
    for (const namespace of dead) this.garbage.noteDeadNamespace(namespace, seq);
    for (const version of kills) this.garbage.noteDeadVersion(version, seq);
    this.clearStaging();
    this.onStagedSettled?.(durable);
    // A refused commit: the engine rolled its memtable back to the acknowledged writes, so the
    // cached database map and counts (which include this commit) are re-read from it. The
    // commits of one event-loop turn share the engine's group promise: one reaction covers them.
    if (durable !== this.watchedCommit) {
      this.watchedCommit = durable;
      durable.catch(() => {
        this.stagedResets++;
        this.reloadCachedMeta();
      });
    }
    return durable;
  }

  /**
   * A replica applied one of its primary's batches (engine.applyReplicated): brings the cached
   * database map, counts and version lease in line with it, notes the deaths it carries for the
   * garbage filter (as commit() does), and tells WATCH (onKeyModified, onDbFlushed) what changed:
   * every metadata key, and the owners of up to REPLICATED_OWNERS_MAX aggregates whose elements alone changed.
   */
  noteReplicated(ops: readonly WriteOp[], firstSeq: number): void {
    assert.ok(!this.hasStaged(), 'a replicated batch while a command has writes staged');
    this.located.key = undefined;
    this.expireCursor = undefined;
    let map: DatabaseMap | undefined;
    const metadata: Buffer[] = [];
    const versions = new Set<number>();
    ops.forEach((op, index) => {
      const { key } = op;
      if (key.length < NAMESPACE_BYTES) return;
      const namespace = key.readUInt32BE(0);
      if (namespace === ELEMENT_NAMESPACE) {
        if (versions.size < REPLICATED_OWNERS_MAX && key.length >= NAMESPACE_BYTES + 8) versions.add(elementVersionOf(key));
      } else if (namespace !== 0) {
        metadata.push(key);
      } else if (key.equals(DBMAP_KEY)) {
        if (op.kind === 'put') map = decodeDatabaseMap(op.value);
      } else if (hasPrefix(key, COUNT_PREFIX, NAMESPACE_BYTES)) {
        const counted = key.readUInt32BE(COUNT_PREFIX.length);
        if (op.kind === 'put') this.counts.set(counted, decodeCounts(op.value));
        else this.counts.delete(counted);
      } else if (hasPrefix(key, DEAD_PREFIX, NAMESPACE_BYTES)) {
        if (op.kind === 'put') this.garbage.noteDeadNamespace(deadNamespaceOf(key), firstSeq + index);
      } else if (hasPrefix(key, VERSION_MARK_PREFIX, 8 + NAMESPACE_BYTES)) {
        if (op.kind === 'delete') this.garbage.noteDeadVersion(readU64BE(key, VERSION_MARK_PREFIX.length), firstSeq + index);
      } else if (key.equals(VERSION_NEXT_KEY) && op.kind === 'put') {
        this.nextVersion = this.versionLimit = readU64BE(op.value, 0);
      }
    });
    const before = this.map;
    if (map !== undefined) this.map = map;
    if (map !== undefined && this.onDbFlushed !== undefined) {
      for (let db = 0; db < DATABASE_COUNT; db++) if (before.namespaces[db] !== map.namespaces[db]) this.onDbFlushed(db);
    }
    const modified = this.onKeyModified;
    if (modified === undefined) return;
    for (const key of metadata) {
      const db = this.map.namespaces.indexOf(key.readUInt32BE(0));
      if (db >= 0) modified(db, userKeyOf(key));
    }
    for (const version of versions) {
      const owner = this.ownerOf(version);
      if (owner !== undefined) modified(owner.db, owner.key);
    }
  }

  /**
   * Leaves (false) or enters (true) read-only mode. Leaving it (a replica promoted) re-reads the
   * database map, the counts and the version lease from the engine, as open() does.
   */
  setReadOnly(readOnly: boolean): void {
    assert.ok(!this.hasStaged(), 'setReadOnly while a command has writes staged');
    this.readOnly = readOnly;
    this.stagedResets++;
    if (readOnly) return;
    this.located.key = undefined;
    this.expireCursor = undefined;
    this.map = decodeDatabaseMap(this.engine.getEntry(DBMAP_KEY)?.value);
    this.counts.clear();
    for (const namespace of this.map.namespaces) {
      this.counts.set(namespace, decodeCounts(this.engine.getEntry(namespaceKey(COUNT_PREFIX, namespace))?.value));
    }
    const leased = this.engine.getEntry(VERSION_NEXT_KEY)?.value;
    this.nextVersion = this.versionLimit = leased === undefined ? 1 : readU64BE(leased, 0);
  }

  /** The count key of namespace; the engine copies what it writes, so one Buffer serves every commit. */
  private countKeyOf(namespace: number): Buffer {
    if (this.countKey.namespace !== namespace) this.countKey = { namespace, key: namespaceKey(COUNT_PREFIX, namespace) };
    return this.countKey.key;
  }

  flushDb(db: number): void {
    this.dropNamespace(db);
    this.onDbFlushed?.(db);
  }

  flushAll(): void {
    for (let db = 0; db < DATABASE_COUNT; db++) this.dropNamespace(db);
    this.onDbFlushed?.('all');
  }

  swapDb(first: number, second: number): void {
    this.namespaceOf(first);
    this.namespaceOf(second);
    if (first === second) return;
    this.snapshotMap();
    const { namespaces } = this.map;
    [namespaces[first], namespaces[second]] = [namespaces[second] as number, namespaces[first] as number];
    this.onDbFlushed?.(first);
    this.onDbFlushed?.(second);
  }

  /**
   * One SCAN page: examines about countHint keys from position `cursor` (never splitting keys
   * that share a position) and returns the live ones passing filter, and the next cursor (0n = done).
   */
  scanPage(db: number, cursor: bigint, countHint: number, filter?: KeyFilter): { next: bigint; keys: Buffer[] } {
    return scanNamespacePage(this.staged, this.namespaceOf(db), cursor, countHint, this.now(), filter);
  }

  /** Every live key of db, in position (slot, then hash) order. */
  keys(db: number): Generator<{ key: Buffer; record: KeyRecord }> {
    return walkNamespace(this.staged, this.namespaceOf(db), this.now());
  }

  /** Up to countMax live keys of a hash slot of db, in position order (CLUSTER GETKEYSINSLOT). */
  slotKeys(db: number, slot: number, countMax: number): Buffer[] {
    return slotKeys(this.staged, this.namespaceOf(db), slot, this.now(), countMax).keys;
  }

  /** Live keys of a hash slot of db, counted up to countMax by a walk of that slot (COUNTKEYSINSLOT). */
  countSlotKeys(db: number, slot: number, countMax = Number.MAX_SAFE_INTEGER): number {
    return slotKeys(this.staged, this.namespaceOf(db), slot, this.now(), countMax, false).count;
  }

  /** Whether key is live, staged writes included; unlike get() it stages nothing (no lazy expiry). */
  exists(db: number, key: Buffer): boolean {
    const { stored } = this.locate(this.namespaceOf(db), key, false);
    return stored !== undefined && !isExpired(expireAtOfValue(stored), this.now());
  }

  randomKey(db: number): Buffer | undefined {
    return randomNamespaceKey(this.staged, this.namespaceOf(db), this.now());
  }

  /**
   * Walks the expiry index from a persistent cursor through entries due by now, at most
   * budgetEntries of them, and stages deletes of the expired keys (and of stale index entries).
   * Returns how many keys it deleted; the caller commits.
   */
  activeExpireCycle(budgetEntries: number): number {
    const now = this.now();
    if (++this.expireCycles >= EXPIRE_CURSOR_RESET_CYCLES) {
      this.expireCycles = 0;
      this.expireCursor = undefined;
    }
    let deleted = 0;
    for (const { key: indexKey, version } of dueExpiryEntries(this.engine, this.expireCursor, now, budgetEntries)) {
      this.expireCursor = indexKey;
      const { expireAtMs, key } = parseTtlKey(indexKey);
      const namespace = key.readUInt32BE(0);
      const db = this.map.namespaces.indexOf(namespace);
      const stored = db < 0 ? undefined : this.staged.lookup(key)?.value;
      const record = stored === undefined ? undefined : decodeRecord(stored);
      if (record === undefined || record.expireAtMs !== expireAtMs || !isExpired(expireAtMs, now)) {
        this.staged.delete(indexKey); // stale, or a dropped namespace
        if (record === undefined && db >= 0 && version !== 0) this.kill(version, namespace); // its metadata is gone: so is it
        continue;
      }
      this.removeStored(namespace, key, record, true);
      const userKey = userKeyOf(key);
      this.onKeyExpired?.(db, userKey);
      this.onKeyModified?.(db, userKey);
      deleted++;
    }
    this.expiredKeysTotal += deleted;
    return deleted;
  }

  /** A stored record found expired by a write path (Redis's expireIfNeeded in lookupKeyWrite): counted and told. */
  private noteIfExpired(db: number, key: Buffer, record: KeyRecord): boolean {
    if (record.expireAtMs === 0 || !isExpired(record.expireAtMs, this.now())) return false;
    this.expiredKeysTotal++;
    this.onKeyExpired?.(db, key);
    return true;
  }

  /**
   * The metadata key of key and its newest stored value (staged or engine), expired included.
   * owned false (a read that stages nothing): the key may be a scratch the next read rewrites.
   */
  private locate(namespace: number, key: Buffer, owned = true): Located {
    const located = this.located;
    const version = this.staged.version;
    if (located.key === key && located.namespace === namespace && located.version === version) {
      if (owned && located.scratch) {
        located.internal = Buffer.from(located.internal);
        located.scratch = false;
      }
      return located;
    }
    located.scratch = !owned && key.length <= LOOKUP_SCRATCH_KEY_BYTES_MAX;
    located.internal = located.scratch ? writeMetadataKey(namespace, key, this.lookupKey(key.length)) : metadataKey(namespace, key);
    located.stored = this.staged.lookup(located.internal)?.value;
    located.key = key;
    located.namespace = namespace;
    located.version = version;
    return located;
  }

  /** The read scratch for a user key of keyLength bytes. */
  private lookupKey(keyLength: number): Buffer {
    let scratch = this.lookupKeys[keyLength];
    if (scratch === undefined) {
      scratch = Buffer.alloc(METADATA_KEY_HEADER_BYTES + keyLength);
      this.lookupKeys[keyLength] = scratch;
    }
    return scratch;
  }

  private namespaceOf(db: number): number {
    const namespace = this.map.namespaces[db];
    if (namespace === undefined) assert.fail(`database index ${db} out of range`);
    return namespace;
  }

  /** Deletes the metadata and its 'ttl' entry; with killVersion, the aggregate's 'ver' entry too. */
  private removeStored(namespace: number, internal: Buffer, record: KeyRecord, killVersion: boolean): void {
    this.staged.delete(internal);
    this.account(namespace, record, undefined);
    this.restageTtl(internal, record.expireAtMs, 0, record.version);
    if (killVersion && record.version !== 0) this.kill(record.version, namespace);
  }

  private kill(version: number, namespace: number): void {
    this.staged.delete(versionMarkKey(version, namespace));
    this.pendingKills.push(version);
  }

  /**
   * A time series' samples changed without a record write (types/timeseries/hot-state.ts): its
   * database's sample count follows, written with the staged batch.
   */
  adjustSeriesSamples(db: number, delta: number): void {
    const namespace = this.namespaceOf(db);
    const counts = this.counts.get(namespace);
    if (counts === undefined) assert.fail(`no counts for namespace ${namespace}`);
    if (!this.countsBefore.has(namespace)) this.countsBefore.set(namespace, { ...counts });
    counts.samples += delta;
  }

  /** A series record's samples: its count and the appends it does not count yet. */
  private seriesSamples(record: KeyRecord): number {
    return record.count + (Keyspace.seriesSamplesUnrecorded?.(this, record) ?? 0);
  }

  /** before/after: the key's record before and after the change, undefined when absent. */
  private account(namespace: number, before: KeyRecord | undefined, after: KeyRecord | undefined): void {
    const keys = (after === undefined ? 0 : 1) - (before === undefined ? 0 : 1);
    const beforeExpiry = before === undefined ? 0 : before.expireAtMs;
    const afterExpiry = after === undefined ? 0 : after.expireAtMs;
    const expires = (afterExpiry === 0 ? 0 : 1) - (beforeExpiry === 0 ? 0 : 1);
    const beforeSeries = before?.type === KEY_TYPE.timeseries;
    const afterSeries = after?.type === KEY_TYPE.timeseries;
    const series = (afterSeries ? 1 : 0) - (beforeSeries ? 1 : 0);
    const samples = (afterSeries ? this.seriesSamples(after) : 0) - (beforeSeries ? this.seriesSamples(before) : 0);
    if (keys === 0 && beforeExpiry === afterExpiry && series === 0 && samples === 0) return; // an overwrite: no count to write
    const counts = this.counts.get(namespace);
    if (counts === undefined) assert.fail(`no counts for namespace ${namespace}`);
    if (!this.countsBefore.has(namespace)) this.countsBefore.set(namespace, { ...counts });
    counts.keys += keys;
    counts.expires += expires;
    counts.series += series;
    counts.samples += samples;
    if (beforeExpiry !== afterExpiry) counts.expireAtSumMs += BigInt(afterExpiry) - BigInt(beforeExpiry);
  }

  /** INFO's # tskv: time series and their samples in db. */
  seriesCounts(db: number): { series: number; samples: number } {
    const counts = this.counts.get(this.namespaceOf(db));
    return { series: counts?.series ?? 0, samples: counts?.samples ?? 0 };
  }

  private restageTtl(internal: Buffer, before: number, after: number, version: number): void {
    if (before === after) return;
    if (before !== 0) this.staged.delete(ttlKey(before, internal));
    if (after !== 0) this.staged.put(ttlKey(after, internal), version === 0 ? STRING_VERSION : encodeVersion(version), 0);
  }

  private snapshotMap(): void {
    if (this.mapBefore !== undefined) return;
    this.mapBefore = this.map;
    this.map = { namespaces: [...this.map.namespaces], nextNamespace: this.map.nextNamespace };
  }

  private dropNamespace(db: number): void {
    const old = this.namespaceOf(db);
    this.snapshotMap();
    const fresh = this.map.nextNamespace++;
    assert.ok(fresh <= NAMESPACE_ID_MAX, 'namespace ids exhausted');
    this.map.namespaces[db] = fresh;
    for (const namespace of [old, fresh]) {
      if (!this.countsBefore.has(namespace)) {
        const counts = this.counts.get(namespace);
        this.countsBefore.set(namespace, counts === undefined ? undefined : { ...counts });
      }
    }
    this.counts.delete(old);
    this.counts.set(fresh, emptyCounts());
    this.staged.put(namespaceKey(DEAD_PREFIX, old), EMPTY, 0);
    this.staged.delete(namespaceKey(COUNT_PREFIX, old));
    this.pendingDead.push(old);
  }

  private clearStaging(): void {
    this.staged.clear();
    if (this.countsBefore.size > 0) this.countsBefore.clear();
    this.mapBefore = undefined;
    this.versionLimitBefore = undefined;
    if (this.pendingDead.length > 0) this.pendingDead = [];
    if (this.pendingKills.length > 0) this.pendingKills = [];
  }
}

/** Whether key is prefix followed by exactly suffixBytes more bytes. */
function hasPrefix(key: Buffer, prefix: Buffer, suffixBytes: number): boolean {
  return key.length === prefix.length + suffixBytes && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function layoutValue(): Buffer {
  const value = Buffer.allocUnsafe(4);
  value.writeUInt32BE(LAYOUT_VERSION, 0);
  return value;
}
