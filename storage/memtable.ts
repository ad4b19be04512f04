// storage/memtable.ts: the in-memory table every write lands in (after the WAL), until a flush
// turns it into an SSTable. Structure: a Map from the key's latin1 string to a KeyNode (O(1) point
// get), plus a B+tree over the same latin1 strings for ordered iteration. latin1 maps each byte to
// one UTF-16 code unit, so JS string order equals Buffer.compare order on the keys.
// Invariants:
// - The memtable owns its bytes: put() copies key and value. Entries handed out by get() and by
//   iterators are the stored ones: callers must not mutate them.
// - A KeyNode holds the versions of one key, newest (highest seq) first; nodes are never removed
//   (a delete is a 'delete' entry), so the set of keys only grows.
// - put(entry, false) leaves only the new version; put(entry, true) keeps older ones (a snapshot
//   may still read them). A put never carries a seq already present for its key.
// - Iterators survive puts between next() calls: each remembers the last (key, seq) it returned
//   and re-seeks past it when the table's mutation counter has moved.
// Measured (Node 20.20, 2 noisy cores, 1M random 17-byte keys, 16-byte values): put ~3.9 us,
// get ~1.15 us, full iteration 0.14 us/entry, ~350 B heap per entry; ascending keys: put ~2.6 us.
import assert from 'node:assert/strict';
import type { Entry, EntryIterator } from './entry.js';

/** Heap bytes per version beyond key and value: Entry object and two Buffer views (measured). */
export const MEMTABLE_VERSION_OVERHEAD_BYTES = 200;
/** Heap bytes per distinct key beyond its bytes: latin1 string, KeyNode, Map and tree slots. */
export const MEMTABLE_KEY_OVERHEAD_BYTES = 120;
const LEAF_KEYS_MAX = 64;
const INNER_KEYS_MAX = 64;

interface KeyNode { versions: Entry[] } // newest first
interface LeafNode { readonly isLeaf: true; keys: string[]; items: KeyNode[]; next: LeafNode | undefined }
interface InnerNode { readonly isLeaf: false; keys: string[]; children: TreeNode[] } // keys[i] = least key under children[i + 1]
type TreeNode = LeafNode | InnerNode;
interface Split { separator: string; right: TreeNode }

/** Index of the first element >= target (strings compare like their bytes). */
function lowerBound(keys: readonly string[], target: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid]! < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Number of elements <= target. */
function upperBound(keys: readonly string[], target: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid]! <= target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A B+tree of distinct latin1 keys; leaves are linked for ordered walks. Insert-only. */
class KeyTree {
  root: TreeNode;
  readonly firstLeaf: LeafNode;

  constructor() {
    this.firstLeaf = { isLeaf: true, keys: [], items: [], next: undefined };
    this.root = this.firstLeaf;
  }

  /** Inserts a key known to be absent. */
  insert(key: string, item: KeyNode): void {
    const split = this.insertInto(this.root, key, item);
    if (split !== undefined) {
      this.root = { isLeaf: false, keys: [split.separator], children: [this.root, split.right] };
    }
  }

  /** The leaf and index of the first key >= target; index may equal the leaf's length. */
  lowerBound(target: string): { leaf: LeafNode; index: number } {
    let node = this.root;
    while (!node.isLeaf) node = node.children[upperBound(node.keys, target)]!;
    return { leaf: node, index: lowerBound(node.keys, target) };
  }

  private insertInto(node: TreeNode, key: string, item: KeyNode): Split | undefined {
    if (node.isLeaf) {
      const index = lowerBound(node.keys, key);
      node.keys.splice(index, 0, key);
      node.items.splice(index, 0, item);
      if (node.keys.length <= LEAF_KEYS_MAX) return undefined;
      const half = node.keys.length >>> 1;
      const right: LeafNode = { isLeaf: true, keys: node.keys.splice(half), items: node.items.splice(half), next: node.next };
      node.next = right;
      return { separator: right.keys[0]!, right };
    }
    const childIndex = upperBound(node.keys, key);
    const split = this.insertInto(node.children[childIndex]!, key, item);
    if (split === undefined) return undefined;
    node.keys.splice(childIndex, 0, split.separator);
    node.children.splice(childIndex + 1, 0, split.right);
    if (node.keys.length <= INNER_KEYS_MAX) return undefined;
    const half = node.keys.length >>> 1;
    const separator = node.keys[half]!;
    const right: InnerNode = { isLeaf: false, keys: node.keys.splice(half + 1), children: node.children.splice(half + 1) };
    node.keys.length = half;
    return { separator, right };
  }
}

export class Memtable {
  private readonly nodes = new Map<string, KeyNode>();
  private readonly tree = new KeyTree();
  private bytes = 0;
  private versionCount = 0;
  private mutations = 0;

