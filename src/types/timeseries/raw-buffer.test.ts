// src/types/timeseries/raw-buffer.test.ts: a series' raw buffer holds exactly its raw samples in
// the engine through appends, late samples, seals and retention's drop of old chunks; the model
// test (timeseries-model.test.ts) checks the same after every step of random sequences.
import { describe, expect, it } from 'vitest';
import { limitRawBuffers, RAW_BUFFER_ENTRY_SAMPLES, rawBuffers, startRawBuffer } from './raw-buffer.js';
import { rawSamples, seal } from './samples.js';
import { addSample, createSeries, findSeries, storeSeries, type SeriesAccess } from './series-store.js';
import { TIMESTAMP_MAX } from './series.js';
import { createOptions, storeOpener } from './test-store.js';

const openStore = storeOpener();

const NO_OPTIONS = createOptions();
const KEY = Buffer.from('s');

/** The series' buffer and its raw samples in the engine, as [ts, value] lists. */
function bufferAndStored(store: SeriesAccess): { buffered: number[][] | undefined; stored: number[][] } {
  const { record: { version }, state } = findSeries(store, KEY)!;
  const buffer = rawBuffers(store.keyspace).get(version);
  return {
    buffered: buffer?.timestamps.map((ts, index) => [ts, buffer.values[index]!]),
    stored: [...rawSamples(store.keyspace, version, state.rawGeneration, 0, TIMESTAMP_MAX)].map(({ ts, value }) => [ts, value]),
  };
}

async function add(store: SeriesAccess, ts: number, value: number): Promise<void> {
  addSample(store, KEY, findSeries(store, KEY)!, ts, value, 'last');
  await store.keyspace.commit();
}

async function sealSome(store: SeriesAccess, samplesMax: number): Promise<void> {
  const series = findSeries(store, KEY)!;
  seal(store.keyspace, series, samplesMax);
  storeSeries(store, KEY, series);
  await store.keyspace.commit();
}

describe('raw buffers', () => {
  it('hold the raw samples through appends, late samples and seals', async () => {
    const store = await openStore();
    createSeries(store, KEY, NO_OPTIONS);
    await store.keyspace.commit();
    for (const ts of [10, 20, 30, 40]) await add(store, ts, ts);
    await sealSome(store, 3); // 10, 20, 30 folded
    await add(store, 25, -1); // late, before the newest chunk's end
    await add(store, 40, 4); // replaces a raw sample
    await add(store, 35, 3.5); // between raw samples
    const { buffered, stored } = bufferAndStored(store);
    expect(stored).toEqual([[25, -1], [35, 3.5], [40, 4]]);
    expect(buffered).toEqual(stored);
    await sealSome(store, 100);
    expect(bufferAndStored(store)).toEqual({ buffered: [], stored: [] });
  });

  it("go with the raw samples retention drops with an expired chunk", async () => {
    const store = await openStore();
    createSeries(store, KEY, { ...NO_OPTIONS, retentionMs: 50 });
    await store.keyspace.commit();
    for (let ts = 1; ts <= 20; ts++) await add(store, ts, ts);
    await sealSome(store, 100);
    for (let ts = 30; ts <= 40; ts++) await add(store, ts, ts);
    await sealSome(store, 100); // two chunks, the newest ending at 40
    await add(store, 5, -5); // late: raw, in the oldest chunk's time
    for (let ts = 100; ts <= 110; ts++) await add(store, ts, ts); // retention now starts at 60
    await sealSome(store, 0); // folds nothing; drops the chunk ending at 20 and the raw sample at 5
    const { buffered, stored } = bufferAndStored(store);
    expect(stored.map(([ts]) => ts)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    expect(buffered === undefined || JSON.stringify(buffered) === JSON.stringify(stored)).toBe(true);
    await sealSome(store, 100); // a buffer that still held 5 would fail seal()'s count check
    expect(bufferAndStored(store).stored).toEqual([]);
  });

  it('count their own cost, so many one-sample series keep a bounded number of buffers', async () => {
    const store = await openStore();
    const BUFFERS_MAX = 10;
    limitRawBuffers(store.keyspace, BUFFERS_MAX * (RAW_BUFFER_ENTRY_SAMPLES + 1));
    for (let index = 0; index < 50; index++) {
      const key = Buffer.from(`s${index}`);
      createSeries(store, key, NO_OPTIONS);
      addSample(store, key, findSeries(store, key)!, 1000, index, 'last');
      await store.keyspace.commit();
    }
    expect(rawBuffers(store.keyspace).size).toBe(BUFFERS_MAX); // 50 by samples alone
    for (const [version, buffer] of rawBuffers(store.keyspace)) {
      const owner = store.keyspace.ownerOf(version)!;
      expect(buffer.timestamps).toEqual([1000]);
      expect(buffer.values).toEqual([Number(owner.key.toString().slice(1))]);
    }
  });

  it('are kept by no read-only keyspace (a replica)', async () => {
    const store = await openStore();
    store.keyspace.setReadOnly(true);
    startRawBuffer(store.keyspace, 1);
    expect(rawBuffers(store.keyspace).size).toBe(0);
  });
});
