import { describe, expect, it } from 'vitest';
import { BlockCache } from './block-cache.js';
import type { Entry } from './entry.js';
import { CrashableFileSystem } from './crashable-file-system.js';
import { SstableReader } from './sstable-reader.js';
import { encodeFooter, shortestSeparator, SSTABLE_FOOTER_BYTES, SSTABLE_MAGIC, SstableWriter } from './sstable-writer.js';

function entry(key: string, seq: number, value: string | undefined, expireAtMs = 0): Entry {
  return value === undefined
    ? { key: Buffer.from(key), seq, kind: 'delete', value: Buffer.alloc(0), expireAtMs }
    : { key: Buffer.from(key), seq, kind: 'put', value: Buffer.from(value), expireAtMs };
}

function newFile(): { fs: CrashableFileSystem; path: string } {
  const fs = new CrashableFileSystem();
  fs.mkdirp('/db');
  return { fs, path: '/db/000001.sst' };
}

/** The golden table below as format 1 wrote it (no hash index; until 2026-12-07 22:10 UTC). */
const FORMAT_1_TABLE_HEX = [
  '00 01 61 02 01 00 01 78 00 01 62 01 02 00 00 00000000 01000000 00 0e9e05b0',
  '4281800002180c14 06 00 2e6d5124 02 01 01 02 02 01 0a 01 61 01 62 00 b45f4906 00 01 62 00 17 00000000 01000000 00 854b6b66',
  '1c000000 00000000 09000000 2a000000 00000000 0b000000 3a000000 00000000 0d000000 7cc399c0 01000000 74736b7673737462',
].join('').replaceAll(' ', '');

