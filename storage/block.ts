// storage/block.ts: the unit of SSTable I/O and caching: a run of prefix-compressed entries with
// restart points (LevelDB block format), built by BlockBuilder and read by Block/BlockIterator.
// Block contents (all varints are unsigned LEB128, at most 8 bytes, values < 2^53):
//   entry*  then  restart offsets (u32 LE each)  then  restart count (u32 LE, >= 1)
// or, a data block with a hash index (RocksDB's data block hash index; tables of format 2 on):
//   entry*  restart offsets (u32 LE each)  buckets (u8 each)  bucket count (u16 LE, >= 1)
//   restart count + 2^31 (u32 LE; the top bit says the index is there, restart count <= 253)
// Bucket bucketOf(bloomHash(k), bucket count) of a key k in the block holds the first restart
// interval r where the first (newest) entry of a key hashing there lies, so k's first entry lies
// in interval r or r + 1 (keys hashing to one bucket from intervals further apart make it
// HASH_COLLISION, 254); HASH_NO_KEY (255) when no key of the block hashes there. A point lookup
// then scans at most two intervals (or knows the key is not in the block) instead of
// binary-searching the restarts; on a collision it binary-searches as a block without the index.
// Data entry (Entry):                         Index entry (separator -> block handle):
//   varint  shared key bytes (0 at a restart)   varint shared, varint unshared, key bytes
//   varint  unshared key bytes                  varint block offset
//   bytes   unshared key suffix                 varint block size (contents, without trailer)
//   varint  seq
//   u8      kind: 1 = put, 2 = delete
//   varint  expireAtMs (0 = never)
//   varint  value length (0 for a delete)
//   bytes   value
// On disk each block is followed by a 5-byte trailer: u8 type (0 = uncompressed), u32 LE masked
// crc32 of contents + type byte (mask: ((crc >>> 15) | (crc << 17)) + 0xa282ead8).
// Invariants:
// - Every decoded length is bounds-checked: malformed bytes raise SstableCorruptionError naming the
//   file and byte offset, never an out-of-range read or a wrong entry.
// - Keys at restart points are stored whole; entries in a block are in entry order.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { bloomHash } from './bloom.js';
import type { Entry, EntryIterator } from './entry.js';
import { SstableCorruptionError } from './errors.js';

/**
 * RESTART_INTERVAL_DEFAULT: a data block stores every 4th key whole (LevelDB uses 16). A point
 * read binary-searches the restarts, then decodes entries from one: with 16, ~8 entries of ~140
 * bytes each, on cache lines nothing else brought in. tskv's data keys begin with a namespace and
 * a hash, so neighbours share ~6 bytes and whole keys cost little: 1.4% more table bytes for 1M
 * keys, GET -P 16 over them 7% faster (bench/README.md). Readers take any interval (the restart
 * array says where restarts are), so tables written with 16 read as before.
 */
export const BLOCK = {
  TRAILER_BYTES: 5,
  TYPE_UNCOMPRESSED: 0,
  RESTART_INTERVAL_DEFAULT: 4,
  INDEX_RESTART_INTERVAL: 1,
  VARINT_BYTES_MAX: 8,
  /** The restart count word's top bit: the block ends with a hash index. */
  HASH_INDEX_FLAG: 0x80000000,
  HASH_NO_KEY: 255,
  HASH_COLLISION: 254,
  /** Restart intervals a hash index can name (bucket values below HASH_COLLISION); a block with more has none. */
  HASH_RESTARTS_MAX: 253,
  /** Buckets per distinct key: 2 bytes per key (RocksDB's default, 1.33, left ~half the lookups on a collision here). */
  HASH_BUCKETS_PER_KEY: 2,
  HASH_BUCKETS_MAX: 0xffff,
} as const;
export const ENTRY_KIND_CODE = { put: 1, delete: 2 } as const;

export interface BlockHandle { offset: number; size: number } // size excludes the trailer

/** The value of every empty entry an iterator builds (a delete, a sorted set's index entry): one Buffer, never written. */
const EMPTY_VALUE = Buffer.alloc(0);

/** Copies up to this many bytes in a JS loop rather than a native Buffer.copy call. */
const SHORT_COPY_BYTES = 64;

/** The bucket of a u32 key hash among bucketCount (Lemire's multiply-shift; exact in doubles: < 2^48). */
export function bucketOf(keyHash: number, bucketCount: number): number {
  return Math.floor((keyHash * bucketCount) / 0x100000000);
}

/** Buckets a hash index over keyCount distinct keys gets (BlockBuilder.finish and estimatedBytes). */
function hashBucketCount(keyCount: number): number {
  const count = keyCount * BLOCK.HASH_BUCKETS_PER_KEY;
  return count < 1 ? 1 : count > BLOCK.HASH_BUCKETS_MAX ? BLOCK.HASH_BUCKETS_MAX : count;
}

export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** Masked crc32 over contents followed by the type byte, as stored in a block trailer. */
export function blockChecksum(contents: Buffer, type: number): number {
  return maskCrc(crc32(Buffer.of(type), crc32(contents)));
}

/** A growable output buffer. */
export class ByteWriter {
  private buffer: Buffer;
  length = 0;
  constructor(capacityBytes = 256) {
    this.buffer = Buffer.allocUnsafe(capacityBytes);
  }
  private reserve(byteCount: number): void {
    if (this.length + byteCount <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + byteCount));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }
  u32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeUInt32LE(value, this.length);
  }
  varint(value: number): void {
    if ((value & 0x7f) === value && this.length < this.buffer.length) {
      this.buffer[this.length++] = value; // one byte: most lengths, kinds and expiries of a block
      return;
    }
    if (!(Number.isSafeInteger(value) && value >= 0)) assert.fail(`varint out of range: ${value}`);
    this.reserve(BLOCK.VARINT_BYTES_MAX);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }
  bytes(data: Buffer, start = 0, end = data.length): void {
    this.reserve(end - start);
    if (end - start <= SHORT_COPY_BYTES) {
      // a JS loop beats the native call for the short keys and values that dominate blocks
      const buffer = this.buffer;
      let at = this.length;
      for (let index = start; index < end; index++) buffer[at++] = data[index]!;
      this.length = at;
      return;
    }
    this.length += data.copy(this.buffer, this.length, start, end);
  }
  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
  clear(): void {
    this.length = 0;
  }
}

