// storage/memtable-tail.ts: sorts the node ids a memtable appended to its tail since the tail was
// last read in order (memtable.ts): a put appends its new node and nothing else, and the first
// ordered read (an iterator, a seek, a merge into main, a frozen copy) sorts what was appended.
// Keys that arrive interleaved over many sorted runs (a time series' raw samples, tick by tick
// over its series; element keys of several lists or sorted sets) are sorted without comparing
// them byte by byte against each other:
//   1. already ascending (in-order appends, pushes at a list's tail): one compare a node, done;
//   2. grouped by their first 16 bytes (the four prefix words a node keeps), in arrival order,
//      through a small hash table; the groups sorted by those words alone;
//   3. each group, whose keys tie on their first 16 bytes, checked ascending (one compare a node:
//      a series' samples arrive in order), reversed when strictly descending (pushes at a list's
//      head), else sorted with full compares.
// Invariants:
// - The result is the order of compareNodes (keys are distinct, so it is total); the groups'
//   word order is compareNodes' order for keys that differ in their first 16 bytes, as those are
//   big-endian and zero-padded exactly as compareNodes reads them.
// - Scratch arrays are sized once for the tail's capacity; a sort allocates only for a group
//   that arrives in neither order.
import assert from 'node:assert/strict';

/** What the sort reads of a memtable's nodes (memtable.ts's arrays and compare). */
export interface TailNodes {
  readonly prefixHigh: Uint32Array; // key bytes 0..3 per node
  readonly prefixLow: Uint32Array; // bytes 4..7
  readonly prefixNext: Uint32Array; // bytes 8..11 and 12..15, two words per node
  compareNodes(a: number, b: number): number;
}

export class TailSorter {
  private readonly slots: Int32Array; // hash of a node's four words -> its group + 1
  private readonly slotMask: number;
  private readonly groupOf: Int32Array; // arrival position -> group
  private readonly groupHead: Int32Array; // group -> its first node
  private readonly groupStart: Int32Array; // group -> where it goes in the sorted output
  private readonly sorted: Int32Array;

  constructor(capacity: number) {
    assert.ok(Number.isSafeInteger(capacity) && capacity >= 1, 'a tail holds at least one node');
    let slotCount = 2;
    while (slotCount < 2 * capacity) slotCount *= 2;
    this.slots = new Int32Array(slotCount);
    this.slotMask = slotCount - 1;
    this.groupOf = new Int32Array(capacity);
    this.groupHead = new Int32Array(capacity);
    this.groupStart = new Int32Array(capacity + 1);
    this.sorted = new Int32Array(capacity);
  }

  /** Sorts nodes[from .. to) in place into compareNodes order. */
  sort(table: TailNodes, nodes: Int32Array, from: number, to: number): void {
    const count = to - from;
    assert.ok(count <= this.sorted.length, 'sorting more nodes than the tail holds');
    if (count < 2 || isAscending(table, nodes, from, to)) return;
    const groupCount = this.group(table, nodes, from, to);
    const order = Array.from({ length: groupCount }, (_, group) => group);
    const { groupHead } = this;
    order.sort((a, b) => compareWords(table, groupHead[a]!, groupHead[b]!));
    const { groupStart, groupOf, sorted } = this;
    let start = 0;
    for (const group of order) {
      const size = groupStart[group]!; // group() left the sizes here
      groupStart[group] = start;
      start += size;
    }
    for (let index = 0; index < count; index++) sorted[groupStart[groupOf[index]!]!++] = nodes[from + index]!;
    // groupStart[group] is now the group's end in sorted, in order's order
    let groupFrom = 0;
    for (const group of order) {
      const groupTo = groupStart[group]!;
      if (groupTo - groupFrom > 1) sortGroup(table, sorted, groupFrom, groupTo);
      groupFrom = groupTo;
    }
    nodes.set(sorted.subarray(0, count), from);
  }

  /** Fills groupOf for each arrival position and the groups' sizes (in groupStart); returns how many groups. */
  private group(table: TailNodes, nodes: Int32Array, from: number, to: number): number {
    const { slots, slotMask, groupOf, groupHead, groupStart } = this;
    const { prefixHigh, prefixLow, prefixNext } = table;
    slots.fill(0);
    let groupCount = 0;
    for (let index = from; index < to; index++) {
      const node = nodes[index]!;
      const high = prefixHigh[node]!;
      const low = prefixLow[node]!;
      const next0 = prefixNext[2 * node]!;
      const next1 = prefixNext[2 * node + 1]!;
      let hash = Math.imul(high ^ Math.imul(low, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(next0 ^ Math.imul(next1, 0xc2b2ae35), 0x27d4eb2f);
      hash ^= hash >>> 15;
      let slot = hash & slotMask;
      let group = -1;
      for (;;) {
        const stored = slots[slot]!;
        if (stored === 0) break;
        const head = groupHead[stored - 1]!;
        if (prefixHigh[head] === high && prefixLow[head] === low && prefixNext[2 * head] === next0 && prefixNext[2 * head + 1] === next1) {
          group = stored - 1;
          break;
        }
        slot = (slot + 1) & slotMask;
      }
      if (group < 0) {
        group = groupCount++;
        slots[slot] = group + 1;
        groupHead[group] = node;
        groupStart[group] = 0;
      }
      groupStart[group]!++;
      groupOf[index - from] = group;
    }
    return groupCount;
  }
}

function isAscending(table: TailNodes, nodes: Int32Array, from: number, to: number): boolean {
  for (let index = from + 1; index < to; index++) if (table.compareNodes(nodes[index - 1]!, nodes[index]!) > 0) return false;
  return true;
}

/** Two nodes' first 16 key bytes compared as words (0 when they tie on all four). */
function compareWords(table: TailNodes, a: number, b: number): number {
  const { prefixHigh, prefixLow, prefixNext } = table;
  if (prefixHigh[a] !== prefixHigh[b]) return prefixHigh[a]! - prefixHigh[b]!;
  if (prefixLow[a] !== prefixLow[b]) return prefixLow[a]! - prefixLow[b]!;
  if (prefixNext[2 * a] !== prefixNext[2 * b]) return prefixNext[2 * a]! - prefixNext[2 * b]!;
  return prefixNext[2 * a + 1]! - prefixNext[2 * b + 1]!;
}

/** One group (keys tying on 16 bytes), in arrival order, sorted in place: checked, reversed, or sorted. */
function sortGroup(table: TailNodes, nodes: Int32Array, from: number, to: number): void {
  if (isAscending(table, nodes, from, to)) return;
  let descending = true;
  for (let index = from + 1; index < to && descending; index++) descending = table.compareNodes(nodes[index - 1]!, nodes[index]!) > 0;
  if (descending) {
    nodes.subarray(from, to).reverse();
    return;
  }
  const group = Array.from(nodes.subarray(from, to));
  group.sort((a, b) => table.compareNodes(a, b));
  nodes.set(group, from);
}
