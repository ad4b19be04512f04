import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Block, BLOCK, BlockBuilder, blockChecksum, bucketOf, ByteReader, ByteWriter, compareBytes, decodeIndexBlock, INDEX_GUIDE_KEYS_MIN, KeyIndex, maskCrc } from './block.js';
import { bloomHash } from './bloom.js';
import { compareEntries, type Entry, type EntryIterator } from './entry.js';
import { SstableCorruptionError } from './errors.js';

const label = (entry: Entry): string => `${entry.key.toString('hex')}@${entry.seq}:${entry.kind}:${entry.value.toString('hex')}:${entry.expireAtMs}`;

function drain(iterator: EntryIterator): Entry[] {
  const out: Entry[] = [];
  for (; iterator.valid(); iterator.next()) out.push(iterator.entry());
  return out;
}

/** Sorted entries with distinct (key, seq): shared prefixes, empty values, several versions per key. */
const entriesArbitrary: fc.Arbitrary<Entry[]> = fc
  .array(
    fc.record({
      key: fc.tuple(fc.constantFrom('', 'prefix:', 'p'.repeat(40)), fc.uint8Array({ maxLength: 4 })).map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix), tail])),
      versions: fc.array(fc.record({ kind: fc.constantFrom('put' as const, 'delete' as const), value: fc.uint8Array({ maxLength: 20 }), expireAtMs: fc.constantFrom(0, 1, 2 ** 53 - 1) }), { minLength: 1, maxLength: 3 }),
    }),
    { maxLength: 80 },
  )
  .map((records) => {
    const byKey = new Map(records.map((record) => [record.key.toString('hex'), record]));
    let seq = 1;
    const entries: Entry[] = [];
    for (const record of byKey.values()) {
      for (const version of record.versions) {
        const value = version.kind === 'delete' ? Buffer.alloc(0) : Buffer.from(version.value);
        entries.push({ key: record.key, seq: seq++ * 1000 + 7, kind: version.kind, value, expireAtMs: version.expireAtMs });
      }
    }
    return entries.sort(compareEntries);
  });

/**
 * A block over a buffer of its own, or (pad > 0; by default for most entry counts) over bytes
 * pad .. pad + length of a larger buffer with 0xff bytes around it, as blocks lie in cache slabs.
 * hashIndex: the block ends with a hash index (as SSTable data blocks do).
 */
function buildBlock(entries: Entry[], restartInterval: number, pad = entries.length % 9, hashIndex = false): Block {
  const builder = new BlockBuilder(restartInterval, hashIndex);
  for (const entry of entries) builder.addEntry(entry);
  const estimated = builder.estimatedBytes();
  const contents = builder.finish();
  expect(contents.length).toBe(estimated);
  if (pad === 0) return new Block(contents, 'test.sst', 100);
  const slab = Buffer.alloc(pad + contents.length + pad, 0xff);
  contents.copy(slab, pad);
  const block = new Block(slab, 'test.sst', 100, pad, pad + contents.length);
  expect(block.contents.equals(contents)).toBe(true);
  return block;
}

