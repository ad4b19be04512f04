// src/commands/timeseries.ts: the TS.* commands of RedisTimeSeries 1.12 (module.c): TS.CREATE
// TS.ALTER TS.ADD TS.MADD TS.INCRBY TS.DECRBY TS.DEL TS.GET TS.MGET TS.RANGE TS.REVRANGE TS.MRANGE
// TS.MREVRANGE TS.QUERYINDEX TS.INFO TS.CREATERULE TS.DELETERULE. Parsing, aggregation and reply
// shapes are src/types/timeseries/'s pure modules; storage is series-store.ts.
// Invariants:
// - Checks run in RedisTimeSeries's order (series-options.ts's header says it command by command),
//   and a refused command has staged nothing; TS.MADD answers each sample on its own and keeps the
//   samples that passed, as RedisTimeSeries does.
// - Range replies (TS.RANGE, TS.REVRANGE, TS.MRANGE, TS.MREVRANGE: they grow with the data, EMPTY
//   buckets, many series) are built in memory up to limits.replyStreamSamplesMin samples; past
//   that they are streamed (dispatch/reply-stream.ts): read again, in parts, from an engine
//   snapshot taken while the command runs (keyspace/snapshot-view.ts), each part counted and then
//   written (writeSamplesInParts), so no sample count bounds them and the server holds about
//   limits.replyStreamBytesPendingMax of reply per client. Where a reply cannot stream (inside
//   EXEC, CLIENT REPLY OFF/SKIP, a subscribed client) and for TS.MREVRANGE ... GROUPBY (each
//   group's reduced samples are reversed in memory), it stays in memory and stops at
//   TS_REPLY_SAMPLES_MAX samples with an error, before anything is written.
// - A streamed reply whose read fails answers an error while none of it was sent, and closes the
//   client once some was: a half-written reply cannot be repaired (timeseries-stream.ts).
// - Keyspace events as RedisTimeSeries 1.12's, class d (module) unless noted, for writes that
//   succeeded: ts.create, ts.alter, ts.add (TS.ADD, each TS.MADD key), ts.incrby / ts.decrby
//   (class g, as module.c), ts.del, ts.createrule:src + :dest, ts.deleterule:src + :dest.
//   (RedisTimeSeries also sends ts.add:dest for compacted samples and events for failed adds;
//   tskv does not.)
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { CommandError } from '../dispatch/errors.js';
import { KEY_TYPE } from '../keyspace/keyspace.js';
import { TimeSeriesError, TS_ERRORS, fail, throwWrongArity } from '../types/timeseries/errors.js';
import { matches, planIndexQuery, type LabelMatcher } from '../types/timeseries/filters.js';
import { groupLabels, groupSeries, reduceSamples } from '../types/timeseries/groupby.js';
import { writeInfo, type InfoChunk } from '../types/timeseries/info-reply.js';
import { seriesMatching, type IndexedSeries } from '../types/timeseries/label-index.js';
import {
  checkRangeArity, parseDelRange, parseMGetOptions, parseMRangeOptions, parseQueryIndexOptions, parseRangeOptions,
  RANGE_TIMESTAMP_MAX, type MRangeOptions, type RangeOptions,
} from '../types/timeseries/range-options.js';
import { countRange, countSamples, plainQuery, queryRange, rangeQuery, type RangeInput, type RangeQuery } from '../types/timeseries/range-query.js';
import {
  writeInteger, writeLastSample, writeMGet, writeMRange, writeMRangeEntryHead, writeMRangeGroupHead, writeMRangeGrouped, writeMultiHeader, writeQueryIndex,
  writeSamples, writeSamplesInParts, type LabelsShown, type MRangeEntry, type MRangeGroup, type ReplyWriter,
} from '../types/timeseries/reply.js';
import type { Label, Sample } from '../types/timeseries/sample.js';
import { chunksFrom, firstOf, retentionStart, samplesAscending, samplesDescending } from '../types/timeseries/samples.js';
import { sampleRunsAscending } from '../types/timeseries/sample-runs.js';
import {
  parseAddSample, parseCreateOptions, parseCreateRuleOptions, parseDuplicatePolicyOption, parseGetLatest, parseIncrByAmount,
  parseIncrByTimestamp, parseInfoDebug, type TimestampArg,
} from '../types/timeseries/series-options.js';
import {
  addSample, alterSeries, checkDeletePossible, createRule, createSeries, deleteRange, deleteRule, dropDanglingReferences, findSeries, incrementSeries,
  lastSample, latestSample, liveReferences, readLabels, requireSeries, storeSeries, type SeriesAccess,
} from '../types/timeseries/series-store.js';
import { SERIES_ENCODING, SERIES_FLAGS, TIMESTAMP_MAX, type Series } from '../types/timeseries/series.js';
import { loadSeries } from '../types/timeseries/hot-state.js';
import { seriesRecordAt } from '../types/timeseries/record-cache.js';
import { timeseriesType } from '../types/timeseries/module.js';
import { REPLY } from '../../protocol/index.js';
import { EVENT, notify } from '../dispatch/notify.js';
import { replyStreamAllowed } from '../dispatch/reply-stream.js';
import type { ElementReader } from '../keyspace/snapshot-view.js';
import { limits } from '../ops/config.js';
import { streamReply } from './timeseries-stream.js';

