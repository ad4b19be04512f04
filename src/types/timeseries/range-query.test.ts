// src/types/timeseries/range-query.test.ts: one series' range pipeline, with the expected replies
// of RedisTimeSeries 1.12's tests/flow/test_ts_range.py and test_ts_revrange.py (test-series.ts
// plays the storage). Random cases compared with RTS's own C code are in rts-oracle.test.ts.
import { describe, expect, it } from 'vitest';
import { queryRange, rangeQuery } from './range-query.js';
import { parseRangeOptions } from './range-options.js';
import type { Sample } from './sample.js';
import { range, samplesOf } from './test-series.js';

function constantSeries(start: number, count: number, value: (index: number) => number): Sample[] {
  return Array.from({ length: count }, (_, index) => ({ ts: start + index, value: value(index) }));
}

function texts(result: Array<[number, string]>): Array<[number, string]> {
  return result;
}

describe('raw ranges', () => {
  it('clips to the retention of the newest sample (test_range_query)', () => {
    const start = 1488823384;
    const series = constantSeries(start, 1500, () => 5);
    const expected = Array.from({ length: 52 }, (_, index) => [start + 99 + index, '5']);
    expect(range(series, [start + 50, start + 150], false, { retentionMs: 1400 })).toEqual(expected);
    expect(range(series, [start + 50, start + 150], true, { retentionMs: 1400 })).toEqual([...expected].reverse());
    expect(range(series, [start * 2, '+'])).toEqual([]);
    expect(range(series, [Math.floor(start / 3), Math.floor(start / 2)])).toEqual([]);
  });

  it('counts after filtering and aggregating (test_range_count, test_ts_range_count_validation)', () => {
    const start = 1511885908;
    const series = constantSeries(start, 50, (index) => index);
    expect(range(series, [0, '+', 'COUNT', 10])).toEqual(range(series, [0, '+']).slice(0, 10));
    expect(range(series, [0, '+', 'COUNT', 10, 'AGGREGATION', 'COUNT', 3])).toHaveLength(10);
    expect(range(series, [0, '+', 'AGGREGATION', 'COUNT', 3])).toHaveLength(Math.ceil(50 / 3));
    expect(range(series, ['-', '+', 'COUNT', 5], true)).toEqual(range(series, ['-', '+']).reverse().slice(0, 5));
    const small = constantSeries(0, 10, (index) => index);
    expect(range(small, ['-', '+', 'COUNT', 2])).toEqual([[0, '0'], [1, '1']]);
    expect(range(small, ['-', '+', 'COUNT', 2, 'AGGREGATION', 'sum', 5])).toEqual([[0, '10'], [5, '35']]);
  });

  it('filters by value and by timestamp (test_filter_by)', () => {
    const start = 1511885909;
    const series = constantSeries(start, 1500, (index) => index);
    expect(range(series, [start, '+', 'FILTER_BY_VALUE', 40, 52]).map(([, value]) => Number(value))).toEqual(Array.from({ length: 13 }, (_, index) => 40 + index));
    const wanted = [[start + 1021, '1021'], [start + 1022, '1022'], [start + 1025, '1025'], [start + 1029, '1029']];
    expect(range(series, [start, '+', 'FILTER_BY_TS', start + 1021, start + 1022, start + 1025, start + 1029])).toEqual(wanted);
    expect(range(series, [start, '+', 'FILTER_BY_TS', start + 1021, start + 1021, start + 1022, start + 1022, start + 1025, start + 1029, start + 1029])).toEqual(wanted);
    expect(range(series, [start, '+', 'FILTER_BY_TS', start + 1021, start + 1022, start + 1023, start + 1025, start + 1029, 'FILTER_BY_VALUE', 1022, 1025])).toEqual([
      [start + 1022, '1022'],
      [start + 1023, '1023'],
      [start + 1025, '1025'],
    ]);
    expect(range(series, [start, '+', 'FILTER_BY_TS', start + 1029, start + 1021], true)).toEqual([[start + 1029, '1029'], [start + 1021, '1021']]);
  });

  it('adds the LATEST sample last, or first in reverse', () => {
    const destination = samplesOf([[0, 4]]);
    const latest = { ts: 10, value: 8 };
    expect(range(destination, [0, 10, 'LATEST'], false, { latest })).toEqual([[0, '4'], [10, '8']]);
    expect(range(destination, [0, 10, 'LATEST'], true, { latest })).toEqual([[10, '8'], [0, '4']]);
    expect(range(destination, [0, 10, 'LATEST', 'AGGREGATION', 'sum', 20], false, { latest })).toEqual([[0, '12']]);
  });
});

