// src/types/timeseries/hot-state.ts: the part of a series' state that every append changes
// (lastTs, lastValue, firstTs, rawCount, count), kept in memory so that an append in order stages
// one element, its raw sample, and no rewrite of the series' record (series.ts); so does a late
// sample newer than the stored record's lastTs (most late samples: the record is written at
// seals). The record is written whole by every other write (older upserts, TS.DEL, TS.ALTER,
// rules, the sealer's seals), and then holds the live state again.
// Invariants:
// - Unrecorded writes (appends, and late samples at or past recordedFrom = the stored lastTs + 1)
//   put raw samples past the stored lastTs, and every other write records the whole live state,
//   so the samples a stored record does not count are exactly its raw samples (those of its raw
//   generation, series.ts: a seal that moves it writes the record) past its lastTs
//   (all of its raw samples when its count is 0; chunks, which seals record, end before): the
//   live state is the record's plus those, and that is how it is rebuilt when not cached (after a
//   restart, an eviction, a reset). A late unrecorded write replacing such a raw sample changes
//   no count.
// - unrecorded = live count - stored count. The keyspace counts it with the record wherever a
//   stored series leaves or enters a database's counts (Keyspace.seriesSamplesUnrecorded), and an
//   unrecorded append adds its sample to its database's count in its own batch
//   (adjustSeriesSamples), so DBSIZE-like counts stay exact across kill -9.
// - The cache is per keyspace and keyed by version (never reused). It is dropped whole when the
//   keyspace drops staged writes, has a commit refused or changes read-only mode (stagedResets),
//   and a read-only keyspace (a replica's, whose records and raw samples its primary moves)
//   caches nothing: it rebuilds on every load.
// - At most HOT_SERIES_MAX entries: when full, entries with nothing unrecorded are dropped, and
//   those of dead versions (DEL, FLUSHALL...; a bounded number checked per sweep); if none is, a
//   series without an entry writes its record with its appends, as before this cache.
import assert from 'node:assert/strict';
import { Keyspace, type KeyRecord } from '../../keyspace/keyspace.js';
import { cachedSeriesState, touchAppended } from './record-cache.js';
import { noteAppend, rawSamples, stageAppend, writeSample } from './samples.js';
import type { DuplicatePolicy } from './series-options.js';
import { TIMESTAMP_MAX, decodeSeriesState, seriesRecord, type Series } from './series.js';

/** Series whose live state is cached, at most (about 100 bytes each). */
export const HOT_SERIES_MAX = 250_000;
/** After a sweep of a full cache freed nothing, this many calls for room are refused before the next sweep. */
const SWEEP_BACKOFF_CALLS = 1_024;
/** Entries with unrecorded appends a sweep asks the keyspace about (is the version dead?), at most. */
const SWEEP_OWNER_CHECKS_MAX = 512; // ownerOf costs a point lookup per database: 0.5 per call past a full cache

interface HotSeries {
  lastTs: number;
  lastValue: number;
  firstTs: number;
  rawCount: number;
  count: number;
  unrecorded: number; // count - the stored record's count
  recordedFrom: number; // the first timestamp the stored record does not cover: its lastTs + 1 (0 when it counts no sample)
}

interface HotCache {
  resets: number; // keyspace.stagedResets when last checked
  byVersion: Map<number, HotSeries>;
  sweepBackoff: number; // calls for room still refused after a sweep that freed nothing
  entriesMax: number; // HOT_SERIES_MAX, or less in tests
}

const caches = new WeakMap<Keyspace, HotCache>();

function cacheOf(keyspace: Keyspace): HotCache | undefined {
  if (keyspace.readOnly) return undefined;
  let cache = caches.get(keyspace);
  if (cache === undefined) {
    cache = { resets: keyspace.stagedResets, byVersion: new Map(), sweepBackoff: 0, entriesMax: HOT_SERIES_MAX };
    caches.set(keyspace, cache);
  } else if (cache.resets !== keyspace.stagedResets) {
    cache.resets = keyspace.stagedResets;
    cache.byVersion.clear();
  }
  return cache;
}