describe('BlockBuilder and BlockIterator', () => {
  it('round-trips random entries at any restart interval, with or without a hash index', () => {
    fc.assert(
      fc.property(entriesArbitrary, fc.integer({ min: 1, max: 20 }), fc.boolean(), (entries, restartInterval, hashIndex) => {
        const iterator = buildBlock(entries, restartInterval, undefined, hashIndex).iterator();
        iterator.seekToFirst();
        expect(drain(iterator).map(label)).toEqual(entries.map(label));
      }),
    );
  });

  it('finds the newest version at or below a snapshot, or says absent / next block', () => {
    fc.assert(
      fc.property(entriesArbitrary, fc.integer({ min: 1, max: 20 }), fc.array(fc.nat(100_000), { maxLength: 4 }), (entries, restartInterval, snapshots) => {
        const block = buildBlock(entries, restartInterval);
        const probes = [...entries.map((entry) => entry.key), Buffer.from('prefix:'), Buffer.from('zzz'), Buffer.alloc(0), Buffer.from([0])];
        for (const key of probes) {
          for (const snapshot of [undefined, ...snapshots]) {
            const versions = entries.filter((entry) => entry.key.equals(key));
            const visible = versions.find((entry) => snapshot === undefined || entry.seq <= snapshot);
            const greater = entries.some((entry) => Buffer.compare(entry.key, key) > 0);
            const found = block.find(key, snapshot);
            if (visible !== undefined) expect(typeof found === 'string' ? found : label(found)).toBe(label(visible));
            else expect(found).toBe(greater ? 'absent' : 'next');
          }
        }
      }),
    );
  });

  it('finds through the hash index what the restart search finds, for present, absent and colliding keys', () => {
    let collisions = 0;
    let emptyBuckets = 0;
    fc.assert(
      fc.property(entriesArbitrary, fc.integer({ min: 1, max: 20 }), fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 12 }), fc.array(fc.nat(100_000), { maxLength: 3 }), (entries, restartInterval, extra, snapshots) => {
        const plain = buildBlock(entries, restartInterval, undefined, false);
        const hashed = buildBlock(entries, restartInterval, undefined, true);
        expect(hashed.bucketCount > 0).toBe(entries.length > 0);
        const tail = hashed.contents.subarray(hashed.contents.length - 6 - hashed.bucketCount, hashed.contents.length - 6);
        collisions += tail.filter((bucket) => bucket === BLOCK.HASH_COLLISION).length;
        emptyBuckets += tail.filter((bucket) => bucket === BLOCK.HASH_NO_KEY).length;
        const prefixes = ['', 'prefix:', 'p'.repeat(40)].map((prefix) => Buffer.from(prefix));
        const absent = extra.flatMap((tailBytes) => prefixes.map((prefix) => Buffer.concat([prefix, tailBytes])));
        for (const key of [...entries.map((entry) => entry.key), ...absent, Buffer.from('zzz'), Buffer.from([0])]) {
          const inBlock = entries.some((entry) => entry.key.equals(key));
          for (const snapshot of [undefined, ...snapshots]) {
            const expected = plain.find(key, snapshot);
            for (const keyHash of [-1, bloomHash(key)]) {
              const found = hashed.find(key, snapshot, keyHash);
              if (inBlock || typeof found !== 'string') expect(typeof found === 'string' ? found : label(found)).toBe(typeof expected === 'string' ? expected : label(expected));
              else expect(['absent', expected]).toContain(found); // not in the block: the index may say so before the end
            }
          }
        }
      }),
    );
    expect(collisions).toBeGreaterThan(0); // the runs did meet collision buckets
    expect(emptyBuckets).toBeGreaterThan(0);
  });

  it('puts a key in the bucket of the first interval of two, and writes no index past 253 restarts', () => {
    const keys = Array.from({ length: 40 }, (_, index) => Buffer.from(`key:${String(index).padStart(4, '0')}`));
    const builder = new BlockBuilder(1, true);
    for (const [index, key] of keys.entries()) builder.addEntry({ key, seq: index + 1, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 });
    const block = new Block(builder.finish(), 'test.sst', 0);
    expect(block.bucketCount).toBe(80);
    const buckets = block.contents.subarray(block.contents.length - 6 - 80, block.contents.length - 6);
    for (const [index, key] of keys.entries()) {
      const held = buckets[bucketOf(bloomHash(key), 80)]!;
      expect(held === BLOCK.HASH_COLLISION || held === index || held === index - 1).toBe(true);
      expect(block.find(key, undefined)).toMatchObject({ seq: index + 1 });
    }
    const many = new BlockBuilder(1, true);
    for (let index = 0; index < 254; index++) many.addEntry({ key: Buffer.from(`k${String(index).padStart(3, '0')}`), seq: 1, kind: 'put', value: Buffer.alloc(0), expireAtMs: 0 });
    const estimated = many.estimatedBytes();
    const contents = many.finish();
    expect(contents.length).toBe(estimated);
    const unindexed = new Block(contents, 'test.sst', 0);
    expect([unindexed.bucketCount, unindexed.restartCount]).toEqual([0, 254]);
    expect(unindexed.find(Buffer.from('k200'), undefined)).toMatchObject({ seq: 1 });
  });

  it('seeks to the newest version of the first key >= the target, with or without a hash index', () => {
    fc.assert(
      fc.property(entriesArbitrary, fc.integer({ min: 1, max: 20 }), fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 10 }), fc.boolean(), (entries, restartInterval, probes, hashIndex) => {
        const block = buildBlock(entries, restartInterval, undefined, hashIndex);
        const targets = [...entries.map((entry) => entry.key), ...probes.map((probe) => Buffer.from(probe)), Buffer.from('prefix:')];
        for (const target of targets) {
          const iterator = block.iterator();
          iterator.seek(target);
          const expected = entries.find((entry) => Buffer.compare(entry.key, target) >= 0);
          expect(iterator.valid() ? label(iterator.entry()) : undefined).toBe(expected && label(expected));
        }
      }),
    );
  });

  it('seeks alike after reset() onto another block, one iterator for many blocks and seeks', () => {
    fc.assert(
      fc.property(fc.array(entriesArbitrary, { minLength: 1, maxLength: 4 }), fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 10 }), (blocks, probes) => {
        const built = blocks.map((entries) => buildBlock(entries, 4));
        const reused = built[0]!.iterator();
        for (const [index, block] of built.entries()) {
          const entries = blocks[index]!;
          reused.reset(block);
          expect(reused.valid()).toBe(false);
          for (const target of [...entries.map((entry) => entry.key), ...probes.map((probe) => Buffer.from(probe)), Buffer.from('p'.repeat(40))]) {
            reused.seek(target);
            const expected = entries.find((entry) => Buffer.compare(entry.key, target) >= 0);
            expect(reused.valid() ? label(reused.entry()) : undefined).toBe(expected && label(expected));
          }
          reused.seekToFirst();
          expect(drain(reused).map(label)).toEqual(entries.map(label));
        }
      }),
    );
  });

  it('writes the documented bytes (golden block)', () => {
    const builder = new BlockBuilder(2);
    builder.addEntry({ key: Buffer.from('apple'), seq: 300, kind: 'put', value: Buffer.from('red'), expireAtMs: 0 });
    builder.addEntry({ key: Buffer.from('apply'), seq: 7, kind: 'put', value: Buffer.alloc(0), expireAtMs: 1_700_000_000_000 });
    builder.addEntry({ key: Buffer.from('apt'), seq: 5, kind: 'delete', value: Buffer.alloc(0), expireAtMs: 0 });
    const contents = builder.finish();
    const expected = [
      '00 05 6170706c65 ac02 01 00 03 726564', //      apple: shared 0, 5 bytes, seq 300, put, no expiry, value "red"
      '04 01 79 07 01 80d095ffbc31 00', //            apply: shares "appl", seq 7, put, expires 1700000000000, empty value
      '00 03 617074 05 02 00 00', //                  apt: a restart (interval 2), seq 5, delete
      '00000000 1b000000 02000000', //               restarts at 0 and 27, count 2
    ].join('').replaceAll(' ', '');
    expect(contents.toString('hex')).toBe(expected);
    expect(blockChecksum(contents, 0).toString(16)).toBe('3003ca65');
  });

  it('round-trips index entries', () => {
    const builder = new BlockBuilder(1);
    const handles = [{ offset: 0, size: 4096 }, { offset: 4101, size: 17 }, { offset: 2 ** 40, size: 2 ** 32 - 1 }];
    const keys = [Buffer.from('a'), Buffer.from('abc'), Buffer.from('b')];
    keys.forEach((key, index) => builder.addHandle(key, handles[index]!));
    const decoded = decodeIndexBlock(new Block(builder.finish(), 'test.sst', 0));
    expect([0, 1, 2].map((index) => decoded.keys.key(index).toString())).toEqual(['a', 'abc', 'b']);
    expect([...decoded.offsets].map((offset, index) => ({ offset, size: decoded.sizes[index] }))).toEqual(handles);
  });

  it('decodes any index block into keys, offsets and sizes equal to what was added, at any restart interval', () => {
    const keyArbitrary = fc.tuple(fc.constantFrom('', 'ns:', 'ns:abcdefghijklmnop'), fc.uint8Array({ maxLength: 12 })).map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix), tail]));
    fc.assert(
      fc.property(fc.array(keyArbitrary, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 2 ** 45 }), (raw, interval, base) => {
        const keys = [...new Map(raw.map((key) => [key.toString('hex'), key])).values()].sort(Buffer.compare);
        const handles = keys.map((_, index) => ({ offset: base + index * 4101, size: 4096 + (index % 7) }));
        const builder = new BlockBuilder(interval);
        keys.forEach((key, index) => builder.addHandle(key, handles[index]!));
        const decoded = decodeIndexBlock(new Block(builder.finish(), 'test.sst', 0));
        expect(decoded.keys.count).toBe(keys.length);
        expect(keys.map((_, index) => decoded.keys.key(index).toString('hex'))).toEqual(keys.map((key) => key.toString('hex')));
        expect([...decoded.offsets]).toEqual(handles.map((handle) => handle.offset));
        expect([...decoded.sizes]).toEqual(handles.map((handle) => handle.size));
        for (const target of keys) expect(decoded.keys.lowerBound(target)).toBe(keys.indexOf(target));
      }),
    );
  });

  it('decodes index keys that share a prefix (restart interval above 1) whole', () => {
    const builder = new BlockBuilder(16);
    const keys = ['apple', 'applesauce', 'apply', 'b', 'ba'].map((key) => Buffer.from(key));
    keys.forEach((key, index) => builder.addHandle(key, { offset: index * 100, size: 90 }));
    const decoded = decodeIndexBlock(new Block(builder.finish(), 'test.sst', 0));
    expect(keys.map((_, index) => decoded.keys.key(index).toString())).toEqual(['apple', 'applesauce', 'apply', 'b', 'ba']);
    expect(decoded.keys.lowerBound(Buffer.from('applet'))).toBe(2);
    expect([...decoded.offsets]).toEqual([0, 100, 200, 300, 400]);
  });

  it('reads an empty block as no entries', () => {
    const iterator = buildBlock([], 16).iterator();
    iterator.seekToFirst();
    expect(iterator.valid()).toBe(false);
    iterator.seek(Buffer.from('x'));
    expect(iterator.valid()).toBe(false);
  });
});

