// src/types/timeseries/rts-oracle.test.ts: answers recorded from RedisTimeSeries 1.12's own C code
// (rts-oracle.fixtures.json: filter_iterator.c and compaction.c for ranges, the multi-series
// iterators and heap for GROUPBY reduction, deps/dragonbox for value texts), compiled on x86-64
// with a driver feeding random series and queries; every case must come out bit for bit alike.
// Ranges cover all aggregators, FILTER_BY_TS / FILTER_BY_VALUE, retention, REVRANGE, ALIGN,
// BUCKETTIMESTAMP, EMPTY, twa edges, NaN and infinite samples and values near DBL_MAX.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AggregationType } from './aggregator.js';
import type { BucketTimestamp } from './bucket-math.js';
import { formatSampleValue } from './double-format.js';
import { reduceSamples } from './groupby.js';
import type { Reducer } from './range-options.js';
import { queryRange, type RangeInput, type RangeQuery } from './range-query.js';
import type { SampleRun } from './sample-runs.js';
import type { Sample } from './sample.js';
import { rangeInput } from './test-series.js';

type Value = number | string;
type Pairs = Array<[number, Value]>;
interface Fixtures {
  range: Array<{
    series: Pairs;
    query: [number, number, 0 | 1, AggregationType | null, number, number, 0 | 1, BucketTimestamp, number[] | null, [number, number] | null, number];
    expected: Pairs;
  }>;
  reduce: Array<{ reducer: Reducer; series: Pairs[]; expected: Pairs }>;
  format: Array<[Value, string]>;
}

const fixtures = JSON.parse(readFileSync(new URL('./rts-oracle.fixtures.json', import.meta.url), 'utf8')) as Fixtures;

function valueOf(value: Value): number {
  return typeof value === 'number' ? value : value === '-0' ? -0 : Number(value);
}

function samplesOf(pairs: Pairs): Sample[] {
  return pairs.map(([ts, value]) => ({ ts, value: valueOf(value) }));
}

/** Samples as comparable texts: NaN's payload and sign do not matter, -0 does. */
function comparable(samples: Iterable<Sample>): string[] {
  return [...samples].map(({ ts, value }) => `${ts}:${Number.isNaN(value) ? 'NaN' : Object.is(value, -0) ? '-0' : value}`);
}

describe('RTS 1.12 C code, recorded', () => {
  it(`answers ${fixtures.range.length} random range queries alike`, () => {
    for (const { series, query, expected } of fixtures.range) {
      const [from, to, reverse, type, bucketDuration, alignment, empty, bucketTimestamp, filterByTs, filterByValue, retentionMs] = query;
      const rangeQueryOf: RangeQuery = {
        from,
        to,
        reverse: reverse === 1,
        filterByTs: filterByTs ?? undefined,
        filterByValue: filterByValue === null ? undefined : { min: filterByValue[0], max: filterByValue[1] },
        count: undefined,
        aggregation: type === null ? undefined : { type, bucketDuration, alignment, empty: empty === 1, bucketTimestamp },
      };
      const input = rangeInput(samplesOf(series), from, to, reverse === 1, { retentionMs });
      expect(comparable(queryRange(rangeQueryOf, input)), JSON.stringify(query)).toEqual(comparable(samplesOf(expected)));
    }
  });

  it('answers them alike when the samples come as runs (the storage\'s aggregating scan)', () => {
    let seed = 7;
    const nextLength = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % 5;
    };
    for (const { series, query, expected } of fixtures.range) {
      const [from, to, reverse, type, bucketDuration, alignment, empty, bucketTimestamp, filterByTs, filterByValue, retentionMs] = query;
      const rangeQueryOf: RangeQuery = {
        from, to, reverse: reverse === 1, filterByTs: filterByTs ?? undefined, count: undefined,
        filterByValue: filterByValue === null ? undefined : { min: filterByValue[0], max: filterByValue[1] },
        aggregation: type === null ? undefined : { type, bucketDuration, alignment, empty: empty === 1, bucketTimestamp },
      };
      const input: RangeInput = rangeInput(samplesOf(series), from, to, reverse === 1, { retentionMs });
      const samples = [...input.samples];
      const runs: SampleRun[] = [];
      for (let begin = 0; begin < samples.length;) { // runs of 0..4 samples, some padded on both sides
        const end = Math.min(samples.length, begin + nextLength());
        const pad = nextLength() % 2;
        const timestamps = [...Array<number>(pad).fill(-1), ...samples.slice(begin, end).map((sample) => sample.ts)];
        const values = [...Array<number>(pad).fill(NaN), ...samples.slice(begin, end).map((sample) => sample.value)];
        runs.push({ timestamps: [...timestamps, 2 ** 60], values: [...values, NaN], begin: pad, end: pad + end - begin });
        begin = end;
      }
      input.samples = [];
      input.runs = runs;
      const reference = { ...input, samples, runs: undefined };
      expect(comparable(queryRange(rangeQueryOf, type === null || reverse === 1 || type === 'twa' || filterByTs !== null || filterByValue !== null ? reference : input)), JSON.stringify(query)).toEqual(comparable(samplesOf(expected)));
    }
  });

  it(`reduces ${fixtures.reduce.length} random groups alike, ties in heap order`, () => {
    for (const { reducer, series, expected } of fixtures.reduce) {
      expect(comparable(reduceSamples(reducer, series.map(samplesOf))), reducer).toEqual(comparable(samplesOf(expected)));
    }
  });

  it(`writes ${fixtures.format.length} random doubles as Dragonbox does`, () => {
    for (const [value, text] of fixtures.format) expect(formatSampleValue(valueOf(value))).toBe(text);
  });
});