/** The most samples one reply may carry (all series of an MRANGE together). */
export const TS_REPLY_SAMPLES_MAX = 16_000_000;
export const TS_REPLY_TOO_BIG = `ERR TSDB: the reply would hold more than ${TS_REPLY_SAMPLES_MAX} samples; narrow the range or use COUNT`;

/**
 * DEBUG COMPACT's first step: every series' raw samples folded into chunks, in batches committed
 * here (each under the sealer's budget), so the compaction that follows sees only chunks.
 */
export function sealEverySeries(ctx: CommandContext): number {
  const { keyspace, sealer } = ctx.server;
  if (keyspace.hasStaged()) return 0;
  let total = 0;
  for (let sealed = sealer.sealAll(keyspace, ctx.server.config.databases); sealed > 0; sealed = sealer.sealAll(keyspace, ctx.server.config.databases)) {
    total += sealed;
    void keyspace.commit()?.catch(() => undefined); // the engine logs a failure; the compaction then refuses too
  }
  if (keyspace.hasStaged()) void keyspace.commit()?.catch(() => undefined);
  return total;
}

function access(ctx: CommandContext): SeriesAccess {
  return { keyspace: ctx.server.keyspace, db: ctx.client.db, sealer: ctx.server.sealer };
}

/** Runs a handler, turning RedisTimeSeries's errors into error replies (staged writes are dropped by dispatch). */
function tsHandler(handler: (ctx: CommandContext, args: Buffer[]) => void) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    try {
      handler(ctx, args);
    } catch (error) {
      if (error instanceof TimeSeriesError) throw new CommandError(error.message);
      throw error;
    }
  };
}

function nowMs(ctx: CommandContext): number {
  return ctx.server.keyspace.now();
}

/**
 * A sample's timestamp: '*' is now; above TIMESTAMP_MAX (2^53 - 1) refused, since a JS number
 * there is rounded and two timestamps would become one sample.
 */
function sampleTimestamp(ts: TimestampArg, now: number): number {
  if (ts === 'now') return now;
  if (ts > TIMESTAMP_MAX) fail(TS_ERRORS.timestampTooLarge);
  return ts;
}

// ---- writes -----------------------------------------------------------------------------------

function tsCreate(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 2) throwWrongArity(args);
  const options = parseCreateOptions(args);
  const key = args[1] as Buffer;
  if (ctx.server.keyspace.get(ctx.client.db, key) !== undefined) fail(TS_ERRORS.keyExists);
  createSeries(access(ctx), key, options);
  notify(ctx, EVENT.module, 'ts.create', key);
  ctx.out.raw(REPLY.ok);
}

function tsAlter(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 2) throwWrongArity(args);
  const options = parseCreateOptions(args); // ENCODING is parsed and ignored, as RedisTimeSeries does
  const key = args[1] as Buffer;
  const store = access(ctx);
  const series = requireSeries(store, key);
  alterSeries(store, key, series, options);
  notify(ctx, EVENT.module, 'ts.alter', key);
  ctx.out.raw(REPLY.ok);
}

/** The series TS.ADD writes: the key's, or one made from the command's create options. */
function seriesForAdd(store: SeriesAccess, key: Buffer, args: Buffer[]): { series: Series; created: boolean } {
  const record = seriesRecordAt(store.keyspace, store.db, key);
  if (record === undefined) return { series: createSeries(store, key, parseCreateOptions(args)), created: true };
  if (record.type !== KEY_TYPE.timeseries) fail(TS_ERRORS.notTsdbKey);
  return { series: loadSeries(store.keyspace, record), created: false };
}

