// src/types/timeseries/groupby.test.ts: GROUPBY / REDUCE with the expected replies of RedisTimeSeries
// 1.12's tests/flow/test_ts_mrange_groupby.py and test_ts_mrange.py (test-series.ts plays the
// storage). The tie order of RTS's heap is checked against its C code in rts-oracle.test.ts.
import { describe, expect, it } from 'vitest';
import { formatSampleValue } from './double-format.js';
import { groupLabels, groupSeries, reduceSamples, type GroupMember } from './groupby.js';
import { queryRange, rangeQuery } from './range-query.js';
import { parseMRangeOptions } from './range-options.js';
import type { Label, Sample } from './sample.js';
import { rangeInput, samplesOf } from './test-series.js';

interface Stored extends GroupMember {
  samples: Sample[];
  latest?: Sample;
}

function series(key: string, labels: Label[], pairs: Array<[number, number]>, latest?: Sample): Stored {
  return { key: Buffer.from(key), labels, samples: samplesOf(pairs), ...(latest === undefined ? {} : { latest }) };
}

/** TS.MRANGE / MREVRANGE ... GROUPBY ... REDUCE over `all` (matched by the caller): [name, labels, samples]. */
function grouped(all: Stored[], args: Array<string | number>, reverse = false): Array<[string, Label[], Array<[number, string]>]> {
  const options = parseMRangeOptions(['TS.MRANGE', ...args].map((arg) => Buffer.from(String(arg))));
  const groupBy = options.groupBy;
  if (groupBy === undefined) throw new Error('no GROUPBY');
  const forward = rangeQuery({ ...options, count: undefined }, false);
  return groupSeries(all, groupBy.label).map((group) => {
    const reduced = [...reduceSamples(groupBy.reducer, group.members.map((member) => queryRange(forward, rangeInput(member.samples, options.from, options.to, false, { ...(member.latest ? { latest: member.latest } : {}) }))))];
    const ordered = reverse ? reduced.reverse() : reduced;
    const samples = ordered.slice(0, options.count ?? Infinity).map((sample): [number, string] => [sample.ts, formatSampleValue(sample.value)]);
    return [group.name, groupLabels(groupBy.label, group, groupBy.reducer), samples];
  });
}

const CPU = [
  series('s1', [['metric_family', 'cpu'], ['metric_name', 'user']], [[1, 100], [2, 95]]),
  series('s2', [['metric_family', 'cpu'], ['metric_name', 'user']], [[2, 55]]),
  series('s3', [['metric_family', 'cpu'], ['metric_name', 'system']], [[2, 40]]),
];

describe('GROUPBY REDUCE (test_groupby_reduce)', () => {
  it('groups by label value in byte order, members in key order', () => {
    const [system, user] = grouped(CPU, ['-', '+', 'WITHLABELS', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'REDUCE', 'max']);
    expect(system).toEqual(['metric_name=system', [['metric_name', 'system'], ['__reducer__', 'max'], ['__source__', 's3']], [[2, '40']]]);
    expect(user).toEqual(['metric_name=user', [['metric_name', 'user'], ['__reducer__', 'max'], ['__source__', 's1,s2']], [[1, '100'], [2, '95']]]);
  });

  it.each([
    ['sum', [[1, '100'], [2, '150']]],
    ['min', [[1, '100'], [2, '55']]],
    ['avg', [[1, '100'], [2, '75']]],
    ['count', [[1, '1'], [2, '2']]],
    ['range', [[1, '0'], [2, '40']]],
    ['var.p', [[1, '0'], [2, '400']]],
    ['var.s', [[1, '0'], [2, '800']]],
    ['std.p', [[1, '0'], [2, '20']]],
    ['std.s', [[1, '0'], [2, '28.284271247461902']]],
  ])('reduces with %s', (reducer, samples) => {
    expect(grouped(CPU, ['-', '+', 'WITHLABELS', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'REDUCE', reducer])[1]?.[2]).toEqual(samples);
  });

  it('cuts the reduced samples to COUNT', () => {
    expect(grouped(CPU, ['-', '+', 'WITHLABELS', 'COUNT', 1, 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'REDUCE', 'min'])[1]?.[2]).toEqual([[1, '100']]);
  });

  it('leaves out series without the label (test_groupby_reduce_empty)', () => {
    expect(grouped(CPU, ['-', '+', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'labelX', 'REDUCE', 'max'])).toEqual([]);
  });

  it('makes one group per value (test_groupby_reduce_multiple_groups)', () => {
    const all = [
      series('s1', [['HOST', 'A'], ['REGION', 'EU'], ['PROVIDER', 'AWS']], [[1, 100]]),
      series('s2', [['HOST', 'B'], ['REGION', 'EU'], ['PROVIDER', 'AWS']], [[1, 55], [2, 90]]),
      series('s3', [['HOST', 'C'], ['REGION', 'US'], ['PROVIDER', 'AWS']], [[2, 40]]),
    ];
    const result = grouped(all, ['-', '+', 'WITHLABELS', 'FILTER', 'PROVIDER=AWS', 'GROUPBY', 'REGION', 'REDUCE', 'max']);
    expect(result.map(([name, labels, samples]) => [name, labels[2], samples])).toEqual([
      ['REGION=EU', ['__source__', 's1,s2'], [[1, '100'], [2, '90']]],
      ['REGION=US', ['__source__', 's3'], [[2, '40']]],
    ]);
  });
});

