// src/types/timeseries/range-options.test.ts: TS.RANGE / MRANGE / MGET / QUERYINDEX options, with the
// cases of RedisTimeSeries 1.12's tests/flow (test_ts_range.py, test_ts_mrange.py,
// test_ts_mget.py, test_ts_mrange_groupby.py) and its order of checks.
import { describe, expect, it } from 'vitest';
import { TS_ERRORS, TimeSeriesError } from './errors.js';
import {
  RANGE_TIMESTAMP_MAX,
  alignmentTimestamp,
  checkRangeArity,
  parseDelRange,
  parseMGetOptions,
  parseMRangeOptions,
  parseQueryIndexOptions,
  parseRangeOptions,
} from './range-options.js';

function argv(...args: Array<string | number>): Buffer[] {
  return args.map((arg) => Buffer.from(String(arg), 'latin1'));
}

function range(...args: Array<string | number>) {
  return parseRangeOptions(argv('TS.RANGE', 'key', ...args), 2);
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof TimeSeriesError) return error.message;
    throw error;
  }
  throw new Error('no error thrown');
}

const arity = (name: string) => `ERR wrong number of arguments for '${name}' command`;

describe('parseRangeOptions', () => {
  it('reads - and + and plain timestamps', () => {
    expect(range('-', '+')).toMatchObject({ from: 0, to: RANGE_TIMESTAMP_MAX, latest: false, count: undefined, aggregation: undefined });
    expect(range(10, 20)).toMatchObject({ from: 10, to: 20 });
  });

  it('reads every option', () => {
    const options = range(10, 100, 'LATEST', 'FILTER_BY_TS', 30, 10, 30, 20, 'FILTER_BY_VALUE', '1.5', 'inf', 'COUNT', 5, 'ALIGN', 'start', 'AGGREGATION', 'twa', 10, 'BUCKETTIMESTAMP', 'mid', 'EMPTY');
    expect(options).toEqual({
      from: 10,
      to: 100,
      latest: true,
      count: 5,
      aggregation: { type: 'twa', bucketDuration: 10, empty: true, bucketTimestamp: 'mid' },
      alignment: 'start',
      filterByValue: { min: 1.5, max: Infinity },
      filterByTs: [10, 20, 30],
    });
    expect(alignmentTimestamp(options)).toBe(10);
    expect(alignmentTimestamp(range(10, 100, 'ALIGN', '+', 'AGGREGATION', 'avg', 5))).toBe(100);
    expect(alignmentTimestamp(range(10, 100, 'ALIGN', 7, 'AGGREGATION', 'avg', 5))).toBe(7);
    expect(alignmentTimestamp(range(10, 100, 'AGGREGATION', 'avg', 5))).toBe(0);
  });

  it('takes FILTER_BY_TS values while they parse, at most 128', () => {
    expect(range('-', '+', 'FILTER_BY_TS', 11, 5, 25, 55, 101, 18, 9, 1900, 2).filterByTs).toEqual([2, 5, 9, 11, 18, 25, 55, 101, 1900]);
    expect(range('-', '+', 'FILTER_BY_TS', 3, 'x', 4).filterByTs).toEqual([3]);
    const many = Array.from({ length: 200 }, (_, index) => 200 - index);
    expect(range('-', '+', 'FILTER_BY_TS', ...many).filterByTs).toEqual(Array.from({ length: 128 }, (_, index) => 73 + index));
  });

  it('skips a COUNT that is the aggregation type or the reducer', () => {
    expect(range('-', '+', 'AGGREGATION', 'count', 3).count).toBeUndefined();
    expect(range('-', '+', 'AGGREGATION', 'COUNT', 3, 'COUNT', 10).count).toBe(10);
    expect(range('-', '+', 'COUNT', 10, 'AGGREGATION', 'COUNT', 4).count).toBe(10);
    expect(range('-', '+', 'AGGREGATION', 'count', 3, 'REDUCE', 'count').count).toBeUndefined();
  });

  it('reads the BUCKETTIMESTAMP and EMPTY positions RTS allows', () => {
    expect(range('-', '+', 'AGGREGATION', 'max', 10, 'BUCKETTIMESTAMP', '+', 'EMPTY').aggregation).toEqual({ type: 'max', bucketDuration: 10, empty: true, bucketTimestamp: 'end' });
    expect(range('-', '+', 'AGGREGATION', 'max', 10, 'EMPTY', 'BUCKETTIMESTAMP', '~').aggregation).toEqual({ type: 'max', bucketDuration: 10, empty: true, bucketTimestamp: 'mid' });
    expect(range('-', '+', 'AGGREGATION', 'max', 10, 'BUCKETTIMESTAMP', '-').aggregation?.bucketTimestamp).toBe('start');
  });

  it.each([
    [['string', '+'], TS_ERRORS.fromTimestamp],
    [[-1, 1000], TS_ERRORS.fromTimestamp],
    [[0, 'string'], TS_ERRORS.toTimestamp],
    [[0, -1], TS_ERRORS.toTimestamp],
    [[0, '+', '', 'aggregation'], TS_ERRORS.aggregationParse],
    [[0, '+', 'count', 'number'], TS_ERRORS.countParse],
    [[0, '+', 'count'], TS_ERRORS.countMissing],
    [['-', '+', 'COUNT', '0'], TS_ERRORS.countInvalid],
    [['-', '+', 'COUNT', '-1'], TS_ERRORS.countInvalid],
    [[0, '+', 'aggregation', 'count', 'number'], TS_ERRORS.aggregationParse],
    [[0, '+', 'aggregation', 'count'], TS_ERRORS.aggregationParse],
    [[0, '+', 'aggregation', ''], TS_ERRORS.aggregationParse],
    [[0, '+', 'aggregation', 'not_aggregation_function', 5], TS_ERRORS.aggregationUnknown],
    [[0, '+', 'AGGREGATION', 'count', -1], TS_ERRORS.bucketDurationInvalid],
    [['-', '+', 'FILTER_BY_VALUE'], TS_ERRORS.filterByValueMissing],
    [['-', '+', 'FILTER_BY_TS'], TS_ERRORS.filterByTsMissing],
    [['-', '+', 'FILTER_BY_TS', 'FILTER_BY_VALUE'], TS_ERRORS.filterByValueMissing],
    [['-', '+', 'FILTER_BY_VALUE', 'FILTER_BY_TS'], TS_ERRORS.filterByValueMissing],
    [['-', '+', 'FILTER_BY_VALUE', 10, 'FILTER_BY_TS'], TS_ERRORS.filterByValueMax],
    [['-', '+', 'FILTER_BY_VALUE', 'a', 1], TS_ERRORS.filterByValueMin],
    [['-', '+', 'FILTER_BY_TS', 'x'], TS_ERRORS.filterByTsMissing],
    [[0, 10, 'AGGREGATION', 'avg', 5, 'BUCKETTIMESTAMP', 'high'], TS_ERRORS.bucketTimestampUnknown],
    [[0, 10, 'AGGREGATION', 'avg', 5, 'x', 'x', 'BUCKETTIMESTAMP', 'mid'], TS_ERRORS.bucketTimestampPosition],
    [[0, 10, 'AGGREGATION', 'avg', 5, 'BUCKETTIMESTAMP'], arity('ts.range')],
    [[0, 10, 'AGGREGATION', 'avg', 5, 'x', 'EMPTY'], TS_ERRORS.emptyPosition],
    [[0, 10, 'ALIGN', 'start'], TS_ERRORS.alignWithoutAggregation],
    [['-', 10, 'ALIGN', 'start', 'AGGREGATION', 'avg', 5], TS_ERRORS.alignStartImplicit],
    [[0, '+', 'ALIGN', 'end', 'AGGREGATION', 'avg', 5], TS_ERRORS.alignEndImplicit],
    [[0, 10, 'ALIGN', 'middle', 'AGGREGATION', 'avg', 5], TS_ERRORS.alignUnknown],
    [[0, 10, 'AGGREGATION', 'avg', 5, 'ALIGN'], arity('ts.range')],
  ])('refuses %j', (args, text) => {
    expect(errorOf(() => range(...args))).toBe(text);
  });

  it('checks from, to, COUNT, AGGREGATION, ALIGN, FILTER_BY_VALUE, FILTER_BY_TS in this order', () => {
    const all = ['FILTER_BY_TS', 'x', 'FILTER_BY_VALUE', 'x', 'y', 'ALIGN', '5', 'AGGREGATION', 'x', 'y', 'COUNT', 'x'];
    expect(errorOf(() => range('x', 'y', ...all))).toBe(TS_ERRORS.fromTimestamp);
    expect(errorOf(() => range(0, 'y', ...all))).toBe(TS_ERRORS.toTimestamp);
    expect(errorOf(() => range(0, 1, ...all))).toBe(TS_ERRORS.countParse);
    expect(errorOf(() => range(0, 1, ...all.slice(0, -2)))).toBe(TS_ERRORS.aggregationParse);
    expect(errorOf(() => range(0, 1, ...all.slice(0, -5)))).toBe(TS_ERRORS.alignWithoutAggregation);
    expect(errorOf(() => range(0, 1, ...all.slice(0, -7)))).toBe(TS_ERRORS.filterByValueMin);
    expect(errorOf(() => range(0, 1, ...all.slice(0, -10)))).toBe(TS_ERRORS.filterByTsMissing);
  });

  it('reads TS.DEL bounds, the key scanned as well', () => {
    expect(parseDelRange(argv('TS.DEL', 'k', '-', '+'))).toEqual({ from: 0, to: RANGE_TIMESTAMP_MAX });
    expect(parseDelRange(argv('TS.DEL', 'k', 5, 7))).toEqual({ from: 5, to: 7 });
    expect(errorOf(() => parseDelRange(argv('TS.DEL', 'k', 'x', 7)))).toBe(TS_ERRORS.fromTimestamp);
    expect(errorOf(() => parseDelRange(argv('TS.DEL', 'count', '-', '+')))).toBe(TS_ERRORS.countParse);
    expect(errorOf(() => parseDelRange(argv('TS.DEL', 'k', 5)))).toBe(arity('ts.del'));
  });

  it('needs four arguments', () => {
    expect(errorOf(() => checkRangeArity(argv('TS.REVRANGE', 'k', 0)))).toBe(arity('ts.revrange'));
    expect(() => checkRangeArity(argv('TS.RANGE', 'k', 0, 1))).not.toThrow();
  });
});