describe('aggregation', () => {
  it('starts the first bucket before from (test_range_with_agg_query)', () => {
    const start = 1488823384;
    const series = constantSeries(start, 1500, () => 5);
    expect(range(series, [start, start + 1500, 'AGGREGATION', 'count', 500])).toEqual([[1488823000, '116'], [1488823500, '500'], [1488824000, '500'], [1488824500, '384']]);
    expect(range(series, [1488822000, 1488823999, 'AGGREGATION', 'count', 500])).toEqual([[1488823000, '116'], [1488823500, '500']]);
  });

  it('aligns buckets to start, end or a timestamp (test_aggreataion_alignment)', () => {
    const start = 1511885909;
    const series = constantSeries(start, 1200, (index) => index);
    const bucketOf = (ts: number, alignment: number) => ts - (((ts - alignment) % 60) + 60) % 60;
    const expectedFor = (alignment: number) => {
      const counts = new Map<number, number>();
      for (const { ts } of series) counts.set(bucketOf(ts, alignment), (counts.get(bucketOf(ts, alignment)) ?? 0) + 1);
      return [...counts].map(([ts, count]) => [ts, String(count)]);
    };
    expect(range(series, [start, '+', 'ALIGN', 'start', 'AGGREGATION', 'count', 60])).toEqual(expectedFor(start));
    expect(range(series, [start, '+', 'ALIGN', '-', 'AGGREGATION', 'count', 60])).toEqual(expectedFor(start));
    expect(range(series, ['-', '+', 'ALIGN', start + 50, 'AGGREGATION', 'count', 60])).toEqual(expectedFor(start + 50));
    expect(range(series, ['-', start + 1199, 'ALIGN', 'end', 'AGGREGATION', 'count', 60])).toEqual(expectedFor(start + 1199));
  });

  it('fills EMPTY buckets between reported ones (test_empty)', () => {
    const t1 = samplesOf([[15, 1], [17, 4], [51, 3], [73, 5], [75, 3]]);
    const max = [[10, '4'], [20, 'NaN'], [30, 'NaN'], [40, 'NaN'], [50, '3'], [60, 'NaN'], [70, '5']];
    expect(range(t1, [0, 100, 'ALIGN', 0, 'AGGREGATION', 'max', 10, 'EMPTY'])).toEqual(max);
    expect(range(t1, [0, 100, 'ALIGN', 0, 'AGGREGATION', 'max', 10, 'EMPTY'], true)).toEqual([...max].reverse());
    expect(range(t1, [0, 100, 'ALIGN', 0, 'AGGREGATION', 'last', 10, 'EMPTY'])).toEqual([[10, '4'], [20, '4'], [30, '4'], [40, '4'], [50, '3'], [60, '3'], [70, '3']]);
    expect(range(t1, [0, 100, 'ALIGN', 0, 'AGGREGATION', 'last', 10, 'EMPTY'], true)).toEqual([[70, '5'], [60, '5'], [50, '3'], [40, '3'], [30, '3'], [20, '3'], [10, '1']]);
    const sum = [[10, '5'], [20, '0'], [30, '0'], [40, '0'], [50, '3'], [60, '0'], [70, '8']];
    expect(range(t1, [0, 100, 'ALIGN', 0, 'AGGREGATION', 'sum', 10, 'EMPTY'])).toEqual(sum);
    expect(range(t1, [0, 100, 'ALIGN', 0, 'AGGREGATION', 'sum', 10, 'EMPTY'], true)).toEqual([...sum].reverse());
    const t2 = samplesOf([[10, 1], [30, 4]]);
    expect(range(t2, [0, 30, 'ALIGN', 0, 'AGGREGATION', 'max', 10, 'EMPTY'])).toEqual([[10, '1'], [20, 'NaN'], [30, '4']]);
    expect(range(t2, [0, 30, 'ALIGN', 0, 'AGGREGATION', 'max', 10, 'EMPTY'], true)).toEqual([[30, '4'], [20, 'NaN'], [10, '1']]);
  });

  it('reports buckets at start, mid or end (test_bucket_timestamp)', () => {
    const t1 = samplesOf([[15, 1], [17, 4], [51, 3], [73, 5], [75, 3]]);
    const at = (bt: string, to: number, reverse = false) => texts(range(t1, [0, to, 'ALIGN', 0, 'AGGREGATION', 'max', 10, 'BUCKETTIMESTAMP', bt], reverse));
    expect(at('-', 100)).toEqual([[10, '4'], [50, '3'], [70, '5']]);
    expect(at('-', 100, true)).toEqual([[70, '5'], [50, '3'], [10, '4']]);
    expect(at('~', 74)).toEqual([[15, '4'], [55, '3'], [75, '5']]);
    expect(at('~', 100, true)).toEqual([[75, '5'], [55, '3'], [15, '4']]);
    expect(at('+', 74)).toEqual([[20, '4'], [60, '3'], [80, '5']]);
    expect(at('+', 100, true)).toEqual([[80, '5'], [60, '3'], [20, '4']]);
  });

  it('reports a bucket starting before 0 at 0 and measures mid and end from there', () => {
    const series = samplesOf([[2, 1], [3, 2], [7, 3]]);
    expect(range(series, [0, 100, 'ALIGN', 5, 'AGGREGATION', 'sum', 10])).toEqual([[0, '3'], [5, '3']]);
    expect(range(series, [0, 100, 'ALIGN', 5, 'AGGREGATION', 'sum', 10, 'BUCKETTIMESTAMP', 'mid'])).toEqual([[5, '3'], [10, '3']]);
    expect(range(series, [0, 100, 'ALIGN', 5, 'AGGREGATION', 'sum', 10, 'BUCKETTIMESTAMP', 'end'])).toEqual([[10, '3'], [15, '3']]);
    expect(range(series, [0, 100, 'ALIGN', 5, 'AGGREGATION', 'sum', 10], true)).toEqual([[5, '3'], [0, '3']]);
  });

  it('reverses sums and counts bucket by bucket (test_revrange, test_multi_chunk_revrange)', () => {
    const series = constantSeries(1511885908, 200, (index) => index);
    expect(range(series, [0, '+', 'AGGREGATION', 'sum', 50], true)).toEqual(range(series, [0, '+', 'AGGREGATION', 'sum', 50]).reverse());
    const gaps = [...constantSeries(1, 102, (index) => index + 1), ...constantSeries(120, 100, (index) => index + 120)];
    expect(range(gaps, [110, 215, 'AGGREGATION', 'count', 20000], true)).toEqual([[0, '96']]);
  });
});

