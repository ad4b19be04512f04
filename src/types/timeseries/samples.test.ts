// src/types/timeseries/samples.test.ts: a series' storage (samples.ts) at its edges, on a real
// keyspace over the in-memory file system: chunk links and reverse walks across sealing, late
// samples folded into the chunk of their time, TS.DEL across chunk boundaries, retention dropping
// whole chunks, upserts over sealed samples under each policy, and the decoded-chunk cache.
// Writes go through series-store.ts as the commands do; each test commits what it staged.
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../../keyspace/keyspace.js';
import { CHUNK_HEADER_BYTES } from './chunk-codec.js';
import type { Sample } from './sample.js';
import { chunksFrom, rawSamples, sampleAt, samplesAscending, samplesDescending, seal } from './samples.js';
import { Sealer } from './sealer.js';
import type { CreateOptions, DuplicatePolicy } from './series-options.js';
import { addSample, createRule, createSeries, deleteRange, findSeries, type SeriesAccess } from './series-store.js';
import { TIMESTAMP_MAX, type Series } from './series.js';
import { recordSeries } from './hot-state.js';

const opened: Engine[] = [];
afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

const KEY = Buffer.from('series');

function options(overrides: Partial<CreateOptions> = {}): CreateOptions {
  return { retentionMs: undefined, chunkSizeBytes: undefined, encoding: undefined, duplicatePolicy: undefined, ignore: undefined, labels: undefined, ...overrides };
}

async function openStore(): Promise<SeriesAccess & { engine: Engine; fs: CrashableFileSystem }> {
  const fs = new CrashableFileSystem();
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({ dir: '/db', fs, syncPolicy: 'always', compactionFilter: garbage.filter });
  opened.push(engine);
  const keyspace = await Keyspace.open(engine, { garbage });
  return { engine, fs, keyspace, db: 0, sealer: new Sealer() };
}

function current(store: SeriesAccess): Series {
  return findSeries(store, KEY)!;
}

async function create(store: SeriesAccess, overrides: Partial<CreateOptions> = {}): Promise<void> {
  createSeries(store, KEY, options(overrides));
  await store.keyspace.commit();
}

/** TS.ADD per sample, one commit for all. */
async function add(store: SeriesAccess, samples: ReadonlyArray<readonly [number, number]>, policy?: DuplicatePolicy): Promise<void> {
  for (const [ts, value] of samples) addSample(store, KEY, current(store), ts, value, policy);
  await store.keyspace.commit();
}

/** seal() until no raw sample is left (at most maxSamples per call), each call committed. */
async function sealAll(store: SeriesAccess, maxSamples?: number): Promise<number> {
  let calls = 0;
  for (let series = current(store); series.state.rawCount > 0 && calls < 1000; series = current(store), calls++) {
    seal(store.keyspace, series, maxSamples);
    recordSeries(store.keyspace, store.db, KEY, series); // the live state, as the sealer writes it
    await store.keyspace.commit();
  }
  return calls;
}

function ascending(store: SeriesAccess, from = 0, to = TIMESTAMP_MAX): Sample[] {
  return [...samplesAscending(store.keyspace, current(store), from, to)];
}

function descending(store: SeriesAccess, from = 0, to = TIMESTAMP_MAX): Sample[] {
  return [...samplesDescending(store.keyspace, current(store), from, to)];
}

/** Chunks as [first, last, link] in key order. */
function chunks(store: SeriesAccess): [number, number, number | undefined][] {
  return [...chunksFrom(store.keyspace, current(store).record.version, 0)].map((chunk) => [chunk.header.firstTimestamp, chunk.lastTs, chunk.prevLastTs]);
}

/** Every chunk links to the one before it (the first to none), and chunkCount / sealedLastTs agree. */
function expectLinked(store: SeriesAccess): void {
  const list = chunks(store);
  list.forEach(([, , link], index) => expect(link).toBe(index === 0 ? undefined : list[index - 1]![1]));
  const { state } = current(store);
  expect(state.chunkCount).toBe(list.length);
  if (list.length > 0) expect(state.sealedLastTs).toBe(list.at(-1)![1]);
}

