// src/types/timeseries/series-store.ts: what the TS.* commands do to series, as RedisTimeSeries
// 1.12 does it (module.c internalAdd, handleCompaction; tsdb.c SeriesUpsertSample, upsertCompaction,
// SeriesDelRange, CompactionDelRange, deleteReferenceToDeletedSeries), on the storage of series.ts
// and samples.ts. Everything is staged in the calling command (one WAL batch): a sample, the state
// of each rule it feeds and the bucket it closes in the destination are durable together, so a
// crash neither loses nor double-counts a bucket.
// Compaction rules live with their source: element RULE [destination key] ->
//   [u32 creation order][u8 aggregation code][f64 bucket][f64 alignment][rule state bytes]
// and the destination names its source in its LABELS element.
// Invariants:
// - Dangling references (a rule whose destination was deleted, renamed or overwritten, a source
//   key gone) are dropped lazily when either end is written, as RedisTimeSeries does.
// - A series' labels are in the label index exactly while the series lives (label-index.ts).
import type { Keyspace } from '../../keyspace/keyspace.js';
import { KEY_TYPE, elementPrefix, prefixEnd } from '../../keyspace/layout.js';
import { AGGREGATION_CODES, type AggregationType } from './aggregator.js';
import { createAggregator } from './aggregators.js';
import { bucketStart as startOfBucket, normalizeBucketStart } from './bucket-math.js';
import { U64_MAX, appendToRule, calcBucketRange, decodeRuleState, encodeRuleState, newRuleState, type CompactionRuleSpec, type RuleState } from './compaction-rule.js';
import { TS_ERRORS, fail } from './errors.js';
import { appendUnrecorded, loadSeries, recordSeries, upsertUnrecorded } from './hot-state.js';
import { indexLabels, unindexLabels } from './label-index.js';
import { startRawBuffer } from './raw-buffer.js';
import { seriesRecordAt } from './record-cache.js';
import type { Label, Sample } from './sample.js';
import { deleteSamples, firstOf, isAppend, noteAppend, retentionStart, sampleAt, samplesAscending, samplesDescending, stageAppend, writeSample } from './samples.js';
import type { Sealer } from './sealer.js';
import type { CreateOptions, DuplicatePolicy } from './series-options.js';
import {
  SERIES_ENCODING, SERIES_FLAGS, SERIES_KIND, TIMESTAMP_MAX, decodeSeriesLabels, defaultSeriesState, encodeSeriesLabels,
  labelsKey, newSeriesRecord, ruleKey, seriesOf, type Series, type SeriesLabels,
} from './series.js';

/** Where a command's series live: its keyspace and database, and the sealer to tell of raw samples. */
export interface SeriesAccess {
  keyspace: Keyspace;
  db: number;
  sealer: Sealer;
}

/** What reading series (and rewriting references, which adds no raw sample) needs. */
export type KeyspaceAccess = Pick<SeriesAccess, 'keyspace' | 'db'>;

export interface StoredRule {
  destKey: Buffer;
  spec: CompactionRuleSpec;
  order: number;
  state: RuleState;
}

/** GetSeries: the series at key, undefined when there is none; WRONGTYPE (RTS's text) for another type. */
export function findSeries(access: SeriesAccess, key: Buffer): Series | undefined {
  const record = seriesRecordAt(access.keyspace, access.db, key);
  if (record === undefined) return undefined;
  if (record.type !== KEY_TYPE.timeseries) fail(TS_ERRORS.wrongType);
  return loadSeries(access.keyspace, record);
}

/** GetSeries, not silent: 'the key does not exist' when missing. */
export function requireSeries(access: SeriesAccess, key: Buffer): Series {
  const series = findSeries(access, key);
  if (series === undefined) fail(TS_ERRORS.keyMissing);
  return series;
}

