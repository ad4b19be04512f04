// src/active-expire.ts: Redis's activeExpireCycle for tskv: a timer that, every intervalMs, lets
// the keyspace walk its expiry index (a persistent cursor over keys in expiry-time order) through
// at most entriesPerTickMax due entries, stages deletes of the expired keys, and commits them as
// one batch. Expired keys are already invisible to reads; this only reclaims them (and makes DBSIZE
// and INFO's expires drop), at a bounded rate.
// Invariants:
// - A tick never runs while another command's writes are staged (it would commit them), nor
//   while canWrite() says no (engine failed, write stall, shutting down).
// - Whatever a tick staged is committed or discarded in the same tick: nothing is left staged.
// - The timer is unref'd: it never keeps the process alive; stop() ends it for good.
import type { Keyspace } from './keyspace.js';

export const ACTIVE_EXPIRE_INTERVAL_MS_DEFAULT = 100;
export const ACTIVE_EXPIRE_ENTRIES_PER_TICK_DEFAULT = 1000;

export interface ActiveExpireOptions {
  intervalMs?: number;
  entriesPerTickMax?: number;
  canWrite?: () => boolean;
  onCommit?: (commit: Promise<void>) => void; // e.g. ServerState.trackCommit
  onExpired?: (count: number) => void; // e.g. stats.expiredKeys += count
  onError?: (error: unknown) => void;
}

/** One tick; returns how many keys it deleted. Exported for tests. */
export function runActiveExpireTick(keyspace: Keyspace, options: ActiveExpireOptions = {}): number {
  const expired = runBackgroundTick(keyspace, () => keyspace.activeExpireCycle(options.entriesPerTickMax ?? ACTIVE_EXPIRE_ENTRIES_PER_TICK_DEFAULT), options);
  if (expired > 0) options.onExpired?.(expired);
  return expired;
}

/**
 * A background job's tick (active expiry, the time series sealer): stages its work with stage()
 * unless a command's writes are staged or canWrite() says no, and commits it at once. Returns
 * stage()'s count.
 */
export function runBackgroundTick(keyspace: Keyspace, stage: () => number, options: Omit<ActiveExpireOptions, 'onExpired'> = {}): number {
  if (keyspace.hasStaged() || (options.canWrite !== undefined && !options.canWrite())) return 0;
  const expired = stage();
  if (!keyspace.hasStaged()) return expired;
  let commit: Promise<void> | undefined;
  try {
    commit = keyspace.commit();
  } catch (error) {
    if (keyspace.hasStaged()) keyspace.discardStaged();
    options.onError?.(error);
    return 0;
  }
  if (commit !== undefined) {
    options.onCommit?.(commit);
    commit.catch((error: unknown) => options.onError?.(error));
  }
  return expired;
}

export function startActiveExpire(keyspace: Keyspace, options: ActiveExpireOptions = {}): { stop(): void } {
  const timer = setInterval(() => runActiveExpireTick(keyspace, options), options.intervalMs ?? ACTIVE_EXPIRE_INTERVAL_MS_DEFAULT);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