describe('GROUPBY with aggregation', () => {
  const members = [
    series('t1', [['metric_family', 'cpu'], ['metric_name', 'user']], [[15, 1], [17, 4], [51, 3], [73, 5], [75, 3]]),
    series('t2', [['metric_family', 'cpu'], ['metric_name', 'user']], [[3, 1], [4, 2], [51, 3], [60, 9]]),
  ];

  it('reduces EMPTY buckets, NaN only where every member is NaN (test_empty)', () => {
    const args = [0, 100, 'AGGREGATION', 'max', 10, 'EMPTY', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'REDUCE', 'sum'];
    const samples = [[0, '2'], [10, '4'], [20, 'NaN'], [30, 'NaN'], [40, 'NaN'], [50, '6'], [60, '9'], [70, '5']];
    expect(grouped(members, args)[0]?.[2]).toEqual(samples);
    expect(grouped(members, args, true)[0]?.[2]).toEqual([...samples].reverse());
  });

  it('aggregates forward even for MREVRANGE (test_empty, LAST + EMPTY)', () => {
    const args = [0, 100, 'AGGREGATION', 'LAST', 10, 'EMPTY', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'REDUCE', 'sum'];
    const samples = [[0, '2'], [10, '6'], [20, '6'], [30, '6'], [40, '6'], [50, '6'], [60, '12'], [70, '3']];
    expect(grouped(members, args)[0]?.[2]).toEqual(samples);
    expect(grouped(members, args, true)[0]?.[2]).toEqual([...samples].reverse());
  });

  it.each([
    ['-', 100, [[0, '2'], [10, '4'], [50, '6'], [60, '9'], [70, '5']]],
    ['~', 73, [[5, '2'], [15, '4'], [55, '6'], [65, '9'], [75, '5']]],
    ['+', 73, [[10, '2'], [20, '4'], [60, '6'], [70, '9'], [80, '5']]],
  ] as const)('reports buckets at BUCKETTIMESTAMP %s (test_bucket_timestamp)', (bucketTimestamp, to, samples) => {
    const args = [0, to, 'AGGREGATION', 'max', 10, 'BUCKETTIMESTAMP', bucketTimestamp, 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'REDUCE', 'sum'];
    expect(grouped(members, args)[0]?.[2]).toEqual(samples);
    expect(grouped(members, args, true)[0]?.[2]).toEqual([...samples].reverse());
  });

  it('includes each member LATEST bucket (test_latest_flag_mrange)', () => {
    const compactions = [
      series('t2{1}', [['is_compaction', 'true']], [[0, 4]], { ts: 10, value: 8 }),
      series('t4{1}', [['is_compaction', 'true']], [[0, 4]], { ts: 10, value: 8 }),
    ];
    const args = [0, 10, 'LATEST', 'FILTER', 'is_compaction=true', 'GROUPBY', 'is_compaction', 'REDUCE', 'sum'];
    expect(grouped(compactions, args)).toEqual([['is_compaction=true', [['is_compaction', 'true'], ['__reducer__', 'sum'], ['__source__', 't2{1},t4{1}']], [[0, '8'], [10, '16']]]]);
    expect(grouped(compactions, args, true)[0]?.[2]).toEqual([[10, '16'], [0, '8']]);
  });
});

describe('reduceSamples', () => {
  it('skips NaN and gives NaN only for all-NaN timestamps', () => {
    const reduced = [...reduceSamples('avg', [samplesOf([[1, NaN], [2, 4]]), samplesOf([[1, NaN], [2, NaN], [3, 6]])])];
    expect(reduced.map((sample) => [sample.ts, formatSampleValue(sample.value)])).toEqual([[1, 'NaN'], [2, '4'], [3, '6']]);
  });

  it('uses the first label of the exact name, case-sensitive', () => {
    const members = [series('a', [['Region', 'x'], ['region', 'y'], ['region', 'z']], [])];
    expect(groupSeries(members, 'region').map((group) => group.name)).toEqual(['region=y']);
  });
});
