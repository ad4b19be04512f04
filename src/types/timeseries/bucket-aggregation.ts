// src/types/timeseries/bucket-aggregation.ts: RedisTimeSeries 1.12's AggregationIterator
// (filter_iterator.c) over one series' filtered samples, as a stream: samples in, buckets out.
// Invariants:
// - A bucket opens at the first sample it holds and closes at the first sample past it (after its
//   end going forward, before its start in reverse); its start follows bucket-math.ts and its
//   reported time is the normalized start moved by BUCKETTIMESTAMP.
// - With EMPTY the buckets between two reported ones are filled (empty-buckets.ts); twa also fills
//   the range's buckets before the first and after the last, and a range without samples.
// - twa's neighbours are the series' samples, never the LATEST one: `see` gets every stored
//   sample of the range in stream order (aggregated or filtered out), the caller's before/after
//   stand in for those outside it. NeighbourTrackers are armed for each gap RTS may fill (twa
//   only: other aggregators fill EMPTY buckets with a constant).
import assert from 'node:assert/strict';
import { createAggregator, type Aggregator } from './aggregators.js';
import { bucketStart, normalizeBucketStart, reportedBucketTs, u64 } from './bucket-math.js';
import { NeighbourTracker, TwaBounds, fillEmptyBuckets, type FillContext } from './empty-buckets.js';
import type { AggregationOptions } from './range-options.js';
import type { Sample } from './sample.js';
import type { SampleRun } from './sample-runs.js';

export interface BucketQuery {
  from: number;
  to: number;
  reverse: boolean;
  aggregation: AggregationOptions & { alignment: number };
}

export class BucketAggregation {
  private readonly aggregator: Aggregator;
  private readonly fill: FillContext;
  private readonly bounds: TwaBounds;
  private readonly twa: boolean;
  /** The twa gap before the first bucket, and of a range without samples. */
  private readonly edge: NeighbourTracker;
  private gap: NeighbourTracker | undefined; // the gap after the open bucket
  private suffix: NeighbourTracker | undefined; // the twa EMPTY gap after the last bucket
  private opened = false;
  private start = 0; // normalized start of the open bucket
  private scope = 0; // end of the open bucket (exclusive), from its unnormalized start
  private unnormalized = 0; // start of the open bucket, maybe below 0
  private recent: Sample | undefined; // the last stored sample seen
  private afterLast: Sample | undefined; // the first stored sample after the last aggregated one

  constructor(private readonly query: BucketQuery, private readonly outside: { before?: Sample | undefined; after?: Sample | undefined }) {
    const { reverse, from, to, aggregation } = query;
    this.aggregator = createAggregator(aggregation.type, reverse);
    this.fill = { query, options: aggregation, aggregator: this.aggregator, input: outside, reverse };
    this.bounds = new TwaBounds(reverse, from, to);
    this.twa = aggregation.type === 'twa';
    this.edge = new NeighbourTracker(Math.max(u64(this.startOf(reverse ? to : from)), from), reverse);
  }

  private startOf(ts: number): number {
    return bucketStart(ts, this.query.aggregation.bucketDuration, this.query.aggregation.alignment);
  }

  private reported(start: number): number {
    return reportedBucketTs(this.query.aggregation.bucketTimestamp, start, this.query.aggregation.bucketDuration);
  }

  /** A stored (non-LATEST) sample of the range, before it is filtered and aggregated. */
  see(sample: Sample): void {
    if (!this.twa) return; // the neighbours serve twa alone
    this.edge.see(sample);
    this.gap?.see(sample);
    this.suffix?.see(sample);
    if (this.opened && this.afterLast === undefined) this.afterLast = sample;
  }

  /** A sample removed by FILTER_BY_TS / FILTER_BY_VALUE. */
  skip(sample: Sample, latest: boolean): void {
    if (!latest) this.recent = sample;
  }

  /** A sample to aggregate; yields the buckets it closes. false: RTS ended the query here. */
  *add(sample: Sample, latest: boolean): Generator<Sample, boolean> {
    const entering = !this.opened || (this.query.reverse ? sample.ts < this.start : sample.ts >= this.scope);
    if (entering && !(yield* this.opened ? this.advance(sample) : this.open(sample))) return false;
    if (!latest) this.recent = sample;
    if (entering && this.twa) this.arm(); // the trackers serve twa alone
    this.aggregator.append(sample.value, sample.ts);
    this.afterLast = undefined;
    return true;
  }

  /**
   * A run of stored samples, ascending, for a query without twa, filters or reverse: each added
   * as see() + add() would (see() feeds only twa's trackers); the samples inside the open bucket
   * go to the aggregator in one loop. false: RTS ended the query here.
   */
  *addRun(run: SampleRun): Generator<Sample, boolean> {
    assert.ok(!this.twa && !this.query.reverse, 'addRun is for forward queries without twa');
    const { timestamps, values, end } = run;
    const aggregator = this.aggregator;
    let index = run.begin;
    const fills = this.query.aggregation.empty;
    while (index < end) {
      if (this.opened && !fills && timestamps[index]! >= this.scope) { // advance() without twa or EMPTY
        yield { ts: this.reported(this.start), value: aggregator.finalize() ?? NaN };
        aggregator.reset();
        this.enter(this.startOf(timestamps[index]!));
      } else if (!this.opened || timestamps[index]! >= this.scope) {
        if (!(yield* this.add({ ts: timestamps[index]!, value: values[index]! }, false))) return false;
        index++;
        continue;
      }
      let stop = index + 1; // the first sample at or past the bucket's end: gallop, then halve
      for (let step = 1; stop < end && timestamps[stop]! < this.scope; step *= 2) stop = Math.min(end, stop + step);
      let low = index + 1;
      while (low < stop) {
        const middle = (low + stop) >>> 1;
        if (timestamps[middle]! < this.scope) low = middle + 1;
        else stop = middle;
      }
      aggregator.appendRun(values, timestamps, index, stop);
      index = stop;
    }
    if (end > run.begin) this.recent = { ts: timestamps[end - 1]!, value: values[end - 1]! };
    return true;
  }

