// src/types/list.ts: the list type, laid out as Kvrocks lays lists out (reference §1.5): the
// metadata (keyspace/layout.ts) holds the version and LLEN, and its payload says where the
// elements sit; each element is one engine entry at its index:
//   payload   offset  bytes  field
//             0       8      head u64: the index of the first element
//             8       8      tail u64: one past the index of the last
//             16      8      entry bytes u64: what the elements take as listpack entries
//   element   [ELEMENT_NAMESPACE][version u64][LIST_KIND.element][index u64] -> the element
// Invariants:
// - count = tail - head, and every index in [head, tail) holds exactly one element: the element
//   at position p (0 = the head) is at index head + p. A new list starts at head = tail =
//   LIST_INDEX_START (2^52), so 2^52 pushes fit at either end before the index leaves the safe
//   integers (a push past that is refused, not wrapped).
// - Pushes and pops at either end touch one element and the metadata: O(1) in the length.
//   LINDEX / LSET and pops of up to POP_POINT_READS_MAX are point accesses; LRANGE, LPOS and
//   larger pops one range read.
//   LINSERT and LREM rewrite the shorter side of the change one index over; LTRIM deletes what
//   it removes, or copies what it keeps under a new version when that is less.
// - A change that empties the list writes no element: the key's deletion kills its version, and
//   the compaction filter drops the elements (keyspace/garbage.ts).
// - entry bytes = the sum of listpackEntryBytes over the elements, exact (every removal reads
//   what it removes): it gives Redis 7.2's listpack / quicklist encoding and MEMORY USAGE.
// - encoding is Redis 7.2's (t_list.c listTypeTryConversion*), which converts both ways:
//   listpack until a growing command would pass list-max-listpack-size (the listpack's bytes plus
//   the new elements' lengths past the size limit, or more entries than a positive fill allows;
//   checked before the elements go in, as Redis does); quicklist from then until a shrinking
//   command leaves at most half of that limit. Redis converts back only when the quicklist has a
//   single node; tskv keeps no nodes and takes "within the node limit" for that (one node unless
//   deletions in the middle left several).
// - Random access is by index, so no read of one list ever scans another's elements.
import { newValuePage, type ValuePage } from '../../storage/index.js';
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import { ELEMENT_KEY_HEADER_BYTES, ELEMENT_NAMESPACE, KEY_TYPE, NAMESPACE_BYTES, VERSION_BYTES, readU64BE, writeU64BE } from '../keyspace/layout.js';
import { RDB_TYPE } from './dump-payload.js';
import { readRdbList } from './rdb-objects.js';
import { encodeListpack, LISTPACK_HEADER_BYTES } from './rdb-listpack.js';
import { encodeRdbLength, encodeRdbString } from './rdb-string.js';
import { ROBJ_BYTES, jemallocSize, listpackEntryBytes } from './redis-memory.js';
import type { TypeModule } from './type-module.js';

export const LIST_KIND = { element: 3 } as const;
export const LIST_ENCODING = { listpack: 0, quicklist: 1 } as const;
/** Where a new list's head and tail start: 2^52 pushes fit at either end. */
export const LIST_INDEX_START = 2 ** 52;
const LIST_INDEX_END = 2 ** 53; // exclusive: indexes stay safe integers
const PAYLOAD_BYTES = 24;
const INDEX_BYTES = 8;
export const LIST_ELEMENT_KEY_BYTES = ELEMENT_KEY_HEADER_BYTES + INDEX_BYTES;
/** A listpack's bytes beyond its entries: the 6-byte header and the end byte. */
const LISTPACK_EMPTY_BYTES = LISTPACK_HEADER_BYTES + 1;
/** quicklist.c optimization_level: the node size of list-max-listpack-size -1 .. -5. */
const NODE_SIZE_LEVELS = [4096, 8192, 16384, 32768, 65536] as const;
/** quicklist.c SIZE_SAFETY_LIMIT: a node over it is full whatever a positive fill says. */
const NODE_SAFETY_BYTES = 8192;
/** quicklist.c SIZE_ESTIMATE_OVERHEAD: what _quicklistNodeAllowInsert adds per new entry. */
const NODE_INSERT_OVERHEAD_BYTES = 8;
const QUICKLIST_BYTES = 40; // sizeof(quicklist)
const QUICKLIST_NODE_BYTES = 32; // sizeof(quicklistNode)
const QUICKLIST_CONTAINER_PACKED = 2;
/** Backward walks (LPOS with a negative RANK, LREM with a negative count) read windows this long, doubling. */
const BACKWARD_WINDOW_MIN = 16;
const BACKWARD_WINDOW_MAX = 4096;
/** Reads of at most this many elements may come as one engine page (elementsBetween). */
const PAGE_ELEMENTS_MAX = 1024;
/**
 * Pops of at most this many elements read each by a point lookup (hash probes and filters)
 * rather than a range read, whose cursor seeks every memtable and table.
 */
