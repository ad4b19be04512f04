// src/types/timeseries/sealer.ts: folds series' raw samples into compressed chunks in the
// background (samples.ts seal()), so the write path only ever appends raw samples.
// A series is queued when a write leaves it with at least sealThreshold() raw samples; each tick
// seals queued series until a budget of raw samples is spent, committing each series' seal as its
// own batch (a batch of one series' ops keeps the staged overlay small: a tick staging 200,000
// deletes made every later series' walks sort and search them).
// Invariants:
// - The queue holds at most SEAL_QUEUE_MAX series (a full queue skips: the series is queued again
//   by its next write); a tick never runs while a command's writes are staged, and whatever it
//   staged is committed or discarded in that tick.
// - A queued series is sealed only if its key still holds that version (RENAME, DEL, overwrite
//   are followed or skipped).
import { runBackgroundTick, type ActiveExpireOptions } from '../../keyspace/active-expire.js';
import type { Keyspace, KeyRecord } from '../../keyspace/keyspace.js';

type BackgroundTickOptions = Omit<ActiveExpireOptions, 'onExpired'>;
import { KEY_TYPE } from '../../keyspace/layout.js';
import { seal, sealThreshold } from './samples.js';
import { loadSeries, recordSeries } from './hot-state.js';
import type { Series } from './series.js';

export const SEAL_QUEUE_MAX = 100_000;
export const SEAL_INTERVAL_MS = 50;
/** Raw samples sealed per tick, at most (bounds a tick's time and its WAL record). */
export const SEAL_SAMPLES_PER_TICK_MAX = 200_000;
/** Series one tick seals (each its own commit), at most. */
export const SEAL_SERIES_PER_TICK_MAX = 1_000;

/** A queued series: its raw count when queued, and where it was (db, key) unless unknown. */
interface QueuedSeries {
  rawCount: number;
  db: number;
  key: Buffer | undefined;
}

export class Sealer {
  private readonly queued = new Map<number, QueuedSeries>(); // by version

  /**
   * Called by the write path after a series' write: queues it once it has enough raw samples.
   * db and key, when given, save the tick a lookup of the version's owner (a copy of key is kept).
   */
  note(series: Series, db = 0, key?: Buffer): void {
    if (series.state.rawCount < sealThreshold(series) || this.queued.has(series.record.version)) return;
    if (this.queued.size >= SEAL_QUEUE_MAX) return;
    this.queued.set(series.record.version, { rawCount: series.state.rawCount, db, key: key === undefined ? undefined : Buffer.from(key) });
  }

  get size(): number {
    return this.queued.size;
  }

  /**
   * Seals queued series, at most budgetSamples raw samples in all (a series noted with fewer
   * may have more by now); stages their writes (the caller commits).
   */
  sealQueued(keyspace: Keyspace, budgetSamples = SEAL_SAMPLES_PER_TICK_MAX, seriesMax = Number.MAX_SAFE_INTEGER): number {
    let sealed = 0;
    let visited = 0;
    for (const [version, queued] of this.queued) {
      if (visited >= seriesMax || (sealed > 0 && sealed + queued.rawCount > budgetSamples)) break;
      visited++;
      this.queued.delete(version);
      const found = this.find(keyspace, version, queued);
      if (found === undefined) continue;
      const { owner, record } = found;
      const series = loadSeries(keyspace, record);
      sealed += seal(keyspace, series, budgetSamples - sealed);
      recordSeries(keyspace, owner.db, owner.key, series); // the live state, appends included, persisted
      this.note(series, owner.db, owner.key); // still over the threshold: queued again
    }
    return sealed;
  }

  /** The series of version and where it lives: the key it was noted under if that still holds it, else its 'ver' entry's. */
  private find(keyspace: Keyspace, version: number, queued: QueuedSeries): { owner: { db: number; key: Buffer }; record: KeyRecord } | undefined {
    const isIt = (record: KeyRecord | undefined): record is KeyRecord => record !== undefined && record.type === KEY_TYPE.timeseries && record.version === version;
    if (queued.key !== undefined) {
      const record = keyspace.get(queued.db, queued.key);
      if (isIt(record)) return { owner: { db: queued.db, key: queued.key }, record };
    }
    const owner = keyspace.ownerOf(version);
    if (owner === undefined) return undefined;
    const record = keyspace.get(owner.db, owner.key);
    return isIt(record) ? { owner, record } : undefined;
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
        const series = loadSeries(keyspace, record);
        if (series.state.rawCount > 0) found.push({ key: Buffer.from(key), series });
      }
      for (const { key, series } of found) {
        if (sealed >= budgetSamples) break;
        sealed += seal(keyspace, series, budgetSamples - sealed);
        recordSeries(keyspace, db, key, series);
        if (series.state.rawCount === 0) this.queued.delete(series.record.version);
      }
    }
    return sealed;
  }
}

/**
 * One tick of the timer: seals queued series one at a time, each committed as its own background
 * tick (keyspace/active-expire.ts), until SEAL_SAMPLES_PER_TICK_MAX raw samples or
 * SEAL_SERIES_PER_TICK_MAX series. Returns the raw samples sealed.
 */
export function runSealerTick(keyspace: Keyspace, sealer: Sealer, options: BackgroundTickOptions = {}): number {
  let budget = SEAL_SAMPLES_PER_TICK_MAX;
  for (let round = 0; round < SEAL_SERIES_PER_TICK_MAX && budget > 0 && sealer.size > 0; round++) {
    if (keyspace.hasStaged() || (options.canWrite !== undefined && !options.canWrite())) break;
    budget -= runBackgroundTick(keyspace, () => sealer.sealQueued(keyspace, budget, 1), options);
  }
  return SEAL_SAMPLES_PER_TICK_MAX - budget;
}

/** The sealer's timer: every SEAL_INTERVAL_MS, runSealerTick. */
export function startSealer(keyspace: Keyspace, sealer: Sealer, options: BackgroundTickOptions): { stop(): void } {
  const timer = setInterval(() => {
    if (sealer.size > 0) runSealerTick(keyspace, sealer, options);
  }, SEAL_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
