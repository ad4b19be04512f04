// src/types/timeseries/bucket-math.ts: RedisTimeSeries 1.12's bucket arithmetic (tsdb.h
// CalcBucketStart, BucketStartNormalize; filter_iterator.c calc_bucket_ts). RTS computes in u64:
// a bucket starting before 0 (ALIGN larger than the timestamp) wraps to a huge value, which
// normalize() turns into 0 for reporting while comparisons still see it huge. Here such a start is
// a negative number; u64() gives the value RTS compares (x + 2^64, above every timestamp).

const TWO_POW_64 = 2 ** 64;

/** BUCKETTIMESTAMP: which time reports a bucket. */
export type BucketTimestamp = 'start' | 'mid' | 'end';

/** ts - ((ts - alignment) mod bucket), the modulo non-negative; may be negative (see above). */
export function bucketStart(ts: number, bucketDuration: number, alignment: number): number {
  const difference = ts - alignment;
  return ts - (((difference % bucketDuration) + bucketDuration) % bucketDuration);
}

/** BucketStartNormalize: a negative start is reported as 0. */
export function normalizeBucketStart(start: number): number {
  return Math.max(0, start);
}

/** The value RTS's u64 comparisons see. */
export function u64(value: number): number {
  return value < 0 ? value + TWO_POW_64 : value;
}

/** a - b as RTS's u64 subtraction, converted to double (wraps below 0). */
export function u64Difference(a: number, b: number): number {
  const difference = a - b;
  return difference < 0 ? difference + TWO_POW_64 : difference;
}

/** calc_bucket_ts: the reported timestamp of a bucket (start, start + bucket/2, start + bucket). */
export function reportedBucketTs(bucketTimestamp: BucketTimestamp, start: number, bucketDuration: number): number {
  if (bucketTimestamp === 'mid') return start + Math.floor(bucketDuration / 2);
  if (bucketTimestamp === 'end') return start + bucketDuration;
  return start;
}
