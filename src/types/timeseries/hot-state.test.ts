// src/types/timeseries/hot-state.test.ts: appends in order stage only their raw sample while the
// series' live state is cached; with the cache full they write the record as well; either way
// the live state, the database's sample count and a rebuild from storage agree.
import { describe, expect, it } from 'vitest';
import { forgetHotState, limitHotState, loadSeries } from './hot-state.js';
import { addSample, createSeries, findSeries, type SeriesAccess } from './series-store.js';
import { decodeSeriesState } from './series.js';
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