/** Bounds-checked decoding; every failure is an SstableCorruptionError at file offset base + pos. */
export class ByteReader {
  pos: number;
  constructor(public data: Buffer, public file: string, public base: number, start = 0, public end = data.length) {
    this.pos = start;
  }
  /** Re-aims this reader at other bytes (Block.find's one shared reader). */
  aim(data: Buffer, file: string, base: number, start: number, end: number): this {
    this.data = data;
    this.file = file;
    this.base = base;
    this.pos = start;
    this.end = end;
    return this;
  }
  fail(reason: string): never {
    throw new SstableCorruptionError(this.file, this.base + this.pos, reason);
  }
  u8(): number {
    if (this.pos >= this.end) this.fail('byte past the end');
    return this.data[this.pos++]!;
  }
  varint(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const byte = this.data[pos]!;
      if (byte < 0x80) {
        this.pos = pos + 1;
        return byte;
      }
    }
    return this.varintSlow();
  }
  private varintSlow(): number {
    let value = 0;
    let scale = 1;
    for (let index = 0; index < BLOCK.VARINT_BYTES_MAX; index++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.fail('varint exceeds 2^53');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }
  /** Skips byteCount bytes and returns where they start. */
  skip(byteCount: number): number {
    if (byteCount > this.end - this.pos) this.fail(`length ${byteCount} runs past the end`);
    const start = this.pos;
    this.pos += byteCount;
    return start;
  }
}

/**
 * Builds one block; add keys in entry order, then finish(). Reusable after finish(). hashIndex:
 * end a data block with a hash index (see the header) when its restarts fit one.
 */
export class BlockBuilder {
  private readonly out = new ByteWriter(4096);
  private readonly restarts: number[] = [0];
  private sinceRestart = 0;
  private lastKey = Buffer.alloc(64);
  private lastKeyLength = 0;
  private entries = 0;
  private keyHashes = new Float64Array(64); // hashIndex: bloomHash of each distinct key, in order
  private keyRestarts = new Float64Array(64); // and the restart interval of its first entry
  private keyCount = 0; // distinct keys in the block, while hashIndex
  private buckets = Buffer.alloc(128); // finish()'s scratch for the hash index

  constructor(private readonly restartInterval: number = BLOCK.RESTART_INTERVAL_DEFAULT, private readonly hashIndex = false) {
    assert.ok(Number.isInteger(restartInterval) && restartInterval >= 1, 'restartInterval must be >= 1');
  }

  addEntry(entry: Entry): void {
    this.addEntryParts(entry.key, entry.seq, ENTRY_KIND_CODE[entry.kind], entry.expireAtMs, entry.value, 0, entry.value.length);
  }

  /**
   * addEntry of an entry whose value is valueSource[valueStart .. valueStart + valueLength) (a
   * flush's arena bytes, no view built); keyHash: bloomHash(key) when the caller has it, else -1.
   */
  addEntryParts(key: Buffer, seq: number, kindCode: number, expireAtMs: number, valueSource: Buffer, valueStart: number, valueLength: number, keyHash = -1): void {
    assert.ok(kindCode === ENTRY_KIND_CODE.put || (kindCode === ENTRY_KIND_CODE.delete && valueLength === 0), 'a delete carries an empty value');
    const sameKey = this.addKey(key);
    if (this.hashIndex && !sameKey) {
      const index = this.keyCount++;
      if (index === this.keyHashes.length) this.growKeys();
      this.keyHashes[index] = keyHash < 0 ? bloomHash(key) : keyHash;
      this.keyRestarts[index] = this.restarts.length - 1;
    }
    this.out.varint(seq);
    this.out.u8(kindCode);
    this.out.varint(expireAtMs);
    this.out.varint(valueLength);
    this.out.bytes(valueSource, valueStart, valueStart + valueLength);
  }

  addHandle(key: Buffer, handle: BlockHandle): void {
    this.addKey(key);
    this.out.varint(handle.offset);
    this.out.varint(handle.size);
  }

  entryCount(): number {
    return this.entries;
  }

  /** Size of the contents finish() would return now. */
  estimatedBytes(): number {
    return this.out.length + this.restarts.length * 4 + 4 + (this.hasHashIndex() ? hashBucketCount(this.keyCount) + 2 : 0);
  }

  finish(): Buffer {
    for (const restart of this.restarts) this.out.u32(restart);
    if (this.hasHashIndex()) {
      const bucketCount = hashBucketCount(this.keyCount);
      if (this.buckets.length < bucketCount) this.buckets = Buffer.alloc(2 * bucketCount);
      const buckets = this.buckets.fill(BLOCK.HASH_NO_KEY, 0, bucketCount);
      for (let index = 0; index < this.keyCount; index++) {
        const bucket = bucketOf(this.keyHashes[index]!, bucketCount);
        const restart = this.keyRestarts[index]!;
        const held = buckets[bucket]!; // restarts come in ascending order: held <= restart unless a marker
        if (held === BLOCK.HASH_NO_KEY) buckets[bucket] = restart;
        else if (held !== BLOCK.HASH_COLLISION && restart - held > 1) buckets[bucket] = BLOCK.HASH_COLLISION;
      }
      this.out.bytes(buckets, 0, bucketCount);
      this.out.u8(bucketCount & 0xff);
      this.out.u8(bucketCount >>> 8);
      this.out.u32(this.restarts.length + BLOCK.HASH_INDEX_FLAG);
    } else {
      this.out.u32(this.restarts.length);
    }
    const contents = this.out.toBuffer();
    this.out.clear();
    this.restarts.length = 1;
    this.sinceRestart = 0;
    this.lastKeyLength = 0;
    this.entries = 0;
    this.keyCount = 0;
    return contents;
  }

