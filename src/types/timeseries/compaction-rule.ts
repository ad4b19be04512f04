// src/types/timeseries/compaction-rule.ts: the state of one compaction rule (TS.CREATERULE) and the
// three things RedisTimeSeries 1.12 does with it (module.c handleCompaction, tsdb.c
// calculate_latest_sample and SeriesCalcRange). The storage keeps the state (encodeRuleState) with
// the source series and changes it in the same write as the source sample.
// Invariants:
// - bucketStart is the normalized start of the open bucket, or -1 before the rule's first sample
//   (a rule created on a non-empty source starts at its next new sample).
// - appendToRule is for a sample appended after the source's last one; a sample that closes the
//   open bucket returns that bucket, to be written to the destination with policy LAST (RTS skips
//   the whole rule, appending nothing, when the destination no longer exists: the caller's check).
//   Buckets without samples are never returned. Upserts and deletions recompute a bucket from the
//   source with calcBucketRange instead.
// - Encoding, little-endian: u8 format (1), f64 bucketStart, then the aggregator (aggregators.ts).
import assert from 'node:assert/strict';
import { createAggregator, decodeAggregator, type Aggregator, type AggregationType } from './aggregators.js';
import { bucketStart as startOfBucket, normalizeBucketStart } from './bucket-math.js';
import type { Sample } from './sample.js';

export interface CompactionRuleSpec {
  aggregation: AggregationType;
  bucketDuration: number;
  alignment: number;
}

export interface RuleState {
  /** Normalized start of the open bucket; -1 when the rule has none yet. */
  bucketStart: number;
  context: Aggregator;
}

const RULE_STATE_FORMAT = 1;
/** RTS's UINT64_MAX as an end timestamp (CompactionDelRange passes it; end + 1 wraps to 0). */
export const U64_MAX = 2 ** 64 - 1;

/** A new rule (NewRule): no open bucket, an empty context. */
export function newRuleState(spec: CompactionRuleSpec): RuleState {
  return { bucketStart: -1, context: createAggregator(spec.aggregation) };
}

export function encodeRuleState(state: RuleState): Buffer {
  const head = Buffer.alloc(9);
  head[0] = RULE_STATE_FORMAT;
  head.writeDoubleLE(state.bucketStart, 1);
  return Buffer.concat([head, state.context.encode()]);
}

/** The state encodeRuleState wrote; asserts on anything else. */
export function decodeRuleState(bytes: Buffer): RuleState {
  assert.equal(bytes[0], RULE_STATE_FORMAT, 'rule state format');
  return { bucketStart: bytes.readDoubleLE(1), context: decodeAggregator(bytes.subarray(9)) };
}

/** handleCompaction: feeds a new last sample of the source; returns the bucket it closed, if any. */
export function appendToRule(spec: CompactionRuleSpec, state: RuleState, sample: Sample): Sample | undefined {
  const { context } = state;
  const twa = spec.aggregation === 'twa';
  const current = startOfBucket(sample.ts, spec.bucketDuration, spec.alignment);
  const currentNormalized = normalizeBucketStart(current);
  if (state.bucketStart === -1) {
    state.bucketStart = currentNormalized;
    if (twa) context.addBucketParams(currentNormalized, current + spec.bucketDuration);
  }
  let closed: Sample | undefined;
  if (currentNormalized > state.bucketStart) {
    if (twa) context.addNextBucketFirstSample(sample.value, sample.ts);
    const value = context.finalize();
    if (value !== undefined) closed = { ts: state.bucketStart, value };
    const last = context.lastSample();
    context.reset();
    if (twa) {
      context.addBucketParams(currentNormalized, current + spec.bucketDuration);
      context.addPrevBucketLastSample(last.value, last.ts);
    }
    state.bucketStart = currentNormalized;
  }
  context.append(sample.value, sample.ts);
  return closed;
}

/**
 * calculate_latest_sample: the open bucket as LATEST reports it (its start and the value of a
 * copy of the context finalized now), or undefined when the rule has no open bucket.
 */
export function latestOfRule(state: RuleState): Sample | undefined {
  if (state.bucketStart === -1) return undefined;
  return { ts: state.bucketStart, value: state.context.clone().finalize() ?? NaN };
}

/**
 * SeriesCalcRange: a fresh context over the source's samples with start <= ts <= end (within
 * retention), ascending; `value` is the bucket's value, undefined when `empty`. For twa, `prev`
 * is the source's nearest sample before start (ignored when start is 0) and `next` its first
 * sample at or after end + 1 in u64 arithmetic (for end = U64_MAX that is its first sample: RTS's
 * wrap, kept). The caller either stores `context` as the rule's (the open bucket) or writes
 * `value` into the destination (a closed bucket), as tsdb.c does.
 */
export function calcBucketRange(
  spec: CompactionRuleSpec,
  start: number,
  end: number,
  samples: Iterable<Sample>,
  prev?: Sample,
  next?: Sample,
): { context: Aggregator; value: number | undefined; empty: boolean } {
  const context = createAggregator(spec.aggregation);
  const twa = spec.aggregation === 'twa';
  if (twa) {
    context.addBucketParams(start, end >= U64_MAX ? 0 : end + 1);
    if (start > 0 && prev !== undefined) context.addPrevBucketLastSample(prev.value, prev.ts);
  }
  let empty = true;
  for (const sample of samples) {
    context.append(sample.value, sample.ts);
    empty = false;
  }
  if (twa && next !== undefined) context.addNextBucketFirstSample(next.value, next.ts);
  return { context, value: empty ? undefined : context.finalize(), empty };
}
