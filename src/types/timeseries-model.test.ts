// src/types/timeseries-model.test.ts: time series (series-store.ts over samples.ts, sealer.ts and
// the keyspace) against an in-memory model, over the crashable in-memory file system, driven by
// random command sequences (fast-check asyncModelRun, STYLE.md's pattern).
// The model: per key, the samples the series stores (a sorted array), its options, its rules
// (state advanced with compaction-rule.ts appendToRule, buckets recomputed with calcBucketRange
// over the model's samples, as RedisTimeSeries's handleCompaction / upsertCompaction /
// CompactionDelRange do) and its source key. Commands are staged as src/commands/timeseries.ts
// stages them (a refused command is discarded, as dispatch does; TS.MADD answers per sample) and
// committed; their replies must equal the model's.
// Steps: TS.CREATE, TS.ADD (appends, late samples, duplicates under every DUPLICATE_POLICY and
// ON_DUPLICATE), TS.MADD, bulk MADD, TS.INCRBY, TS.DEL, TS.CREATERULE, TS.DELETERULE, TS.ALTER
// (retention, chunk size, policy, IGNORE), DEL of a key, sealing (Sealer.sealAll and sealQueued
// with small budgets, committed), engine flush, full compaction, Reopen and Crash (with a command
// in flight).
// After every step, and after Crash and Reopen:
// - 'always': every commit that resolved is there, and one in flight at the crash is all there or
//   all gone; 'no': the state after some write at or past the last durable one.
// - each series stores exactly the model's samples (walked up and down, and read one by one),
//   its count, last sample, options, flags, source key and rules (open bucket and context bytes);
//   its chunks are linked in order and do not overlap, rawCount and chunkCount are what a walk
//   finds; the keyspace's series and sample counts are the sums;
// - TS.INFO's totalSamples / firstTimestamp / lastTimestamp (as tsInfo computes them) and LATEST
//   are the model's; TS.RANGE / TS.REVRANGE with random options (FILTER_BY_TS, FILTER_BY_VALUE,
//   COUNT, ALIGN, every aggregation, BUCKETTIMESTAMP, EMPTY) answer what range-query.ts answers
//   over the model's samples (test-series.ts's rangeInput: retention applied at read).
// Trimming: a seal may drop whole chunks older than lastTs - retention (samples.ts); after each
// seal the model takes the storage's samples, after checking that only samples older than that
// cutoff went. Nothing else may drop a sample.
// Bounds: RUNS runs of at most COMMANDS_MAX commands, SECONDS per policy (TS_MODEL_RUNS,
// TS_MODEL_SECONDS run it longer; TS_MODEL_SEED, TS_MODEL_PATH and TS_MODEL_REPLAY replay a failure).
// It lives in src/types/ because it drives the keyspace through the time series modules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine, type CrashMode, type EngineOptions, type SyncPolicy } from '../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../keyspace/keyspace.js';
import { KEY_TYPE, elementPrefix, prefixEnd } from '../keyspace/layout.js';
import { AGGREGATION_TYPES, type AggregationType } from './timeseries/aggregator.js';
import { bucketStart as startOfBucket, normalizeBucketStart } from './timeseries/bucket-math.js';
import { U64_MAX, appendToRule, calcBucketRange, latestOfRule, newRuleState, type CompactionRuleSpec, type RuleState } from './timeseries/compaction-rule.js';
import { TS_ERRORS, TimeSeriesError, fail } from './timeseries/errors.js';
import { parseRangeOptions } from './timeseries/range-options.js';
import { queryRange, rangeQuery, type RangeInput } from './timeseries/range-query.js';
import { decodeChunk } from './timeseries/chunk-codec.js';
import type { Sample } from './timeseries/sample.js';
import { chunksFrom, rawSamples, retentionStart, sampleAt, samplesAscending, samplesDescending } from './timeseries/samples.js';
import { Sealer } from './timeseries/sealer.js';
import { DUPLICATE_POLICIES, type CreateOptions, type DuplicatePolicy } from './timeseries/series-options.js';
import {
  addSample, alterSeries, createRule, createSeries, deleteRange, deleteRule, dropDanglingReferences, findSeries, incrementSeries,
  latestSample, readLabels, readRules, requireSeries, type SeriesAccess,
} from './timeseries/series-store.js';
import { SERIES_ENCODING, SERIES_FLAGS, SERIES_KIND, TIMESTAMP_MAX, type Series } from './timeseries/series.js';
import { forgetHotState, loadSeries } from './timeseries/hot-state.js';
import { rawBuffers } from './timeseries/raw-buffer.js';
import { rangeInput as modelRangeInput } from './timeseries/test-series.js';

const DIR = '/db';
const DB = 0;
const RUNS = Number(process.env['TS_MODEL_RUNS'] ?? 40);
const SECONDS = Number(process.env['TS_MODEL_SECONDS'] ?? 5); // 'always'; 'no' gets half
const COMMANDS_MAX = 50;
const KEYS = ['a', 'b', 'c', 'd'];
const BASE_TS = 1000;
const RANGE_OUTPUT_MAX = 3000; // samples compared per range query
const CHUNK_LINK_BYTES = 8; // a chunk element's value: the link, then the chunk (series.ts)

const ENGINE_TUNING: Partial<EngineOptions> = {
  blockBytes: 256,
  compaction: { level0CompactionTrigger: 2, level0SlowdownTrigger: 4, level0StopTrigger: 8, levelBaseBytes: 8 * 1024, levelSizeRatio: 3, targetFileBytes: 2048, tombstoneDensity: 0.3 },
  cacheBytes: 32 * 1024,
  openTablesMax: 4,
};

/** Over the whole file: what the runs exercised, to assert that they did. */
const tally = {
  runs: 0, commands: 0, errors: 0, crashes: 0, reopens: 0, compacts: 0, flushes: 0, seals: 0, sealedSamples: 0, trimmedSamples: 0,
  lateSamples: 0, upserts: 0, rulesCreated: 0, bucketsWritten: 0, deletes: 0, deletedSamples: 0, rangeChecks: 0, chunksMax: 0,
  multiChunkDeletes: 0, pastGenerationsDropped: 0,
};

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

// ---- the model ----------------------------------------------------------------------------

interface ModelRule {
  dest: string;
  spec: CompactionRuleSpec;
  state: RuleState;
}

interface ModelSeries {
  samples: Sample[]; // stored, ascending; Sample objects are never mutated (replaced instead)
  retentionMs: number;
  chunkSizeBytes: number;
  encoding: 'compressed' | 'uncompressed';
  policy: DuplicatePolicy | undefined;
  ignore: { maxTimeDiff: number; maxValDiff: number };
  rules: ModelRule[];
  sourceKey: string | undefined;
}

type ModelKeys = Map<string, ModelSeries>;

interface Model {
  keys: ModelKeys;
  /** The states after each write since the last durable one, with the engine sequence of that write. */
  history: { seq: number; keys: ModelKeys }[];
}

function cloneSeries(series: ModelSeries): ModelSeries {
  return {
    ...series,
    samples: series.samples.slice(),
    ignore: { ...series.ignore },
    rules: series.rules.map((rule) => ({ dest: rule.dest, spec: rule.spec, state: { bucketStart: rule.state.bucketStart, context: rule.state.context.clone() } })),
  };
}

function cloneKeys(keys: ModelKeys): ModelKeys {
  return new Map([...keys].map(([key, series]) => [key, cloneSeries(series)]));
}

/** Index of the first sample with ts >= the given one. */
function lowerBound(samples: readonly Sample[], ts: number): number {
  let low = 0;
  let high = samples.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (samples[middle]!.ts < ts) low = middle + 1;
    else high = middle;
  }
  return low;
}

const lastTsOf = (series: ModelSeries): number => series.samples.at(-1)?.ts ?? 0;
const lastValueOf = (series: ModelSeries): number => series.samples.at(-1)?.value ?? 0;

function cutoffOf(series: ModelSeries): number {
  const last = lastTsOf(series);
  return series.retentionMs > 0 && last > series.retentionMs ? last - series.retentionMs : 0;
}

/** Stored samples with max(from, cutoff) <= ts <= to. */
function visible(series: ModelSeries, from: number, to: number): Sample[] {
  const start = Math.max(from, cutoffOf(series));
  if (start > to) return [];
  return series.samples.slice(lowerBound(series.samples, start), lowerBound(series.samples, to + 1));
}

/** What RedisTimeSeries keeps at a duplicate timestamp (the reference, §1.3); undefined: the old value. */
function duplicateValue(policy: DuplicatePolicy, old: number, value: number): number | undefined {
  if (policy === 'block') fail(TS_ERRORS.duplicateBlocked);
  if (Number.isNaN(old) && !Number.isNaN(value)) return value;
  if (!Number.isNaN(old) && Number.isNaN(value)) return undefined;
  if (policy === 'first') return undefined;
  if (policy === 'last') return value;
  if (policy === 'min') return value < old ? value : undefined;
  if (policy === 'max') return value > old ? value : undefined;
  return old + value;
}

