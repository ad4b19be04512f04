// src/types/timeseries/sample-runs.test.ts: the runs of sample-runs.ts against samplesAscending,
// on a real keyspace over the in-memory file system: sealed chunks, raw samples past them, late
// raw samples inside and between chunks, upserts over sealed samples, retention, random ranges.
import { describe, expect, it } from 'vitest';
import type { Sample } from './sample.js';
import { sampleRunsAscending } from './sample-runs.js';
import { chunksFrom, samplesAscending, seal } from './samples.js';
import type { CreateOptions } from './series-options.js';
import { addSample, createSeries, findSeries, type SeriesAccess } from './series-store.js';
import { TIMESTAMP_MAX } from './series.js';
import { recordSeries } from './hot-state.js';
import { storeOpener } from './test-store.js';

const openStore = storeOpener();

const KEY = Buffer.from('series');
function flatten(store: SeriesAccess, from: number, to: number): Sample[] {
  const out: Sample[] = [];
  for (const run of sampleRunsAscending(store.keyspace, findSeries(store, KEY)!, from, to)) {
    expect(run.begin).toBeLessThan(run.end);
    for (let index = run.begin; index < run.end; index++) out.push({ ts: run.timestamps[index]!, value: run.values[index]! });
  }
  return out;
}

function expectSameAsSamples(store: SeriesAccess, ranges: ReadonlyArray<readonly [number, number]>): void {
  for (const [from, to] of ranges) {
    expect(flatten(store, from, to), `${from}..${to}`).toEqual([...samplesAscending(store.keyspace, findSeries(store, KEY)!, from, to)]);
  }
}

describe('sample runs', () => {
  for (const retentionMs of [undefined, 700]) {
    it(`hand out the samples of a range as samplesAscending does (retention ${retentionMs ?? 'none'})`, async () => {
      const store = await openStore();
      const options: CreateOptions = { retentionMs, chunkSizeBytes: 48, encoding: undefined, duplicatePolicy: 'last', ignore: undefined, labels: undefined };
      createSeries(store, KEY, options);
      let seed = 11;
      const random = (limit: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % limit;
      };
      const ranges: [number, number][] = [[0, TIMESTAMP_MAX], [0, 0], [995, 1005]];
      for (let ts = 0; ts < 1000; ts += 1 + random(4)) addSample(store, KEY, findSeries(store, KEY)!, ts, random(100), undefined);
      await store.keyspace.commit();
      for (let round = 0; round < 3; round++) {
        const series = findSeries(store, KEY)!;
        seal(store.keyspace, series, 150);
        recordSeries(store.keyspace, 0, KEY, series); // the live state, as the sealer writes it
        await store.keyspace.commit();
      }
      // late samples (new timestamps and upserts over sealed ones) and new ones past the chunks
      for (let index = 0; index < 60; index++) addSample(store, KEY, findSeries(store, KEY)!, 350 + random(650), 1000 + index, undefined); // inside a retention of 700
      const chunkEnds = [...chunksFrom(store.keyspace, findSeries(store, KEY)!.record.version, 0)].flatMap((chunk) => [chunk.header.firstTimestamp, chunk.lastTs]);
      for (const ts of chunkEnds.filter((ts, index) => index % 3 === 0 && ts >= 350)) addSample(store, KEY, findSeries(store, KEY)!, ts, -ts, undefined); // over a chunk's first or last
      for (let ts = 1000; ts < 1050; ts += 3) addSample(store, KEY, findSeries(store, KEY)!, ts, ts, undefined);
      await store.keyspace.commit();
      expect(findSeries(store, KEY)!.state.chunkCount).toBeGreaterThan(3);
      for (let index = 0; index < 40; index++) {
        const from = random(1100);
        ranges.push([from, from + random(400)]);
      }
      expectSameAsSamples(store, ranges);
    });
  }

  it('hand out nothing for an empty series or a range past its samples', async () => {
    const store = await openStore();
    createSeries(store, KEY, { retentionMs: undefined, chunkSizeBytes: undefined, encoding: undefined, duplicatePolicy: undefined, ignore: undefined, labels: undefined });
    await store.keyspace.commit();
    expect(flatten(store, 0, TIMESTAMP_MAX)).toEqual([]);
    addSample(store, KEY, findSeries(store, KEY)!, 5, 1, undefined);
    await store.keyspace.commit();
    expect(flatten(store, 6, 10)).toEqual([]);
    expect(flatten(store, 10, 6)).toEqual([]);
    expect(flatten(store, 0, 5)).toEqual([{ ts: 5, value: 1 }]);
  });
});
