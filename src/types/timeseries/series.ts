// src/types/timeseries/series.ts: how a time series lies in the keyspace (keyspace/layout.ts draws
// the metadata and element frames). A series is one aggregate (type KEY_TYPE.timeseries, version V,
// count = the samples it stores, living empty after TS.CREATE); integers big-endian.
//   metadata payload (read by every write, rewritten by all but appends in order: their lastTs,
//   lastValue, firstTs, rawCount and count stay in memory until the next rewrite, hot-state.ts)
//     offset bytes field
//     0      8     lastTs u64        newest sample's timestamp (valid when count > 0)
//     8      8     lastValue f64
//     16     8     firstTs u64       oldest sample's timestamp (valid when count > 0)
//     24     8     sealedLastTs u64  last timestamp of the newest chunk (valid when chunkCount > 0)
//     32     4     rawCount u32      raw samples not yet sealed into chunks
//     36     4     chunkCount u32
//     40     8     retentionMs u64   0 = keep everything
//     48     4     chunkSizeBytes u32
//     52     1     encoding          0 compressed, 1 uncompressed
//     53     1     duplicatePolicy   0 unset (the default: BLOCK), else 1 + its index in DUPLICATE_POLICIES
//     54     1     flags             bit 0: has compaction rules; bit 1: is a rule's destination
//     55     8     ignoreMaxTimeDiff u64
//     63     8     ignoreMaxValDiff f64
//     71     4     rawGeneration u32 the generation G of the raw samples (0 for a new series)
//   elements of V ([ELEMENT_NAMESPACE][V][kind][tail])
//     kind 1 CHUNK  [lastTs u64]  -> [prevLastTs u64 + 1, 0 = first chunk][chunk-codec bytes]
//     kind 2 RAW    [G u32][ts u64] -> value f64: a sample not yet in a chunk (the head, late ones)
//     kind 3 RULE   [dest key]    -> compaction rule (rules.ts)
//     kind 4 LABELS               -> labels and source key (encodeSeriesLabels)
//     kind 5 GENERATION           -> G u32, as the metadata's rawGeneration (absent while G is 0)
// Invariants:
// - Chunks never overlap in time and are keyed by their last timestamp, so the chunks holding
//   [from, to] are those from the first with lastTs >= from up to the first with firstTs > to;
//   each names its predecessor's last timestamp, so a reverse walk is point lookups.
// - A raw sample at a timestamp a chunk also holds is newer and wins (an upsert not yet folded).
// - count = distinct timestamps stored (chunks and raw, a raw sample over a chunk's counted once).
// - The raw samples are the RAW elements of generation G alone. A seal that folds all of them
//   writes their chunks, G + 1 in the metadata and G + 1 in the GENERATION element in one batch
//   and deletes none: the RAW elements of older generations are never read nor written again, and
//   flushes and compactions drop them (keyspace/garbage.ts, once the GENERATION element holding a
//   higher G is durable). A seal of only some of them deletes those one by one and keeps G.
import assert from 'node:assert/strict';
import type { KeyRecord } from '../../keyspace/keyspace.js';
import { registerGenerations } from '../../keyspace/garbage.js';
import { writeWordBE } from '../../keyspace/hash64.js';
import { ELEMENT_NAMESPACE, KEY_TYPE, NAMESPACE_BYTES, VERSION_BYTES, elementPrefix, readU64BE, writeU64BE, writeU64BEUnchecked } from '../../keyspace/layout.js';
import type { Label } from './sample.js';
import { DUPLICATE_POLICIES, type DuplicatePolicy } from './series-options.js';

export const SERIES_KIND = { chunk: 1, raw: 2, rule: 3, labels: 4, generation: 5 } as const;
registerGenerations(SERIES_KIND.raw, SERIES_KIND.generation); // older raw generations: garbage
export const SERIES_ENCODING = { compressed: 0, uncompressed: 1 } as const;
export const SERIES_FLAGS = { hasRules: 0x01, isDestination: 0x02 } as const;
export const CHUNK_SIZE_DEFAULT = 4096;
export const SERIES_PAYLOAD_BYTES = 75;
/** Raw generations stop here (a u32 in keys; a seal of every raw sample at it deletes them instead). */
export const RAW_GENERATION_MAX = 0xffffffff;
/** Timestamps are u64 in RedisTimeSeries; tskv keeps them as JS numbers up to 2^53 - 1. */
export const TIMESTAMP_MAX = Number.MAX_SAFE_INTEGER;

