// src/ops/latency-histogram.ts: one command latency distribution, recorded in nanoseconds on the hot
// path and read through hdr-histogram-js (percentiles for INFO latencystats, cumulative bucket
// counts for Prometheus).
//
// Why not call hdr-histogram-js's recordValue per command: its JS recordValue costs about 200 ns
// here (floor(log2), pow, min/max tracking) and its WebAssembly one about 100 ns, against about
// 5 ns for the two shifts and one increment below. So the counts array uses exactly the layout of
// hdr-histogram-js's histogram for the same (lowest, highest, significant digits) as Redis's
// command histograms (1 ns .. 1 s, 2 digits: src/server.h LATENCY_HISTOGRAM_*), and reading copies
// the non-zero slots into a real hdr histogram, which computes the percentiles.
//
//   slot index of v (unit magnitude 0, as lowest = 1):
//     bucket = max(0, floor(log2(v | subBucketMask)) - subBucketHalfCountMagnitude)
//     slot   = (bucket + 1) << subBucketHalfCountMagnitude  +  (v >>> bucket)  -  subBucketHalfCount
//
// Invariants:
// - record() clamps to [LATENCY_NS_MIN, LATENCY_NS_MAX] as Redis does, so it never throws and
//   never allocates; totalCount is the sum of every slot.
// - slotIndex(v) === hdr's countsArrayIndex(v) for every v in range (tested over the whole range).
import { Float64Histogram } from 'hdr-histogram-js';

export const LATENCY_NS_MIN = 1;
export const LATENCY_NS_MAX = 1_000_000_000;
export const LATENCY_SIGNIFICANT_DIGITS = 2;

/** A fresh hdr histogram with the layout the counts array mirrors. */
export function createHdrHistogram(): Float64Histogram {
  return new Float64Histogram(LATENCY_NS_MIN, LATENCY_NS_MAX, LATENCY_SIGNIFICANT_DIGITS);
}

const reference = createHdrHistogram();
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = reference.subBucketHalfCountMagnitude;
const SUB_BUCKET_HALF_COUNT = reference.subBucketHalfCount;
const SUB_BUCKET_MASK = reference.subBucketMask;
export const LATENCY_SLOT_COUNT = reference.countsArrayLength;
/** The lowest value each slot stands for (hdr's valueFromIndex). */
const SLOT_LOWEST_NS = Float64Array.from({ length: LATENCY_SLOT_COUNT }, (_, index) => reference.valueFromIndex(index));

export function slotIndex(valueNs: number): number {
  const bucket = Math.max(0, 31 - Math.clz32(valueNs | SUB_BUCKET_MASK) - SUB_BUCKET_HALF_COUNT_MAGNITUDE);
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (valueNs >>> bucket) - SUB_BUCKET_HALF_COUNT;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(LATENCY_SLOT_COUNT);
  totalCount = 0;
  sumNs = 0;

  record(durationNs: number): void {
    const value = durationNs < LATENCY_NS_MIN ? LATENCY_NS_MIN : durationNs > LATENCY_NS_MAX ? LATENCY_NS_MAX : durationNs | 0;
    const index = slotIndex(value);
    this.counts[index] = (this.counts[index] as number) + 1;
    this.totalCount++;
    this.sumNs += value;
  }

  /** Adds another histogram's counts to this one (family histograms are sums of command ones). */
  add(other: LatencyHistogram): void {
    for (let index = 0; index < LATENCY_SLOT_COUNT; index++) {
      const count = other.counts[index] as number;
      if (count !== 0) this.counts[index] = (this.counts[index] as number) + count;
    }
    this.totalCount += other.totalCount;
    this.sumNs += other.sumNs;
  }

  reset(): void {
    this.counts.fill(0);
    this.totalCount = 0;
    this.sumNs = 0;
  }

  /** A real hdr-histogram-js histogram holding the same counts. */
  toHdr(): Float64Histogram {
    const hdr = createHdrHistogram();
    for (let index = 0; index < LATENCY_SLOT_COUNT; index++) {
      const count = this.counts[index] as number;
      if (count !== 0) hdr.recordValueWithCount(SLOT_LOWEST_NS[index] as number, count);
    }
    return hdr;
  }

  /** Values (ns) at the given percentiles (0-100), as hdr_value_at_percentile; 0 when empty. */
  percentilesNs(percentiles: readonly number[]): number[] {
    if (this.totalCount === 0) return percentiles.map(() => 0);
    const hdr = this.toHdr();
    return percentiles.map((percentile) => hdr.getValueAtPercentile(percentile));
  }

  /**
   * Counts of recorded values at or below each boundary (ns, ascending), each slot attributed by
   * its lowest value (so within hdr's 1 % resolution): Prometheus histogram `le` buckets.
   */
  cumulativeCounts(boundariesNs: readonly number[]): number[] {
    const result = new Array<number>(boundariesNs.length).fill(0);
    let boundaryIndex = 0;
    let running = 0;
    for (let index = 0; index < LATENCY_SLOT_COUNT && boundaryIndex < boundariesNs.length; index++) {
      const count = this.counts[index] as number;
      if (count === 0) continue;
      const lowest = SLOT_LOWEST_NS[index] as number;
      while (boundaryIndex < boundariesNs.length && lowest > (boundariesNs[boundaryIndex] as number)) result[boundaryIndex++] = running;
      running += count;
    }
    while (boundaryIndex < boundariesNs.length) result[boundaryIndex++] = running;
    return result;
  }
}
