// storage/memtable.ts: the in-memory table every write lands in (after the WAL), until a flush
// turns it into an SSTable. Built to put no small objects on the JS heap per entry, so a full
// memtable costs the garbage collector almost nothing to trace:
// - bytes: keys and values are copied into an arena of SLAB_BYTES slabs (a record of
//   BIG_RECORD_BYTES_MIN or more gets a slab of its own); slabs are never written twice;
// - keys ("nodes", one per distinct key) and versions live in typed arrays, struct of arrays:
//   node -> key slab, offset, length, hash, newest version; version -> seq, kind, expireAtMs,
//   value slab, offset, length, next older version of the same key;
// - point lookups: an open-addressing hash table of (node id, key hash) pairs in one Int32Array
//   (linear probing, load <= 1/2), so a probe reads the arena only when the hashes match. The
//   hash is bloomHash's, so a read hashes its key once for both memtables and the filters. It
//   doubles incrementally: the old table stays readable while each new node moves
//   REHASH_NODES_PER_ADD old nodes into the new one (a whole rehash took ~10-20 ms at 256k keys);
// - growth: the typed arrays double when full; version arrays start at 1.5x the node arrays'
//   capacity so the two never double in the same put (a full copy of both took ~10 ms at 256k);
//   trimArrays() (an idle server) shrinks them to what the table holds;
// - order: two sorted runs of node ids, `main` and a small `tail` (at most TAIL_NODES_MAX) that
//   takes new keys in put order, sorted at the next ordered read or merge (memtable-tail.ts: keys
//   arriving interleaved over many sorted runs, as a time series' samples do, without comparing
//   their bytes; a few keys put between reads are placed by binary search), and is merged into
//   `main` when full (a galloping search per tail node plus moves of main's ids). Key
//   comparisons look at each node's first 16 bytes, kept as u32s (bytes 8..15 read only when bytes
//   0..7 tie, as element keys' do), before the arena bytes.
// Invariants:
// - The memtable owns its bytes: put() copies key and value into the arena. Entries handed out
//   by get() and by iterators are built on demand over arena views: callers must not mutate them.
//   get()'s entry carries the caller's key Buffer (same bytes) as its key.
// - Nodes are never removed (a delete is a 'delete' version), so the set of keys only grows, and
//   a node id names the same key for the life of the table. Keys in main and tail are disjoint.
// - A node's versions form a chain, newest (highest seq) first. put(entry, false) leaves only the
//   new version; put(entry, true) keeps older ones (a snapshot may still read them). A put never
//   carries a seq already present for its key.
// - approximateBytes() counts every key and version ever stored, replaced versions included:
//   their bytes stay in the arena until the table is dropped (as in LevelDB's skiplist arena).
// - Iterators survive puts between next() calls: each remembers its node and the seq it returned
//   and re-seeks past them when the table's mutation counter has moved.
// - A seek's samples of main (every MAIN_SAMPLE_STRIDE-th key's first 16 bytes) belong to one state
//   of main, named by its array and count; a seek in any other state ignores them.
// Measured (Node 20.20, 2 noisy cores, 300k random 28-byte keys, 100-byte values, bench/hot-path.ts;
// before: a Map and a B+tree of latin1 strings): put 0.98 us (3.07), get 0.61 us (0.81), JS heap
// held after the fill 0 MiB (83 MiB; the typed arrays and slabs live outside the JS heap).
import assert from 'node:assert/strict';
import { bloomHash } from './bloom.js';
import type { Entry, EntryIterator } from './entry.js';
import { TailSorter } from './memtable-tail.js';

/** Bytes per version beyond its value: the typed-array slots of a version. */
export const MEMTABLE_VERSION_OVERHEAD_BYTES = 40;
/** Bytes per distinct key beyond its bytes: node slots, order and hash table slots. */
export const MEMTABLE_KEY_OVERHEAD_BYTES = 48;
export const SLAB_BYTES = 1024 * 1024;
/** A key or value at least this long gets its own slab instead of a share of one. */
export const BIG_RECORD_BYTES_MIN = 64 * 1024;
/** New keys go into a sorted tail of at most this many; a full tail merges into the main run. */
export const TAIL_NODES_MAX = 4096;
const CAPACITY_MIN = 1024;
/** Version arrays start larger so they double at other puts than the node arrays. */
const VERSION_CAPACITY_MIN = 1536;
/** trimArrays() leaves the arrays as they are when they have fewer spare slots than this, all together. */
const TRIM_SLACK_COUNT_MIN = 64 * 1024;
/** Old nodes moved into a growing hash table per node added: done well before the next doubling. */
const REHASH_NODES_PER_ADD = 4;
const KIND = { put: 1, delete: 2 } as const;
const EMPTY = Buffer.alloc(0);
const SHORT_BYTES_MAX = 48; // compared and hashed in JS below this length; natively above
/** A seek's search of main first bisects every MAIN_SAMPLE_STRIDE-th node's first 16 key bytes, kept in one array. */
export const MAIN_SAMPLE_STRIDE = 8;
/**
 * Key bytes kept per node as u32s and compared before the arena: bytes 0..7 in prefixHigh and
 * prefixLow, bytes 8..15 in prefixNext (NEXT_WORDS a node), read only when bytes 0..7 tie. Every
 * element key ties on bytes 0..7 (namespace, the version's high half), and a time series' raw
 * samples arrive interleaved over its series: bytes 8..15 (version, kind, generation) tell the
 * series apart without the arena.
 */
const NEXT_WORDS = 2;
const PREFIX_BYTES = 16;
/** Key words per sample: bytes 0..15 (a sorted set's elements share their first 12: namespace and version). */
const SAMPLE_WORDS = 4;
/**
 * Seeks at one state of main per sample before the samples are taken: a read-mostly table takes
 * them soon; under writes, whose tail merges change main, taking them costs at most 1 / this
 * sample reads per seek.
 */
const SEEKS_PER_SAMPLE_MIN = 1 / 8;
/** Nodes put since the tail was last sorted that sortTail() places one by one (binary search and move); more are sorted together. */
const TAIL_INSERTS_ONE_BY_ONE_MAX = 8;

function grownInt32(array: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const grown = new Int32Array(Math.max(needed, array.length * 2));
  grown.set(array);
  return grown;
}

function grownFloat64(array: Float64Array<ArrayBuffer>, needed: number): Float64Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const grown = new Float64Array(Math.max(needed, array.length * 2));
  grown.set(array);
  return grown;
}

function grownUint8(array: Uint8Array<ArrayBuffer>, needed: number): Uint8Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const grown = new Uint8Array(Math.max(needed, array.length * 2));
  grown.set(array);
  return grown;
}

