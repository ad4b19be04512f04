// src/types/timeseries/range-query.ts: one series' TS.RANGE / TS.REVRANGE pipeline, as RedisTimeSeries
// 1.12 runs it (tsdb.c SeriesQuery, filter_iterator.c): samples of the range -> FILTER_BY_TS ->
// FILTER_BY_VALUE -> AGGREGATION (ALIGN, BUCKETTIMESTAMP, EMPTY) -> COUNT.
// Contract with the caller (the storage):
// - input.samples: the series' samples with max(from, retention cutoff) <= ts <= to, ascending,
//   or descending when query.reverse (cutoff = last - retention when retention > 0 and
//   last > retention). input.latest: compaction-rule.ts latestOfRule of the series' source rule,
//   given only when RTS adds it: LATEST asked, the series is a rule's destination, its source
//   exists with samples and still has the rule with an open bucket, to > the series' last
//   timestamp, and max(from, cutoff) <= its ts <= to. It comes after the samples (first in
//   reverse) and is filtered and aggregated like them, but is never a twa neighbour.
// - For twa only: input.before, the nearest sample with ts < max(from, cutoff) and ts >= cutoff;
//   input.after, the nearest sample with ts > to. RTS reads them from the series to interpolate
//   at the range edges; samples removed by FILTER_BY_TS / FILTER_BY_VALUE are neighbours too.
// - input.runs, when given: the same samples as input.samples, as runs (sample-runs.ts), forward;
//   read instead of them by aggregations other than twa without filters.
// - The output is lazy: EMPTY can fill up to (to - from) / bucket buckets, so the caller stops
//   reading at its own reply limit (COUNT is applied here).
// Invariants: buckets follow bucket-math.ts (u64 wrap of starts before 0 included); a bucket's
// reported time is its normalized start moved by BUCKETTIMESTAMP; EMPTY fills only between
// reported buckets, except twa, which also fills before the first and after the last when
// samples exist on both sides of the gap (PREFIX/SUFFIX as RTS 1.12 ships it).
import { BucketAggregation } from './bucket-aggregation.js';
import { alignmentTimestamp, type AggregationOptions, type RangeOptions } from './range-options.js';
import type { Sample } from './sample.js';
import type { SampleRun } from './sample-runs.js';

export interface RangeQuery {
  from: number;
  to: number;
  reverse: boolean;
  filterByTs: readonly number[] | undefined;
  filterByValue: { min: number; max: number } | undefined;
  aggregation: (AggregationOptions & { alignment: number }) | undefined;
  count: number | undefined;
}

export interface RangeInput {
  samples: Iterable<Sample>;
  /** The same samples as runs (forward only), read instead of samples where the query allows it. */
  runs?: Iterable<SampleRun> | undefined;
  latest?: Sample | undefined;
  before?: Sample | undefined;
  after?: Sample | undefined;
}

/** The query of parsed range options (alignment resolved as SeriesQuery does). */
export function rangeQuery(options: RangeOptions, reverse: boolean): RangeQuery {
  const aggregation = options.aggregation === undefined ? undefined : { ...options.aggregation, alignment: alignmentTimestamp(options) };
  return { from: options.from, to: options.to, reverse, filterByTs: options.filterByTs, filterByValue: options.filterByValue, aggregation, count: options.count };
}

interface StreamItem {
  sample: Sample;
  latest: boolean;
}

function* stream(input: RangeInput, reverse: boolean): Generator<StreamItem> {
  if (reverse && input.latest !== undefined) yield { sample: input.latest, latest: true };
  for (const sample of input.samples) yield { sample, latest: false };
  if (!reverse && input.latest !== undefined) yield { sample: input.latest, latest: true };
}

/**
 * How many samples queryRange(query, input) yields, yielding (a step of a streamed reply) every
 * stepSamples or so. Without aggregation and filters it adds up input.runs' lengths (which must
 * then be given forward even for a reverse query: the same samples), else it runs the query.
 */
