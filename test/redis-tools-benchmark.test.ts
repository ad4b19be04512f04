// test/redis-tools-benchmark.test.ts: `redis-benchmark` with its default test list (no -t), the
// first thing many people run against a Redis-compatible server, runs to the end against tskv:
// - `redis-benchmark -n 200 -P 1 -q` prints a requests-per-second line for each of its 20 tests
//   (PING_INLINE .. MSET, lists, sets, hashes and sorted sets among them), the same list a real
//   Redis 7.0 gets, with no error on either stream and no error reply counted by the server;
// - it leaves the keys a real Redis 7.0 is left with by the same run (lists balanced by their
//   pops, the set and zset popped empty).
// Skipped, with the reason printed, when redis-benchmark is not installed; the comparison with a
// real Redis is skipped when redis-server is not.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';

const run = promisify(execFile);
const TOOL_TIMEOUT_MS = 90_000;
const DEFAULT_TESTS = [
  'PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN',
  'LPUSH (needed to benchmark LRANGE)', 'LRANGE_100 (first 100 elements)', 'LRANGE_300 (first 300 elements)',
  'LRANGE_500 (first 500 elements)', 'LRANGE_600 (first 600 elements)', 'MSET (10 keys)',
] as const;

const benchmarkSkip = hasBinary('redis-benchmark') ? undefined : 'redis-benchmark is not installed (apt-get install redis-tools)';
const realRedisSkip = hasRedisServer() ? undefined : 'redis-server is not installed: no comparison with a real Redis';
for (const reason of [benchmarkSkip, realRedisSkip]) if (reason !== undefined) console.warn(`redis-benchmark test: ${reason}`);

/** -q prints, per test, progress lines ending in \r and then `NAME: 1234.56 requests per second, p50=...`. */
function resultLines(output: string): { name: string; rate: number }[] {
  const results: { name: string; rate: number }[] = [];
  for (const line of output.split(/[\r\n]+/)) {
    const match = /^(.+): ([\d.]+) requests per second/.exec(line.trim());
    if (match !== null) results.push({ name: match[1]!, rate: Number(match[2]) });
  }
  return results;
}

/** Runs the default list; returns its result lines after checking neither stream shows an error. */
async function benchmark(port: number): Promise<{ name: string; rate: number }[]> {
  const { stdout, stderr } = await run('redis-benchmark', ['-p', String(port), '-n', '200', '-P', '1', '-q'], { timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  expect(stderr).toBe('');
  expect(stdout).not.toMatch(/error/i);
  return resultLines(stdout);
}

/** What the run leaves: every key with its type and length. */
async function leftovers(client: Redis): Promise<Record<string, string>> {
  const left: Record<string, string> = {};
  for (const key of (await client.keys('*')).sort()) {
    const type = await client.type(key);
    const size = type === 'list' ? await client.llen(key) : type === 'hash' ? await client.hlen(key) : type === 'string' ? await client.strlen(key) : -1;
    left[key] = `${type} ${size}`;
  }
  return left;
}

describe.skipIf(benchmarkSkip !== undefined)('redis-benchmark with its default test list', () => {
  let server: StartedServer;
  let client: Redis;
  let real: RealRedis | undefined;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis({ port: server.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    await real?.stop();
  });

  it('runs to the end: a request rate for each of its tests, no error, and the keys a real Redis is left with', async () => {
    const results = await benchmark(server.port);
    console.log(`redis-benchmark -n 200 -P 1 -q: ${results.map(({ name, rate }) => `${name} ${rate}`).join('; ')}`);
    expect(results.map(({ name }) => name)).toEqual(DEFAULT_TESTS);
    for (const { name, rate } of results) expect(rate, name).toBeGreaterThan(0);
    expect(Number(/total_error_replies:(\d+)/.exec(await client.info('stats'))?.[1])).toBe(0);
    const left = await leftovers(client);
    expect(left['mylist']).toBe('list 200'); // LPUSH 200 + RPUSH 200 - LPOP 200 - RPOP 200 + LPUSH 200
    expect(left['myset'] ?? 'gone').toBe('gone'); // one member (no -r), added 200 times, then SPOP'd
    expect(left['myzset'] ?? 'gone').toBe('gone'); // likewise through ZPOPMIN
    if (realRedisSkip === undefined) {
      real = await startRealRedis();
      const oracle = new Redis({ port: real.port, host: '127.0.0.1' });
      try {
        expect((await benchmark(real.port)).map(({ name }) => name)).toEqual(DEFAULT_TESTS);
        expect(left).toEqual(await leftovers(oracle));
      } finally {
        oracle.disconnect();
      }
    }
  }, 240_000);
});