function tsAdd(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 4) throwWrongArity(args);
  const key = args[1] as Buffer;
  const sample = parseAddSample(args[2] as Buffer, args[3] as Buffer);
  const ts = sampleTimestamp(sample.ts, nowMs(ctx));
  const store = access(ctx);
  const { series, created } = seriesForAdd(store, key, args);
  const override = created ? undefined : parseDuplicatePolicyOption(args, 'ON_DUPLICATE');
  writeInteger(ctx.out, addSample(store, key, series, ts, sample.value, override));
  notify(ctx, EVENT.module, 'ts.add', key);
}

function tsMadd(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 4 || (args.length - 1) % 3 !== 0) throwWrongArity(args);
  const store = access(ctx);
  const now = nowMs(ctx); // one clock read per call, as RedisTimeSeries
  ctx.out.arrayHeader((args.length - 1) / 3);
  for (let index = 1; index < args.length; index += 3) {
    const key = args[index] as Buffer;
    try {
      const sample = parseAddSample(args[index + 1] as Buffer, args[index + 2] as Buffer);
      const ts = sampleTimestamp(sample.ts, now);
      const record = seriesRecordAt(store.keyspace, store.db, key);
      if (record === undefined || record.type !== KEY_TYPE.timeseries) fail(TS_ERRORS.notTsdbKey);
      const series = loadSeries(store.keyspace, record);
      writeInteger(ctx.out, addSample(store, key, series, ts, sample.value, undefined));
      notify(ctx, EVENT.module, 'ts.add', key);
    } catch (error) {
      if (!(error instanceof TimeSeriesError)) throw error;
      ctx.server.stats.errorReplies++;
      ctx.out.error(error.message);
    }
  }
}

function tsIncrBy(ctx: CommandContext, args: Buffer[], sign: 1 | -1): void {
  if (args.length < 3) throwWrongArity(args);
  const key = args[1] as Buffer;
  const store = access(ctx);
  const record = store.keyspace.get(store.db, key);
  let series: Series;
  if (record === undefined) {
    const options = parseCreateOptions(args);
    const amount = parseIncrByAmount(args);
    const ts = sampleTimestamp(parseIncrByTimestamp(args), nowMs(ctx));
    series = createSeries(store, key, options);
    writeInteger(ctx.out, incrementSeries(store, key, series, ts, sign * amount));
    return notify(ctx, EVENT.generic, sign === 1 ? 'ts.incrby' : 'ts.decrby', key);
  }
  if (record.type !== KEY_TYPE.timeseries) fail(TS_ERRORS.wrongType);
  series = findSeries(store, key)!;
  const amount = parseIncrByAmount(args);
  const ts = sampleTimestamp(parseIncrByTimestamp(args), nowMs(ctx));
  writeInteger(ctx.out, incrementSeries(store, key, series, ts, sign * amount));
  notify(ctx, EVENT.generic, sign === 1 ? 'ts.incrby' : 'ts.decrby', key);
}

function tsDel(ctx: CommandContext, args: Buffer[]): void {
  const { from, to } = parseDelRange(args);
  const key = args[1] as Buffer;
  const store = access(ctx);
  const series = requireSeries(store, key);
  checkDeletePossible(store.keyspace, series, from);
  if (from > to) ctx.out.integer(0);
  else writeInteger(ctx.out, deleteRange(store, key, series, from, Math.min(to, TIMESTAMP_MAX)));
  notify(ctx, EVENT.module, 'ts.del', key);
}

function tsCreateRule(ctx: CommandContext, args: Buffer[]): void {
  const rule = parseCreateRuleOptions(args);
  const sourceKey = args[1] as Buffer;
  const destKey = args[2] as Buffer;
  if (sourceKey.equals(destKey)) fail(TS_ERRORS.ruleSameKey);
  const store = access(ctx);
  const source = requireSeries(store, sourceKey);
  dropDanglingReferences(store, sourceKey, source);
  const destination = requireSeries(store, destKey);
  dropDanglingReferences(store, destKey, destination);
  if ((source.state.flags & SERIES_FLAGS.isDestination) !== 0) fail(TS_ERRORS.ruleSourceHasSource);
  if ((destination.state.flags & SERIES_FLAGS.isDestination) !== 0) fail(TS_ERRORS.ruleDestinationHasSource);
  if ((destination.state.flags & SERIES_FLAGS.hasRules) !== 0) fail(TS_ERRORS.ruleDestinationHasRules);
  createRule(store, sourceKey, source, destKey, destination, { aggregation: rule.aggregation, bucketDuration: rule.bucketDuration, alignment: rule.alignment });
  notify(ctx, EVENT.module, 'ts.createrule:src', sourceKey);
  notify(ctx, EVENT.module, 'ts.createrule:dest', destKey);
  ctx.out.raw(REPLY.ok);
}

