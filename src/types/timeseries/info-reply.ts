// src/types/timeseries/info-reply.ts: the TS.INFO reply of RedisTimeSeries 1.12 (module.c
// TSDB_info): a flat name/value array in RESP2, a map in RESP3, names as simple strings, in this
// order: totalSamples memoryUsage firstTimestamp lastTimestamp retentionTime chunkCount chunkSize
// chunkType duplicatePolicy labels sourceKey rules ignoreMaxTimeDiff ignoreMaxValDiff, and with
// DEBUG keySelfName and Chunks.
// Invariants: rules are [[dst, bucket, AGG, align], ...] in RESP2 and {dst: [bucket, AGG, align]}
// in RESP3, AGG upper case and a simple string; ignoreMaxValDiff and bytesPerSample go through
// RedisModule_ReplyWithDouble (RESP2: a "%.17g" bulk under Redis 7.0; RESP3: a double);
// bytesPerSample is a C float (size / samples in single precision, 0 for an empty chunk); an
// empty chunk's start and end timestamps are -1.
import { aggregationUpperName, type AggregationType } from './aggregators.js';
import type { DuplicatePolicy, Encoding } from './series-options.js';
import { formatReplyDouble } from './double-format.js';
import { writeInteger, writeLabels, type ReplyWriter } from './reply.js';
import type { Label } from './sample.js';

export interface InfoRule {
  destKey: Buffer;
  bucketDuration: number;
  aggregation: AggregationType;
  alignment: number;
}

export interface InfoChunk {
  startTimestamp: number;
  endTimestamp: number;
  samples: number;
  sizeBytes: number;
}

export interface SeriesInfo {
  /** Samples within retention (RTS subtracts those before the cutoff). */
  totalSamples: number;
  memoryUsage: number;
  /** The first sample within retention (0 for an empty series). */
  firstTimestamp: number;
  lastTimestamp: number;
  retentionTime: number;
  chunkCount: number;
  chunkSize: number;
  chunkType: Encoding;
  /** undefined when the key has none (the module default applies): nil in the reply. */
  duplicatePolicy: DuplicatePolicy | undefined;
  labels: readonly Label[];
  sourceKey: Buffer | undefined;
  /** In creation order. */
  rules: readonly InfoRule[];
  ignoreMaxTimeDiff: number;
  ignoreMaxValDiff: number;
  /** TS.INFO key DEBUG. */
  debug?: { keySelfName: Buffer; chunks: readonly InfoChunk[] } | undefined;
}

function writeDouble(out: ReplyWriter, value: number): void {
  if (out.protocol === 3) out.double(value);
  else out.bulk(formatReplyDouble(value));
}

/** (float)size / samples, as RTS computes bytesPerSample. */
export function bytesPerSample(chunk: InfoChunk): number {
  return chunk.samples === 0 ? 0 : Math.fround(Math.fround(chunk.sizeBytes) / Math.fround(chunk.samples));
}

function writeRules(out: ReplyWriter, rules: readonly InfoRule[]): void {
  if (out.protocol === 3) out.mapHeader(rules.length);
  else out.arrayHeader(rules.length);
  for (const rule of rules) {
    if (out.protocol === 2) out.arrayHeader(4);
    out.bulk(rule.destKey);
    if (out.protocol === 3) out.arrayHeader(3);
    writeInteger(out, rule.bucketDuration);
    out.simple(aggregationUpperName(rule.aggregation));
    writeInteger(out, rule.alignment);
  }
}

function writeChunks(out: ReplyWriter, chunks: readonly InfoChunk[]): void {
  out.arrayHeader(chunks.length);
  for (const chunk of chunks) {
    out.mapHeader(5); // RESP2: a flat array of 10
    out.simple('startTimestamp');
    writeInteger(out, chunk.samples === 0 ? -1 : chunk.startTimestamp);
    out.simple('endTimestamp');
    writeInteger(out, chunk.samples === 0 ? -1 : chunk.endTimestamp);
    out.simple('samples');
    writeInteger(out, chunk.samples);
    out.simple('size');
    writeInteger(out, chunk.sizeBytes);
    out.simple('bytesPerSample');
    writeDouble(out, bytesPerSample(chunk));
  }
}

/** TS.INFO key [DEBUG]. */
export function writeInfo(out: ReplyWriter, info: SeriesInfo): void {
  out.mapHeader(info.debug === undefined ? 14 : 16);
  out.simple('totalSamples');
  writeInteger(out, info.totalSamples);
  out.simple('memoryUsage');
  writeInteger(out, info.memoryUsage);
  out.simple('firstTimestamp');
  writeInteger(out, info.firstTimestamp);
  out.simple('lastTimestamp');
  writeInteger(out, info.lastTimestamp);
  out.simple('retentionTime');
  writeInteger(out, info.retentionTime);
  out.simple('chunkCount');
  writeInteger(out, info.chunkCount);
  out.simple('chunkSize');
  writeInteger(out, info.chunkSize);
  out.simple('chunkType');
  out.simple(info.chunkType);
  out.simple('duplicatePolicy');
  if (info.duplicatePolicy === undefined) out.nullBulk();
  else out.simple(info.duplicatePolicy);
  out.simple('labels');
  writeLabels(out, info.labels);
  out.simple('sourceKey');
  if (info.sourceKey === undefined) out.nullBulk();
  else out.bulk(info.sourceKey);
  out.simple('rules');
  writeRules(out, info.rules);
  out.simple('ignoreMaxTimeDiff');
  writeInteger(out, info.ignoreMaxTimeDiff);
  out.simple('ignoreMaxValDiff');
  writeDouble(out, info.ignoreMaxValDiff);
  if (info.debug === undefined) return;
  out.simple('keySelfName');
  out.bulk(info.debug.keySelfName);
  out.simple('Chunks');
  writeChunks(out, info.debug.chunks);
}