function grownUint32(array: Uint32Array<ArrayBuffer>, needed: number): Uint32Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const grown = new Uint32Array(Math.max(needed, array.length * 2));
  grown.set(array);
  return grown;
}

/** Key bytes start .. start + 3 as a big-endian u32, zero-padded past the key's end. */
function prefixWord(key: Uint8Array, start: number): number {
  const length = key.length;
  if (start + 4 <= length) return ((key[start]! << 24) | (key[start + 1]! << 16) | (key[start + 2]! << 8) | key[start + 3]!) >>> 0;
  let word = 0;
  for (let index = start; index < start + 4; index++) word = word * 256 + (index < length ? key[index]! : 0);
  return word;
}

/** The typed arrays of a memtable's nodes, versions, hash table and order (see takeArrays). */
export interface MemtableArrays {
  keySlab: Int32Array<ArrayBuffer>;
  keyOffset: Int32Array<ArrayBuffer>;
  keyLength: Int32Array<ArrayBuffer>;
  nodeHash: Int32Array<ArrayBuffer>;
  newest: Int32Array<ArrayBuffer>;
  prefixHigh: Uint32Array<ArrayBuffer>;
  prefixLow: Uint32Array<ArrayBuffer>;
  prefixNext: Uint32Array<ArrayBuffer>;
  main: Int32Array<ArrayBuffer>;
  buckets: Int32Array<ArrayBuffer>;
  versionSeq: Float64Array<ArrayBuffer>;
  versionExpire: Float64Array<ArrayBuffer>;
  versionKind: Uint8Array<ArrayBuffer>;
  valueSlab: Int32Array<ArrayBuffer>;
  valueOffset: Int32Array<ArrayBuffer>;
  valueLength: Int32Array<ArrayBuffer>;
  olderVersion: Int32Array<ArrayBuffer>;
}

/** The bytes of a set of memtable arrays. */
export function arraysBytes(arrays: MemtableArrays): number {
  let bytes = 0;
  for (const array of Object.values(arrays) as ArrayBufferView[]) bytes += array.byteLength;
  return bytes;
}

export class Memtable {
  // arena
  private slabs: Buffer[] = [];
  private slab: Buffer = EMPTY; // the slab being filled, slabs[slabIndex]
  private slabIndex = -1;
  private slabUsed = 0;
  private storedOffset = 0; // set by store()
  // nodes (distinct keys)
  private nodeCount = 0;
  private keySlab = new Int32Array(CAPACITY_MIN);
  private keyOffset = new Int32Array(CAPACITY_MIN);
  private keyLength = new Int32Array(CAPACITY_MIN);
  private nodeHash = new Int32Array(CAPACITY_MIN);
  private newest = new Int32Array(CAPACITY_MIN);
  private prefixHigh = new Uint32Array(CAPACITY_MIN); // key bytes 0..3, big-endian, zero-padded
  private prefixLow = new Uint32Array(CAPACITY_MIN); // key bytes 4..7
  private prefixNext = new Uint32Array(NEXT_WORDS * CAPACITY_MIN); // key bytes 8..15, at NEXT_WORDS * node
  // versions
  private versionSlots = 0; // version ids handed out (replaced ones included)
  private liveVersionCount = 0;
  private versionSeq = new Float64Array(VERSION_CAPACITY_MIN);
  private versionExpire = new Float64Array(VERSION_CAPACITY_MIN);
  private versionKind = new Uint8Array(VERSION_CAPACITY_MIN);
  private valueSlab = new Int32Array(VERSION_CAPACITY_MIN);
  private valueOffset = new Int32Array(VERSION_CAPACITY_MIN);
  private valueLength = new Int32Array(VERSION_CAPACITY_MIN);
  private olderVersion = new Int32Array(VERSION_CAPACITY_MIN);
  // hash table: pairs (node id + 1, hash) at [2 * slot], [2 * slot + 1]; node id + 1 = 0: empty
  private buckets = new Int32Array(2 * 2 * CAPACITY_MIN);
  // while the table doubles: the previous table, holding nodes 0 .. rehashEnd - 1; nodes below
  // rehashNext are in `buckets` too, as is every node from rehashEnd on
  private oldBuckets: Int32Array | undefined;
  private rehashNext = 0;
  private rehashEnd = 0;
  // order
  private main = new Int32Array(CAPACITY_MIN);
  private mainCount = 0;
  private readonly tail: Int32Array;
  private tailCount = 0;
  private tailSortedCount = 0; // tail[0 .. tailSortedCount) is in key order; the rest in put order
  private readonly tailSorter: TailSorter;
  private bytes = 0;
  private mutations = 0;

  private pins = 0; // readers (scan cursors) that may still use this table's arrays
  // the samples of main (MAIN_SAMPLE_STRIDE), of its state when main was sampledMain holding sampledCount ids
  private sampleWords = new Uint32Array(0);
  private sampledMain: Int32Array | undefined;
  private sampledCount = 0;
  private sampled = false; // sampleWords holds that state's samples
  private seeksUnsampled = 0; // lowerBound() calls on main in that state, samples not taken
  private retired = false; // takeArrays() gave its arrays away: an iterator still on it is a bug

  /**
   * tailNodesMax: tests pass a tiny one to merge often. arrays: those of a retired memtable
   * (takeArrays()), already as large as a full memtable needs and already paged in, so this one
   * never doubles them while it fills (a doubling at half a million keys, with the page faults of
   * the new arrays, held the event loop 10-20 ms).
   */
  constructor(private readonly tailNodesMax: number = TAIL_NODES_MAX, arrays?: MemtableArrays) {
    assert.ok(Number.isSafeInteger(tailNodesMax) && tailNodesMax >= 1, 'tailNodesMax is a positive integer');
    this.tail = new Int32Array(tailNodesMax);
    this.tailSorter = new TailSorter(tailNodesMax);
    if (arrays !== undefined) {
      this.useArrays(arrays);
      this.buckets.fill(0); // every slot empty; the other arrays are written before they are read
    }
  }

  private ownArrays(): MemtableArrays {
    return {
      keySlab: this.keySlab, keyOffset: this.keyOffset, keyLength: this.keyLength, nodeHash: this.nodeHash, newest: this.newest,
      prefixHigh: this.prefixHigh, prefixLow: this.prefixLow, prefixNext: this.prefixNext, main: this.main, buckets: this.buckets,
      versionSeq: this.versionSeq, versionExpire: this.versionExpire, versionKind: this.versionKind,
      valueSlab: this.valueSlab, valueOffset: this.valueOffset, valueLength: this.valueLength, olderVersion: this.olderVersion,
    };
  }