/** The series at key when it is one (no error otherwise): rule ends and lazy cleanups. */
function seriesAt(access: KeyspaceAccess, key: Buffer): Series | undefined {
  const record = access.keyspace.get(access.db, key);
  return record === undefined || record.type !== KEY_TYPE.timeseries ? undefined : loadSeries(access.keyspace, record);
}

/** Stages a series' record with its live state (hot-state.ts), and tells the sealer. */
export function storeSeries(access: SeriesAccess, key: Buffer, series: Series): void {
  recordSeries(access.keyspace, access.db, key, series);
  access.sealer.note(series, access.db, key);
}

export function readLabels(keyspace: Keyspace, series: Series): SeriesLabels {
  return decodeSeriesLabels(keyspace.element(labelsKey(series.record.version)));
}

function writeLabels(keyspace: Keyspace, series: Series, labels: SeriesLabels): void {
  keyspace.putElement(labelsKey(series.record.version), encodeSeriesLabels(labels));
}

/** TS.CREATE (and the implicit create of TS.ADD / TS.INCRBY): a new empty series at key, staged. */
export function createSeries(access: SeriesAccess, key: Buffer, options: CreateOptions): Series {
  const { keyspace } = access;
  const state = defaultSeriesState();
  if (options.retentionMs !== undefined) state.retentionMs = options.retentionMs;
  if (options.chunkSizeBytes !== undefined) state.chunkSizeBytes = options.chunkSizeBytes;
  if (options.encoding !== undefined) state.encoding = options.encoding === 'uncompressed' ? SERIES_ENCODING.uncompressed : SERIES_ENCODING.compressed;
  state.duplicatePolicy = options.duplicatePolicy;
  if (options.ignore !== undefined) {
    state.ignoreMaxTimeDiff = options.ignore.maxTimeDiff;
    state.ignoreMaxValDiff = options.ignore.maxValDiff;
  }
  const series = seriesOf(newSeriesRecord(keyspace.newVersion(), state));
  startRawBuffer(keyspace, series.record.version); // no raw sample yet
  const labels = options.labels ?? [];
  writeLabels(keyspace, series, { labels: [...labels], sourceKey: undefined });
  indexLabels(keyspace, series.record.version, labels);
  storeSeries(access, key, series);
  return series;
}

/** TS.ALTER: only the options given change; LABELS replaces all labels (and their index entries). */
export function alterSeries(access: SeriesAccess, key: Buffer, series: Series, options: CreateOptions): void {
  const { keyspace } = access;
  const state = series.state;
  if (options.retentionMs !== undefined) state.retentionMs = options.retentionMs;
  if (options.chunkSizeBytes !== undefined) state.chunkSizeBytes = options.chunkSizeBytes;
  if (options.duplicatePolicy !== undefined) state.duplicatePolicy = options.duplicatePolicy;
  if (options.ignore !== undefined) {
    state.ignoreMaxTimeDiff = options.ignore.maxTimeDiff;
    state.ignoreMaxValDiff = options.ignore.maxValDiff;
  }
  if (options.labels !== undefined) {
    const before = readLabels(keyspace, series);
    unindexLabels(keyspace, series.record.version, before.labels);
    indexLabels(keyspace, series.record.version, options.labels);
    writeLabels(keyspace, series, { labels: [...options.labels], sourceKey: before.sourceKey });
  }
  storeSeries(access, key, series);
}

// ---- rules ----------------------------------------------------------------------------------

function encodeRule(rule: StoredRule): Buffer {
  const head = Buffer.allocUnsafe(21);
  head.writeUInt32BE(rule.order, 0);
  head[4] = AGGREGATION_CODES[rule.spec.aggregation];
  head.writeDoubleBE(rule.spec.bucketDuration, 5);
  head.writeDoubleBE(rule.spec.alignment, 13);
  return Buffer.concat([head, encodeRuleState(rule.state)]);
}

const AGGREGATION_BY_CODE = new Map(Object.entries(AGGREGATION_CODES).map(([name, code]) => [code as number, name as AggregationType]));

