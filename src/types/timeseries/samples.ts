// src/types/timeseries/samples.ts: a series' samples on the engine (layout in series.ts): appends
// and upserts as raw samples, reads merging chunks and raw samples, TS.DEL, and sealing raw samples
// into compressed chunks.
// Invariants:
// - A write stages its raw sample and the series' new state in the caller's command (one WAL batch;
//   an append in order stages only the raw sample, its state kept by hot-state.ts).
//   An append (ts > lastTs) reads nothing; an upsert reads the one sample at ts (the raw buffer
//   when the series has one, else a raw element; then the chunk holding it: decoded once and kept
//   in a small cache, never re-encoded on this path).
// - Reads see chunks and raw samples merged in timestamp order, a raw sample winning over a chunk's
//   at the same timestamp, and never return a sample older than lastTs - retention.
// - Raw samples are those of the series' raw generation (series.ts); every read and write of them
//   here names it.
// - seal() rewrites only the chunks late samples fall into (cutting one again when they grow it past
//   CHUNK_SPLIT_FACTOR times its size) and appends new ones; in the same batch it moves the series
//   to the next raw generation when it folded every raw sample (the record and the GENERATION
//   element: the folded ones are then garbage, keyspace/garbage.ts), else deletes those it folded,
//   so a crash leaves either the raw samples or the chunks. It takes them from the series' raw
//   buffer (raw-buffer.ts, which every raw sample write here keeps) when there is one, else from
//   an engine scan.
import assert from 'node:assert/strict';
import type { Keyspace } from '../../keyspace/keyspace.js';
import type { ElementReader } from '../../keyspace/snapshot-view.js';
import { elementPrefix, prefixEnd } from '../../keyspace/layout.js';
import { CHUNK_HEADER_BYTES, ChunkEncoder, decodeChunk, readChunkHeader, type ChunkEncoding, type ChunkHeader } from './chunk-codec.js';
import { TS_ERRORS, fail } from './errors.js';
import { bufferRawSample, bufferedRawSamples, bufferedValueAt, dropRawBuffer, shiftRawBuffer, startRawBuffer } from './raw-buffer.js';
import type { Sample } from './sample.js';
import type { DuplicatePolicy } from './series-options.js';
import {
  RAW_GENERATION_MAX, SERIES_ENCODING, SERIES_KIND, TIMESTAMP_MAX, chunkKey, encodeGeneration, generationKey, rawKey, rawPrefix, timestampOfKey,
  type Series,
} from './series.js';

function chunkEncoding(encoding: number): ChunkEncoding {
  return encoding === SERIES_ENCODING.uncompressed ? 'uncompressed' : 'compressed';
}


/** Raw samples of one series past which the sealer folds them into chunks (about a chunk's worth). */
export function sealThreshold(series: Series): number {
  return Math.max(64, Math.floor(series.state.chunkSizeBytes / 2));
}
/** A chunk that late samples grow past this many times chunkSizeBytes is cut again (RTS's SPLIT_FACTOR). */
const CHUNK_SPLIT_FACTOR = 1.2;
/** Decoded chunks kept for upserts and point reads (a late sample's chunk is often the last one's). */
const DECODED_CHUNKS_MAX = 64;
const CHUNK_LINK_BYTES = 8;

interface DecodedChunk {
  lastTs: number;
  bytes: Buffer; // the element's value as read (link + codec bytes), to validate the cache entry
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
}

const decodedCache = new Map<string, DecodedChunk>();

/** A chunk's samples, decoded (or from the cache of recent decodes): never mutate the arrays. */
export function decodedSamples(version: number, chunk: StoredChunk): { timestamps: ArrayLike<number>; values: ArrayLike<number> } {
  return decodeCached(version, chunk.key, chunk.value);
}

function decodeCached(version: number, key: Buffer, value: Buffer): DecodedChunk {
  const cacheKey = `${version}:${key.toString('latin1')}`;
  const cached = decodedCache.get(cacheKey);
  if (cached !== undefined && cached.bytes.equals(value)) {
    decodedCache.delete(cacheKey);
    decodedCache.set(cacheKey, cached); // most recently used last
    return cached;
  }
  const { timestamps, values } = decodeChunk(value.subarray(CHUNK_LINK_BYTES));
  const decoded: DecodedChunk = { lastTs: timestampOfKey(key), bytes: Buffer.from(value), timestamps, values };
  decodedCache.set(cacheKey, decoded);
  if (decodedCache.size > DECODED_CHUNKS_MAX) decodedCache.delete(decodedCache.keys().next().value as string);
  return decoded;
}

