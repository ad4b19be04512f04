// src/keyspace.ts: Redis's 16 databases of typed, expiring keys on the storage engine. Commands
// stage changes here synchronously; dispatch calls commit() once per command (or per EXEC), which
// makes one engine.write, so one command is one atomic WAL batch. The byte layout of keys, values
// and meta keys is drawn in keyspace-layout.ts.
// Invariants:
// - Reads see staged changes first, then the engine; an expired key (expireAtMs <= now, the
//   engine's rule) is absent on every read path (get, keys, scanPage, randomKey) at once. get()
//   also stages its delete (Redis's lazy expiry), so DBSIZE drops as in Redis.
// - counts[ns] = data keys present in ns (live or expired not yet reaped), kept in memory and
//   written with every batch that changes it, so after a crash it matches the data (DBSIZE).
// - A data key holds an expiry exactly when its 'ttl' index entry exists; both are staged together.
// - FLUSHDB / FLUSHALL / SWAPDB only rewrite the dbmap (O(1)): a flushed db gets a fresh namespace;
//   the old one is marked dead and left to compaction (DeadNamespaces).
// - discardStaged() restores counts and the dbmap as they were at the last commit.
// - A key Buffer given to get/set/delete is not mutated afterwards (command arguments never are):
//   the last lookup is remembered by the identity of its key Buffer, its namespace and the
//   overlay's version, so a command's lookupKeyWrite followed by its write looks up once.
import assert from 'node:assert/strict';
import type { Engine, WriteOp } from '../../storage/index.js';
import { StagedOverlay, type Stored } from './overlay.js';
import { decodeRecord, dueExpiryEntries, isExpired, randomNamespaceKey, scanNamespacePage, walkNamespace, type KeyFilter, type KeyRecord } from './walks.js';
import {
  COUNT_PREFIX, DATABASE_COUNT, DBMAP_KEY, DEAD_PREFIX, dataKey, decodeCounts, decodeDatabaseMap,
  encodeCounts, encodeDatabaseMap, encodeValue, namespaceKey, parseTtlKey, prefixEnd, ttlKey,
  userKeyOf, type DatabaseMap, type NamespaceCounts, type DeadNamespaces,
} from './layout.js';

export { DATABASE_COUNT, DeadNamespaces } from './layout.js';
export { isExpired, type KeyFilter, type KeyRecord } from './walks.js';

export const KEY_TYPE = { string: 1 } as const;
/** TYPE's answer per key type. */
export const KEY_TYPE_NAMES: ReadonlyMap<number, string> = new Map([[KEY_TYPE.string, 'string']]);
/** The active expiry cycle restarts its index walk from the oldest time after this many cycles (clock steps back). */
export const EXPIRE_CURSOR_RESET_CYCLES = 600;

export interface KeyspaceOptions {
  deadNamespaces?: DeadNamespaces;
  nowMs?: () => number;
}


const EMPTY = Buffer.alloc(0);

/** The last lookup: valid while key, namespace and the overlay's version are the same. */
interface Located {
  key: Buffer | undefined;
  namespace: number;
  version: number;
  internal: Buffer;
  stored: Stored | undefined;
}

export class Keyspace {
  onKeyModified: ((db: number, key: Buffer) => void) | undefined = undefined;
  onDbFlushed: ((db: number | 'all') => void) | undefined = undefined;
  /** Expired keys deleted since open, by get() or by the active expiry cycle. */
  expiredKeysTotal = 0;
  private reloadedAfterFailure = false;
  readonly now: () => number;
  private readonly staged: StagedOverlay;
  private readonly countsBefore = new Map<number, NamespaceCounts | undefined>();
  private mapBefore: DatabaseMap | undefined = undefined;
  private pendingDead: number[] = [];
  private expireCursor: Buffer | undefined = undefined;
  private expireCycles = 0;
  private readonly located: Located = { key: undefined, namespace: 0, version: -1, internal: EMPTY, stored: undefined };
  private watchedCommit: Promise<void> | undefined = undefined; // the last commit promise given a rejection handler
  private countKey: { namespace: number; key: Buffer } = { namespace: -1, key: EMPTY }; // the last count key built