  private growKeys(): void {
    const hashes = new Float64Array(2 * this.keyHashes.length);
    const restarts = new Float64Array(2 * this.keyHashes.length);
    hashes.set(this.keyHashes);
    restarts.set(this.keyRestarts);
    this.keyHashes = hashes;
    this.keyRestarts = restarts;
  }

  /** Whether finish() would write a hash index now: asked for, some entries, restarts it can name. */
  private hasHashIndex(): boolean {
    return this.hashIndex && this.entries > 0 && this.restarts.length <= BLOCK.HASH_RESTARTS_MAX;
  }


  /** Adds key (shared with the key before unless at a restart); returns whether it equals the key before in this block. */
  private addKey(key: Buffer): boolean {
    const atRestart = this.sinceRestart >= this.restartInterval;
    if (atRestart) {
      this.restarts.push(this.out.length);
      this.sinceRestart = 0;
    }
    let shared = 0; // bytes key shares with the key before (none stored at a restart)
    let sameKey = false;
    if (!atRestart && this.entries > 0) {
      const limit = Math.min(this.lastKeyLength, key.length);
      while (shared < limit && this.lastKey[shared] === key[shared]) shared++;
      sameKey = shared === key.length && key.length === this.lastKeyLength;
    } else if (this.hashIndex && this.entries > 0 && key.length === this.lastKeyLength) {
      // only the hash index asks at a restart: compared from the end, where neighbours differ
      let index = key.length - 1;
      while (index >= 0 && this.lastKey[index] === key[index]) index--;
      sameKey = index < 0;
    }
    this.out.varint(shared);
    this.out.varint(key.length - shared);
    this.out.bytes(key, shared);
    if (key.length > this.lastKey.length) {
      const grown = Buffer.alloc(key.length * 2);
      this.lastKey.copy(grown, 0, 0, shared); // the shared prefix is not copied below
      this.lastKey = grown;
    }
    if (key.length - shared <= SHORT_COPY_BYTES) for (let index = shared; index < key.length; index++) this.lastKey[index] = key[index]!;
    else key.copy(this.lastKey, shared, shared);
    this.lastKeyLength = key.length;
    this.sinceRestart++;
    this.entries++;
    return sameKey;
  }
}

/** Bytes start .. start + 3 of bytes[keyStart .. keyEnd) as a big-endian u32, zero-padded past the key's end. */
function prefixWord(bytes: Uint8Array, keyStart: number, keyEnd: number, start: number): number {
  const at = keyStart + start;
  if (at + 4 <= keyEnd) return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  let word = 0;
  for (let index = at; index < at + 4; index++) word = word * 256 + (index < keyEnd ? bytes[index]! : 0);
  return word;
}

/** Key words KeyIndex keeps per key: bytes 0 .. 15 (a sorted set element shares its first 12). */
const INDEX_WORDS = 4;
/** A KeyIndex of fewer keys searches without a guide; one of more has at most 2^INDEX_GUIDE_BITS_MAX buckets (~1-2 keys a bucket). */
export const INDEX_GUIDE_KEYS_MIN = 64;
export const INDEX_GUIDE_BITS_MAX = 16;
const NO_GUIDE = new Uint32Array(0);
const TARGET_WORDS = new Uint32Array(INDEX_WORDS); // lowerBound's target words

/** Leading bits two keys' index words (INDEX_WORDS at aAt in a, at bAt in b) have in common, 0 .. 128. */
function sharedPrefixBits(a: Uint32Array, aAt: number, b: Uint32Array, bAt: number): number {
  for (let word = 0; word < INDEX_WORDS; word++) {
    const difference = (a[aAt + word]! ^ b[bAt + word]!) >>> 0;
    if (difference !== 0) return word * 32 + Math.clz32(difference);
  }
  return INDEX_WORDS * 32;
}

/** Sign of the first difference between two keys' index words (a's at 0, b's at 0). */
function compareWords(a: Uint32Array, b: Uint32Array): number {
  for (let word = 0; word < INDEX_WORDS; word++) if (a[word] !== b[word]) return a[word]! < b[word]! ? -1 : 1;
  return 0;
}

/** Bits from .. from + count (count 1 .. 31) of the key words at `at`, as an unsigned number. */
function bitsAt(words: Uint32Array, at: number, from: number, count: number): number {
  const word = from >>> 5;
  const shift = from & 31;
  const next = word + 1 < INDEX_WORDS ? words[at + word + 1]! : 0;
  const high = shift === 0 ? words[at + word]! : (words[at + word]! << shift) | (next >>> (32 - shift));
  return high >>> (32 - count);
}

/**
 * Sorted keys (an index block's separators) kept in one buffer, key i at bytes[starts[i] ..
 * starts[i + 1]), with their first 16 bytes as four u32s in one typed array, so a binary search
 * compares numbers and touches the key bytes only on a 16-byte tie (element keys share 12 bytes:
 * namespace and version; the words reach into what follows). No object per key: 20 bytes of
 * typed arrays plus the key's own bytes (a Buffer view per key cost ~100 bytes of JS heap).
 */
