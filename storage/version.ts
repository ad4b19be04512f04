// storage/version.ts: the set of live SSTables by level (a Version) and the VersionSet that swaps
// versions through manifest edits. Flush and compaction both go through installEdit(). A table's
// reader lives in the TableCache (opened on demand, evicted under the memory budget), not here.
// Invariants:
// - A Version is immutable. Level 0 lists files in manifest order (oldest first, newest last) and
//   may overlap; levels 1..6 are sorted by smallestKey and never overlap.
// - A table is referenced by every Version that lists it; a Version is referenced by the
//   VersionSet while current and by every scan that pinned it. A table whose count reaches zero
//   closes its reader, and its file is removed only if an edit removed it (invariant 11: after the
//   edit obsoleting it is durable) and the engine has not failed (invariant 15).
// - installEdit() changes nothing in memory until the manifest edit is durable (invariant 9).
import assert from 'node:assert/strict';
import { bloomHash } from './bloom.js';
import { compareKeys, type Entry, type EntryIterator } from './entry.js';
import { LevelIterator, tableIndexFor } from './level-iterator.js';
import type { FileMeta, Manifest, VersionEdit } from './manifest.js';
import { SstableIterator, type SstableReader } from './sstable-reader.js';
import type { CachedReader, TableCache } from './table-cache.js';

export const LEVEL_COUNT = 7;

/** Point-read counters shared by every Version of a VersionSet. */
export interface ReadStats {
  tablesProbed: number; // tables whose key range held a looked-up key (each costs a filter check)
}

export class TableHandle {
  private refs = 0;
  private removedByEdit = false;

  constructor(
    readonly meta: FileMeta,
    readonly path: string,
    private readonly cache: TableCache,
    private readonly release: (table: TableHandle, removeFile: boolean) => void,
  ) {}

  private opened: CachedReader | undefined; // the table cache's entry of this table when last asked

  /** The open reader (from the table cache); use it at once, do not keep it. */
  reader(): SstableReader {
    const opened = this.cache.use(this.meta.number, this.path, this.opened);
    this.opened = opened;
    return opened.reader!; // use() returns an open entry
  }

  /** keyHash: bloomHash(key), computed once by a caller that probes several tables. */
  get(key: Buffer, keyHash: number = bloomHash(key)): Entry | undefined {
    return this.reader().get(key, undefined, keyHash);
  }

  /** get() of a key the caller found within meta's key range (containsKey, findTable). */
  getInRange(key: Buffer, keyHash: number): Entry | undefined {
    return this.reader().get(key, undefined, keyHash, true);
  }

  /**
   * fillCache false: blocks read for this iterator are not cached (compaction inputs). reuse:
   * another table's iterator nobody uses any more, re-aimed at this table when it can be.
   */
  iterator(fillCache = true, reuse?: EntryIterator): EntryIterator {
    if (reuse instanceof SstableIterator && reuse.fillCache === fillCache) {
      reuse.retarget(this.readerOf);
      return reuse;
    }
    return new SstableIterator(this.readerOf, fillCache);
  }

  private readonly readerOf = (): SstableReader => this.reader();

  ref(): void {
    this.refs++;
  }

  unref(): void {
    assert.ok(this.refs > 0, `table ${this.path} unref below zero`);
    this.refs--;
    if (this.refs === 0) this.release(this, this.removedByEdit);
  }

  markRemoved(): void {
    this.removedByEdit = true;
  }

  containsKey(key: Buffer): boolean {
    return compareKeys(this.meta.smallestKey, key) <= 0 && compareKeys(key, this.meta.largestKey) <= 0;
  }
}

export class Version {
  private refs = 0;
  private spareIterators: EntryIterator[] | undefined; // takeIterators()' set between reads

  constructor(
    readonly levels: readonly (readonly TableHandle[])[],
    private readonly readStats: ReadStats = { tablesProbed: 0 },
    /** The manifest's lastSequence when this Version was installed: its tables hold every write up to it, none after. */
    readonly lastSequence = 0,
  ) {
    assert.equal(levels.length, LEVEL_COUNT);
    for (const level of levels) for (const table of level) table.ref();
  }

  ref(): void {
    this.refs++;
  }

  unref(): void {
    assert.ok(this.refs > 0, 'version unref below zero');
    this.refs--;
    if (this.refs > 0) return;
    for (const level of this.levels) for (const table of level) table.unref();
  }