const POP_POINT_READS_MAX = 4;
const EMPTY_PAYLOAD = Buffer.alloc(0);

export type ListEnd = 'head' | 'tail';

/** A list being read or changed: its record and its decoded payload (written back by listRecord). */
export interface ListState {
  record: KeyRecord;
  head: number;
  tail: number;
  entryBytes: number;
}

export function listElementKey(version: number, index: number): Buffer {
  const key = Buffer.allocUnsafe(LIST_ELEMENT_KEY_BYTES);
  key.writeUInt32BE(ELEMENT_NAMESPACE, 0);
  writeU64BE(key, version, NAMESPACE_BYTES);
  key[NAMESPACE_BYTES + VERSION_BYTES] = LIST_KIND.element;
  writeU64BE(key, index, ELEMENT_KEY_HEADER_BYTES);
  return key;
}

function indexOfKey(key: Buffer): number {
  return readU64BE(key, ELEMENT_KEY_HEADER_BYTES);
}

export function readListState(record: KeyRecord): ListState {
  const { payload } = record;
  if (payload.length !== PAYLOAD_BYTES) throw new Error(`list metadata payload has ${payload.length} bytes`);
  const state = { record: { ...record }, head: readU64BE(payload, 0), tail: readU64BE(payload, 8), entryBytes: readU64BE(payload, 16) };
  if (state.tail - state.head !== record.count) throw new Error(`list metadata says ${record.count} elements in [${state.head}, ${state.tail})`);
  return state;
}

/** A new, empty list (a fresh version); it exists once set() stages it with elements. */
export function newListState(keyspace: Keyspace): ListState {
  const record: KeyRecord = { type: KEY_TYPE.list, encoding: LIST_ENCODING.listpack, expireAtMs: 0, version: keyspace.newVersion(), count: 0, payload: EMPTY_PAYLOAD };
  return { record, head: LIST_INDEX_START, tail: LIST_INDEX_START, entryBytes: 0 };
}

export function listLength(state: ListState): number {
  return state.tail - state.head;
}

/** The record to store: count and payload from the state (count 0 deletes the key). */
export function listRecord(state: ListState): KeyRecord {
  const payload = Buffer.allocUnsafe(PAYLOAD_BYTES);
  writeU64BE(payload, state.head, 0);
  writeU64BE(payload, state.tail, 8);
  writeU64BE(payload, state.entryBytes, 16);
  return { ...state.record, count: state.tail - state.head, payload };
}

/** The element at position (0 .. length - 1). */
export function elementAt(keyspace: Keyspace, state: ListState, position: number): Buffer {
  const value = keyspace.element(listElementKey(state.record.version, state.head + position));
  if (value === undefined) throw new Error(`list element ${position} of ${listLength(state)} is missing`);
  return value;
}

