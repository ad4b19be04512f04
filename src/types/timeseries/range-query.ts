// src/types/timeseries/range-query.ts: one series' TS.RANGE / TS.REVRANGE pipeline, as RedisTimeSeries
// 1.12 runs it (tsdb.c SeriesQuery, filter_iterator.c): samples of the range -> FILTER_BY_TS ->
// FILTER_BY_VALUE -> AGGREGATION (ALIGN, BUCKETTIMESTAMP, EMPTY) -> COUNT.
// Contract with the caller (the storage):
// - input.samples: the series' samples with max(from, retention cutoff) <= ts <= to, ascending,
//   or descending when query.reverse (cutoff = last - retention when retention > 0 and
//   last > retention). input.latest: the open bucket of the series' source rule, given only when
//   RTS adds it (LATEST, a compaction destination whose rule has an open bucket, to > the
//   destination's last timestamp, and from <= its ts <= to); it comes after the samples, or first
//   in reverse, and is filtered and aggregated like them but is never a twa neighbour.
// - For twa only: input.before, the nearest sample with ts < max(from, cutoff) and ts >= cutoff;
//   input.after, the nearest sample with ts > to. RTS reads them from the series to interpolate
//   at the range edges; samples removed by FILTER_BY_TS / FILTER_BY_VALUE are neighbours too.
// - The output is lazy: EMPTY can fill up to (to - from) / bucket buckets, so the caller stops
//   reading at its own reply limit (COUNT is applied here).
// Invariants: buckets follow bucket-math.ts (u64 wrap of starts before 0 included); a bucket's
// reported time is its normalized start moved by BUCKETTIMESTAMP; EMPTY fills only between
// reported buckets, except twa, which also fills before the first and after the last when
// samples exist on both sides of the gap (PREFIX/SUFFIX as RTS 1.12 ships it).
import { createAggregator } from './aggregators.js';
import { bucketStart, normalizeBucketStart, reportedBucketTs, u64 } from './bucket-math.js';
import { alignmentTimestamp, type AggregationOptions, type RangeOptions } from './range-options.js';
import type { Sample } from './sample.js';
import { NeighbourTracker, TwaBounds, fillEmptyBuckets } from './empty-buckets.js';

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

