import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockCache } from './block-cache.js';
import { compareEntries, type Entry, type EntryIterator } from './entry.js';
import { SstableCorruptionError } from './errors.js';
import { CrashableFileSystem } from './crashable-file-system.js';
import { SstableReader } from './sstable-reader.js';
import { encodeFooter, SSTABLE_FOOTER_BYTES, SstableWriter, type SstableWriterOptions } from './sstable-writer.js';

const PATH = '/db/000005.sst';
const label = (entry: Entry): string => `${entry.key.toString('hex')}@${entry.seq}:${entry.kind}:${entry.value.toString('hex')}:${entry.expireAtMs}`;

function drain(iterator: EntryIterator): Entry[] {
  const out: Entry[] = [];
  for (; iterator.valid(); iterator.next()) out.push(iterator.entry());
  return out;
}

function writeTable(entries: readonly Entry[], options: SstableWriterOptions = {}): CrashableFileSystem {
  const fs = new CrashableFileSystem();
  fs.mkdirp('/db');
  const file = fs.create(PATH);
  const writer = new SstableWriter(file, options);
  for (const entry of entries) writer.add(entry);
  const result = writer.finish();
  file.close();
  expect(fs.fileSize(PATH)).toBe(result.sizeBytes);
  return fs;
}

function openTable(fs: CrashableFileSystem, cacheBytes = 1 << 20): SstableReader {
  return SstableReader.open(fs, PATH, 5, new BlockCache(cacheBytes));
}

/** Sorted entries with distinct (key, seq): binary keys, long shared prefixes, empty values, several versions per key. */
const entriesArbitrary: fc.Arbitrary<Entry[]> = fc
  .array(
    fc.record({
      key: fc.tuple(fc.constantFrom('', 'user:', 'x'.repeat(100)), fc.uint8Array({ maxLength: 5 })).map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix), tail])),
      versions: fc.array(fc.record({ kind: fc.constantFrom('put' as const, 'put' as const, 'delete' as const), value: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ maxLength: 300 })), expireAtMs: fc.constantFrom(0, 1_700_000_000_000) }), { minLength: 1, maxLength: 4 }),
    }),
    { maxLength: 120 },
  )
  .chain((records) => fc.tuple(fc.constant(records), fc.shuffledSubarray(Array.from({ length: 600 }, (_, index) => index * 3 + 1), { minLength: 600, maxLength: 600 })))
  .map(([records, seqs]) => {
    const byKey = new Map(records.map((record) => [record.key.toString('hex'), record]));
    const entries: Entry[] = [];
    let next = 0;
    for (const record of byKey.values()) {
      for (const version of record.versions) {
        const value = version.kind === 'delete' ? Buffer.alloc(0) : Buffer.from(version.value);
        entries.push({ key: record.key, seq: seqs[next++]!, kind: version.kind, value, expireAtMs: version.expireAtMs });
      }
    }
    return entries.sort(compareEntries);
  });

const optionsArbitrary: fc.Arbitrary<SstableWriterOptions> = fc.record({
  blockBytes: fc.oneof(fc.constant(1), fc.integer({ min: 16, max: 2048 })),
  restartInterval: fc.integer({ min: 1, max: 20 }),
  bloomBitsPerKey: fc.integer({ min: 1, max: 20 }),
});

function newestAtOrBelow(entries: readonly Entry[], key: Buffer, snapshotSeq: number): Entry | undefined {
  return entries.find((entry) => entry.key.equals(key) && entry.seq <= snapshotSeq);
}