/** The stored state plus the raw samples past its lastTs (the appends it does not count). */
function rebuild(keyspace: Keyspace, record: KeyRecord, series: Series): HotSeries {
  const { state } = series;
  const from = recordedFrom(record.count, state.lastTs);
  const hot: HotSeries = { lastTs: state.lastTs, lastValue: state.lastValue, firstTs: state.firstTs, rawCount: state.rawCount, count: record.count, unrecorded: 0, recordedFrom: from };
  if (from > TIMESTAMP_MAX) return hot;
  for (const raw of rawSamples(keyspace, record.version, state.rawGeneration, from, TIMESTAMP_MAX)) {
    if (hot.count === 0) hot.firstTs = raw.ts;
    hot.lastTs = raw.ts;
    hot.lastValue = raw.value;
    hot.rawCount++;
    hot.count++;
    hot.unrecorded++;
  }
  return hot;
}

/**
 * Room for one more entry: when full, drops the entries with nothing unrecorded, then those of
 * dead versions among the first SWEEP_OWNER_CHECKS_MAX others (the live ones checked move to the
 * end), at most once per SWEEP_BACKOFF_CALLS calls while sweeps free nothing; false if none went.
 */
function makeRoom(keyspace: Keyspace, cache: HotCache): boolean {
  const { byVersion } = cache;
  if (byVersion.size < cache.entriesMax) return true;
  if (cache.sweepBackoff > 0) {
    cache.sweepBackoff--;
    return false;
  }
  for (const [version, hot] of byVersion) if (hot.unrecorded === 0) byVersion.delete(version);
  const checked: [number, HotSeries][] = [];
  for (const [version, hot] of byVersion) {
    if (checked.length >= SWEEP_OWNER_CHECKS_MAX) break;
    checked.push([version, hot]);
  }
  for (const [version, hot] of checked) {
    byVersion.delete(version);
    if (keyspace.ownerOf(version) !== undefined) byVersion.set(version, hot);
  }
  if (byVersion.size < cache.entriesMax) return true;
  cache.sweepBackoff = SWEEP_BACKOFF_CALLS;
  return false;
}

/** The cached live state of a stored series record, rebuilt (and cached when there is room) if absent. */
function hotOf(keyspace: Keyspace, record: KeyRecord, series: Series): HotSeries {
  const cache = cacheOf(keyspace);
  let hot = cache?.byVersion.get(record.version);
  if (hot !== undefined) return hot;
  hot = rebuild(keyspace, record, series);
  if (cache !== undefined && makeRoom(keyspace, cache)) cache.byVersion.set(record.version, hot);
  return hot;
}

/** A stored series record as the commands see it: its state and count live (appends included). */
export function loadSeries(keyspace: Keyspace, stored: KeyRecord): Series {
  const state = cachedSeriesState(stored) ?? decodeSeriesState(stored.payload);
  const hot = hotOf(keyspace, stored, { record: stored, state });
  state.lastTs = hot.lastTs;
  state.lastValue = hot.lastValue;
  state.firstTs = hot.firstTs;
  state.rawCount = hot.rawCount;
  const { type, encoding, expireAtMs, version, payload } = stored;
  return { record: { type, encoding, expireAtMs, version, count: hot.count, payload }, state };
}

/** The record recordSeries is staging: it counts every sample (unrecordedOf says 0 for it). */
let recording: KeyRecord | undefined;

/** Stages a series' record with its live state (set), which then counts every sample. */
export function recordSeries(keyspace: Keyspace, db: number, key: Buffer, series: Series): void {
  const written = seriesRecord(series);
  recording = written;
  try {
    keyspace.set(db, key, written); // counts its samples against the stored record's and their unrecorded ones
  } finally {
    recording = undefined;
  }
  const cache = cacheOf(keyspace);
  if (cache === undefined) return;
  const { state, record } = series;
  const hot = cache.byVersion.get(record.version);
  if (hot === undefined) {
    if (makeRoom(keyspace, cache)) {
      cache.byVersion.set(record.version, {
        lastTs: state.lastTs, lastValue: state.lastValue, firstTs: state.firstTs, rawCount: state.rawCount, count: record.count, unrecorded: 0,
        recordedFrom: recordedFrom(record.count, state.lastTs),
      });
    }
    return;
  }
  follow(hot, series);
  hot.unrecorded = 0;
  hot.recordedFrom = recordedFrom(record.count, state.lastTs);
}