/** The samples TS.RANGE / TS.REVRANGE reply with, in reply order. */
export function* queryRange(query: RangeQuery, input: RangeInput): Generator<Sample> {
  let left = query.count ?? Infinity;
  if (left <= 0) return;
  const output = query.aggregation === undefined ? filtered(query, input) : aggregated(query, query.aggregation, input);
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

function* aggregated(query: RangeQuery, options: AggregationOptions & { alignment: number }, input: RangeInput): Generator<Sample> {
  const { reverse, from, to } = query;
  const bucket = options.bucketDuration;
  const startOf = (ts: number): number => bucketStart(ts, bucket, options.alignment);
  const reported = (start: number): number => reportedBucketTs(options.bucketTimestamp, start, bucket);
  const twa = options.type === 'twa';
  const twaEmpty = twa && options.empty;
  const aggregator = createAggregator(options.type, reverse);
  const timestamps = query.filterByTs === undefined ? undefined : new Set(query.filterByTs);
  const fillContext = { query, options, aggregator, input, reverse };
  // the boundary of the twa gap before the first bucket (and of a range without samples)
  const edge = new NeighbourTracker(Math.max(u64(startOf(reverse ? to : from)), from), reverse);
  let gap: NeighbourTracker | undefined; // the next gap after the current bucket
  let suffix: NeighbourTracker | undefined; // the gap after the last bucket (twa EMPTY)
  let initialized = false;
  let start = 0; // normalized start of the open bucket
  let scope = 0; // end of the open bucket (exclusive), from its unnormalized start
  let recentRaw: Sample | undefined; // the last sample seen that can be a neighbour
  let afterLastFiltered: Sample | undefined; // the first neighbour after the last aggregated sample
  let anyFiltered = false;
  const arm = (unnormalizedStart: number): void => {
    const gapStart = reverse ? Math.max(0, unnormalizedStart - bucket) : unnormalizedStart + bucket;
    gap = new NeighbourTracker(Math.max(u64(gapStart), from), reverse, recentRaw);
    const suffixFirst = startOf(reported(normalizeBucketStart(unnormalizedStart)));
    suffix = new NeighbourTracker(Math.max(u64(reverse ? suffixFirst - bucket : suffixFirst + bucket), from), reverse, recentRaw);
  };
  for (const { sample, latest } of stream(input, reverse)) {
    if (!latest) {
      for (const tracker of [edge, gap, suffix]) tracker?.see(sample);
      if (anyFiltered && afterLastFiltered === undefined) afterLastFiltered = sample;
    }
    if (!passes(query, timestamps, sample)) {
      if (!latest) recentRaw = sample;
      continue;
    }
    if (!initialized) {
      if (twaEmpty) {
        const first = startOf(reverse ? to : from);
        const sampleStart = startOf(sample.ts);
        const last = reverse ? sampleStart + bucket : Math.max(0, sampleStart - bucket);
        const hasEmpty = reverse ? !(u64(first) < u64(last)) : !(u64(first) >= u64(sampleStart));
        if (hasEmpty && !(yield* fillEmptyBuckets(fillContext, first, last, edge))) return;
      }
      const unnormalized = startOf(sample.ts);
      start = normalizeBucketStart(unnormalized);
      scope = unnormalized + bucket;
      initialized = true;
      if (twa) {
        const bounds = new TwaBounds(reverse, from, to);
        aggregator.addBucketParams(...bounds.first(start, scope));
        if (reverse || sample.ts !== 0) {
          const neighbour = reverse ? (recentRaw ?? input.after) : (recentRaw ?? input.before);
          if (neighbour !== undefined) aggregator.addPrevBucketLastSample(neighbour.value, neighbour.ts);
        }
      }
      if (!latest) recentRaw = sample;
      arm(unnormalized);
    } else if (reverse ? sample.ts < start : sample.ts >= scope) {
      if (twa) aggregator.addNextBucketFirstSample(sample.value, sample.ts);
      const lastSample = aggregator.lastSample();
      yield { ts: reported(start), value: aggregator.finalize() ?? NaN };
      aggregator.reset();
      const unnormalized = startOf(sample.ts);
      if (options.empty) {
        const first = reverse ? Math.max(0, scope - 2 * bucket) : scope;
        const last = reverse ? unnormalized + bucket : Math.max(0, unnormalized - bucket);
        const hasEmpty = reverse ? !(u64(scope) < u64(last + 2 * bucket)) : !(u64(first) >= u64(unnormalized));
        if (hasEmpty && !(yield* fillEmptyBuckets(fillContext, first, last, gap))) return;
      }
      scope = unnormalized + bucket;
      start = normalizeBucketStart(unnormalized);
      if (twa) {
        aggregator.addPrevBucketLastSample(lastSample.value, lastSample.ts);
        const bounds = new TwaBounds(reverse, from, to);
        aggregator.addBucketParams(...bounds.next(start, scope));
      }
      if (!latest) recentRaw = sample;
      arm(unnormalized);
    } else if (!latest) {
      recentRaw = sample;
    }
    aggregator.append(sample.value, sample.ts);
    anyFiltered = true;
    afterLastFiltered = undefined;
  }
  if (!anyFiltered) {
    if (twaEmpty) {
      const first = startOf(reverse ? to : from);
      const last = startOf(reverse ? from : to);
      yield* fillEmptyBuckets(fillContext, first, last, edge);
    }
    return;
  }
  if (twa) {
    const lastSample = aggregator.lastSample();
    if (!(reverse && lastSample.ts === 0)) {
      const neighbour = afterLastFiltered ?? (reverse ? input.before : input.after);
      if (neighbour !== undefined) aggregator.addNextBucketFirstSample(neighbour.value, neighbour.ts);
    }
  }
  const lastTs = reported(start);
  yield { ts: lastTs, value: aggregator.finalize() ?? NaN };
  if (twaEmpty) {
    const last = startOf(reverse ? from : to);
    let first = startOf(lastTs);
    const hasEmpty = reverse ? !(u64(first) <= u64(last)) : !(u64(first) >= u64(last));
    first = reverse ? first - bucket : first + bucket;
    if (hasEmpty) yield* fillEmptyBuckets(fillContext, first, last, suffix);
  }
}
