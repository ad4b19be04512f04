// test/timeseries-restart.test.ts: a series' live state (last sample, counts, duplicate policy at
// the last timestamp, retention) is the same after a restart, graceful or kill -9, between
// TS.ADDs. Appends in order leave the series' record as it was (types/timeseries/hot-state.ts
// keeps lastTs, lastValue and the counts in memory until the sealer or another write records
// them), so a restarted server rebuilds them from the raw samples past the record's lastTs; the
// keyspace's sample counts (INFO tskv_timeseries_samples) must follow, DEL and MOVE included.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FlowServer, flowError, type FlowClient, type Py } from './helpers/ts-flow.js';

const BLOCKED = 'ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to BLOCK mode';

let server: FlowServer;
let r: FlowClient;

beforeAll(async () => {
  server = await FlowServer.start(['--appendfsync', 'always']);
  r = await server.client();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  await r.cmd('FLUSHALL');
});

async function restart(how: 'graceful' | 'kill9'): Promise<void> {
  r.close();
  if (how === 'kill9') await server.server.kill9();
  await server.server.restart();
  r = await server.client();
}

async function samplesCounted(): Promise<number> {
  const text = String(await r.cmd('INFO', 'tskv'));
  return Number(/tskv_timeseries_samples:(\d+)/.exec(text)?.[1]);
}

describe.each(['graceful', 'kill9'] as const)('a restart (%s) between TS.ADDs', (how) => {
  test('keeps TS.GET, TS.INFO and BLOCK at the last timestamp', async () => {
    expect(await r.cmd('TS.CREATE', 'k', 'LABELS', 'host', 'a')).toBe('OK');
    expect(await r.cmd('TS.ADD', 'k', 1000, 1)).toBe(1000);
    expect(await r.cmd('TS.ADD', 'k', 1010, 2)).toBe(1010);
    expect(await r.cmd('TS.ALTER', 'k', 'DUPLICATE_POLICY', 'BLOCK')).toBe('OK'); // records the state so far
    expect(await r.cmd('TS.MADD', 'k', 1020, 3)).toEqual([1020]);
    const before = await r.info('k');
    expect(before.totalSamples).toBe(3);
    await restart(how);
    expect(await r.cmd('TS.GET', 'k')).toEqual([1020, '3']);
    const after = await r.info('k');
    expect(after.fields).toEqual({ ...before.fields, memoryUsage: after.memoryUsage });
    expect(after.totalSamples).toBe(3);
    expect(after.firstTimestamp).toBe(1000);
    expect(after.lastTimestamp).toBe(1020);
    expect(await flowError(r.cmd('TS.ADD', 'k', 1020, 5))).toBe(BLOCKED);
    expect(await flowError(r.cmd('TS.ADD', 'k', 1000, 5))).toBe(BLOCKED);
    expect(await r.cmd('TS.ADD', 'k', 1030, 4)).toBe(1030);
    expect(await r.cmd('TS.RANGE', 'k', '-', '+')).toEqual([[1000, '1'], [1010, '2'], [1020, '3'], [1030, '4']]);
    expect(await r.cmd('TS.MGET', 'FILTER', 'host=a')).toEqual([['k', [], [1030, '4']]]);
    expect(await samplesCounted()).toBe(4);
    await restart(how);
    expect((await r.info('k')).totalSamples).toBe(4);
    expect(await samplesCounted()).toBe(4);
  });

  test('keeps the first sample of a series created empty, and an upsert after it', async () => {
    await r.cmd('TS.CREATE', 'e', 'DUPLICATE_POLICY', 'SUM');
    await r.cmd('TS.ADD', 'e', 500, 7);
    await restart(how);
    expect(await r.cmd('TS.GET', 'e')).toEqual([500, '7']);
    expect(await r.cmd('TS.ADD', 'e', 500, 3)).toBe(500);
    expect(await r.cmd('TS.GET', 'e')).toEqual([500, '10']);
    expect(await r.cmd('TS.ADD', 'e', 400, 1)).toBe(400);
    const info = await r.info('e');
    expect([info.totalSamples, info.firstTimestamp, info.lastTimestamp]).toEqual([2, 400, 500]);
    await restart(how);
    const again = await r.info('e');
    expect([again.totalSamples, again.firstTimestamp, again.lastTimestamp]).toEqual([2, 400, 500]);
    expect(await samplesCounted()).toBe(2);
  });

  test('keeps late samples that wrote no record, new ones and replaced ones', async () => {
    await r.cmd('TS.CREATE', 'late', 'DUPLICATE_POLICY', 'LAST');
    await r.cmd('TS.ADD', 'late', 100, 1);
    expect(await r.cmd('TS.ALTER', 'late', 'LABELS', 'a', 'b')).toBe('OK'); // records lastTs 100
    expect(await r.cmd('TS.MADD', 'late', 200, 2, 'late', 300, 3, 'late', 150, 4, 'late', 200, 5, 'late', 50, 6)).toEqual([200, 300, 150, 200, 50]);
    const before = await r.cmd('TS.RANGE', 'late', '-', '+');
    expect(before).toEqual([[50, '6'], [100, '1'], [150, '4'], [200, '5'], [300, '3']]);
    await restart(how);
    expect(await r.cmd('TS.RANGE', 'late', '-', '+')).toEqual(before);
    const info = await r.info('late');
    expect([info.totalSamples, info.firstTimestamp, info.lastTimestamp]).toEqual([5, 50, 300]);
    expect(await samplesCounted()).toBe(5);
    expect(await r.cmd('TS.ADD', 'late', 250, 7)).toBe(250);
    await restart(how);
    expect((await r.info('late')).totalSamples).toBe(6);
    expect(await samplesCounted()).toBe(6);
  });

  test('keeps retention measured from the last sample', async () => {
    await r.cmd('TS.CREATE', 'ret', 'RETENTION', 100);
    for (const ts of [1000, 1050, 1120, 1200]) await r.cmd('TS.ADD', 'ret', ts, ts);
    await restart(how);
    expect(await r.cmd('TS.RANGE', 'ret', '-', '+')).toEqual([[1120, '1120'], [1200, '1200']]);
    expect(await flowError(r.cmd('TS.ADD', 'ret', 1050, 1))).toBe('ERR TSDB: Timestamp is older than retention');
    expect((await r.info('ret')).firstTimestamp).toBe(1120);
  });

  test('counts samples right when the series is deleted or moved before any TS command', async () => {
    for (const key of ['gone', 'moved']) {
      await r.cmd('TS.CREATE', key);
      for (let ts = 1; ts <= 5; ts++) await r.cmd('TS.ADD', key, ts, ts);
    }
    expect(await samplesCounted()).toBe(10);
    await restart(how);
    expect(await r.cmd('DEL', 'gone')).toBe(1);
    expect(await samplesCounted()).toBe(5);
    expect(await r.cmd('MOVE', 'moved', 1)).toBe(1);
    expect(await samplesCounted()).toBe(5);
    await r.cmd('SELECT', 1);
    expect(await r.cmd('DEL', 'moved')).toBe(1);
    await r.cmd('SELECT', 0);
    expect(await samplesCounted()).toBe(0);
  });
});

