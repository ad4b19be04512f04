// src/types/timeseries/range-options.ts: the options of TS.RANGE / TS.REVRANGE, TS.MRANGE /
// TS.MREVRANGE, TS.MGET and TS.QUERYINDEX as RedisTimeSeries 1.12 parses them
// (query_language.c parseRangeArguments, parseMRangeCommand, parseMGetCommand, parseLabelQuery).
// `args` is the whole command, args[0] its name; keywords are found anywhere (arg-scan.ts).
// Invariants (RTS's order of checks; the first failure is thrown):
// - range: from ('-' or a timestamp >= 0), to ('+' or one), LATEST, COUNT, AGGREGATION (type,
//   bucket > 0, EMPTY 3rd or 5th after AGGREGATION, BUCKETTIMESTAMP 3rd or 4th), ALIGN (needs
//   AGGREGATION, start needs an explicit from, end an explicit to), FILTER_BY_VALUE, FILTER_BY_TS
//   (up to 128 timestamps, taken while they parse; sorted and deduplicated).
// - COUNT skips a 'count' that is the AGGREGATION type or the REDUCE reducer.
// - TS.MRANGE: arity (>= 4 arguments), range, FILTER present, WITHLABELS / SELECTED_LABELS,
//   GROUPBY after FILTER, filters (everything between FILTER and GROUPBY), GROUPBY label REDUCE r
//   ending the command, the reducer. TS.MGET: arity (>= 3), FILTER present (else arity), labels
//   options, filters (everything after FILTER). The caller checks TS.RANGE's key before options.
// - SELECTED_LABELS takes names until a query keyword (WITHLABELS AGGREGATION LIMIT GROUPBY REDUCE
//   FILTER FILTER_BY_VALUE FILTER_BY_TS COUNT), at most 50.
import { argIndex, cString, cStringEquals, cStringEqualsIgnoreCase, parseLongLong, parseTimestampArg } from './arg-scan.js';
import { parseAggregationType, type AggregationType } from './aggregators.js';
import { parseDoubleArg } from './double-format.js';
import { TS_ERRORS, fail, throwWrongArity } from './errors.js';
import { parseMatchers, type LabelMatcher } from './filters.js';
import { parseAggregationPair } from './series-options.js';
import type { BucketTimestamp } from './bucket-math.js';

export type { BucketTimestamp };

/** '+' as RTS reads it: LLONG_MAX, which a JS number rounds to 2^63 (above every real timestamp). */
export const RANGE_TIMESTAMP_MAX = 2 ** 63;
export const FILTER_BY_TS_VALUES_MAX = 128;
export const SELECTED_LABELS_MAX = 50;
const QUERY_TOKENS = ['WITHLABELS', 'AGGREGATION', 'LIMIT', 'GROUPBY', 'REDUCE', 'FILTER', 'FILTER_BY_VALUE', 'FILTER_BY_TS', 'COUNT'];

/** ALIGN: 'start' is from, 'end' is to, a number is that timestamp; none (undefined) is 0. */
export type Alignment = 'start' | 'end' | number;

export interface AggregationOptions {
  type: AggregationType;
  bucketDuration: number;
  empty: boolean;
  bucketTimestamp: BucketTimestamp;
}

export interface RangeOptions {
  from: number;
  to: number;
  latest: boolean;
  /** COUNT: at most this many output samples (after aggregation); undefined for all. */
  count: number | undefined;
  aggregation: AggregationOptions | undefined;
  alignment: Alignment | undefined;
  filterByValue: { min: number; max: number } | undefined;
  /** Sorted ascending, without duplicates. */
  filterByTs: number[] | undefined;
}

/** The timestamp buckets are aligned to (SeriesQuery): ALIGN start -> from, end -> to, else 0. */
export function alignmentTimestamp(options: RangeOptions): number {
  const alignment = options.alignment;
  if (alignment === 'start') return options.from;
  if (alignment === 'end') return options.to;
  return alignment ?? 0;
}

function parseCount(args: readonly Buffer[]): number | undefined {
  let at = argIndex(args, 'COUNT');
  if (at <= 0) return undefined;
  const reduceAt = argIndex(args, 'REDUCE');
  const aggregationAt = argIndex(args, 'AGGREGATION');
  if (aggregationAt > 0 && at === aggregationAt + 1) {
    const next = argIndex(args.slice(aggregationAt + 2), 'COUNT');
    if (next < 0) return undefined; // the COUNT was the aggregation type
    at = next + aggregationAt + 2;
  }
  if (reduceAt > 0 && at === reduceAt + 1) {
    const next = argIndex(args.slice(reduceAt + 2), 'COUNT');
    if (next < 0) return undefined; // the COUNT was the reducer
    at = next + reduceAt + 2;
  }
  if (at + 1 === args.length) fail(TS_ERRORS.countMissing);
  const count = parseLongLong(args[at + 1]);
  if (count === undefined) fail(TS_ERRORS.countParse);
  if (count < 1n) fail(TS_ERRORS.countInvalid);
  return Number(count);
}