class ModelStore {
  constructor(readonly keys: ModelKeys) {}

  get(key: string): ModelSeries | undefined {
    return this.keys.get(key);
  }

  require(key: string): ModelSeries {
    const series = this.keys.get(key);
    if (series === undefined) fail(TS_ERRORS.keyMissing);
    return series;
  }

  create(key: string, options: CreateOptions): ModelSeries {
    const series: ModelSeries = {
      samples: [], retentionMs: options.retentionMs ?? 0, chunkSizeBytes: options.chunkSizeBytes ?? 4096,
      encoding: options.encoding ?? 'compressed', policy: options.duplicatePolicy,
      ignore: { maxTimeDiff: options.ignore?.maxTimeDiff ?? 0, maxValDiff: options.ignore?.maxValDiff ?? 0 },
      rules: [], sourceKey: undefined,
    };
    this.keys.set(key, series);
    return series;
  }

  /** samples.ts writeSample's contract: append, or upsert under policy (retention is the caller's). */
  write(series: ModelSeries, ts: number, value: number, policy: DuplicatePolicy): 'appended' | 'upserted' | 'unchanged' {
    const last = lastTsOf(series);
    if (series.samples.length === 0 || ts > last) {
      series.samples.push({ ts, value });
      return 'appended';
    }
    const at = lowerBound(series.samples, ts);
    const old = series.samples[at]?.ts === ts ? series.samples[at]!.value : undefined;
    const stored = old === undefined ? value : duplicateValue(policy, old, value);
    if (stored === undefined) return 'unchanged';
    if (old === undefined) series.samples.splice(at, 0, { ts, value: stored });
    else series.samples[at] = { ts, value: stored };
    return 'upserted';
  }

  /** deleteReferenceToDeletedSeries. */
  dropDangling(key: string): void {
    const series = this.keys.get(key)!;
    if (series.sourceKey !== undefined) {
      const source = this.keys.get(series.sourceKey);
      if (source === undefined || !source.rules.some((rule) => rule.dest === key)) series.sourceKey = undefined;
    }
    series.rules = series.rules.filter((rule) => this.keys.get(rule.dest)?.sourceKey === key);
  }

  /** internalAdd: retention, IGNORE, the write, then the rules. */
  add(key: string, ts: number, value: number, override: DuplicatePolicy | undefined): number {
    const series = this.require(key);
    const last = lastTsOf(series);
    if (series.retentionMs > 0 && ts < last && series.retentionMs < last - ts) fail(TS_ERRORS.olderThanRetention);
    const policy = override ?? series.policy ?? 'block';
    if (
      policy === 'last' && series.sourceKey === undefined && series.samples.length > 0 && ts >= last &&
      ts - last <= series.ignore.maxTimeDiff && Math.abs(value - lastValueOf(series)) <= series.ignore.maxValDiff
    ) {
      return last;
    }
    const hasRules = series.rules.length > 0;
    if (hasRules) this.dropDangling(key);
    const existed = series.samples[lowerBound(series.samples, ts)]?.ts === ts;
    const outcome = this.write(series, ts, value, policy);
    if (outcome !== 'appended') tally[existed ? 'upserts' : 'lateSamples']++;
    if (outcome === 'appended' && hasRules) this.feed(series, { ts, value });
    else if (outcome === 'upserted' && hasRules) this.revise(series, ts);
    return ts;
  }

  incrBy(key: string, ts: number, delta: number): number {
    const series = this.require(key);
    if (series.samples.length > 0 && ts < lastTsOf(series)) fail(TS_ERRORS.incrTimestampTooOld);
    return this.add(key, ts, (series.samples.length > 0 ? lastValueOf(series) : 0) + delta, 'last');
  }

  private writeBucket(dest: string, sample: Sample): void {
    const destination = this.keys.get(dest);
    if (destination === undefined) return;
    tally.bucketsWritten++;
    this.write(destination, sample.ts, sample.value, 'last');
  }

  private feed(series: ModelSeries, sample: Sample): void {
    for (const rule of series.rules) {
      const closed = appendToRule(rule.spec, rule.state, sample);
      if (closed !== undefined) this.writeBucket(rule.dest, closed);
    }
  }

  /** SeriesCalcRange over the model's visible samples. */
  private recompute(series: ModelSeries, spec: CompactionRuleSpec, start: number, end: number): ReturnType<typeof calcBucketRange> {
    const samples = visible(series, start, Math.min(end, TIMESTAMP_MAX));
    let prev: Sample | undefined;
    let next: Sample | undefined;
    if (spec.aggregation === 'twa') {
      if (start > 0) prev = visible(series, 0, start - 1).at(-1);
      next = visible(series, end >= U64_MAX ? 0 : end + 1, TIMESTAMP_MAX)[0];
    }
    return calcBucketRange(spec, start, end, samples, prev, next);
  }

  /** upsertCompaction. */
  private revise(series: ModelSeries, ts: number): void {
    for (const rule of series.rules) {
      const { bucketDuration, alignment } = rule.spec;
      const current = startOfBucket(lastTsOf(series), bucketDuration, alignment);
      const currentNormalized = normalizeBucketStart(current);
      if (ts >= currentNormalized) {
        rule.state.context = this.recompute(series, rule.spec, currentNormalized, current + bucketDuration - 1).context;
      } else {
        const start = startOfBucket(ts, bucketDuration, alignment);
        const startNormalized = normalizeBucketStart(start);
        const value = this.recompute(series, rule.spec, startNormalized, start + bucketDuration - 1).value ?? 0;
        this.writeBucket(rule.dest, { ts: startNormalized, value });
      }
    }
  }

  /** SeriesDelRange on the samples alone. */
  private deleteSamples(series: ModelSeries, from: number, to: number): number {
    const start = lowerBound(series.samples, from);
    const end = lowerBound(series.samples, to + 1);
    series.samples.splice(start, end - start);
    return end - start;
  }

  /** TS.DEL: SeriesDelRange, then CompactionDelRange. */
  del(key: string, from: number, to: number): number {
    const series = this.require(key);
    if (from > to) return 0;
    const hasRules = series.rules.length > 0;
    if (hasRules && series.retentionMs > 0 && cutoffOf(series) > 0) {
      // RTS's is_valid in TSDB_delete: the start and every rule's bucket of it inside retention
      const cutoff = cutoffOf(series);
      if (from < cutoff) fail(TS_ERRORS.deleteBeyondRetention);
      for (const rule of series.rules) {
        if (normalizeBucketStart(startOfBucket(from, rule.spec.bucketDuration, rule.spec.alignment)) < cutoff) fail(TS_ERRORS.deleteBeyondRetention);
      }
    }
    const lastBefore = lastTsOf(series);
    const deleted = this.deleteSamples(series, from, to);
    if (hasRules) {
      this.dropDangling(key);
      for (const rule of series.rules) this.reviseAfterDelete(series, rule, from, to, lastBefore);
    }
    return deleted;
  }

  private reviseAfterDelete(series: ModelSeries, rule: ModelRule, from: number, to: number, lastBefore: number): void {
    const { bucketDuration, alignment } = rule.spec;
    const current = startOfBucket(lastBefore, bucketDuration, alignment);
    const currentNormalized = normalizeBucketStart(current);
    let latestDeleted = false;
    if (from >= currentNormalized) {
      const recomputed = this.recompute(series, rule.spec, currentNormalized, current + bucketDuration - 1);
      rule.state.context = recomputed.context;
      latestDeleted = recomputed.empty;
    } else {
      const startBucket = startOfBucket(from, bucketDuration, alignment);
      const startNormalized = normalizeBucketStart(startBucket);
      const endBucket = startOfBucket(to, bucketDuration, alignment);
      const endNormalized = normalizeBucketStart(endBucket);
      let deleteFrom: number;
      let deleteTo: number;
      const first = this.recompute(series, rule.spec, startNormalized, startBucket + bucketDuration - 1);
      if (first.empty) {
        deleteFrom = startNormalized;
      } else {
        deleteFrom = startBucket + bucketDuration;
        this.writeBucket(rule.dest, { ts: startNormalized, value: first.value ?? 0 });
      }
      if (to >= currentNormalized) {
        const latest = this.recompute(series, rule.spec, currentNormalized, U64_MAX);
        rule.state.context = latest.context;
        latestDeleted = latest.empty;
        deleteTo = normalizeBucketStart(endBucket - bucketDuration);
      } else {
        const last = this.recompute(series, rule.spec, endNormalized, endBucket + bucketDuration - 1);
        if (last.empty) {
          deleteTo = endNormalized;
        } else {
          deleteTo = normalizeBucketStart(endBucket - bucketDuration);
          this.writeBucket(rule.dest, { ts: endNormalized, value: last.value ?? 0 });
        }
      }
      const destination = this.keys.get(rule.dest);
      if (deleteTo >= deleteFrom && destination !== undefined) this.deleteSamples(destination, deleteFrom, deleteTo);
    }
    if (latestDeleted) {
      let lastTs = 0;
      const destination = this.keys.get(rule.dest);
      if (destination !== undefined && lastBefore > 0) {
        const before = destination.samples.slice(0, lowerBound(destination.samples, lastBefore)).at(-1);
        if (before !== undefined) {
          lastTs = before.ts;
          this.deleteSamples(destination, lastTs, lastTs);
        }
      }
      const windowStart = normalizeBucketStart(startOfBucket(lastTs, bucketDuration, alignment));
      const recomputed = this.recompute(series, rule.spec, windowStart, windowStart + bucketDuration - 1);
      rule.state.context = recomputed.context;
      rule.state.bucketStart = recomputed.empty ? -1 : windowStart;
    }
  }

