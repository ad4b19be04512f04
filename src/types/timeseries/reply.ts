// src/types/timeseries/reply.ts: the reply shapes of TS.GET, TS.RANGE, TS.MRANGE (grouped or not),
// TS.MGET and TS.QUERYINDEX in RESP2 and RESP3, as RedisTimeSeries 1.12 writes them (reply.c,
// module.c). Written through ReplyWriter, which protocol/resp-writer.ts's RespWriter implements.
//   reply        RESP2                                      RESP3
//   sample       [ts, +5E-1]  (value: simple string)        [ts, ,0.5]  (native double)
//   labels       [[name, value], ...]                       {name: value, ...}
//   selected     [[name, value or nil], ...] in asked order {name: value or nil}
//   TS.MGET      [[key, labels, sample or []], ...]          {key: [labels, sample or []]}
//   TS.MRANGE    [[key, labels, samples], ...]               {key: [labels, {aggregators: [agg]}, samples]}
//   grouped      [[l=v, labels, samples], ...]               {l=v: [labels, {reducers: [r]}, {sources: [keys]}, samples]}
//   QUERYINDEX   [key, ...]                                  ~set of keys
// Streamed replies (dispatch/reply-stream.ts) write the same bytes through the *Head writers and
// writeSamplesInParts.
// Invariants: strings are bulk strings except sample values in RESP2 (simple, double-format.ts);
// a selected label that a series lacks is named as asked, one it has as stored (found ignoring
// case); grouped labels in RESP3 WITHLABELS omit __reducer__ and __source__. Series and groups
// come in the order given (keys in byte order; groups by value, groupby.ts).
import assert from 'node:assert/strict';
import { formatSampleValue } from './double-format.js';
import type { AggregationType } from './aggregators.js';
import type { Reducer } from './range-options.js';
import type { Label, Sample } from './sample.js';
import { cString, equalsIgnoreCase } from './arg-scan.js';

/** The part of protocol/resp-writer.ts's RespWriter these replies use. */
export interface ReplyWriter {
  readonly protocol: 2 | 3;
  arrayHeader(count: number): void;
  /** RESP2: an array of 2 * count elements. */
  mapHeader(count: number): void;
  /** RESP2: an array. */
  setHeader(count: number): void;
  bulk(value: Buffer | string): void;
  simple(text: string): void;
  integer(value: number | bigint): void;
  /** RESP3 ',<text>'; RESP2 a bulk string. */
  double(value: number): void;
  /** RESP3 '_'; RESP2 '$-1'. */
  nullBulk(): void;
  error(message: string): void;
}

/** Which labels a multi-series reply shows (range-options.ts LabelsOutput). */
export interface LabelsShown {
  withLabels: boolean;
  selectedLabels: readonly string[] | undefined;
}

function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** An integer reply of a JS number; above 2^53 it is sent as the nearest int64 (exactness was lost earlier). */
export function writeInteger(out: ReplyWriter, value: number): void {
  if (Number.isSafeInteger(value)) return out.integer(value);
  if (value >= 2 ** 63) return out.integer(INT64_MAX);
  if (value <= -(2 ** 63)) return out.integer(INT64_MIN);
  out.integer(BigInt(Math.trunc(value)));
}

/** ReplyWithSample: [ts, value]. */
export function writeSample(out: ReplyWriter, sample: Sample): void {
  out.arrayHeader(2);
  writeInteger(out, sample.ts);
  if (out.protocol === 3) out.double(sample.value);
  else out.simple(formatSampleValue(sample.value));
}

/** TS.GET (ReplyWithSeriesLastDatapoint): the sample, or an empty array for an empty series. */
export function writeLastSample(out: ReplyWriter, sample: Sample | undefined): void {
  if (sample === undefined) out.arrayHeader(0);
  else writeSample(out, sample);
}

/** TS.RANGE / TS.REVRANGE (ReplySeriesRange): the samples, already cut to COUNT. */
export function writeSamples(out: ReplyWriter, samples: readonly Sample[]): void {
  out.arrayHeader(samples.length);
  for (const sample of samples) writeSample(out, sample);
}

function writeLabelPair(out: ReplyWriter, name: string, value: string | undefined): void {
  if (out.protocol === 2) out.arrayHeader(2);
  out.bulk(latin1(name));
  if (value === undefined) out.nullBulk();
  else out.bulk(latin1(value));
}

/** ReplyWithSeriesLabels: every label in stored order. */
export function writeLabels(out: ReplyWriter, labels: readonly Label[]): void {
  if (out.protocol === 3) out.mapHeader(labels.length);
  else out.arrayHeader(labels.length);
  for (const [name, value] of labels) writeLabelPair(out, name, value);
}

/** ReplyWithSeriesLabelsWithLimitC: one pair per selected name, in the asked order. */
export function writeSelectedLabels(out: ReplyWriter, labels: readonly Label[], selected: readonly string[]): void {
  if (out.protocol === 3) out.mapHeader(selected.length);
  else out.arrayHeader(selected.length);
  for (const name of selected) {
    const found = labels.find(([labelName]) => equalsIgnoreCase(cString(latin1(labelName)), name));
    if (found !== undefined) writeLabelPair(out, found[0], found[1]);
    else writeLabelPair(out, name, undefined);
  }
}

