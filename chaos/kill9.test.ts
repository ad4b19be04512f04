// chaos/kill9.test.ts: the short kill -9 loops CI runs (appendfsync always, 4 clients): 6 cycles
// of the strings workload (~40 s at most), 4 of the types workload (hashes, sets, sorted sets and
// list pairs, ~30 s at most) and 4 of the ts workload (series with compaction rules, ~30 s at most): nothing
// acknowledged lost, nothing impossible read back. `npm run test:long` (TSKV_TEST_SCALE=5) runs five
// times the cycles; `npm run chaos` runs the long loop with any flags.
import { describe, expect, it } from 'vitest';
import { runKillLoop } from './kill9.js';
import { ensureServerBuilt } from './server-process.js';
import { scaled } from '../test/helpers/scale.js';

describe('kill -9 loop', () => {
  it(`loses no acknowledged write and reads back nothing impossible over ${scaled(6)} kills`, async () => {
    ensureServerBuilt();
    const result = await runKillLoop({ cycles: scaled(6), seconds: scaled(40), clients: 4, appendfsync: 'always', preload: 1_000, seed: 7 });
    console.log(result.summary);
    for (const message of result.messages) console.log(message);
    expect(result.cycles).toBeGreaterThanOrEqual(3);
    expect(result.keysChecked).toBeGreaterThan(0);
    expect(result.ackedOps).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.impossible).toBe(0);
  }, scaled(40) * 1000 + 30_000);

  it(`loses no acknowledged HSET, HDEL, SADD, SREM, ZADD, ZREM, DEL, LPUSH, RPOP or LMOVE and reads back no impossible hash, set, zset or list over ${scaled(4)} kills`, async () => {
    ensureServerBuilt();
    const result = await runKillLoop({ cycles: scaled(4), seconds: scaled(30), clients: 4, appendfsync: 'always', workload: 'types', seed: 11 });
    console.log(result.summary);
    for (const message of result.messages) console.log(message);
    expect(result.cycles).toBeGreaterThanOrEqual(3);
    expect(result.keysChecked).toBeGreaterThan(0);
    expect(result.ackedOps).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.impossible).toBe(0);
  }, scaled(30) * 1000 + 30_000);

  it(`loses no acknowledged TS.ADD or TS.MADD and keeps rule destinations in step with their sources over ${scaled(4)} kills`, async () => {
    ensureServerBuilt();
    const result = await runKillLoop({ cycles: scaled(4), seconds: scaled(30), clients: 4, appendfsync: 'always', workload: 'ts', runMsMax: 1500, seed: 13 });
    console.log(result.summary);
    for (const message of result.messages) console.log(message);
    expect(result.cycles).toBeGreaterThanOrEqual(3);
    expect(result.keysChecked).toBeGreaterThan(0);
    expect(result.ackedOps).toBeGreaterThan(0);
    expect(result.errorReplies).toBe(0);
    expect(result.lost).toBe(0);
    expect(result.impossible).toBe(0);
  }, scaled(30) * 1000 + 30_000);
});