function parseAggregation(args: readonly Buffer[]): AggregationOptions | undefined {
  const at = argIndex(args, 'AGGREGATION');
  if (at <= 0) return undefined;
  const { aggregation: type, bucketDuration } = parseAggregationPair(args, at);
  let empty = false;
  const emptyAt = argIndex(args, 'EMPTY');
  if (emptyAt > 0) {
    if (emptyAt !== at + 3 && emptyAt !== at + 5) fail(TS_ERRORS.emptyPosition);
    empty = true;
  }
  let bucketTimestamp: BucketTimestamp = 'start';
  const bucketTimestampAt = argIndex(args, 'BUCKETTIMESTAMP');
  if (bucketTimestampAt > 0) {
    if (bucketTimestampAt !== at + 3 && bucketTimestampAt !== at + 4) fail(TS_ERRORS.bucketTimestampPosition);
    const value = args[bucketTimestampAt + 1];
    if (value === undefined) throwWrongArity(args);
    if (cStringEqualsIgnoreCase(value, 'start') || cStringEqualsIgnoreCase(value, '-')) bucketTimestamp = 'start';
    else if (cStringEqualsIgnoreCase(value, 'end') || cStringEqualsIgnoreCase(value, '+')) bucketTimestamp = 'end';
    else if (cStringEqualsIgnoreCase(value, 'mid') || cStringEqualsIgnoreCase(value, '~')) bucketTimestamp = 'mid';
    else fail(TS_ERRORS.bucketTimestampUnknown);
  }
  return { type, bucketDuration, empty, bucketTimestamp };
}

function parseAlignment(args: readonly Buffer[]): Alignment | undefined {
  const at = argIndex(args, 'ALIGN');
  if (at <= 0) return undefined;
  const value = args[at + 1];
  if (value === undefined) throwWrongArity(args);
  if (cStringEqualsIgnoreCase(value, 'start') || cStringEqualsIgnoreCase(value, '-')) return 'start';
  if (cStringEqualsIgnoreCase(value, 'end') || cStringEqualsIgnoreCase(value, '+')) return 'end';
  const ts = parseTimestampArg(value);
  if (ts === undefined) fail(TS_ERRORS.alignUnknown);
  return ts;
}

function parseFilterByValue(args: readonly Buffer[]): RangeOptions['filterByValue'] {
  const at = argIndex(args, 'FILTER_BY_VALUE');
  if (at <= 0) return undefined;
  if (at + 2 >= args.length) fail(TS_ERRORS.filterByValueMissing);
  const min = parseDoubleArg(args[at + 1] as Buffer);
  if (min === undefined) fail(TS_ERRORS.filterByValueMin);
  const max = parseDoubleArg(args[at + 2] as Buffer);
  if (max === undefined) fail(TS_ERRORS.filterByValueMax);
  return { min, max };
}

function parseFilterByTs(args: readonly Buffer[]): number[] | undefined {
  const at = argIndex(args, 'FILTER_BY_TS');
  if (at <= 0) return undefined;
  if (at + 1 === args.length) fail(TS_ERRORS.filterByTsMissing);
  const values: number[] = [];
  for (let index = at + 1; index < args.length && values.length < FILTER_BY_TS_VALUES_MAX; index++) {
    const ts = parseTimestampArg(args[index]);
    if (ts === undefined) break;
    values.push(ts);
  }
  if (values.length === 0) fail(TS_ERRORS.filterByTsMissing);
  values.sort((a, b) => a - b);
  return values.filter((value, index) => index === 0 || value !== values[index - 1]);
}

/** parseRangeArguments: from and to at args[start] and args[start + 1], then the options. */
export function parseRangeOptions(args: readonly Buffer[], start: number): RangeOptions {
  const fromArg = args[start] as Buffer;
  const toArg = args[start + 1] as Buffer;
  const fromIsMin = cStringEquals(fromArg, '-');
  const from = fromIsMin ? 0 : parseTimestampArg(fromArg);
  if (from === undefined) fail(TS_ERRORS.fromTimestamp);
  const toIsMax = cStringEquals(toArg, '+');
  const to = toIsMax ? RANGE_TIMESTAMP_MAX : parseTimestampArg(toArg);
  if (to === undefined) fail(TS_ERRORS.toTimestamp);
  const latest = argIndex(args, 'LATEST') > 0;
  const count = parseCount(args);
  const aggregation = parseAggregation(args);
  const alignment = parseAlignment(args);
  if (alignment !== undefined) {
    if (aggregation === undefined) fail(TS_ERRORS.alignWithoutAggregation);
    if (alignment === 'start' && fromIsMin) fail(TS_ERRORS.alignStartImplicit);
    if (alignment === 'end' && toIsMax) fail(TS_ERRORS.alignEndImplicit);
  }
  const filterByValue = parseFilterByValue(args);
  const filterByTs = parseFilterByTs(args);
  return { from, to, latest, count, aggregation, alignment, filterByValue, filterByTs };
}