describe('Block decoding of malformed bytes', () => {
  const good = (hashIndex = false): Buffer => {
    const builder = new BlockBuilder(1, hashIndex);
    builder.addEntry({ key: Buffer.from('key'), seq: 1, kind: 'put', value: Buffer.from('value'), expireAtMs: 0 });
    builder.addEntry({ key: Buffer.from('kez'), seq: 2, kind: 'delete', value: Buffer.alloc(0), expireAtMs: 0 });
    return builder.finish();
  };

  it('fails on a bad restart count or restart offset', () => {
    expect(() => new Block(Buffer.alloc(3), 'f', 0)).toThrow(SstableCorruptionError);
    const zeroCount = good();
    zeroCount.writeUInt32LE(0, zeroCount.length - 4);
    expect(() => new Block(zeroCount, 'f', 0)).toThrow(SstableCorruptionError);
    const hugeCount = good();
    hugeCount.writeUInt32LE(1000, hugeCount.length - 4);
    expect(() => new Block(hugeCount, 'f', 0)).toThrow(SstableCorruptionError);
    const badRestart = good();
    badRestart.writeUInt32LE(9999, badRestart.length - 8);
    expect(() => new Block(badRestart, 'f', 0)).toThrow(SstableCorruptionError);
  });

  it('fails on a hash index naming a restart the block lacks, or a bucket count past the block', () => {
    expect(new Block(good(true), 'f', 0).bucketCount).toBe(4);
    const damaged = (edit: (bytes: Buffer) => unknown): (() => Block) => {
      const bytes = good(true);
      edit(bytes);
      return () => new Block(bytes, 'f', 0);
    };
    expect(damaged((bytes) => (bytes[bytes.length - 7] = 2))).toThrow(/names restart 2 of 2/); // restarts 0 and 1 only
    expect(damaged((bytes) => bytes.writeUInt16LE(5000, bytes.length - 6))).toThrow(SstableCorruptionError); // buckets past the block
    expect(damaged((bytes) => bytes.writeUInt16LE(0, bytes.length - 6))).toThrow(SstableCorruptionError);
    expect(damaged((bytes) => bytes.writeUInt32LE(BLOCK.HASH_INDEX_FLAG + 254, bytes.length - 4))).toThrow(SstableCorruptionError);
    expect(() => new Block(Buffer.from([0, 0, 0, 0x80]), 'f', 0)).toThrow(SstableCorruptionError); // a flag and nothing else
    const original = good(true);
    for (let position = 0; position < original.length; position++) {
      for (const value of [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]) {
        const damaged = Buffer.from(original);
        if (damaged[position] === value) continue;
        damaged[position] = value;
        for (const key of ['kez', 'key', 'kf', 'a'].map((text) => Buffer.from(text))) {
          try {
            new Block(damaged, 'f', 0).find(key, undefined);
          } catch (error) {
            expect(error).toBeInstanceOf(SstableCorruptionError);
          }
        }
      }
    }
  });

  it('raises only SstableCorruptionError (no RangeError, no hang) on any changed byte before the restarts', () => {
    const original = good();
    const restartsOffset = original.length - 4 - 2 * 4;
    for (let position = 0; position < restartsOffset; position++) {
      for (const value of [0x00, 0x7f, 0x80, 0xff]) {
        const damaged = Buffer.from(original);
        if (damaged[position] === value) continue;
        damaged[position] = value;
        // Without its crc (checked one level up) a block may decode to other entries, but only within bounds.
        try {
          drainBlock(damaged);
        } catch (error) {
          expect(error).toBeInstanceOf(SstableCorruptionError);
        }
        for (const key of ['kez', 'key', 'kf', 'a'].map((text) => Buffer.from(text))) {
          try {
            new Block(damaged, 'f', 0).find(key, undefined); // the point lookup's own decoding
          } catch (error) {
            expect(error).toBeInstanceOf(SstableCorruptionError);
          }
        }
      }
    }
  });

  it('keeps no reader on a block after find(), and names the damaged block when another was read before', () => {
    const block = new Block(good(), 'f', 0);
    expect(block.find(Buffer.from('key'), undefined)).toMatchObject({ seq: 1, kind: 'put' });
    expect(Object.values(block).some((field) => field instanceof ByteReader)).toBe(false); // a cached block costs no reader
    const damaged = good();
    damaged[1] = 0x7f; // the first key's length now runs past the entries
    let caught: unknown;
    try {
      new Block(damaged, 'g', 5000).find(Buffer.from('kez'), undefined);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SstableCorruptionError);
    expect((caught as SstableCorruptionError).message).toMatch(/^SSTable g is corrupt at byte 50\d\d/);
  });
});