  createRule(sourceKey: string, destKey: string, spec: CompactionRuleSpec): void {
    if (sourceKey === destKey) fail(TS_ERRORS.ruleSameKey);
    const source = this.require(sourceKey);
    this.dropDangling(sourceKey);
    const destination = this.require(destKey);
    this.dropDangling(destKey);
    if (source.sourceKey !== undefined) fail(TS_ERRORS.ruleSourceHasSource);
    if (destination.sourceKey !== undefined) fail(TS_ERRORS.ruleDestinationHasSource);
    if (destination.rules.length > 0) fail(TS_ERRORS.ruleDestinationHasRules);
    source.rules.push({ dest: destKey, spec, state: newRuleState(spec) });
    destination.sourceKey = sourceKey;
  }

  deleteRule(sourceKey: string, destKey: string): void {
    const source = this.require(sourceKey);
    this.dropDangling(sourceKey);
    const index = source.rules.findIndex((rule) => rule.dest === destKey);
    if (index < 0) fail(TS_ERRORS.ruleMissing);
    source.rules.splice(index, 1);
    const destination = this.keys.get(destKey);
    if (destination !== undefined && destination.sourceKey === sourceKey) destination.sourceKey = undefined;
    this.require(destKey);
  }

  alter(key: string, options: CreateOptions): void {
    const series = this.require(key);
    if (options.retentionMs !== undefined) series.retentionMs = options.retentionMs;
    if (options.chunkSizeBytes !== undefined) series.chunkSizeBytes = options.chunkSizeBytes;
    if (options.duplicatePolicy !== undefined) series.policy = options.duplicatePolicy;
    if (options.ignore !== undefined) series.ignore = { ...options.ignore };
  }

  /** LATEST on key: its source rule's open bucket (series-store latestSample's contract). */
  latest(key: string): Sample | undefined {
    const series = this.keys.get(key)!;
    if (series.sourceKey === undefined) return undefined;
    const source = this.keys.get(series.sourceKey);
    if (source === undefined || source.samples.length === 0) return undefined;
    const rule = source.rules.find((candidate) => candidate.dest === key);
    return rule === undefined ? undefined : latestOfRule(rule.state);
  }
}

// ---- the real side ------------------------------------------------------------------------

interface Real {
  fs: CrashableFileSystem;
  options: EngineOptions;
  engine: Engine;
  keyspace: Keyspace;
  sealer: Sealer;
  rng: () => number; // the checks' random choices (seeded per run)
}

const accessOf = (real: Real): SeriesAccess => ({ keyspace: real.keyspace, db: DB, sealer: real.sealer });

/** A series' stored samples, retention ignored. */
function storedSamples(keyspace: Keyspace, series: Series): Sample[] {
  return [...samplesAscending(keyspace, { ...series, state: { ...series.state, retentionMs: 0 } }, 0, TIMESTAMP_MAX)];
}

function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Reply = number | string | Reply[];

/** Runs fn as a command does: a TimeSeriesError becomes its reply text. */
function replyOf(fn: () => Reply): Reply {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TimeSeriesError) return error.message;
    throw error;
  }
}

/** A refused command leaves nothing: the model's keys change only if fn returns. */
function modelCommand(model: Model, fn: (store: ModelStore) => Reply): Reply {
  const next = cloneKeys(model.keys);
  try {
    const reply = fn(new ModelStore(next));
    model.keys = next;
    return reply;
  } catch (error) {
    if (!(error instanceof TimeSeriesError)) throw error;
    tally.errors++;
    return error.message;
  }
}

/** The storage side of a command: a TimeSeriesError discards what it staged (dispatch). */
function storageCommand(real: Real, fn: (access: SeriesAccess) => Reply): Reply {
  try {
    return fn(accessOf(real));
  } catch (error) {
    if (!(error instanceof TimeSeriesError)) throw error;
    real.keyspace.discardStaged();
    return error.message;
  }
}

function sameReply(a: Reply, b: Reply): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** After a write at engine sequence seq: its state joins the history (dropping what is durable before it). */
function noteWrite(model: Model, real: Real): void {
  model.history.push({ seq: real.engine.sequence(), keys: cloneKeys(model.keys) });
  const durable = real.engine.durableSequence();
  let first = 0;
  for (let index = 0; index < model.history.length; index++) if (model.history[index]!.seq <= durable) first = index;
  if (first > 0) model.history.splice(0, first);
}

function crashCandidates(model: Model, real: Real): ModelKeys[] {
  const durable = real.engine.durableSequence();
  let first = 0;
  for (let index = 0; index < model.history.length; index++) if (model.history[index]!.seq <= durable) first = index;
  return model.history.slice(first).map((entry) => entry.keys);
}

function restart(model: Model, real: Real, keys: ModelKeys): void {
  model.keys = keys;
  model.history = [{ seq: real.engine.sequence(), keys: cloneKeys(keys) }];
}

// ---- timestamps and values, resolved against the model when a step runs -------------------

type TsSpec = { kind: 'next'; delta: number } | { kind: 'back'; delta: number } | { kind: 'existing'; pick: number } | { kind: 'at'; ts: number };

function resolveTs(model: Model, key: string, spec: TsSpec): number {
  const series = model.keys.get(key);
  const last = series === undefined || series.samples.length === 0 ? BASE_TS : lastTsOf(series);
  switch (spec.kind) {
    case 'next':
      return last + spec.delta;
    case 'back':
      return Math.max(0, last - spec.delta);
    case 'existing': {
      const samples = series?.samples ?? [];
      return samples.length === 0 ? last : samples[spec.pick % samples.length]!.ts;
    }
    case 'at':
      return spec.ts;
  }
}

// ---- the commands -------------------------------------------------------------------------

/** A write command: resolve() against the model, then stage, apply to the model, compare replies, commit. */
abstract class WriteStep implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  /** Stages on the storage; returns the reply. */
  abstract storage(real: Real, model: Model): Reply;
  /** Applies to the model; returns the reply. */
  abstract apply(model: Model): Reply;
  resolve(_model: Model): void {}
  async run(model: Model, real: Real): Promise<void> {
    tally.commands++;
    await real.engine.waitForWriteRoom();
    await this.commit(model, real);
    verify(model, real, `after ${this.toString()}`);
  }
  commit(model: Model, real: Real): Promise<void> | undefined {
    this.resolve(model);
    const got = this.storage(real, model);
    const expected = this.apply(model);
    if (!sameReply(got, expected)) throw new Error(`${this.toString()}: replied ${JSON.stringify(got)}, the model says ${JSON.stringify(expected)}`);
    const durable = real.keyspace.commit();
    noteWrite(model, real);
    return durable;
  }
  abstract toString(): string;
}

function describeOptions(options: CreateOptions): string {
  const parts: string[] = [];
  if (options.retentionMs !== undefined) parts.push(`RETENTION ${options.retentionMs}`);
  if (options.chunkSizeBytes !== undefined) parts.push(`CHUNK_SIZE ${options.chunkSizeBytes}`);
  if (options.encoding !== undefined) parts.push(options.encoding.toUpperCase());
  if (options.duplicatePolicy !== undefined) parts.push(`DUPLICATE_POLICY ${options.duplicatePolicy}`);
  if (options.ignore !== undefined) parts.push(`IGNORE ${options.ignore.maxTimeDiff} ${options.ignore.maxValDiff}`);
  return parts.join(' ');
}

class Create extends WriteStep {
  constructor(readonly key: string, readonly options: CreateOptions) { super(); }
  storage(real: Real): Reply {
    return storageCommand(real, (access) => {
      if (access.keyspace.get(DB, b(this.key)) !== undefined) fail(TS_ERRORS.keyExists);
      createSeries(access, b(this.key), this.options);
      return 'OK';
    });
  }
  apply(model: Model): Reply {
    return modelCommand(model, (store) => {
      if (store.get(this.key) !== undefined) fail(TS_ERRORS.keyExists);
      store.create(this.key, this.options);
      return 'OK';
    });
  }
  toString = (): string => `TS.CREATE ${this.key} ${describeOptions(this.options)}`;
}