export interface StoredChunk {
  key: Buffer;
  value: Buffer;
  lastTs: number;
  prevLastTs: number | undefined;
  header: ChunkHeader;
}

function storedChunk(key: Buffer, value: Buffer): StoredChunk {
  const link = value.readUInt32BE(0) * 2 ** 32 + value.readUInt32BE(4);
  return { key, value, lastTs: timestampOfKey(key), prevLastTs: link === 0 ? undefined : link - 1, header: readChunkHeader(value.subarray(CHUNK_LINK_BYTES)) };
}

export function chunkValue(prevLastTs: number | undefined, bytes: Buffer): Buffer {
  const value = Buffer.allocUnsafe(CHUNK_LINK_BYTES + bytes.length);
  const link = prevLastTs === undefined ? 0 : prevLastTs + 1;
  value.writeUInt32BE(Math.floor(link / 2 ** 32), 0);
  value.writeUInt32BE(link % 2 ** 32, 4);
  bytes.copy(value, CHUNK_LINK_BYTES);
  return value;
}

/** Chunks in time order from the first whose last timestamp is >= from. */
export function* chunksFrom(keyspace: ElementReader, version: number, from: number): Generator<StoredChunk> {
  for (const entry of keyspace.elements(chunkKey(version, from), prefixEnd(elementPrefix(version, SERIES_KIND.chunk)))) {
    yield storedChunk(entry.key, entry.value);
  }
}

function chunkAt(keyspace: ElementReader, version: number, lastTs: number): StoredChunk | undefined {
  const key = chunkKey(version, lastTs);
  const value = keyspace.element(key);
  return value === undefined ? undefined : storedChunk(key, value);
}

/** Raw samples of a raw generation with from <= ts <= to, ascending. */
export function* rawSamples(keyspace: ElementReader, version: number, generation: number, from: number, to: number): Generator<Sample> {
  if (from > to) return;
  const end = to >= TIMESTAMP_MAX ? prefixEnd(rawPrefix(version, generation)) : rawKey(version, generation, to + 1);
  for (const entry of keyspace.elements(rawKey(version, generation, from), end)) yield { ts: timestampOfKey(entry.key), value: entry.value.readDoubleBE(0) };
}

/** The oldest timestamp reads may return: lastTs - retention (RedisTimeSeries keeps that edge). */
export function retentionStart(series: Series): number {
  const { retentionMs, lastTs } = series.state;
  return retentionMs > 0 && lastTs > retentionMs ? lastTs - retentionMs : 0;
}

/** Samples with from <= ts <= to (clipped by retention), ascending. */
export function* samplesAscending(keyspace: ElementReader, series: Series, from: number, to: number): Generator<Sample> {
  const start = Math.max(from, retentionStart(series));
  if (start > to || series.record.count === 0) return;
  const version = series.record.version;
  const raw = rawSamples(keyspace, version, series.state.rawGeneration, start, to);
  try {
    let pending = raw.next();
    if (series.state.chunkCount > 0 && start <= series.state.sealedLastTs) {
      for (const chunk of chunksFrom(keyspace, version, start)) {
        if (chunk.header.firstTimestamp > to) break;
        const decoded = decodeCached(version, chunk.key, chunk.value);
        for (let index = 0; index < decoded.timestamps.length; index++) {
          const ts = decoded.timestamps[index]!;
          if (ts < start) continue;
          if (ts > to) break;
          while (!pending.done && pending.value.ts < ts) {
            yield pending.value;
            pending = raw.next();
          }
          if (!pending.done && pending.value.ts === ts) continue; // the raw sample, newer, comes next
          yield { ts, value: decoded.values[index]! };
        }
      }
    }
    while (!pending.done) {
      yield pending.value;
      pending = raw.next();
    }
  } finally {
    raw.return(undefined); // a reader stopping early (COUNT) closes the raw scan, and its engine snapshot, too
  }
}

