// src/types/timeseries/record-cache.test.ts: a cached series record is what keyspace.get() says
// after every change of its key (TS.ALTER's rewrite, DEL, RENAME's both ends, FLUSHDB, SWAPDB,
// expiry, discarded writes), and appends in order leave it cached.
import { afterEach, describe, expect, it } from 'vitest';
import { recordCacheHooks, recordsCached, seriesRecordAt } from './record-cache.js';
import { addSample, alterSeries, createSeries, findSeries, type SeriesAccess } from './series-store.js';
import { decodeSeriesState } from './series.js';
import { createOptions, storeOpener } from './test-store.js';

const openStore = storeOpener({}, () => clockMs);

let clockMs = 1_000_000;

const NO_OPTIONS = createOptions();
const A = Buffer.from('a');
const B = Buffer.from('b');

/** A store with series a and b committed and both cached. */
async function cachedStore(): Promise<SeriesAccess> {
  const store = await openStore();
  createSeries(store, A, NO_OPTIONS);
  createSeries(store, B, { ...NO_OPTIONS, retentionMs: 7 });
  await store.keyspace.commit();
  seriesRecordAt(store.keyspace, 0, A);
  seriesRecordAt(store.keyspace, 0, B);
  expect(recordsCached(store.keyspace)).toBe(2);
  return store;
}

const retentionAt = (store: SeriesAccess, key: Buffer, db = 0) => {
  const record = seriesRecordAt(store.keyspace, db, key);
  return record === undefined ? undefined : decodeSeriesState(record.payload).retentionMs;
};

describe('the series record cache', () => {
  it('keeps records through appends in order, and answers them without a change', async () => {
    const store = await cachedStore();
    for (let ts = 1; ts <= 5; ts++) addSample(store, A, findSeries(store, A)!, ts, ts, undefined);
    await store.keyspace.commit();
    expect(recordsCached(store.keyspace)).toBe(2);
    expect(seriesRecordAt(store.keyspace, 0, A)).toEqual(store.keyspace.get(0, A));
    expect(findSeries(store, A)!.record.count).toBe(5);
  });

  it('hands out a copy of the decoded state: a change to one is not in the next', async () => {
    const store = await cachedStore();
    findSeries(store, B)!.state.retentionMs = 1234;
    expect(findSeries(store, B)!.state.retentionMs).toBe(7);
  });

  it('drops a record its key rewrites (TS.ALTER)', async () => {
    const store = await cachedStore();
    alterSeries(store, A, findSeries(store, A)!, { ...NO_OPTIONS, retentionMs: 99 });
    await store.keyspace.commit();
    expect(retentionAt(store, A)).toBe(99);
  });

  it('drops a deleted key, and both ends of a rename', async () => {
    const store = await cachedStore();
    expect(store.keyspace.delete(0, A)).toBe(true);
    expect(seriesRecordAt(store.keyspace, 0, A)).toBeUndefined();
    await store.keyspace.commit();
    createSeries(store, A, { ...NO_OPTIONS, retentionMs: 3 });
    await store.keyspace.commit();
    expect(retentionAt(store, A)).toBe(3);
    store.keyspace.relocate(0, A, 0, B); // RENAME a b: b is a's series now
    await store.keyspace.commit();
    expect(seriesRecordAt(store.keyspace, 0, A)).toBeUndefined();
    expect(retentionAt(store, B)).toBe(3);
    store.keyspace.relocate(0, B, 1, B); // MOVE b 1
    expect(seriesRecordAt(store.keyspace, 0, B)).toBeUndefined();
    expect(retentionAt(store, B, 1)).toBe(3);
  });

  describe('with every key hashing alike', () => {
    const hash = recordCacheHooks.hash;
    afterEach(() => {
      recordCacheHooks.hash = hash;
    });

    it("answers each key its own record, and a change of one key leaves the other's", async () => {
      recordCacheHooks.hash = () => 7;
      const store = await openStore();
      createSeries(store, A, NO_OPTIONS);
      createSeries(store, B, { ...NO_OPTIONS, retentionMs: 7 });
      await store.keyspace.commit();
      expect(retentionAt(store, A)).toBe(0);
      expect(retentionAt(store, B)).toBe(7); // takes a's place
      expect(recordsCached(store.keyspace)).toBe(1);
      expect(retentionAt(store, A)).toBe(0);
      expect(retentionAt(store, B)).toBe(7);
      expect(retentionAt(store, A)).toBe(0);
      expect(store.keyspace.delete(0, B)).toBe(true); // b is not cached now: a's entry stays
      await store.keyspace.commit();
      expect(recordsCached(store.keyspace)).toBe(1);
      expect(seriesRecordAt(store.keyspace, 0, B)).toBeUndefined();
      expect(retentionAt(store, A)).toBe(0);
      expect(recordsCached(store.keyspace)).toBe(1);
    });
  });

  it('drops every record on FLUSHDB and SWAPDB', async () => {
    const store = await cachedStore();
    store.keyspace.swapDb(0, 1);
    expect(seriesRecordAt(store.keyspace, 0, A)).toBeUndefined();
    expect(retentionAt(store, B, 1)).toBe(7);
    store.keyspace.flushDb(1);
    expect(seriesRecordAt(store.keyspace, 1, B)).toBeUndefined();
  });

  it('never answers a record past its expiry', async () => {
    const store = await cachedStore();
    const record = store.keyspace.get(0, A)!;
    store.keyspace.set(0, A, { ...record, expireAtMs: clockMs + 10 }); // EXPIRE a
    await store.keyspace.commit();
    expect(seriesRecordAt(store.keyspace, 0, A)?.expireAtMs).toBe(clockMs + 10);
    clockMs += 20;
    expect(seriesRecordAt(store.keyspace, 0, A)).toBeUndefined();
  });

  it("drops every record when a command's staged writes are discarded", async () => {
    const store = await cachedStore();
    store.keyspace.delete(0, A);
    createSeries(store, A, { ...NO_OPTIONS, retentionMs: 5 });
    expect(retentionAt(store, A)).toBe(5); // the staged record, cached
    store.keyspace.discardStaged();
    expect(retentionAt(store, A)).toBe(0);
  });

  it('caches nothing in a read-only keyspace (a replica)', async () => {
    const store = await openStore();
    createSeries(store, A, NO_OPTIONS);
    await store.keyspace.commit();
    store.keyspace.setReadOnly(true);
    expect(seriesRecordAt(store.keyspace, 0, A)).toBeDefined();
    expect(recordsCached(store.keyspace)).toBe(0);
  });
});
