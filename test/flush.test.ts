// test/flush.test.ts: FLUSHALL and FLUSHDB take constant time: they give a database a fresh
// keyspace namespace instead of deleting its keys (src/keyspace.ts). The test fills a million
// keys, as the commands issue asks (about 3 s through the server by pipelined MSET);
// src/keyspace.test.ts shows the same flush writes at most six engine entries whatever the
// database size.
// The timing check is relative (flush + next command vs. the fill), so a slow box slows both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from './helpers/server.js';

const KEY_COUNT = 1_000_000;
const BATCH = 10_000;

let server: StartedServer;
let redis: Redis;

beforeAll(async () => {
  server = await startServer({ args: ['--appendfsync', 'no'] });
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

async function fill(prefix: string, count: number): Promise<number> {
  const started = Date.now();
  const inflight: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const pairs: string[] = [];
    for (let index = start; index < start + BATCH; index++) pairs.push(`${prefix}${index}`, 'value');
    inflight.push(redis.mset(...pairs));
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  await redis.set('settled', '1'); // waits, like any write, until the engine has room again
  return Date.now() - started;
}

describe('FLUSHALL and FLUSHDB', () => {
  it(`flush ${KEY_COUNT} keys and the next command is answered at once`, async () => {
    const fillMs = await fill('key:', KEY_COUNT);
    expect(await redis.dbsize()).toBe(KEY_COUNT + 1);
    let started = Date.now();
    expect(await redis.flushall()).toBe('OK');
    const flushMs = Date.now() - started;
    started = Date.now();
    expect(await redis.ping()).toBe('PONG');
    const nextMs = Date.now() - started;
    console.log(`fill ${fillMs} ms, FLUSHALL ${flushMs} ms, next command ${nextMs} ms`);
    expect(flushMs + nextMs).toBeLessThan(fillMs / 10);
    expect(await redis.dbsize()).toBe(0);
    expect(await redis.get('key:123')).toBeNull();
    expect(await redis.keys('*')).toEqual([]);
    expect(await redis.scan(0, 'COUNT', 1000)).toEqual(['0', []]);
  });

  it('FLUSHDB empties only the selected database, and survives a restart', async () => {
    await redis.select(1);
    await redis.set('kept', 'yes');
    await redis.select(0);
    await fill('other:', 20_000);
    expect(await redis.flushdb()).toBe('OK');
    expect(await redis.dbsize()).toBe(0);
    await redis.select(1);
    expect(await redis.get('kept')).toBe('yes');
    redis.disconnect();
    await server.kill9();
    await server.restart();
    redis = new Redis({ port: server.port, host: '127.0.0.1' });
    expect(await redis.dbsize()).toBe(0);
    await redis.select(1);
    expect(await redis.dbsize()).toBe(1);
    expect(await redis.get('kept')).toBe('yes');
  });
});