/**
 * The first item of a read, its scans closed at once: a read left suspended keeps its engine scan,
 * so an engine snapshot, open for good (older versions kept, compactions deferred).
 */
export function firstOf<T>(items: Generator<T>): T | undefined {
  const first = items.next();
  items.return(undefined as T);
  return first.done === true ? undefined : first.value;
}

/** Samples with from <= ts <= to (clipped by retention), descending: chunks walked back by their links. */
export function* samplesDescending(keyspace: ElementReader, series: Series, from: number, to: number): Generator<Sample> {
  const start = Math.max(from, retentionStart(series));
  if (start > to || series.record.count === 0) return;
  const version = series.record.version;
  const raws = [...rawSamples(keyspace, version, series.state.rawGeneration, start, to)];
  let next = raws.length - 1;
  if (series.state.chunkCount > 0 && start <= series.state.sealedLastTs) {
    let chunk: StoredChunk | undefined = firstOf(chunksFrom(keyspace, version, Math.min(to, series.state.sealedLastTs)));
    while (chunk !== undefined && chunk.lastTs >= start) {
      if (chunk.header.firstTimestamp <= to) {
        const decoded = decodeCached(version, chunk.key, chunk.value);
        for (let index = decoded.timestamps.length - 1; index >= 0; index--) {
          const ts = decoded.timestamps[index]!;
          if (ts > to) continue;
          if (ts < start) break;
          while (next >= 0 && raws[next]!.ts > ts) yield raws[next--]!;
          if (next >= 0 && raws[next]!.ts === ts) continue;
          yield { ts, value: decoded.values[index]! };
        }
      }
      chunk = chunk.prevLastTs === undefined ? undefined : chunkAt(keyspace, version, chunk.prevLastTs);
    }
  }
  while (next >= 0) yield raws[next--]!;
}

/** The stored value at ts (raw first, then the chunk holding it), or undefined. */
export function sampleAt(keyspace: Keyspace, series: Series, ts: number): number | undefined {
  const version = series.record.version;
  return rawValueAt(keyspace, version, rawKey(version, series.state.rawGeneration, ts), ts) ?? chunkValueAt(keyspace, series, ts);
}

/** The raw sample's value at ts (its key given): from the series' raw buffer when it has one, else the engine. */
function rawValueAt(keyspace: Keyspace, version: number, key: Buffer, ts: number): number | undefined {
  const buffered = bufferedValueAt(keyspace, version, ts);
  if (buffered !== undefined) return buffered === null ? undefined : buffered;
  return keyspace.element(key)?.readDoubleBE(0);
}