function decodeRule(destKey: Buffer, value: Buffer): StoredRule {
  const aggregation = AGGREGATION_BY_CODE.get(value[4]!);
  if (aggregation === undefined) throw new Error(`a compaction rule holds aggregation code ${value[4]}`);
  return {
    destKey: Buffer.from(destKey),
    order: value.readUInt32BE(0),
    spec: { aggregation, bucketDuration: value.readDoubleBE(5), alignment: value.readDoubleBE(13) },
    state: decodeRuleState(value.subarray(21)),
  };
}

/** The rules of a source series, in creation order. */
export function readRules(keyspace: Keyspace, series: Series): StoredRule[] {
  if ((series.state.flags & SERIES_FLAGS.hasRules) === 0) return [];
  const prefix = elementPrefix(series.record.version, SERIES_KIND.rule);
  const rules: StoredRule[] = [];
  for (const entry of keyspace.elements(prefix, prefixEnd(prefix))) rules.push(decodeRule(entry.key.subarray(prefix.length), entry.value));
  return rules.sort((a, b) => a.order - b.order);
}

function writeRule(keyspace: Keyspace, series: Series, rule: StoredRule): void {
  keyspace.putElement(ruleKey(series.record.version, rule.destKey), encodeRule(rule));
}

function removeRule(keyspace: Keyspace, series: Series, destKey: Buffer): void {
  keyspace.deleteElement(ruleKey(series.record.version, destKey));
}

/** A series' references whose other end still names it: what deleteReferenceToDeletedSeries keeps. */
export interface LiveReferences {
  labels: SeriesLabels;
  /** labels.sourceKey when that source still has a rule to this key, else undefined. */
  sourceKey: Buffer | undefined;
  /** The rules whose destination still names this key as its source, in creation order. */
  rules: StoredRule[];
  /** The rules to drop (their destination is gone or names another source). */
  dangling: StoredRule[];
}

/** deleteReferenceToDeletedSeries's view, writing nothing (TS.INFO reads it; writes drop the rest). */
export function liveReferences(access: KeyspaceAccess, key: Buffer, series: Series): LiveReferences {
  const { keyspace } = access;
  const labels = readLabels(keyspace, series);
  let sourceKey: Buffer | undefined;
  if (labels.sourceKey !== undefined) {
    const source = seriesAt(access, labels.sourceKey);
    if (source !== undefined && readRules(keyspace, source).some((rule) => rule.destKey.equals(key))) sourceKey = labels.sourceKey;
  }
  const rules: StoredRule[] = [];
  const dangling: StoredRule[] = [];
  for (const rule of readRules(keyspace, series)) {
    const destination = seriesAt(access, rule.destKey);
    const sourceOfDestination = destination === undefined ? undefined : readLabels(keyspace, destination).sourceKey;
    if (sourceOfDestination !== undefined && sourceOfDestination.equals(key)) rules.push(rule);
    else dangling.push(rule);
  }
  return { labels, sourceKey, rules, dangling };
}

/** deleteReferenceToDeletedSeries: drops a source reference and rules whose other end is gone. */
export function dropDanglingReferences(access: KeyspaceAccess, key: Buffer, series: Series): void {
  const { keyspace } = access;
  const live = liveReferences(access, key, series);
  if (live.labels.sourceKey !== undefined && live.sourceKey === undefined) {
    writeLabels(keyspace, series, { labels: live.labels.labels, sourceKey: undefined });
    series.state.flags &= ~SERIES_FLAGS.isDestination;
  }
  for (const rule of live.dangling) removeRule(keyspace, series, rule.destKey);
  if (live.rules.length === 0) series.state.flags &= ~SERIES_FLAGS.hasRules;
}

/**
 * RenameSeriesTo (tsdb.c), after RENAME moved a series from oldKey to newKey in the same database:
 * drops its dangling references (seen under its old name), then points its source's rule and its
 * destinations' source key at newKey. The label index follows the version by itself.
 */