describe('SstableReader round trips', () => {
  it('reads back every entry, every key and every snapshot written', () => {
    fc.assert(
      fc.property(entriesArbitrary, optionsArbitrary, fc.array(fc.nat(1900), { maxLength: 6 }), (entries, options, snapshots) => {
        const reader = openTable(writeTable(entries, options));
        const iterator = reader.iterator();
        iterator.seekToFirst();
        expect(drain(iterator).map(label)).toEqual(entries.map(label));
        for (const entry of entries) {
          expect(label(reader.get(entry.key)!)).toBe(label(newestAtOrBelow(entries, entry.key, Infinity)!));
          expect(label(reader.get(entry.key, undefined, undefined, true)!)).toBe(label(newestAtOrBelow(entries, entry.key, Infinity)!));
          for (const snapshot of snapshots) {
            const expected = newestAtOrBelow(entries, entry.key, snapshot);
            const found = reader.get(entry.key, snapshot);
            expect(found && label(found)).toBe(expected && label(expected));
          }
        }
        expect(reader.meta.entryCount).toBe(entries.length);
        reader.verify();
        reader.close();
      }),
      { numRuns: 60 },
    );
  });

  it('returns nothing for absent keys and seeks to the first entry >= the target', () => {
    fc.assert(
      fc.property(entriesArbitrary, optionsArbitrary, fc.array(fc.uint8Array({ maxLength: 7 }), { maxLength: 12 }), (entries, options, probes) => {
        const reader = openTable(writeTable(entries, options));
        const present = new Set(entries.map((entry) => entry.key.toString('hex')));
        const targets = [...probes.map((probe) => Buffer.from(probe)), Buffer.from('user:'), Buffer.from('x'.repeat(101)), Buffer.from([0xff])];
        for (const target of targets) {
          if (!present.has(target.toString('hex'))) expect(reader.get(target)).toBeUndefined();
          // the caller's range check skipped (Version.get's): a key out of range is still in no block
          if (!present.has(target.toString('hex'))) expect(reader.get(target, undefined, undefined, true)).toBeUndefined();
          const iterator = reader.iterator();
          iterator.seek(target);
          const expected = entries.filter((entry) => Buffer.compare(entry.key, target) >= 0);
          expect(drain(iterator).map(label)).toEqual(expected.map(label));
        }
        for (const entry of entries) {
          const iterator = reader.iterator();
          iterator.seek(entry.key);
          expect(label(iterator.entry())).toBe(label(entries.find((other) => other.key.equals(entry.key))!));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('seekBelow(key, end) positions as seek(key) when an entry lies in [key, end), else leaves the iterator invalid', () => {
    fc.assert(
      fc.property(entriesArbitrary, optionsArbitrary, fc.array(fc.tuple(fc.uint8Array({ maxLength: 7 }), fc.uint8Array({ maxLength: 7 })), { maxLength: 12 }), (entries, options, bounds) => {
        const reader = openTable(writeTable(entries, options));
        const pairs = [...bounds.map(([key, end]) => [Buffer.from(key), Buffer.from(end)] as const), ...entries.map((entry) => [entry.key, Buffer.concat([entry.key, Buffer.of(0)])] as const)];
        for (const [key, end] of pairs) {
          const iterator = reader.iterator();
          iterator.seekBelow!(key, end);
          const expected = entries.filter((entry) => Buffer.compare(entry.key, key) >= 0);
          if (expected.length > 0 && Buffer.compare(expected[0]!.key, end) < 0) expect(drain(iterator).map(label)).toEqual(expected.map(label));
          else expect(iterator.valid()).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reads an empty table', () => {
    const reader = openTable(writeTable([]));
    expect(reader.get(Buffer.from('a'))).toBeUndefined();
    const iterator = reader.iterator();
    iterator.seekToFirst();
    expect(iterator.valid()).toBe(false);
    iterator.seek(Buffer.alloc(0));
    expect(iterator.valid()).toBe(false);
    reader.verify();
  });
});

describe('SstableReader caching and filtering', () => {
  const entries = Array.from({ length: 400 }, (_, index): Entry => ({
    key: Buffer.from(`key${String(index * 2).padStart(5, '0')}`), seq: index + 1, kind: 'put', value: Buffer.alloc(50, index), expireAtMs: 0,
  }));

  it('serves repeated gets from the block cache', () => {
    const fs = writeTable(entries, { blockBytes: 1024 });
    const cache = new BlockCache(1 << 20);
    const reader = SstableReader.open(fs, PATH, 5, cache);
    const key = entries[123]!.key;
    expect(reader.get(key)?.seq).toBe(124);
    const readsAfterFirst = reader.stats.blockReads;
    expect(readsAfterFirst).toBe(1);
    for (let round = 0; round < 5; round++) expect(reader.get(key)?.seq).toBe(124);
    expect(reader.stats.blockReads).toBe(readsAfterFirst);
    expect(cache.stats().hits).toBe(5);
    cache.evictFile(5);
    reader.get(key);
    expect(reader.stats.blockReads).toBe(2);
  });

  it('reads ahead when an iterator walks the file in order, and caches copies of what it read', () => {
    const fs = writeTable(entries, { blockBytes: 256 });
    let fileReads = 0;
    const counting = Object.create(fs) as CrashableFileSystem;
    counting.openRead = (path: string) => {
      const file = fs.openRead(path);
      const read = file.read.bind(file);
      file.read = (offset: number, length: number) => {
        fileReads++;
        return read(offset, length);
      };
      return file;
    };
    const cache = new BlockCache(1 << 20);
    const reader = SstableReader.open(counting, PATH, 5, cache);
    const readsAtOpen = fileReads;
    const iterator = reader.iterator();
    iterator.seekToFirst();
    expect(drain(iterator).map(label)).toEqual(entries.map(label));
    const blockCount = reader.indexHandles.length;
    expect(blockCount).toBeGreaterThan(50);
    expect(fileReads - readsAtOpen).toBeLessThan(blockCount / 4);
    expect(cache.stats().blockCount).toBe(blockCount);
    // one miss per file read (the blocks read ahead come with it); readahead probes count nothing
    const afterFirst = cache.stats();
    expect(afterFirst).toMatchObject({ hits: 0, misses: fileReads - readsAtOpen });
    const again = reader.iterator(); // every block cached now: no file read
    again.seekToFirst();
    expect(drain(again).map(label)).toEqual(entries.map(label));
    expect(fileReads - readsAtOpen).toBeLessThan(blockCount / 4);
    expect(cache.stats()).toMatchObject({ hits: afterFirst.hits + blockCount, misses: afterFirst.misses });
  });

  it('reads blocks it caches straight into shared cache memory', () => {
    const cache = new BlockCache(1 << 20);
    const reader = SstableReader.open(writeTable(entries, { blockBytes: 1024 }), PATH, 5, cache);
    for (const entry of entries) expect(label(reader.get(entry.key)!)).toBe(label(entry));
    expect(reader.get(Buffer.from('key00001'))).toBeUndefined();
    const blockCount = reader.indexHandles.length;
    expect(reader.stats.blockReads).toBe(blockCount);
    const first = reader.cachedBlock(0)!;
    const second = reader.cachedBlock(1)!;
    expect(second.contents.buffer).toBe(first.contents.buffer); // one slab, not a buffer per block
    expect(second.contents.byteOffset).toBeGreaterThanOrEqual(first.contents.byteOffset + first.contents.length + 5);
    for (const entry of entries) expect(label(reader.get(entry.key)!)).toBe(label(entry));
    expect(reader.stats.blockReads).toBe(blockCount); // all served from the cache
  });

  it('rereads blocks when the cache holds nothing', () => {
    const reader = openTable(writeTable(entries, { blockBytes: 1024 }), 0);
    for (let round = 0; round < 3; round++) reader.get(entries[5]!.key);
    expect(reader.stats.blockReads).toBe(3);
  });

  it('answers most absent keys from the Bloom filter without reading a block', () => {
    const reader = openTable(writeTable(entries, { blockBytes: 1024 }));
    for (let index = 0; index < 400; index++) expect(reader.get(Buffer.from(`key${String(index * 2 + 1).padStart(5, '0')}`))).toBeUndefined();
    expect(reader.stats.bloomNegatives).toBeGreaterThan(380);
    expect(reader.stats.blockReads).toBeLessThan(20);
    expect(reader.mayContain(entries[0]!.key)).toBe(true);
  });
});

describe('SstableReader on damaged files', () => {
  const entries = Array.from({ length: 120 }, (_, index): Entry => ({
    key: Buffer.from(`user:${String(index % 60).padStart(3, '0')}`),
    seq: index < 60 ? 1000 - index : 500 - index,
    kind: index % 7 === 0 ? 'delete' : 'put',
    value: index % 7 === 0 ? Buffer.alloc(0) : Buffer.from(`value-${index}`),
    expireAtMs: index % 5 === 0 ? 1_700_000_000_000 + index : 0,
  })).sort(compareEntries);
  const absent = [Buffer.from('user:0005'), Buffer.from('user:'), Buffer.from('zzz')];

  /** Returns normally only if every answer is right; any error must be an SstableCorruptionError. */
  function readCorrectlyOrFail(fs: CrashableFileSystem, probeIndex: number | undefined): void {
    const reader = openTable(fs);
    if (probeIndex !== undefined) {
      // One point read touches the filter, the index and one or two data blocks only.
      const entry = entries[probeIndex]!;
      const found = reader.get(entry.key, entry.seq);
      expect(found && label(found)).toBe(label(entry));
      return;
    }
    const iterator = reader.iterator();
    let index = 0;
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) expect(label(iterator.entry())).toBe(label(entries[index++]!));
    expect(index).toBe(entries.length);
    for (const entry of entries) expect(label(reader.get(entry.key, entry.seq)!)).toBe(label(entry));
    for (const key of absent) expect(reader.get(key)).toBeUndefined();
  }

  it('gives SstableCorruptionError or correct data for one changed byte anywhere, and verify() always fails', () => {
    const pristine = writeTable(entries, { blockBytes: 256, restartInterval: 4 }).readAll(PATH);
    let state = 0x9e3779b9;
    const random = (bound: number): number => {
      state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return state % bound;
    };
    const positions = new Set<number>();
    for (let position = pristine.length - SSTABLE_FOOTER_BYTES; position < pristine.length; position++) positions.add(position);
    while (positions.size < 800) positions.add(random(pristine.length));
    const outcomes = { corrupt: 0, correct: 0 };
    for (const position of positions) {
      const damaged = Buffer.from(pristine);
      damaged[position] = damaged[position]! ^ (1 + random(255));
      const fs = new CrashableFileSystem();
      fs.mkdirp('/db');
      fs.writeAll(PATH, damaged);
      try {
        readCorrectlyOrFail(fs, random(3) === 0 ? undefined : random(entries.length));
        outcomes.correct++;
      } catch (error) {
        if (!(error instanceof SstableCorruptionError)) throw new Error(`byte ${position}: ${String(error)}`, { cause: error });
        outcomes.corrupt++;
      }
      expect(() => openTable(fs).verify(), `byte ${position}`).toThrow(SstableCorruptionError);
    }
    expect(outcomes.corrupt).toBeGreaterThan(100);
    expect(outcomes.correct).toBeGreaterThan(100);
  });

  it('fails with SstableCorruptionError when a data block read into cache memory is cut short', () => {
    const pristine = writeTable(entries, { blockBytes: 256 }).readAll(PATH);
    const fs = new CrashableFileSystem();
    fs.mkdirp('/db');
    fs.writeAll(PATH, pristine);
    const reader = openTable(fs);
    fs.truncate(PATH, 10); // the reader's handle sees the shorter file
    expect(() => reader.get(entries[0]!.key)).toThrow(expect.objectContaining({ code: 'ERR_SSTABLE_CORRUPT', offset: 0 }));
  });

  it('fails to open a truncated file', () => {
    const pristine = writeTable(entries, { blockBytes: 256 }).readAll(PATH);
    for (const length of [0, 1, 51, 52, 53, 100, pristine.length - 53, pristine.length - 1]) {
      const fs = new CrashableFileSystem();
      fs.mkdirp('/db');
      fs.writeAll(PATH, pristine.subarray(0, length));
      expect(() => openTable(fs), `length ${length}`).toThrow(SstableCorruptionError);
    }
  });

  it('fails on a footer with a good crc but handles that do not fit the file', () => {
    const pristine = writeTable(entries, { blockBytes: 256 }).readAll(PATH);
    const footerOffset = pristine.length - SSTABLE_FOOTER_BYTES;
    const index = { offset: footerOffset - 100, size: 95 };
    const cases = [
      encodeFooter({ offset: 0, size: 10 }, { offset: 15, size: 10 }, index), // does not tile
      encodeFooter({ offset: 2 ** 40, size: 10 }, { offset: 2 ** 40 + 15, size: 10 }, { offset: 2 ** 40 + 30, size: 1 }),
    ];
    for (const footer of cases) {
      const fs = new CrashableFileSystem();
      fs.mkdirp('/db');
      fs.writeAll(PATH, Buffer.concat([pristine.subarray(0, footerOffset), footer]));
      expect(() => openTable(fs)).toThrow(SstableCorruptionError);
    }
  });

  it('names the file and the offset in the error', () => {
    const damaged = writeTable(entries).readAll(PATH);
    damaged[damaged.length - 1] = damaged[damaged.length - 1]! ^ 1;
    const fs = new CrashableFileSystem();
    fs.mkdirp('/db');
    fs.writeAll(PATH, damaged);
    expect(() => openTable(fs)).toThrow(expect.objectContaining({ code: 'ERR_SSTABLE_CORRUPT', file: PATH, offset: damaged.length - 8 }));
  });
});
