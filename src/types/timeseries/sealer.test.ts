// src/types/timeseries/sealer.test.ts: the sealer's budgets and its queue, on a real keyspace over
// the in-memory file system: a tick seals at most its budget of raw samples, one seal() at most
// SEAL_SAMPLES_MAX, a series with more raw samples than one batch is sealed over several ticks
// (each committed) without losing or repeating a sample, a queued series that was deleted,
// overwritten or renamed is skipped or followed, and the timer's tick commits series one by one.
import { describe, expect, it } from 'vitest';
import { KEY_TYPE } from '../../keyspace/keyspace.js';
import { SEAL_SAMPLES_MAX, samplesAscending, seal, sealThreshold } from './samples.js';
import { SEAL_SAMPLES_PER_TICK_MAX, runSealerTick } from './sealer.js';
import type { CreateOptions } from './series-options.js';
import { addSample, createSeries, findSeries, type SeriesAccess } from './series-store.js';
import { TIMESTAMP_MAX } from './series.js';
import { recordSeries } from './hot-state.js';
import { createOptions, storeOpener } from './test-store.js';

const openStore = storeOpener({ memtableBytesMax: 256 * 1024 * 1024 });

const options = createOptions;

/** A series at key with count appended samples (ts = first + i), committed; the sealer notes it. */
async function fill(store: SeriesAccess, key: string, count: number, first = 0, overrides: Partial<CreateOptions> = {}): Promise<void> {
  const name = Buffer.from(key);
  if (findSeries(store, name) === undefined) createSeries(store, name, options(overrides));
  const series = findSeries(store, name)!;
  for (let index = 0; index < count; index++) addSample(store, name, series, first + index, index % 7, undefined);
  await store.keyspace.commit();
}

function rawCount(store: SeriesAccess, key: string): number {
  return findSeries(store, Buffer.from(key))!.state.rawCount;
}

function stored(store: SeriesAccess, key: string): number[] {
  return [...samplesAscending(store.keyspace, findSeries(store, Buffer.from(key))!, 0, TIMESTAMP_MAX)].map((sample) => sample.ts);
}

describe('the sealer', () => {
  it('seals at most its budget in one tick, whatever the queue noted', async () => {
    const store = await openStore();
    const threshold = sealThreshold(findSeriesOptions());
    await fill(store, 'a', threshold); // queued with `threshold` raw samples
    await fill(store, 'b', threshold);
    await fill(store, 'b', 10 * threshold, 100_000); // queued once, now far more
    const budget = 3 * threshold;
    const sealed = store.sealer.sealQueued(store.keyspace, budget);
    await store.keyspace.commit();
    expect(sealed).toBeLessThanOrEqual(budget);
    expect(rawCount(store, 'a') + rawCount(store, 'b')).toBe(12 * threshold - sealed);
  });

  it('folds a series with more raw samples than one batch over several ticks, each committed', async () => {
    const store = await openStore();
    await fill(store, 'big', 1000, 0, { chunkSizeBytes: 64 });
    const ticks: number[] = [];
    for (let tick = 0; tick < 50 && store.sealer.size > 0; tick++) {
      ticks.push(store.sealer.sealQueued(store.keyspace, 150));
      await store.keyspace.commit();
    }
    expect(ticks.every((count) => count > 0 && count <= 150)).toBe(true);
    expect(ticks.reduce((sum, count) => sum + count, 0)).toBe(1000 - rawCount(store, 'big'));
    expect(rawCount(store, 'big')).toBeLessThan(sealThreshold(findSeriesOptions({ chunkSizeBytes: 64 }))); // what is left is below the threshold
    expect(stored(store, 'big')).toEqual(Array.from({ length: 1000 }, (_, index) => index));
  });

  it('folds no more than SEAL_SAMPLES_MAX in one seal(), even under the larger tick budget', async () => {
    expect(SEAL_SAMPLES_PER_TICK_MAX).toBeGreaterThan(SEAL_SAMPLES_MAX);
    const store = await openStore();
    await fill(store, 'huge', SEAL_SAMPLES_MAX + 5_000);
    const series = findSeries(store, Buffer.from('huge'))!;
    expect(seal(store.keyspace, series, SEAL_SAMPLES_PER_TICK_MAX)).toBe(SEAL_SAMPLES_MAX);
    recordSeries(store.keyspace, 0, Buffer.from('huge'), series); // the live state, as the sealer writes it
    await store.keyspace.commit();
    expect(rawCount(store, 'huge')).toBe(5_000);
    expect(store.sealer.sealQueued(store.keyspace)).toBe(5_000); // the tick takes the rest
    await store.keyspace.commit();
    expect(rawCount(store, 'huge')).toBe(0);
    expect(stored(store, 'huge')).toHaveLength(SEAL_SAMPLES_MAX + 5_000);
  }, 60_000);

  it('skips a queued series that was deleted or overwritten, and follows one that was renamed', async () => {
    const store = await openStore();
    const threshold = sealThreshold(findSeriesOptions());
    for (const key of ['gone', 'overwritten', 'renamed']) await fill(store, key, threshold);
    expect(store.sealer.size).toBe(3);
    store.keyspace.delete(0, Buffer.from('gone'));
    store.keyspace.set(0, Buffer.from('overwritten'), { type: KEY_TYPE.string, encoding: 0, expireAtMs: 0, version: 0, count: 0, payload: Buffer.from('x') });
    store.keyspace.relocate(0, Buffer.from('renamed'), 0, Buffer.from('moved'));
    await store.keyspace.commit();
    expect(store.sealer.sealQueued(store.keyspace)).toBe(threshold);
    await store.keyspace.commit();
    expect(rawCount(store, 'moved')).toBe(0);
    expect(stored(store, 'moved')).toHaveLength(threshold);
    expect(store.sealer.size).toBe(0);
  });

  it("commits each series' seal on its own in a timer tick, and skips a tick while writes are staged", async () => {
    const store = await openStore();
    const threshold = sealThreshold(findSeriesOptions());
    for (const key of ['a', 'b', 'c']) await fill(store, key, threshold);
    createSeries(store, Buffer.from('staged'), options()); // a command's writes, not committed
    expect(runSealerTick(store.keyspace, store.sealer)).toBe(0);
    await store.keyspace.commit();
    const commits: Promise<void>[] = [];
    expect(runSealerTick(store.keyspace, store.sealer, { onCommit: (commit) => commits.push(commit) })).toBe(3 * threshold);
    expect(commits).toHaveLength(3);
    await Promise.all(commits);
    expect(store.keyspace.hasStaged()).toBe(false);
    for (const key of ['a', 'b', 'c']) expect(rawCount(store, key)).toBe(0);
    expect(store.sealer.size).toBe(0);
  });
});

/** A Series-shaped value for sealThreshold (it reads the chunk size alone). */
function findSeriesOptions(overrides: { chunkSizeBytes?: number } = {}): Parameters<typeof sealThreshold>[0] {
  return { record: { type: KEY_TYPE.timeseries, encoding: 0, expireAtMs: 0, version: 1, count: 0, payload: Buffer.alloc(0) }, state: { chunkSizeBytes: overrides.chunkSizeBytes ?? 4096 } } as Parameters<typeof sealThreshold>[0];
}
