// storage/write-stall.ts: write backpressure while a memtable flush is behind. The engine says
// when it is stalled (an immutable memtable still flushing and the active one full); callers ask
// stallMs() before a write and await wait() for room. Counts stalls and the time spent in them.
// Invariant: every wait() promise resolves once the engine reports room, fails, or closes
// (release(true)); none is left pending.
export class WriteStall {
  private startedMs: number | undefined;
  private waiters: (() => void)[] = [];
  private count = 0;
  private doneMs = 0;

  constructor(private readonly isStalled: () => boolean) {}

  /** 0 when a write may proceed now; else how long writes have been waiting for room. */
  stallMs(): number {
    if (!this.isStalled()) return 0;
    const startedMs = this.begin();
    return Math.max(1, Date.now() - startedMs);
  }

  wait(): Promise<void> {
    if (!this.isStalled()) return Promise.resolve();
    this.begin();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends the stall and wakes every waiter if there is room now, or always when force is set. */
  release(force = false): void {
    if (!force && this.isStalled()) return;
    if (this.startedMs !== undefined) {
      this.doneMs += Date.now() - this.startedMs;
      this.startedMs = undefined;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  stats(): { stallCount: number; stallMs: number } {
    const currentMs = this.startedMs === undefined ? 0 : Date.now() - this.startedMs;
    return { stallCount: this.count, stallMs: this.doneMs + currentMs };
  }

  private begin(): number {
    if (this.startedMs === undefined) {
      this.startedMs = Date.now();
      this.count++;
    }
    return this.startedMs;
  }
}