  private useArrays(arrays: MemtableArrays): void {
    ({ keySlab: this.keySlab, keyOffset: this.keyOffset, keyLength: this.keyLength, nodeHash: this.nodeHash, newest: this.newest } = arrays);
    ({ prefixHigh: this.prefixHigh, prefixLow: this.prefixLow, prefixNext: this.prefixNext, main: this.main, buckets: this.buckets } = arrays);
    ({ versionSeq: this.versionSeq, versionExpire: this.versionExpire, versionKind: this.versionKind } = arrays);
    ({ valueSlab: this.valueSlab, valueOffset: this.valueOffset, valueLength: this.valueLength, olderVersion: this.olderVersion } = arrays);
  }

  /** Whether takeArrays() handed this table's arrays on (its iterators must not go on). */
  isRetired(): boolean {
    return this.retired;
  }

  /** A reader that may outlive the engine's use of this table (a scan cursor) holds a pin. */
  pin(): void {
    this.pins++;
  }

  unpin(): void {
    assert.ok(this.pins > 0, 'Memtable.unpin() without pin()');
    this.pins--;
  }

  /**
   * For a table nobody reads any more (flushed, dropped by the engine): hands its typed arrays to
   * the next memtable and becomes an empty table with small arrays of its own. undefined while a
   * reader holds a pin (its arrays are then left to the garbage collector). Keys and values stay
   * in their slabs, never reused: Buffers handed out by get() keep pointing at the right bytes.
   */
  takeArrays(): MemtableArrays | undefined {
    if (this.pins > 0) return undefined;
    this.oldBuckets = undefined; // a doubling in progress: the new table goes (the next memtable clears it)
    this.retired = true;
    const arrays = this.ownArrays();
    this.useArrays(new Memtable(this.tailNodesMax).ownArrays()); // small ones of its own
    this.nodeCount = 0;
    this.versionSlots = 0;
    this.liveVersionCount = 0;
    this.mainCount = 0;
    this.tailCount = 0;
    this.tailSortedCount = 0;
    this.bytes = 0;
    this.mutations++;
    return arrays;
  }

  /**
   * Shrinks the typed arrays to what the table holds plus a quarter (an idle server's memtable got
   * arrays sized for a full one from takeArrays()); the hash table is rebuilt at the smallest power
   * of two that keeps its load <= 1/2. Returns the bytes let go (garbage until the next GC). Puts
   * past the quarter double the arrays again. Contents, order and iterators are unaffected.
   */
  trimArrays(): number {
    if (this.retired) return 0;
    while (this.oldBuckets !== undefined) this.continueRehash();
    const before = arraysBytes(this.ownArrays());
    const nodes = Math.min(this.keySlab.length, Math.max(CAPACITY_MIN, this.nodeCount + (this.nodeCount >>> 2)));
    const versions = Math.min(this.versionSeq.length, Math.max(VERSION_CAPACITY_MIN, this.versionSlots + (this.versionSlots >>> 2)));
    const mainLength = Math.min(this.main.length, Math.max(CAPACITY_MIN, this.nodeCount + (this.nodeCount >>> 2)));
    let bucketsLength = 2 * 2 * CAPACITY_MIN;
    while (4 * this.nodeCount > bucketsLength) bucketsLength *= 2;
    const slackCount = this.keySlab.length - nodes + this.versionSeq.length - versions + this.main.length - mainLength + this.buckets.length - bucketsLength;
    if (slackCount < TRIM_SLACK_COUNT_MIN) return 0;
    this.keySlab = this.keySlab.slice(0, nodes);
    this.keyOffset = this.keyOffset.slice(0, nodes);
    this.keyLength = this.keyLength.slice(0, nodes);
    this.nodeHash = this.nodeHash.slice(0, nodes);
    this.newest = this.newest.slice(0, nodes);
    this.prefixHigh = this.prefixHigh.slice(0, nodes);
    this.prefixLow = this.prefixLow.slice(0, nodes);
    this.prefixNext = this.prefixNext.slice(0, NEXT_WORDS * nodes);
    this.main = this.main.slice(0, mainLength);
    this.versionSeq = this.versionSeq.slice(0, versions);
    this.versionExpire = this.versionExpire.slice(0, versions);
    this.versionKind = this.versionKind.slice(0, versions);
    this.valueSlab = this.valueSlab.slice(0, versions);
    this.valueOffset = this.valueOffset.slice(0, versions);
    this.valueLength = this.valueLength.slice(0, versions);
    this.olderVersion = this.olderVersion.slice(0, versions);
    if (bucketsLength < this.buckets.length) {
      this.buckets = new Int32Array(bucketsLength);
      for (let node = 0; node < this.nodeCount; node++) this.placeInBuckets(node, this.nodeHash[node]!);
    }
    return before - arraysBytes(this.ownArrays());
  }

  put(entry: Entry, keepOlderVersions: boolean): void {
    this.putParts(entry.key, entry.seq, entry.kind === 'put', entry.value, entry.expireAtMs, keepOlderVersions);
  }

  /** put() of an entry given as its fields (the engine's write path: no Entry per op). */
  putParts(key: Buffer, seq: number, isPut: boolean, value: Buffer, expireAtMs: number, keepOlderVersions: boolean): void {
    assert.ok(Number.isSafeInteger(seq) && seq >= 0, 'entry seq must be a safe non-negative integer');
    assert.ok(isPut || value.length === 0, 'a delete carries an empty value');
    this.mutations++;
    const hash = bloomHash(key) | 0; // stored in an Int32Array
    let node = this.findNode(key, hash);
    if (node < 0) {
      node = this.addNode(key, hash);
      this.bytes += key.length + MEMTABLE_KEY_OVERHEAD_BYTES;
    } else if (!keepOlderVersions) {
      const newest = this.newest[node]!;
      if (!(seq > this.versionSeq[newest]!)) assert.fail(`put of seq ${seq} would replace newer seq ${this.versionSeq[newest]}`);
    }
    const version = this.addVersion(seq, isPut, value, expireAtMs);
    this.bytes += value.length + MEMTABLE_VERSION_OVERHEAD_BYTES;
    const newest = this.newest[node]!;
    if (newest < 0 || !keepOlderVersions) {
      for (let old = newest; old >= 0; old = this.olderVersion[old]!) this.liveVersionCount--;
      this.olderVersion[version] = -1;
      this.newest[node] = version;
    } else {
      // keep older versions: link in by seq, newest first
      let previous = -1;
      let current = newest;
      while (current >= 0 && this.versionSeq[current]! > seq) {
        previous = current;
        current = this.olderVersion[current]!;
      }
      if (current >= 0 && this.versionSeq[current] === seq) assert.fail(`seq ${seq} already present for this key`);
      this.olderVersion[version] = current;
      if (previous < 0) this.newest[node] = version;
      else this.olderVersion[previous] = version;
    }
    this.liveVersionCount++;
  }

