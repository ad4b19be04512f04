// storage/value-page.ts: a short forward read of values alone (Engine.valuesPage), for reads that
// need no keys (a list's LRANGE): when one source (a memtable, or one level-0 table or level)
// holds every key of [start, end), its values are read straight from it, with no merge heap, no
// ScanItem, and from a memtable no Entry and no view: each value is (source, offset, length) over
// the memtable's arena or a table's block.
// Invariants:
// - The page holds what a ScanCursor over [start, end) at the same point in time would return:
//   for each key the newest version with seq <= snapshotSeq decides; a delete or an expired put
//   hides the key. Up to limit values, key ascending; `more` when another live key follows.
// - It answers only when at most one source holds keys in [start, end) (after a seek, a source
//   whose first key is at or past end holds none), or when the active memtable holds a live
//   version of every key the caller says the range can hold (keysMax); otherwise it returns false
//   and reads nothing the caller can see: the caller then reads the range through the cursor.
// - It runs synchronously and keeps no pin: the sources it hands out are views the caller must
//   use before returning to the event loop (a memtable's arena and a table's blocks are never
//   rewritten, but a later flush or compaction may drop them).
import { compareKeys, type EntryIterator } from './entry.js';
import type { Memtable } from './memtable.js';
import type { TableHandle, Version } from './version.js';
import { LevelIterator, tableIndexFor } from './level-iterator.js';

/** Values as parallel arrays, reused from call to call: value i is sources[i][offsets[i] .. + lengths[i]). */
export interface ValuePage {
  sources: Buffer[];
  offsets: number[];
  lengths: number[];
  count: number;
  more: boolean;
}

export function newValuePage(): ValuePage {
  return { sources: [], offsets: [], lengths: [], count: 0, more: false };
}

function push(page: ValuePage, source: Buffer, offset: number, length: number): void {
  const at = page.count++;
  page.sources[at] = source;
  page.offsets[at] = offset;
  page.lengths[at] = length;
}

/** A memtable's nodes in [start, end): positions mainFrom .. mainTo - 1 of its main run and tailFrom .. tailTo - 1 of its tail. */
interface MemtableRange {
  mainFrom: number;
  mainTo: number;
  tailFrom: number;
  tailTo: number;
}

function memtableRange(memtable: Memtable, start: Buffer, end: Buffer): MemtableRange {
  return { mainFrom: memtable.lowerBound(false, start), mainTo: memtable.lowerBound(false, end), tailFrom: memtable.lowerBound(true, start), tailTo: memtable.lowerBound(true, end) };
}

/**
 * The page from a memtable's nodes in range, merging its two sorted runs (their keys are
 * disjoint) by node: no iterator, no Entry, and no key comparison where one run has no node left.
 */
function readMemtable(memtable: Memtable, range: MemtableRange, snapshotSeq: number, nowMs: number, limit: number, page: ValuePage): void {
  let { mainFrom: main, tailFrom: tail } = range;
  const { mainTo, tailTo } = range;
  while (main < mainTo || tail < tailTo) {
    let node: number;
    if (tail === tailTo) node = memtable.mainNode(main++);
    else if (main === mainTo) node = memtable.tailNode(tail++);
    else {
      const fromMain = memtable.mainNode(main);
      const fromTail = memtable.tailNode(tail);
      if (memtable.compareNodes(fromTail, fromMain) < 0) {
        node = fromTail;
        tail++;
      } else {
        node = fromMain;
        main++;
      }
    }
    let version = memtable.newestVersion(node); // versions newest first: the first within the snapshot decides
    while (version >= 0 && memtable.seqOf(version) > snapshotSeq) version = memtable.olderThan(version);
    if (version < 0 || !memtable.kindIsPut(version)) continue;
    const expireAtMs = memtable.expireAtOf(version);
    if (expireAtMs !== 0 && expireAtMs <= nowMs) continue;
    if (page.count === limit) {
      page.more = true;
      return;
    }
    push(page, memtable.valueSourceOf(version), memtable.valueStartOf(version), memtable.valueLengthOf(version));
  }
}

