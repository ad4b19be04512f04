// src/types/timeseries/compaction-rule.test.ts: compaction rules, with RedisTimeSeries 1.12's
// tests/flow/test_ts_range.py _insert_agg_data expectations and test_ts_createrule.py's
// test_downsampling_extensive property (a destination equals the source's aggregated range).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES, type AggregationType } from './aggregator.js';
import { appendToRule, calcBucketRange, decodeRuleState, encodeRuleState, latestOfRule, newRuleState, type CompactionRuleSpec } from './compaction-rule.js';
import { formatSampleValue } from './double-format.js';
import { queryRange } from './range-query.js';
import { RANGE_TIMESTAMP_MAX } from './range-options.js';
import type { Sample } from './sample.js';

/** _insert_agg_data: samples 10..49, then 1050 to close the last bucket. */
function insertAggData(type: AggregationType): Sample[] {
  const values = [31, 41, 59, 26, 53, 58, 97, 93, 23, 84];
  const spec: CompactionRuleSpec = { aggregation: type, bucketDuration: 10, alignment: 0 };
  const state = newRuleState(spec);
  const written: Sample[] = [];
  const samples = [...Array.from({ length: 40 }, (_, index) => ({ ts: 10 + index, value: Math.floor((10 + index) / 10) * 100 + (values[(10 + index) % 10] as number) })), { ts: 1050, value: 0 }];
  for (const sample of samples) {
    const closed = appendToRule(spec, state, sample);
    if (closed !== undefined) written.push(closed);
  }
  return written;
}

function aggregatedRange(series: readonly Sample[], spec: CompactionRuleSpec): Sample[] {
  const query = {
    from: 0,
    to: RANGE_TIMESTAMP_MAX,
    reverse: false,
    filterByTs: undefined,
    filterByValue: undefined,
    count: undefined,
    aggregation: { type: spec.aggregation, bucketDuration: spec.bucketDuration, empty: false, bucketTimestamp: 'start' as const, alignment: spec.alignment },
  };
  return [...queryRange(query, { samples: series })];
}

describe('appendToRule', () => {
  it.each([
    ['sum', ['1565', '2565', '3565', '4565']],
    ['count', ['10', '10', '10', '10']],
    ['first', ['131', '231', '331', '431']],
    ['last', ['184', '284', '384', '484']],
    ['range', ['74', '74', '74', '74']],
    ['min', ['123', '223', '323', '423']],
    ['max', ['197', '297', '397', '497']],
    ['avg', ['156.5', '256.5', '356.5', '456.5']],
  ] as const)('writes the %s buckets of _insert_agg_data', (type, values) => {
    const written = insertAggData(type);
    expect(written.map((sample) => sample.ts)).toEqual([10, 20, 30, 40]);
    expect(written.map((sample) => formatSampleValue(sample.value))).toEqual(values);
  });

  it.each([
    ['std.p', 25.869],
    ['std.s', 27.269],
    ['var.p', 669.25],
    ['var.s', 743.611],
  ] as const)('writes the %s buckets of _insert_agg_data', (type, value) => {
    for (const sample of insertAggData(type)) expect(Math.abs(sample.value - value)).toBeLessThan(0.001);
  });

  it('starts the first bucket at the first sample and keeps it open (test_downsampling_alignment)', () => {
    const spec: CompactionRuleSpec = { aggregation: 'sum', bucketDuration: 10, alignment: 5 };
    const state = newRuleState(spec);
    expect(latestOfRule(state)).toBeUndefined();
    expect(appendToRule(spec, state, { ts: 3, value: 4 })).toBeUndefined();
    expect(state.bucketStart).toBe(0); // [-5, 5) normalized
    expect(appendToRule(spec, state, { ts: 4, value: 1 })).toBeUndefined();
    expect(latestOfRule(state)).toEqual({ ts: 0, value: 5 });
    expect(appendToRule(spec, state, { ts: 15, value: 2 })).toEqual({ ts: 0, value: 5 });
    expect(state.bucketStart).toBe(15);
    expect(appendToRule(spec, state, { ts: 40, value: 1 })).toEqual({ ts: 15, value: 2 }); // [25, 35) had no sample: not written
  });

  it('matches the source aggregated by TS.RANGE, twa included (test_downsampling_extensive)', () => {
    const series = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }))), { minLength: 1, maxLength: 40 })
      .map((steps) => {
        let ts = 0;
        return steps.map(([step, value]) => ({ ts: (ts += step), value }));
      });
    fc.assert(
      fc.property(series, fc.constantFrom(...AGGREGATION_TYPES), fc.integer({ min: 1, max: 25 }), fc.integer({ min: 0, max: 30 }), (samples, aggregation, bucketDuration, alignment) => {
        const spec = { aggregation, bucketDuration, alignment };
        let state = newRuleState(spec);
        const written: Sample[] = [];
        for (const sample of samples) {
          state = decodeRuleState(encodeRuleState(state)); // stored and reloaded between writes
          const closed = appendToRule(spec, state, sample);
          if (closed !== undefined) written.push(closed);
        }
        const latest = latestOfRule(state);
        expect([...written, ...(latest === undefined ? [] : [latest])]).toEqual(aggregatedRange(samples, spec));
      }),
    );
  });
});

describe('rule state encoding', () => {
  it('round-trips the open bucket and its context', () => {
    const spec: CompactionRuleSpec = { aggregation: 'twa', bucketDuration: 10, alignment: 0 };
    const state = newRuleState(spec);
    for (const ts of [1, 4, 12, 15]) appendToRule(spec, state, { ts, value: ts * 2 });
    const restored = decodeRuleState(encodeRuleState(state));
    expect(restored.bucketStart).toBe(10);
    expect(latestOfRule(restored)).toEqual(latestOfRule(state));
    expect(appendToRule(spec, restored, { ts: 25, value: 1 })).toEqual(appendToRule(spec, state, { ts: 25, value: 1 }));
    expect(decodeRuleState(encodeRuleState(newRuleState(spec))).bucketStart).toBe(-1);
  });
});

describe('calcBucketRange', () => {
  it('recomputes a closed bucket as the rule computed it', () => {
    const samples = [{ ts: 5, value: 1 }, { ts: 12, value: 3 }, { ts: 17, value: 9 }, { ts: 26, value: 4 }];
    for (const aggregation of AGGREGATION_TYPES) {
      const spec: CompactionRuleSpec = { aggregation, bucketDuration: 10, alignment: 0 };
      const state = newRuleState(spec);
      const written = samples.map((sample) => appendToRule(spec, state, sample)).filter((sample) => sample !== undefined);
      const bucket = calcBucketRange(spec, 10, 19, samples.slice(1, 3), samples[0], samples[3]);
      expect(bucket.empty).toBe(false);
      expect(bucket.value).toBe(written[1]?.value);
    }
  });

  it('reports an empty bucket', () => {
    const result = calcBucketRange({ aggregation: 'avg', bucketDuration: 10, alignment: 0 }, 10, 19, []);
    expect(result).toMatchObject({ empty: true, value: undefined });
  });
});