/** TS.ADD key ts value [ON_DUPLICATE p] [create options]. */
class Add extends WriteStep {
  private ts = 0;
  constructor(readonly key: string, readonly spec: TsSpec, readonly value: number, readonly onDuplicate: DuplicatePolicy | undefined, readonly options: CreateOptions) { super(); }
  override resolve(model: Model): void {
    this.ts = resolveTs(model, this.key, this.spec);
  }
  storage(real: Real): Reply {
    return storageCommand(real, (access) => {
      const key = b(this.key);
      const record = access.keyspace.get(DB, key);
      if (record === undefined) {
        const series = createSeries(access, key, this.options);
        return addSample(access, key, series, this.ts, this.value, undefined);
      }
      if (record.type !== KEY_TYPE.timeseries) fail(TS_ERRORS.notTsdbKey);
      return addSample(access, key, findSeries(access, key)!, this.ts, this.value, this.onDuplicate);
    });
  }
  apply(model: Model): Reply {
    return modelCommand(model, (store) => {
      if (store.get(this.key) === undefined) {
        store.create(this.key, this.options);
        return store.add(this.key, this.ts, this.value, undefined);
      }
      return store.add(this.key, this.ts, this.value, this.onDuplicate);
    });
  }
  toString = (): string => `TS.ADD ${this.key} ${this.ts} (${JSON.stringify(this.spec)}) ${this.value}${this.onDuplicate === undefined ? '' : ` ON_DUPLICATE ${this.onDuplicate}`} ${describeOptions(this.options)}`;
}

/** TS.MADD (key ts value)...: each sample answered on its own, as tsMadd does. */
class MAdd extends WriteStep {
  private resolved: { key: string; ts: number; value: number }[] = [];
  constructor(readonly samples: readonly { key: string; spec: TsSpec; value: number }[], readonly createFirst: CreateOptions | undefined) { super(); }
  override resolve(model: Model): void {
    this.resolveSpecs(model, this.samples.map((sample) => sample.spec));
  }
  protected resolveSpecs(model: Model, specs: readonly TsSpec[]): void {
    this.resolved = this.samples.map((sample, index) => ({ key: sample.key, ts: resolveTs(model, sample.key, specs[index]!), value: sample.value }));
  }
  storage(real: Real): Reply {
    const access = accessOf(real);
    const first = this.resolved[0]!.key;
    if (this.createFirst !== undefined && access.keyspace.get(DB, b(first)) === undefined) createSeries(access, b(first), this.createFirst);
    return this.resolved.map(({ key, ts, value }) => replyOf(() => {
      const record = access.keyspace.get(DB, b(key));
      if (record === undefined || record.type !== KEY_TYPE.timeseries) fail(TS_ERRORS.notTsdbKey);
      return addSample(access, b(key), findSeries(access, b(key))!, ts, value, undefined);
    }));
  }
  apply(model: Model): Reply {
    const first = this.resolved[0]!.key;
    if (this.createFirst !== undefined && !model.keys.has(first)) new ModelStore(model.keys).create(first, this.createFirst);
    return this.resolved.map(({ key, ts, value }) => modelCommand(model, (store) => {
      if (store.get(key) === undefined) fail(TS_ERRORS.notTsdbKey);
      return store.add(key, ts, value, undefined);
    }));
  }
  toString = (): string => {
    const shown = this.resolved.length > 0 ? this.resolved.map(({ key, ts, value }) => `${key} ${ts} ${value}`) : this.samples.map(({ key, spec, value }) => `${key} ${JSON.stringify(spec)} ${value}`);
    return `${this.createFirst === undefined ? '' : `(create ${describeOptions(this.createFirst)}) `}TS.MADD ${shown.length > 8 ? `${shown.slice(0, 8).join(' ')} ... (${shown.length} samples)` : shown.join(' ')}`;
  };
}

class IncrBy extends WriteStep {
  private ts = 0;
  constructor(readonly key: string, readonly delta: number, readonly spec: TsSpec, readonly options: CreateOptions) { super(); }
  override resolve(model: Model): void {
    this.ts = resolveTs(model, this.key, this.spec);
  }
  storage(real: Real): Reply {
    return storageCommand(real, (access) => {
      const key = b(this.key);
      const record = access.keyspace.get(DB, key);
      const series = record === undefined ? createSeries(access, key, this.options) : findSeries(access, key)!;
      return incrementSeries(access, key, series, this.ts, this.delta);
    });
  }
  apply(model: Model): Reply {
    return modelCommand(model, (store) => {
      if (store.get(this.key) === undefined) store.create(this.key, this.options);
      return store.incrBy(this.key, this.ts, this.delta);
    });
  }
  toString = (): string => `TS.INCRBY ${this.key} ${this.delta} TIMESTAMP ${this.ts} (${JSON.stringify(this.spec)})`;
}

class Del extends WriteStep {
  private from = 0;
  private to = 0;
  constructor(readonly key: string, readonly fromSpec: TsSpec, readonly width: number) { super(); }
  override resolve(model: Model): void {
    this.from = resolveTs(model, this.key, this.fromSpec);
    this.to = this.width < 0 ? TIMESTAMP_MAX : this.from + this.width;
  }
  storage(real: Real): Reply {
    return storageCommand(real, (access) => {
      const key = b(this.key);
      const series = requireSeries(access, key);
      if (this.from > this.to) return 0;
      const before = series.state.chunkCount;
      const deleted = deleteRange(access, key, series, this.from, this.to);
      if (before - series.state.chunkCount > 1 || deleted > 0 && before > 1) tally.multiChunkDeletes++;
      return deleted;
    });
  }
  apply(model: Model): Reply {
    const reply = modelCommand(model, (store) => store.del(this.key, this.from, this.to));
    if (typeof reply === 'number') {
      tally.deletes++;
      tally.deletedSamples += reply;
    }
    return reply;
  }
  toString = (): string => `TS.DEL ${this.key} ${this.from} ${this.to === TIMESTAMP_MAX ? '+' : this.to} (${JSON.stringify(this.fromSpec)})`;
}

class CreateRule extends WriteStep {
  constructor(readonly source: string, readonly dest: string, readonly spec: CompactionRuleSpec) { super(); }
  storage(real: Real): Reply {
    return storageCommand(real, (access) => {
      const sourceKey = b(this.source);
      const destKey = b(this.dest);
      if (sourceKey.equals(destKey)) fail(TS_ERRORS.ruleSameKey);
      const source = requireSeries(access, sourceKey);
      dropDanglingReferences(access, sourceKey, source);
      const destination = requireSeries(access, destKey);
      dropDanglingReferences(access, destKey, destination);
      if ((source.state.flags & SERIES_FLAGS.isDestination) !== 0) fail(TS_ERRORS.ruleSourceHasSource);
      if ((destination.state.flags & SERIES_FLAGS.isDestination) !== 0) fail(TS_ERRORS.ruleDestinationHasSource);
      if ((destination.state.flags & SERIES_FLAGS.hasRules) !== 0) fail(TS_ERRORS.ruleDestinationHasRules);
      createRule(access, sourceKey, source, destKey, destination, this.spec);
      return 'OK';
    });
  }
  apply(model: Model): Reply {
    const reply = modelCommand(model, (store) => {
      store.createRule(this.source, this.dest, this.spec);
      return 'OK';
    });
    if (reply === 'OK') tally.rulesCreated++;
    return reply;
  }
  toString = (): string => `TS.CREATERULE ${this.source} ${this.dest} AGGREGATION ${this.spec.aggregation} ${this.spec.bucketDuration} ${this.spec.alignment}`;
}

class DeleteRule extends WriteStep {
  constructor(readonly source: string, readonly dest: string) { super(); }
  storage(real: Real): Reply {
    return storageCommand(real, (access) => {
      const sourceKey = b(this.source);
      const source = requireSeries(access, sourceKey);
      dropDanglingReferences(access, sourceKey, source);
      if (!deleteRule(access, sourceKey, source, b(this.dest))) fail(TS_ERRORS.ruleMissing);
      requireSeries(access, b(this.dest));
      return 'OK';
    });
  }
  apply(model: Model): Reply {
    return modelCommand(model, (store) => {
      store.deleteRule(this.source, this.dest);
      return 'OK';
    });
  }
  toString = (): string => `TS.DELETERULE ${this.source} ${this.dest}`;
}