/** The page from a positioned table or level iterator, up to end. */
function readTables(iterator: EntryIterator, end: Buffer, snapshotSeq: number, nowMs: number, limit: number, page: ValuePage): void {
  let lastKey: Buffer | undefined;
  for (; iterator.valid(); iterator.next()) {
    const entry = iterator.entry();
    if (compareKeys(entry.key, end) >= 0) return;
    if (entry.seq > snapshotSeq || (lastKey !== undefined && compareKeys(lastKey, entry.key) === 0)) continue;
    lastKey = entry.key;
    if (entry.kind === 'delete' || (entry.expireAtMs !== 0 && entry.expireAtMs <= nowMs)) continue;
    if (page.count === limit) {
      page.more = true;
      return;
    }
    push(page, entry.value, 0, entry.value.length);
  }
}

/** Whether a table's key range meets [start, end). */
function overlaps(table: TableHandle, start: Buffer, end: Buffer): boolean {
  return compareKeys(table.meta.smallestKey, end) < 0 && compareKeys(table.meta.largestKey, start) >= 0;
}

/** Whether a sorted, non-overlapping level has a table whose key range meets [start, end). */
function levelOverlaps(tables: readonly TableHandle[], start: Buffer, end: Buffer): boolean {
  const first = tables[tableIndexFor(tables, start)];
  return first !== undefined && compareKeys(first.meta.smallestKey, end) < 0;
}

/**
 * Fills page with up to limit live values of [start, end) (start < end) when at most one source
 * holds keys there; false (page untouched beyond its reset) when several do. keysMax: how many
 * distinct keys [start, end) can hold at most, when the caller knows (a list's index range): if
 * the active memtable (memtables[0], newer than every other source) has that many live keys
 * there, no other source can add one and its older versions are hidden, so nothing else is read.
 */
export function readValuePage(
  memtables: readonly Memtable[], version: Version, start: Buffer, end: Buffer, snapshotSeq: number, limit: number, page: ValuePage, keysMax = Infinity,
): boolean {
  page.count = 0;
  page.more = false;
  const active = memtables[0];
  if (active !== undefined && keysMax <= limit) {
    const range = memtableRange(active, start, end);
    if (range.mainTo - range.mainFrom + range.tailTo - range.tailFrom === keysMax) {
      readMemtable(active, range, snapshotSeq, Date.now(), limit, page);
      if (page.count === keysMax) return true;
      page.count = 0;
      page.more = false;
    }
  }
  let sourceMemtable: Memtable | undefined;
  let sourceRange: MemtableRange | undefined;
  let sources = 0;
  for (const memtable of memtables) {
    const range = memtableRange(memtable, start, end);
    if (range.mainFrom === range.mainTo && range.tailFrom === range.tailTo) continue;
    if (++sources > 1) return false;
    sourceMemtable = memtable;
    sourceRange = range;
  }
  let sourceIterator: EntryIterator | undefined;
  const candidate = (iterator: EntryIterator): boolean => {
    iterator.seek(start);
    if (!iterator.valid() || compareKeys(iterator.entry().key, end) >= 0) return true;
    sourceIterator = iterator;
    return ++sources <= 1;
  };
  const level0 = version.levels[0]!;
  for (let index = level0.length - 1; index >= 0; index--) {
    const table = level0[index]!;
    if (overlaps(table, start, end) && !candidate(table.iterator())) return false;
  }
  for (let level = 1; level < version.levels.length; level++) {
    const tables = version.levels[level]!;
    if (levelOverlaps(tables, start, end) && !candidate(new LevelIterator(tables))) return false;
  }
  const nowMs = Date.now();
  if (sourceMemtable !== undefined) readMemtable(sourceMemtable, sourceRange!, snapshotSeq, nowMs, limit, page);
  else if (sourceIterator !== undefined) readTables(sourceIterator, end, snapshotSeq, nowMs, limit, page);
  return true;
}