export interface SeriesState {
  lastTs: number;
  lastValue: number;
  firstTs: number;
  sealedLastTs: number;
  rawCount: number;
  chunkCount: number;
  retentionMs: number;
  chunkSizeBytes: number;
  encoding: number;
  duplicatePolicy: DuplicatePolicy | undefined;
  flags: number;
  ignoreMaxTimeDiff: number;
  ignoreMaxValDiff: number;
  rawGeneration: number;
}

/** A series as the write and read paths use it: its record and its decoded state. */
export interface Series {
  record: KeyRecord; // count = samples
  state: SeriesState;
}

export function defaultSeriesState(): SeriesState {
  return {
    lastTs: 0, lastValue: 0, firstTs: 0, sealedLastTs: 0, rawCount: 0, chunkCount: 0, retentionMs: 0,
    chunkSizeBytes: CHUNK_SIZE_DEFAULT, encoding: SERIES_ENCODING.compressed, duplicatePolicy: undefined, flags: 0,
    ignoreMaxTimeDiff: 0, ignoreMaxValDiff: 0, rawGeneration: 0,
  };
}

export function encodeSeriesState(state: SeriesState): Buffer {
  const bytes = Buffer.allocUnsafe(SERIES_PAYLOAD_BYTES);
  writeU64BE(bytes, state.lastTs, 0);
  bytes.writeDoubleBE(state.lastValue, 8);
  writeU64BE(bytes, state.firstTs, 16);
  writeU64BE(bytes, state.sealedLastTs, 24);
  bytes.writeUInt32BE(state.rawCount, 32);
  bytes.writeUInt32BE(state.chunkCount, 36);
  writeU64BE(bytes, state.retentionMs, 40);
  bytes.writeUInt32BE(state.chunkSizeBytes, 48);
  bytes[52] = state.encoding;
  bytes[53] = state.duplicatePolicy === undefined ? 0 : DUPLICATE_POLICIES.indexOf(state.duplicatePolicy) + 1;
  bytes[54] = state.flags;
  writeU64BE(bytes, state.ignoreMaxTimeDiff, 55);
  bytes.writeDoubleBE(state.ignoreMaxValDiff, 63);
  bytes.writeUInt32BE(state.rawGeneration, 71);
  return bytes;
}

export function decodeSeriesState(payload: Buffer): SeriesState {
  if (payload.length !== SERIES_PAYLOAD_BYTES) throw new Error(`a series' metadata holds ${payload.length} bytes, not ${SERIES_PAYLOAD_BYTES}`);
  const policy = payload[53]!;
  return {
    lastTs: readU64BE(payload, 0),
    lastValue: payload.readDoubleBE(8),
    firstTs: readU64BE(payload, 16),
    sealedLastTs: readU64BE(payload, 24),
    rawCount: payload.readUInt32BE(32),
    chunkCount: payload.readUInt32BE(36),
    retentionMs: readU64BE(payload, 40),
    chunkSizeBytes: payload.readUInt32BE(48),
    encoding: payload[52]!,
    duplicatePolicy: policy === 0 ? undefined : DUPLICATE_POLICIES[policy - 1],
    flags: payload[54]!,
    ignoreMaxTimeDiff: readU64BE(payload, 55),
    ignoreMaxValDiff: payload.readDoubleBE(63),
    rawGeneration: payload.readUInt32BE(71),
  };
}

export function seriesOf(record: KeyRecord): Series {
  return { record, state: decodeSeriesState(record.payload) };
}

/** The record to store for a series whose state changed (count is the caller's to keep). */
export function seriesRecord(series: Series): KeyRecord {
  const { type, encoding, expireAtMs, version, count } = series.record; // a literal, not a spread: this runs per sample
  return { type, encoding, expireAtMs, version, count, payload: encodeSeriesState(series.state) };
}

export function newSeriesRecord(version: number, state: SeriesState): KeyRecord {
  return { type: KEY_TYPE.timeseries, encoding: 0, expireAtMs: 0, version, count: 0, payload: encodeSeriesState(state) };
}

const KIND_OFFSET = NAMESPACE_BYTES + VERSION_BYTES;
const GENERATION_BYTES = 4;

/**
 * elementPrefix(version, kind) + [generation u32, when given] + [ts u64], in one buffer. The write
 * path makes one per sample (its raw element): bytes are stored directly, since Buffer's
 * writeUInt32BE range checks made a key about 3x dearer (232 against 70 ns in a loop).
 */