class Alter extends WriteStep {
  constructor(readonly key: string, readonly options: CreateOptions) { super(); }
  storage(real: Real): Reply {
    return storageCommand(real, (access) => {
      const series = requireSeries(access, b(this.key));
      alterSeries(access, b(this.key), series, this.options);
      return 'OK';
    });
  }
  apply(model: Model): Reply {
    return modelCommand(model, (store) => {
      store.alter(this.key, this.options);
      return 'OK';
    });
  }
  toString = (): string => `TS.ALTER ${this.key} ${describeOptions(this.options)}`;
}

/** DEL key: the series goes; rules naming it dangle until cleared lazily. */
class DelKey extends WriteStep {
  constructor(readonly key: string) { super(); }
  storage(real: Real): Reply {
    return real.keyspace.delete(DB, b(this.key)) ? 1 : 0;
  }
  apply(model: Model): Reply {
    return model.keys.delete(this.key) ? 1 : 0;
  }
  toString = (): string => `DEL ${this.key}`;
}

/**
 * The sealer, committed: sealAll (DEBUG COMPACT's) or sealQueued (the background tick's), with a
 * small budget so series are sealed in parts. Then the model takes what retention trimmed.
 */
class Seal implements fc.AsyncCommand<Model, Real> {
  constructor(readonly queued: boolean, readonly budget: number, readonly rounds: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    tally.seals++;
    await real.engine.waitForWriteRoom();
    for (let round = 0; round < this.rounds; round++) {
      const sealed = this.queued ? real.sealer.sealQueued(real.keyspace, this.budget) : real.sealer.sealAll(real.keyspace, 1, this.budget);
      if (sealed > this.budget) throw new Error(`${this.toString()}: sealed ${sealed} samples`);
      tally.sealedSamples += sealed;
      if (!real.keyspace.hasStaged()) break;
      await real.keyspace.commit();
      adoptTrimming(model, real, this.toString());
      noteWrite(model, real);
    }
    verify(model, real, `after ${this.toString()}`);
  }
  toString = (): string => `seal ${this.queued ? 'queued' : 'all'} budget ${this.budget} x${this.rounds}`;
}

/** After a seal: samples gone from the storage must be older than the series' cutoff; the model drops them too. */
function adoptTrimming(model: Model, real: Real, when: string): void {
  for (const [key, series] of model.keys) {
    const record = real.keyspace.get(DB, b(key));
    if (record === undefined) continue; // verify() reports it
    const stored = storedSamples(real.keyspace, loadSeries(real.keyspace, record));
    if (stored.length === series.samples.length) continue;
    const cutoff = cutoffOf(series);
    const kept = new Set(stored.map((sample) => sample.ts));
    const gone = series.samples.filter((sample) => !kept.has(sample.ts));
    const early = gone.find((sample) => sample.ts >= cutoff);
    if (early !== undefined || gone.length !== series.samples.length - stored.length) {
      throw new Error(`${when}: ${key} lost samples it should keep (cutoff ${cutoff}): ${gone.map((sample) => sample.ts).slice(0, 10).join(', ')}; stored ${stored.length}, model ${series.samples.length}`);
    }
    tally.trimmedSamples += gone.length;
    series.samples = series.samples.filter((sample) => kept.has(sample.ts));
  }
}

class Flush implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    tally.flushes++;
    await real.engine.flush();
    verify(model, real, 'after flush');
  }
  toString = (): string => 'flush';
}

class Compact implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    tally.compacts++;
    const durable = real.engine.durableSequence() === real.engine.sequence(); // every seal's generation too
    await real.engine.compactAll();
    if (durable) checkPastGenerationsDropped(model, real);
    verify(model, real, 'after compaction');
  }
  toString = (): string => 'compact all';
}

/**
 * After a full compaction that began with every write durable: no raw element of a generation a
 * seal left behind (keyspace/garbage.ts drops them) is in the engine, only the current one's.
 */
function checkPastGenerationsDropped(model: Model, real: Real): void {
  for (const key of model.keys.keys()) {
    const record = real.keyspace.get(DB, b(key));
    if (record === undefined) continue; // verify() reports it
    const { rawGeneration } = loadSeries(real.keyspace, record).state;
    const prefix = elementPrefix(record.version, SERIES_KIND.raw);
    for (const item of real.engine.scan({ start: prefix, end: prefixEnd(prefix) })) {
      const generation = item.key.readUInt32BE(prefix.length);
      if (generation !== rawGeneration) throw new Error(`after compaction: ${key} holds a raw element of generation ${generation}, its series is at ${rawGeneration}`);
    }
    tally.pastGenerationsDropped += rawGeneration;
  }
}

class Reopen implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    tally.reopens++;
    await real.engine.close();
    await openReal(real);
    restart(model, real, model.keys);
    verify(model, real, 'after reopen');
  }
  toString = (): string => 'reopen';
}

/** Power loss, optionally with one command committed but not yet acknowledged. */
class Crash implements fc.AsyncCommand<Model, Real> {
  constructor(readonly mode: CrashMode, readonly seed: number, readonly inFlight: WriteStep | undefined, readonly ticks: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    tally.crashes++;
    if (this.inFlight !== undefined) {
      void this.inFlight.commit(model, real)?.catch(() => undefined);
      for (let tick = 0; tick < this.ticks; tick++) await Promise.resolve();
    }
    const candidates = crashCandidates(model, real);
    real.fs.crash({ mode: this.mode, seed: this.seed });
    await openReal(real);
    const found = candidates.map((keys) => contentMismatch(keys, real));
    const index = found.lastIndexOf(undefined);
    if (index < 0) throw new Error(`after crash (${this.mode}): matches none of the ${candidates.length} states since the last durable write: ${found.join(' | ')}`);
    restart(model, real, candidates[index]!);
    verify(model, real, 'after crash');
  }
  toString = (): string => `crash ${this.mode} seed=${this.seed}${this.inFlight === undefined ? '' : ` in flight: ${this.inFlight.toString()} ticks=${this.ticks}`}`;
}

/** Extra range queries on one series (verify() runs one per series after every step). */
class RangeCheck implements fc.AsyncCommand<Model, Real> {
  constructor(readonly key: string, readonly count: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const series = model.keys.get(this.key);
    if (series === undefined) return;
    for (let index = 0; index < this.count; index++) checkRandomRange(real, this.key, series, `range check on ${this.key}`);
  }
  toString = (): string => `${this.count} range checks on ${this.key}`;
}

// ---- the checks ---------------------------------------------------------------------------