  /** Newest version with seq <= snapshotSeq (may be a 'delete'); undefined when none. */
  /** keyHash: bloomHash(key), when the caller has it (the engine hashes once per read). */
  get(key: Buffer, snapshotSeq?: number, keyHash = bloomHash(key)): Entry | undefined {
    if (this.nodeCount === 0) return undefined;
    const node = this.findNode(key, keyHash | 0);
    if (node < 0) return undefined;
    let version = this.newest[node]!;
    if (snapshotSeq !== undefined) while (version >= 0 && this.versionSeq[version]! > snapshotSeq) version = this.olderVersion[version]!;
    return version < 0 ? undefined : this.entryOf(key, version);
  }

  approximateBytes(): number {
    return this.bytes;
  }

  /** Bytes the table holds outside the JS heap: its arena slabs and its typed arrays (INFO memory). */
  residentBytes(): { arenaBytes: number; indexBytes: number } {
    let arenaBytes = 0;
    for (const slab of this.slabs) arenaBytes += slab.length;
    let indexBytes = this.tail.byteLength + (this.oldBuckets?.byteLength ?? 0);
    if (!this.retired) indexBytes += arraysBytes(this.ownArrays());
    return { arenaBytes, indexBytes };
  }

  /** Number of versions held (all keys). */
  entryCount(): number {
    return this.liveVersionCount;
  }

  /** Number of distinct keys. */
  keyCount(): number {
    return this.nodeCount;
  }

  /** Bumped by every put; iterators compare it to know their position may be stale. */
  mutationCount(): number {
    return this.mutations;
  }

  /** All versions in entry order; stays correct across puts between calls. */
  iterator(): EntryIterator {
    return new MemtableIterator(this);
  }

  /** iterator() with the raw accessors a flush reads instead of entry() (no Entry, no value view). */
  flushIterator(): MemtableIterator {
    return new MemtableIterator(this);
  }

  // ---- for MemtableIterator ------------------------------------------------------------------

  /** The node at position `index` of the main run (index < mainLength()), or of the tail. */
  mainNode(index: number): number {
    return this.main[index]!;
  }
  tailNode(index: number): number {
    if (this.tailSortedCount !== this.tailCount) this.sortTail();
    return this.tail[index]!;
  }
  mainLength(): number {
    return this.mainCount;
  }
  tailLength(): number {
    if (this.tailSortedCount !== this.tailCount) this.sortTail();
    return this.tailCount;
  }
  newestVersion(node: number): number {
    return this.newest[node]!;
  }
  olderThan(version: number): number {
    return this.olderVersion[version]!;
  }
  seqOf(version: number): number {
    return this.versionSeq[version]!;
  }