function tsDeleteRule(ctx: CommandContext, args: Buffer[]): void {
  if (args.length !== 3) throwWrongArity(args);
  const sourceKey = args[1] as Buffer;
  const destKey = args[2] as Buffer;
  const store = access(ctx);
  const source = requireSeries(store, sourceKey);
  dropDanglingReferences(store, sourceKey, source);
  if (!deleteRule(store, sourceKey, source, destKey)) fail(TS_ERRORS.ruleMissing);
  requireSeries(store, destKey);
  notify(ctx, EVENT.module, 'ts.deleterule:src', sourceKey);
  notify(ctx, EVENT.module, 'ts.deleterule:dest', destKey);
  ctx.out.raw(REPLY.ok);
}

// ---- reads ------------------------------------------------------------------------------------

function tsGet(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 2 || args.length > 3) throwWrongArity(args);
  const key = args[1] as Buffer;
  const store = access(ctx);
  const series = requireSeries(store, key);
  const latest = parseGetLatest(args);
  // RTS (TSDB_get): LATEST on a rule's destination answers the open bucket whenever there is one
  writeLastSample(ctx.out, (latest ? latestSample(store, key, series) : undefined) ?? lastSample(series));
}

/** What a range reads once, when its command runs: LATEST's open bucket and twa's neighbours. */
interface RangeEdges {
  latest?: Sample | undefined;
  before?: Sample | undefined;
  after?: Sample | undefined;
}

function rangeEdges(store: SeriesAccess, key: Buffer, series: Series, options: RangeOptions): RangeEdges {
  const { keyspace } = store;
  const to = Math.min(options.to, TIMESTAMP_MAX);
  const start = Math.max(options.from, retentionStart(series));
  const edges: RangeEdges = {};
  if (options.latest && options.to > series.state.lastTs) {
    const latest = latestSample(store, key, series);
    if (latest !== undefined && latest.ts >= start && latest.ts <= options.to) edges.latest = latest;
  }
  if (options.aggregation?.type === 'twa') {
    const cutoff = retentionStart(series);
    if (start > cutoff) edges.before = firstOf(samplesDescending(keyspace, series, cutoff, start - 1));
    if (to < TIMESTAMP_MAX) edges.after = firstOf(samplesAscending(keyspace, series, to + 1, TIMESTAMP_MAX));
  }
  return edges;
}

/** What queryRange needs for one pass over one series' range, its samples read through reader (the keyspace or a snapshot). */
function rangeInput(reader: ElementReader, series: Series, options: RangeOptions, reverse: boolean, edges: RangeEdges): RangeInput {
  const to = Math.min(options.to, TIMESTAMP_MAX);
  const samples = reverse ? samplesDescending(reader, series, options.from, to) : samplesAscending(reader, series, options.from, to);
  return { samples, runs: reverse ? undefined : sampleRunsAscending(reader, series, options.from, to), ...edges };
}

/** The samples of one series' range, or undefined past the budget (which counts across series). */
function collectRange(query: RangeQuery, input: RangeInput, budget: { left: number }): Sample[] | undefined {
  const out: Sample[] = [];
  for (const sample of queryRange(query, input)) {
    if (--budget.left < 0) return undefined;
    out.push(sample);
  }
  return out;
}

/**
 * The sample budget of a range reply built in memory: past it the reply is streamed where it may
 * be (dispatch/reply-stream.ts), else refused with TS_REPLY_TOO_BIG.
 */
function replyBudget(streamable: boolean): { left: number } {
  return { left: streamable ? limits.replyStreamSamplesMin : TS_REPLY_SAMPLES_MAX };
}

/**
 * One series' range written in parts from reader: counted first (over forward runs when the query
 * passes samples as they are, the cheap way), then written.
 */