export function renameReferences(access: KeyspaceAccess, oldKey: Buffer, newKey: Buffer): void {
  const { keyspace, db } = access;
  const record = keyspace.get(db, newKey);
  if (record === undefined || record.type !== KEY_TYPE.timeseries) return;
  const series = loadSeries(keyspace, record);
  const flagsBefore = series.state.flags;
  dropDanglingReferences(access, oldKey, series);
  const { sourceKey } = readLabels(keyspace, series);
  const source = sourceKey === undefined ? undefined : seriesAt(access, sourceKey);
  const rule = source === undefined ? undefined : readRules(keyspace, source).find((candidate) => candidate.destKey.equals(oldKey));
  if (source !== undefined && rule !== undefined) {
    removeRule(keyspace, source, oldKey);
    writeRule(keyspace, source, { ...rule, destKey: Buffer.from(newKey) });
  }
  for (const { destKey } of readRules(keyspace, series)) {
    const destination = seriesAt(access, destKey);
    if (destination === undefined) continue;
    writeLabels(keyspace, destination, { labels: readLabels(keyspace, destination).labels, sourceKey: Buffer.from(newKey) });
  }
  if (series.state.flags !== flagsBefore) recordSeries(keyspace, db, newKey, series);
}

/** TS.CREATERULE, after the caller's checks: the rule with an empty context; both ends staged. */
export function createRule(access: SeriesAccess, sourceKey: Buffer, source: Series, destKey: Buffer, destination: Series, spec: CompactionRuleSpec): void {
  const { keyspace } = access;
  const order = readRules(keyspace, source).reduce((highest, rule) => Math.max(highest, rule.order + 1), 0);
  writeRule(keyspace, source, { destKey, spec, order, state: newRuleState(spec) });
  source.state.flags |= SERIES_FLAGS.hasRules;
  const labels = readLabels(keyspace, destination);
  writeLabels(keyspace, destination, { labels: labels.labels, sourceKey: Buffer.from(sourceKey) });
  destination.state.flags |= SERIES_FLAGS.isDestination;
  storeSeries(access, sourceKey, source);
  storeSeries(access, destKey, destination);
}

/** TS.DELETERULE: false when source has no rule to destKey. */
export function deleteRule(access: SeriesAccess, sourceKey: Buffer, source: Series, destKey: Buffer): boolean {
  const { keyspace } = access;
  const rules = readRules(keyspace, source);
  if (!rules.some((rule) => rule.destKey.equals(destKey))) return false;
  removeRule(keyspace, source, destKey);
  if (rules.length === 1) source.state.flags &= ~SERIES_FLAGS.hasRules;
  storeSeries(access, sourceKey, source);
  const destination = seriesAt(access, destKey);
  if (destination !== undefined) {
    const labels = readLabels(keyspace, destination);
    if (labels.sourceKey !== undefined && labels.sourceKey.equals(sourceKey)) {
      writeLabels(keyspace, destination, { labels: labels.labels, sourceKey: undefined });
      destination.state.flags &= ~SERIES_FLAGS.isDestination;
      storeSeries(access, destKey, destination);
    }
  }
  return true;
}

/** The source's samples of one bucket recomputed (SeriesCalcRange), twa's neighbours included. */
function recomputeBucket(keyspace: Keyspace, source: Series, spec: CompactionRuleSpec, start: number, end: number): ReturnType<typeof calcBucketRange> {
  const last = Math.min(end, TIMESTAMP_MAX);
  const samples = [...samplesAscending(keyspace, source, start, last)];
  let prev: Sample | undefined;
  let next: Sample | undefined;
  if (spec.aggregation === 'twa') {
    if (start > 0) prev = firstOf(samplesDescending(keyspace, source, 0, start - 1));
    const after = end >= U64_MAX ? 0 : end + 1;
    next = firstOf(samplesAscending(keyspace, source, after, TIMESTAMP_MAX));
  }
  return calcBucketRange(spec, start, end, samples, prev, next);
}