/** The first timestamp a record of count samples up to lastTs does not cover (what rebuild() scans from). */
function recordedFrom(count: number, lastTs: number): number {
  return count === 0 ? 0 : lastTs + 1;
}

/** The cached live state set to a series' own. */
function follow(hot: HotSeries, series: Series): void {
  const { state, record } = series;
  hot.lastTs = state.lastTs;
  hot.lastValue = state.lastValue;
  hot.firstTs = state.firstTs;
  hot.rawCount = state.rawCount;
  hot.count = record.count;
}

/**
 * An append in order (ts past lastTs, or the first sample) staged as its raw sample alone, the
 * series' record left as it is; false (nothing staged) when the series has no cache entry to
 * keep its live state in (a read-only keyspace, a full cache): the caller writes the record.
 */
export function appendUnrecorded(keyspace: Keyspace, db: number, key: Buffer, series: Series, ts: number, value: number): boolean {
  const hot = cacheOf(keyspace)?.byVersion.get(series.record.version);
  if (hot === undefined) return false;
  noteAppend(series, ts, value);
  stageAppend(keyspace, series, ts, value);
  follow(hot, series);
  hot.unrecorded++;
  keyspace.adjustSeriesSamples(db, 1);
  touchAppended(keyspace, db, key); // WATCH: the key changed without a metadata write
  return true;
}

/**
 * A late sample (ts <= lastTs) past the stored record (ts >= its lastTs + 1, so past every chunk,
 * which seals record) staged as its raw sample alone, as an append is: under policy, it adds a
 * sample or replaces one that is itself unrecorded, and rebuild() counts the raw samples there
 * either way. False (nothing staged) when the series has no cache entry or ts is older: the
 * caller upserts with the record. Throws (BLOCK) before staging anything.
 */
export function upsertUnrecorded(keyspace: Keyspace, db: number, key: Buffer, series: Series, ts: number, value: number, policy: DuplicatePolicy): boolean {
  const hot = cacheOf(keyspace)?.byVersion.get(series.record.version);
  const { state } = series;
  if (hot === undefined || ts < hot.recordedFrom || (state.chunkCount > 0 && ts <= state.sealedLastTs)) return false; // (chunks end before recordedFrom)
  const outcome = writeSample(keyspace, series, ts, value, policy);
  assert.notEqual(outcome.kind, 'appended', 'a late sample upserts');
  follow(hot, series);
  if (outcome.kind === 'upserted' && outcome.created) {
    hot.unrecorded++;
    keyspace.adjustSeriesSamples(db, 1);
  }
  touchAppended(keyspace, db, key); // WATCH, as the record write of an upsert did
  return true;
}

/**
 * The keyspace's view of the appends a series record does not count (see the header): none for
 * the live record recordSeries writes; for any other (the stored one, or a copy of it written
 * back by EXPIRE, RENAME, MOVE) those of its version.
 */
function unrecordedOf(keyspace: Keyspace, record: KeyRecord): number {
  if (record === recording) return 0;
  return hotOf(keyspace, record, { record, state: decodeSeriesState(record.payload) }).unrecorded;
}

Keyspace.seriesSamplesUnrecorded = unrecordedOf;

/** Drops every cached live state of keyspace (tests: the next loads rebuild, as after a restart). */
export function forgetHotState(keyspace: Keyspace): void {
  caches.delete(keyspace);
}

/** Caps keyspace's cache below HOT_SERIES_MAX (tests of a full cache). */
export function limitHotState(keyspace: Keyspace, entriesMax: number): void {
  const cache = cacheOf(keyspace);
  if (cache !== undefined) cache.entriesMax = Math.min(entriesMax, HOT_SERIES_MAX);
}