function drainBlock(contents: Buffer): string[] {
  const iterator = new Block(contents, 'f', 0).iterator();
  iterator.seekToFirst();
  return drain(iterator).map(label);
}

describe('compareBytes', () => {
  it('orders byte ranges like Buffer.compare, short and long', () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ minLength: 40, maxLength: 80 }).map((tail) => Uint8Array.from([...new Uint8Array(30), ...tail])));
    fc.assert(
      fc.property(bytes, bytes, fc.nat(5), (a, b, padding) => {
        const padded = Buffer.concat([Buffer.alloc(padding, 0xaa), Buffer.from(a), Buffer.alloc(3, 0x55)]);
        const expected = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(Math.sign(compareBytes(padded, padding, padding + a.length, Buffer.from(b)))).toBe(expected);
      }),
    );
  });
});

describe('varints and crc masking', () => {
  it('round-trips varints up to 2^53 - 1', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeNat()), (values) => {
        const writer = new ByteWriter(1);
        for (const value of values) writer.varint(value);
        const reader = new ByteReader(writer.toBuffer(), 'f', 0);
        for (const value of values) expect(reader.varint()).toBe(value);
        expect(reader.pos).toBe(writer.length);
      }),
    );
    const writer = new ByteWriter();
    for (const value of [2 ** 53 - 1, 0, 127, 128]) writer.varint(value);
    expect(writer.toBuffer().toString('hex')).toBe('ffffffffffffff0f' + '00' + '7f' + '8001');
  });

  it('fails on a varint longer than 8 bytes or cut short', () => {
    expect(() => new ByteReader(Buffer.alloc(9, 0xff), 'f', 0).varint()).toThrow(SstableCorruptionError);
    expect(() => new ByteReader(Buffer.from([0x80]), 'f', 0).varint()).toThrow(SstableCorruptionError);
    expect(() => new ByteReader(Buffer.from('ffffffffffffff7f', 'hex'), 'f', 0).varint()).toThrow(SstableCorruptionError);
  });

  it('masks crcs like LevelDB', () => {
    expect(maskCrc(0).toString(16)).toBe('a282ead8');
    expect(maskCrc(0x12345678).toString(16)).toBe('4f730f40');
  });
});