/** Writes a bucket into a destination with policy LAST (RuleSeriesUpsertSample / internalAdd DP_LAST). */
function writeBucket(access: SeriesAccess, destKey: Buffer, sample: Sample): void {
  const destination = seriesAt(access, destKey);
  if (destination === undefined) return;
  writeSample(access.keyspace, destination, sample.ts, sample.value, 'last');
  storeSeries(access, destKey, destination);
}

/** handleCompaction for every rule of source, after sample was appended to it. */
function feedRules(access: SeriesAccess, source: Series, sample: Sample): void {
  for (const rule of readRules(access.keyspace, source)) {
    const bucketOpen = rule.state.bucketStart;
    const closesBucket = bucketOpen !== -1 && normalizeBucketStart(startOfBucket(sample.ts, rule.spec.bucketDuration, rule.spec.alignment)) > bucketOpen;
    if (closesBucket && seriesAt(access, rule.destKey) === undefined) continue; // RTS returns before appending
    const closed = appendToRule(rule.spec, rule.state, sample);
    if (closed !== undefined) writeBucket(access, rule.destKey, closed);
    writeRule(access.keyspace, source, rule);
  }
}

/** upsertCompaction: a sample upserted at ts recomputes its bucket, open or closed. */
function reviseRules(access: SeriesAccess, source: Series, ts: number): void {
  for (const rule of readRules(access.keyspace, source)) {
    const { bucketDuration, alignment } = rule.spec;
    const current = startOfBucket(source.state.lastTs, bucketDuration, alignment);
    const currentNormalized = normalizeBucketStart(current);
    if (ts >= currentNormalized) {
      const recomputed = recomputeBucket(access.keyspace, source, rule.spec, currentNormalized, current + bucketDuration - 1);
      rule.state.context = recomputed.context;
      writeRule(access.keyspace, source, rule);
    } else {
      const start = startOfBucket(ts, bucketDuration, alignment);
      const startNormalized = normalizeBucketStart(start);
      const recomputed = recomputeBucket(access.keyspace, source, rule.spec, startNormalized, start + bucketDuration - 1);
      writeBucket(access, rule.destKey, { ts: startNormalized, value: recomputed.value ?? 0 });
    }
  }
}

// ---- samples --------------------------------------------------------------------------------

/** The duplicate policy a write uses: ON_DUPLICATE, else the key's, else the default (BLOCK). */
export function effectivePolicy(series: Series, override: DuplicatePolicy | undefined): DuplicatePolicy {
  return override ?? series.state.duplicatePolicy ?? 'block';
}

/**
 * internalAdd: checks retention, applies IGNORE, appends or upserts, feeds or revises the rules,
 * stores the series. Returns the timestamp TS.ADD replies (the last one when IGNOREd).
 */
