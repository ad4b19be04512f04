// src/types/timeseries/series-options.ts: the arguments of the single-series commands TS.CREATE,
// TS.ALTER, TS.ADD, TS.MADD, TS.INCRBY/DECRBY, TS.GET, TS.INFO and TS.CREATERULE as RedisTimeSeries
// 1.12 parses them (module.c, query_language.c parseCreateArgs and friends). `args` is the whole
// command, args[0] its name.
// Invariants:
// - Keywords are found anywhere (arg-scan.ts argIndex), the key and sample arguments included,
//   and the first occurrence wins. LABELS takes every later argument in pairs (an odd last one is
//   dropped), so it must come last; label names and values may not be empty, values may not hold
//   '(', ')' or ','.
// - Create options are checked in RTS's order, the first failure thrown: LABELS, RETENTION,
//   CHUNK_SIZE, ENCODING (or the bare COMPRESSED / UNCOMPRESSED words, the latter checked first so
//   COMPRESSED wins), DUPLICATE_POLICY, IGNORE. A field is undefined when its keyword is absent
//   (TS.ALTER changes only those present; TS.CREATE uses the module defaults for them).
// - The caller checks arity and the key where RTS does (first failure replied):
//   TS.CREATE: arity (>= 2), options, then 'key already exists'. TS.ALTER: arity, options, key.
//   TS.ADD: arity (>= 4), value, timestamp, then a non-series key ('the key is not a TSDB key'),
//   or the create options when it creates the key, or ON_DUPLICATE when it exists. TS.MADD: arity
//   (>= 4, triples), then per triple value, timestamp, missing or non-series key (the same 'not a
//   TSDB key'). TS.INCRBY: arity (>= 3), create options if the key is missing, WRONGTYPE, amount,
//   timestamp. TS.GET: arity, key, LATEST. TS.INFO: arity, key. TS.CREATERULE: this file's checks,
//   then same key, the keys, the rule conflicts.
import { argIndex, argText, cString, cStringEqualsIgnoreCase, equalsIgnoreCase, parseIntegerArg, parseLongLong, parseTimestampArg } from './arg-scan.js';
import { aggregationUpperName, parseAggregationType, type AggregationType } from './aggregators.js';
import { parseAddValue, parseDoubleArg } from './double-format.js';
import { TS_ERRORS, fail, throwWrongArity } from './errors.js';
import type { Label } from './sample.js';

export const DUPLICATE_POLICIES = ['block', 'first', 'last', 'min', 'max', 'sum'] as const;
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];
export type Encoding = 'compressed' | 'uncompressed';
export const CHUNK_SIZE_BYTES_MIN = 48;
export const CHUNK_SIZE_BYTES_MAX = 1_048_576;

export interface CreateOptions {
  retentionMs: number | undefined;
  chunkSizeBytes: number | undefined;
  encoding: Encoding | undefined;
  duplicatePolicy: DuplicatePolicy | undefined;
  ignore: { maxTimeDiff: number; maxValDiff: number } | undefined;
  /** undefined without LABELS; [] for LABELS with nothing after it (TS.ALTER then clears them). */
  labels: Label[] | undefined;
}

/** DuplicatePolicyFromString: the policy named by the argument (any case), or undefined. */
export function parseDuplicatePolicyName(arg: Buffer): DuplicatePolicy | undefined {
  return DUPLICATE_POLICIES.find((policy) => equalsIgnoreCase(arg, policy));
}

/** ParseDuplicatePolicy for `keyword` (DUPLICATE_POLICY, or ON_DUPLICATE for TS.ADD). */
export function parseDuplicatePolicyOption(args: readonly Buffer[], keyword: 'DUPLICATE_POLICY' | 'ON_DUPLICATE'): DuplicatePolicy | undefined {
  const at = argIndex(args, keyword);
  if (at < 0) return undefined;
  const name = args[at + 1];
  if (name === undefined) fail(TS_ERRORS.duplicatePolicyParse);
  const policy = parseDuplicatePolicyName(name);
  if (policy === undefined) fail(TS_ERRORS.duplicatePolicyUnknown);
  return policy;
}