  put(entry: Entry, keepOlderVersions: boolean): void {
    assert.ok(Number.isSafeInteger(entry.seq) && entry.seq >= 0, 'entry seq must be a safe non-negative integer');
    assert.ok(entry.kind === 'put' || entry.value.length === 0, 'a delete carries an empty value');
    const keyString = entry.key.toString('latin1');
    const node = this.nodes.get(keyString);
    this.mutations++;
    if (node === undefined) {
      const copy = copyEntry(entry, Buffer.from(entry.key));
      const created: KeyNode = { versions: [copy] };
      this.nodes.set(keyString, created);
      this.tree.insert(keyString, created);
      this.bytes += entry.key.length + MEMTABLE_KEY_OVERHEAD_BYTES + versionBytes(copy);
      this.versionCount++;
      return;
    }
    const newest = node.versions[0]!;
    const copy = copyEntry(entry, newest.key);
    if (!keepOlderVersions) {
      assert.ok(entry.seq > newest.seq, `put of seq ${entry.seq} would replace newer seq ${newest.seq}`);
      for (const old of node.versions) this.bytes -= versionBytes(old);
      this.versionCount -= node.versions.length;
      node.versions = [copy];
    } else {
      let index = 0;
      while (index < node.versions.length && node.versions[index]!.seq > entry.seq) index++;
      assert.ok(node.versions[index]?.seq !== entry.seq, `seq ${entry.seq} already present for this key`);
      node.versions.splice(index, 0, copy);
    }
    this.bytes += versionBytes(copy);
    this.versionCount++;
  }

  /** Newest version with seq <= snapshotSeq (may be a 'delete'); undefined when none. */
  get(key: Buffer, snapshotSeq?: number): Entry | undefined {
    const node = this.nodes.get(key.toString('latin1'));
    if (node === undefined) return undefined;
    if (snapshotSeq === undefined) return node.versions[0];
    for (const version of node.versions) {
      if (version.seq <= snapshotSeq) return version;
    }
    return undefined;
  }

  approximateBytes(): number {
    return this.bytes;
  }

  /** Number of versions held (all keys). */
  entryCount(): number {
    return this.versionCount;
  }

  /** Number of distinct keys. */
  keyCount(): number {
    return this.nodes.size;
  }

  /** Bumped by every put; iterators compare it to know their position may be stale. */
  mutationCount(): number {
    return this.mutations;
  }

  /** All versions in entry order; stays correct across puts between calls. */
  iterator(): EntryIterator {
    return new MemtableIterator(this, this.tree);
  }
}

function copyEntry(entry: Entry, key: Buffer): Entry {
  return { key, seq: entry.seq, kind: entry.kind, value: Buffer.from(entry.value), expireAtMs: entry.expireAtMs };
}

function versionBytes(entry: Entry): number {
  return entry.value.length + MEMTABLE_VERSION_OVERHEAD_BYTES;
}

class MemtableIterator implements EntryIterator {
  private leaf: LeafNode | undefined;
  private index = 0;
  private versionIndex = 0;
  private current: Entry | undefined;
  private currentKey = '';
  private seenMutationCount = 0;

  constructor(private readonly table: Memtable, private readonly tree: KeyTree) {}

  seekToFirst(): void {
    this.position(this.tree.firstLeaf, 0, 0);
  }

  seek(key: Buffer): void {
    const { leaf, index } = this.tree.lowerBound(key.toString('latin1'));
    this.position(leaf, index, 0);
  }

  valid(): boolean {
    return this.current !== undefined;
  }

  entry(): Entry {
    assert.ok(this.current !== undefined, 'MemtableIterator.entry() on an invalid iterator');
    return this.current;
  }

  next(): void {
    const current = this.current;
    assert.ok(current !== undefined, 'MemtableIterator.next() on an invalid iterator');
    if (this.seenMutationCount === this.table.mutationCount()) {
      this.position(this.leaf, this.index, this.versionIndex + 1);
      return;
    }
    // The tree may have split or the versions changed: find the first entry after (key, seq).
    const { leaf, index } = this.tree.lowerBound(this.currentKey);
    let versionIndex = 0;
    if (leaf.keys[index] === this.currentKey) {
      const versions = leaf.items[index]!.versions;
      while (versionIndex < versions.length && versions[versionIndex]!.seq >= current.seq) versionIndex++;
    }
    this.position(leaf, index, versionIndex);
  }

  /** Moves to the first existing entry at or after (leaf, index, versionIndex). */
  private position(start: LeafNode | undefined, startIndex: number, startVersionIndex: number): void {
    let leaf = start;
    let index = startIndex;
    let versionIndex = startVersionIndex;
    while (leaf !== undefined) {
      if (index >= leaf.keys.length) {
        leaf = leaf.next;
        index = 0;
        versionIndex = 0;
        continue;
      }
      const versions = leaf.items[index]!.versions;
      if (versionIndex < versions.length) break;
      index++;
      versionIndex = 0;
    }
    this.leaf = leaf;
    this.index = index;
    this.versionIndex = versionIndex;
    this.seenMutationCount = this.table.mutationCount();
    this.current = leaf?.items[index]!.versions[versionIndex];
    this.currentKey = leaf?.keys[index] ?? '';
  }
}