export function addSample(access: SeriesAccess, key: Buffer, series: Series, ts: number, value: number, override: DuplicatePolicy | undefined): number {
  const { state, record } = series;
  if (state.retentionMs > 0 && ts < state.lastTs && state.retentionMs < state.lastTs - ts) fail(TS_ERRORS.olderThanRetention);
  const policy = effectivePolicy(series, override);
  if (
    policy === 'last' && (state.flags & SERIES_FLAGS.isDestination) === 0 && record.count !== 0 && ts >= state.lastTs &&
    ts - state.lastTs <= state.ignoreMaxTimeDiff && Math.abs(value - state.lastValue) <= state.ignoreMaxValDiff
  ) {
    return state.lastTs;
  }
  const hasRules = (state.flags & SERIES_FLAGS.hasRules) !== 0;
  if (!hasRules && isAppend(series, ts) && appendUnrecorded(access.keyspace, access.db, key, series, ts, value)) {
    access.sealer.note(series, access.db, key); // one element staged: the raw sample
    return ts;
  }
  if (!hasRules && isAppend(series, ts)) { // no room to keep the live state in memory: the record goes too
    // writeSample's append with the record staged first: its lookup is then still the one the
    // caller's get() made (a staged element would make set() look the key up again)
    noteAppend(series, ts, value);
    storeSeries(access, key, series);
    stageAppend(access.keyspace, series, ts, value);
    return ts;
  }
  if (!hasRules && upsertUnrecorded(access.keyspace, access.db, key, series, ts, value, policy)) {
    access.sealer.note(series, access.db, key); // a late sample past the stored record: one element staged, as an append
    return ts;
  }
  const outcome = writeSample(access.keyspace, series, ts, value, policy); // throws (BLOCK) before staging anything
  if (hasRules) dropDanglingReferences(access, key, series);
  if (outcome.kind === 'appended' && hasRules) feedRules(access, series, { ts, value });
  else if (outcome.kind === 'upserted' && hasRules) reviseRules(access, series, ts);
  storeSeries(access, key, series);
  return ts;
}

/** TS.INCRBY / TS.DECRBY on an existing series: last value + delta at ts (policy LAST). */
export function incrementSeries(access: SeriesAccess, key: Buffer, series: Series, ts: number, delta: number): number {
  if (series.record.count > 0 && ts < series.state.lastTs) fail(TS_ERRORS.incrTimestampTooOld);
  const value = (series.record.count > 0 ? series.state.lastValue : 0) + delta;
  return addSample(access, key, series, ts, value, 'last');
}

/**
 * verify_compaction_del_possible: a series with rules and a retention refuses TS.DEL from a time
 * older than lastTs - retention, or whose bucket (of any rule) starts before it, since that bucket
 * could not be recomputed from the source. RTS checks it before comparing from and to.
 */
export function checkDeletePossible(keyspace: Keyspace, series: Series, from: number): void {
  if ((series.state.flags & SERIES_FLAGS.hasRules) === 0 || series.state.retentionMs === 0) return;
  const cutoff = retentionStart(series);
  if (cutoff === 0) return; // lastTs <= retention: nothing is obsolete
  if (from < cutoff) fail(TS_ERRORS.deleteBeyondRetention);
  for (const rule of readRules(keyspace, series)) {
    if (normalizeBucketStart(startOfBucket(from, rule.spec.bucketDuration, rule.spec.alignment)) < cutoff) fail(TS_ERRORS.deleteBeyondRetention);
  }
}

/** TS.DEL from..to: the samples removed, and the rules' buckets recomputed (CompactionDelRange). */
export function deleteRange(access: SeriesAccess, key: Buffer, series: Series, from: number, to: number): number {
  const { keyspace } = access;
  const hasRules = (series.state.flags & SERIES_FLAGS.hasRules) !== 0;
  checkDeletePossible(keyspace, series, from);
  const lastBefore = series.state.lastTs;
  const deleted = deleteSamples(keyspace, series, from, Math.min(to, TIMESTAMP_MAX));
  if (hasRules) {
    dropDanglingReferences(access, key, series);
    for (const rule of readRules(keyspace, series)) reviseRulesAfterDelete(access, series, rule, from, to, lastBefore);
  }
  storeSeries(access, key, series);
  return deleted;
}

