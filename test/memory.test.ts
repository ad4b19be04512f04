// test/memory.test.ts: MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP through ioredis,
// USAGE and the error texts compared with a real redis-server 7.0 given the same commands, and
// `redis-cli --memkeys` run to completion.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from './helpers/server.js';
import { hasBinary, startRealRedis, type RealRedis } from './helpers/real-redis.js';

let server: StartedServer;
let real: RealRedis;
let tskv: Redis;
let redis: Redis;

beforeAll(async () => {
  server = await startServer();
  real = await startRealRedis();
  tskv = new Redis({ port: server.port, host: '127.0.0.1' });
  redis = new Redis({ port: real.port, host: '127.0.0.1' });
});

afterAll(async () => {
  tskv?.disconnect();
  redis?.disconnect();
  await server?.stop();
  await real?.stop();
});

/** The reply, or the error's text, of one command. */
async function reply(client: Redis, args: string[]): Promise<unknown> {
  try {
    return await client.call(args[0] as string, ...args.slice(1));
  } catch (error) {
    return error instanceof Error ? `error: ${error.message}` : error;
  }
}

describe('MEMORY USAGE', () => {
  it('answers what Redis answers for fresh string keys of many sizes and encodings', async () => {
    const cases: Array<[string, string]> = [];
    for (const keyLength of [1, 5, 31, 32, 40, 255, 256, 300]) {
      for (const valueLength of [0, 3, 20, 43, 44, 45, 100, 252, 253, 300, 4000, 5000, 20_000, 70_000]) {
        cases.push(['k'.repeat(keyLength), 'x'.repeat(valueLength)]);
      }
    }
    for (const value of ['0', '123', '9999', '10000', '-5', '9223372036854775807', '9223372036854775808', '007', ' 1', '1.5']) cases.push(['num', value]);
    for (const [key, value] of cases) {
      for (const client of [tskv, redis]) {
        await client.del(key);
        await client.set(key, value);
      }
      const expected = await reply(redis, ['MEMORY', 'USAGE', key]);
      expect(await reply(tskv, ['MEMORY', 'USAGE', key]), `key ${key.length} B, value ${JSON.stringify(value.slice(0, 12))} (${value.length} B)`).toEqual(expected);
    }
  });

  it('gives nil for a missing key and Redis error texts for bad options', async () => {
    await tskv.set('present', 'v');
    await redis.set('present', 'v');
    for (const args of [
      ['MEMORY', 'USAGE', 'nokey'],
      ['MEMORY', 'USAGE', 'present', 'SAMPLES', '0'],
      ['MEMORY', 'USAGE', 'present', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'present', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'present', 'SAMPLES'],
      ['MEMORY', 'USAGE', 'present', 'bar'],
      ['MEMORY', 'USAGE'],
      ['MEMORY', 'nosuch'],
      ['MEMORY', 'PURGE'],
      ['MEMORY', 'HELP'],
      ['MEMORY'],
    ]) {
      expect(await reply(tskv, args), args.join(' ')).toEqual(await reply(redis, args));
    }
  });
});

describe('MEMORY STATS, DOCTOR, MALLOC-STATS', () => {
  it('STATS is a map with Redis field names that counts the keys', async () => {
    await tskv.flushall();
    await tskv.mset('a', '1', 'b', '2');
    const fields = (await tskv.call('MEMORY', 'STATS')) as unknown[];
    const stats = new Map<string, unknown>();
    for (let index = 0; index < fields.length; index += 2) stats.set(String(fields[index]), fields[index + 1]);
    for (const name of ['peak.allocated', 'total.allocated', 'overhead.total', 'dataset.bytes', 'tskv.cache.bytes-max']) expect(typeof stats.get(name)).toBe('number');
    expect(stats.get('keys.count')).toBe(2);
    expect(stats.get('db.0')).toEqual(['overhead.hashtable.main', 48, 'overhead.hashtable.expires', 0]);
  });

  it('DOCTOR and MALLOC-STATS answer with text', async () => {
    expect(String(await tskv.call('MEMORY', 'DOCTOR'))).toMatch(/^Hi Sam, /);
    expect(String(await tskv.call('MEMORY', 'MALLOC-STATS'))).toBe('Stats not supported for the current allocator');
  });
});

describe.skipIf(!hasBinary('redis-cli'))('redis-cli --memkeys', () => {
  it('runs to completion and names the biggest key by its MEMORY USAGE', async () => {
    await tskv.flushall();
    await tskv.set('small', 'x');
    await tskv.set('big', 'y'.repeat(10_000));
    const run = spawnSync('redis-cli', ['-p', String(server.port), '--memkeys'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Biggest string found '"?big"?' has 10\d\d\d bytes/);
    expect(run.stdout).toMatch(/2 strings with \d+ bytes/);
  });
});