const series = (from: number, count: number, step = 1, value = (ts: number) => ts % 17): [number, number][] =>
  Array.from({ length: count }, (_, index) => [from + index * step, value(from + index * step)]);

describe('retention at sealing', () => {
  it('drops whole chunks older than the cutoff and unlinks the first chunk that stays', async () => {
    const store = await openStore();
    await create(store, { retentionMs: 100, chunkSizeBytes: 64, encoding: 'uncompressed' });
    await add(store, series(0, 300));
    await sealAll(store);
    const list = chunks(store);
    expect(list[0]![0]).toBeGreaterThan(0); // chunks wholly before 299 - 100 went
    expect(list[0]![0]).toBeLessThanOrEqual(199);
    expectLinked(store);
    expect(descending(store).map((sample) => sample.ts)).toEqual(ascending(store).map((sample) => sample.ts).reverse());
  });

  it('moves firstTs to the oldest sample left (TS.INFO firstTimestamp once retention grows)', async () => {
    const store = await openStore();
    await create(store, { retentionMs: 20, chunkSizeBytes: 48 });
    await add(store, series(1000, 60));
    await sealAll(store);
    const all = [...samplesAscending(store.keyspace, { ...current(store), state: { ...current(store).state, retentionMs: 0 } }, 0, TIMESTAMP_MAX)];
    expect(all[0]!.ts).toBeGreaterThan(1000); // chunks went
    expect(current(store).state.firstTs).toBe(all[0]!.ts);
  });
});

describe('retention at sealing, with raw samples left', () => {
  it('drops the raw samples of the chunks it drops, and counts what stays', async () => {
    const store = await openStore();
    await create(store, { retentionMs: 100, chunkSizeBytes: 48, encoding: 'uncompressed', duplicatePolicy: 'last' });
    await add(store, series(0, 30));
    await sealAll(store); // [0,2] [3,5] ... [27,29]
    await add(store, [[4, 98], [10, 99]]); // upserts, raw over sealed samples
    await add(store, series(30, 170)); // the cutoff moves to 99: every chunk but the last is past it
    const series0 = current(store);
    seal(store.keyspace, series0, 1); // folds 4 alone; 10 stays raw, its chunk goes
    recordSeries(store.keyspace, 0, KEY, series0); // the live state, as the sealer writes it
    await store.keyspace.commit();
    const stored = [...samplesAscending(store.keyspace, { ...current(store), state: { ...current(store).state, retentionMs: 0 } }, 0, TIMESTAMP_MAX)];
    expect(stored.map((sample) => sample.ts)).toEqual(Array.from({ length: 173 }, (_, index) => index + 27));
    expect(current(store).record.count).toBe(173);
    expect(current(store).state.rawCount).toBe([...rawSamples(store.keyspace, current(store).record.version, current(store).state.rawGeneration, 0, TIMESTAMP_MAX)].length);
    expect(current(store).state.firstTs).toBe(27);
  });
});