export function* countRange(query: RangeQuery, input: RangeInput, stepSamples: number): Generator<void, number> {
  if (!plainQuery(query) || input.runs === undefined) return yield* countSamples(queryRange(query, input), stepSamples);
  let count = 0;
  let sinceStep = 0;
  for (const run of input.runs) {
    count += run.end - run.begin;
    sinceStep += run.end - run.begin;
    if (sinceStep >= stepSamples) {
      sinceStep = 0;
      yield;
    }
  }
  if (input.latest !== undefined) count++;
  return Math.max(0, Math.min(count, query.count ?? Infinity));
}

/** Whether the query passes the range's samples as they are (no aggregation, no filter): then countRange reads runs. */
export function plainQuery(query: RangeQuery): boolean {
  return query.aggregation === undefined && query.filterByTs === undefined && query.filterByValue === undefined;
}

/** How many samples there are, yielding every stepSamples. */
export function* countSamples(samples: Iterable<Sample>, stepSamples: number): Generator<void, number> {
  let count = 0;
  let sinceStep = 0;
  for (const sample of samples) {
    void sample;
    count++;
    if (++sinceStep >= stepSamples) {
      sinceStep = 0;
      yield;
    }
  }
  return count;
}

/** The samples TS.RANGE / TS.REVRANGE reply with, in reply order. */
export function* queryRange(query: RangeQuery, input: RangeInput): Generator<Sample> {
  let left = query.count ?? Infinity;
  if (left <= 0) return;
  const aggregation = query.aggregation;
  const output = aggregation === undefined ? filtered(query, input)
    : runsApply(query, aggregation, input) ? aggregatedRuns(query, aggregation, input, input.runs!)
      : aggregated(query, aggregation, input);
  for (const sample of output) {
    yield sample;
    if (--left <= 0) return;
  }
}

function passes(query: RangeQuery, timestamps: ReadonlySet<number> | undefined, sample: Sample): boolean {
  if (timestamps !== undefined && !timestamps.has(sample.ts)) return false;
  const byValue = query.filterByValue;
  return byValue === undefined || (sample.value >= byValue.min && sample.value <= byValue.max);
}

function* filtered(query: RangeQuery, input: RangeInput): Generator<Sample> {
  const timestamps = query.filterByTs === undefined ? undefined : new Set(query.filterByTs);
  for (const { sample } of stream(input, query.reverse)) if (passes(query, timestamps, sample)) yield sample;
}

/** Whether the runs may stand in for the samples: forward, no filter, no twa (whose neighbours need every sample). */
function runsApply(query: RangeQuery, aggregation: AggregationOptions, input: RangeInput): boolean {
  return input.runs !== undefined && !query.reverse && aggregation.type !== 'twa' && query.filterByTs === undefined && query.filterByValue === undefined;
}

/** aggregated() over runs: the same buckets, without a generator step per sample. */
function* aggregatedRuns(query: RangeQuery, aggregation: AggregationOptions & { alignment: number }, input: RangeInput, runs: Iterable<SampleRun>): Generator<Sample> {
  const buckets = new BucketAggregation({ from: query.from, to: query.to, reverse: false, aggregation }, input);
  for (const run of runs) if (!(yield* buckets.addRun(run))) return;
  if (input.latest !== undefined && !(yield* buckets.add(input.latest, true))) return;
  yield* buckets.finish();
}

function* aggregated(query: RangeQuery, aggregation: AggregationOptions & { alignment: number }, input: RangeInput): Generator<Sample> {
  const timestamps = query.filterByTs === undefined ? undefined : new Set(query.filterByTs);
  const buckets = new BucketAggregation({ from: query.from, to: query.to, reverse: query.reverse, aggregation }, input);
  for (const { sample, latest } of stream(input, query.reverse)) {
    if (!latest) buckets.see(sample);
    if (!passes(query, timestamps, sample)) buckets.skip(sample, latest);
    else if (!(yield* buckets.add(sample, latest))) return;
  }
  yield* buckets.finish();
}
