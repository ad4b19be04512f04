// src/types/timeseries/twa-aggregator.ts: twa, the time-weighted average of RedisTimeSeries 1.12
// (src/compaction.c Twa*): trapezoids between consecutive samples, plus, at the bucket's edges,
// the trapezoid to the value interpolated on the line to the sample just outside the bucket.
// Invariants:
// - The caller gives the bucket's edges (addBucketParams: start, end; swapped inside for
//   REVRANGE), the sample before the bucket (addPrevBucketLastSample, before any append) and the
//   one after it (addNextBucketFirstSample, after all appends); without a previous sample the
//   first appended one starts the integral (the series' first bucket).
// - finalize divides the integral by the integrated span; a span of 0 (one sample, no neighbour)
//   gives the last value. Timestamp differences wrap as RTS's u64 arithmetic does.
import { Aggregator } from './aggregator.js';
import { u64Difference } from './bucket-math.js';
import type { Sample } from './sample.js';

export class Twa extends Aggregator {
  readonly type = 'twa';
  res = 0;
  prevTs = 0;
  prevValue = 0;
  bucketStartTs = 0;
  bucketEndTs = 0;
  firstTs = 0;
  lastTs = 0;
  isFirstBucket = true;
  iteration = 0;
  override addBucketParams(startTs: number, endTs: number): void {
    this.bucketStartTs = this.reverse ? endTs : startTs;
    this.bucketEndTs = this.reverse ? startTs : endTs;
  }
  override addPrevBucketLastSample(value: number, ts: number): void {
    this.prevValue = value;
    this.prevTs = ts;
    this.isFirstBucket = false;
  }
  append(value: number, ts: number): void {
    let [t1, t2, v1, v2] = [this.prevTs, ts, this.prevValue, value];
    if (this.reverse) [t1, t2, v1, v2] = [t2, t1, v2, v1];
    if (this.iteration === 0) {
      if (!this.isFirstBucket) {
        const ta = this.bucketStartTs;
        this.firstTs = ta;
        const vab = v1 + (u64Difference(ta, t1) * (v2 - v1)) / u64Difference(t2, t1);
        if (!this.reverse) this.res += ((vab + v2) * u64Difference(t2, ta)) / 2.0;
        else this.res += ((vab + v1) * u64Difference(ta, t1)) / 2.0;
      } else {
        this.firstTs = ts; // the first sample of the series: nothing to interpolate from
      }
    } else {
      this.res += ((v1 + v2) * u64Difference(t2, t1)) / 2.0;
    }
    this.lastTs = ts;
    this.prevTs = ts;
    this.prevValue = value;
    this.iteration++;
  }
  override addNextBucketFirstSample(value: number, ts: number): void {
    let [t1, t2, v1, v2] = [this.prevTs, ts, this.prevValue, value];
    if (this.reverse) [t1, t2, v1, v2] = [t2, t1, v2, v1];
    const tb = this.bucketEndTs;
    const vab = v1 + (u64Difference(tb, t1) * (v2 - v1)) / u64Difference(t2, t1);
    if (!this.reverse) this.res += ((vab + v1) * u64Difference(tb, t1)) / 2.0;
    else this.res += ((vab + v2) * u64Difference(t2, tb)) / 2.0;
    this.lastTs = tb;
  }
  finalize(): number {
    if (this.lastTs === this.firstTs) return this.prevValue; // one sample, or a bucket of size 0
    return this.res / Math.abs(this.lastTs - this.firstTs);
  }
  override lastSample(): Sample {
    return { ts: this.prevTs, value: this.prevValue };
  }
  reset(): void {
    Object.assign(this, new Twa(this.reverse));
  }
  clone(): Twa {
    return Object.assign(new Twa(this.reverse), this);
  }
  fields(): number[] {
    return [this.res, this.prevTs, this.prevValue, this.bucketStartTs, this.bucketEndTs, this.firstTs, this.lastTs, this.isFirstBucket ? 1 : 0, this.iteration];
  }
  load(fields: number[]): void {
    [this.res, this.prevTs, this.prevValue, this.bucketStartTs, this.bucketEndTs, this.firstTs, this.lastTs] = fields as [number, number, number, number, number, number, number];
    this.isFirstBucket = fields[7] === 1;
    this.iteration = fields[8] as number;
  }
}
