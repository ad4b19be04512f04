// chaos/kill9.test.ts: the short kill -9 loop CI runs (10 cycles, 4 clients, appendfsync always,
// bounded to ~60 s): nothing acknowledged lost, nothing impossible read back.
import { describe, expect, it } from 'vitest';
import { runKillLoop } from './kill9.js';
import { ensureServerBuilt } from './server-process.js';

describe('kill -9 loop', () => {
  it('loses no acknowledged write and reads back nothing impossible over 10 kills', async () => {
    ensureServerBuilt();
    const result = await runKillLoop({ cycles: 10, seconds: 60, clients: 4, appendfsync: 'always', preload: 1_000, seed: 7 });
    console.log(result.summary);
    for (const message of result.messages) console.log(message);
    expect(result.cycles).toBeGreaterThanOrEqual(3);
    expect(result.keysChecked).toBeGreaterThan(0);
    expect(result.ackedOps).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.impossible).toBe(0);
  }, 90_000);
});