function sameValue(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

function sameSamples(a: readonly Sample[], b: readonly Sample[]): string | undefined {
  if (a.length !== b.length) return `${a.length} samples, the model has ${b.length}`;
  for (let index = 0; index < a.length; index++) {
    if (a[index]!.ts !== b[index]!.ts || !sameValue(a[index]!.value, b[index]!.value)) {
      return `sample ${index} is ${a[index]!.ts}=${a[index]!.value}, the model's ${b[index]!.ts}=${b[index]!.value}`;
    }
  }
  return undefined;
}

/** The layout's invariants (series.ts): chunks linked in order without overlap, counts that agree with a walk. */
function structureMismatch(keyspace: Keyspace, series: Series): string | undefined {
  const { state, record } = series;
  let previous: number | undefined;
  let chunks = 0;
  const timestamps = new Set<number>();
  for (const chunk of chunksFrom(keyspace, record.version, 0)) {
    chunks++;
    if (chunk.header.lastTimestamp !== chunk.lastTs) return `chunk ${chunk.lastTs} ends at ${chunk.header.lastTimestamp}`;
    if (chunk.prevLastTs !== previous) return `chunk ${chunk.lastTs} links to ${chunk.prevLastTs}, its predecessor ends at ${previous}`;
    if (previous !== undefined && chunk.header.firstTimestamp <= previous) return `chunk ${chunk.lastTs} starts at ${chunk.header.firstTimestamp}, before its predecessor's end ${previous}`;
    previous = chunk.lastTs;
    const decoded = decodeChunk(chunk.value.subarray(CHUNK_LINK_BYTES));
    if (decoded.timestamps.length !== chunk.header.count) return `chunk ${chunk.lastTs} decodes ${decoded.timestamps.length} samples, its header says ${chunk.header.count}`;
    for (const ts of decoded.timestamps) timestamps.add(ts);
  }
  if (chunks !== state.chunkCount) return `chunkCount ${state.chunkCount}, ${chunks} chunks walked`;
  if (chunks > 0 && state.sealedLastTs !== previous) return `sealedLastTs ${state.sealedLastTs}, the last chunk ends at ${previous}`;
  let raws = 0;
  for (const raw of rawSamples(keyspace, record.version, state.rawGeneration, 0, TIMESTAMP_MAX)) {
    raws++;
    timestamps.add(raw.ts);
  }
  if (raws !== state.rawCount) return `rawCount ${state.rawCount}, ${raws} raw samples walked`;
  if (timestamps.size !== record.count) return `count ${record.count}, ${timestamps.size} distinct timestamps stored`;
  tally.chunksMax = Math.max(tally.chunksMax, chunks);
  return undefined;
}

/** undefined when the keyspace holds exactly the model's series; else what differs. */
function contentMismatch(keys: ModelKeys, real: Real): string | undefined {
  const { keyspace } = real;
  const walked = new Map<string, Series>();
  for (const { key, record } of keyspace.keys(DB)) {
    if (record.type !== KEY_TYPE.timeseries) return `${key.toString('latin1')} is of type ${record.type}`;
    walked.set(key.toString('latin1'), loadSeries(keyspace, record));
  }
  let samplesTotal = 0;
  for (const [key, model] of keys) {
    const series = walked.get(key);
    if (series === undefined) return `${key} is missing (the model holds ${model.samples.length} samples)`;
    walked.delete(key);
    const mismatch = seriesMismatch(model, series, real);
    if (mismatch !== undefined) return `${key}: ${mismatch}`;
    samplesTotal += model.samples.length;
  }
  if (walked.size > 0) return `the keyspace holds series the model does not: ${[...walked.keys()].join(', ')}`;
  const counts = keyspace.seriesCounts(DB);
  if (counts.series !== keys.size || counts.samples !== samplesTotal) return `the keyspace counts ${counts.series} series, ${counts.samples} samples; the model ${keys.size}, ${samplesTotal}`;
  return undefined;
}

function seriesMismatch(model: ModelSeries, series: Series, real: Real): string | undefined {
  const { keyspace } = real;
  const { state, record } = series;
  const stored = storedSamples(keyspace, series);
  const samples = sameSamples(stored, model.samples);
  if (samples !== undefined) return samples;
  if (record.count !== model.samples.length) return `count ${record.count}, the model has ${model.samples.length} samples`;
  if (model.samples.length > 0 && (state.lastTs !== lastTsOf(model) || !sameValue(state.lastValue, lastValueOf(model)))) {
    return `last sample ${state.lastTs}=${state.lastValue}, the model's ${lastTsOf(model)}=${lastValueOf(model)}`;
  }
  if (model.samples.length > 0 && state.firstTs !== model.samples[0]!.ts) return `firstTs ${state.firstTs}, the oldest sample is ${model.samples[0]!.ts}`;
  if (model.samples.length === 0 && state.lastTs !== 0) return `empty, lastTs ${state.lastTs}`;
  if (state.retentionMs !== model.retentionMs) return `retention ${state.retentionMs}, the model's ${model.retentionMs}`;
  if (state.chunkSizeBytes !== model.chunkSizeBytes) return `chunk size ${state.chunkSizeBytes}, the model's ${model.chunkSizeBytes}`;
  if ((state.encoding === SERIES_ENCODING.uncompressed) !== (model.encoding === 'uncompressed')) return `encoding ${state.encoding}, the model's ${model.encoding}`;
  if (state.duplicatePolicy !== model.policy) return `policy ${state.duplicatePolicy}, the model's ${model.policy}`;
  if (state.ignoreMaxTimeDiff !== model.ignore.maxTimeDiff || state.ignoreMaxValDiff !== model.ignore.maxValDiff) return 'IGNORE differs';
  if (((state.flags & SERIES_FLAGS.hasRules) !== 0) !== model.rules.length > 0) return `flags ${state.flags}, the model has ${model.rules.length} rules`;
  if (((state.flags & SERIES_FLAGS.isDestination) !== 0) !== (model.sourceKey !== undefined)) return `flags ${state.flags}, the model's source ${model.sourceKey}`;
  const sourceKey = readLabels(keyspace, series).sourceKey?.toString('latin1');
  if (sourceKey !== model.sourceKey) return `source key ${sourceKey}, the model's ${model.sourceKey}`;
  const rules = readRules(keyspace, series);
  if (rules.length !== model.rules.length) return `${rules.length} rules, the model has ${model.rules.length}`;
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index]!;
    const expected = model.rules[index]!;
    const name = `rule ${index} (${expected.dest} ${expected.spec.aggregation} ${expected.spec.bucketDuration})`;
    if (rule.destKey.toString('latin1') !== expected.dest) return `${name} goes to ${rule.destKey.toString('latin1')}`;
    if (JSON.stringify(rule.spec) !== JSON.stringify(expected.spec)) return `${name} is ${JSON.stringify(rule.spec)}`;
    if (rule.state.bucketStart !== expected.state.bucketStart) return `${name} has its bucket open at ${rule.state.bucketStart}, the model at ${expected.state.bucketStart}`;
    if (!rule.state.context.encode().equals(expected.state.context.encode())) return `${name}'s context ${JSON.stringify(rule.state.context.fields())}, the model's ${JSON.stringify(expected.state.context.fields())}`;
  }
  return structureMismatch(keyspace, series);
}

/** tsInfo's totalSamples, firstTimestamp, lastTimestamp (src/commands/timeseries.ts), on the storage. */
function infoOf(keyspace: Keyspace, series: Series): { totalSamples: number; firstTimestamp: number; lastTimestamp: number } {
  const cutoff = retentionStart(series);
  let hidden = 0;
  let firstTimestamp = series.state.firstTs;
  if (cutoff > 0 && series.record.count > 0 && firstTimestamp < cutoff) {
    for (const _sample of samplesAscending(keyspace, { ...series, state: { ...series.state, retentionMs: 0 } }, 0, cutoff - 1)) hidden++;
    firstTimestamp = samplesAscending(keyspace, series, cutoff, TIMESTAMP_MAX).next().value?.ts ?? 0;
  }
  return {
    totalSamples: series.record.count - hidden,
    firstTimestamp: series.record.count === 0 ? 0 : firstTimestamp,
    lastTimestamp: series.record.count === 0 ? 0 : series.state.lastTs,
  };
}

/**
 * The live state of every series (hot-state.ts's cache) equals the one rebuilt from its stored
 * record and raw samples, as a restart would find it; the rebuilt ones stay cached.
 */
function checkRebuiltState(model: Model, real: Real, when: string): void {
  const { keyspace } = real;
  const live = (key: string) => {
    const { record, state } = loadSeries(keyspace, keyspace.get(DB, b(key))!);
    return JSON.stringify({ count: record.count, state });
  };
  const cached = new Map([...model.keys.keys()].map((key) => [key, live(key)]));
  forgetHotState(keyspace);
  for (const [key, expected] of cached) {
    const rebuilt = live(key);
    if (rebuilt !== expected) throw new Error(`${when}: ${key} rebuilds as ${rebuilt}, cached ${expected}`);
  }
}

/** Every raw buffer of a live series (raw-buffer.ts) holds exactly its raw samples in the engine. */
function checkRawBuffers(model: Model, real: Real, when: string): void {
  const { keyspace } = real;
  const buffers = rawBuffers(keyspace);
  for (const key of model.keys.keys()) {
    const { record: { version }, state } = loadSeries(keyspace, keyspace.get(DB, b(key))!);
    const buffer = buffers.get(version);
    if (buffer === undefined) continue;
    const stored = [...rawSamples(keyspace, version, state.rawGeneration, 0, TIMESTAMP_MAX)];
    const held = buffer.timestamps.map((ts, index) => ({ ts, value: buffer.values[index]! }));
    const same = stored.length === held.length && stored.every((sample, index) => sample.ts === held[index]!.ts && Object.is(sample.value, held[index]!.value));
    if (!same) throw new Error(`${when}: ${key}'s raw buffer holds ${JSON.stringify(held)}, the engine ${JSON.stringify(stored)}`);
  }
}

function verify(model: Model, real: Real, when: string): void {
  const mismatch = contentMismatch(model.keys, real);
  if (mismatch !== undefined) throw new Error(`${when}: ${mismatch}`);
  const { keyspace } = real;
  checkRawBuffers(model, real, when);
  if (real.rng() < 0.3) checkRebuiltState(model, real, when);
  for (const [key, expected] of model.keys) {
    const series = loadSeries(keyspace, keyspace.get(DB, b(key))!);
    const shown = visible(expected, 0, TIMESTAMP_MAX);
    const info = infoOf(keyspace, series);
    const expectedInfo = { totalSamples: shown.length, firstTimestamp: shown[0]?.ts ?? 0, lastTimestamp: lastTsOf(expected) };
    if (JSON.stringify(info) !== JSON.stringify(expectedInfo)) throw new Error(`${when}: TS.INFO ${key} says ${JSON.stringify(info)}, the model ${JSON.stringify(expectedInfo)}`);
    const descending = [...samplesDescending(keyspace, series, 0, TIMESTAMP_MAX)];
    const reversed = sameSamples(descending, shown.slice().reverse());
    if (reversed !== undefined) throw new Error(`${when}: a reverse walk of ${key}: ${reversed}`);
    for (let probe = 0; probe < 3 && expected.samples.length > 0; probe++) {
      const sample = expected.samples[Math.floor(real.rng() * expected.samples.length)]!;
      const value = sampleAt(keyspace, series, sample.ts);
      if (value === undefined || !sameValue(value, sample.value)) throw new Error(`${when}: ${key} at ${sample.ts} reads ${value}, the model ${sample.value}`);
    }
    const latest = latestSample(accessOf(real), b(key), series);
    const expectedLatest = new ModelStore(model.keys).latest(key);
    if ((latest === undefined) !== (expectedLatest === undefined) || (latest !== undefined && (latest.ts !== expectedLatest!.ts || !sameValue(latest.value, expectedLatest!.value)))) {
      throw new Error(`${when}: LATEST on ${key} is ${JSON.stringify(latest)}, the model's ${JSON.stringify(expectedLatest)}`);
    }
    checkRandomRange(real, key, expected, when);
  }
}

