// src/types/timeseries/hot-state.test.ts: appends in order, and late samples past the stored
// record, stage only their raw sample while the series' live state is cached; with the cache
// full, or older than the record, they write the record as well; either way the live state, the
// database's sample count and a rebuild from storage agree.
import { describe, expect, it } from 'vitest';
import { forgetHotState, limitHotState, loadSeries, recordSeries } from './hot-state.js';
import { samplesAscending, seal } from './samples.js';
import { addSample, createSeries, findSeries, type SeriesAccess } from './series-store.js';
import { TIMESTAMP_MAX, decodeSeriesState } from './series.js';
import { createOptions, storeOpener } from './test-store.js';

const openStore = storeOpener();

const NO_OPTIONS = createOptions();

/** Every series' live view (count, lastTs, lastValue, rawCount) as loaded now. */
function views(store: SeriesAccess, keys: Buffer[]): string[] {
  return keys.map((key) => {
    const { record, state } = findSeries(store, key)!;
    return `${record.count} ${state.lastTs} ${state.lastValue} ${state.firstTs} ${state.rawCount}`;
  });
}

describe('the live state of series', () => {
  it.each([['with room', 1000], ['with the cache full', 3]])('agrees with the stored record and raw samples %s', async (_name, entriesMax) => {
    const store = await openStore();
    limitHotState(store.keyspace, entriesMax);
    const keys = Array.from({ length: 8 }, (_, index) => Buffer.from(`s${index}`));
    for (const key of keys) createSeries(store, key, NO_OPTIONS);
    await store.keyspace.commit();
    for (let ts = 1; ts <= 20; ts++) {
      for (const key of keys) addSample(store, key, findSeries(store, key)!, ts * 10, ts, undefined);
      await store.keyspace.commit();
    }
    const recordedCounts = keys.map((key) => store.keyspace.get(0, key)!.count);
    if (entriesMax >= keys.length) expect(recordedCounts).toEqual(keys.map(() => 0)); // one raw element per append, no record
    else expect(recordedCounts.filter((count) => count === 20).length).toBeGreaterThan(0); // no room: the record went too
    const live = views(store, keys);
    expect(live).toEqual(keys.map(() => '20 200 20 10 20'));
    expect(store.keyspace.seriesCounts(0)).toEqual({ series: 8, samples: 160 });
    forgetHotState(store.keyspace);
    expect(views(store, keys)).toEqual(live);
    if (entriesMax >= keys.length) expect(decodeSeriesState(store.keyspace.get(0, keys[0]!)!.payload).lastTs).toBe(0); // the record as created
    expect(store.keyspace.delete(0, keys[0]!)).toBe(true);
    expect(store.keyspace.seriesCounts(0)).toEqual({ series: 7, samples: 140 });
    await store.keyspace.commit();
  });

  it('keeps late samples past the stored record unrecorded, and records older ones', async () => {
    const store = await openStore();
    const key = Buffer.from('late');
    createSeries(store, key, createOptions({ duplicatePolicy: 'sum' }));
    await store.keyspace.commit();
    const add = (ts: number, value: number) => addSample(store, key, findSeries(store, key)!, ts, value, undefined);
    for (let ts = 10; ts <= 100; ts += 10) add(ts, ts);
    await store.keyspace.commit();
    const sealed = findSeries(store, key)!;
    seal(store.keyspace, sealed);
    recordSeries(store.keyspace, 0, key, sealed); // chunks up to 100, the record at lastTs 100
    await store.keyspace.commit();
    for (let ts = 110; ts <= 200; ts += 10) add(ts, ts);
    add(155, 1); // late, past the record: a new sample
    add(160, 5); // late, on an unrecorded one: summed
    add(105, 2); // late, past the record, before the first unrecorded one
    await store.keyspace.commit();
    expect(store.keyspace.get(0, key)!.count).toBe(10); // none of the above wrote the record
    add(95, 3); // older than the record (inside the chunks): recorded
    add(50, 4); // on a chunk's sample: summed, recorded
    await store.keyspace.commit();
    expect(store.keyspace.get(0, key)!.count).toBe(23);
    add(185, 6); // late, older than the new record (lastTs 200): recorded
    add(210, 7);
    add(205, 8); // late past the record (lastTs 200): unrecorded
    await store.keyspace.commit();
    expect(store.keyspace.get(0, key)!.count).toBe(24);
    const live = views(store, [key]);
    const samples = [...samplesAscending(store.keyspace, findSeries(store, key)!, 0, TIMESTAMP_MAX)].map((sample) => `${sample.ts}:${sample.value}`);
    expect(live).toEqual(['26 210 7 10 17']);
    expect(samples).toContain('160:165');
    expect(samples).toContain('50:54');
    expect(samples).toHaveLength(26);
    expect(store.keyspace.seriesCounts(0)).toEqual({ series: 1, samples: 26 });
    forgetHotState(store.keyspace);
    expect(views(store, [key])).toEqual(live);
    expect([...samplesAscending(store.keyspace, findSeries(store, key)!, 0, TIMESTAMP_MAX)].map((sample) => `${sample.ts}:${sample.value}`)).toEqual(samples);
    expect(store.keyspace.seriesCounts(0)).toEqual({ series: 1, samples: 26 });
  });

  it('makes room in a full cache by dropping the states of deleted series', async () => {
    const store = await openStore();
    limitHotState(store.keyspace, 4);
    const append = async (keys: Buffer[]) => {
      for (const key of keys) createSeries(store, key, NO_OPTIONS);
      for (let ts = 1; ts <= 5; ts++) for (const key of keys) addSample(store, key, findSeries(store, key)!, ts, ts, undefined);
      await store.keyspace.commit();
    };
    const old = ['a', 'b', 'c', 'd'].map((name) => Buffer.from(name));
    await append(old);
    expect(old.map((key) => store.keyspace.get(0, key)!.count)).toEqual([0, 0, 0, 0]); // all cached, none recorded
    for (const key of old.slice(0, 2)) store.keyspace.delete(0, key);
    await store.keyspace.commit();
    const fresh = ['e', 'f'].map((name) => Buffer.from(name));
    await append(fresh);
    expect(fresh.map((key) => store.keyspace.get(0, key)!.count)).toEqual([0, 0]); // room was made: no record written
    expect(store.keyspace.seriesCounts(0)).toEqual({ series: 4, samples: 20 });
  });

  it("drops the cache when a command's staged writes are discarded", async () => {
    const store = await openStore();
    const key = Buffer.from('d');
    createSeries(store, key, NO_OPTIONS);
    addSample(store, key, findSeries(store, key)!, 5, 1, undefined);
    await store.keyspace.commit();
    addSample(store, key, findSeries(store, key)!, 6, 2, undefined);
    expect(loadSeries(store.keyspace, store.keyspace.get(0, key)!).state.lastTs).toBe(6);
    store.keyspace.discardStaged();
    const series = findSeries(store, key)!;
    expect([series.record.count, series.state.lastTs, series.state.lastValue]).toEqual([1, 5, 1]);
    expect(store.keyspace.seriesCounts(0).samples).toBe(1);
  });
});
