// storage/compaction.test.ts: compaction through the engine (space and read amplification after
// overwrites and deletes, tombstone skipping, kill points, compaction filter, expiry, a delete
// over an older version deeper down, the memory budget, write stalls) and one job in isolation
// (runCompaction with hand-made plans). All on the in-memory CrashableFileSystem; counts, no times.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockCache } from './block-cache.js';
import type { CompactionPlan } from './compaction-picker.js';
import { COMPACTION_CACHE_SLACK_BYTES } from './compaction-cache.js';
import { runCompaction, type CompactionEnvironment } from './compaction.js';
import { Engine, type EngineOptions, type KillPoint } from './engine.js';
import type { Entry } from './entry.js';
import { CrashableFileSystem, type CrashMode } from './crashable-file-system.js';
import type { FileMeta } from './manifest.js';
import { parseFileName, tablePath } from './recovery.js';
import { SstableWriter } from './sstable-writer.js';
import { TableCache } from './table-cache.js';
import { TableHandle } from './version.js';

const DIR = '/db';
const key = (index: number): Buffer => Buffer.from(`key-${String(index).padStart(8, '0')}`);

/** A seeded permutation of 0 .. count - 1 (xorshift32), so every run writes the same order. */
function shuffled(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  let state = seed >>> 0 || 1;
  for (let index = count - 1; index > 0; index--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const other = (state >>> 0) % (index + 1);
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}

/** Writes like a server: batches, honouring stalls, yielding between batches. */
async function writeAll(engine: Engine, ops: { kind: 'put' | 'delete'; index: number; value?: Buffer; expireAtMs?: number }[], batchSize = 1000): Promise<void> {
  for (let start = 0; start < ops.length; start += batchSize) {
    if (engine.writeStallMs() > 0) await engine.waitForWriteRoom();
    const batch = ops.slice(start, start + batchSize).map((op) =>
      op.kind === 'delete'
        ? { kind: 'delete' as const, key: key(op.index) }
        : op.expireAtMs === undefined
          ? { kind: 'put' as const, key: key(op.index), value: op.value! }
          : { kind: 'put' as const, key: key(op.index), value: op.value!, expireAtMs: op.expireAtMs },
    );
    void engine.write(batch);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Every .sst in the directory is one the engine lists (no orphans), and vice versa. */
function expectNoOrphanTables(fs: CrashableFileSystem, engine: Engine): void {
  const onDisk = fs.list(DIR).filter((name) => parseFileName(name)?.kind === 'sstable');
  expect(onDisk.length).toBe(engine.stats().sstableFiles);
}

describe('compaction through the engine', () => {
  it('after 10 overwrites of 20k keys and deleting half, settles to <= 2x the live bytes and reads touch a table or two', async () => {
    const fs = new CrashableFileSystem();
    const engine = await Engine.open({ dir: DIR, fs, syncPolicy: 'no', memtableBytesMax: 256 * 1024 });
    const keyCount = 20_000;
    const valueBytes = 32;
    for (let round = 0; round < 10; round++) {
      const value = Buffer.alloc(valueBytes, round);
      await writeAll(engine, shuffled(keyCount, round + 1).map((index) => ({ kind: 'put', index, value })));
    }
    const deleted = shuffled(keyCount, 99).slice(0, keyCount / 2);
    await writeAll(engine, deleted.map((index) => ({ kind: 'delete', index })));
    await engine.flush();
    await engine.waitForCompactions();

    const stats = engine.stats();
    expect(stats.compactions).toBeGreaterThan(10);
    const liveBytes = (keyCount / 2) * (key(0).length + valueBytes);
    const dirBytes = fs.totalBytes(DIR);
    expect(dirBytes).toBeLessThanOrEqual(2 * liveBytes);

    const isDeleted = new Set(deleted);
    const readsBefore = fs.stats().reads;
    let probesMax = 0;
    let gets = 0;
    for (let index = 0; index < keyCount; index += 37) {
      const probesBefore = engine.stats().tablesProbed;
      const value = engine.get(key(index));
      probesMax = Math.max(probesMax, engine.stats().tablesProbed - probesBefore);
      gets++;
      if (isDeleted.has(index)) expect(value).toBeUndefined();
      else expect(value).toEqual(Buffer.alloc(valueBytes, 9));
    }
    expect(probesMax).toBeLessThanOrEqual(3); // tables whose range holds the key: a handful at most
    expect((fs.stats().reads - readsBefore) / gets).toBeLessThanOrEqual(2); // block reads per get
    expectNoOrphanTables(fs, engine);
    await engine.close();
  }, 60_000);

  it('skips few tombstones in a scan across 100k deleted keys and a get just after them once compaction ran', async () => {
    const fs = new CrashableFileSystem();
    const value = Buffer.alloc(24, 7);
    const filling = await Engine.open({ dir: DIR, fs, syncPolicy: 'no', memtableBytesMax: 512 * 1024 });
    await writeAll(filling, Array.from({ length: 120_000 }, (_, index) => ({ kind: 'put' as const, index, value })));
    await filling.close();
    // A memtable large enough for all the deletes, so nothing compacts them before we look.
    const engine = await Engine.open({ dir: DIR, fs, syncPolicy: 'no', memtableBytesMax: 64 * 1024 * 1024 });
    await engine.waitForCompactions();
    await writeAll(engine, Array.from({ length: 100_000 }, (_, index) => ({ kind: 'delete' as const, index })));
    // Before compaction has seen the deletes: the scan wades through every one of them.
    const first = engine.stats().tombstonesSkipped;
    expect(engine.scanPage({ start: key(0) }, 1).items[0]?.key).toEqual(key(100_000));
    expect(engine.stats().tombstonesSkipped - first).toBeGreaterThanOrEqual(100_000);

    await engine.flush();
    await engine.waitForCompactions();
    expect(engine.stats().compactionTombstonesDropped).toBeGreaterThan(0);
    const skippedBefore = engine.stats().entriesSkipped;
    const page = engine.scanPage({ start: key(0), end: key(100_010) }, 100);
    expect(page.items.map((item) => item.key)).toEqual(Array.from({ length: 10 }, (_, offset) => key(100_000 + offset)));
    expect(engine.stats().entriesSkipped - skippedBefore).toBeLessThan(100);

    const probesBefore = engine.stats().tablesProbed;
    const readsBefore = fs.stats().reads;
    expect(engine.get(key(100_000))).toEqual(value);
    expect(engine.get(key(99_999))).toBeUndefined();
    expect(engine.stats().tablesProbed - probesBefore).toBeLessThanOrEqual(3);
    expect(fs.stats().reads - readsBefore).toBeLessThanOrEqual(4);
    expect(fs.totalBytes(DIR)).toBeLessThan(20_000 * (key(0).length + value.length) * 2);
    await engine.close();
  }, 30_000);

  it('recovers the same contents after a crash at every kill point, and leaves no orphan tables', async () => {
    const points: KillPoint[] = ['compaction-outputs-written', 'compaction-before-manifest', 'compaction-after-manifest', 'compaction-input-delete'];
    const modes: CrashMode[] = ['drop', 'keep-random', 'tear', 'zero-fill'];
    let crashes = 0;
    for (const point of points) {
      for (const occurrence of [1, 2, 4]) {
        const fs = new CrashableFileSystem();
        let seen = 0;
        let image: CrashableFileSystem | undefined;
        const options: EngineOptions = {
          dir: DIR,
          fs,
          memtableBytesMax: 4 * 1024,
          compaction: { level0CompactionTrigger: 2, levelBaseBytes: 8 * 1024, targetFileBytes: 2 * 1024 },
          testHooks: {
            onKillPoint: (name) => {
              if (name !== point || image !== undefined || ++seen < occurrence) return;
              image = fs.clone(); // the disk as it is at this instant; the engine dies here
              throw new Error(`killed at ${name}`);
            },
          },
        };
        const engine = await Engine.open(options);
        const model = new Map<string, Buffer>();
        let unacknowledged: Map<string, Buffer> | undefined; // the model plus the write in flight when the kill landed
        for (let step = 0; step < 2000 && image === undefined; step++) {
          const index = (step * 7919) % 300;
          const name = key(index).toString();
          const value = step % 5 === 4 ? undefined : Buffer.alloc(40 + (step % 30), step % 251);
          const withWrite = new Map(model);
          if (value === undefined) withWrite.delete(name);
          else withWrite.set(name, value);
          try {
            await engine.write([value === undefined ? { kind: 'delete', key: key(index) } : { kind: 'put', key: key(index), value }]);
          } catch {
            unacknowledged = withWrite; // failed with the engine: durable or not
            break;
          }
          if (image !== undefined) {
            unacknowledged = withWrite; // acknowledged only after the "crash": durable or not
            break;
          }
          model.clear();
          for (const [entryKey, entryValue] of withWrite) model.set(entryKey, entryValue);
        }
        if (image === undefined) await engine.compactAll().catch(() => undefined);
        expect(image, `${point} #${occurrence} was reached`).toBeDefined();
        await engine.close().catch(() => undefined);
        const candidates = unacknowledged === undefined ? [model] : [model, unacknowledged];
        for (const mode of modes) {
          const disk = image!.clone();
          disk.crash({ mode, seed: crashes++ });
          const reopened = await Engine.open({ ...options, fs: disk, testHooks: {} });
          const contents = new Map([...reopened.scan()].map((item) => [item.key.toString(), item.value]));
          const match = candidates.find((candidate) => candidate.size === contents.size && [...candidate].every(([k, v]) => contents.get(k)?.equals(v)));
          expect(match, `${point} #${occurrence} ${mode}`).toBeDefined();
          expectNoOrphanTables(disk, reopened);
          await reopened.compactAll(); // and the recovered store compacts on
          expect(new Map([...reopened.scan()].map((item) => [item.key.toString(), item.value]))).toEqual(contents);
          await reopened.close();
        }
      }
    }
    expect(crashes).toBe(points.length * 3 * modes.length);
  }, 30_000);

  it('drops entries the compactionFilter marks, in flushes and in compactions', async () => {
    const fs = new CrashableFileSystem();
    const dead = new Set<string>(['a']);
    const compactionFilter = (entryKey: Buffer): boolean => dead.has(entryKey.subarray(0, 1).toString());
    const engine = await Engine.open({ dir: DIR, fs, memtableBytesMax: 1 << 20, compactionFilter });
    const put = (name: string): { kind: 'put'; key: Buffer; value: Buffer } => ({ kind: 'put', key: Buffer.from(name), value: Buffer.from(`v-${name}`) });
    await engine.write(['a1', 'a2', 'b1', 'b2', 'c1'].map(put));
    await engine.flush(); // 'a' is dead already: the flush drops it
    expect([...engine.scan()].map((item) => item.key.toString())).toEqual(['b1', 'b2', 'c1']);
    dead.add('b'); // 'b' dies after it reached a table: compaction drops it
    await engine.compactAll();
    expect([...engine.scan()].map((item) => item.key.toString())).toEqual(['c1']);
    expect(engine.stats().compactionFilteredDropped).toBe(2);
    await engine.close();
  });

  it('drops expired puts when nothing older lies below, keeping live and unexpired ones', async () => {
    const fs = new CrashableFileSystem();
    const engine = await Engine.open({ dir: DIR, fs, memtableBytesMax: 1 << 20 });
    const past = Date.now() - 1000;
    const future = Date.now() + 3_600_000;
    await engine.write([
      { kind: 'put', key: key(1), value: Buffer.from('expired'), expireAtMs: past },
      { kind: 'put', key: key(2), value: Buffer.from('later'), expireAtMs: future },
      { kind: 'put', key: key(3), value: Buffer.from('forever') },
    ]);
    await engine.flush();
    expect(engine.getEntry(key(1), { includeExpired: true })?.value.toString()).toBe('expired');
    await engine.compactAll();
    expect(engine.getEntry(key(1), { includeExpired: true })).toBeUndefined();
    expect(engine.getEntry(key(2))).toMatchObject({ value: Buffer.from('later'), expireAtMs: future });
    expect(engine.get(key(3))?.toString()).toBe('forever');
    expect(engine.stats().compactionExpiredDropped).toBe(1);
    await engine.close();
  });

  it('keeps a delete while an older version of its key lives in a deeper level (no resurrection)', async () => {
    const fs = new CrashableFileSystem();
    const options: EngineOptions = {
      dir: DIR,
      fs,
      memtableBytesMax: 8 * 1024,
      compaction: { level0CompactionTrigger: 1, levelBaseBytes: 4 * 1024, levelSizeRatio: 2, targetFileBytes: 1024 },
    };
    const engine = await Engine.open(options);
    const value = Buffer.alloc(100, 1);
    await writeAll(engine, Array.from({ length: 400 }, (_, index) => ({ kind: 'put' as const, index, value })), 20);
    await engine.flush();
    await engine.waitForCompactions();
    const levelFiles = engine.stats().levelFiles;
    let deepest = levelFiles.length - 1;
    while (deepest > 0 && levelFiles[deepest] === 0) deepest--;
    expect(deepest).toBeGreaterThanOrEqual(2); // the puts sit at least two levels down
    await engine.write([{ kind: 'delete', key: key(123) }]);
    await engine.flush();
    await engine.waitForCompactions();
    expect(engine.get(key(123))).toBeUndefined();
    expect(engine.get(key(124))).toEqual(value);
    await engine.close();
    const reopened = await Engine.open(options);
    expect(reopened.get(key(123))).toBeUndefined();
    expect([...reopened.scan()].length).toBe(399);
    await reopened.close();
  });

  it('keeps the block cache plus open tables within cacheBytes and reopens evicted tables on demand', async () => {
    const fs = new CrashableFileSystem();
    const cacheBytes = 256 * 1024;
    const engine = await Engine.open({ dir: DIR, fs, syncPolicy: 'no', memtableBytesMax: 64 * 1024, cacheBytes, openTablesMax: 6 });
    const value = Buffer.alloc(64, 3);
    await writeAll(engine, shuffled(30_000, 5).map((index) => ({ kind: 'put' as const, index, value })));
    await engine.flush();
    await engine.waitForCompactions();
    expect(engine.stats().sstableFiles).toBeGreaterThan(10);
    for (const index of shuffled(30_000, 6).slice(0, 5000)) {
      expect(engine.get(key(index))).toEqual(value);
      const stats = engine.stats();
      expect(stats.tableCacheReaders).toBeLessThanOrEqual(6);
      expect(stats.blockCacheBytes + stats.tableCacheBytes).toBeLessThanOrEqual(cacheBytes);
    }
    const stats = engine.stats();
    expect(stats.tableCacheMisses).toBeGreaterThan(stats.tableCacheReaders); // evicted and reopened
    expect([...engine.scan()].length).toBe(30_000);
    await engine.close();
  }, 30_000);

  it('paces and stops writes at the level-0 thresholds without failing any', async () => {
    const fs = new CrashableFileSystem();
    const engine = await Engine.open({
      dir: DIR,
      fs,
      syncPolicy: 'no',
      memtableBytesMax: 16 * 1024,
      compaction: { level0CompactionTrigger: 2, level0SlowdownTrigger: 3, level0StopTrigger: 4, levelBaseBytes: 64 * 1024 },
    });
    const value = Buffer.alloc(100, 9);
    await writeAll(engine, shuffled(20_000, 3).map((index) => ({ kind: 'put' as const, index, value })), 50);
    await engine.flush();
    await engine.waitForCompactions();
    const stats = engine.stats();
    expect(stats.slowdownCount + stats.stallCount).toBeGreaterThan(0);
    expect(stats.failed).toBe(false);
    expect([...engine.scan()].length).toBe(20_000);
    await engine.close();
  }, 30_000);
});

describe('runCompaction', () => {
  const EMPTY = Buffer.alloc(0);

  function table(fs: CrashableFileSystem, cache: TableCache, number: number, level: number, entries: Entry[]): TableHandle {
    const path = tablePath(DIR, number);
    const file = fs.create(path);
    const writer = new SstableWriter(file);
    for (const entry of entries) writer.add(entry);
    const built = writer.finish();
    file.sync();
    file.close();
    const meta: FileMeta = { number, level, ...built };
    return new TableHandle(meta, path, cache, () => undefined);
  }

  function environment(fs: CrashableFileSystem, cache: BlockCache, overrides: Partial<CompactionEnvironment> = {}): CompactionEnvironment {
    let next = 100;
    return {
      fs,
      dir: DIR,
      tableOptions: {},
      blockCache: cache,
      allocateFileNumber: () => next++,
      targetFileBytes: 1 << 20,
      grandparentOverlapBytesMax: 10 << 20,
      snapshotSeqs: [],
      nowMs: Date.now(),
      compactionFilter: undefined,
      dropExpired: true,
      sliceMs: 8,
      checkRunnable: () => undefined,
      onOutputCreated: () => undefined,
      ...overrides,
    };
  }

  function outputEntries(outputs: { reader: { iterator(): { seekToFirst(): void; valid(): boolean; entry(): Entry; next(): void } } }[]): string[] {
    const result: string[] = [];
    for (const output of outputs) {
      const iterator = output.reader.iterator();
      for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
        const entry = iterator.entry();
        result.push(`${entry.key.toString()}@${entry.seq}:${entry.kind}${entry.kind === 'put' ? `=${entry.value.toString()}` : ''}`);
      }
    }
    return result;
  }

  const put = (name: string, seq: number, value: string, expireAtMs = 0): Entry => ({ key: Buffer.from(name), seq, kind: 'put', value: Buffer.from(value), expireAtMs });
  const del = (name: string, seq: number): Entry => ({ key: Buffer.from(name), seq, kind: 'delete', value: EMPTY, expireAtMs: 0 });

  function setup(): { fs: CrashableFileSystem; blockCache: BlockCache; cache: TableCache } {
    const fs = new CrashableFileSystem();
    fs.mkdirp(DIR);
    const blockCache = new BlockCache(1 << 20);
    return { fs, blockCache, cache: new TableCache(fs, blockCache, 10, 1 << 19) };
  }

  it('writes a delete (and an expired put as a delete) when a deeper table may hold an older version', async () => {
    const { fs, blockCache, cache } = setup();
    const upper = table(fs, cache, 1, 1, [del('b', 20), put('c', 21, 'gone', 1), del('x', 22)]);
    const deeper: FileMeta[] = [{ number: 2, level: 2, sizeBytes: 100, smallestKey: Buffer.from('a'), largestKey: Buffer.from('d'), entryCount: 3, tombstoneCount: 0, smallestSeq: 1, largestSeq: 3 }];
    const plan: CompactionPlan = { reason: 'size', level: 1, outputLevel: 1, inputs: [{ level: 1, tables: [upper] }], grandparents: [], deeperLevels: [deeper] };
    const { outputs, counters } = await runCompaction(plan, environment(fs, blockCache));
    // b and c may be older below (a..d): kept as deletes; x is outside every deeper table: dropped.
    expect(outputEntries(outputs)).toEqual(['b@20:delete', 'c@21:delete']);
    expect(counters).toMatchObject({ tombstonesDropped: 1, expiredRewritten: 1 });
  });

  it('keeps the versions open snapshots see and drops the rest', async () => {
    const { fs, blockCache, cache } = setup();
    const level0 = table(fs, cache, 1, 0, [put('k', 30, 'v30'), del('k', 25), put('k', 20, 'v20'), put('k', 10, 'v10'), put('k', 5, 'v5')]);
    const plan: CompactionPlan = { reason: 'level0', level: 0, outputLevel: 1, inputs: [{ level: 0, tables: [level0] }], grandparents: [], deeperLevels: [] };
    // Snapshots at 12 and 26: buckets (..12], (12..26], (26..]: each keeps its newest version.
    const { outputs, counters } = await runCompaction(plan, environment(fs, blockCache, { snapshotSeqs: [12, 26] }));
    expect(outputEntries(outputs)).toEqual(['k@30:put=v30', 'k@25:delete', 'k@10:put=v10']);
    expect(counters.versionsDropped).toBe(2);
  });

  it('merges newest-first across inputs and cuts outputs only between keys', async () => {
    const { fs, blockCache, cache } = setup();
    const value = 'x'.repeat(200);
    const older = table(fs, cache, 1, 1, Array.from({ length: 50 }, (_, index) => put(`k${String(index).padStart(3, '0')}`, 100 + index, value)));
    const newer = table(fs, cache, 2, 0, Array.from({ length: 50 }, (_, index) => put(`k${String(index).padStart(3, '0')}`, 200 + index, `new${index}`)));
    const plan: CompactionPlan = { reason: 'level0', level: 0, outputLevel: 1, inputs: [{ level: 0, tables: [newer] }, { level: 1, tables: [older] }], grandparents: [], deeperLevels: [] };
    const { outputs } = await runCompaction(plan, environment(fs, blockCache, { targetFileBytes: 300 }));
    expect(outputs.length).toBeGreaterThan(1);
    for (let index = 1; index < outputs.length; index++) {
      expect(Buffer.compare(outputs[index - 1]!.meta.largestKey, outputs[index]!.meta.smallestKey)).toBeLessThan(0);
    }
    expect(outputEntries(outputs)).toEqual(Array.from({ length: 50 }, (_, index) => `k${String(index).padStart(3, '0')}@${200 + index}:put=new${index}`));
    for (const output of outputs) output.reader.close();
  });

  /** A BlockCache that remembers the most bytes it held after any set() (what a compaction's outputs add). */
  class PeakBlockCache extends BlockCache {
    peakBytes = 0;
    override set(...args: Parameters<BlockCache['set']>): void {
      super.set(...args);
      this.peakBytes = Math.max(this.peakBytes, this.bytes());
    }
  }

  function setupLarge(cacheBytes: number): { fs: CrashableFileSystem; blockCache: PeakBlockCache; cache: TableCache } {
    const fs = new CrashableFileSystem();
    fs.mkdirp(DIR);
    const blockCache = new PeakBlockCache(cacheBytes);
    return { fs, blockCache, cache: new TableCache(fs, blockCache, 10, 1 << 19) };
  }

  const name = (index: number): string => `k${String(index).padStart(6, '0')}`;
  const readAll = (table: TableHandle, count: number, every = 1): void => {
    for (let index = 0; index < count; index += every) table.get(Buffer.from(name(index)));
  };

  /** A level-0 table over keys 0 .. count - 1 (seqs from seqBase) and a level-1 table under it, and their plan. */
  function overlappingPlan(fs: CrashableFileSystem, cache: TableCache, count: number, valueBytes: number): { plan: CompactionPlan; level0: TableHandle; level1: TableHandle } {
    const value = 'x'.repeat(valueBytes);
    const entries = (seqBase: number): Entry[] => Array.from({ length: count }, (_, index) => put(name(index), seqBase + index, value));
    const level0 = table(fs, cache, 1, 0, entries(10 * count));
    const level1 = table(fs, cache, 2, 1, entries(1));
    const plan: CompactionPlan = { reason: 'level0', level: 0, outputLevel: 1, inputs: [{ level: 0, tables: [level0] }, { level: 1, tables: [level1] }], grandparents: [], deeperLevels: [] };
    return { plan, level0, level1 };
  }

  it('leaves the cache alone when its inputs are cold', async () => {
    const { fs, blockCache, cache } = setupLarge(64 << 20);
    const { plan } = overlappingPlan(fs, cache, 400, 100);
    const cold = await runCompaction(plan, environment(fs, blockCache));
    expect(blockCache.bytes()).toBe(0);
    for (const output of cold.outputs) output.reader.close();
  });

  it('caches its outputs in the room its cached inputs leave, never holding both (cache bytes over the job)', async () => {
    // 10,000 keys of 100 bytes: ~1.1 MiB per input, well past the slack; the budget has room for all of it twice
    const count = 10_000;
    const { fs, blockCache, cache } = setupLarge(64 << 20);
    const { plan, level0, level1 } = overlappingPlan(fs, cache, count, 100);
    readAll(level0, count);
    readAll(level1, count);
    const bytesBefore = blockCache.bytes();
    expect(bytesBefore).toBeGreaterThan(level0.meta.sizeBytes + level1.meta.sizeBytes - 4096);
    blockCache.peakBytes = 0;
    const hot = await runCompaction(plan, environment(fs, blockCache, { targetFileBytes: 256 * 1024 }));
    expect(hot.outputs.length).toBeGreaterThan(2);
    expect(blockCache.peakBytes).toBeLessThanOrEqual(bytesBefore + COMPACTION_CACHE_SLACK_BYTES);
    expect(blockCache.bytes()).toBeLessThanOrEqual(bytesBefore);
    // every output block is cached (the inputs held twice its bytes): reads after the install hit
    for (const output of hot.outputs) {
      expect(blockCache.fileBytes(output.meta.number)).toBeGreaterThan(0);
      expect(output.reader.stats.blockReads).toBe(0);
      output.reader.get(output.meta.largestKey);
      expect(output.reader.stats.blockReads).toBe(0); // served from the cache
      output.reader.close();
    }
  });

  it('caches outputs only for as many bytes as their inputs held, over any share of cached input blocks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 2_000, max: 6_000 }), async (every0, every1, count) => {
        const { fs, blockCache, cache } = setupLarge(64 << 20);
        const { plan, level0, level1 } = overlappingPlan(fs, cache, count, 100);
        readAll(level0, count, every0 * 40); // every0 * 40 keys apart: some blocks cached, others not
        readAll(level1, count, every1 * 40);
        const bytesBefore = blockCache.bytes();
        blockCache.peakBytes = 0;
        const { outputs } = await runCompaction(plan, environment(fs, blockCache, { targetFileBytes: 64 * 1024 }));
        expect(blockCache.peakBytes).toBeLessThanOrEqual(bytesBefore + COMPACTION_CACHE_SLACK_BYTES);
        let outputBytes = 0;
        for (const output of outputs) outputBytes += blockCache.fileBytes(output.meta.number);
        expect(outputBytes).toBeLessThanOrEqual(bytesBefore + COMPACTION_CACHE_SLACK_BYTES);
        expect(outputBytes).toBeGreaterThan(0);
        expect(outputEntries(outputs)).toHaveLength(count); // the newest version of each key
        for (const output of outputs) output.reader.close();
      }),
      { numRuns: 12 },
    );
  });

  it('drops what an abandoned job cached', async () => {
    const { fs, blockCache, cache } = setupLarge(64 << 20);
    const { plan, level0, level1 } = overlappingPlan(fs, cache, 400, 100);
    readAll(level0, 400);
    readAll(level1, 400);
    const allocated: number[] = [];
    let next = 500;
    let checks = 0;
    const bytesBefore = blockCache.bytes();
    const stopped = runCompaction(plan, environment(fs, blockCache, {
      targetFileBytes: 4000,
      allocateFileNumber: () => {
        allocated.push(next);
        return next++;
      },
      checkRunnable: () => {
        if (++checks > 12) throw new Error('stop');
      },
    }));
    await expect(stopped).rejects.toThrow('stop');
    expect(allocated.length).toBeGreaterThan(1); // at least one output was finished (verified, cached) first
    for (const number of allocated) expect(blockCache.fileBytes(number)).toBe(0);
    expect(blockCache.bytes()).toBeLessThanOrEqual(bytesBefore); // inputs released early stay out until read again
  });
});