function rangeInParts(out: ReplyWriter, reader: ElementReader, query: RangeQuery, series: Series, options: RangeOptions, reverse: boolean, edges: RangeEdges): Generator<void> {
  const perStep = limits.replyStreamSamplesPerStep;
  const countReverse = reverse && !plainQuery(query);
  return writeSamplesInParts(
    out,
    () => queryRange(query, rangeInput(reader, series, options, reverse, edges)),
    () => countRange(query, rangeInput(reader, series, options, countReverse, edges), perStep * 8),
    perStep,
  );
}

function tsRange(ctx: CommandContext, args: Buffer[], reverse: boolean): void {
  checkRangeArity(args);
  const key = args[1] as Buffer;
  const store = access(ctx);
  const series = requireSeries(store, key);
  const options = parseRangeOptions(args, 2);
  const query = rangeQuery(options, reverse);
  const edges = rangeEdges(store, key, series, options);
  const streamable = replyStreamAllowed(ctx);
  const samples = collectRange(query, rangeInput(store.keyspace, series, options, reverse, edges), replyBudget(streamable));
  if (samples !== undefined) return writeSamples(ctx.out, samples);
  if (!streamable) throw new CommandError(TS_REPLY_TOO_BIG);
  streamReply(ctx, (reader, out) => rangeInParts(out, reader, query, series, options, reverse, edges));
}

/** The series of the db matching every filter, in key byte order, with their labels. */
function seriesFiltered(store: SeriesAccess, matchers: readonly LabelMatcher[]): { key: Buffer; series: Series; labels: Label[] }[] {
  const plan = planIndexQuery(matchers);
  const driver = plan.driver;
  const lookup = { name: driver.label, values: driver.kind === 'contains' ? undefined : driver.values };
  const found: { key: Buffer; series: Series; labels: Label[] }[] = [];
  for (const { key, record } of seriesMatching(store.keyspace, store.db, [lookup]) as IndexedSeries[]) {
    const series = loadSeries(store.keyspace, record);
    const labels = readLabels(store.keyspace, series).labels;
    if (matches(labels, plan.residual)) found.push({ key, series, labels });
  }
  return found;
}

interface RangedSeries {
  key: Buffer;
  series: Series;
  labels: Label[];
  edges: RangeEdges;
}

/** Series heads written per step of a streamed TS.MRANGE (besides the steps of their samples). */
const MRANGE_SERIES_PER_STEP = 64;

function* take(samples: Iterable<Sample>, count: number | undefined): Generator<Sample> {
  let left = count ?? Infinity;
  if (left <= 0) return;
  for (const sample of samples) {
    yield sample;
    if (--left <= 0) return;
  }
}

function tsMRange(ctx: CommandContext, args: Buffer[], reverse: boolean): void {
  const options = parseMRangeOptions(args);
  const store = access(ctx);
  const shown = { withLabels: options.withLabels, selectedLabels: options.selectedLabels };
  // MREVRANGE GROUPBY reverses each group's reduced samples, so it builds them in memory (bounded)
  const streamable = replyStreamAllowed(ctx) && !(reverse && options.groupBy !== undefined);
  const budget = replyBudget(streamable);
  const found: RangedSeries[] = seriesFiltered(store, options.matchers).map((item) => ({ ...item, edges: rangeEdges(store, item.key, item.series, options) }));
  const perStep = limits.replyStreamSamplesPerStep;
  const aggregation = options.aggregation?.type;
  if (options.groupBy === undefined) {
    const query = rangeQuery(options, reverse);
    const entries: MRangeEntry[] = [];
    for (const { key, series, labels, edges } of found) {
      const samples = collectRange(query, rangeInput(store.keyspace, series, options, reverse, edges), budget);
      if (samples === undefined) {
        if (!streamable) throw new CommandError(TS_REPLY_TOO_BIG);
        return streamReply(ctx, function* (reader, out) {
          writeMultiHeader(out, found.length);
          let headsSinceStep = 0;
          for (const item of found) {
            writeMRangeEntryHead(out, item, shown, aggregation);
            yield* rangeInParts(out, reader, query, item.series, options, reverse, item.edges);
            if (++headsSinceStep >= MRANGE_SERIES_PER_STEP) {
              headsSinceStep = 0;
              yield;
            }
          }
        });
      }
      entries.push({ key, labels, samples });
    }
    return writeMRange(ctx.out, entries, shown, aggregation);
  }
  tsMRangeGrouped(ctx, options, options.groupBy, found, streamable, budget, shown, reverse);
}