test('WATCH sees an append that writes no record', async () => {
  await r.cmd('TS.CREATE', 'w');
  await r.cmd('TS.ADD', 'w', 1, 1);
  const other = await server.client();
  await r.cmd('WATCH', 'w');
  await other.cmd('TS.ADD', 'w', 2, 2);
  await r.cmd('MULTI');
  await r.cmd('TS.ADD', 'w', 3, 3);
  expect(await r.cmd('EXEC')).toBe(null as Py);
  expect(await r.cmd('TS.GET', 'w')).toEqual([2, '2']);
});

test('EXPIRE, PERSIST and RENAME of a series with unrecorded appends keep the sample count', async () => {
  await r.cmd('TS.CREATE', 'x');
  for (let ts = 1; ts <= 4; ts++) await r.cmd('TS.ADD', 'x', ts, ts);
  expect(await r.cmd('EXPIRE', 'x', 1000)).toBe(1);
  expect(await samplesCounted()).toBe(4);
  await r.cmd('TS.ADD', 'x', 5, 5);
  expect(await r.cmd('PERSIST', 'x')).toBe(1);
  expect(await r.cmd('RENAME', 'x', 'y')).toBe('OK');
  expect(await samplesCounted()).toBe(5);
  expect((await r.info('y')).totalSamples).toBe(5);
  await r.cmd('TS.ADD', 'y', 6, 6);
  expect(await r.cmd('COPY', 'y', 'z')).toBe(1);
  expect(await samplesCounted()).toBe(12);
  expect(await r.cmd('DEL', 'y', 'z')).toBe(2);
  expect(await samplesCounted()).toBe(0);
});
