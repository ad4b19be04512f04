// src/types/timeseries/sealer.ts: folds series' raw samples into compressed chunks in the
// background (samples.ts seal()), so the write path only ever appends raw samples.
// A series is queued when a write leaves it with at least sealThreshold() raw samples; each tick
// seals queued series until a budget of raw samples is spent, and commits them as one batch.
// Invariants:
// - The queue holds at most SEAL_QUEUE_MAX series (a full queue skips: the series is queued again
//   by its next write); a tick never runs while a command's writes are staged, and whatever it
//   staged is committed or discarded in that tick.
// - A queued series is sealed only if its key still holds that version (RENAME, DEL, overwrite
//   are followed or skipped).
import { runBackgroundTick, type ActiveExpireOptions } from '../../keyspace/active-expire.js';
import type { Keyspace } from '../../keyspace/keyspace.js';

type BackgroundTickOptions = Omit<ActiveExpireOptions, 'onExpired'>;
import { KEY_TYPE } from '../../keyspace/layout.js';
import { seal, sealThreshold } from './samples.js';
import { seriesOf, seriesRecord, type Series } from './series.js';

export const SEAL_QUEUE_MAX = 100_000;
export const SEAL_INTERVAL_MS = 50;
/** Raw samples sealed per tick, at most (bounds a tick's time and its WAL record). */
export const SEAL_SAMPLES_PER_TICK_MAX = 200_000;

export class Sealer {
  private readonly queued = new Map<number, number>(); // version -> raw count when queued

  /** Called by the write path after a series' write: queues it once it has enough raw samples. */
  note(series: Series): void {
    if (series.state.rawCount < sealThreshold(series) || this.queued.has(series.record.version)) return;
    if (this.queued.size >= SEAL_QUEUE_MAX) return;
    this.queued.set(series.record.version, series.state.rawCount);
  }

  get size(): number {
    return this.queued.size;
  }

  /**
   * Seals queued series, at most budgetSamples raw samples in all (a series noted with fewer
   * may have more by now); stages their writes (the caller commits).
   */
  sealQueued(keyspace: Keyspace, budgetSamples = SEAL_SAMPLES_PER_TICK_MAX): number {
    let sealed = 0;
    for (const [version, rawCount] of this.queued) {
      if (sealed > 0 && sealed + rawCount > budgetSamples) break;
      this.queued.delete(version);
      const owner = keyspace.ownerOf(version);
      if (owner === undefined) continue;
      const record = keyspace.get(owner.db, owner.key);
      if (record === undefined || record.type !== KEY_TYPE.timeseries || record.version !== version) continue;
      const series = seriesOf(record);
      sealed += seal(keyspace, series, budgetSamples - sealed);
      keyspace.set(owner.db, owner.key, seriesRecord(series));
      this.note(series); // still over the threshold: queued again
    }
    return sealed;
  }

  /**
   * Seals series with raw samples in every database (DEBUG COMPACT, tests), at most budgetSamples
   * raw samples per call; stages only. Returns how many it folded: call again (after a commit)
   * until it returns 0.
   */
  sealAll(keyspace: Keyspace, databases: number, budgetSamples = SEAL_SAMPLES_PER_TICK_MAX): number {
    let sealed = 0;
    for (let db = 0; db < databases && sealed < budgetSamples; db++) {
      const found: { key: Buffer; series: Series }[] = [];
      for (const { key, record } of keyspace.keys(db)) {
        if (record.type !== KEY_TYPE.timeseries) continue;
        const series = seriesOf(record);
        if (series.state.rawCount > 0) found.push({ key: Buffer.from(key), series });
      }
      for (const { key, series } of found) {
        if (sealed >= budgetSamples) break;
        sealed += seal(keyspace, series, budgetSamples - sealed);
        keyspace.set(db, key, seriesRecord(series));
        if (series.state.rawCount === 0) this.queued.delete(series.record.version);
      }
    }
    return sealed;
  }
}

/** The sealer's timer: every SEAL_INTERVAL_MS, a background tick (keyspace/active-expire.ts) seals queued series. */
export function startSealer(keyspace: Keyspace, sealer: Sealer, options: BackgroundTickOptions): { stop(): void } {
  const timer = setInterval(() => {
    if (sealer.size > 0) runBackgroundTick(keyspace, () => sealer.sealQueued(keyspace), options);
  }, SEAL_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
