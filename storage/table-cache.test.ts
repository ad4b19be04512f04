// storage/table-cache.test.ts: the LRU of open table readers, bounded by count and by bytes
// reserved in the block cache (one memory budget).
import { describe, expect, it } from 'vitest';
import { BlockCache } from './block-cache.js';
import { CrashableFileSystem } from './crashable-file-system.js';
import { tablePath } from './recovery.js';
import { SstableWriter } from './sstable-writer.js';
import { TableCache } from './table-cache.js';

const DIR = '/db';

function writeTable(fs: CrashableFileSystem, number: number, keyCount: number): string {
  const path = tablePath(DIR, number);
  const file = fs.create(path);
  const writer = new SstableWriter(file, { blockBytes: 256 });
  for (let index = 0; index < keyCount; index++) {
    writer.add({ key: Buffer.from(`t${number}-${String(index).padStart(6, '0')}`), seq: index + 1, kind: 'put', value: Buffer.alloc(40, number), expireAtMs: 0 });
  }
  writer.finish();
  file.sync();
  file.close();
  return path;
}

function setup(tableCount: number): { fs: CrashableFileSystem; paths: string[] } {
  const fs = new CrashableFileSystem();
  fs.mkdirp(DIR);
  const paths = Array.from({ length: tableCount }, (_, index) => writeTable(fs, index + 1, 200));
  return { fs, paths };
}

describe('TableCache', () => {
  it('keeps at most readersMax readers open, least recently used out first, and reopens on demand', () => {
    const { fs, paths } = setup(3);
    const cache = new TableCache(fs, new BlockCache(1 << 20), 2, 1 << 19);
    const key = (number: number): Buffer => Buffer.from(`t${number}-000007`);
    expect(cache.reader(1, paths[0]!).get(key(1))?.value).toEqual(Buffer.alloc(40, 1));
    cache.reader(2, paths[1]!);
    cache.reader(1, paths[0]!); // 1 is now the most recent; 2 the oldest
    cache.reader(3, paths[2]!);
    expect([cache.isOpen(1), cache.isOpen(2), cache.isOpen(3)]).toEqual([true, false, true]);
    expect(cache.reader(2, paths[1]!).get(key(2))?.value).toEqual(Buffer.alloc(40, 2));
    expect(cache.stats()).toMatchObject({ tableCacheHits: 1, tableCacheMisses: 4, tableCacheReaders: 2 });
  });

  it('hands a holder its entry back while open, and after an eviction a fresh one while the old keeps no reader', () => {
    const { fs, paths } = setup(2);
    const cache = new TableCache(fs, new BlockCache(1 << 20), 1, 1 << 19);
    const first = cache.use(1, paths[0]!, undefined);
    const firstReader = first.reader;
    expect(cache.use(1, paths[0]!, first)).toBe(first); // no Map lookup, still a hit
    cache.reader(2, paths[1]!); // readersMax 1: table 1 is evicted
    expect(first.reader).toBeUndefined(); // the stale entry no longer holds the closed reader
    const again = cache.use(1, paths[0]!, first);
    expect(again).not.toBe(first);
    expect(again.reader).not.toBe(firstReader);
    expect(again.reader!.get(Buffer.from('t1-000007'))?.value).toEqual(Buffer.alloc(40, 1));
    expect(cache.stats()).toMatchObject({ tableCacheHits: 1, tableCacheMisses: 3, tableCacheReaders: 1 });
  });

  it('charges open readers to the block cache budget and returns the charge on eviction', () => {
    const { fs, paths } = setup(2);
    const blockCache = new BlockCache(1 << 20);
    const cache = new TableCache(fs, blockCache, 10, 1 << 19);
    const first = cache.reader(1, paths[0]!);
    cache.reader(2, paths[1]!);
    expect(first.residentBytes()).toBeGreaterThan(first.filter.length);
    expect(blockCache.reservedBytes()).toBe(cache.stats().tableCacheBytes);
    cache.evict(1);
    cache.evict(2);
    expect(blockCache.reservedBytes()).toBe(0);
    expect(cache.stats().tableCacheReaders).toBe(0);
  });

  it('keeps reserved bytes within bytesMax, but never evicts the reader it just opened', () => {
    const { fs, paths } = setup(3);
    const blockCache = new BlockCache(1 << 20);
    const probe = new TableCache(fs, blockCache, 10, 1 << 20);
    const oneReaderBytes = probe.reader(1, paths[0]!).residentBytes();
    probe.closeAll();
    const cache = new TableCache(fs, blockCache, 10, Math.floor(oneReaderBytes * 1.5));
    cache.reader(1, paths[0]!);
    cache.reader(2, paths[1]!);
    expect(cache.stats().tableCacheReaders).toBe(1);
    expect(cache.isOpen(2)).toBe(true);
    const tiny = new TableCache(fs, blockCache, 10, 1);
    expect(tiny.reader(3, paths[2]!).get(Buffer.from('t3-000001'))).toBeDefined(); // alone over the limit, still served
    expect(tiny.stats().tableCacheReaders).toBe(1);
  });

  it('squeezes data blocks out of the block cache when readers reserve its room', () => {
    const { fs, paths } = setup(1);
    const blockCache = new BlockCache(64 * 1024);
    const cache = new TableCache(fs, blockCache, 10, 32 * 1024);
    const reader = cache.reader(1, paths[0]!);
    for (let index = 0; index < 200; index += 3) reader.get(Buffer.from(`t1-${String(index).padStart(6, '0')}`));
    expect(blockCache.bytes() + blockCache.reservedBytes()).toBeLessThanOrEqual(64 * 1024);
    expect(blockCache.bytes()).toBeGreaterThan(8 * 1024);
    blockCache.reserve(64 * 1024 - blockCache.reservedBytes() - 2 * 1024); // leave 2 KiB for blocks
    expect(blockCache.bytes()).toBeLessThanOrEqual(2 * 1024);
    expect(blockCache.bytes() + blockCache.reservedBytes()).toBeLessThanOrEqual(64 * 1024);
  });
});