/** Elements at positions from .. to (inclusive), head to tail: one range read. */
export function* forwardElements(keyspace: Keyspace, state: ListState, from: number, to: number): Generator<Buffer> {
  if (from > to) return;
  const { version } = state.record;
  let expected = state.head + from;
  for (const entry of keyspace.elements(listElementKey(version, expected), listElementKey(version, state.head + to + 1))) {
    if (indexOfKey(entry.key) !== expected) throw new Error(`list index ${expected} is missing`);
    expected++;
    yield entry.value;
  }
  if (expected !== state.head + to + 1) throw new Error(`list ends at index ${expected}, its metadata at ${state.head + to + 1}`);
}

/**
 * Elements at positions from .. to (inclusive), head to tail, as an array. Up to
 * PAGE_ELEMENTS_MAX of them with nothing staged there come from one engine page (no generators,
 * no per-element wrappers); otherwise from forwardElements.
 */
export function elementsBetween(keyspace: Keyspace, state: ListState, from: number, to: number): Buffer[] {
  if (from > to) return [];
  const count = to - from + 1;
  const { version } = state.record;
  const first = state.head + from;
  const page = count > PAGE_ELEMENTS_MAX ? undefined : keyspace.elementsPage(listElementKey(version, first), listElementKey(version, first + count), count);
  if (page === undefined) return [...forwardElements(keyspace, state, from, to)];
  // Every key in the range is one of this version's element keys (its 13-byte prefix is the
  // version's alone), so count distinct keys there are the count indexes first .. first + count - 1.
  const { items } = page;
  if (items.length !== count || page.more) throw new Error(`list positions ${from} .. ${to} hold ${items.length} elements${page.more ? ' and more' : ''}`);
  if (indexOfKey(items[0]!.key) !== first || indexOfKey(items[count - 1]!.key) !== first + count - 1) throw new Error(`list positions ${from} .. ${to} are out of place`);
  const values = new Array<Buffer>(count);
  for (let offset = 0; offset < count; offset++) values[offset] = items[offset]!.value;
  return values;
}

/** The page elementViewsBetween fills, reused by every call (its views are read at once). */
const viewPage = newValuePage();

/**
 * Elements at positions from .. to (inclusive, from <= to), head to tail, as (source, offset,
 * length) views in a page shared by every call: valid until the next call or the caller's return
 * to the event loop. For up to PAGE_ELEMENTS_MAX elements with nothing staged there and one
 * engine source holding them all (keyspace.elementValues: no Entry, no Buffer per element);
 * undefined otherwise (use elementsBetween).
 */
export function elementViewsBetween(keyspace: Keyspace, state: ListState, from: number, to: number): ValuePage | undefined {
  const count = to - from + 1;
  if (count > PAGE_ELEMENTS_MAX) return undefined;
  const { version } = state.record;
  const first = state.head + from;
  if (!keyspace.elementValues(listElementKey(version, first), listElementKey(version, first + count), count, viewPage, count)) return undefined;
  // As in elementsBetween: the range's keys are this version's element keys at indexes first ..
  // first + count - 1 and no others, so count live keys there are exactly those.
  if (viewPage.count !== count || viewPage.more) throw new Error(`list positions ${from} .. ${to} hold ${viewPage.count} elements${viewPage.more ? ' and more' : ''}`);
  return viewPage;
}

/** Elements at positions to .. from (inclusive), tail to head: range reads of doubling windows. */
export function* backwardElements(keyspace: Keyspace, state: ListState, from: number, to: number): Generator<Buffer> {
  let end = to + 1; // exclusive
  let window = BACKWARD_WINDOW_MIN;
  while (end > from) {
    const start = Math.max(from, end - window);
    const values = [...forwardElements(keyspace, state, start, end - 1)];
    for (let index = values.length - 1; index >= 0; index--) yield values[index] as Buffer;
    end = start;
    window = Math.min(window * 2, BACKWARD_WINDOW_MAX);
  }
}

/** Whether pushing `extra` elements at end would leave the safe index range. */
export function indexSpaceLeft(state: ListState, end: ListEnd, extra: number): boolean {
  return end === 'head' ? state.head - extra >= 0 : state.tail + extra <= LIST_INDEX_END;
}