  /**
   * Newest version of key in the tables: L0 newest first, then one candidate per deeper level.
   * keyHash: bloomHash(key), when the caller has it.
   */
  get(key: Buffer, keyHash = bloomHash(key)): Entry | undefined {
    const level0 = this.levels[0]!;
    for (let index = level0.length - 1; index >= 0; index--) {
      const table = level0[index]!;
      if (!table.containsKey(key)) continue;
      this.readStats.tablesProbed++;
      const found = table.getInRange(key, keyHash);
      if (found !== undefined) return found;
    }
    for (let level = 1; level < LEVEL_COUNT; level++) {
      const table = findTable(this.levels[level]!, key);
      if (table === undefined) continue;
      this.readStats.tablesProbed++;
      const found = table.getInRange(key, keyHash);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * iterators() for one synchronous read (Engine.scanPage): the set the last such read gave back,
   * else a new one. Whoever takes a set owns it until giveBackIterators(); a read nested in
   * another simply gets a new set. Each iterator is re-positioned by a seek before use.
   */
  takeIterators(): EntryIterator[] {
    const spare = this.spareIterators;
    if (spare === undefined) return this.iterators();
    this.spareIterators = undefined;
    return spare;
  }

  giveBackIterators(iterators: EntryIterator[]): void {
    this.spareIterators = iterators;
  }

  /** One iterator per level-0 table, one LevelIterator per non-empty deeper level. */
  iterators(fillCache = true): EntryIterator[] {
    const result: EntryIterator[] = [];
    for (const table of this.levels[0]!) result.push(table.iterator(fillCache));
    for (let level = 1; level < LEVEL_COUNT; level++) {
      const tables = this.levels[level]!;
      if (tables.length > 0) result.push(new LevelIterator(tables, fillCache));
    }
    return result;
  }

  levelBytes(level: number): number {
    let bytes = 0;
    for (const table of this.levels[level] ?? []) bytes += table.meta.sizeBytes;
    return bytes;
  }

  tables(): TableHandle[] {
    return this.levels.flat();
  }
}

/** In a sorted, non-overlapping level: the one table whose range may hold key. */
export function findTable(level: readonly TableHandle[], key: Buffer): TableHandle | undefined {
  const table = level[tableIndexFor(level, key)];
  return table !== undefined && compareKeys(table.meta.smallestKey, key) <= 0 ? table : undefined;
}

export class VersionSet {
  readonly readStats: ReadStats = { tablesProbed: 0 };
  private currentVersion: Version;
  private installing: Promise<void> = Promise.resolve(); // the edits being installed, in call order

  constructor(
    private readonly manifest: Manifest,
    initialTables: readonly TableHandle[],
  ) {
    this.currentVersion = new Version(buildLevels(emptyLevels(), new Set(), initialTables), this.readStats, manifest.state.lastSequence);
    this.currentVersion.ref();
    this.checkAgainstManifest();
  }

  get current(): Version {
    return this.currentVersion;
  }

  /**
   * Makes an edit durable in the manifest, then installs the Version it describes; edits are
   * installed one at a time, in call order. Tables named in edit.addFiles must be given (already
   * synced, verified, directory synced: invariant 8). Rejects with whatever the manifest throws;
   * the caller fails the engine and nothing changed.
   */
  installEdit(edit: VersionEdit, addTables: readonly TableHandle[]): Promise<void> {
    const install = this.installing.then(() => this.installNow(edit, addTables));
    this.installing = install.catch(() => undefined);
    return install;
  }

  /** One edit at a time: its manifest record durable (fsync off the event loop), then its Version. */
  private async installNow(edit: VersionEdit, addTables: readonly TableHandle[]): Promise<void> {
    assert.deepEqual(
      (edit.addFiles ?? []).map((meta) => meta.number),
      addTables.map((table) => table.meta.number),
    );
    await this.manifest.applyAsync(edit);
    const removed = new Set((edit.removeFiles ?? []).map((file) => `${file.level}:${file.number}`));
    const next = new Version(buildLevels(this.currentVersion.levels, removed, addTables), this.readStats, this.manifest.state.lastSequence);
    for (const level of this.currentVersion.levels) {
      for (const table of level) if (removed.has(`${table.meta.level}:${table.meta.number}`)) table.markRemoved();
    }
    next.ref();
    const previous = this.currentVersion;
    this.currentVersion = next;
    previous.unref();
    this.checkAgainstManifest();
  }

  close(): void {
    this.currentVersion.unref();
  }

  private checkAgainstManifest(): void {
    const expected = this.manifest.state.levels.map((level) => level.map((meta) => meta.number));
    const actual = this.currentVersion.levels.map((level) => level.map((table) => table.meta.number));
    while (expected.length < LEVEL_COUNT) expected.push([]);
    assert.deepEqual(actual, expected, 'in-memory version differs from the manifest state');
  }
}

function emptyLevels(): TableHandle[][] {
  return Array.from({ length: LEVEL_COUNT }, () => []);
}

function buildLevels(
  previous: readonly (readonly TableHandle[])[],
  removed: ReadonlySet<string>,
  added: readonly TableHandle[],
): TableHandle[][] {
  const levels = previous.map((level) => level.filter((table) => !removed.has(`${table.meta.level}:${table.meta.number}`)));
  for (const table of added) {
    const level = levels[table.meta.level];
    assert.ok(level !== undefined, `table ${table.path} has level ${table.meta.level}`);
    level.push(table);
  }
  for (let level = 1; level < LEVEL_COUNT; level++) {
    levels[level]!.sort((a, b) => Buffer.compare(a.meta.smallestKey, b.meta.smallestKey));
    const sorted = levels[level]!;
    for (let index = 1; index < sorted.length; index++) {
      assert.ok(
        Buffer.compare(sorted[index - 1]!.meta.largestKey, sorted[index]!.meta.smallestKey) < 0,
        `level ${level} tables overlap`,
      );
    }
  }
  return levels;
}