describe('writes that feed compaction rules', () => {
  it('writes a recomputed bucket into a destination whose retention excludes it, and keeps the source sample', async () => {
    const store = await openStore();
    const source = Buffer.from('source');
    const destination = Buffer.from('dest');
    createSeries(store, source, options());
    createSeries(store, destination, options({ retentionMs: 10 }));
    createRule(store, source, findSeries(store, source)!, destination, findSeries(store, destination)!, { aggregation: 'sum', bucketDuration: 10, alignment: 0 });
    for (const ts of [90, 100, 101]) addSample(store, source, findSeries(store, source)!, ts, 1, undefined);
    addSample(store, destination, findSeries(store, destination)!, 1000, 5, undefined); // written directly: its last is far ahead
    await store.keyspace.commit();
    // a late sample in the closed bucket 90 recomputes it (upsertCompaction): 90 is older than the
    // destination's retention, which RedisTimeSeries's SeriesUpsertSample does not check
    expect(addSample(store, source, findSeries(store, source)!, 95, 1, undefined)).toBe(95);
    await store.keyspace.commit();
    const read = (key: Buffer) => {
      const series = findSeries(store, key)!;
      return { count: series.record.count, samples: [...samplesAscending(store.keyspace, { ...series, state: { ...series.state, retentionMs: 0 } }, 0, TIMESTAMP_MAX)].map((sample) => [sample.ts, sample.value]) };
    };
    expect(read(source)).toEqual({ count: 4, samples: [[90, 1], [95, 1], [100, 1], [101, 1]] });
    expect(read(destination)).toEqual({ count: 2, samples: [[90, 2], [1000, 5]] }); // bucket 100 is still open
  });
});

describe('a refused sample', () => {
  it('stages nothing, even on a series whose rules dangle (TS.MADD keeps what the others staged)', async () => {
    const store = await openStore();
    const source = Buffer.from('source');
    const destination = Buffer.from('dest');
    createSeries(store, source, options());
    createSeries(store, destination, options());
    createRule(store, source, findSeries(store, source)!, destination, findSeries(store, destination)!, { aggregation: 'avg', bucketDuration: 10, alignment: 0 });
    addSample(store, source, findSeries(store, source)!, 100, 1, undefined);
    store.keyspace.delete(0, destination); // the rule dangles until the source is next written
    await store.keyspace.commit();
    expect(() => addSample(store, source, findSeries(store, source)!, 100, 2, undefined)).toThrow(/BLOCK/);
    expect(store.keyspace.hasStaged()).toBe(false);
  });
});

describe('chunks and their links', () => {
  it('links every chunk to the one before across seals in parts, and walks back to the oldest', async () => {
    const store = await openStore();
    await create(store, { chunkSizeBytes: 48 });
    for (let round = 0; round < 4; round++) {
      await add(store, series(100 + round * 200, 150, 1));
      await sealAll(store, 37); // folds in parts: each call links its first chunk to the last one written
    }
    expectLinked(store);
    expect(chunks(store).length).toBeGreaterThan(10);
    const all = ascending(store);
    expect(all).toHaveLength(600);
    expect(descending(store)).toEqual(all.slice().reverse());
    for (const [from, to] of [[0, 99], [150, 250], [299, 301], [705, 900], [390, 390], [600, 5000]] as const) {
      expect(descending(store, from, to)).toEqual(ascending(store, from, to).reverse());
    }
  });

  it('folds late samples into the chunk of their time and keeps every chunk key and link', async () => {
    const store = await openStore();
    await create(store, { chunkSizeBytes: 48, duplicatePolicy: 'last' });
    await add(store, series(0, 200, 10));
    await sealAll(store);
    const before = chunks(store);
    // inside chunks, in the gaps between them, before the first one, and over existing samples
    const late: [number, number][] = [[1, 100], [5, 101], [before[2]![1] + 3, 102], [before[5]![0] - 1, 103], [before[5]![0], 104], [1990, 105]];
    await add(store, late);
    expect(current(store).state.rawCount).toBe(late.length);
    await sealAll(store);
    const after = chunks(store);
    expect(after.map(([, last]) => last)).toEqual(before.map(([, last]) => last));
    expectLinked(store);
    for (const [ts, value] of late) {
      expect(sampleAt(store.keyspace, current(store), ts)).toBe(value);
      const holder = after.find(([, last]) => last >= ts)!;
      expect(holder[0]).toBeLessThanOrEqual(ts); // the first chunk ending at or after ts took it
    }
    expect(current(store).record.count).toBe(200 + 4); // two replaced samples
    expect(current(store).state.rawCount).toBe(0);
  });
});