  /** Trackers for the gaps after the bucket just opened, seeded with the latest stored sample. */
  private arm(): void {
    const { reverse, from, aggregation } = this.query;
    const bucket = aggregation.bucketDuration;
    const gapStart = reverse ? Math.max(0, this.unnormalized - bucket) : this.unnormalized + bucket;
    this.gap = new NeighbourTracker(Math.max(u64(gapStart), from), reverse, this.recent);
    const suffixFirst = this.startOf(this.reported(normalizeBucketStart(this.unnormalized)));
    this.suffix = new NeighbourTracker(Math.max(u64(reverse ? suffixFirst - bucket : suffixFirst + bucket), from), reverse, this.recent);
  }

  private *open(sample: Sample): Generator<Sample, boolean> {
    const { reverse, from, to, aggregation } = this.query;
    const bucket = aggregation.bucketDuration;
    if (this.twa && aggregation.empty) {
      const first = this.startOf(reverse ? to : from);
      const sampleStart = this.startOf(sample.ts);
      const last = reverse ? sampleStart + bucket : Math.max(0, sampleStart - bucket);
      const hasEmpty = reverse ? !(u64(first) < u64(last)) : !(u64(first) >= u64(sampleStart));
      if (hasEmpty && !(yield* fillEmptyBuckets(this.fill, first, last, this.edge))) return false;
    }
    this.enter(this.startOf(sample.ts));
    this.opened = true;
    if (this.twa) {
      this.aggregator.addBucketParams(...this.bounds.first(this.start, this.scope));
      if (reverse || sample.ts !== 0) {
        const neighbour = this.recent ?? (reverse ? this.outside.after : this.outside.before);
        if (neighbour !== undefined) this.aggregator.addPrevBucketLastSample(neighbour.value, neighbour.ts);
      }
    }
    return true;
  }

  private enter(unnormalized: number): void {
    this.unnormalized = unnormalized;
    this.start = normalizeBucketStart(unnormalized);
    this.scope = unnormalized + this.query.aggregation.bucketDuration;
  }

  private *advance(sample: Sample): Generator<Sample, boolean> {
    const { reverse, aggregation } = this.query;
    const bucket = aggregation.bucketDuration;
    const aggregator = this.aggregator;
    if (this.twa) aggregator.addNextBucketFirstSample(sample.value, sample.ts);
    const lastSample = aggregator.lastSample();
    yield { ts: this.reported(this.start), value: aggregator.finalize() ?? NaN };
    aggregator.reset();
    const unnormalized = this.startOf(sample.ts);
    if (aggregation.empty) {
      const scope = this.scope;
      const first = reverse ? Math.max(0, scope - 2 * bucket) : scope;
      const last = reverse ? unnormalized + bucket : Math.max(0, unnormalized - bucket);
      const hasEmpty = reverse ? !(u64(scope) < u64(last + 2 * bucket)) : !(u64(first) >= u64(unnormalized));
      if (hasEmpty && !(yield* fillEmptyBuckets(this.fill, first, last, this.gap))) return false;
    }
    this.enter(unnormalized);
    if (this.twa) {
      aggregator.addPrevBucketLastSample(lastSample.value, lastSample.ts);
      aggregator.addBucketParams(...this.bounds.next(this.start, this.scope));
    }
    return true;
  }

  /** After the last sample: the open bucket, then twa's trailing gap (or a whole empty range). */
  *finish(): Generator<Sample> {
    const { reverse, from, to, aggregation } = this.query;
    const bucket = aggregation.bucketDuration;
    const twaEmpty = this.twa && aggregation.empty;
    if (!this.opened) {
      if (twaEmpty) yield* fillEmptyBuckets(this.fill, this.startOf(reverse ? to : from), this.startOf(reverse ? from : to), this.edge);
      return;
    }
    if (this.twa) {
      const lastSample = this.aggregator.lastSample();
      if (!(reverse && lastSample.ts === 0)) {
        const neighbour = this.afterLast ?? (reverse ? this.outside.before : this.outside.after);
        if (neighbour !== undefined) this.aggregator.addNextBucketFirstSample(neighbour.value, neighbour.ts);
      }
    }
    const lastTs = this.reported(this.start);
    yield { ts: lastTs, value: this.aggregator.finalize() ?? NaN };
    if (!twaEmpty) return;
    const last = this.startOf(reverse ? from : to);
    const first = this.startOf(lastTs);
    const hasEmpty = reverse ? !(u64(first) <= u64(last)) : !(u64(first) >= u64(last));
    if (hasEmpty) yield* fillEmptyBuckets(this.fill, reverse ? first - bucket : first + bucket, last, this.suffix);
  }
}
