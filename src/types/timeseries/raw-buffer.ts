// src/types/timeseries/raw-buffer.ts: a series' raw samples (the ones not sealed into chunks yet),
// kept in memory beside their engine elements, so that the sealer folds them without reading them
// back through an engine scan (samples.ts seal()).
// Invariants:
// - A buffer, while it exists, holds exactly its series' raw samples, ascending by timestamp: it
//   starts when the series has none (a new series, or a seal that folded them all), and every raw
//   element write of samples.ts puts its sample in it (an append pushes, an upsert inserts or
//   replaces); a write that removes raw samples otherwise (TS.DEL, retention's drop of expired
//   chunks) drops the buffer, and the sealer reads the engine again until a seal empties it.
//   seal() asserts its length against the series' rawCount.
// - Buffers are per keyspace and keyed by version (never reused). All are dropped when the
//   keyspace drops staged writes, has a commit refused or changes read-only mode (stagedResets),
//   and a read-only keyspace (a replica's) keeps none.
// - At most RAW_BUFFERED_SAMPLES_MAX samples in all, each buffer charged RAW_BUFFER_ENTRY_SAMPLES
//   more for itself (its map entry, object and two arrays: ~450 bytes, as much as 28 samples), so
//   a million one-sample series cannot keep a million buffers: a put past it drops its series'
//   buffer, and no buffer starts while the total is there; buffers of dead versions (DEL, FLUSHALL...) are
//   dropped by a sweep (SWEEP_OWNER_CHECKS_MAX versions checked, then SWEEP_BACKOFF_CALLS starts
//   refused if it freed nothing).
import type { Keyspace } from '../../keyspace/keyspace.js';

/** Raw samples buffered per keyspace, at most (16 bytes each: about 32 MiB). */
export const RAW_BUFFERED_SAMPLES_MAX = 2_097_152;
/** What a buffer costs against RAW_BUFFERED_SAMPLES_MAX for itself, in samples (see the invariants). */
export const RAW_BUFFER_ENTRY_SAMPLES = 32;
const SWEEP_OWNER_CHECKS_MAX = 1_024;
const SWEEP_BACKOFF_CALLS = 1_024;

interface RawBuffer {
  timestamps: number[];
  values: number[];
}

interface BufferSet {
  resets: number; // keyspace.stagedResets when last checked
  byVersion: Map<number, RawBuffer>;
  samples: number; // buffered in all, plus RAW_BUFFER_ENTRY_SAMPLES per buffer
  samplesMax: number; // RAW_BUFFERED_SAMPLES_MAX, or less in tests
  sweepBackoff: number;
}

const sets = new WeakMap<Keyspace, BufferSet>();

function setOf(keyspace: Keyspace): BufferSet | undefined {
  if (keyspace.readOnly) return undefined;
  let set = sets.get(keyspace);
  if (set === undefined) {
    set = { resets: keyspace.stagedResets, byVersion: new Map(), samples: 0, samplesMax: RAW_BUFFERED_SAMPLES_MAX, sweepBackoff: 0 };
    sets.set(keyspace, set);
  } else if (set.resets !== keyspace.stagedResets) {
    set.resets = keyspace.stagedResets;
    set.byVersion.clear();
    set.samples = 0;
  }
  return set;
}

/** Starts the buffer of a series that has no raw sample now (unless the total is at its maximum). */
export function startRawBuffer(keyspace: Keyspace, version: number): void {
  const set = setOf(keyspace);
  if (set === undefined || set.byVersion.has(version)) return; // one there holds every raw sample: none
  if (set.samples + RAW_BUFFER_ENTRY_SAMPLES > set.samplesMax && !sweep(keyspace, set)) return;
  set.byVersion.set(version, { timestamps: [], values: [] });
  set.samples += RAW_BUFFER_ENTRY_SAMPLES;
}

/** A raw sample stored at ts (new, or replacing the one there): into its series' buffer, if any. */
export function bufferRawSample(keyspace: Keyspace, version: number, ts: number, value: number): void {
  const set = sets.get(keyspace);
  if (set === undefined || set.byVersion.size === 0) return;
  if (set.resets !== keyspace.stagedResets) return void setOf(keyspace); // cleared: nothing to keep
  const buffer = set.byVersion.get(version);
  if (buffer === undefined) return;
  const { timestamps, values } = buffer;
  const length = timestamps.length;
  if (length === 0 || timestamps[length - 1]! < ts) {
    if (set.samples >= set.samplesMax) return dropFrom(set, version);
    timestamps.push(ts);
    values.push(value);
    set.samples++;
    return;
  }
  const low = firstIndexFrom(timestamps, ts);
  if (timestamps[low] === ts) {
    values[low] = value;
    return;
  }
  if (set.samples >= set.samplesMax) return dropFrom(set, version);
  timestamps.splice(low, 0, ts);
  values.splice(low, 0, value);
  set.samples++;
}