export class KeyIndex {
  readonly count: number;
  private readonly words: Uint32Array;
  /**
   * The search's guide: keys share their first guideFrom bits (of the 128 the words hold); the
   * next guideBits of them make a key's bucket, and guide[b] is the first key whose bucket is >= b,
   * so a key of bucket b lies between guide[b] and guide[b + 1]: the binary search starts there,
   * not over the whole index (of its ~15 steps over a 25k-block table, the last ~5 miss the CPU
   * caches). Buckets never fall as keys ascend: words are big-endian, zero-padded past a key's end.
   */
  private readonly guide: Uint32Array;
  private readonly guideFrom: number;
  private readonly guideBits: number;

  constructor(private readonly bytes: Buffer, private readonly starts: Uint32Array) {
    assert.ok(starts.length >= 1 && starts[starts.length - 1] === bytes.length, 'key starts end at the end of the key bytes');
    this.count = starts.length - 1;
    this.words = new Uint32Array(this.count * INDEX_WORDS);
    for (let index = 0; index < this.count; index++) {
      const keyStart = starts[index]!;
      const keyEnd = starts[index + 1]!;
      assert.ok(keyStart <= keyEnd, 'key starts ascend');
      for (let word = 0; word < INDEX_WORDS; word++) this.words[index * INDEX_WORDS + word] = prefixWord(bytes, keyStart, keyEnd, word * 4);
    }
    const words = this.words;
    this.guideFrom = this.count === 0 ? 0 : sharedPrefixBits(words, 0, words, (this.count - 1) * INDEX_WORDS);
    this.guideBits = this.count < INDEX_GUIDE_KEYS_MIN ? 0 : Math.min(INDEX_GUIDE_BITS_MAX, 31 - Math.clz32(this.count), INDEX_WORDS * 32 - this.guideFrom);
    this.guide = this.guideBits === 0 ? NO_GUIDE : new Uint32Array((1 << this.guideBits) + 1);
    if (this.guideBits === 0) return;
    let bucket = 0;
    for (let index = 0; index < this.count; index++) {
      const keyBucket = bitsAt(words, index * INDEX_WORDS, this.guideFrom, this.guideBits);
      while (bucket <= keyBucket) this.guide[bucket++] = index;
    }
    while (bucket < this.guide.length) this.guide[bucket++] = this.count;
  }

  /** Buckets of the search's guide; 0 when it has none (fewer than INDEX_GUIDE_KEYS_MIN keys). */
  get guideBucketCount(): number {
    return this.guideBits === 0 ? 0 : 1 << this.guideBits;
  }

  /** The index of sorted keys given one by one (tests, and callers holding Buffers). */
  static of(keys: readonly Buffer[]): KeyIndex {
    const starts = new Uint32Array(keys.length + 1);
    keys.forEach((key, index) => (starts[index + 1] = starts[index]! + key.length));
    return new KeyIndex(Buffer.concat(keys as Buffer[]), starts);
  }

  /** Key index as a view (allocates: for verification, not the read path). */
  key(index: number): Buffer {
    assert.ok(index >= 0 && index < this.count, `key ${index} of ${this.count}`);
    return this.bytes.subarray(this.starts[index], this.starts[index + 1]);
  }

  /** Bytes this index holds: key bytes, their starts and prefix words. */
  residentBytes(): number {
    return this.bytes.length + this.starts.byteLength + this.words.byteLength + this.guide.byteLength;
  }