describe('twa (test_agg_twa)', () => {
  const twa = (pairs: Array<[number, number]>, args: Array<string | number>, reverse = false) => range(samplesOf(pairs), args, reverse)[0];
  const interpolate = (t1: number, v1: number, t2: number, v2: number, t: number) => v1 + ((v2 - v1) * (t - t1)) / (t2 - t1);

  it.each([
    ['case 1', [[8, 8], [9, 9], [10, 10], [13, 13], [14, 14], [23, 23]], '15'],
    ['case 2', [[8, 8], [9, 9], [13, 13], [14, 14], [23, 23]], String(Math.trunc(((10.25 + 13) * 3 + (13 + 14) * 1 + (interpolate(14, 14, 23, 23, 20) + 14) * 6) / 20))],
    ['case 16', [[15, 15]], '15'],
  ] as const)('%s', (_name, pairs, text) => {
    expect(twa(pairs as unknown as Array<[number, number]>, [10, 20, 'AGGREGATION', 'twa', 10])).toEqual([10, text]);
    expect(twa(pairs as unknown as Array<[number, number]>, [10, 20, 'AGGREGATION', 'twa', 10], true)).toEqual([10, text]);
  });

  it('interpolates at the range edges from samples outside it (cases 9 to 12, 17, 18)', () => {
    const expectBoth = (pairs: Array<[number, number]>, args: Array<string | number>, expected: [number, string]) => {
      expect(twa(pairs, args)).toEqual(expected);
      expect(twa(pairs, args, true)).toEqual(expected);
    };
    // case 9: samples 13, 28 in [10, 20]: vb on the line 13..28 at 20, mean over [13, 20]
    let vb = interpolate(13, 13, 28, 28, 20);
    expectBoth([[13, 13], [28, 28]], [10, 20, 'AGGREGATION', 'twa', 10], [10, String(((13 + vb) * 7) / (2 * 7))]);
    vb = interpolate(17, 17, 21, 21, 20);
    expectBoth([[17, 17], [21, 21]], [10, 20, 'AGGREGATION', 'twa', 10], [10, String(((17 + vb) * 3) / (2 * 3))]);
    const va = interpolate(3, 3, 17, 17, 10);
    expectBoth([[3, 3], [17, 17]], [10, 20, 'AGGREGATION', 'twa', 10], [10, String(((va + 17) * 7) / (2 * 7))]);
    expectBoth([[0, 5], [9, 12]], [0, 10, 'AGGREGATION', 'twa', 10], [0, String(((5 + 12) * 9) / (2 * 9))]);
    // case 18, test case 1: samples 10..25, range [12, 20] in one bucket of 100
    const t = [10, 13, 15, 19, 25];
    const v = [100, 110, 115, 109, 130];
    const a = interpolate(10, 100, 13, 110, 12);
    const b = interpolate(19, 109, 25, 130, 20);
    const s = (a + v[1]!) * (t[1]! - 12) + (v[1]! + v[2]!) * (t[2]! - t[1]!) + (v[2]! + v[3]!) * (t[3]! - t[2]!) + (b + v[3]!) * (20 - t[3]!);
    const pairs = t.map((ts, index) => [ts, v[index]!] as [number, number]);
    expect(Number(twa(pairs, [12, 20, 'AGGREGATION', 'twa', 100])?.[1])).toBeCloseTo(s / (2 * 8), 10);
    expect(Number(twa(pairs, [12, 20, 'AGGREGATION', 'twa', 100], true)?.[1])).toBeCloseTo(s / (2 * 8), 10);
  });

  it('fills EMPTY twa buckets on the line through the gap (cases 19, 20, 100, 101)', () => {
    const ts19: Array<[number, number]> = [[10, 100], [20, 110]];
    expect(range(samplesOf(ts19), [16, 18, 'AGGREGATION', 'twa', 100])).toEqual([]);
    expect(range(samplesOf(ts19), [16, 18, 'AGGREGATION', 'twa', 100, 'EMPTY'])).toEqual([[0, '107']]);
    expect(range(samplesOf(ts19), [16, 18, 'AGGREGATION', 'twa', 100, 'EMPTY'], true)).toEqual([[0, '107']]);
    expect(range(samplesOf(ts19), [12, 14, 'AGGREGATION', 'twa', 100, 'EMPTY'])).toEqual([[0, '103']]);
    expect(range(samplesOf(ts19), [14, 19, 'AGGREGATION', 'twa', 100, 'EMPTY'])).toEqual([[0, '106.5']]);
    const ts20: Array<[number, number]> = [[20, 100], [30, 110]];
    expect(range(samplesOf(ts20), [32, 34, 'AGGREGATION', 'twa', 100, 'EMPTY'])).toEqual([]);
    expect(range(samplesOf(ts20), [10, 14, 'AGGREGATION', 'twa', 100, 'EMPTY'], true)).toEqual([]);
    const ts22 = samplesOf([[20, 100], [50, 130]]);
    const filled = [[20, '105'], [30, '115'], [40, '125'], [50, '130']];
    expect(range(ts22, [20, 50, 'AGGREGATION', 'twa', 100, 'EMPTY'])).toEqual([[0, '115']]);
    expect(range(ts22, [20, 50, 'AGGREGATION', 'twa', 10, 'EMPTY'])).toEqual(filled);
    expect(range(ts22, [20, 50, 'AGGREGATION', 'twa', 10, 'EMPTY'], true)).toEqual([...filled].reverse());
    const ts23 = samplesOf([[40, 100], [50, 130]]);
    expect(range(ts23, [29, 70, 'AGGREGATION', 'twa', 10, 'EMPTY'])).toEqual([[40, '115'], [50, '130']]);
    expect(range(ts23, [39, 70, 'AGGREGATION', 'twa', 10, 'EMPTY'], true)).toEqual([[50, '130'], [40, '115']]);
  });

  it('never takes the LATEST sample as a neighbour', () => {
    const destination = samplesOf([[0, 4]]);
    const latest = { ts: 20, value: 100 };
    for (const reverse of [false, true]) {
      const options = parseRangeOptions(['TS.RANGE', 'k', '0', '30', 'LATEST', 'FILTER_BY_VALUE', '0', '5', 'AGGREGATION', 'twa', '100'].map((arg) => Buffer.from(arg)), 2);
      // RTS looks neighbours up in the stored samples only: none after 0, so the lone sample's value
      expect([...queryRange(rangeQuery(options, reverse), { samples: destination, latest })]).toEqual([{ ts: 0, value: 4 }]);
    }
    const stored = samplesOf([[0, 4], [10, 6]]);
    const options = parseRangeOptions(['TS.RANGE', 'k', '0', '30', 'LATEST', 'FILTER_BY_VALUE', '0', '5', 'AGGREGATION', 'twa', '100'].map((arg) => Buffer.from(arg)), 2);
    // next neighbour 10 (filtered out but stored): the line 4..6 extended to 30 is 10; (4 + 10) * 30 / 2 / 30
    expect([...queryRange(rangeQuery(options, false), { samples: stored, latest })]).toEqual([{ ts: 0, value: 7 }]);
  });
});