/** TS.MRANGE / TS.MREVRANGE ... GROUPBY: groupby.ts's steps, in memory or streamed (forward only). */
function tsMRangeGrouped(
  ctx: CommandContext, options: MRangeOptions, groupBy: NonNullable<MRangeOptions['groupBy']>, found: RangedSeries[], streamable: boolean, budget: { left: number },
  shown: LabelsShown, reverse: boolean,
): void {
  const perStep = limits.replyStreamSamplesPerStep;
  const store = access(ctx);
  const { label, reducer } = groupBy;
  const forward = { ...options, count: undefined };
  const forwardQuery = rangeQuery(forward, false);
  const groups = groupSeries(found, label).map((group) => ({
    name: group.name, labels: groupLabels(label, group, reducer), reducer, sources: group.members.map((member) => member.key), members: group.members,
  }));
  const built: MRangeGroup[] = [];
  for (const group of groups) {
    const perMember: Sample[][] = [];
    for (const member of group.members) {
      const samples = collectRange(forwardQuery, rangeInput(store.keyspace, member.series, forward, false, member.edges), budget);
      if (samples === undefined) break;
      perMember.push(samples);
    }
    if (perMember.length < group.members.length) {
      if (!streamable) throw new CommandError(TS_REPLY_TOO_BIG);
      return streamReply(ctx, function* (reader, out) {
        writeMultiHeader(out, groups.length);
        for (const each of groups) {
          writeMRangeGroupHead(out, each, shown);
          const reduced = () => take(reduceSamples(reducer, each.members.map((member) => queryRange(forwardQuery, rangeInput(reader, member.series, forward, false, member.edges)))), options.count);
          yield* writeSamplesInParts(out, reduced, () => countSamples(reduced(), perStep * 8), perStep);
        }
      });
    }
    let samples = [...reduceSamples(reducer, perMember)];
    if (reverse) samples.reverse();
    if (options.count !== undefined) samples = samples.slice(0, options.count);
    built.push({ name: group.name, labels: group.labels, reducer, sources: group.sources, samples });
  }
  writeMRangeGrouped(ctx.out, built, shown);
}

function tsMGet(ctx: CommandContext, args: Buffer[]): void {
  const options = parseMGetOptions(args);
  const store = access(ctx);
  const entries = seriesFiltered(store, options.matchers).map(({ key, series, labels }) => {
    const sample = (options.latest ? latestSample(store, key, series) : undefined) ?? lastSample(series); // as TS.GET
    return { key, labels, sample };
  });
  writeMGet(ctx.out, entries, { withLabels: options.withLabels, selectedLabels: options.selectedLabels });
}

function tsQueryIndex(ctx: CommandContext, args: Buffer[]): void {
  const matchers = parseQueryIndexOptions(args);
  writeQueryIndex(ctx.out, seriesFiltered(access(ctx), matchers).map((entry) => entry.key));
}

function tsInfo(ctx: CommandContext, args: Buffer[]): void {
  if (args.length < 2 || args.length > 3) throwWrongArity(args);
  const key = args[1] as Buffer;
  const store = access(ctx);
  const series = requireSeries(store, key);
  const debug = parseInfoDebug(args);
  const { keyspace } = store;
  const { labels: { labels }, sourceKey, rules } = liveReferences(store, key, series); // RTS drops the dangling ones first
  const cutoff = retentionStart(series);
  let hidden = 0;
  let firstTimestamp = series.state.firstTs;
  if (cutoff > 0 && series.record.count > 0 && firstTimestamp < cutoff) {
    for (const sample of samplesAscending(keyspace, { ...series, state: { ...series.state, retentionMs: 0 } }, 0, cutoff - 1)) {
      hidden++;
      void sample;
    }
    firstTimestamp = firstOf(samplesAscending(keyspace, series, cutoff, TIMESTAMP_MAX))?.ts ?? 0;
  }
  const chunks: InfoChunk[] = [];
  if (debug) {
    for (const chunk of chunksFrom(keyspace, series.record.version, 0)) {
      chunks.push({ startTimestamp: chunk.header.firstTimestamp, endTimestamp: chunk.header.lastTimestamp, samples: chunk.header.count, sizeBytes: chunk.value.length });
    }
  }
  writeInfo(ctx.out, {
    totalSamples: series.record.count - hidden,
    memoryUsage: timeseriesType.memoryUsage(keyspace, series.record, 0),
    firstTimestamp: series.record.count === 0 ? 0 : firstTimestamp,
    lastTimestamp: series.record.count === 0 ? 0 : series.state.lastTs,
    retentionTime: series.state.retentionMs,
    chunkCount: Math.max(1, series.state.chunkCount + (series.state.rawCount > 0 ? 1 : 0)),
    chunkSize: series.state.chunkSizeBytes,
    chunkType: series.state.encoding === SERIES_ENCODING.uncompressed ? 'uncompressed' : 'compressed',
    duplicatePolicy: series.state.duplicatePolicy,
    labels,
    sourceKey,
    rules: rules.map((rule) => ({ destKey: rule.destKey, bucketDuration: rule.spec.bucketDuration, aggregation: rule.spec.aggregation, alignment: rule.spec.alignment })),
    ignoreMaxTimeDiff: series.state.ignoreMaxTimeDiff,
    ignoreMaxValDiff: series.state.ignoreMaxValDiff,
    debug: debug ? { keySelfName: key, chunks } : undefined,
  });
  void storeSeries;
  void RANGE_TIMESTAMP_MAX;
}

