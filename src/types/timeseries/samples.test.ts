// src/types/timeseries/samples.test.ts: a series' storage (samples.ts) at its edges, on a real
// keyspace over the in-memory file system: chunk links and reverse walks across sealing, late
// samples folded into the chunk of their time, TS.DEL across chunk boundaries, retention dropping
// whole chunks, upserts over sealed samples under each policy, and the decoded-chunk cache.
// Writes go through series-store.ts as the commands do; each test commits what it staged.
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../../keyspace/keyspace.js';
import type { Sample } from './sample.js';
import { chunksFrom, rawSamples, sampleAt, samplesAscending, samplesDescending, seal } from './samples.js';
import { Sealer } from './sealer.js';
import type { CreateOptions, DuplicatePolicy } from './series-options.js';
import { addSample, createRule, createSeries, deleteRange, findSeries, type SeriesAccess } from './series-store.js';
import { TIMESTAMP_MAX, seriesOf, seriesRecord, type Series } from './series.js';

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
    store.keyspace.set(store.db, KEY, seriesRecord(series));
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