  /** Index of the first key >= target. */
  lowerBound(target: Buffer): number {
    const words = this.words;
    const targetEnd = target.length;
    const target0 = prefixWord(target, 0, targetEnd, 0);
    const target1 = prefixWord(target, 0, targetEnd, 4);
    const target2 = prefixWord(target, 0, targetEnd, 8);
    const target3 = prefixWord(target, 0, targetEnd, 12);
    let low = 0;
    let high = this.count;
    if (this.guideBits !== 0) {
      const targetWords = TARGET_WORDS;
      targetWords[0] = target0;
      targetWords[1] = target1;
      targetWords[2] = target2;
      targetWords[3] = target3;
      const from = this.guideFrom;
      if (sharedPrefixBits(targetWords, 0, words, 0) < from) return compareWords(targetWords, words) < 0 ? 0 : this.count; // outside the shared prefix
      const bucket = bitsAt(targetWords, 0, from, this.guideBits);
      low = this.guide[bucket]!;
      high = this.guide[bucket + 1]!;
    }
    while (low < high) {
      const mid = (low + high) >>> 1;
      const at = mid * INDEX_WORDS;
      let less: boolean;
      if (words[at] !== target0) less = words[at]! < target0;
      else if (words[at + 1] !== target1) less = words[at + 1]! < target1;
      else if (words[at + 2] !== target2) less = words[at + 2]! < target2;
      else if (words[at + 3] !== target3) less = words[at + 3]! < target3;
      else less = compareBytes(this.bytes, this.starts[mid]!, this.starts[mid + 1]!, target) < 0;
      if (less) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/**
 * The reader every Block.find() aims at its block: find() runs to the end without yielding, and a
 * reader of its own cost each cached block ~80 bytes of JS heap (24k cached blocks: 1.9 MiB).
 */
const FIND_READER = new ByteReader(Buffer.alloc(0), '', 0);

/**
 * A block's contents (trailer already verified), data[start .. end), with its restart array
 * validated. The block keeps the buffer it lies in (a cache slab, a read) and where, not a view
 * of its own: a cached block is one object (a Buffer view cost another ~100 bytes of JS heap).
 * Positions inside (restartAt, restartsOffset, values' offsets) are indexes into data.
 */
export class Block {
  readonly restartCount: number;
  readonly restartsOffset: number; // where entries end, in data
  readonly bucketCount: number; // of the hash index; 0: none
  private readonly bucketsOffset: number; // where its buckets are, in data

  /** restartsChecked: the bytes are those of a Block constructed before (a cached block's), so its restarts (and hash index) were validated. */
  constructor(readonly data: Buffer, readonly file: string, readonly offset: number, readonly start = 0, readonly end = data.length, restartsChecked = false) {
    if (!(start >= 0 && start <= end && end <= data.length)) assert.fail(`block at ${start} .. ${end} of ${data.length} bytes`); // not assert.ok: its message would be built on every cached read
    const word = end - start < 4 ? 0 : data[end - 4]! + (data[end - 3]! << 8) + (data[end - 2]! << 16) + data[end - 1]! * 0x1000000;
    const hashed = word >= BLOCK.HASH_INDEX_FLAG && end - start >= 6;
    this.restartCount = hashed ? word - BLOCK.HASH_INDEX_FLAG : word;
    this.bucketCount = hashed ? data[end - 6]! + (data[end - 5]! << 8) : 0;
    this.bucketsOffset = hashed ? end - 6 - this.bucketCount : end - 4;
    this.restartsOffset = this.bucketsOffset - this.restartCount * 4;
    if (restartsChecked) return;
    const reader = new ByteReader(data, file, offset - start, start, end);
    if (end - start < 4) reader.fail('block shorter than its restart count');
    if (hashed) this.checkHashIndex(reader);
    const maxRestarts = Math.floor((this.bucketsOffset - start) / 4);
    if (this.restartCount < 1 || this.restartCount > maxRestarts) reader.fail(`bad restart count ${this.restartCount}`);
    let previous = -1;
    for (let index = 0; index < this.restartCount; index++) {
      const restart = this.restartAt(index);
      const ok = index === 0 ? restart === start : restart > previous && restart < this.restartsOffset;
      if (!ok) reader.fail(`bad restart offset ${restart - start} at index ${index}`);
      previous = restart;
    }
  }

  /** The hash index's bounds and buckets: each names a restart interval of the block, or none, or a collision. */
  private checkHashIndex(reader: ByteReader): void {
    if (this.restartCount < 1 || this.restartCount > BLOCK.HASH_RESTARTS_MAX) reader.fail(`bad restart count ${this.restartCount} with a hash index`);
    if (this.bucketCount < 1 || this.bucketsOffset < this.start) reader.fail(`bad hash bucket count ${this.bucketCount}`);
    for (let at = this.bucketsOffset; at < this.bucketsOffset + this.bucketCount; at++) {
      const bucket = this.data[at]!;
      if (bucket >= this.restartCount && bucket !== BLOCK.HASH_NO_KEY && bucket !== BLOCK.HASH_COLLISION) reader.fail(`hash bucket ${at - this.bucketsOffset} names restart ${bucket} of ${this.restartCount}`);
    }
  }

  /** Bytes of contents. */
  get byteLength(): number {
    return this.end - this.start;
  }

  /** The contents as a view (allocates one: for tests and callers outside the read path). */
  get contents(): Buffer {
    return this.data.subarray(this.start, this.start + this.byteLength);
  }

  /** Where in data the entries of restart `index` begin. */
  restartAt(index: number): number {
    const data = this.data;
    const at = this.restartsOffset + index * 4; // within the block: checked by the constructor's bounds
    return this.start + (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16)) + data[at + 3]! * 0x1000000;
  }

  iterator(): BlockIterator {
    return new BlockIterator(this);
  }

  /**
   * Whether the block's first key (stored whole at restart 0) is >= bound: then no key of this
   * block, nor of any later block of its table, is below bound. Decodes no entry.
   */
  startsAtOrAfter(bound: Buffer): boolean {
    const contents = this.data;
    const first = this.start;
    const end = this.restartsOffset;
    if (end === first) return true; // no entries
    if (end >= first + 2 && contents[first] === 0 && contents[first + 1]! < 0x80 && first + 2 + contents[first + 1]! <= end) {
      return compareBytes(contents, first + 2, first + 2 + contents[first + 1]!, bound) >= 0; // shared 0, a one-byte length
    }
    const reader = new ByteReader(contents, this.file, this.offset - first, first, end);
    if (reader.varint() !== 0) reader.fail('restart entry shares a prefix');
    const length = reader.varint();
    const start = reader.skip(length);
    return compareBytes(contents, start, start + length, bound) >= 0;
  }

  /**
   * Point lookup without an iterator: the newest version of key with seq <= snapshotSeq (all
   * when undefined), as an Entry whose key is the `key` given; 'absent' when a greater key shows
   * there is none, or the block's hash index that key is not in the block (so no later block of
   * its table holds it either: a table's separator after a block is below the next block's first
   * key unless one key's versions span both); 'next' when the block ended first (the key's
   * versions may go on in the next block). Decodes with the same bounds checks as BlockIterator.
   * keyHash: bloomHash(key) when the caller has it (the hash index's bucket), else -1.
   */
  find(key: Buffer, snapshotSeq: number | undefined, keyHash = -1): Entry | 'absent' | 'next' {
    const contents = this.data;
    const reader = FIND_READER.aim(contents, this.file, this.offset - this.start, this.start, this.restartsOffset);
    // the restart interval key's first entry is in: the hash index's, else the last restart whose key is < key
    let left = 0;
    let right = this.restartCount - 1;
    let stopAt = reader.end; // with the hash index: where the bucket's two intervals end (key not met by then: absent)
    if (this.bucketCount > 0) {
      const bucket = contents[this.bucketsOffset + bucketOf(keyHash < 0 ? bloomHash(key) : keyHash, this.bucketCount)]!;
      if (bucket === BLOCK.HASH_NO_KEY) return 'absent';
      if (bucket !== BLOCK.HASH_COLLISION) {
        left = right = bucket;
        if (bucket + 2 < this.restartCount) stopAt = this.restartAt(bucket + 2);
      }
    }
    while (left < right) {
      const mid = (left + right + 1) >>> 1;
      const at = this.restartAt(mid);
      let start: number;
      let length: number;
      if (at + 2 <= reader.end && contents[at] === 0 && contents[at + 1]! < 0x80 && at + 2 + contents[at + 1]! <= reader.end) {
        length = contents[at + 1]!; // the common encoding: one-byte length, key inside the entries
        start = at + 2;
      } else {
        reader.pos = at;
        if (reader.varint() !== 0) reader.fail('restart entry shares a prefix');
        length = reader.varint();
        start = reader.skip(length);
      }
      if (compareBytes(contents, start, start + length, key) < 0) left = mid;
      else right = mid - 1;
    }
    reader.pos = this.restartAt(left);
    // Keys are compared with `key` incrementally, never rebuilt: `matched` bytes of the previous
    // key equal key's and it sorted below key (or matched === key.length: it equalled key). A key
    // sharing more than `matched` bytes with the previous one sorts below key too, unread.
    let keyLength = 0;
    let matched = 0;
    const targetLength = key.length;
    const end = reader.end;
    while (reader.pos < end) {
      if (reader.pos >= stopAt && matched !== targetLength) return 'absent'; // past the intervals key's first entry lies in, key not met
      // the common encoding decoded with local offsets (decodeEntryFast); anything else, and every
      // error, through the checked reader
      let shared: number;
      let start: number;
      let unshared: number;
      let seq: number;
      let kindCode: number;
      let expireAtMs: number;
      let valueStart: number;
      let valueLength: number;
      if (decodeEntryFast(contents, reader.pos, end, keyLength)) {
        shared = fastEntry.shared;
        unshared = fastEntry.unshared;
        start = reader.pos + 2;
        seq = fastEntry.seq;
        kindCode = fastEntry.kindCode;
        expireAtMs = fastEntry.expireAtMs;
        valueStart = fastEntry.valueStart;
        valueLength = fastEntry.valueLength;
        reader.pos = valueStart + valueLength;
      } else {
        shared = reader.varint();
        unshared = reader.varint();
        if (shared > keyLength) reader.fail(`shared length ${shared} exceeds previous key length ${keyLength}`);
        start = reader.skip(unshared);
        seq = reader.varint();
        kindCode = reader.u8();
        if (kindCode !== ENTRY_KIND_CODE.put && kindCode !== ENTRY_KIND_CODE.delete) reader.fail(`bad entry kind ${kindCode}`);
        expireAtMs = reader.varint();
        valueLength = reader.varint();
        if (kindCode === ENTRY_KIND_CODE.delete && valueLength !== 0) reader.fail('delete with a value');
        valueStart = reader.skip(valueLength);
      }
      keyLength = shared + unshared;
      let order = -1; // below key
      if (shared <= matched) {
        // equal to key on [0, shared): compare the suffix
        let index = 0;
        const common = Math.min(unshared, targetLength - shared);
        while (index < common && contents[start + index] === key[shared + index]) index++;
        if (index < common) order = contents[start + index]! - key[shared + index]!;
        else order = keyLength - targetLength;
        matched = shared + index;
      }
      if (order < 0) continue;
      if (order > 0) return 'absent';
      if (snapshotSeq !== undefined && seq > snapshotSeq) continue;
      const kind = kindCode === ENTRY_KIND_CODE.put ? 'put' : 'delete';
      return { key, seq, kind, value: contents.subarray(valueStart, valueStart + valueLength), expireAtMs };
    }
    return 'next';
  }
}

/** What decodeEntryFast decoded (a module scratch, so the point lookup allocates nothing per entry). */
const fastEntry = { shared: 0, unshared: 0, seq: 0, kindCode: 0, expireAtMs: 0, valueStart: 0, valueLength: 0 };

/**
 * Decodes the entry at data[pos] into fastEntry if it has the common encoding (one-byte shared
 * and unshared lengths, shared <= previousKeyLength, varints of at most 7 bytes, a valid kind,
 * every byte before end); false, having decided nothing, otherwise (the checked path then
 * decodes it or raises the error).
 */
function decodeEntryFast(data: Buffer, pos: number, end: number, previousKeyLength: number): boolean {
  if (pos + 2 > end) return false;
  const shared = data[pos]!;
  const unshared = data[pos + 1]!;
  if (shared >= 0x80 || unshared >= 0x80 || shared > previousKeyLength) return false;
  const seq = shortVarint(data, pos + 2 + unshared, end);
  if (seq < 0 || varintEnd >= end) return false;
  const kindCode = data[varintEnd]!;
  if (kindCode !== ENTRY_KIND_CODE.put && kindCode !== ENTRY_KIND_CODE.delete) return false;
  const expireAtMs = shortVarint(data, varintEnd + 1, end);
  if (expireAtMs < 0) return false;
  const valueLength = shortVarint(data, varintEnd, end);
  if (valueLength < 0 || valueLength > end - varintEnd || (kindCode === ENTRY_KIND_CODE.delete && valueLength !== 0)) return false;
  fastEntry.shared = shared;
  fastEntry.unshared = unshared;
  fastEntry.seq = seq;
  fastEntry.kindCode = kindCode;
  fastEntry.expireAtMs = expireAtMs;
  fastEntry.valueStart = varintEnd;
  fastEntry.valueLength = valueLength;
  return true;
}

/** An index block decoded: separator i (in keys) and the handle of data block i (offsets[i], sizes[i]). */
export interface DecodedIndex { keys: KeyIndex; offsets: Float64Array; sizes: Float64Array }

/**
 * Decodes one index block whole into typed arrays and one key buffer: a pass to count entries and
 * key bytes, a second to fill them (a shared prefix is copied from the key before, already out).
 */
export function decodeIndexBlock(block: Block): DecodedIndex {
  const reader = new ByteReader(block.data, block.file, block.offset - block.start, block.start, block.restartsOffset);
  let count = 0;
  let keyBytes = 0;
  let previousLength = 0;
  while (reader.pos < reader.end) {
    const shared = reader.varint();
    const unshared = reader.varint();
    if (shared > previousLength) reader.fail(`shared length ${shared} exceeds previous key length ${previousLength}`);
    reader.skip(unshared);
    reader.varint();
    reader.varint();
    previousLength = shared + unshared;
    keyBytes += previousLength;
    count++;
  }
  const bytes = Buffer.allocUnsafe(keyBytes);
  const starts = new Uint32Array(count + 1);
  const offsets = new Float64Array(count);
  const sizes = new Float64Array(count);
  reader.pos = block.start;
  for (let index = 0; index < count; index++) {
    const shared = reader.varint();
    const unshared = reader.varint();
    const start = reader.skip(unshared);
    const keyStart = starts[index]!;
    if (shared > 0) bytes.copyWithin(keyStart, starts[index - 1]!, starts[index - 1]! + shared);
    reader.data.copy(bytes, keyStart + shared, start, start + unshared);
    starts[index + 1] = keyStart + shared + unshared;
    offsets[index] = reader.varint();
    sizes[index] = reader.varint();
  }
  return { keys: new KeyIndex(bytes, starts), offsets, sizes };
}

/**
 * Compares a[aStart .. aEnd) with b as unsigned bytes (a JS loop beats the native call for short
 * keys); known: how many first bytes the two are known to share, which the loop skips.
 */
export function compareBytes(a: Buffer, aStart: number, aEnd: number, b: Buffer, known = 0): number {
  const aLength = aEnd - aStart;
  const length = Math.min(aLength, b.length);
  if (length > 48) return a.compare(b, 0, b.length, aStart, aEnd);
  for (let index = known < length ? known : length; index < length; index++) {
    const difference = a[aStart + index]! - b[index]!;
    if (difference !== 0) return difference;
  }
  return aLength - b.length;
}

/** Where the last shortVarint ended (a module variable, so the hot decode allocates nothing). */
let varintEnd = 0;
/** The bytes the last compareRestartKey found its restart key and target to share. */
let restartShared = 0;

/**
 * The varint at data[pos] if it has at most 7 bytes (so < 2^49) and ends before end, setting
 * varintEnd; -1 otherwise (the checked ByteReader path then decodes or rejects it).
 */
function shortVarint(data: Buffer, pos: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let at = pos; at < end && at < pos + 7; at++) {
    const byte = data[at]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      varintEnd = at + 1;
      return value;
    }
    scale *= 0x80;
  }
  return -1;
}