describe('SstableWriter', () => {
  it('writes the documented bytes for a tiny table (golden file)', () => {
    const { fs, path } = newFile();
    const file = fs.create(path);
    const writer = new SstableWriter(file);
    writer.add(entry('a', 2, 'x'));
    writer.add(entry('b', 1, undefined));
    const result = writer.finish();
    file.close();
    const expected = [
      '00 01 61 02 01 00 01 78', // data block at 0: "a" seq 2 put, no expiry, value "x"
      '00 01 62 01 02 00 00', //    "b" seq 1 delete (every key is whole here: shared 0)
      '00000000', //                restarts [0]
      '00 ff ff 00 0400', //        hash index: 4 buckets ("b" in 0, "a" in 3: restart 0; none), count 4
      '01000080', //                restart count 1 | 2^31 (a hash index)
      '00 38d7819a', //             trailer: type 0, masked crc32
      '4281800002180c14 06 00 2e6d5124', //          filter at 34: 64 bits, k = 6; trailer
      '02 01 01 02 02 01 0a 01 61 01 62 00 b45f4906', // meta at 48: 2 entries, 1 tombstone, seq 1..2, 2 keys, 1 block, 10 bits/key, "a".."b"
      '00 01 62 00 1d 00000000 01000000 00 c039fd84', // index at 64: "b" -> (0, 29); trailer
      '22000000 00000000 09000000', // footer at 82: filter (34, 9)
      '30000000 00000000 0b000000', //               meta (48, 11)
      '40000000 00000000 0d000000', //               index (64, 13)
      '181a4ec1 02000000 74736b7673737462', //       footer crc, format version 2, magic "tskvsstb"
    ].join('').replaceAll(' ', '');
    expect(fs.readAll(path).toString('hex')).toBe(expected);
    expect(result).toEqual({
      sizeBytes: 134,
      smallestKey: Buffer.from('a'),
      largestKey: Buffer.from('b'),
      entryCount: 2,
      tombstoneCount: 1,
      smallestSeq: 1,
      largestSeq: 2,
    });
  });

  it('reads a format 1 table, written before data blocks had a hash index', () => {
    const { fs, path } = newFile();
    const file = fs.create(path);
    file.append(Buffer.from(FORMAT_1_TABLE_HEX, 'hex')); // the golden table's bytes as format 1 wrote them
    file.close();
    const reader = SstableReader.open(fs, path, 1, new BlockCache(1 << 20));
    expect(reader.get(Buffer.from('a'))).toMatchObject({ seq: 2, kind: 'put', value: Buffer.from('x') });
    expect(reader.get(Buffer.from('b'))).toMatchObject({ seq: 1, kind: 'delete' });
    expect(reader.get(Buffer.from('c'))).toBeUndefined();
    expect(reader.dataBlock(0).bucketCount).toBe(0);
    reader.verify();
    const iterator = reader.iterator();
    iterator.seekToFirst();
    const keys: string[] = [];
    for (; iterator.valid(); iterator.next()) keys.push(iterator.entry().key.toString());
    expect(keys).toEqual(['a', 'b']);
  });

  it('refuses a table of an unknown format version by name', () => {
    const { fs, path } = newFile();
    const file = fs.create(path);
    const bytes = Buffer.from(FORMAT_1_TABLE_HEX, 'hex');
    bytes.writeUInt32LE(3, bytes.length - 12); // the footer's version field (its crc covers only the handles)
    file.append(bytes);
    file.close();
    expect(() => SstableReader.open(fs, path, 1, new BlockCache(1 << 20))).toThrow(/unsupported format version 3/);
  });

  it('writes the same bytes whether its Bloom filter is built in steps or by finish()', () => {
    const entries = Array.from({ length: 3000 }, (_, index) => entry(`key:${String(index).padStart(6, '0')}`, 5, `v${index}`));
    const tables = [undefined, 1, 7, 2999, 3000, 100_000].map((step) => {
      const { fs, path } = newFile();
      const file = fs.create(path);
      const writer = new SstableWriter(file);
      for (const item of entries) writer.add(item);
      if (step !== undefined) {
        let calls = 1;
        while (!writer.buildFilterStep(step)) calls++;
        expect(calls).toBe(Math.max(1, Math.ceil(3000 / step)));
        expect(() => writer.add(entry('zzz', 1, 'late'))).toThrow(/after buildFilterStep/);
      }
      writer.finish();
      file.close();
      return fs.readAll(path);
    });
    for (const table of tables.slice(1)) expect(table.equals(tables[0]!)).toBe(true);
  });

  it('writes a readable empty table', () => {
    const { fs, path } = newFile();
    const file = fs.create(path);
    const result = new SstableWriter(file).finish();
    expect(result).toMatchObject({ entryCount: 0, smallestKey: Buffer.alloc(0), largestKey: Buffer.alloc(0), smallestSeq: 0, largestSeq: 0 });
    const bytes = fs.readAll(path);
    expect(bytes.length).toBe(result.sizeBytes);
    expect(bytes.subarray(-8).equals(SSTABLE_MAGIC)).toBe(true);
  });

  it('asserts entry order: keys ascending, then seq descending', () => {
    const { fs, path } = newFile();
    const writer = new SstableWriter(fs.create(path));
    writer.add(entry('b', 5, 'v'));
    expect(() => writer.add(entry('a', 9, 'v'))).toThrow();
    expect(() => writer.add(entry('b', 5, 'v'))).toThrow();
    expect(() => writer.add(entry('b', 6, 'v'))).toThrow();
    writer.add(entry('b', 4, 'v'));
    writer.add(entry('c', 9, 'v'));
  });

  it('appends in chunks and estimates its final size to within a block', () => {
    const { fs, path } = newFile();
    const file = fs.create(path);
    const writer = new SstableWriter(file, { blockBytes: 512 });
    let appends = 0;
    const append = file.append.bind(file);
    file.append = (data: Buffer) => {
      appends++;
      append(data);
    };
    for (let index = 0; index < 5000; index++) writer.add(entry(`key${String(index).padStart(6, '0')}`, 1, 'value'.repeat(10)));
    const estimate = writer.estimatedBytes();
    const result = writer.finish();
    expect(Math.abs(estimate - result.sizeBytes)).toBeLessThan(1024);
    expect(appends).toBeLessThan(result.sizeBytes / 32_768);
    expect(file.size()).toBe(result.sizeBytes);
  });

  it('reads back keys short and long and blocks bigger than its write chunk, though it reuses its buffers', () => {
    const { fs, path } = newFile();
    const file = fs.create(path);
    const writer = new SstableWriter(file, { blockBytes: 256 });
    const entries: Entry[] = [];
    for (let index = 0; index < 400; index++) {
      const key = index % 3 === 0 ? `k${String(index).padStart(4, '0')}` : `k${String(index).padStart(4, '0')}${'x'.repeat(60)}`;
      const value = index % 50 === 7 ? 'v'.repeat(70 * 1024) : `value-${index}`; // some blocks exceed SSTABLE_WRITE_CHUNK_BYTES
      entries.push(entry(key, 1000 + index, value));
      if (index % 5 === 0) entries.push(entry(key, 10 + index, undefined)); // an older version of the same key
    }
    for (const added of entries) writer.add({ ...added, key: Buffer.from(added.key) }); // callers may reuse their key buffers
    const result = writer.finish();
    file.sync();
    file.close();
    expect(result.smallestKey.equals(entries[0]!.key)).toBe(true);
    expect(result.largestKey.equals(entries.at(-1)!.key)).toBe(true);
    const reader = SstableReader.open(fs, path, 1, new BlockCache(1 << 20));
    reader.verify();
    const iterator = reader.iterator();
    const read: string[] = [];
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      const found = iterator.entry();
      read.push(`${found.key.toString()}@${found.seq}:${found.kind}:${found.value.length}`);
    }
    expect(read).toEqual(entries.map((added) => `${added.key.toString()}@${added.seq}:${added.kind}:${added.value.length}`));
    for (const added of entries.filter((_, index) => index % 7 === 0)) expect(reader.get(added.key)?.seq).toBeGreaterThanOrEqual(added.seq);
    reader.close();
  });

  it('shortens separators only when a shorter key fits between the blocks', () => {
    const cases: [string, string, string][] = [
      ['the quick brown fox', 'the who', 'the r'],
      ['abc', 'abd', 'abc'],
      ['abc', 'abcdef', 'abc'],
      ['k', 'k', 'k'],
      ['', 'a', ''],
      ['a', 'c', 'b'],
    ];
    for (const [start, limit, expected] of cases) {
      const separator = shortestSeparator(Buffer.from(start), Buffer.from(limit));
      expect(separator.toString()).toBe(expected);
      expect(Buffer.compare(Buffer.from(start), separator)).toBeLessThanOrEqual(0);
    }
    expect(shortestSeparator(Buffer.from([1, 0xff, 3]), Buffer.from([1, 0xff, 9])).equals(Buffer.from([1, 0xff, 4]))).toBe(true);
    expect(shortestSeparator(Buffer.from([0xff, 1]), Buffer.from([0xff, 2])).equals(Buffer.from([0xff, 1]))).toBe(true);
  });

  it('encodes block offsets above 4 GiB in the footer', () => {
    const footer = encodeFooter({ offset: 2 ** 40 + 5, size: 9 }, { offset: 1, size: 2 }, { offset: 3, size: 4 });
    expect(footer.length).toBe(SSTABLE_FOOTER_BYTES);
    expect(footer.readUInt32LE(0)).toBe(5);
    expect(footer.readUInt32LE(4)).toBe(2 ** 8);
  });
});