/** TS.DEL key from to: arity (exactly 4), then from and to as TS.RANGE reads them, before the key. */
export function parseDelRange(args: readonly Buffer[]): { from: number; to: number } {
  if (args.length !== 4) throwWrongArity(args);
  const { from, to } = parseRangeOptions(args, 2);
  return { from, to };
}

/** TS.RANGE / TS.REVRANGE key from to [options]: arity first; the caller checks the key next. */
export function checkRangeArity(args: readonly Buffer[]): void {
  if (args.length < 4) throwWrongArity(args);
}

export interface LabelsOutput {
  withLabels: boolean;
  /** SELECTED_LABELS names (C strings, latin1), matched to label names ignoring case. */
  selectedLabels: string[] | undefined;
}

/** parseLabelQuery: WITHLABELS / SELECTED_LABELS. */
export function parseLabelsOutput(args: readonly Buffer[]): LabelsOutput {
  const withLabels = argIndex(args, 'WITHLABELS') > 0;
  const at = argIndex(args, 'SELECTED_LABELS');
  if (at <= 0) return { withLabels, selectedLabels: undefined };
  if (withLabels) fail(TS_ERRORS.withLabelsAndSelected);
  const selectedLabels: string[] = [];
  for (let index = at + 1; index < args.length; index++) {
    const arg = args[index] as Buffer;
    if (QUERY_TOKENS.some((token) => cStringEqualsIgnoreCase(arg, token))) break;
    if (selectedLabels.length >= SELECTED_LABELS_MAX) fail(TS_ERRORS.selectedLabelsMax);
    selectedLabels.push(cString(arg).toString('latin1'));
  }
  if (selectedLabels.length === 0) fail(TS_ERRORS.selectedLabelsEmpty);
  return { withLabels, selectedLabels };
}

export type Reducer = Exclude<AggregationType, 'first' | 'last' | 'twa'>;

export interface MRangeOptions extends RangeOptions, LabelsOutput {
  matchers: LabelMatcher[];
  groupBy: { label: string; reducer: Reducer } | undefined;
}

/** parseMRangeCommand (TS.MRANGE / TS.MREVRANGE). */
export function parseMRangeOptions(args: readonly Buffer[]): MRangeOptions {
  if (args.length < 4) throwWrongArity(args);
  const range = parseRangeOptions(args, 1);
  const filterAt = argIndex(args, 'FILTER');
  if (filterAt < 0) fail(TS_ERRORS.filterMissing);
  const labels = parseLabelsOutput(args);
  const groupByAt = argIndex(args, 'GROUPBY');
  if (groupByAt > 0 && groupByAt < filterAt) fail(TS_ERRORS.groupByBeforeFilter);
  const lastFilterAt = groupByAt > 0 ? groupByAt - 1 : args.length - 1;
  if (lastFilterAt - filterAt === 0) fail(TS_ERRORS.filterNoLabels);
  const matchers = parseMatchers(args.slice(filterAt + 1, lastFilterAt + 1));
  let groupBy: MRangeOptions['groupBy'];
  if (groupByAt > 0) {
    if (groupByAt + 1 >= args.length) throwWrongArity(args);
    const label = cString(args[groupByAt + 1] as Buffer).toString('latin1');
    const reduceAt = argIndex(args, 'REDUCE');
    const reducerArg = args[reduceAt + 1];
    if (reduceAt < 0 || args.length - groupByAt !== 4 || reducerArg === undefined) throwWrongArity(args);
    const reducer = parseAggregationType(reducerArg);
    if (reducer === undefined || reducer === 'first' || reducer === 'last' || reducer === 'twa') fail(TS_ERRORS.reducerInvalid);
    groupBy = { label, reducer };
  }
  return { ...range, ...labels, matchers, groupBy };
}

export interface MGetOptions extends LabelsOutput {
  latest: boolean;
  matchers: LabelMatcher[];
}

/** parseMGetCommand (TS.MGET). */
export function parseMGetOptions(args: readonly Buffer[]): MGetOptions {
  if (args.length < 3) throwWrongArity(args);
  const latest = argIndex(args, 'LATEST') > 0;
  const filterAt = argIndex(args, 'FILTER');
  if (filterAt < 0) throwWrongArity(args);
  const labels = parseLabelsOutput(args);
  const matchers = parseMatchers(args.slice(filterAt + 1));
  return { latest, ...labels, matchers };
}

/** TS.QUERYINDEX expr...: arity (>= 2), then the filters. */
export function parseQueryIndexOptions(args: readonly Buffer[]): LabelMatcher[] {
  if (args.length < 2) throwWrongArity(args);
  return parseMatchers(args.slice(1));
}