/**
 * Data-block iterator (EntryIterator over one block). Keys are decoded into a scratch buffer and an
 * Entry is built only when entry() asks, so seeking past entries allocates nothing.
 * Throws SstableCorruptionError on bad bytes.
 */
export class BlockIterator implements EntryIterator {
  private reader: ByteReader;
  private isValid = false;
  private key = Buffer.allocUnsafe(64); // scratch: the current key is key[0 .. keyLength)
  private keyLength = 0;
  private seq = 0;
  private kindCode = 0;
  private expireAtMs = 0;
  private valueStart = 0;
  private valueLength = 0;
  private current: Entry | undefined;

  constructor(private block: Block) {
    this.reader = new ByteReader(block.data, block.file, block.offset - block.start, block.start, block.restartsOffset);
    this.reader.pos = this.reader.end;
  }

  /** Re-aims this iterator at another block (unpositioned), keeping its scratch key buffer. */
  reset(block: Block): void {
    this.block = block;
    this.reader.aim(block.data, block.file, block.offset - block.start, block.restartsOffset, block.restartsOffset);
    this.isValid = false;
    this.keyLength = 0;
    this.current = undefined;
  }

  seekToFirst(): void {
    this.seekToRestart(0);
  }

  seek(key: Buffer): void {
    // Last restart whose key is < key; then scan forward to the first entry >= key. Every key
    // between the bounds (restart keys, then the entries the scan decodes, which stop at or before
    // the restart after left) shares with key the bytes both bounds share with it (leftShared,
    // rightShared: 0 until known), so each comparison starts past them.
    let left = 0;
    let right = this.block.restartCount - 1;
    let leftShared = 0;
    let rightShared = 0;
    while (left < right) {
      const mid = (left + right + 1) >>> 1;
      const order = this.compareRestartKey(mid, key, leftShared < rightShared ? leftShared : rightShared);
      if (order < 0) {
        left = mid;
        leftShared = restartShared;
      } else {
        right = mid - 1;
        rightShared = restartShared;
      }
    }
    this.seekToRestart(left);
    const known = leftShared < rightShared ? leftShared : rightShared;
    while (this.isValid && compareBytes(this.key, 0, this.keyLength, key, known) < 0) this.decodeNext();
  }

