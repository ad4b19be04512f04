import { describe, expect, it } from 'vitest';
import { BLOCK_CACHE_OVERHEAD_BYTES, BlockCache } from './block-cache.js';
import type { Entry } from './entry.js';
import { SstableCorruptionError } from './errors.js';
import { CrashableFileSystem } from './crashable-file-system.js';
import { FLUSH_CACHE_SHARE_MAX, flushMemtable, sameKey, VERIFY_READ_BYTES, verifyTable, versionFilter } from './flush.js';
import { Memtable } from './memtable.js';
import { SstableReader } from './sstable-reader.js';
import { SstableWriter } from './sstable-writer.js';

const DIR = '/db';
const PATH = '/db/000007.sst';

function put(key: string, seq: number, value: string): Entry {
  return { key: Buffer.from(key), seq, kind: 'put', value: Buffer.from(value), expireAtMs: 0 };
}

/** Enough entries for a table several VERIFY_READ_BYTES long. */
function bigMemtable(): { memtable: Memtable; keys: number } {
  const memtable = new Memtable();
  const keys = 9000;
  let seq = 1;
  for (let index = 0; index < keys; index++) memtable.put(put(`key-${String(index).padStart(6, '0')}`, seq++, 'v'.repeat(100)), true);
  for (let index = 0; index < keys; index += 3) memtable.put(put(`key-${String(index).padStart(6, '0')}`, seq++, 'newer'), true);
  return { memtable, keys };
}

function newFs(): CrashableFileSystem {
  const fs = new CrashableFileSystem();
  fs.mkdirp(DIR);
  return fs;
}

describe('flushMemtable', () => {
  it('writes, syncs and verifies a table of the newest versions, in slices', async () => {
    const fs = newFs();
    const { memtable, keys } = bigMemtable();
    const cache = new BlockCache(1 << 20);
    const output = await flushMemtable({ fs, dir: DIR, path: PATH, fileNumber: 7, memtable, snapshotSeqs: [], tableOptions: {}, cache, sliceMs: 1, fillCache: false });
    expect(output).toBeDefined();
    expect(cache.bytes()).toBe(0);
    expect(output!.meta.entryCount).toBe(keys);
    expect(output!.entriesDropped).toBe(keys / 3);
    expect(output!.meta.sizeBytes).toBeGreaterThan(2 * VERIFY_READ_BYTES);
    output!.reader.close();
    fs.crash(); // everything the flush wrote was synced: the table survives
    const reader = SstableReader.open(fs, PATH, 7, new BlockCache(1 << 20));
    expect(reader.get(Buffer.from('key-000003'))?.value.toString()).toBe('newer');
    expect(reader.get(Buffer.from('key-000004'))?.value.length).toBe(100);
    reader.close();
  });

  it('leaves every block of the new table in the cache, so reads of it touch no file', async () => {
    const fs = newFs();
    const { memtable } = bigMemtable();
    const cache = new BlockCache(8 << 20);
    const output = await flushMemtable({ fs, dir: DIR, path: PATH, fileNumber: 7, memtable, snapshotSeqs: [], tableOptions: {}, cache, sliceMs: 1, fillCache: true });
    const reader = output!.reader;
    expect(cache.stats().blockCount).toBe(reader.indexHandles.length);
    expect(cache.fileBytes(7)).toBe(reader.indexHandles.reduce((bytes, handle) => bytes + handle.size + BLOCK_CACHE_OVERHEAD_BYTES, 0));
    const readsBefore = fs.stats().reads;
    for (let index = 0; index < 9000; index += 7) expect(reader.get(Buffer.from(`key-${String(index).padStart(6, '0')}`))).toBeDefined();
    expect(fs.stats().reads).toBe(readsBefore);
    expect(reader.stats.blockReads).toBe(0);
    reader.close();
    // a table taking more than FLUSH_CACHE_SHARE_MAX of the cache's room leaves the cache alone
    const small = new BlockCache(Math.floor(output!.meta.sizeBytes / FLUSH_CACHE_SHARE_MAX) - 1);
    const big = await flushMemtable({ fs, dir: DIR, path: '/db/000008.sst', fileNumber: 8, memtable, snapshotSeqs: [], tableOptions: {}, cache: small, sliceMs: 1, fillCache: true });
    expect(big!.meta.sizeBytes).toBe(output!.meta.sizeBytes);
    expect(small.bytes()).toBe(0);
    big!.reader.close();
  });

  it('keeps the versions an open snapshot still sees', async () => {
    const fs = newFs();
    const memtable = new Memtable();
    memtable.put(put('a', 1, 'old'), true);
    memtable.put(put('a', 5, 'new'), true);
    memtable.put(put('a', 6, 'newest'), true);
    const output = await flushMemtable({ fs, dir: DIR, path: PATH, fileNumber: 7, memtable, snapshotSeqs: [3], tableOptions: {}, cache: new BlockCache(1 << 20), sliceMs: Infinity, fillCache: false });
    expect(output!.meta.entryCount).toBe(2); // seq 6 (live) and seq 1 (snapshot 3); seq 5 is shadowed by 6
    output!.reader.close();
  });
});