/** Raw samples of the series changed other than by bufferRawSample: its buffer is no more. */
export function dropRawBuffer(keyspace: Keyspace, version: number): void {
  const set = sets.get(keyspace);
  if (set !== undefined) dropFrom(set, version);
}

function dropFrom(set: BufferSet, version: number): void {
  const buffer = set.byVersion.get(version);
  if (buffer === undefined) return;
  set.samples -= buffer.timestamps.length + RAW_BUFFER_ENTRY_SAMPLES;
  set.byVersion.delete(version);
}

/**
 * The raw sample at ts from its series' buffer: its value, null when the buffer holds none at ts,
 * undefined when the series has no buffer (ask the engine).
 */
export function bufferedValueAt(keyspace: Keyspace, version: number, ts: number): number | null | undefined {
  const set = sets.get(keyspace);
  if (set === undefined || set.byVersion.size === 0 || set.resets !== keyspace.stagedResets || keyspace.readOnly) return undefined;
  const buffer = set.byVersion.get(version);
  if (buffer === undefined) return undefined;
  const low = firstIndexFrom(buffer.timestamps, ts);
  return buffer.timestamps[low] === ts ? buffer.values[low]! : null;
}

/** The first index of ascending timestamps holding one >= ts (their length if none). */
function firstIndexFrom(timestamps: readonly number[], ts: number): number {
  let low = 0;
  let high = timestamps.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (timestamps[middle]! < ts) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The oldest raw samples of a series (at most limit), copied from its buffer; undefined when it has none. */
export function bufferedRawSamples(keyspace: Keyspace, version: number, limit: number): { timestamps: number[]; values: number[]; bufferedCount: number } | undefined {
  const buffer = setOf(keyspace)?.byVersion.get(version);
  if (buffer === undefined) return undefined;
  const { timestamps, values } = buffer;
  const count = Math.min(limit, timestamps.length);
  return { timestamps: timestamps.slice(0, count), values: values.slice(0, count), bufferedCount: timestamps.length };
}

/** Removes the oldest count samples from a series' buffer (they were sealed). */
export function shiftRawBuffer(keyspace: Keyspace, version: number, count: number): void {
  const set = setOf(keyspace);
  const buffer = set?.byVersion.get(version);
  if (set === undefined || buffer === undefined || count === 0) return;
  if (count >= buffer.timestamps.length) {
    set.samples -= buffer.timestamps.length;
    buffer.timestamps = [];
    buffer.values = [];
    return;
  }
  buffer.timestamps.splice(0, count);
  buffer.values.splice(0, count);
  set.samples -= count;
}

/** Drops the buffers of dead versions among the first SWEEP_OWNER_CHECKS_MAX; whether the total went below its maximum. */
function sweep(keyspace: Keyspace, set: BufferSet): boolean {
  if (set.sweepBackoff > 0) {
    set.sweepBackoff--;
    return false;
  }
  const checked: number[] = [];
  for (const version of set.byVersion.keys()) {
    if (checked.length >= SWEEP_OWNER_CHECKS_MAX) break;
    checked.push(version);
  }
  for (const version of checked) {
    const buffer = set.byVersion.get(version)!;
    set.byVersion.delete(version);
    if (keyspace.ownerOf(version) !== undefined) set.byVersion.set(version, buffer); // live: to the end
    else set.samples -= buffer.timestamps.length + RAW_BUFFER_ENTRY_SAMPLES;
  }
  if (set.samples + RAW_BUFFER_ENTRY_SAMPLES <= set.samplesMax) return true;
  set.sweepBackoff = SWEEP_BACKOFF_CALLS;
  return false;
}

/** Caps keyspace's buffered samples below RAW_BUFFERED_SAMPLES_MAX (tests). */
export function limitRawBuffers(keyspace: Keyspace, samplesMax: number): void {
  const set = setOf(keyspace);
  if (set !== undefined) set.samplesMax = Math.min(samplesMax, RAW_BUFFERED_SAMPLES_MAX);
}

/** Every buffer of keyspace, by version (tests compare them with the engine's raw samples). */
export function rawBuffers(keyspace: Keyspace): ReadonlyMap<number, { timestamps: readonly number[]; values: readonly number[] }> {
  return setOf(keyspace)?.byVersion ?? new Map();
}