/** The value at ts in the chunk holding it, or undefined. */
function chunkValueAt(keyspace: Keyspace, series: Series, ts: number): number | undefined {
  if (series.state.chunkCount === 0 || ts > series.state.sealedLastTs) return undefined;
  const chunk = firstOf(chunksFrom(keyspace, series.record.version, ts));
  if (chunk === undefined || chunk.header.firstTimestamp > ts) return undefined;
  const decoded = decodeCached(series.record.version, chunk.key, chunk.value);
  let low = 0;
  let high = decoded.timestamps.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const at = decoded.timestamps[middle]!;
    if (at === ts) return decoded.values[middle]!;
    if (at < ts) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** What a duplicate-timestamp upsert stores under policy (undefined: keep the old value as is). */
function resolveDuplicate(policy: DuplicatePolicy, old: number, value: number): number | undefined {
  if (policy === 'block') fail(TS_ERRORS.duplicateBlocked);
  if (Number.isNaN(old) !== Number.isNaN(value)) return Number.isNaN(old) ? value : undefined; // the non-NaN value wins
  switch (policy) {
    case 'first':
      return undefined;
    case 'last':
      return value;
    case 'min':
      return value < old ? value : undefined;
    case 'max':
      return value > old ? value : undefined;
    case 'sum':
      return old + value;
  }
}

/** Whether a sample at ts appends (past the last one, or the first): writeSample needs no read then. */
export function isAppend(series: Series, ts: number): boolean {
  return series.record.count === 0 || ts > series.state.lastTs;
}

/** An append's change to the series' state and count (the first half of writeSample's append). */
export function noteAppend(series: Series, ts: number, value: number): void {
  const { state, record } = series;
  if (record.count === 0) state.firstTs = ts;
  state.lastTs = ts;
  state.lastValue = value;
  state.rawCount++;
  record.count++;
}

/** An append's raw sample, staged (the second half: the caller stages the record in the same command). */
export function stageAppend(keyspace: Keyspace, series: Series, ts: number, value: number): void {
  keyspace.putElement(rawKey(series.record.version, series.state.rawGeneration, ts), encodeValue(value));
  bufferRawSample(keyspace, series.record.version, ts, value);
}

export type AddOutcome = { kind: 'appended' } | { kind: 'upserted'; value: number; created: boolean } | { kind: 'unchanged' };

/**
 * Stages one sample (SeriesAddSample / SeriesUpsertSample): an append past lastTs, else an upsert
 * under policy. Mutates series (state, count); the caller stores the record. Throws
 * TimeSeriesError for a duplicate under BLOCK, before staging anything. Retention is the
 * caller's to check (internalAdd does; a rule's bucket written into its destination is not
 * checked, as RedisTimeSeries's upsertCompaction does not).
 */
export function writeSample(keyspace: Keyspace, series: Series, ts: number, value: number, policy: DuplicatePolicy): AddOutcome {
  const { state, record } = series;
  if (isAppend(series, ts)) {
    noteAppend(series, ts, value);
    stageAppend(keyspace, series, ts, value);
    return { kind: 'appended' };
  }
  const key = rawKey(record.version, state.rawGeneration, ts);
  const rawOld = rawValueAt(keyspace, record.version, key, ts);
  const old = rawOld ?? chunkValueAt(keyspace, series, ts);
  const stored = old === undefined ? value : resolveDuplicate(policy, old, value);
  if (stored === undefined) return { kind: 'unchanged' };
  const rawBefore = rawOld !== undefined;
  keyspace.putElement(key, encodeValue(stored));
  bufferRawSample(keyspace, record.version, ts, stored);
  if (!rawBefore) state.rawCount++;
  if (old === undefined) record.count++;
  if (ts < state.firstTs) state.firstTs = ts;
  if (ts === state.lastTs) state.lastValue = stored;
  return { kind: 'upserted', value: stored, created: old === undefined };
}

function encodeValue(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeDoubleBE(value, 0);
  return bytes;
}

/** Raw samples one seal() folds at most: its batch stays far below the WAL's record limit. */
export const SEAL_SAMPLES_MAX = 100_000;

/**
 * Folds the oldest raw samples (at most maxSamples, never more than SEAL_SAMPLES_MAX) into chunks
 * (the sealer): late ones into the chunk their timestamp falls in, the rest into new chunks of
 * about chunkSizeBytes; drops chunks wholly past retention. Stages everything; the caller stores
 * the record. Returns how many it folded (rawCount > 0 after it means call again).
 */
export function seal(keyspace: Keyspace, series: Series, maxSamples = SEAL_SAMPLES_MAX): number {
  const { state, record } = series;
  const version = record.version;
  const limit = Math.min(maxSamples, SEAL_SAMPLES_MAX);
  const buffered = bufferedRawSamples(keyspace, version, limit);
  if (buffered !== undefined) assert.equal(buffered.bufferedCount, state.rawCount, 'a raw buffer holds every raw sample');
  // columns, not Sample objects: a seal folds thousands, and reads them three times
  const { timestamps, values } = buffered ?? oldestRawSamples(keyspace, series, limit);
  const count = timestamps.length;
  const all = buffered !== undefined ? count === buffered.bufferedCount : count === state.rawCount && rawSamplesUpTo(keyspace, series, count + 1) === count;
  if (all && state.rawGeneration < RAW_GENERATION_MAX) {
    // every raw sample: the next generation, in this batch, leaves them to compaction
    state.rawGeneration++;
    keyspace.putElement(generationKey(version), encodeGeneration(state.rawGeneration));
  } else {
    for (let index = 0; index < count; index++) keyspace.deleteElement(rawKey(version, state.rawGeneration, timestamps[index]!));
  }
  let index = 0;
  // late samples: into the chunk holding their time (the first with lastTs >= ts); timestamps in a
  // gap before a chunk join it, so chunk keys (last timestamps) and links stay as they are
  while (index < count && state.chunkCount > 0 && timestamps[index]! <= state.sealedLastTs) {
    const chunk = firstOf(chunksFrom(keyspace, version, timestamps[index]!)) as StoredChunk;
    const decoded = decodeChunk(chunk.value.subarray(CHUNK_LINK_BYTES));
    const held = decoded.timestamps.length;
    const merged: SampleColumns = { timestamps: [], values: [] };
    let at = 0;
    for (; index < count && timestamps[index]! <= chunk.lastTs; index++) {
      const ts = timestamps[index]!;
      while (at < held && decoded.timestamps[at]! < ts) pushSample(merged, decoded.timestamps[at]!, decoded.values[at++]!);
      if (at < held && decoded.timestamps[at] === ts) at++; // replaced
      pushSample(merged, ts, values[index]!);
    }
    while (at < held) pushSample(merged, decoded.timestamps[at]!, decoded.values[at++]!);
    rewriteChunk(keyspace, series, chunk, merged);
  }
  // the head: new chunks cut at about chunkSizeBytes, each linked to the one before
  let previous = state.chunkCount > 0 ? state.sealedLastTs : undefined;
  const encoder = new ChunkEncoder(chunkEncoding(state.encoding));
  let chunkLast = 0;
  const flush = (): void => {
    if (encoder.count === 0) return;
    keyspace.putElement(chunkKey(version, chunkLast), chunkValue(previous, encoder.finish()));
    previous = chunkLast;
    state.chunkCount++;
    state.sealedLastTs = chunkLast;
  };
  for (; index < count; index++) {
    const ts = timestamps[index]!;
    const value = values[index]!;
    if (!encoder.tryAppend(ts, value, state.chunkSizeBytes)) {
      flush();
      encoder.append(ts, value); // a chunk's first sample always fits
    }
    chunkLast = ts;
  }
  flush();
  state.rawCount -= count;
  shiftRawBuffer(keyspace, version, count);
  dropExpiredChunks(keyspace, series);
  if (state.rawCount === 0) startRawBuffer(keyspace, version); // from here on the sealer reads no engine scan
  return count;
}

/** How many raw samples the series' generation holds, counted up to max (the scan path's check that a seal takes them all). */
function rawSamplesUpTo(keyspace: Keyspace, series: Series, max: number): number {
  let count = 0;
  for (const _ of rawSamples(keyspace, series.record.version, series.state.rawGeneration, 0, TIMESTAMP_MAX)) if (++count >= max) break;
  return count;
}

/** Samples as two parallel arrays, ascending by timestamp (what seal() folds). */
export interface SampleColumns {
  timestamps: number[];
  values: number[];
}

function pushSample(columns: SampleColumns, ts: number, value: number): void {
  columns.timestamps.push(ts);
  columns.values.push(value);
}

/**
 * The oldest raw samples, at most limit, ascending. Those past the newest chunk (the head) are
 * read first, from sealedLastTs + 1: when they are all of rawCount there is no late one, and the
 * walk never meets the deletes of the raw samples sealed before (which a walk from 0 would step
 * over, in the memtable and the tables not yet compacted, at every seal).
 */
function oldestRawSamples(keyspace: Keyspace, series: Series, limit: number): SampleColumns {
  const { state, record } = series;
  const headFrom = state.chunkCount > 0 ? state.sealedLastTs + 1 : 0;
  const head: SampleColumns = { timestamps: [], values: [] };
  for (const raw of rawSamples(keyspace, record.version, state.rawGeneration, headFrom, TIMESTAMP_MAX)) {
    if (head.timestamps.length >= limit) break;
    pushSample(head, raw.ts, raw.value);
  }
  if (headFrom === 0 || (head.timestamps.length < limit && head.timestamps.length >= state.rawCount)) return head;
  const raws: SampleColumns = { timestamps: [], values: [] };
  for (const raw of rawSamples(keyspace, record.version, state.rawGeneration, 0, headFrom - 1)) {
    if (raws.timestamps.length >= limit) return raws;
    pushSample(raws, raw.ts, raw.value);
  }
  for (let index = 0; index < head.timestamps.length && raws.timestamps.length < limit; index++) pushSample(raws, head.timestamps[index]!, head.values[index]!);
  return raws;
}

/**
 * Writes a chunk's samples back after late ones joined it: in place while the chunk stays within
 * CHUNK_SPLIT_FACTOR times chunkSizeBytes, else cut again at chunkSizeBytes as the head is, each
 * piece keyed by its last timestamp and linked to the one before; the last piece keeps the
 * chunk's key, which its successor's link names.
 */
function rewriteChunk(keyspace: Keyspace, series: Series, chunk: StoredChunk, samples: SampleColumns): void {
  const { state, record } = series;
  const { timestamps, values } = samples;
  const bytes = encodeSamples(samples, state.encoding);
  if (bytes.length - CHUNK_HEADER_BYTES <= state.chunkSizeBytes * CHUNK_SPLIT_FACTOR) {
    keyspace.putElement(chunk.key, chunkValue(chunk.prevLastTs, bytes));
    return;
  }
  assert.equal(timestamps.at(-1), chunk.lastTs, 'a chunk keeps its last timestamp');
  const encoder = new ChunkEncoder(chunkEncoding(state.encoding));
  let previous = chunk.prevLastTs;
  let last = 0;
  const flush = (): void => {
    keyspace.putElement(chunkKey(record.version, last), chunkValue(previous, encoder.finish()));
    previous = last;
    state.chunkCount++;
  };
  for (let index = 0; index < timestamps.length; index++) {
    const ts = timestamps[index]!;
    if (!encoder.tryAppend(ts, values[index]!, state.chunkSizeBytes)) {
      flush();
      encoder.append(ts, values[index]!); // a chunk's first sample always fits
    }
    last = ts;
  }
  flush();
  state.chunkCount--; // the last piece took the chunk's place
}

function encodeSamples(samples: SampleColumns, encoding: number): Buffer {
  const { timestamps, values } = samples;
  const encoder = new ChunkEncoder(chunkEncoding(encoding));
  for (let index = 0; index < timestamps.length; index++) encoder.append(timestamps[index]!, values[index]!);
  return encoder.finish();
}

/**
 * Deletes chunks wholly older than the retention window (RedisTimeSeries trims at a new chunk),
 * never the newest, with the raw samples in their time; the first chunk that stays then links
 * to none, and firstTs moves to the oldest sample left (TS.INFO shows it once retention grows).
 */
function dropExpiredChunks(keyspace: Keyspace, series: Series): void {
  const { state, record } = series;
  const cutoff = retentionStart(series);
  if (cutoff === 0 || state.chunkCount === 0) return;
  const expired: StoredChunk[] = [];
  for (const chunk of chunksFrom(keyspace, record.version, 0)) {
    if (chunk.lastTs >= cutoff || chunk.lastTs === state.sealedLastTs) break;
    expired.push(chunk);
  }
  if (expired.length === 0) return;
  let previous = -1;
  for (const chunk of expired) {
    keyspace.deleteElement(chunk.key);
    state.chunkCount--;
    record.count -= chunk.header.count;
    // raw samples in its time (an upsert or a late sample a partial seal left) go with it
    const raws = [...rawSamples(keyspace, record.version, state.rawGeneration, previous + 1, chunk.lastTs)];
    if (raws.length > 0) {
      dropRawBuffer(keyspace, record.version);
      const held = new Set(decodeChunk(chunk.value.subarray(CHUNK_LINK_BYTES)).timestamps);
      for (const raw of raws) {
        keyspace.deleteElement(rawKey(record.version, state.rawGeneration, raw.ts));
        state.rawCount--;
        if (!held.has(raw.ts)) record.count--;
      }
    }
    previous = chunk.lastTs;
  }
  const first = firstOf(chunksFrom(keyspace, record.version, expired.at(-1)!.lastTs + 1)) as StoredChunk; // the newest stays
  keyspace.putElement(first.key, chunkValue(undefined, first.value.subarray(CHUNK_LINK_BYTES)));
  const firstRaw = firstOf(rawSamples(keyspace, record.version, state.rawGeneration, 0, first.header.firstTimestamp));
  state.firstTs = firstRaw === undefined ? first.header.firstTimestamp : firstRaw.ts;
}

/**
 * TS.DEL from..to: removes raw samples and chunk samples in the range (chunks wholly inside are
 * deleted, the edge ones rewritten); returns how many samples went. Keeps chunk links intact by
 * keeping each surviving chunk's key.
 */
export function deleteSamples(keyspace: Keyspace, series: Series, from: number, to: number): number {
  const { state, record } = series;
  const version = record.version;
  let deleted = 0;
  dropRawBuffer(keyspace, version); // raw samples go, and chunks' kept samples may come back raw
  const rawTimes = new Set<number>();
  for (const raw of [...rawSamples(keyspace, version, state.rawGeneration, from, to)]) {
    keyspace.deleteElement(rawKey(version, state.rawGeneration, raw.ts));
    rawTimes.add(raw.ts);
    state.rawCount--;
    deleted++;
  }
  if (state.chunkCount > 0 && from <= state.sealedLastTs) {
    const affected: StoredChunk[] = [];
    for (const chunk of chunksFrom(keyspace, version, from)) {
      if (chunk.header.firstTimestamp > to) break;
      affected.push(chunk);
    }
    for (const chunk of affected.reverse()) { // newest first: a relink then never meets a stale successor
      const decoded = decodeChunk(chunk.value.subarray(CHUNK_LINK_BYTES));
      const kept: SampleColumns = { timestamps: [], values: [] };
      for (let index = 0; index < decoded.timestamps.length; index++) {
        const ts = decoded.timestamps[index]!;
        if (ts >= from && ts <= to) {
          if (!rawTimes.has(ts)) deleted++;
        } else {
          pushSample(kept, ts, decoded.values[index]!);
        }
      }
      if (kept.timestamps.length === decoded.timestamps.length) continue;
      if (kept.timestamps.at(-1) === chunk.lastTs) {
        keyspace.putElement(chunk.key, chunkValue(chunk.prevLastTs, encodeSamples(kept, state.encoding)));
      } else {
        relinkWithout(keyspace, series, chunk, kept);
      }
    }
  }
  record.count -= deleted;
  refreshEnds(keyspace, series);
  return deleted;
}

/** Removes chunk (or ends it earlier): its successor's link skips it; the kept samples go raw (under any newer raw one). */
function relinkWithout(keyspace: Keyspace, series: Series, chunk: StoredChunk, kept: SampleColumns): void {
  const { state, record } = series;
  keyspace.deleteElement(chunk.key);
  state.chunkCount--;
  for (let index = 0; index < kept.timestamps.length; index++) {
    const key = rawKey(record.version, state.rawGeneration, kept.timestamps[index]!);
    if (keyspace.element(key) !== undefined) continue; // a raw sample there is newer: an upsert not folded yet
    keyspace.putElement(key, encodeValue(kept.values[index]!));
    state.rawCount++;
  }
  const successor = firstOf(chunksFrom(keyspace, record.version, chunk.lastTs + 1));
  if (successor !== undefined) {
    keyspace.putElement(successor.key, chunkValue(chunk.prevLastTs, successor.value.subarray(CHUNK_LINK_BYTES)));
  } else if (chunk.lastTs === state.sealedLastTs) {
    if (chunk.prevLastTs === undefined) state.chunkCount = 0;
    else state.sealedLastTs = chunk.prevLastTs;
  }
}

/** Re-reads firstTs / lastTs / lastValue after a delete. */
function refreshEnds(keyspace: Keyspace, series: Series): void {
  if (series.record.count <= 0) {
    series.record.count = 0;
    series.state.lastTs = 0; // as SeriesDelRange leaves an emptied series
    series.state.lastValue = 0;
    return;
  }
  const first = firstOf(samplesAscending(keyspace, { ...series, state: { ...series.state, retentionMs: 0 } }, 0, TIMESTAMP_MAX));
  if (first !== undefined) series.state.firstTs = first.ts;
  const last = firstOf(samplesDescending(keyspace, { ...series, state: { ...series.state, retentionMs: 0 } }, 0, TIMESTAMP_MAX));
  if (last !== undefined) {
    series.state.lastTs = last.ts;
    series.state.lastValue = last.value;
  }
}