function timestampKey(version: number, kind: number, generation: number | undefined, ts: number): Buffer {
  assert.ok(ts >= 0 && ts <= Number.MAX_SAFE_INTEGER, 'a key timestamp is a u64 below 2^53'); // writeUInt32BE threw
  const at = generation === undefined ? KIND_OFFSET + 1 : KIND_OFFSET + 1 + GENERATION_BYTES;
  const key = Buffer.allocUnsafe(at + 8);
  writeWordBE(key, 0, ELEMENT_NAMESPACE);
  writeU64BEUnchecked(key, version, NAMESPACE_BYTES);
  key[KIND_OFFSET] = kind;
  if (generation !== undefined) writeWordBE(key, KIND_OFFSET + 1, generation);
  writeU64BEUnchecked(key, ts, at);
  return key;
}

export function chunkKey(version: number, lastTs: number): Buffer {
  return timestampKey(version, SERIES_KIND.chunk, undefined, lastTs);
}

/** A raw sample's key: its series' version, the series' raw generation, its timestamp. */
export function rawKey(version: number, generation: number, ts: number): Buffer {
  return timestampKey(version, SERIES_KIND.raw, generation, ts);
}

/** [ELEMENT_NAMESPACE][version][RAW][generation]: every raw sample of that generation starts so. */
export function rawPrefix(version: number, generation: number): Buffer {
  const prefix = Buffer.allocUnsafe(KIND_OFFSET + 1 + GENERATION_BYTES);
  elementPrefix(version, SERIES_KIND.raw).copy(prefix, 0);
  prefix.writeUInt32BE(generation, KIND_OFFSET + 1);
  return prefix;
}

/** The GENERATION element of a version (what keyspace/garbage.ts reads). */
export function generationKey(version: number): Buffer {
  return elementPrefix(version, SERIES_KIND.generation);
}

export function encodeGeneration(generation: number): Buffer {
  const bytes = Buffer.allocUnsafe(GENERATION_BYTES);
  bytes.writeUInt32BE(generation, 0);
  return bytes;
}

/** The timestamp at the end of a chunk or raw element key. */
export function timestampOfKey(key: Buffer): number {
  return readU64BE(key, key.length - 8);
}

export function ruleKey(version: number, destination: Buffer): Buffer {
  return Buffer.concat([elementPrefix(version, SERIES_KIND.rule), destination]);
}

export function labelsKey(version: number): Buffer {
  return elementPrefix(version, SERIES_KIND.labels);
}

/** Labels in their given order, and the key of the series whose rule feeds this one. */
export interface SeriesLabels {
  labels: Label[];
  sourceKey: Buffer | undefined;
}

/** [u32 label count][per label: u32 name bytes, name, u32 value bytes, value][u32 source bytes + 1, source] (latin1). */
export function encodeSeriesLabels(info: SeriesLabels): Buffer {
  const parts: Buffer[] = [];
  const u32 = (value: number) => {
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeUInt32BE(value, 0);
    return bytes;
  };
  parts.push(u32(info.labels.length));
  for (const [name, value] of info.labels) {
    const nameBytes = Buffer.from(name, 'latin1');
    const valueBytes = Buffer.from(value, 'latin1');
    parts.push(u32(nameBytes.length), nameBytes, u32(valueBytes.length), valueBytes);
  }
  parts.push(u32(info.sourceKey === undefined ? 0 : info.sourceKey.length + 1));
  if (info.sourceKey !== undefined) parts.push(info.sourceKey);
  return Buffer.concat(parts);
}

export function decodeSeriesLabels(bytes: Buffer | undefined): SeriesLabels {
  if (bytes === undefined) return { labels: [], sourceKey: undefined };
  let at = 0;
  const u32 = () => {
    const value = bytes.readUInt32BE(at);
    at += 4;
    return value;
  };
  const text = (length: number) => {
    const value = bytes.toString('latin1', at, at + length);
    at += length;
    return value;
  };
  const labels: Label[] = [];
  for (let count = u32(); count > 0; count--) {
    const name = text(u32());
    labels.push([name, text(u32())]);
  }
  const sourceLength = u32();
  const sourceKey = sourceLength === 0 ? undefined : Buffer.from(bytes.subarray(at, at + sourceLength - 1));
  return { labels, sourceKey };
}