describe('sealing late and new raw samples together', () => {
  it('folds the oldest first, in parts, whether late or past the newest chunk', async () => {
    const store = await openStore();
    await create(store, { chunkSizeBytes: 48 });
    await add(store, series(0, 20, 10)); // 0, 10, ..., 190
    await sealAll(store);
    await add(store, [[1000, 1], [1010, 2], [5, 3], [15, 4]]);
    const raws = () => [...rawSamples(store.keyspace, current(store).record.version, current(store).state.rawGeneration, 0, TIMESTAMP_MAX)].map((sample) => sample.ts);
    for (const left of [[15, 1000, 1010], [1000, 1010], [1010], []]) {
      const sealing = current(store);
      expect(seal(store.keyspace, sealing, 1)).toBe(1);
      recordSeries(store.keyspace, store.db, KEY, sealing); // the live state, as the sealer writes it
      await store.keyspace.commit();
      expect(raws()).toEqual(left);
      expect(current(store).state.rawCount).toBe(left.length);
    }
    expect(ascending(store, 0, TIMESTAMP_MAX).map((sample) => sample.ts)).toEqual([0, 5, 10, 15, ...series(20, 18, 10).map(([ts]) => ts), 1000, 1010]);
    expectLinked(store);
  });
});

describe('chunks that late samples grow', () => {
  for (const encoding of ['compressed', 'uncompressed'] as const) {
    it(`splits one past its size into chunks of about CHUNK_SIZE (${encoding}), linked in order`, async () => {
      const store = await openStore();
      await create(store, { chunkSizeBytes: 64, encoding, duplicatePolicy: 'last' });
      await add(store, [[0, 0], [100_000, 1]]);
      await sealAll(store);
      expect(chunks(store)).toEqual([[0, 100_000, undefined]]);
      const late = Array.from({ length: 1500 }, (_, index): [number, number] => [(index + 1) * 50, (index * 7919) % 101]);
      await add(store, late);
      await sealAll(store);
      const list = [...chunksFrom(store.keyspace, current(store).record.version, 0)];
      expect(list.length).toBeGreaterThan(10);
      for (const chunk of list) expect(chunk.header.byteLength - CHUNK_HEADER_BYTES).toBeLessThanOrEqual(64 * 1.2);
      expectLinked(store);
      const want = [[0, 0], ...late, [100_000, 1]].sort((a, b) => a[0]! - b[0]!);
      expect(ascending(store).map((sample) => [sample.ts, sample.value])).toEqual(want);
      expect(descending(store).map((sample) => sample.ts)).toEqual(want.map(([ts]) => ts).reverse());
      expect(current(store).record.count).toBe(want.length);
      for (const [ts, value] of [late[0]!, late[700]!, late[1499]!]) expect(sampleAt(store.keyspace, current(store), ts)).toBe(value);
    });
  }
});