  valid(): boolean {
    return this.isValid;
  }

  entry(): Entry {
    if (!this.isValid) assert.fail('BlockIterator.entry() on an invalid iterator');
    if (this.current === undefined) {
      const length = this.keyLength;
      const key = Buffer.allocUnsafe(length);
      const scratch = this.key;
      if (length <= SHORT_COPY_BYTES) for (let index = 0; index < length; index++) key[index] = scratch[index]!;
      else scratch.copy(key, 0, 0, length);
      const kind = this.kindCode === ENTRY_KIND_CODE.put ? 'put' : 'delete';
      const value = this.valueLength === 0 ? EMPTY_VALUE : this.block.data.subarray(this.valueStart, this.valueStart + this.valueLength);
      this.current = { key, seq: this.seq, kind, value, expireAtMs: this.expireAtMs };
    }
    return this.current;
  }

  /** Compares the current key with target without building an Entry. */
  compareKey(target: Buffer): number {
    if (!this.isValid) assert.fail('BlockIterator.compareKey() on an invalid iterator');
    return compareBytes(this.key, 0, this.keyLength, target);
  }

  /** Compares the current key with b[0 .. bLength) without building an Entry. */
  compareKeyWith(b: Buffer, bLength: number): number {
    assert.ok(this.isValid, 'BlockIterator.compareKeyWith() on an invalid iterator');
    const keyLength = this.keyLength;
    const length = keyLength < bLength ? keyLength : bLength;
    if (length > 48) return this.key.compare(b, 0, bLength, 0, keyLength);
    const key = this.key;
    for (let index = 0; index < length; index++) {
      const difference = key[index]! - b[index]!;
      if (difference !== 0) return difference;
    }
    return keyLength - bLength;
  }

