// src/types/timeseries/empty-buckets.ts: EMPTY's filled buckets and the twa range edges of
// RedisTimeSeries 1.12 (filter_iterator.c fillEmptyBuckets, twa_fillEmptyBuckets, twa_calc_ta/tb).
// Invariants:
// - fillEmptyBuckets(first, end) takes RTS's arguments as given (swapped inside for REVRANGE) and
//   emits (end - first) / bucket + 1 buckets from the first (or, reversed, from the last), each
//   at its reported time; a misaligned or backward pair stops the whole query, as RTS's NULL does.
// - Non-twa buckets get the aggregator's empty value (NaN; 0 for sum/count; last's last value).
// - twa interpolates every filled bucket on the line through the two samples around the first
//   filled bucket's start ta0 (nearest before ta0, nearest at or after it); without a sample on
//   either side nothing is filled. Those samples are the series' own, found by a NeighbourTracker
//   armed with ta0 that sees every sample of the range, or by the caller's before/after.
import type { Aggregator } from './aggregators.js';
import { reportedBucketTs, u64, u64Difference } from './bucket-math.js';
import type { AggregationOptions } from './range-options.js';
import type { Sample } from './sample.js';


/** The series samples nearest to a boundary: the last before it and the first at or after it. */
export class NeighbourTracker {
  private below: Sample | undefined;
  private atOrAbove: Sample | undefined;
  constructor(readonly boundary: number, private readonly reverse: boolean, seed?: Sample) {
    if (seed !== undefined) this.see(seed);
  }
  /** Every sample of the range that can be a neighbour, in stream order. */
  see(sample: Sample): void {
    if (!this.reverse) {
      if (sample.ts < this.boundary) this.below = sample;
      else this.atOrAbove ??= sample;
    } else if (sample.ts >= this.boundary) {
      this.atOrAbove = sample;
    } else {
      this.below ??= sample;
    }
  }
  /** The neighbours, falling back to the samples just outside the range. */
  resolve(before: Sample | undefined, after: Sample | undefined): { before: Sample | undefined; after: Sample | undefined } {
    return {
      before: this.below ?? (before !== undefined && before.ts < this.boundary ? before : undefined),
      after: this.atOrAbove ?? (after !== undefined && after.ts >= this.boundary ? after : undefined),
    };
  }
}

/** twa_calc_ta / twa_calc_tb for the first bucket and for the following ones. */
export class TwaBounds {
  constructor(private readonly reverse: boolean, private readonly from: number, private readonly to: number) {}
  /** addBucketParams arguments of the first bucket (normalized start, unnormalized end). */
  first(start: number, end: number): [number, number] {
    return [Math.max(start, this.from), Math.min(end, this.to)]; // the twa context swaps them in reverse
  }
  /** addBucketParams arguments of a later bucket. */
  next(start: number, end: number): [number, number] {
    if (!this.reverse) return [start, Math.min(end, this.to)];
    return [Math.max(start, this.from), end];
  }
}

export interface FillContext {
  query: { from: number; to: number };
  options: AggregationOptions;
  aggregator: Aggregator;
  input: { before?: Sample | undefined; after?: Sample | undefined };
  reverse: boolean;
}

/** fillEmptyBuckets; returns false where RTS's returns -1 (the query ends there). */
export function* fillEmptyBuckets(context: FillContext, firstBucket: number, endBucket: number, tracker: NeighbourTracker | undefined): Generator<Sample, boolean> {
  const { reverse, options, aggregator } = context;
  const bucket = options.bucketDuration;
  const [first, end] = reverse ? [endBucket, firstBucket] : [firstBucket, endBucket];
  if (u64(end) < u64(first)) return false;
  const span = u64(end) - u64(first);
  if (span % bucket !== 0) return false;
  const count = span / bucket + 1;
  let current = reverse ? end : first;
  let line: { before: Sample; after: Sample } | undefined;
  if (options.type === 'twa') {
    const { before, after } = tracker?.resolve(context.input.before, context.input.after) ?? { before: undefined, after: undefined };
    if (before === undefined || after === undefined) return true; // RTS 1.12 fills no twa gap open on one side
    line = { before, after };
  }
  for (let index = 0; index < count; index++) {
    const value = line === undefined ? aggregator.finalizeEmpty() : twaGapValue(context, current, line.before, line.after);
    yield { ts: reportedBucketTs(options.bucketTimestamp, current, bucket), value };
    current += reverse ? -bucket : bucket;
  }
  return true;
}

/** The mean of the line through before and after at the bucket's edges, clipped to the range. */
function twaGapValue(context: FillContext, bucketStart: number, before: Sample, after: Sample): number {
  const { from, to } = context.query;
  const ta = Math.max(u64(bucketStart), from);
  const tb = Math.min(u64(bucketStart + context.options.bucketDuration), to);
  const deltaValue = after.value - before.value;
  const deltaTs = u64Difference(after.ts, before.ts);
  const va = before.value + (u64Difference(ta, before.ts) * deltaValue) / deltaTs;
  const vb = before.value + (u64Difference(tb, before.ts) * deltaValue) / deltaTs;
  return (va + vb) / 2.0;
}