/** Stages value at the head or the tail. */
export function pushElement(keyspace: Keyspace, state: ListState, end: ListEnd, value: Buffer): void {
  const index = end === 'head' ? --state.head : state.tail++;
  keyspace.putElement(listElementKey(state.record.version, index), value);
  state.entryBytes += listpackEntryBytes(value);
}

/**
 * Removes count elements (at most the length) from one end and returns them, the head's first
 * (LPOP) or the tail's first (RPOP). Emptying the list stages no element delete (see the invariants).
 * cached, when given, answers a point read of the element at an index first (list-end-cache.ts).
 */
export function popElements(keyspace: Keyspace, state: ListState, end: ListEnd, count: number, cached?: (index: number) => Buffer | undefined): Buffer[] {
  const length = listLength(state);
  const taken = Math.min(count, length);
  const emptied = taken === length;
  const { version } = state.record;
  let values: Buffer[];
  let keys: Buffer[] | undefined; // the point reads' keys, deleted as they are
  if (taken <= POP_POINT_READS_MAX) {
    values = [];
    keys = [];
    for (let offset = 0; offset < taken; offset++) {
      const index = end === 'head' ? state.head + offset : state.tail - 1 - offset;
      const key = listElementKey(version, index);
      const value = cached?.(index) ?? keyspace.element(key);
      if (value === undefined) throw new Error(`list element ${end === 'head' ? offset : length - 1 - offset} of ${length} is missing`);
      values.push(value);
      keys.push(key);
    }
  } else {
    values = end === 'head' ? elementsBetween(keyspace, state, 0, taken - 1) : elementsBetween(keyspace, state, length - taken, length - 1).reverse();
  }
  for (let index = 0; index < taken; index++) {
    const at = end === 'head' ? state.head++ : --state.tail;
    if (!emptied) keyspace.deleteElement(keys?.[index] ?? listElementKey(version, at));
    state.entryBytes -= listpackEntryBytes(values[index] as Buffer);
  }
  return values;
}

/** LSET: replaces the element at position. */
export function setElement(keyspace: Keyspace, state: ListState, position: number, value: Buffer): void {
  const before = elementAt(keyspace, state, position);
  keyspace.putElement(listElementKey(state.record.version, state.head + position), value);
  state.entryBytes += listpackEntryBytes(value) - listpackEntryBytes(before);
}

/** Engine bytes one staged put of an element takes (key and value). */
function putBytes(value: Buffer): number {
  return LIST_ELEMENT_KEY_BYTES + value.length;
}

/**
 * LTRIM: keeps positions keepFrom .. keepTo (keepFrom > keepTo keeps nothing). Deletes what goes,
 * or, when fewer stay than go, copies what stays under a new version (the old one dies with the
 * metadata's rewrite). Returns the bytes it staged, or undefined, staging nothing, when that
 * would pass batchBytesMax.
 */
export function trimList(keyspace: Keyspace, state: ListState, keepFrom: number, keepTo: number, batchBytesMax: number): number | undefined {
  const length = listLength(state);
  const kept = Math.max(0, keepTo - keepFrom + 1);
  const removed = length - kept;
  if (removed === 0) return 0;
  if (kept === 0) {
    state.tail = state.head;
    state.entryBytes = 0;
    return 0;
  }
  if (kept < removed) {
    const values = [...forwardElements(keyspace, state, keepFrom, keepTo)];
    let bytes = 0;
    for (const value of values) bytes += putBytes(value);
    if (bytes > batchBytesMax) return undefined;
    const version = keyspace.newVersion();
    state.record.version = version;
    state.head = LIST_INDEX_START;
    state.tail = LIST_INDEX_START;
    state.entryBytes = 0;
    for (const value of values) pushElement(keyspace, state, 'tail', value);
    return bytes;
  }
  if (removed * LIST_ELEMENT_KEY_BYTES > batchBytesMax) return undefined;
  const { version } = state.record;
  for (const value of forwardElements(keyspace, state, 0, keepFrom - 1)) state.entryBytes -= listpackEntryBytes(value);
  for (const value of forwardElements(keyspace, state, keepTo + 1, length - 1)) state.entryBytes -= listpackEntryBytes(value);
  for (let index = state.head; index < state.head + keepFrom; index++) keyspace.deleteElement(listElementKey(version, index));
  for (let index = state.head + keepTo + 1; index < state.tail; index++) keyspace.deleteElement(listElementKey(version, index));
  state.head += keepFrom;
  state.tail = state.head + kept;
  return removed * LIST_ELEMENT_KEY_BYTES;
}

