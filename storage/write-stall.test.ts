// storage/write-stall.test.ts: pacing between the slowdown and stop thresholds, waiting at a stop,
// and the counters. Counts and resolution only, no timing assertions.
import { describe, expect, it } from 'vitest';
import { WriteStall, type StallCondition } from './write-stall.js';

describe('WriteStall', () => {
  it('paces writes during a slowdown: a write that ran ahead waits a little, then may go', async () => {
    let condition: StallCondition = { stop: false, slowdown: 0 };
    const stall = new WriteStall(() => condition);
    stall.noteWrite(1 << 20);
    expect(stall.stallMs()).toBe(0); // no slowdown: writes are not paced
    condition = { stop: false, slowdown: 0.5 };
    // at most 8 MiB/s from the 16 MiB/s start: ~128 ms of debt (64 KiB made ~8 ms, which a GC
    // pause on a loaded machine could outlast before stallMs() looked)
    stall.noteWrite(1024 * 1024);
    expect(stall.stallMs()).toBeGreaterThan(0);
    await stall.wait();
    expect(stall.stats()).toMatchObject({ slowdownCount: 1, stallCount: 0 });
    condition = { stop: false, slowdown: 0 };
    expect(stall.stallMs()).toBe(0);
    await stall.wait(); // resolves at once
    expect(stall.stats().slowdownCount).toBe(1);
  });

  it('paces harder as the slowdown deepens', () => {
    let condition: StallCondition = { stop: false, slowdown: 0.2 };
    const mild = new WriteStall(() => condition);
    mild.noteWrite(256 * 1024);
    const mildDelayMs = mild.stallMs();
    condition = { stop: false, slowdown: 0.9 };
    const severe = new WriteStall(() => condition);
    severe.noteWrite(256 * 1024);
    expect(severe.stallMs()).toBeGreaterThan(mildDelayMs);
  });

  it('holds every waiter at a stop until release() finds none, or release(true)', async () => {
    let condition: StallCondition = { stop: true, slowdown: 0 };
    const stall = new WriteStall(() => condition);
    expect(stall.stallMs()).toBeGreaterThan(0);
    let released = 0;
    const waits = [stall.wait(), stall.wait()].map((wait) => wait.then(() => released++));
    stall.release(); // still stopped: nobody goes
    await Promise.resolve();
    expect(released).toBe(0);
    condition = { stop: false, slowdown: 0 };
    stall.release();
    await Promise.all(waits);
    expect(released).toBe(2);
    condition = { stop: true, slowdown: 0 };
    const forced = stall.wait();
    stall.release(true); // the engine failed or closes: waiters go and meet the error in write()
    await forced;
    expect(stall.stats().stallCount).toBe(2);
  });
});