describe('KeyIndex', () => {
  it('finds the first key >= the target, prefixes (16-byte words) tied or not', () => {
    const keyArbitrary = fc.tuple(fc.constantFrom('', 'ab', 'abcdefgh', 'abcdefgh\x00', 'abcd', 'abcdefghijklmnop', 'abcdefghijklmno\x00', 'abcdefghijkl'), fc.uint8Array({ maxLength: 10 })).map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix, 'latin1'), tail]));
    fc.assert(
      fc.property(fc.array(keyArbitrary, { maxLength: 60 }), fc.array(keyArbitrary, { maxLength: 20 }), (raw, targets) => {
        const keys = [...new Map(raw.map((key) => [key.toString('hex'), key])).values()].sort(Buffer.compare);
        const index = KeyIndex.of(keys);
        for (const target of [...targets, ...keys]) {
          const expected = keys.findIndex((key) => Buffer.compare(key, target) >= 0);
          expect(index.lowerBound(target)).toBe(expected === -1 ? keys.length : expected);
        }
      }),
    );
  });

  it('searches from its guide as the whole index would, keys sharing 0 to 17 bytes', () => {
    const prefixes = ['', 'n', 'abcdefghijk', 'abcdefghijklmno', 'abcdefghijklmnop', 'abcdefghijklmnopq'];
    const tail = fc.oneof(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ minLength: 1, maxLength: 3 }).map((bytes) => bytes.map((byte) => byte & 3)));
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.array(tail, { minLength: 64, maxLength: 200 }), fc.array(fc.tuple(fc.constantFrom(...prefixes, 'm', 'o', ''), tail)), (prefix, tails, rawTargets) => {
        const keys = [...new Map(tails.map((bytes) => Buffer.concat([Buffer.from(prefix), bytes])).map((key) => [key.toString('hex'), key])).values()].sort(Buffer.compare);
        const index = KeyIndex.of(keys);
        const first = keys[0]!;
        const last = keys[keys.length - 1]!;
        const sixteen = (key: Buffer) => Buffer.concat([key, Buffer.alloc(16)]).subarray(0, 16);
        const guided = keys.length >= INDEX_GUIDE_KEYS_MIN && !sixteen(first).equals(sixteen(last));
        expect(index.guideBucketCount > 0).toBe(guided);
        const targets = rawTargets.map(([start, bytes]) => Buffer.concat([Buffer.from(start), bytes]));
        for (const key of keys) targets.push(key, key.subarray(0, key.length - 1), Buffer.concat([key, Buffer.from([0])]), Buffer.concat([key, Buffer.from([255])]));
        for (const target of targets) {
          const expected = keys.findIndex((key) => Buffer.compare(key, target) >= 0);
          expect(index.lowerBound(target)).toBe(expected === -1 ? keys.length : expected);
        }
      }),
      { numRuns: 100, endOnFailure: true }, // shrinking hundreds of keys takes minutes
    );
  });
});
