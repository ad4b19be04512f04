// src/types/hashed-elements.ts: the walks shared by the types whose elements are keyed by the
// hash of a name (hash fields, set members, later zset members):
//   element key [ELEMENT_NAMESPACE][version u64][kind u8][hash64(part) u64][part] -> value
// so one aggregate's elements of one kind are one contiguous range in hash order.
// - A cursor (HSCAN, SSCAN) is the hash position of the next element to examine, as SCAN's is a
//   key position: it survives a restart and a page never ends inside a run of equal hashes, so
//   every element present for a whole scan is returned at least once.
// - Random picks (HRANDFIELD, SRANDMEMBER, SPOP) read every element when the aggregate has at most
//   SAMPLE_READ_ALL_MAX of them (exact and uniform, as Redis's listpack paths are); past that they
//   seek random hash positions (uniform over hash space, so weighted by the gap before each
//   element, like Redis's dictGetFairRandomKey is only roughly fair).
import assert from 'node:assert/strict';
import type { Keyspace } from '../keyspace/keyspace.js';
import { elementPrefix, hashedElementKey, hashedElementKeyAt, hashedPartOf, hashedPositionOf, prefixEnd } from '../keyspace/layout.js';

/** Aggregates with at most this many elements are read whole for random picks. */
export const SAMPLE_READ_ALL_MAX = 1024;
/** Random seeks per requested distinct element before falling back to reading everything. */
const SEEKS_PER_PICK_MAX = 8;

export interface HashedElement {
  part: Buffer; // the field or member
  value: Buffer;
}

export function elementKeyOf(version: number, kind: number, part: Buffer): Buffer {
  return hashedElementKey(version, kind, part);
}

/** Every element of (version, kind), staged writes included, in hash order. */
export function* walkElements(keyspace: Keyspace, version: number, kind: number): Generator<HashedElement> {
  for (const entry of keyspace.elements(elementPrefix(version, kind), prefixEnd(elementPrefix(version, kind)))) {
    yield { part: hashedPartOf(entry.key), value: entry.value };
  }
}

export function allElements(keyspace: Keyspace, version: number, kind: number): HashedElement[] {
  return [...walkElements(keyspace, version, kind)];
}

/**
 * One cursor page: about countHint elements from hash position cursor, never ending between two
 * elements with the same hash, and the next cursor (0n when the walk is done).
 */
export function scanElements(keyspace: Keyspace, version: number, kind: number, cursor: bigint, countHint: number): { next: bigint; items: HashedElement[] } {
  const items: HashedElement[] = [];
  let lastPosition: bigint | undefined;
  for (const entry of keyspace.elements(hashedElementKeyAt(version, kind, cursor), prefixEnd(elementPrefix(version, kind)))) {
    const position = hashedPositionOf(entry.key);
    if (items.length >= countHint && position !== lastPosition && position !== 0n) return { next: position, items };
    lastPosition = position;
    items.push({ part: hashedPartOf(entry.key), value: entry.value });
  }
  return { next: 0n, items };
}

function randomPosition(): bigint {
  return (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
}

/** The first element at or after a random hash position, wrapping around; undefined if empty. */
export function randomElement(keyspace: Keyspace, version: number, kind: number): HashedElement | undefined {
  const end = prefixEnd(elementPrefix(version, kind));
  const middle = hashedElementKeyAt(version, kind, randomPosition());
  for (const [start, stop] of [[middle, end], [elementPrefix(version, kind), middle]] as const) {
    for (const entry of keyspace.elements(start, stop)) return { part: hashedPartOf(entry.key), value: entry.value };
  }
  return undefined;
}

/** count distinct elements (count < size), uniformly when read whole. */
export function distinctElements(keyspace: Keyspace, version: number, kind: number, size: number, count: number): HashedElement[] {
  assert.ok(count >= 0 && count < size, 'distinct picks are fewer than the elements');
  if (size <= SAMPLE_READ_ALL_MAX || count * 2 > size) return pickDistinct(allElements(keyspace, version, kind), count);
  const picked = new Map<string, HashedElement>();
  for (let seeks = 0; picked.size < count && seeks < count * SEEKS_PER_PICK_MAX; seeks++) {
    const element = randomElement(keyspace, version, kind);
    if (element === undefined) break;
    picked.set(element.part.toString('latin1'), element);
  }
  if (picked.size < count) return pickDistinct(allElements(keyspace, version, kind), count);
  return [...picked.values()];
}

/** count elements with repeats allowed (negative counts of HRANDFIELD / SRANDMEMBER). */
export function elementsWithRepeats(keyspace: Keyspace, version: number, kind: number, size: number, count: number): HashedElement[] {
  const picked: HashedElement[] = [];
  if (size <= SAMPLE_READ_ALL_MAX) {
    const all = allElements(keyspace, version, kind);
    for (let index = 0; index < count; index++) picked.push(all[Math.floor(Math.random() * all.length)]!);
    return picked;
  }
  for (let index = 0; index < count; index++) {
    const element = randomElement(keyspace, version, kind);
    if (element === undefined) break;
    picked.push(element);
  }
  return picked;
}

/**
 * count of all, uniformly without repeats (a partial Fisher-Yates shuffle), in random order; all is
 * shuffled in place: its first count elements are the picks, the rest the others.
 */
export function pickDistinct(all: HashedElement[], count: number): HashedElement[] {
  for (let index = 0; index < count; index++) {
    const other = index + Math.floor(Math.random() * (all.length - index));
    [all[index], all[other]] = [all[other]!, all[index]!];
  }
  return all.slice(0, count);
}