/**
 * The positions (ascending) of the elements equal to value, found walking from the head
 * (fromTail false) or the tail, up to limit of them (0 = all).
 */
export function matchPositions(keyspace: Keyspace, state: ListState, value: Buffer, fromTail: boolean, limit: number): number[] {
  const length = listLength(state);
  const found: number[] = [];
  let position = fromTail ? length - 1 : 0;
  const walk = fromTail ? backwardElements(keyspace, state, 0, length - 1) : forwardElements(keyspace, state, 0, length - 1);
  for (const element of walk) {
    if (element.equals(value)) {
      found.push(position);
      if (found.length === limit) break;
    }
    position += fromTail ? -1 : 1;
  }
  return fromTail ? found.reverse() : found;
}

/**
 * LREM: removes the elements at positions (ascending, distinct, at least one) by rewriting the
 * shorter side one slot per removed element over. Returns the bytes staged, or undefined,
 * staging nothing, when that would pass batchBytesMax.
 */
export function removePositions(keyspace: Keyspace, state: ListState, positions: readonly number[], batchBytesMax: number): number | undefined {
  const length = listLength(state);
  const removed = positions.length;
  const first = positions[0] as number;
  const last = positions[removed - 1] as number;
  if (removed === length) {
    state.tail = state.head;
    state.entryBytes = 0;
    return 0;
  }
  const fromLeft = last + 1 - removed <= length - first - removed; // kept elements to move on each side
  const [from, to] = fromLeft ? [0, last] : [first, length - 1];
  const values = [...forwardElements(keyspace, state, from, to)];
  const gone = new Set(positions);
  const keptValues = values.filter((_, offset) => !gone.has(from + offset));
  let bytes = removed * LIST_ELEMENT_KEY_BYTES;
  for (const value of keptValues) bytes += putBytes(value);
  if (bytes > batchBytesMax) return undefined;
  for (const position of positions) state.entryBytes -= listpackEntryBytes(values[position - from] as Buffer);
  const { version } = state.record;
  if (fromLeft) {
    // kept elements of 0 .. last end at last; the removed count of slots at the head empties
    keptValues.forEach((value, offset) => keyspace.putElement(listElementKey(version, state.head + removed + offset), value));
    for (let index = state.head; index < state.head + removed; index++) keyspace.deleteElement(listElementKey(version, index));
    state.head += removed;
  } else {
    keptValues.forEach((value, offset) => keyspace.putElement(listElementKey(version, state.head + first + offset), value));
    for (let index = state.tail - removed; index < state.tail; index++) keyspace.deleteElement(listElementKey(version, index));
    state.tail -= removed;
  }
  return bytes;
}

/**
 * LINSERT: puts value at position (0 .. length; the elements from there on follow it), moving
 * the shorter side one slot over. Returns the bytes staged, or undefined, staging nothing, when
 * that would pass batchBytesMax (or the index space is used up on that side).
 */
export function insertAt(keyspace: Keyspace, state: ListState, position: number, value: Buffer, batchBytesMax: number): number | undefined {
  const length = listLength(state);
  const fromLeft = position <= length - position;
  if (!indexSpaceLeft(state, fromLeft ? 'head' : 'tail', 1)) return undefined;
  const moved = fromLeft ? [...forwardElements(keyspace, state, 0, position - 1)] : [...forwardElements(keyspace, state, position, length - 1)];
  let bytes = putBytes(value);
  for (const element of moved) bytes += putBytes(element);
  if (bytes > batchBytesMax) return undefined;
  const { version } = state.record;
  if (fromLeft) {
    state.head--;
    moved.forEach((element, offset) => keyspace.putElement(listElementKey(version, state.head + offset), element));
  } else {
    state.tail++;
    moved.forEach((element, offset) => keyspace.putElement(listElementKey(version, state.head + position + 1 + offset), element));
  }
  keyspace.putElement(listElementKey(version, state.head + position), value);
  state.entryBytes += listpackEntryBytes(value);
  return bytes;
}