  /** Copies the current key into target, or into a bigger buffer it returns when target is too short. */
  copyKey(target: Buffer): Buffer {
    assert.ok(this.isValid, 'BlockIterator.copyKey() on an invalid iterator');
    const length = this.keyLength;
    const holder = target.length >= length ? target : Buffer.allocUnsafe(Math.max(length, 2 * target.length));
    const key = this.key;
    if (length <= SHORT_COPY_BYTES) for (let index = 0; index < length; index++) holder[index] = key[index]!;
    else key.copy(holder, 0, 0, length);
    return holder;
  }

  /** The current key's length without building an Entry. */
  currentKeyLength(): number {
    assert.ok(this.isValid, 'BlockIterator.currentKeyLength() on an invalid iterator');
    return this.keyLength;
  }

  /** The current entry's seq without building an Entry. */
  currentSeq(): number {
    assert.ok(this.isValid, 'BlockIterator.currentSeq() on an invalid iterator');
    return this.seq;
  }

  next(): void {
    if (!this.isValid) assert.fail('BlockIterator.next() on an invalid iterator');
    this.decodeNext();
  }

  private seekToRestart(index: number): void {
    this.reader.pos = this.block.restartAt(index);
    this.keyLength = 0;
    this.decodeNext();
  }

  /**
   * Compares the key stored at restart `index` (restart keys share nothing) with key, whose first
   * `known` bytes it is known to share; sets restartShared to the bytes they share.
   */
  private compareRestartKey(index: number, key: Buffer, known: number): number {
    const contents = this.block.data;
    const reader = this.reader;
    let pos = this.block.restartAt(index);
    let length = contents[pos + 1]!;
    if (contents[pos] === 0 && length < 0x80 && pos + 2 + length <= reader.end) {
      pos += 2; // the common encoding: shared 0 and a one-byte length, inside the entries
    } else {
      reader.pos = pos;
      if (reader.varint() !== 0) reader.fail('restart entry shares a prefix');
      length = reader.varint();
      pos = reader.skip(length);
    }
    const common = length < key.length ? length : key.length;
    let at = known < common ? known : common;
    while (at < common && contents[pos + at] === key[at]) at++;
    restartShared = at;
    return at < common ? contents[pos + at]! - key[at]! : length - key.length;
  }

  private decodeNext(): void {
    const reader = this.reader;
    this.current = undefined;
    if (reader.pos >= reader.end) {
      this.isValid = false;
      return;
    }
    if (!this.decodeNextFast()) this.decodeNextChecked();
  }

  /**
   * Decodes the next entry in its common encoding (decodeEntryFast, as the point lookup does) and
   * copies its key. Returns false, having changed nothing, on anything else: decodeNextChecked
   * then decodes it or raises the error.
   */
  private decodeNextFast(): boolean {
    const reader = this.reader;
    const contents = this.block.data;
    if (!decodeEntryFast(contents, reader.pos, reader.end, this.keyLength)) return false;
    const { shared, unshared } = fastEntry;
    const keyLength = shared + unshared;
    if (keyLength > this.key.length) return false;
    const start = reader.pos + 2;
    const key = this.key;
    if (unshared <= SHORT_COPY_BYTES) for (let index = 0; index < unshared; index++) key[shared + index] = contents[start + index]!;
    else contents.copy(key, shared, start, start + unshared);
    this.keyLength = keyLength;
    this.seq = fastEntry.seq;
    this.kindCode = fastEntry.kindCode;
    this.expireAtMs = fastEntry.expireAtMs;
    this.valueStart = fastEntry.valueStart;
    this.valueLength = fastEntry.valueLength;
    reader.pos = fastEntry.valueStart + fastEntry.valueLength;
    this.isValid = true;
    return true;
  }

  /** Decodes the next entry through the bounds-checked ByteReader; throws on bad bytes. */
  private decodeNextChecked(): void {
    const reader = this.reader;
    const shared = reader.varint();
    const unshared = reader.varint();
    if (shared > this.keyLength) reader.fail(`shared length ${shared} exceeds previous key length ${this.keyLength}`);
    const start = reader.skip(unshared);
    if (shared + unshared > this.key.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.key.length, shared + unshared));
      this.key.copy(grown, 0, 0, shared);
      this.key = grown;
    }
    const contents = this.block.data;
    if (unshared <= SHORT_COPY_BYTES) for (let index = 0; index < unshared; index++) this.key[shared + index] = contents[start + index]!;
    else contents.copy(this.key, shared, start, start + unshared);
    this.keyLength = shared + unshared;
    this.seq = reader.varint();
    this.kindCode = reader.u8();
    if (this.kindCode !== ENTRY_KIND_CODE.put && this.kindCode !== ENTRY_KIND_CODE.delete) reader.fail(`bad entry kind ${this.kindCode}`);
    this.expireAtMs = reader.varint();
    this.valueLength = reader.varint();
    if (this.kindCode === ENTRY_KIND_CODE.delete && this.valueLength !== 0) reader.fail('delete with a value');
    this.valueStart = reader.skip(this.valueLength);
    this.isValid = true;
  }
}