/** CompactionDelRange for one rule. */
function reviseRulesAfterDelete(access: SeriesAccess, source: Series, rule: StoredRule, from: number, to: number, lastBefore: number): void {
  const { keyspace } = access;
  const { bucketDuration, alignment } = rule.spec;
  const current = startOfBucket(lastBefore, bucketDuration, alignment);
  const currentNormalized = normalizeBucketStart(current);
  let latestDeleted = false;
  if (from >= currentNormalized) {
    const recomputed = recomputeBucket(keyspace, source, rule.spec, currentNormalized, current + bucketDuration - 1);
    rule.state.context = recomputed.context;
    latestDeleted = recomputed.empty;
  } else {
    const startBucket = startOfBucket(from, bucketDuration, alignment);
    const startNormalized = normalizeBucketStart(startBucket);
    const endBucket = startOfBucket(to, bucketDuration, alignment);
    const endNormalized = normalizeBucketStart(endBucket);
    let deleteFrom: number;
    let deleteTo: number;
    const first = recomputeBucket(keyspace, source, rule.spec, startNormalized, startBucket + bucketDuration - 1);
    if (first.empty) {
      deleteFrom = startNormalized;
    } else {
      deleteFrom = startBucket + bucketDuration;
      writeBucket(access, rule.destKey, { ts: startNormalized, value: first.value ?? 0 });
    }
    if (to >= currentNormalized) {
      const latest = recomputeBucket(keyspace, source, rule.spec, currentNormalized, U64_MAX);
      rule.state.context = latest.context;
      latestDeleted = latest.empty;
      deleteTo = normalizeBucketStart(endBucket - bucketDuration);
    } else {
      const last = recomputeBucket(keyspace, source, rule.spec, endNormalized, endBucket + bucketDuration - 1);
      if (last.empty) {
        deleteTo = endNormalized;
      } else {
        deleteTo = normalizeBucketStart(endBucket - bucketDuration);
        writeBucket(access, rule.destKey, { ts: endNormalized, value: last.value ?? 0 });
      }
    }
    if (deleteTo >= deleteFrom) {
      const destination = seriesAt(access, rule.destKey);
      if (destination !== undefined) {
        deleteSamples(keyspace, destination, deleteFrom, deleteTo);
        storeSeries(access, rule.destKey, destination);
      }
    }
  }
  if (latestDeleted) {
    let lastTs = 0;
    const destination = seriesAt(access, rule.destKey);
    if (destination !== undefined && lastBefore > 0) {
      const before = firstOf(samplesDescending(keyspace, { ...destination, state: { ...destination.state, retentionMs: 0 } }, 0, lastBefore - 1));
      if (before !== undefined) {
        lastTs = before.ts;
        deleteSamples(keyspace, destination, lastTs, lastTs);
        storeSeries(access, rule.destKey, destination);
      }
    }
    const windowStart = normalizeBucketStart(startOfBucket(lastTs, bucketDuration, alignment));
    const recomputed = recomputeBucket(keyspace, source, rule.spec, windowStart, windowStart + bucketDuration - 1);
    rule.state.context = recomputed.context;
    rule.state.bucketStart = recomputed.empty ? -1 : windowStart;
  }
  writeRule(keyspace, source, rule);
}

/**
 * LATEST on a destination: its source rule's open bucket (latestOfRule), when RTS reports it;
 * undefined otherwise. The caller adds it when its time is within the range asked.
 */
export function latestSample(access: SeriesAccess, key: Buffer, series: Series): Sample | undefined {
  if ((series.state.flags & SERIES_FLAGS.isDestination) === 0) return undefined;
  const { sourceKey } = readLabels(access.keyspace, series);
  if (sourceKey === undefined) return undefined;
  const source = seriesAt(access, sourceKey);
  if (source === undefined || source.record.count === 0) return undefined;
  const rule = readRules(access.keyspace, source).find((candidate) => candidate.destKey.equals(key));
  if (rule === undefined || rule.state.bucketStart === -1) return undefined;
  const value = rule.state.context.clone().finalize();
  return { ts: rule.state.bucketStart, value: value ?? NaN };
}

/** The last sample (TS.GET), undefined for an empty series. */
export function lastSample(series: Series): Sample | undefined {
  return series.record.count === 0 ? undefined : { ts: series.state.lastTs, value: series.state.lastValue };
}

export { createAggregator, sampleAt, type Label };
