// storage/write-stall.ts: write backpressure. The engine reports a condition:
// - stop: writes must wait for a flush or compaction (a full memtable while the previous one
//   still flushes; level-0 files or pending compaction bytes at their stop thresholds);
// - slowdown (severity in (0, 1]): level-0 files or pending compaction bytes between their
//   slowdown and stop thresholds. Writes are paced, not stopped: each write's bytes cost time at
//   a delayed rate, so every write waits a little instead of some waiting a lot (RocksDB's
//   delayed write rate). The rate starts at the write rate measured before the slowdown and
//   falls linearly with the severity, to a floor, and is forgotten once the slowdown ends.
// Callers ask stallMs() before a write and await wait() for room; write() itself never blocks and
// never fails for a stall.
// Invariants:
// - Every wait() promise resolves: a paced one after its delay, a stopped one once the engine
//   reports no stop (release()), fails, or closes (release(true)); none is left pending.
// - stallCount/stallMs count stops (time from the first write that found the stop to its end);
//   slowdownCount/slowdownMs count the paced waits and the delay they were given.
import { performance } from 'node:perf_hooks';

export interface StallCondition {
  stop: boolean;
  slowdown: number; // 0 = none; else severity in (0, 1]
}

/** Pacing never goes below this rate. */
export const SLOWDOWN_RATE_MIN_BYTES_PER_SEC = 256 * 1024;
/** Without a measured rate, pacing starts here. */
export const SLOWDOWN_RATE_INITIAL_BYTES_PER_SEC = 16 * 1024 * 1024;
/** A write may run this far ahead of its pace before writeStallMs() reports a wait. */
const PACE_SLACK_MS = 1;
const RATE_WINDOW_MS = 1000;

export class WriteStall {
  private stopStartedMs: number | undefined;
  private waiters: (() => void)[] = [];
  private stopCount = 0;
  private stopDoneMs = 0;
  private slowdownCount = 0;
  private slowdownMs = 0;
  private paceBaseBytesPerSec: number | undefined; // set when a slowdown begins
  private paceNextFreeMs = 0;
  private windowStartMs = performance.now();
  private windowBytes = 0;
  private measuredBytesPerSec: number | undefined;

  constructor(private readonly condition: () => StallCondition) {}

  /** 0 when a write may proceed now; else how long it should wait (stop: how long it has). */
  stallMs(): number {
    const condition = this.condition();
    if (condition.stop) return Math.max(1, Date.now() - this.beginStop());
    const delayMs = this.paceDelayMs(condition);
    return delayMs >= PACE_SLACK_MS ? Math.ceil(delayMs) : 0;
  }

  wait(): Promise<void> {
    const condition = this.condition();
    if (condition.stop) {
      this.beginStop();
      return new Promise((resolve) => this.waiters.push(resolve));
    }
    const delayMs = this.paceDelayMs(condition);
    if (delayMs < PACE_SLACK_MS) return Promise.resolve();
    this.slowdownCount++;
    this.slowdownMs += delayMs;
    return new Promise((resolve) => setTimeout(resolve, Math.ceil(delayMs)));
  }

  /** Accounts a write of `bytes` (its WAL record) against the rate and the pace. */
  noteWrite(bytes: number): void {
    const nowMs = performance.now();
    this.windowBytes += bytes;
    const elapsedMs = nowMs - this.windowStartMs;
    if (elapsedMs >= RATE_WINDOW_MS) {
      this.measuredBytesPerSec = (this.windowBytes * 1000) / elapsedMs;
      this.windowStartMs = nowMs;
      this.windowBytes = 0;
    }
    const condition = this.condition();
    if (condition.stop || condition.slowdown <= 0) return;
    const rate = this.paceRate(condition.slowdown);
    this.paceNextFreeMs = Math.max(this.paceNextFreeMs, nowMs) + (bytes * 1000) / rate;
  }

  /** Ends a stop and wakes every waiter if the engine reports none, or always when force is set. */
  release(force = false): void {
    if (!force && this.condition().stop) return;
    if (this.stopStartedMs !== undefined) {
      this.stopDoneMs += Date.now() - this.stopStartedMs;
      this.stopStartedMs = undefined;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  stats(): { stallCount: number; stallMs: number; slowdownCount: number; slowdownMs: number } {
    const currentMs = this.stopStartedMs === undefined ? 0 : Date.now() - this.stopStartedMs;
    return { stallCount: this.stopCount, stallMs: this.stopDoneMs + currentMs, slowdownCount: this.slowdownCount, slowdownMs: Math.round(this.slowdownMs) };
  }

  private beginStop(): number {
    if (this.stopStartedMs === undefined) {
      this.stopStartedMs = Date.now();
      this.stopCount++;
    }
    return this.stopStartedMs;
  }

  private paceDelayMs(condition: StallCondition): number {
    if (condition.slowdown <= 0) {
      this.paceBaseBytesPerSec = undefined; // the next slowdown measures afresh
      return 0;
    }
    this.paceRate(condition.slowdown);
    return this.paceNextFreeMs - performance.now();
  }

  private paceRate(severity: number): number {
    if (this.paceBaseBytesPerSec === undefined) {
      const inWindowMs = performance.now() - this.windowStartMs;
      const current = inWindowMs >= 100 ? (this.windowBytes * 1000) / inWindowMs : undefined;
      this.paceBaseBytesPerSec = Math.max(SLOWDOWN_RATE_MIN_BYTES_PER_SEC, current ?? this.measuredBytesPerSec ?? SLOWDOWN_RATE_INITIAL_BYTES_PER_SEC);
      this.paceNextFreeMs = performance.now();
    }
    const clamped = Math.min(1, Math.max(0, severity));
    return Math.max(SLOWDOWN_RATE_MIN_BYTES_PER_SEC, this.paceBaseBytesPerSec * (1 - clamped));
  }
}