// ---- encodings (Redis 7.2 t_list.c, quicklist.c quicklistNodeLimit) ----------------------------

interface NodeLimit {
  bytes: number; // Infinity: none
  count: number; // Infinity: none
}

/** quicklistNodeLimit(fill): a node's size limit for a negative fill, its entry count for a positive one. */
function nodeLimit(fill: number): NodeLimit {
  if (fill >= 0) return { bytes: Infinity, count: fill === 0 ? 1 : fill };
  const level = Math.min(-fill - 1, NODE_SIZE_LEVELS.length - 1);
  return { bytes: NODE_SIZE_LEVELS[level] as number, count: Infinity };
}

/** quicklistNodeExceedsLimit (Redis 7.2). */
function exceedsNodeLimit(fill: number, bytes: number, count: number): boolean {
  const limit = nodeLimit(fill);
  if (limit.bytes !== Infinity) return bytes > limit.bytes;
  if (bytes > NODE_SAFETY_BYTES) return true;
  return count > limit.count;
}

/**
 * listTypeTryConversionAppend: before elements of rawBytes total length (count of them) go in,
 * a listpack that would pass the limit becomes a quicklist.
 */
export function growEncoding(state: ListState, fill: number, rawBytes: number, count: number): void {
  if (state.record.encoding !== LIST_ENCODING.listpack) return;
  if (exceedsNodeLimit(fill, LISTPACK_EMPTY_BYTES + state.entryBytes + rawBytes, listLength(state) + count)) state.record.encoding = LIST_ENCODING.quicklist;
}

/** listTypeTryConversion(LIST_CONV_SHRINKING): a quicklist at most half the node limit becomes a listpack. */
export function shrinkEncoding(state: ListState, fill: number): void {
  if (state.record.encoding !== LIST_ENCODING.quicklist) return;
  if (!fitsOneNode(state, fill)) return;
  const limit = nodeLimit(fill);
  if (LISTPACK_EMPTY_BYTES + state.entryBytes <= limit.bytes / 2 && listLength(state) <= Math.floor(limit.count / 2)) {
    state.record.encoding = LIST_ENCODING.listpack;
  }
}

/** Whether the list would fit one quicklist node (tskv's stand-in for Redis's ql->len == 1). */
function fitsOneNode(state: ListState, fill: number): boolean {
  const limit = nodeLimit(fill);
  const bytes = LISTPACK_EMPTY_BYTES + state.entryBytes;
  return bytes <= (limit.bytes === Infinity ? NODE_SAFETY_BYTES : limit.bytes) && listLength(state) <= limit.count;
}

/** listTypeTryConversion(LIST_CONV_AUTO), for a list built whole (RESTORE): listpack if it fits one node. */
export function autoEncoding(state: ListState, fill: number): void {
  state.record.encoding = fitsOneNode(state, fill) ? LIST_ENCODING.listpack : LIST_ENCODING.quicklist;
}

/**
 * The elements grouped into quicklist nodes as Redis 7.0 fills them pushing at the tail
 * (_quicklistNodeAllowInsert): DUMP writes these nodes, MEMORY USAGE sizes them.
 */
export function* quicklistNodes(elements: Iterable<Buffer>, fill: number): Generator<Buffer[]> {
  let node: Buffer[] = [];
  let nodeBytes = LISTPACK_EMPTY_BYTES;
  for (const element of elements) {
    if (node.length > 0 && !allowsInsert70(fill, nodeBytes, node.length, element.length)) {
      yield node;
      node = [];
      nodeBytes = LISTPACK_EMPTY_BYTES;
    }
    node.push(element);
    nodeBytes += listpackEntryBytes(element);
  }
  if (node.length > 0) yield node;
}