describe('verifyTable', () => {
  it('fails on a flipped byte in a data block far into the table', async () => {
    const fs = newFs();
    const { memtable } = bigMemtable();
    const file = fs.create(PATH);
    const writer = new SstableWriter(file);
    const iterator = memtable.iterator();
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) writer.add(iterator.entry());
    const built = writer.finish();
    file.sync();
    file.close();
    const reader = SstableReader.open(fs, PATH, 7, new BlockCache(1 << 20));
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, built)).resolves.toBeUndefined();
    const bytes = fs.readAll(PATH);
    const handle = reader.indexHandles[Math.floor(reader.indexHandles.length * 0.8)]!;
    bytes[handle.offset + 10]! ^= 0x01;
    fs.writeAll(PATH, bytes);
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, built)).rejects.toThrow(SstableCorruptionError);
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, built)).rejects.toThrow(`block crc mismatch`);
    reader.close();
  });

  it('fails when the table holds other entries than the writer reported', async () => {
    const fs = newFs();
    const file = fs.create(PATH);
    const writer = new SstableWriter(file);
    writer.add(put('a', 2, 'x'));
    writer.add(put('b', 1, 'y'));
    const built = writer.finish();
    file.close();
    const cache = new BlockCache(1 << 20);
    const reader = SstableReader.open(fs, PATH, 7, cache);
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, { ...built, entryCount: 3 })).rejects.toThrow('2 entries');
    // asked to fill the cache, it caches the blocks it checks, and drops them when the table fails
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1, fillCache: true }, reader, { ...built, entryCount: 3 })).rejects.toThrow('2 entries');
    expect(cache.fileBytes(7)).toBe(0);
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1, fillCache: true }, reader, built)).resolves.toBeUndefined();
    expect(cache.fileBytes(7)).toBeGreaterThan(0);
    reader.close();
  });

  it('fails on entries out of order (key, then seq) and on a key range other than the writer reported', async () => {
    const cases: Array<{ entries: Entry[]; reason: string }> = [
      { entries: [put('b', 2, 'x'), put('a', 1, 'y')], reason: 'entries out of order' }, // keys going down
      { entries: [put('a', 1, 'x'), put('a', 2, 'y')], reason: 'entries out of order' }, // one key, seq going up
      { entries: [put('a', 2, 'x'), put('a', 2, 'y')], reason: 'entries out of order' }, // one key, one seq twice
    ];
    for (const { entries, reason } of cases) {
      const fs = newFs();
      const file = fs.create(PATH);
      const writer = new SstableWriter(file);
      writer.add(entries[0]!);
      (writer as unknown as { lastKeyLength: number }).lastKeyLength = -1; // past the writer's own order check
      writer.add(entries[1]!);
      const built = writer.finish();
      file.close();
      const reader = SstableReader.open(fs, PATH, 7, new BlockCache(1 << 20));
      await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, built)).rejects.toThrow(reason);
      reader.close();
    }
    const fs = newFs();
    const file = fs.create(PATH);
    const writer = new SstableWriter(file);
    writer.add(put('a', 2, 'x'));
    writer.add(put('b', 1, 'y'));
    const built = writer.finish();
    file.close();
    const reader = SstableReader.open(fs, PATH, 7, new BlockCache(1 << 20));
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, { ...built, largestKey: Buffer.from('c') })).rejects.toThrow('key range differs');
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, { ...built, smallestKey: Buffer.from('') })).rejects.toThrow('key range differs');
    await expect(verifyTable({ fs, path: PATH, sliceMs: 1 }, reader, built)).resolves.toBeUndefined();
    reader.close();
  });
});

describe('versionFilter and sameKey', () => {
  it('compares keys by length, then bytes', () => {
    expect(sameKey(Buffer.from('user:1041'), Buffer.from('user:1041'))).toBe(true);
    expect(sameKey(Buffer.from('user:1041'), Buffer.from('user:1042'))).toBe(false);
    expect(sameKey(Buffer.from('user:104'), Buffer.from('user:1041'))).toBe(false);
    expect(sameKey(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
    const long = Buffer.alloc(100, 7);
    expect(sameKey(long, Buffer.from(long))).toBe(true);
    expect(sameKey(long, Buffer.concat([long.subarray(0, 99), Buffer.of(8)]))).toBe(false);
  });

  it('drops a version only when a newer one in the same snapshot bucket exists', () => {
    const keep = versionFilter([2, 4]);
    const decisions = [put('a', 5, ''), put('a', 4, ''), put('a', 3, ''), put('a', 1, ''), put('b', 9, '')].map(keep);
    expect(decisions).toEqual([true, true, false, true, true]);
  });
});