/** parseLabelsFromArgs. */
export function parseLabelsOption(args: readonly Buffer[]): Label[] | undefined {
  const at = argIndex(args, 'LABELS');
  if (at < 0) return undefined;
  const labels: Label[] = [];
  for (let index = at + 1; index + 1 < args.length; index += 2) {
    const name = args[index] as Buffer;
    const value = args[index + 1] as Buffer;
    if (name.length === 0 || value.length === 0 || /[(),]/.test(cString(value).toString('latin1'))) fail(TS_ERRORS.labelsParse);
    labels.push([argText(name), argText(value)]);
  }
  return labels;
}

function parseRetention(args: readonly Buffer[]): number | undefined {
  const at = argIndex(args, 'RETENTION');
  if (at < 0) return undefined;
  const retention = parseLongLong(args[at + 1]);
  if (retention === undefined) fail(TS_ERRORS.retentionParse);
  if (retention < 0n) fail(TS_ERRORS.retentionNegative);
  return Number(retention);
}

function parseChunkSize(args: readonly Buffer[]): number | undefined {
  const at = argIndex(args, 'CHUNK_SIZE');
  if (at < 0) return undefined;
  const size = parseIntegerArg(args[at + 1]);
  if (size === undefined) fail(TS_ERRORS.chunkSizeParse);
  if (size < CHUNK_SIZE_BYTES_MIN || size > CHUNK_SIZE_BYTES_MAX || size % 8 !== 0) fail(TS_ERRORS.chunkSizeRange);
  return size;
}

function parseEncoding(args: readonly Buffer[]): Encoding | undefined {
  const at = argIndex(args, 'ENCODING');
  if (at > 0) {
    const name = args[at + 1];
    if (name === undefined) throwWrongArity(args);
    if (cStringEqualsIgnoreCase(name, 'uncompressed')) return 'uncompressed';
    if (cStringEqualsIgnoreCase(name, 'compressed')) return 'compressed';
    fail(TS_ERRORS.encodingUnknown);
  }
  if (argIndex(args, 'COMPRESSED') > 0) return 'compressed';
  if (argIndex(args, 'UNCOMPRESSED') > 0) return 'uncompressed';
  return undefined;
}

function parseIgnore(args: readonly Buffer[]): CreateOptions['ignore'] {
  const at = argIndex(args, 'IGNORE');
  if (at < 0) return undefined;
  if (at + 2 >= args.length) fail(TS_ERRORS.ignoreParse);
  const maxTimeDiff = parseLongLong(args[at + 1]);
  const maxValDiff = parseDoubleArg(args[at + 2] as Buffer);
  if (maxTimeDiff === undefined || maxValDiff === undefined) fail(TS_ERRORS.ignoreParse);
  if (maxTimeDiff < 0n || maxValDiff < 0) fail(TS_ERRORS.ignoreNegative);
  return { maxTimeDiff: Number(maxTimeDiff), maxValDiff };
}

/** parseCreateArgs: the options of TS.CREATE / TS.ALTER, and of TS.ADD / TS.INCRBY creating a key. */
export function parseCreateOptions(args: readonly Buffer[]): CreateOptions {
  const labels = parseLabelsOption(args);
  const retentionMs = parseRetention(args);
  const chunkSizeBytes = parseChunkSize(args);
  const encoding = parseEncoding(args);
  const duplicatePolicy = parseDuplicatePolicyOption(args, 'DUPLICATE_POLICY');
  const ignore = parseIgnore(args);
  return { retentionMs, chunkSizeBytes, encoding, duplicatePolicy, ignore, labels };
}

/** A sample's timestamp argument: 'now' for exactly '*'. */
export type TimestampArg = number | 'now';

/** TS.ADD / TS.MADD: value (fast_double_parser), then timestamp; RTS's first failing check throws. */
export function parseAddSample(timestamp: Buffer, value: Buffer): { ts: TimestampArg; value: number } {
  const parsed = parseAddValue(value);
  if (parsed === undefined) fail(TS_ERRORS.invalidValue);
  if (timestamp.length === 1 && timestamp[0] === 0x2a) return { ts: 'now', value: parsed };
  const ts = parseLongLong(timestamp);
  if (ts === undefined) fail(TS_ERRORS.invalidTimestamp);
  if (ts < 0n) fail(TS_ERRORS.negativeTimestamp);
  return { ts: Number(ts), value: parsed };
}