// ---- the table --------------------------------------------------------------------------------

const base = { group: 'module', since: '1.0.0', arity: -1 } as const;
const WRITE = ['write', 'denyoom'] as const;
const READ = ['readonly'] as const;

function command(name: string, flags: readonly ('write' | 'denyoom' | 'readonly' | 'fast')[], keys: [number, number, number], summary: string, handler: (ctx: CommandContext, args: Buffer[]) => void): CommandSpec {
  return { ...base, name, flags, firstKey: keys[0], lastKey: keys[1], keyStep: keys[2], summary, handler: tsHandler(handler) };
}

export const timeseriesCommands: CommandSpec[] = [
  command('ts.create', WRITE, [1, 1, 1], 'Create a new time series', tsCreate),
  command('ts.alter', WRITE, [1, 1, 1], 'Update the retention, chunk size, duplicate policy, and labels of an existing time series', tsAlter),
  command('ts.add', WRITE, [1, 1, 1], 'Append a sample to a time series', tsAdd),
  command('ts.madd', WRITE, [1, -1, 3], 'Append new samples to one or more time series', tsMadd),
  command('ts.incrby', WRITE, [1, 1, 1], 'Increase the value of the sample with the maximum existing timestamp, or create a new sample with a value equal to the value of the sample with the maximum existing timestamp with a given increment', (ctx, args) => tsIncrBy(ctx, args, 1)),
  command('ts.decrby', WRITE, [1, 1, 1], 'Decrease the value of the sample with the maximum existing timestamp, or create a new sample with a value equal to the value of the sample with the maximum existing timestamp with a given decrement', (ctx, args) => tsIncrBy(ctx, args, -1)),
  command('ts.del', ['write'], [1, 1, 1], 'Delete all samples between two timestamps for a given time series', tsDel),
  command('ts.createrule', ['write'], [1, 2, 1], 'Create a compaction rule', tsCreateRule),
  command('ts.deleterule', ['write'], [1, 2, 1], 'Delete a compaction rule', tsDeleteRule),
  command('ts.get', READ, [1, 1, 1], 'Get the sample with the highest timestamp from a given time series', tsGet),
  command('ts.mget', READ, [0, 0, 0], 'Get the sample with the highest timestamp from each time series matching a specific filter', tsMGet),
  command('ts.range', READ, [1, 1, 1], 'Query a range in forward direction', (ctx, args) => tsRange(ctx, args, false)),
  command('ts.revrange', READ, [1, 1, 1], 'Query a range in reverse direction', (ctx, args) => tsRange(ctx, args, true)),
  command('ts.mrange', READ, [0, 0, 0], 'Query a range across multiple time series by filters in forward direction', (ctx, args) => tsMRange(ctx, args, false)),
  command('ts.mrevrange', READ, [0, 0, 0], 'Query a range across multiple time-series by filters in reverse direction', (ctx, args) => tsMRange(ctx, args, true)),
  command('ts.queryindex', READ, [0, 0, 0], 'Get all time series keys matching a filter list', tsQueryIndex),
  command('ts.info', READ, [1, 1, 1], 'Returns information and statistics for a time series', tsInfo),
];