describe('TS.DEL over chunks', () => {
  it('deletes across chunk boundaries, relinks the chunks that stay, and keeps count and ends', async () => {
    const store = await openStore();
    await create(store, { chunkSizeBytes: 48, encoding: 'uncompressed' });
    await add(store, series(0, 60, 1));
    await sealAll(store);
    const before = chunks(store); // three samples a chunk: [0,2] [3,5] ...
    expect(before[0]).toEqual([0, 2, undefined]);
    const cases: [number, number][] = [[4, 7], [9, 17], [20, 20], [57, 59], [0, 1]];
    const expected = new Map(ascending(store).map((sample) => [sample.ts, sample.value]));
    for (const [from, to] of cases) {
      let deleted = 0;
      for (const ts of [...expected.keys()]) if (ts >= from && ts <= to && expected.delete(ts)) deleted++;
      expect(deleteRange(store, KEY, current(store), from, to)).toBe(deleted);
      await store.keyspace.commit();
      expect(ascending(store).map((sample) => [sample.ts, sample.value])).toEqual([...expected]);
      expect(descending(store).map((sample) => sample.ts)).toEqual([...expected.keys()].reverse());
      expect(current(store).record.count).toBe(expected.size);
      expect(current(store).state.lastTs).toBe(Math.max(...expected.keys()));
      expect(current(store).state.firstTs).toBe(Math.min(...expected.keys()));
      expectLinked(store);
      await sealAll(store); // remnants made raw go back into chunks
      expectLinked(store);
      expect(ascending(store).map((sample) => [sample.ts, sample.value])).toEqual([...expected]);
    }
  });

  it('keeps an upsert not yet sealed when TS.DEL rewrites its chunk', async () => {
    const store = await openStore();
    await create(store, { chunkSizeBytes: 48, encoding: 'uncompressed', duplicatePolicy: 'last' });
    await add(store, series(0, 9, 1, () => 1));
    await sealAll(store); // [0,2] [3,5] [6,8]
    await add(store, [[4, 40]]); // raw, over the chunk's 4
    expect(deleteRange(store, KEY, current(store), 5, 5)).toBe(1); // the chunk [3,5] loses its last sample
    await store.keyspace.commit();
    expect(ascending(store).map((sample) => [sample.ts, sample.value])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1], [4, 40], [6, 1], [7, 1], [8, 1]]);
    expect(current(store).record.count).toBe(8);
    await sealAll(store);
    expect(ascending(store).map((sample) => [sample.ts, sample.value])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1], [4, 40], [6, 1], [7, 1], [8, 1]]);
    expect(current(store).record.count).toBe(8);
    expectLinked(store);
  });

  it('empties a series whole and starts its chunks afresh', async () => {
    const store = await openStore();
    await create(store, { chunkSizeBytes: 48 });
    await add(store, series(10, 100, 2));
    await sealAll(store);
    await add(store, [[500, 1], [501, 2]]);
    expect(deleteRange(store, KEY, current(store), 0, TIMESTAMP_MAX)).toBe(102);
    await store.keyspace.commit();
    expect(current(store).record.count).toBe(0);
    expect(current(store).state).toMatchObject({ chunkCount: 0, rawCount: 0, lastTs: 0 });
    expect(chunks(store)).toEqual([]);
    await add(store, series(5, 50));
    await sealAll(store);
    expectLinked(store);
    expect(ascending(store)).toHaveLength(50);
  });
});

describe('upserts over sealed samples', () => {
  const cases: [DuplicatePolicy, number, number, number | 'refused'][] = [
    ['block', 5, 7, 'refused'], ['first', 5, 7, 5], ['last', 5, 7, 7], ['min', 5, 7, 5], ['min', 5, 3, 3],
    ['max', 5, 7, 7], ['max', 5, 3, 5], ['sum', 5, 7, 12], ['last', Number.NaN, 7, 7], ['first', Number.NaN, 7, 7], ['sum', 5, Number.NaN, 5],
  ];
  for (const [policy, old, value, expected] of cases) {
    it(`${policy}: ${old} then ${value} at a sealed timestamp gives ${expected}`, async () => {
      const store = await openStore();
      await create(store, { chunkSizeBytes: 48, duplicatePolicy: policy });
      await add(store, series(0, 30, 1, (ts) => (ts === 12 ? old : ts)));
      await sealAll(store);
      const chunkCount = current(store).state.chunkCount;
      if (expected === 'refused') {
        expect(() => addSample(store, KEY, current(store), 12, value, undefined)).toThrow(/BLOCK/);
        store.keyspace.discardStaged();
      } else {
        addSample(store, KEY, current(store), 12, value, undefined);
        await store.keyspace.commit();
      }
      const want = expected === 'refused' ? old : expected;
      const read = (): number | undefined => sampleAt(store.keyspace, current(store), 12);
      expect(Object.is(read(), want) || (Number.isNaN(read()) && Number.isNaN(want))).toBe(true);
      expect(current(store).record.count).toBe(30);
      await sealAll(store);
      expect(Object.is(read(), want) || (Number.isNaN(read()) && Number.isNaN(want))).toBe(true);
      expect(current(store).record.count).toBe(30);
      expect(current(store).state.chunkCount).toBe(chunkCount);
      expect(ascending(store).map((sample) => sample.ts)).toEqual(Array.from({ length: 30 }, (_, index) => index));
    });
  }
});