/** Redis 7.0 _quicklistNodeAllowInsert for a packed node of nodeBytes holding count entries. */
function allowsInsert70(fill: number, nodeBytes: number, count: number, elementBytes: number): boolean {
  const bytes = nodeBytes + elementBytes + NODE_INSERT_OVERHEAD_BYTES;
  const level = -fill - 1;
  if (fill < 0 && level < NODE_SIZE_LEVELS.length && bytes <= (NODE_SIZE_LEVELS[level] as number)) return true;
  if (bytes > NODE_SAFETY_BYTES) return false;
  return count < fill;
}

function listElements(keyspace: Keyspace, record: KeyRecord): Generator<Buffer> {
  const state = readListState(record);
  return forwardElements(keyspace, state, 0, listLength(state) - 1);
}

/** The fill DUMP and MEMORY USAGE use: the default list-max-listpack-size (the type module sees no config). */
const FILL_DEFAULT = -2;

export const listType: TypeModule = {
  type: KEY_TYPE.list,
  name: 'list',
  encoding: (record) => (record.encoding === LIST_ENCODING.quicklist ? 'quicklist' : 'listpack'),
  memoryUsage(keyspace, record, samples) {
    const state = readListState(record);
    if (record.encoding === LIST_ENCODING.listpack) return ROBJ_BYTES + jemallocSize(LISTPACK_EMPTY_BYTES + state.entryBytes);
    // objectComputeSize: the first `samples` nodes' average, times the nodes (estimated from the elements they held)
    let nodes = 0;
    let elements = 0;
    let bytes = 0;
    for (const node of quicklistNodes(listElements(keyspace, record), FILL_DEFAULT)) {
      let nodeBytes = LISTPACK_EMPTY_BYTES;
      for (const element of node) nodeBytes += listpackEntryBytes(element);
      bytes += QUICKLIST_NODE_BYTES + jemallocSize(nodeBytes);
      nodes++;
      elements += node.length;
      if (samples !== 0 && nodes >= samples) break;
    }
    const nodeCount = elements >= record.count ? nodes : Math.ceil((record.count * nodes) / elements);
    return ROBJ_BYTES + QUICKLIST_BYTES + Math.floor((bytes / nodes) * nodeCount);
  },
  dumpObject(keyspace, record) {
    // RDB_TYPE_LIST_QUICKLIST_2 as Redis 7.0 writes it: node count, then each node's container and listpack
    const nodes = [...quicklistNodes(listElements(keyspace, record), FILL_DEFAULT)];
    const parts: Buffer[] = [Buffer.from([RDB_TYPE.listQuicklist2]), encodeRdbLength(nodes.length)];
    for (const node of nodes) parts.push(encodeRdbLength(QUICKLIST_CONTAINER_PACKED), ...encodeRdbString(encodeListpack(node)));
    return parts;
  },
  copy(keyspace, record) {
    const source = readListState(record);
    const copy = { ...source, record: { ...source.record, version: keyspace.newVersion() } };
    let index = copy.head;
    for (const element of forwardElements(keyspace, source, 0, listLength(source) - 1)) keyspace.putElement(listElementKey(copy.record.version, index++), element);
    return listRecord(copy);
  },
  rdbTypes: [RDB_TYPE.list, RDB_TYPE.listZiplist, RDB_TYPE.listQuicklist, RDB_TYPE.listQuicklist2],
  restoreObject(keyspace, rdbType, cursor, options) {
    const elements = readRdbList(rdbType, cursor, options.valueBytesMax); // not empty
    if (elements === undefined) return undefined;
    const state = newListState(keyspace);
    for (const element of elements) pushElement(keyspace, state, 'tail', element);
    autoEncoding(state, options.limits.listListpackSize);
    return listRecord(state);
  },
};