/** TS.INCRBY / TS.DECRBY: the amount (args[2], strtod rules). */
export function parseIncrByAmount(args: readonly Buffer[]): number {
  const amount = args[2] === undefined ? undefined : parseDoubleArg(args[2]);
  if (amount === undefined) fail(TS_ERRORS.invalidIncrement);
  return amount;
}

/**
 * TS.INCRBY / TS.DECRBY: TIMESTAMP's value, 'now' when absent or '*'. RTS reads past the end for
 * a trailing TIMESTAMP and stores negative ones as u64; both are refused here as invalid.
 */
export function parseIncrByTimestamp(args: readonly Buffer[]): TimestampArg {
  const at = argIndex(args, 'TIMESTAMP');
  if (at < 0) return 'now';
  const value = args[at + 1];
  if (value !== undefined && value.length === 1 && value[0] === 0x2a) return 'now';
  const ts = parseTimestampArg(value);
  if (ts === undefined) fail(TS_ERRORS.invalidTimestamp);
  return ts;
}

/** TS.GET key [LATEST]: whether LATEST was given; call after the key checks (RTS's order). */
export function parseGetLatest(args: readonly Buffer[]): boolean {
  if (args.length < 2 || args.length > 3) throwWrongArity(args);
  if (args.length === 2) return false;
  if (argIndex(args, 'LATEST') <= 0) fail(TS_ERRORS.getThirdArgument);
  return true;
}

/** TS.INFO key [DEBUG]: arity (2 or 3 arguments) and DEBUG found from args[1] on (another 3rd argument is ignored). */
export function parseInfoDebug(args: readonly Buffer[]): boolean {
  if (args.length < 2 || args.length > 3) throwWrongArity(args);
  return argIndex(args.slice(1), 'DEBUG') >= 0;
}

export interface RuleOptions {
  aggregation: AggregationType;
  bucketDuration: number;
  alignment: number;
}

/**
 * TS.CREATERULE src dst AGGREGATION agg bucket [align]: arity (6 or 7 arguments, AGGREGATION
 * present), then the aggregation, bucket and alignment errors; the key checks follow in the caller
 * (same key, missing, WRONGTYPE, src has a source, dst has rules, dst has a source).
 */
export function parseCreateRuleOptions(args: readonly Buffer[]): RuleOptions {
  if (args.length !== 6 && args.length !== 7) throwWrongArity(args);
  const at = argIndex(args, 'AGGREGATION');
  if (at <= 0) throwWrongArity(args);
  const { aggregation, bucketDuration } = parseAggregationPair(args, at);
  let alignment = 0;
  if (args.length === 7) {
    const parsed = parseTimestampArg(args[at + 3]);
    if (parsed === undefined) fail(TS_ERRORS.alignTimestampParse);
    alignment = parsed;
  }
  return { aggregation, bucketDuration, alignment };
}

/** The 'agg bucketDuration' pair after AGGREGATION at `at` (RMUtil_ParseArgs "sl"). */
export function parseAggregationPair(args: readonly Buffer[], at: number): { aggregation: AggregationType; bucketDuration: number } {
  const typeArg = args[at + 1];
  const bucket = parseLongLong(args[at + 2]);
  if (typeArg === undefined || bucket === undefined) fail(TS_ERRORS.aggregationParse);
  const aggregation = parseAggregationType(typeArg);
  if (aggregation === undefined) fail(TS_ERRORS.aggregationUnknown);
  if (bucket <= 0n) fail(TS_ERRORS.bucketDurationInvalid);
  return { aggregation, bucketDuration: Number(bucket) };
}

/** The destination key COMPACTION_POLICY creates: key_AGG_bucket, with _align when not 0. */
export function compactionDestinationKey(key: Buffer, rule: RuleOptions): Buffer {
  const suffix = `_${aggregationUpperName(rule.aggregation)}_${rule.bucketDuration}${rule.alignment !== 0 ? `_${rule.alignment}` : ''}`;
  return Buffer.concat([cString(key), Buffer.from(suffix, 'latin1')]);
}

