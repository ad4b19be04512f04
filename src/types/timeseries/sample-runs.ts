// src/types/timeseries/sample-runs.ts: a series' samples in a range as runs of parallel arrays (a
// decoded chunk's, or raw samples gathered), for the aggregating range scans: one loop over
// numbers per run instead of an object and a generator step per sample (samples.ts
// samplesAscending gives the same samples one by one).
// Invariants:
// - The runs, concatenated, are exactly samplesAscending(keyspace, series, from, to): ascending,
//   clipped by retention, a raw sample winning over a chunk's at the same timestamp.
// - A chunk with no raw sample inside its span is handed out as decoded (cached arrays, never
//   copied or mutated); one with raw samples inside is merged into fresh arrays.
import type { ElementReader } from '../../keyspace/snapshot-view.js';
import type { Sample } from './sample.js';
import { chunksFrom, decodedSamples, rawSamples, retentionStart } from './samples.js';
import type { Series } from './series.js';

/** Samples timestamps[index], values[index] for begin <= index < end, ascending. */
export interface SampleRun {
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
  begin: number;
  end: number;
}

function runOf(samples: readonly Sample[]): SampleRun {
  const timestamps = new Float64Array(samples.length);
  const values = new Float64Array(samples.length);
  samples.forEach((sample, index) => {
    timestamps[index] = sample.ts;
    values[index] = sample.value;
  });
  return { timestamps, values, begin: 0, end: samples.length }; // typed like a decoded chunk's: one shape for the loops
}

/** The first index in [begin, end) whose timestamp is >= ts (end if none). */
function lowerBound(timestamps: ArrayLike<number>, begin: number, end: number, ts: number): number {
  let low = begin;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (timestamps[middle]! < ts) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** samplesAscending(keyspace, series, from, to) as runs. */
export function* sampleRunsAscending(keyspace: ElementReader, series: Series, from: number, to: number): Generator<SampleRun> {
  const start = Math.max(from, retentionStart(series));
  if (start > to || series.record.count === 0) return;
  const version = series.record.version;
  const raws = series.state.rawCount > 0 ? [...rawSamples(keyspace, version, series.state.rawGeneration, start, to)] : [];
  let next = 0; // the first raw sample not handed out
  if (series.state.chunkCount > 0 && start <= series.state.sealedLastTs) {
    for (const chunk of chunksFrom(keyspace, version, start)) {
      if (chunk.header.firstTimestamp > to) break;
      const { timestamps, values } = decodedSamples(version, chunk);
      const begin = lowerBound(timestamps, 0, timestamps.length, start);
      const end = lowerBound(timestamps, begin, timestamps.length, to + 1);
      if (begin >= end) continue;
      const first = timestamps[begin]!;
      const last = timestamps[end - 1]!;
      let before = next; // raw samples older than the run come first
      while (before < raws.length && raws[before]!.ts < first) before++;
      if (before > next) yield runOf(raws.slice(next, before));
      let inside = before;
      while (inside < raws.length && raws[inside]!.ts <= last) inside++;
      next = inside;
      if (inside === before) {
        yield { timestamps, values, begin, end };
        continue;
      }
      const merged: Sample[] = [];
      let raw = before;
      for (let index = begin; index < end; index++) {
        const ts = timestamps[index]!;
        while (raw < inside && raws[raw]!.ts < ts) merged.push(raws[raw++]!);
        if (raw < inside && raws[raw]!.ts === ts) continue; // the raw sample, newer, comes next
        merged.push({ ts, value: values[index]! });
      }
      while (raw < inside) merged.push(raws[raw++]!);
      yield runOf(merged);
    }
  }
  if (next < raws.length) yield runOf(raws.slice(next));
}