function writeShownLabels(out: ReplyWriter, labels: readonly Label[], shown: LabelsShown): void {
  if (shown.withLabels) writeLabels(out, labels);
  else if (shown.selectedLabels !== undefined && shown.selectedLabels.length > 0) writeSelectedLabels(out, labels, shown.selectedLabels);
  else if (out.protocol === 3) out.mapHeader(0);
  else out.arrayHeader(0);
}

export interface MGetEntry {
  key: Buffer;
  labels: readonly Label[];
  /** The last sample (or LATEST's), undefined for an empty series. */
  sample: Sample | undefined;
}

/** TS.MGET. */
export function writeMGet(out: ReplyWriter, entries: readonly MGetEntry[], shown: LabelsShown): void {
  if (out.protocol === 3) out.mapHeader(entries.length);
  else out.arrayHeader(entries.length);
  for (const entry of entries) {
    if (out.protocol === 2) out.arrayHeader(3);
    out.bulk(entry.key);
    if (out.protocol === 3) out.arrayHeader(2);
    writeShownLabels(out, entry.labels, shown);
    writeLastSample(out, entry.sample);
  }
}

export interface MRangeEntry {
  key: Buffer;
  labels: readonly Label[];
  /** In reply order (reversed for MREVRANGE), cut to COUNT. */
  samples: readonly Sample[];
}

/** TS.MRANGE / TS.MREVRANGE without GROUPBY; `aggregation` is the AGGREGATION type, if any. */
export function writeMRange(out: ReplyWriter, entries: readonly MRangeEntry[], shown: LabelsShown, aggregation: AggregationType | undefined): void {
  writeMultiHeader(out, entries.length);
  for (const entry of entries) {
    writeMRangeEntryHead(out, entry, shown, aggregation);
    writeSamples(out, entry.samples);
  }
}

/** The outer map (RESP3) or array (RESP2) of TS.MRANGE's series or groups. */
export function writeMultiHeader(out: ReplyWriter, count: number): void {
  if (out.protocol === 3) out.mapHeader(count);
  else out.arrayHeader(count);
}

/** One series of TS.MRANGE up to its samples (which the caller writes next, as writeSamples does). */
export function writeMRangeEntryHead(out: ReplyWriter, entry: { key: Buffer; labels: readonly Label[] }, shown: LabelsShown, aggregation: AggregationType | undefined): void {
  if (out.protocol === 2) out.arrayHeader(3);
  out.bulk(entry.key);
  if (out.protocol === 3) out.arrayHeader(3);
  writeShownLabels(out, entry.labels, shown);
  if (out.protocol === 3) {
    out.mapHeader(1);
    out.bulk('aggregators');
    out.arrayHeader(aggregation === undefined ? 0 : 1);
    if (aggregation !== undefined) out.bulk(aggregation);
  }
}

export interface MRangeGroup {
  /** 'label=value'. */
  name: string;
  /** groupby.ts groupLabels: [label, value], [__reducer__, r], [__source__, keys]. */
  labels: readonly Label[];
  reducer: Reducer;
  /** The members' keys, in key order. */
  sources: readonly Buffer[];
  /** Reduced, in reply order, cut to COUNT. */
  samples: readonly Sample[];
}

/** TS.MRANGE / TS.MREVRANGE with GROUPBY ... REDUCE. */
export function writeMRangeGrouped(out: ReplyWriter, groups: readonly MRangeGroup[], shown: LabelsShown): void {
  writeMultiHeader(out, groups.length);
  for (const group of groups) {
    writeMRangeGroupHead(out, group, shown);
    writeSamples(out, group.samples);
  }
}

/** One group of TS.MRANGE GROUPBY up to its samples (which the caller writes next). */
export function writeMRangeGroupHead(out: ReplyWriter, group: Omit<MRangeGroup, 'samples'>, shown: LabelsShown): void {
  if (out.protocol === 2) {
    out.arrayHeader(3);
    out.bulk(latin1(group.name));
    writeShownLabels(out, group.labels, shown);
    return;
  }
  out.bulk(latin1(group.name));
  out.arrayHeader(4);
  writeShownLabels(out, shown.withLabels ? group.labels.slice(0, -2) : group.labels, shown);
  out.mapHeader(1);
  out.bulk('reducers');
  out.arrayHeader(1);
  out.bulk(group.reducer);
  out.mapHeader(1);
  out.bulk('sources');
  out.arrayHeader(group.sources.length);
  for (const source of group.sources) out.bulk(source);
}

/**
 * Samples as writeSamples writes them, in parts for a streamed reply (dispatch/reply-stream.ts):
 * the array's header needs the count first, so `count` (a pass that yields every so often and
 * returns how many samples there are) runs first, then samples() is written; both read from the
 * same snapshot, so they agree (asserted). Yields (a step ends) every samplesPerStep written.
 */
export function* writeSamplesInParts(out: ReplyWriter, samples: () => Iterable<Sample>, count: () => Generator<void, number>, samplesPerStep: number): Generator<void> {
  const total = yield* count();
  out.arrayHeader(total);
  let written = 0;
  let sinceStep = 0;
  for (const sample of samples()) {
    writeSample(out, sample);
    written++;
    if (++sinceStep >= samplesPerStep) {
      sinceStep = 0;
      yield;
    }
  }
  assert.equal(written, total, 'a streamed range read different samples in its two passes');
}

/** TS.QUERYINDEX: the keys (in byte order), a set in RESP3. */
export function writeQueryIndex(out: ReplyWriter, keys: readonly Buffer[]): void {
  out.setHeader(keys.length);
  for (const key of keys) out.bulk(key);
}