/** A TS.RANGE / TS.REVRANGE with random options, run on the storage and on the model's samples. */
function checkRandomRange(real: Real, key: string, expected: ModelSeries, when: string): void {
  const { rng, keyspace } = real;
  const timestamps = expected.samples.map((sample) => sample.ts);
  const low = timestamps[0] ?? BASE_TS;
  const high = timestamps.at(-1) ?? BASE_TS;
  const pick = (): number => (timestamps.length > 0 && rng() < 0.4 ? timestamps[Math.floor(rng() * timestamps.length)]! : Math.max(0, Math.floor(low - 20 + rng() * (high - low + 40))));
  const from = rng() < 0.25 ? '-' : String(pick());
  const to = rng() < 0.25 ? '+' : String(pick());
  const args: string[] = [from, to];
  if (rng() < 0.15) args.push('FILTER_BY_TS', ...Array.from({ length: 1 + Math.floor(rng() * 5) }, () => String(pick())));
  if (rng() < 0.15) {
    const bounds = [Math.floor(rng() * 60) - 30, Math.floor(rng() * 60) - 30].sort((x, y) => x - y);
    args.push('FILTER_BY_VALUE', String(bounds[0]), String(bounds[1]));
  }
  if (rng() < 0.2) args.push('COUNT', String(1 + Math.floor(rng() * 20)));
  if (rng() < 0.6) {
    if (rng() < 0.3) {
      const choices = ['0', String(Math.floor(rng() * 50))];
      if (from !== '-') choices.push('-', 'start');
      if (to !== '+') choices.push('+', 'end');
      args.push('ALIGN', choices[Math.floor(rng() * choices.length)]!);
    }
    args.push('AGGREGATION', AGGREGATION_TYPES[Math.floor(rng() * AGGREGATION_TYPES.length)]!, String(1 + Math.floor(rng() * 80)));
    if (rng() < 0.3) args.push('BUCKETTIMESTAMP', ['start', 'mid', 'end', '-', '~', '+'][Math.floor(rng() * 6)]!);
    if (rng() < 0.3) args.push('EMPTY');
  }
  const reverse = rng() < 0.5;
  const command = `${reverse ? 'TS.REVRANGE' : 'TS.RANGE'} ${key} ${args.join(' ')}`;
  const options = parseRangeOptions([b(reverse ? 'TS.REVRANGE' : 'TS.RANGE'), b(key), ...args.map(b)], 2);
  tally.rangeChecks++;
  const series = loadSeries(keyspace, keyspace.get(DB, b(key))!);
  // the storage's input, as src/commands/timeseries.ts rangeInput builds it (LATEST aside)
  const to64 = Math.min(options.to, TIMESTAMP_MAX);
  const start = Math.max(options.from, retentionStart(series));
  const input: RangeInput = { samples: reverse ? samplesDescending(keyspace, series, options.from, to64) : samplesAscending(keyspace, series, options.from, to64) };
  if (options.aggregation?.type === 'twa') {
    const cutoff = retentionStart(series);
    if (start > cutoff) input.before = samplesDescending(keyspace, series, cutoff, start - 1).next().value ?? undefined;
    if (to64 < TIMESTAMP_MAX) input.after = samplesAscending(keyspace, series, to64 + 1, TIMESTAMP_MAX).next().value ?? undefined;
  }
  const got = take(queryRange(rangeQuery(options, reverse), input), RANGE_OUTPUT_MAX);
  const wanted = take(queryRange(rangeQuery(options, reverse), modelRangeInput(expected.samples, options.from, options.to, reverse, { retentionMs: expected.retentionMs })), RANGE_OUTPUT_MAX);
  const differs = sameSamples(got, wanted);
  if (differs !== undefined) throw new Error(`${when}: ${command}: ${differs}`);
}

function take(samples: Iterable<Sample>, max: number): Sample[] {
  const out: Sample[] = [];
  for (const sample of samples) {
    out.push(sample);
    if (out.length >= max) break;
  }
  return out;
}

async function openReal(real: Real): Promise<void> {
  const garbage = new KeyspaceGarbage();
  real.engine = await Engine.open({ ...real.options, compactionFilter: (key) => garbage.filter(key) });
  real.keyspace = await Keyspace.open(real.engine, { garbage, nowMs: () => 1_000_000 });
  real.sealer = new Sealer(); // the queue lives in memory: a restart forgets it
}

// ---- arbitraries --------------------------------------------------------------------------

const keyArb = fc.constantFrom(...KEYS);
const valueArb = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -20, max: 20 }) },
  { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(Number.NaN) },
);
const policyArb = fc.constantFrom<DuplicatePolicy>(...DUPLICATE_POLICIES);
const optionsArb: fc.Arbitrary<CreateOptions> = fc.record({
  retentionMs: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.integer({ min: 20, max: 400 }) }),
  chunkSizeBytes: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: fc.integer({ min: 6, max: 40 }).map((n) => n * 8) }),
  encoding: fc.constantFrom<'compressed' | 'uncompressed' | undefined>(undefined, 'compressed', 'uncompressed'),
  duplicatePolicy: fc.option(policyArb, { nil: undefined, freq: 3 }),
  ignore: fc.option(fc.record({ maxTimeDiff: fc.integer({ min: 0, max: 5 }), maxValDiff: fc.integer({ min: 0, max: 2 }) }), { nil: undefined, freq: 1 }),
  labels: fc.constant(undefined),
});
const alterArb: fc.Arbitrary<CreateOptions> = fc.record({
  retentionMs: fc.option(fc.oneof(fc.constant(0), fc.integer({ min: 10, max: 400 })), { nil: undefined }),
  chunkSizeBytes: fc.option(fc.integer({ min: 6, max: 40 }).map((n) => n * 8), { nil: undefined }),
  encoding: fc.constant(undefined),
  duplicatePolicy: fc.option(policyArb, { nil: undefined }),
  ignore: fc.option(fc.record({ maxTimeDiff: fc.integer({ min: 0, max: 5 }), maxValDiff: fc.integer({ min: 0, max: 2 }) }), { nil: undefined, freq: 4 }),
  labels: fc.constant(undefined),
});
const tsArb: fc.Arbitrary<TsSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 12 }).map((delta): TsSpec => ({ kind: 'next', delta })) },
  { weight: 1, arbitrary: fc.constant<TsSpec>({ kind: 'next', delta: 0 }) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 300 }).map((delta): TsSpec => ({ kind: 'back', delta })) },
  { weight: 3, arbitrary: fc.nat().map((pick): TsSpec => ({ kind: 'existing', pick })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3000 }).map((ts): TsSpec => ({ kind: 'at', ts })) },
);
/** Many appends at once (with a few late ones): enough raw samples to queue, seal and cut chunks. */
const bulkArb = fc.tuple(keyArb, fc.integer({ min: 20, max: 200 }), fc.integer({ min: 1, max: 4 }), fc.double({ min: 0, max: 0.15, noNaN: true }), optionsArb, fc.integer({ min: 1, max: 1_000_000 }))
  .map(([key, count, step, lateShare, options, seed]) => {
    const rng = createRng(seed);
    const samples = Array.from({ length: count }, (_, index): { key: string; spec: TsSpec; value: number } => ({
      key,
      spec: rng() < lateShare ? { kind: 'back', delta: 1 + Math.floor(rng() * 200) } : { kind: 'at', ts: -1 - index * step },
      value: Math.floor(rng() * 40) - 20,
    }));
    return new BulkAdd(key, samples, options);
  });