  /**
   * First position of run (main or tail) whose key is >= key (nodes' first 8 bytes compared as words
   * first). In main, once taken (mainSamples), the samples narrow the search to MAIN_SAMPLE_STRIDE
   * positions: a bisection over one compact array instead of ~20 steps each reading five arrays
   * and the arena at random, where every key of a sorted set ties on the first 12 bytes.
   */
  lowerBound(inTail: boolean, key: Buffer): number {
    if (inTail && this.tailSortedCount !== this.tailCount) this.sortTail();
    const run = inTail ? this.tail : this.main;
    const keyHigh = prefixWord(key, 0);
    const keyLow = prefixWord(key, 4);
    const key2 = prefixWord(key, 8);
    const key3 = prefixWord(key, 12);
    let low = 0;
    let high = inTail ? this.tailCount : this.mainCount;
    const samples = inTail ? undefined : this.mainSamples();
    if (samples !== undefined) {
      const below = this.samplesBelow(samples, key, keyHigh, keyLow, key2, key3);
      if (below === 0) return 0; // main[0] >= key
      low = (below - 1) * MAIN_SAMPLE_STRIDE + 1; // main[low - 1] < key
      high = Math.min(below * MAIN_SAMPLE_STRIDE, high); // main[high] >= key, or high is the end
    }
    while (low < high) {
      const mid = (low + high) >>> 1;
      const node = run[mid]!;
      const nodeHigh = this.prefixHigh[node]!;
      const nodeLow = this.prefixLow[node]!;
      const order = nodeHigh !== keyHigh ? keyHigh - nodeHigh : nodeLow !== keyLow ? keyLow - nodeLow : this.compareWithNodePastPrefix(key, key2, key3, node);
      if (order > 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The samples of main, when taken for its current state or worth taking now; undefined otherwise. */
  private mainSamples(): Uint32Array | undefined {
    const count = this.mainCount;
    if (this.sampledMain !== this.main || this.sampledCount !== count) {
      this.sampledMain = this.main; // a tail merge raises the count; takeArrays() swaps the array
      this.sampledCount = count;
      this.sampled = false;
      this.seeksUnsampled = 0;
    }
    if (this.sampled) return this.sampleWords;
    const sampleCount = Math.ceil(count / MAIN_SAMPLE_STRIDE);
    if (++this.seeksUnsampled < sampleCount * SEEKS_PER_SAMPLE_MIN) return undefined;
    if (this.sampleWords.length < sampleCount * SAMPLE_WORDS) this.sampleWords = new Uint32Array(sampleCount * SAMPLE_WORDS);
    const words = this.sampleWords;
    for (let sample = 0; sample < sampleCount; sample++) {
      const node = this.main[sample * MAIN_SAMPLE_STRIDE]!;
      const at = sample * SAMPLE_WORDS;
      words[at] = this.prefixHigh[node]!;
      words[at + 1] = this.prefixLow[node]!;
      words[at + 2] = this.prefixNext[NEXT_WORDS * node]!;
      words[at + 3] = this.prefixNext[NEXT_WORDS * node + 1]!;
    }
    this.sampled = true;
    return words;
  }

  /** How many samples of main have a key below key (its words 0..3 given). */
  private samplesBelow(words: Uint32Array, key: Buffer, keyHigh: number, keyLow: number, key2: number, key3: number): number {
    let low = 0;
    let high = Math.ceil(this.sampledCount / MAIN_SAMPLE_STRIDE);
    while (low < high) {
      const mid = (low + high) >>> 1;
      const at = mid * SAMPLE_WORDS;
      let below: boolean;
      if (words[at] !== keyHigh) below = words[at]! < keyHigh;
      else if (words[at + 1] !== keyLow) below = words[at + 1]! < keyLow;
      else if (words[at + 2] !== key2) below = words[at + 2]! < key2;
      else if (words[at + 3] !== key3) below = words[at + 3]! < key3;
      else below = this.compareWithNode(key, this.main[mid * MAIN_SAMPLE_STRIDE]!, PREFIX_BYTES) > 0;
      if (below) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** First position of run whose key is >= node's key. */
  lowerBoundNode(inTail: boolean, node: number): number {
    if (inTail && this.tailSortedCount !== this.tailCount) this.sortTail();
    const run = inTail ? this.tail : this.main;
    let low = 0;
    let high = inTail ? this.tailCount : this.mainCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compareNodes(run[mid]!, node) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  compareNodes(a: number, b: number): number {
    const aHigh = this.prefixHigh[a]!;
    const bHigh = this.prefixHigh[b]!;
    if (aHigh !== bHigh) return aHigh - bHigh;
    const aLow = this.prefixLow[a]!;
    const bLow = this.prefixLow[b]!;
    if (aLow !== bLow) return aLow - bLow;
    return this.compareNodesPastPrefix(a, b);
  }

  /**
   * compareNodes() of nodes whose bytes 0..7 are equal (element keys): bytes 8..15 as words, then
   * the arena. Out of compareNodes so that the words 0 and 1 compare, all most keys need, stays
   * small enough to be inlined into the searches.
   */
  private compareNodesPastPrefix(a: number, b: number): number {
    const next = this.prefixNext;
    let aWord = next[NEXT_WORDS * a]!;
    let bWord = next[NEXT_WORDS * b]!;
    if (aWord !== bWord) return aWord - bWord;
    aWord = next[NEXT_WORDS * a + 1]!;
    bWord = next[NEXT_WORDS * b + 1]!;
    if (aWord !== bWord) return aWord - bWord;
    const aSlab = this.slabs[this.keySlab[a]!]!;
    const bSlab = this.slabs[this.keySlab[b]!]!;
    const aStart = this.keyOffset[a]!;
    const bStart = this.keyOffset[b]!;
    const aLength = this.keyLength[a]!;
    const bLength = this.keyLength[b]!;
    const length = aLength < bLength ? aLength : bLength;
    if (length > SHORT_BYTES_MAX) return aSlab.compare(bSlab, bStart, bStart + bLength, aStart, aStart + aLength);
    // equal words: the keys' first min(length, PREFIX_BYTES) bytes are equal (an element's
    // namespace, version, kind and the start of its tail), so the comparison starts after them
    for (let index = length < PREFIX_BYTES ? length : PREFIX_BYTES; index < length; index++) {
      const difference = aSlab[aStart + index]! - bSlab[bStart + index]!;
      if (difference !== 0) return difference;
    }
    return aLength - bLength;
  }

  /** An Entry over version's bytes, with `key` as its key. */
  entryOf(key: Buffer, version: number): Entry {
    const length = this.valueLength[version]!;
    const offset = this.valueOffset[version]!;
    const value = length === 0 ? EMPTY : this.slabs[this.valueSlab[version]!]!.subarray(offset, offset + length);
    const kind = this.versionKind[version] === KIND.put ? 'put' : 'delete';
    return { key, seq: this.versionSeq[version]!, kind, value, expireAtMs: this.versionExpire[version]! };
  }

  /** version's fields, for MemtableIterator's raw accessors. */
  kindIsPut(version: number): boolean {
    return this.versionKind[version] === KIND.put;
  }
  expireAtOf(version: number): number {
    return this.versionExpire[version]!;
  }
  valueSourceOf(version: number): Buffer {
    return this.valueLength[version] === 0 ? EMPTY : this.slabs[this.valueSlab[version]!]!;
  }
  valueStartOf(version: number): number {
    return this.valueLength[version] === 0 ? 0 : this.valueOffset[version]!;
  }
  valueLengthOf(version: number): number {
    return this.valueLength[version]!;
  }
  /** bloomHash(key of node), as put() computed it (unsigned). */
  hashOf(node: number): number {
    return this.nodeHash[node]! >>> 0;
  }

  keyOf(node: number): Buffer {
    const offset = this.keyOffset[node]!;
    return this.slabs[this.keySlab[node]!]!.subarray(offset, offset + this.keyLength[node]!);
  }

  // ---- internals -----------------------------------------------------------------------------

  /** key against node's key when their bytes 0..7 tie (key2, key3: key's bytes 8..15 as words). */
  private compareWithNodePastPrefix(key: Buffer, key2: number, key3: number, node: number): number {
    let word = this.prefixNext[NEXT_WORDS * node]!;
    if (word !== key2) return key2 - word;
    word = this.prefixNext[NEXT_WORDS * node + 1]!;
    if (word !== key3) return key3 - word;
    return this.compareWithNode(key, node, PREFIX_BYTES);
  }

  /**
   * key against node's key. wordsTied: PREFIX_BYTES when all their prefix words are equal (their
   * first min(length, PREFIX_BYTES) bytes then are), so the bytes compared start there.
   */
  private compareWithNode(key: Buffer, node: number, wordsTied = 0): number {
    const slab = this.slabs[this.keySlab[node]!]!;
    const start = this.keyOffset[node]!;
    const nodeLength = this.keyLength[node]!;
    const length = key.length < nodeLength ? key.length : nodeLength;
    if (length > SHORT_BYTES_MAX) return key.compare(slab, start, start + nodeLength);
    for (let index = length < wordsTied ? length : wordsTied; index < length; index++) {
      const difference = key[index]! - slab[start + index]!;
      if (difference !== 0) return difference;
    }
    return key.length - nodeLength;
  }

  private findNode(key: Buffer, hash: number): number {
    const node = this.findNodeIn(this.buckets, key, hash);
    if (node >= 0 || this.oldBuckets === undefined) return node;
    return this.findNodeIn(this.oldBuckets, key, hash); // not yet moved to the new table
  }

  private findNodeIn(buckets: Int32Array, key: Buffer, hash: number): number {
    const mask = (buckets.length >>> 1) - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = buckets[2 * slot]!;
      if (stored === 0) return -1;
      if (buckets[2 * slot + 1] !== hash) continue;
      const node = stored - 1;
      if (this.keyLength[node] === key.length && this.compareWithNode(key, node) === 0) return node;
    }
  }

  private addNode(key: Buffer, hash: number): number {
    const node = this.nodeCount++;
    if (node >= this.keySlab.length) {
      const needed = node + 1;
      this.keySlab = grownInt32(this.keySlab, needed);
      this.keyOffset = grownInt32(this.keyOffset, needed);
      this.keyLength = grownInt32(this.keyLength, needed);
      this.nodeHash = grownInt32(this.nodeHash, needed);
      this.newest = grownInt32(this.newest, needed);
      this.prefixHigh = grownUint32(this.prefixHigh, needed);
      this.prefixLow = grownUint32(this.prefixLow, needed);
      this.prefixNext = grownUint32(this.prefixNext, NEXT_WORDS * needed);
    }
    this.keySlab[node] = this.store(key);
    this.keyOffset[node] = this.storedOffset;
    this.keyLength[node] = key.length;
    this.nodeHash[node] = hash;
    this.newest[node] = -1;
    this.prefixHigh[node] = prefixWord(key, 0);
    this.prefixLow[node] = prefixWord(key, 4);
    this.prefixNext[NEXT_WORDS * node] = prefixWord(key, 8);
    this.prefixNext[NEXT_WORDS * node + 1] = prefixWord(key, 12);
    if (4 * this.nodeCount > this.buckets.length) this.startRehash();
    this.placeInBuckets(node, hash);
    if (this.oldBuckets !== undefined) this.continueRehash();
    this.insertIntoTail(node);
    return node;
  }

  private addVersion(seq: number, isPut: boolean, value: Buffer, expireAtMs: number): number {
    const version = this.versionSlots++;
    if (version >= this.versionSeq.length) {
      const needed = version + 1;
      this.versionSeq = grownFloat64(this.versionSeq, needed);
      this.versionExpire = grownFloat64(this.versionExpire, needed);
      this.versionKind = grownUint8(this.versionKind, needed);
      this.valueSlab = grownInt32(this.valueSlab, needed);
      this.valueOffset = grownInt32(this.valueOffset, needed);
      this.valueLength = grownInt32(this.valueLength, needed);
      this.olderVersion = grownInt32(this.olderVersion, needed);
    }
    this.versionSeq[version] = seq;
    this.versionExpire[version] = expireAtMs;
    this.versionKind[version] = isPut ? KIND.put : KIND.delete;
    if (value.length > 0) {
      this.valueSlab[version] = this.store(value);
      this.valueOffset[version] = this.storedOffset;
    }
    this.valueLength[version] = value.length;
    return version;
  }

  /** Copies bytes into the arena; returns the slab index, and sets storedOffset. */
  private store(bytes: Buffer): number {
    const length = bytes.length;
    if (length >= BIG_RECORD_BYTES_MIN) {
      this.slabs.push(Buffer.from(bytes));
      this.storedOffset = 0;
      return this.slabs.length - 1;
    }
    if (this.slab.length - this.slabUsed < length || this.slabIndex < 0) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.slabs.push(this.slab);
      this.slabIndex = this.slabs.length - 1;
      this.slabUsed = 0;
    }
    const offset = this.slabUsed;
    if (length <= SHORT_BYTES_MAX) {
      const slab = this.slab;
      for (let index = 0; index < length; index++) slab[offset + index] = bytes[index]!;
    } else {
      this.slab.set(bytes, offset);
    }
    this.slabUsed += length;
    this.storedOffset = offset;
    return this.slabIndex;
  }

  private placeInBuckets(node: number, hash: number): void {
    const buckets = this.buckets;
    const mask = (buckets.length >>> 1) - 1;
    let slot = hash & mask;
    while (buckets[2 * slot] !== 0) slot = (slot + 1) & mask;
    buckets[2 * slot] = node + 1;
    buckets[2 * slot + 1] = hash;
  }

  /** Doubles the table: an empty new one takes new nodes; the old one stays readable. */
  private startRehash(): void {
    while (this.oldBuckets !== undefined) this.continueRehash(); // never: one doubling ends long before the next
    this.oldBuckets = this.buckets;
    this.buckets = new Int32Array(2 * this.buckets.length);
    this.rehashNext = 0;
    this.rehashEnd = this.nodeCount - 1; // every node but the one being added
  }

  /** Moves the next few nodes of the old table into the new one; drops the old one when done. */
  private continueRehash(): void {
    const end = Math.min(this.rehashEnd, this.rehashNext + REHASH_NODES_PER_ADD);
    for (let node = this.rehashNext; node < end; node++) this.placeInBuckets(node, this.nodeHash[node]!);
    this.rehashNext = end;
    if (end === this.rehashEnd) this.oldBuckets = undefined;
  }

  /** A new node joins the tail in put order; the next ordered read or merge sorts it (sortTail). */
  private insertIntoTail(node: number): void {
    if (this.tailCount === this.tailNodesMax) this.mergeTail();
    this.tail[this.tailCount++] = node;
  }

  /**
   * Brings the nodes put since the tail was last sorted into order: a few are each placed by a
   * binary search of the sorted part (what every put cost before puts only appended); more are
   * sorted together (memtable-tail.ts: by their first 16 bytes in groups, without comparing a
   * time series' interleaved samples byte by byte) and merged into the sorted part from the back.
   */
  private sortTail(): void {
    const tail = this.tail;
    const sortedCount = this.tailSortedCount;
    const count = this.tailCount;
    if (count - sortedCount <= TAIL_INSERTS_ONE_BY_ONE_MAX) {
      for (let end = sortedCount; end < count; end++) {
        const node = tail[end]!;
        const low = this.tailLowerBound(node, end);
        tail.copyWithin(low + 1, low, end);
        tail[low] = node;
      }
    } else {
      const nodes = { prefixHigh: this.prefixHigh, prefixLow: this.prefixLow, prefixNext: this.prefixNext, compareNodes: (a: number, b: number) => this.compareNodes(a, b) };
      this.tailSorter.sort(nodes, tail, sortedCount, count);
      if (sortedCount > 0 && this.compareNodes(tail[sortedCount - 1]!, tail[sortedCount]!) > 0) this.mergeTailRuns(sortedCount);
    }
    this.tailSortedCount = count;
  }

  /** First position of tail[0 .. end) whose key is greater than node's (node is in neither run). */
  private tailLowerBound(node: number, end: number): number {
    const tail = this.tail;
    let low = 0;
    let high = end;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compareNodes(tail[mid]!, node) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Merges the sorted runs tail[0 .. middle) and tail[middle .. tailCount) in place, from the back. */
  private mergeTailRuns(middle: number): void {
    const tail = this.tail;
    const right = tail.slice(middle, this.tailCount);
    let left = middle - 1;
    let at = this.tailCount - 1;
    for (let index = right.length - 1; index >= 0; index--) {
      const node = right[index]!;
      while (left >= 0 && this.compareNodes(tail[left]!, node) > 0) tail[at--] = tail[left--]!;
      tail[at--] = node;
    }
  }

  /**
   * Merges the tail into main, from the back: every main id moves at most once. Each tail node's
   * place is galloped for down from the previous one's (probes 1, 3, 7 ... below it, then a binary
   * search of the last gap): tail nodes that go at one place of main take one compare each (a time
   * series' new samples all go after its newest sample in main), and random keys about 2 log2 of
   * the gap between places instead of log2 of main.
   */
  private mergeTail(): void {
    if (this.tailSortedCount !== this.tailCount) this.sortTail();
    const tailCount = this.tailCount;
    this.main = grownInt32(this.main, this.mainCount + tailCount);
    const main = this.main;
    let end = this.mainCount; // main[0 .. end) not yet moved
    for (let index = tailCount - 1; index >= 0; index--) {
      const node = this.tail[index]!;
      let low = 0; // main[0 .. low) < node
      let high = end; // main[high .. end) > node
      for (let step = 1; high > 0; step *= 2) {
        const probe = high > step ? high - step : 0;
        if (this.compareNodes(main[probe]!, node) < 0) {
          low = probe + 1;
          break;
        }
        high = probe;
      }
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (this.compareNodes(main[mid]!, node) < 0) low = mid + 1;
        else high = mid;
      }
      if (low < end) main.copyWithin(low + index + 1, low, end); // none for a series' next samples
      main[low + index] = node;
      end = low;
    }
    this.mainCount += tailCount;
    this.tailCount = 0;
    this.tailSortedCount = 0;
  }

  // ---- a frozen table handed to a flush on another thread (flush-worker.ts) --------------------

  /**
   * Copies what a flush's iterator reads (the used part of the node and version arrays, both runs,
   * the used part of every slab) into one SharedArrayBuffer: about approximateBytes() bytes. Only
   * for a frozen table (no puts while the copy is in use elsewhere: the copy is a snapshot anyway).
   */
  exportFrozen(): FrozenMemtable {
    const { frozen, copy } = this.exportFrozenInSteps();
    while (!copy(Infinity));
    return frozen;
  }

  /**
   * exportFrozen() in steps: frozen is complete once copy(bytesMax), which copies at most about
   * bytesMax bytes per call, has returned true. No puts until then (the engine's immutable table).
   */
  exportFrozenInSteps(): { frozen: FrozenMemtable; copy: (bytesMax: number) => boolean } {
    if (this.tailSortedCount !== this.tailCount) this.sortTail();
    const nodes = this.nodeCount;
    const versions = this.versionSlots;
    const layout: Partial<Record<FrozenArrayName, number>> = {};
    const sources: { source: Uint8Array; offset: number }[] = [];
    let bytes = 0;
    const place = (array: ArrayBufferView, length: number): number => {
      const offset = bytes;
      sources.push({ source: new Uint8Array(array.buffer, array.byteOffset, length), offset });
      bytes += Math.ceil(length / 8) * 8; // every view 8-byte aligned (Float64Array)
      return offset;
    };
    for (const name of FROZEN_NODE_ARRAYS) layout[name] = place(this[name], nodes * 4);
    for (const name of FROZEN_VERSION_ARRAYS) layout[name] = place(this[name], versions * this[name].BYTES_PER_ELEMENT);
    layout.prefixNext = place(this.prefixNext, NEXT_WORDS * nodes * 4);
    layout.main = place(this.main, this.mainCount * 4);
    layout.tail = place(this.tail, this.tailCount * 4);
    const slabs = this.slabs.map((slab, index) => {
      const length = index === this.slabIndex ? this.slabUsed : slab.length;
      return { offset: place(slab, length), length };
    });
    const buffer = new SharedArrayBuffer(bytes);
    const target = new Uint8Array(buffer);
    const counts = { nodeCount: nodes, versionSlots: versions, liveVersionCount: this.liveVersionCount, mainCount: this.mainCount, tailCount: this.tailCount };
    const frozen: FrozenMemtable = { buffer, tailNodesMax: this.tailNodesMax, ...counts, arrays: layout as Record<FrozenArrayName, number>, slabs };
    let next = 0; // sources[next] is copied from byte `done` on
    let done = 0;
    const copy = (bytesMax: number): boolean => {
      let budget = bytesMax;
      while (next < sources.length && budget > 0) {
        const { source, offset } = sources[next]!;
        const length = Math.min(source.length - done, budget);
        target.set(source.subarray(done, done + length), offset + done);
        budget -= length;
        done += length;
        if (done === source.length) {
          next++;
          done = 0;
        }
      }
      return next === sources.length;
    };
    return { frozen, copy };
  }

  /**
   * A table over an exportFrozen() copy (on another thread), for iteration only: its hash table is
   * empty, so get() finds nothing. Its arrays are copied out of the shared buffer (cheap next to
   * the slabs, which stay views of it).
   */
  static importFrozen(frozen: FrozenMemtable): Memtable {
    const table = new Memtable(frozen.tailNodesMax);
    const { buffer, arrays, nodeCount, versionSlots } = frozen;
    table.keySlab = new Int32Array(buffer, arrays.keySlab, nodeCount).slice();
    table.keyOffset = new Int32Array(buffer, arrays.keyOffset, nodeCount).slice();
    table.keyLength = new Int32Array(buffer, arrays.keyLength, nodeCount).slice();
    table.nodeHash = new Int32Array(buffer, arrays.nodeHash, nodeCount).slice();
    table.newest = new Int32Array(buffer, arrays.newest, nodeCount).slice();
    table.prefixHigh = new Uint32Array(buffer, arrays.prefixHigh, nodeCount).slice();
    table.prefixLow = new Uint32Array(buffer, arrays.prefixLow, nodeCount).slice();
    table.prefixNext = new Uint32Array(buffer, arrays.prefixNext, NEXT_WORDS * nodeCount).slice(); // the merge of main and tail compares on it
    table.versionSeq = new Float64Array(buffer, arrays.versionSeq, versionSlots).slice();
    table.versionExpire = new Float64Array(buffer, arrays.versionExpire, versionSlots).slice();
    table.versionKind = new Uint8Array(buffer, arrays.versionKind, versionSlots).slice();
    table.valueSlab = new Int32Array(buffer, arrays.valueSlab, versionSlots).slice();
    table.valueOffset = new Int32Array(buffer, arrays.valueOffset, versionSlots).slice();
    table.valueLength = new Int32Array(buffer, arrays.valueLength, versionSlots).slice();
    table.olderVersion = new Int32Array(buffer, arrays.olderVersion, versionSlots).slice();
    table.main = new Int32Array(buffer, arrays.main, frozen.mainCount).slice();
    table.tail.set(new Int32Array(buffer, arrays.tail, frozen.tailCount));
    table.slabs = frozen.slabs.map((slab) => Buffer.from(buffer, slab.offset, slab.length));
    table.slabIndex = table.slabs.length - 1;
    table.slab = table.slabs[table.slabIndex] ?? EMPTY;
    table.slabUsed = table.slab.length;
    table.nodeCount = nodeCount;
    table.versionSlots = versionSlots;
    table.liveVersionCount = frozen.liveVersionCount;
    table.mainCount = frozen.mainCount;
    table.tailCount = frozen.tailCount;
    table.tailSortedCount = frozen.tailCount; // exported sorted
    return table;
  }
}

/** The arrays exportFrozen() copies, per node and per version. */
const FROZEN_NODE_ARRAYS = ['keySlab', 'keyOffset', 'keyLength', 'nodeHash', 'newest', 'prefixHigh', 'prefixLow'] as const;
const FROZEN_VERSION_ARRAYS = ['versionSeq', 'versionExpire', 'versionKind', 'valueSlab', 'valueOffset', 'valueLength', 'olderVersion'] as const;
type FrozenArrayName = (typeof FROZEN_NODE_ARRAYS)[number] | (typeof FROZEN_VERSION_ARRAYS)[number] | 'prefixNext' | 'main' | 'tail';

/** A frozen memtable's copy for another thread (Memtable.exportFrozen): byte offsets into buffer. */
export interface FrozenMemtable {
  buffer: SharedArrayBuffer;
  tailNodesMax: number;
  nodeCount: number;
  versionSlots: number;
  liveVersionCount: number;
  mainCount: number;
  tailCount: number;
  arrays: Record<FrozenArrayName, number>;
  slabs: { offset: number; length: number }[];
}

/**
 * Walks main and tail together (their keys are disjoint), each node's versions newest first.
 * Besides entry(), raw accessors of the current version (a flush's loop: no Entry, no value view);
 * their results are views of the arena, valid while the table lives.
 */
export class MemtableIterator implements EntryIterator {
  private mainIndex = 0;
  private tailIndex = 0;
  private node = -1; // -1: not valid
  private inTail = false; // node is tail[tailIndex] (else main[mainIndex])
  private version = -1;
  private seq = 0;
  private current: Entry | undefined;
  private nodeKey: Buffer | undefined; // node's key, shared by the entries of its versions
  private seenMutationCount = 0;

  constructor(private readonly table: Memtable) {}

  seekToFirst(): void {
    this.mainIndex = 0;
    this.tailIndex = 0;
    this.pickNode();
  }

  seek(key: Buffer): void {
    this.mainIndex = this.table.lowerBound(false, key);
    this.tailIndex = this.table.lowerBound(true, key);
    this.pickNode();
  }

  valid(): boolean {
    return this.node >= 0;
  }

  entry(): Entry {
    assert.ok(this.node >= 0, 'MemtableIterator.entry() on an invalid iterator');
    if (this.current === undefined) {
      this.nodeKey ??= this.table.keyOf(this.node);
      this.current = this.table.entryOf(this.nodeKey, this.version);
    }
    return this.current;
  }

  /** The current node (distinct key) id: consecutive versions of one key share it. */
  currentNode(): number {
    return this.node;
  }
  /** The current key (one view per node, shared by its versions). */
  currentKey(): Buffer {
    assert.ok(this.node >= 0, 'MemtableIterator.currentKey() on an invalid iterator');
    this.nodeKey ??= this.table.keyOf(this.node);
    return this.nodeKey;
  }
  currentKeyHash(): number {
    return this.table.hashOf(this.node);
  }
  currentSeq(): number {
    return this.seq;
  }
  currentIsPut(): boolean {
    return this.table.kindIsPut(this.version);
  }
  currentExpireAtMs(): number {
    return this.table.expireAtOf(this.version);
  }
  /** The current value is currentValueSource()[currentValueStart() .. + currentValueLength()). */
  currentValueSource(): Buffer {
    return this.table.valueSourceOf(this.version);
  }
  currentValueStart(): number {
    return this.table.valueStartOf(this.version);
  }
  currentValueLength(): number {
    return this.table.valueLengthOf(this.version);
  }

  next(): void {
    assert.ok(this.node >= 0, 'MemtableIterator.next() on an invalid iterator');
    const table = this.table;
    this.current = undefined;
    if (this.seenMutationCount === table.mutationCount()) {
      const older = table.olderThan(this.version);
      if (older >= 0) {
        this.version = older;
        this.seq = table.seqOf(older);
        return;
      }
      if (this.inTail) this.tailIndex++;
      else this.mainIndex++;
      this.pickNode();
      return;
    }
    // Puts moved positions or changed the versions: find the first entry after (node, seq).
    if (table.isRetired()) assert.fail('MemtableIterator.next() on a memtable whose arrays were handed on (a reader without a pin)');
    const node = this.node;
    this.mainIndex = table.lowerBoundNode(false, node);
    this.tailIndex = table.lowerBoundNode(true, node);
    const inTail = this.tailIndex < table.tailLength() && table.tailNode(this.tailIndex) === node;
    let version = table.newestVersion(node);
    while (version >= 0 && table.seqOf(version) >= this.seq) version = table.olderThan(version);
    if (version >= 0) {
      this.inTail = inTail;
      this.version = version;
      this.seq = table.seqOf(version);
      this.seenMutationCount = table.mutationCount();
      return;
    }
    if (inTail) this.tailIndex++;
    else this.mainIndex++;
    this.pickNode();
  }

  /** Positions at the newest version of the smaller of main[mainIndex] and tail[tailIndex]. */
  private pickNode(): void {
    const table = this.table;
    this.current = undefined;
    this.nodeKey = undefined;
    this.seenMutationCount = table.mutationCount();
    const fromMain = this.mainIndex < table.mainLength() ? table.mainNode(this.mainIndex) : -1;
    const fromTail = this.tailIndex < table.tailLength() ? table.tailNode(this.tailIndex) : -1;
    if (fromMain < 0 && fromTail < 0) {
      this.node = -1;
      return;
    }
    this.inTail = fromMain < 0 || (fromTail >= 0 && table.compareNodes(fromTail, fromMain) < 0);
    this.node = this.inTail ? fromTail : fromMain;
    // a node gets its first version right after it is added, so it always has one
    this.version = table.newestVersion(this.node);
    this.seq = table.seqOf(this.version);
  }
}