describe('the decoded-chunk cache', () => {
  it('never serves a chunk rewritten since it was decoded', async () => {
    const store = await openStore();
    await create(store, { chunkSizeBytes: 64, duplicatePolicy: 'last' });
    await add(store, series(0, 40, 1, () => 1));
    await sealAll(store);
    expect(sampleAt(store.keyspace, current(store), 3)).toBe(1); // decoded and cached
    expect(ascending(store, 0, 10).every((sample) => sample.value === 1)).toBe(true);
    await add(store, [[3, 9]]);
    await sealAll(store); // the chunk holding 3 rewritten under the same key
    expect(current(store).state.rawCount).toBe(0);
    expect(sampleAt(store.keyspace, current(store), 3)).toBe(9);
    expect(ascending(store, 3, 3)).toEqual([{ ts: 3, value: 9 }]);
    expect(descending(store, 3, 3)).toEqual([{ ts: 3, value: 9 }]);
    deleteRange(store, KEY, current(store), 2, 2); // rewritten again (staged, then discarded)
    expect(ascending(store, 0, 4).map((sample) => sample.ts)).toEqual([0, 1, 3, 4]);
    store.keyspace.discardStaged();
    expect(ascending(store, 0, 4).map((sample) => sample.ts)).toEqual([0, 1, 2, 3, 4]);
  });

  it('tells apart two keyspaces whose series share a version and chunk keys', async () => {
    const first = await openStore();
    const second = await openStore();
    await create(first, { chunkSizeBytes: 64 });
    await create(second, { chunkSizeBytes: 64 });
    expect(current(first).record.version).toBe(current(second).record.version);
    await add(first, series(0, 40, 1, () => 1));
    await add(second, series(0, 40, 1, () => 2));
    await sealAll(first);
    await sealAll(second);
    for (let round = 0; round < 2; round++) {
      expect(ascending(first).every((sample) => sample.value === 1)).toBe(true);
      expect(ascending(second).every((sample) => sample.value === 2)).toBe(true);
      expect(sampleAt(first.keyspace, current(first), 7)).toBe(1);
      expect(sampleAt(second.keyspace, current(second), 7)).toBe(2);
    }
  });

  it('reads what a crash left, not what it decoded before the crash', async () => {
    const fs = new CrashableFileSystem();
    const garbage = new KeyspaceGarbage();
    const open = async (): Promise<SeriesAccess> => {
      const engine = await Engine.open({ dir: '/db', fs, syncPolicy: 'no', compactionFilter: garbage.filter });
      opened.push(engine);
      return { keyspace: await Keyspace.open(engine, { garbage }), db: 0, sealer: new Sealer() };
    };
    const store = await open();
    await create(store, { chunkSizeBytes: 64, duplicatePolicy: 'last' });
    await add(store, series(0, 40, 1, () => 1));
    await sealAll(store);
    await opened.at(-1)!.flush(); // durable: the chunks with 1s
    await add(store, [[5, 7]]);
    await sealAll(store);
    expect(sampleAt(store.keyspace, current(store), 5)).toBe(7); // the rewritten chunk, decoded
    fs.crash({ mode: 'drop', seed: 1 }); // syncPolicy 'no': the rewrite was never synced
    const reopened = await open();
    expect(sampleAt(reopened.keyspace, current(reopened), 5)).toBe(1);
    expect(ascending(reopened, 5, 5)).toEqual([{ ts: 5, value: 1 }]);
  });
});
