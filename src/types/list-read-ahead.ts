// src/types/list-read-ahead.ts: the next elements a run of pops at one end of a list will take,
// read as one page and kept in memory, so that each pop of the run does no point read of the
// engine (whose element sits, in a queue, in the oldest table: hash probes, filters, a block
// search). Keyed by the list's version (never reused), as list.ts lays elements out.
// Invariants:
// - An entry holds, for one version and one end, copies of the elements at indexes next, next -+
//   1, ... (toward the other end): exactly what the keyspace held there when it was read, and
//   still holds, because every other write of an element of that version drops the entry first
//   (list.ts calls forgetReadAhead in each that writes one: pushes, LSET, LINSERT, LREM), and a
//   pop at this end takes only the element at next. Deletes need none: a pop at the other end or
//   LTRIM deletes elements the entry may hold, which no pop reaches again before a push writes
//   them (dropping the entry); a pop of a run not at next, or at the other end, replaces it.
// - The cache is per keyspace; it is dropped whole when the keyspace drops staged writes, has a
//   commit refused or changes read-only mode (stagedResets): a replica's elements are written by
//   its primary, so an entry made before a demotion may be stale after the promotion.
// - An entry is filled on the second pop in a row at its index (a list popped once reads as
//   before), with at most READ_AHEAD_ELEMENTS elements of at most READ_AHEAD_BYTES_MAX bytes in
//   all; at most READ_AHEAD_LISTS_MAX entries (the oldest goes first): a few MiB at most.
import type { Keyspace } from '../keyspace/keyspace.js';

/** Lists with an entry, at most (the oldest entry goes when a new one needs room). */
export const READ_AHEAD_LISTS_MAX = 64;
/** Elements one fill reads, at most. */
export const READ_AHEAD_ELEMENTS = 32;
/** Bytes of element values one entry holds, at most (a fill stops before passing it). */
export const READ_AHEAD_BYTES_MAX = 32 * 1024;

/** The list a pop reads: its version and its indexes [head, tail), as list.ts's ListState. */
export interface ReadAheadList {
  record: { version: number };
  head: number;
  tail: number;
}

/** Reads the values at indexes first .. first + count - 1 of list, ascending (one range read), or undefined. */
export type ReadAheadRange<L extends ReadAheadList> = (keyspace: Keyspace, list: L, first: number, count: number) => readonly Buffer[] | undefined;

interface ReadAhead {
  fromTail: boolean;
  next: number; // the index the next pop at this end takes
  values: Buffer[]; // values[taken] is the element at next
  taken: number;
}

interface ReadAheadCache {
  resets: number; // keyspace.stagedResets when last checked
  byVersion: Map<number, ReadAhead>;
}

const caches = new WeakMap<Keyspace, ReadAheadCache>();

function cacheOf(keyspace: Keyspace): ReadAheadCache {
  let cache = caches.get(keyspace);
  if (cache === undefined) {
    cache = { resets: keyspace.stagedResets, byVersion: new Map() };
    caches.set(keyspace, cache);
  } else if (cache.resets !== keyspace.stagedResets) {
    cache.resets = keyspace.stagedResets;
    cache.byVersion.clear();
  }
  return cache;
}

/**
 * The element a pop takes at index (the head's, or the tail's when fromTail), from the entry of
 * its version when it holds it; else undefined, noting the pop (a second one in a row fills the
 * entry with the elements after it). The caller reads it from the keyspace then.
 */
export function readAheadTake<L extends ReadAheadList>(keyspace: Keyspace, list: L, fromTail: boolean, index: number, read: ReadAheadRange<L>): Buffer | undefined {
  const { byVersion } = cacheOf(keyspace);
  const { version } = list.record;
  const entry = byVersion.get(version);
  const step = fromTail ? -1 : 1;
  if (entry === undefined || entry.fromTail !== fromTail || entry.next !== index) {
    // the first pop of a run: remember where the next one would be
    if (entry !== undefined) byVersion.delete(version);
    else if (byVersion.size >= READ_AHEAD_LISTS_MAX) byVersion.delete(byVersion.keys().next().value as number);
    byVersion.set(version, { fromTail, next: index + step, values: [], taken: 0 });
    return undefined;
  }
  if (entry.taken === entry.values.length && !fill(keyspace, entry, list, read)) {
    entry.next = index + step;
    return undefined;
  }
  const value = entry.values[entry.taken++] as Buffer;
  entry.next = index + step;
  return value;
}

/** Reads up to READ_AHEAD_ELEMENTS elements from entry.next on toward the other end; false if none came. */
function fill<L extends ReadAheadList>(keyspace: Keyspace, entry: ReadAhead, list: L, read: ReadAheadRange<L>): boolean {
  const available = entry.fromTail ? entry.next - list.head + 1 : list.tail - entry.next;
  const count = Math.min(available, READ_AHEAD_ELEMENTS);
  if (count <= 0) return false;
  const first = entry.fromTail ? entry.next - count + 1 : entry.next;
  const values = read(keyspace, list, first, count);
  if (values === undefined || values.length !== count) return false;
  // copies in pop order, as many as fit READ_AHEAD_BYTES_MAX (one allocation for all)
  let kept = 0;
  let bytes = 0;
  for (; kept < count; kept++) {
    const length = (values[entry.fromTail ? count - 1 - kept : kept] as Buffer).length;
    if (bytes + length > READ_AHEAD_BYTES_MAX) break;
    bytes += length;
  }
  if (kept === 0) return false;
  const slab = Buffer.allocUnsafe(bytes);
  const copies = new Array<Buffer>(kept);
  let offset = 0;
  for (let taken = 0; taken < kept; taken++) {
    const value = values[entry.fromTail ? count - 1 - taken : taken] as Buffer;
    value.copy(slab, offset);
    copies[taken] = slab.subarray(offset, offset + value.length);
    offset += value.length;
  }
  entry.values = copies;
  entry.taken = 0;
  return true;
}

/** Drops version's entry: an element of it is written by anything but a pop at the entry's end. */
export function forgetReadAhead(keyspace: Keyspace, version: number): void {
  const cache = caches.get(keyspace);
  if (cache !== undefined && cache.byVersion.size > 0) cache.byVersion.delete(version);
}

/** Entries held (tests). */
export function readAheadEntries(keyspace: Keyspace): number {
  return caches.get(keyspace)?.byVersion.size ?? 0;
}