/** TS.DEL from a stored sample mostly (or before the last), a few samples wide mostly, or to +. */
const delFromArb: fc.Arbitrary<TsSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((pick): TsSpec => ({ kind: 'existing', pick })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }).map((delta): TsSpec => ({ kind: 'back', delta })) },
);
const delWidthArb = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }) }, { weight: 2, arbitrary: fc.integer({ min: 7, max: 120 }) }, { weight: 1, arbitrary: fc.constant(-1) });
/** Late samples and duplicates of one key in one TS.MADD: many upserts over sealed samples. */
const lateArb = fc.tuple(keyArb, fc.array(fc.tuple(fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 300 }).map((delta): TsSpec => ({ kind: 'back', delta })) },
  { weight: 3, arbitrary: fc.nat().map((pick): TsSpec => ({ kind: 'existing', pick })) },
), valueArb), { minLength: 3, maxLength: 30 }), optionsArb)
  .map(([key, samples, options]) => new MAdd(samples.map(([spec, value]) => ({ key, spec, value })), options));
const specArb: fc.Arbitrary<CompactionRuleSpec> = fc.record({
  aggregation: fc.constantFrom<AggregationType>(...AGGREGATION_TYPES),
  bucketDuration: fc.integer({ min: 3, max: 80 }),
  alignment: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 50 }) }),
});

/** MADD of many samples to one key (created first when missing); 'at' -1 - i means last + (i + 1) * step. */
class BulkAdd extends MAdd {
  constructor(readonly key: string, samples: { key: string; spec: TsSpec; value: number }[], options: CreateOptions) { super(samples, options); }
  override resolve(model: Model): void {
    const series = model.keys.get(this.key);
    let last = series === undefined || series.samples.length === 0 ? BASE_TS : lastTsOf(series);
    const resolved: TsSpec[] = this.samples.map((sample) => {
      if (sample.spec.kind === 'at' && sample.spec.ts < 0) {
        last += 1 + ((-1 - sample.spec.ts) % 4);
        return { kind: 'at', ts: last };
      }
      return sample.spec;
    });
    this.resolveSpecs(model, resolved);
  }
}

const writeSteps: fc.Arbitrary<WriteStep>[] = [
  fc.tuple(keyArb, optionsArb).map(([key, options]) => new Create(key, options)),
  fc.tuple(keyArb, tsArb, valueArb, fc.option(policyArb, { nil: undefined, freq: 2 }), optionsArb).map(([key, ts, value, policy, options]) => new Add(key, ts, value, policy, options)),
  fc.tuple(keyArb, tsArb, valueArb, fc.option(policyArb, { nil: undefined, freq: 2 }), optionsArb).map(([key, ts, value, policy, options]) => new Add(key, ts, value, policy, options)),
  fc.tuple(keyArb, tsArb, valueArb, fc.option(policyArb, { nil: undefined, freq: 2 }), optionsArb).map(([key, ts, value, policy, options]) => new Add(key, ts, value, policy, options)),
  fc.array(fc.record({ key: keyArb, spec: tsArb, value: valueArb }), { minLength: 1, maxLength: 6 }).map((samples) => new MAdd(samples, undefined)),
  bulkArb,
  lateArb,
  fc.tuple(keyArb, fc.integer({ min: -5, max: 5 }), fc.oneof(fc.constant<TsSpec>({ kind: 'next', delta: 0 }), tsArb), optionsArb).map(([key, delta, ts, options]) => new IncrBy(key, delta, ts, options)),
  fc.tuple(keyArb, delFromArb, delWidthArb).map(([key, from, width]) => new Del(key, from, width)),
  fc.tuple(keyArb, delFromArb, delWidthArb).map(([key, from, width]) => new Del(key, from, width)),
  fc.tuple(keyArb, keyArb, specArb).map(([source, dest, spec]) => new CreateRule(source, dest, spec)),
  fc.tuple(keyArb, keyArb, specArb).map(([source, dest, spec]) => new CreateRule(source, dest, spec)),
  fc.tuple(keyArb, keyArb).map(([source, dest]) => new DeleteRule(source, dest)),
  fc.tuple(keyArb, alterArb).map(([key, options]) => new Alter(key, options)),
];

const steps: fc.Arbitrary<fc.AsyncCommand<Model, Real>>[] = [
  ...writeSteps,
  ...writeSteps.slice(1, 7), // samples more often than the rest
  keyArb.map((key) => new DelKey(key)),
  fc.tuple(fc.boolean(), fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constant(100_000)), fc.integer({ min: 1, max: 4 })).map(([queued, budget, rounds]) => new Seal(queued, budget, rounds)),
  fc.tuple(fc.boolean(), fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constant(100_000)), fc.integer({ min: 1, max: 4 })).map(([queued, budget, rounds]) => new Seal(queued, budget, rounds)),
  fc.constant(new Flush()),
  fc.constant(new Compact()),
  fc.constant(new Reopen()),
  fc.tuple(
    fc.constantFrom<CrashMode>('drop', 'keep-random', 'tear', 'zero-fill'),
    fc.integer({ min: 1, max: 1_000_000 }),
    fc.option(fc.oneof(...writeSteps), { nil: undefined }),
    fc.integer({ min: 0, max: 4 }),
  ).map(([mode, seed, inFlight, ticks]) => new Crash(mode, seed, inFlight, ticks)),
  fc.tuple(keyArb, fc.integer({ min: 1, max: 8 })).map(([key, count]) => new RangeCheck(key, count)),
];

/**
 * numRuns runs, but none starts once seconds have passed and runsMin have run. Not fast-check's
 * interruptAfterTimeLimit: on a loaded machine it cut the first run short and failed the property
 * with "interrupted after 0 tests". Each run is bounded by COMMANDS_MAX steps and the test's timeout.
 */
async function runModel(syncPolicy: SyncPolicy, numRuns: number, seconds: number, runsMin: number): Promise<void> {
  const deadlineMs = Date.now() + seconds * 1000;
  await fc.assert(
    fc.asyncProperty(fc.commands(steps, { maxCommands: COMMANDS_MAX, size: 'max', ...commandsReplay() }), fc.integer({ min: 2048, max: 16 * 1024 }), fc.integer(), async (commands, memtableBytesMax, checkSeed) => {
      if (tally.runs >= runsMin && Date.now() > deadlineMs) return;
      tally.runs++;
      const fs = new CrashableFileSystem();
      const options: EngineOptions = { dir: DIR, fs, syncPolicy, memtableBytesMax, ...ENGINE_TUNING };
      const real = { fs, options, rng: createRng(checkSeed) } as Real;
      await openReal(real);
      const model: Model = { keys: new Map(), history: [] };
      restart(model, real, new Map());
      try {
        await fc.asyncModelRun(() => ({ model, real }), commands);
        await new Seal(false, 100_000, 4).run(model, real);
        await new Compact().run(model, real); // the sealed raw generations dropped (checked when durable)
        await new Reopen().run(model, real);
      } finally {
        await real.engine.close().catch(() => undefined);
      }
    }),
    { numRuns, ...replay() },
  );
}

/** TS_MODEL_REPLAY: the counterexample's replayPath comment, with TS_MODEL_SEED and TS_MODEL_PATH. */
function commandsReplay(): { replayPath?: string } {
  const replayPath = process.env['TS_MODEL_REPLAY'];
  return replayPath === undefined ? {} : { replayPath };
}

/** TS_MODEL_SEED and TS_MODEL_PATH replay a failure fast-check reported. */
function replay(): { seed?: number; path?: string } {
  const seed = process.env['TS_MODEL_SEED'];
  const path = process.env['TS_MODEL_PATH'];
  return { ...(seed === undefined ? {} : { seed: Number(seed) }), ...(path === undefined ? {} : { path }) };
}

function resetTally(): void {
  for (const name of Object.keys(tally) as (keyof typeof tally)[]) tally[name] = 0;
}

describe('time series against a model (samples, chunks, rules; seals, crashes, reopens, compactions)', () => {
  it('keeps every acknowledged sample and rule bucket (always), and answers every range as the model does', async () => {
    resetTally();
    await runModel('always', RUNS, SECONDS, Math.min(RUNS, 2));
    console.log(`time series model (always): ${JSON.stringify(tally)}`);
    expect(tally.runs).toBeGreaterThanOrEqual(Math.min(RUNS, 2));
    expect(tally.crashes + tally.reopens).toBeGreaterThan(0);
    expect(tally.sealedSamples).toBeGreaterThan(0);
    expect(tally.lateSamples + tally.upserts).toBeGreaterThan(0);
    expect(tally.chunksMax).toBeGreaterThan(2);
    expect(tally.pastGenerationsDropped).toBeGreaterThan(0);
    if (tally.runs >= 10) expect(tally.rulesCreated * tally.bucketsWritten * tally.trimmedSamples).toBeGreaterThan(0);
  }, (SECONDS + 60) * 1000);

  it('recovers a prefix of the history (no)', async () => {
    resetTally();
    await runModel('no', Math.max(1, Math.floor(RUNS / 2)), SECONDS / 2, 1);
    console.log(`time series model (no): ${JSON.stringify(tally)}`);
    expect(tally.runs).toBeGreaterThanOrEqual(1);
    expect(tally.sealedSamples).toBeGreaterThan(0);
  }, (SECONDS + 60) * 1000);
});