  private constructor(
    private readonly engine: Engine,
    private map: DatabaseMap,
    private readonly counts: Map<number, NamespaceCounts>,
    private readonly deadNamespaces: DeadNamespaces | undefined,
    nowMs: () => number,
  ) {
    this.now = nowMs;
    this.staged = new StagedOverlay(engine);
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

  /** Reads the dbmap, the counts of the live namespaces and the dead namespaces (synchronous). */
  static open(engine: Engine, options: KeyspaceOptions = {}): Keyspace {
    const map = decodeDatabaseMap(engine.getEntry(DBMAP_KEY)?.value);
    const counts = new Map<number, NamespaceCounts>();
    for (const namespace of map.namespaces) {
      counts.set(namespace, decodeCounts(engine.getEntry(namespaceKey(COUNT_PREFIX, namespace))?.value));
    }
    const dead = options.deadNamespaces;
    if (dead !== undefined) {
      for (const item of engine.scan({ start: DEAD_PREFIX, end: prefixEnd(DEAD_PREFIX) })) dead.add(item.key.readUInt32BE(DEAD_PREFIX.length));
    }
    return new Keyspace(engine, map, counts, dead, options.nowMs ?? Date.now);
  }

  /**
   * The live record, or undefined. Like Redis's lookupKey, finding an expired key deletes it
   * (staged; the command's commit writes it), unless the engine refuses writes.
   */
  get(db: number, key: Buffer): KeyRecord | undefined {
    const namespace = this.namespaceOf(db);
    const { internal, stored } = this.locate(namespace, key);
    if (stored === undefined) return undefined;
    if (stored.expireAtMs === 0 || !isExpired(stored.expireAtMs, this.now())) return decodeRecord(stored);
    if (this.engine.failure() === undefined) {
      this.removeStored(namespace, internal, stored.expireAtMs);
      this.expiredKeysTotal++;
      this.onKeyModified?.(db, key);
    }
    return undefined;
  }

  set(db: number, key: Buffer, record: KeyRecord): void {
    assert.ok(Number.isSafeInteger(record.expireAtMs) && record.expireAtMs >= 0, 'expireAtMs is a non-negative safe integer');
    const namespace = this.namespaceOf(db);
    const { internal, stored: before } = this.locate(namespace, key);
    this.staged.put(internal, encodeValue(record.type, record.payload), record.expireAtMs);
    this.account(namespace, before?.expireAtMs, record.expireAtMs);
    this.restageTtl(internal, before?.expireAtMs ?? 0, record.expireAtMs);
    if (record.expireAtMs !== 0 && isExpired(record.expireAtMs, this.now())) this.expireCursor = undefined; // indexed behind the cursor
    this.onKeyModified?.(db, key);
  }

  /** Stages a delete if the key is present (even expired); returns whether it was live. */
  delete(db: number, key: Buffer): boolean {
    const namespace = this.namespaceOf(db);
    const { internal, stored: before } = this.locate(namespace, key);
    if (before === undefined) return false;
    this.removeStored(namespace, internal, before.expireAtMs);
    this.onKeyModified?.(db, key);
    return !isExpired(before.expireAtMs, this.now());
  }

  dbSize(db: number): number {
    return this.counts.get(this.namespaceOf(db))?.keys ?? 0;
  }

  expiresCount(db: number): number {
    return this.counts.get(this.namespaceOf(db))?.expires ?? 0;
  }

  hasStaged(): boolean {
    return this.staged.size > 0 || this.countsBefore.size > 0 || this.mapBefore !== undefined;
  }

  discardStaged(): void {
    for (const [namespace, counts] of this.countsBefore) {
      if (counts === undefined) this.counts.delete(namespace);
      else this.counts.set(namespace, counts);
    }
    if (this.mapBefore !== undefined) this.map = this.mapBefore;
    this.clearStaging();
  }

  /** One engine.write with every staged op plus the changed counts and dbmap; undefined if nothing is staged. */
  commit(): Promise<void> | undefined {
    if (!this.hasStaged()) return undefined;
    const ops: WriteOp[] = this.staged.takeWriteOps();
    for (const namespace of this.countsBefore.keys()) {
      const counts = this.counts.get(namespace);
      if (counts === undefined) continue; // dropped: its count keys are staged as deletes
      ops.push({ kind: 'put', key: this.countKeyOf(namespace), value: encodeCounts(counts) });
    }
    if (this.mapBefore !== undefined) ops.push({ kind: 'put', key: DBMAP_KEY, value: encodeDatabaseMap(this.map) });
    const dead = this.pendingDead;
    let durable: Promise<void>;
    try {
      durable = this.engine.write(ops);
    } catch (error) {
      this.discardStaged();
      throw error;
    }
    this.clearStaging();
    // A refused commit: the engine rolled its memtable back to the acknowledged writes, so the
    // cached database map and counts (which include this commit) are re-read from it. The
    // commits of one event-loop turn share the engine's group promise: one reaction covers them.
    if (durable !== this.watchedCommit) {
      this.watchedCommit = durable;
      durable.catch(() => this.reloadCachedMeta());
    }
    const registry = this.deadNamespaces;
    if (dead.length > 0 && registry !== undefined) {
      // only once the drop is durable may compaction reclaim the namespace
      durable.then(() => dead.forEach((namespace) => registry.add(namespace)), () => undefined);
    }
    return durable;
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
   * One SCAN page: examines about countHint keys from hash position `cursor` (never splitting keys
   * that share a hash) and returns the live ones passing filter, and the next cursor (0n = done).
   */
  scanPage(db: number, cursor: bigint, countHint: number, filter?: KeyFilter): { next: bigint; keys: Buffer[] } {
    return scanNamespacePage(this.staged, this.namespaceOf(db), cursor, countHint, this.now(), filter);
  }

  /** Every live key of db, in hash order. */
  keys(db: number): Generator<{ key: Buffer; record: KeyRecord }> {
    return walkNamespace(this.staged, this.namespaceOf(db), this.now());
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
    for (const indexKey of dueExpiryEntries(this.engine, this.expireCursor, now, budgetEntries)) {
      this.expireCursor = indexKey;
      const { expireAtMs, key } = parseTtlKey(indexKey);
      const namespace = key.readUInt32BE(0);
      const db = this.map.namespaces.indexOf(namespace);
      const stored = db < 0 ? undefined : this.staged.lookup(key);
      if (stored === undefined || stored.expireAtMs !== expireAtMs || !isExpired(expireAtMs, now)) {
        this.staged.delete(indexKey); // stale, or a dropped namespace
        continue;
      }
      this.removeStored(namespace, key, expireAtMs);
      this.onKeyModified?.(db, userKeyOf(key));
      deleted++;
    }
    this.expiredKeysTotal += deleted;
    return deleted;
  }

  /** The data key of key and its newest stored version (staged or engine), expired included. */
  private locate(namespace: number, key: Buffer): Located {
    const located = this.located;
    const version = this.staged.version;
    if (located.key === key && located.namespace === namespace && located.version === version) return located;
    located.internal = dataKey(namespace, key);
    located.stored = this.staged.lookup(located.internal);
    located.key = key;
    located.namespace = namespace;
    located.version = version;
    return located;
  }

  private namespaceOf(db: number): number {
    const namespace = this.map.namespaces[db];
    if (namespace === undefined) assert.fail(`database index ${db} out of range`);
    return namespace;
  }

  private removeStored(namespace: number, internal: Buffer, expireAtMs: number): void {
    this.staged.delete(internal);
    this.account(namespace, expireAtMs, undefined);
    this.restageTtl(internal, expireAtMs, 0);
  }

  /** before/after: the key's expiry before and after the change, undefined when absent. */
  private account(namespace: number, before: number | undefined, after: number | undefined): void {
    const keys = (after === undefined ? 0 : 1) - (before === undefined ? 0 : 1);
    const expires = (after === undefined || after === 0 ? 0 : 1) - (before === undefined || before === 0 ? 0 : 1);
    if (keys === 0 && expires === 0) return; // an overwrite: no count to write
    const counts = this.counts.get(namespace);
    if (counts === undefined) assert.fail(`no counts for namespace ${namespace}`);
    if (!this.countsBefore.has(namespace)) this.countsBefore.set(namespace, { ...counts });
    counts.keys += keys;
    counts.expires += expires;
  }

  private restageTtl(internal: Buffer, before: number, after: number): void {
    if (before === after) return;
    if (before !== 0) this.staged.delete(ttlKey(before, internal));
    if (after !== 0) this.staged.put(ttlKey(after, internal), EMPTY, 0);
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
    assert.ok(fresh < 0xffffffff, 'namespace ids exhausted');
    this.map.namespaces[db] = fresh;
    for (const namespace of [old, fresh]) {
      if (!this.countsBefore.has(namespace)) {
        const counts = this.counts.get(namespace);
        this.countsBefore.set(namespace, counts === undefined ? undefined : { ...counts });
      }
    }
    this.counts.delete(old);
    this.counts.set(fresh, { keys: 0, expires: 0 });
    this.staged.put(namespaceKey(DEAD_PREFIX, old), EMPTY, 0);
    this.staged.delete(namespaceKey(COUNT_PREFIX, old));
    this.pendingDead.push(old);
  }

  private clearStaging(): void {
    this.staged.clear();
    if (this.countsBefore.size > 0) this.countsBefore.clear();
    this.mapBefore = undefined;
    if (this.pendingDead.length > 0) this.pendingDead = []; // commit() kept the old array for its callback
  }
}