describe('parseMRangeOptions', () => {
  const mrange = (...args: Array<string | number>) => parseMRangeOptions(argv('TS.MRANGE', ...args));

  it('reads the range, the labels output, the filters and GROUPBY', () => {
    const options = mrange('-', '+', 'WITHLABELS', 'COUNT', 1, 'FILTER', 'metric_family=cpu', 'x!=', 'GROUPBY', 'metric_name', 'REDUCE', 'MAX');
    expect(options).toMatchObject({ from: 0, count: 1, withLabels: true, selectedLabels: undefined, groupBy: { label: 'metric_name', reducer: 'max' } });
    expect(options.matchers).toEqual([
      { kind: 'eq', label: 'metric_family', values: ['cpu'] },
      { kind: 'contains', label: 'x', values: [] },
    ]);
    expect(mrange(0, 10, 'SELECTED_LABELS', 'name', 'generation', 'FILTER', 'name=bob').selectedLabels).toEqual(['name', 'generation']);
    expect(mrange(0, 10, 'FILTER_BY_TS', 2, 'SELECTED_LABELS', 'metric', 'FILTER', 'metric=cpu').selectedLabels).toEqual(['metric']);
  });

  it.each([
    [['-', '+', 'FILTER'], TS_ERRORS.filterNoLabels],
    [['-', '+', 'RETLIF'], TS_ERRORS.filterMissing],
    [['string', 10, 'FILTER', 'generation=x'], TS_ERRORS.fromTimestamp],
    [[0, 10, 'FILTER', 'generation+x'], TS_ERRORS.filterParse],
    [[0, 10, 'FILTER', 'generation!=x'], TS_ERRORS.filterNoMatcher],
    [[0, 10, 'FILTER', 'name=(bob,rudy,)'], TS_ERRORS.filterParse],
    [[0, 10, 'FILTER', 'name=(bob,,rudy)'], TS_ERRORS.filterParse],
    [[0, 10, 'SELECTED_LABELS', 'filter', 'k!=5'], TS_ERRORS.selectedLabelsEmpty],
    [[0, 10, 'SELECTED_LABELS', 'WITHLABELS', 'filter', 'k!=5'], TS_ERRORS.withLabelsAndSelected],
    [[0, 10, 'WITHLABELS', 'SELECTED_LABELS', 'filter', 'k!=5'], TS_ERRORS.withLabelsAndSelected],
    [['-', '+', 'COUNT', '-2', 'FILTER', 'a=x'], TS_ERRORS.countInvalid],
    [['-', '+', 'AGGREGATION', 'AVG', 'string', 'FILTER', 'generation=x'], TS_ERRORS.aggregationParse],
    [['-', '+', 'WITHLABELS', 'FILTER', 'metric_family=cpu', 'GROUPBY'], arity('ts.mrange')],
    [['-', '+', 'WITHLABELS', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name'], arity('ts.mrange')],
    [['-', '+', 'WITHLABELS', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'abc', 'abc'], arity('ts.mrange')],
    [['-', '+', 'WITHLABELS', 'FILTER', 'metric_family=cpu', 'GROUPBY', 'metric_name', 'REDUCE', 'bla'], TS_ERRORS.reducerInvalid],
    [['-', '+', 'FILTER', 'a=b', 'GROUPBY', 'l', 'REDUCE', 'first'], TS_ERRORS.reducerInvalid],
    [['-', '+', 'FILTER', 'a=b', 'GROUPBY', 'l', 'REDUCE', 'twa'], TS_ERRORS.reducerInvalid],
    [[0, 100, 'WITHLABELS', 'GROUPBY', 'metric_name', 'REDUCE', 'max', 'FILTER', 'metric=cpu'], TS_ERRORS.groupByBeforeFilter],
    [['-', '+', 'FILTER', 'a=b', 'GROUPBY', 'l', 'REDUCE', 'sum', 'x'], arity('ts.mrange')],
  ])('refuses %j', (args, text) => {
    expect(errorOf(() => mrange(...args))).toBe(text);
  });

  it('limits SELECTED_LABELS to 50 names', () => {
    const names = Array.from({ length: 50 }, (_, index) => `l${index}`);
    expect(mrange('-', '+', 'SELECTED_LABELS', ...names, 'FILTER', 'a=b').selectedLabels).toHaveLength(50);
    expect(errorOf(() => mrange('-', '+', 'SELECTED_LABELS', ...names, 'l50', 'FILTER', 'a=b'))).toBe(TS_ERRORS.selectedLabelsMax);
  });

  it('needs four arguments', () => {
    expect(errorOf(() => parseMRangeOptions(argv('TS.MREVRANGE', '-', '+')))).toBe(arity('ts.mrevrange'));
  });
});

describe('parseMGetOptions and parseQueryIndexOptions', () => {
  const mget = (...args: Array<string | number>) => parseMGetOptions(argv('TS.MGET', ...args));

  it('reads LATEST, the labels output and the filters', () => {
    expect(mget('LATEST', 'SELECTED_LABELS', 'metric', 'new_label', 'FILTER', 'a=1')).toMatchObject({
      latest: true,
      withLabels: false,
      selectedLabels: ['metric', 'new_label'],
      matchers: [{ kind: 'eq', label: 'a', values: ['1'] }],
    });
  });

  it.each([
    [['filter'], arity('ts.mget')],
    [['LATEST', 'filter'], TS_ERRORS.filterNoMatcher],
    [['filter', 'k+1'], TS_ERRORS.filterParse],
    [['filter', 'k!=5'], TS_ERRORS.filterNoMatcher],
    [['retlif', 'k!=5'], arity('ts.mget')],
    [['SELECTED_LABELS', 'filter', 'k!=5'], TS_ERRORS.selectedLabelsEmpty],
    [['SELECTED_LABELS', 'WITHLABELS', 'filter', 'k!=5'], TS_ERRORS.withLabelsAndSelected],
    [['FILTER', 'a=1', 'WITHLABELS'], TS_ERRORS.filterParse],
    [['FILTER'], arity('ts.mget')],
  ])('refuses %j', (args, text) => {
    expect(errorOf(() => mget(...args))).toBe(text);
  });

  it('parses TS.QUERYINDEX filters', () => {
    expect(parseQueryIndexOptions(argv('TS.QUERYINDEX', 'generation=x', 'x='))).toEqual([
      { kind: 'eq', label: 'generation', values: ['x'] },
      { kind: 'ncontains', label: 'x', values: [] },
    ]);
    expect(errorOf(() => parseQueryIndexOptions(argv('TS.QUERYINDEX', 'z=', 'x!=2')))).toBe(TS_ERRORS.filterNoMatcher);
    expect(errorOf(() => parseQueryIndexOptions(argv('TS.QUERYINDEX', 'generation=x', 'class=(')))).toBe(TS_ERRORS.filterParse);
    expect(errorOf(() => parseQueryIndexOptions(argv('TS.QUERYINDEX')))).toBe(arity('ts.queryindex'));
  });
});
