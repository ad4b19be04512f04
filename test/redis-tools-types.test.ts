// test/redis-tools-types.test.ts: redis-benchmark and redis-cli's key walkers on hashes and sets.
// - `redis-benchmark -t hset,sadd,spop -n 20000 -q` (and -P 16 -r 1000) runs clean: a
//   requests-per-second line per test, no error reply counted by the server, and the keys it
//   leaves are those a real Redis 7.0 is left with by the same run.
// - `redis-cli --bigkeys` and `--memkeys` over strings, hashes (listpack and hashtable) and sets
//   (intset and hashtable) finish and name the biggest of each type; --bigkeys's summary is the one
//   redis-cli prints for a real Redis holding the same keys, word for word.
// Skipped, with the reason printed, when redis-benchmark / redis-cli are not installed; the
// comparisons with a real Redis are skipped when redis-server is not.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';

const run = promisify(execFile);
const TOOL_TIMEOUT_MS = 60_000;
const BENCHMARK_TESTS = ['HSET', 'SADD', 'SPOP'] as const;

const benchmarkSkip = hasBinary('redis-benchmark') ? undefined : 'redis-benchmark is not installed (apt-get install redis-tools)';
const cliSkip = hasBinary('redis-cli') ? undefined : 'redis-cli is not installed (apt-get install redis-tools)';
const realRedisSkip = hasRedisServer() ? undefined : 'redis-server is not installed: no comparison with a real Redis';
for (const reason of [benchmarkSkip, cliSkip, realRedisSkip]) if (reason !== undefined) console.warn(`redis tools test: ${reason}`);

/** The same keyspace on every server: strings, hashes and sets, with a clear biggest of each kind. */
async function load(client: Redis): Promise<void> {
  const pipeline = client.pipeline();
  for (let index = 0; index < 200; index++) pipeline.set(`str:${index}`, 's'.repeat(index % 50));
  pipeline.set('str:big', 'b'.repeat(20_000));
  for (let index = 0; index < 30; index++) {
    pipeline.hset(`hash:${index}`, Object.fromEntries(Array.from({ length: index + 1 }, (_, field) => [`f${field}`, `v${field}`])));
    pipeline.sadd(`set:${index}`, ...Array.from({ length: index + 1 }, (_, member) => String(member * 3)));
  }
  // most fields / members: the --bigkeys answers
  for (let start = 0; start < 3000; start += 500) {
    pipeline.hset('hash:long', Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`field:${start + index}`, `v${start + index}`])));
  }
  for (let start = 0; start < 2000; start += 500) pipeline.sadd('set:long', ...Array.from({ length: 500 }, (_, index) => `member:${start + index}`));
  // most bytes (about twice the longest ones'): the --memkeys answers
  pipeline.hset('hash:wide', Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`w${index}`, 'w'.repeat(2000)])));
  pipeline.sadd('set:fat', ...Array.from({ length: 150 }, (_, index) => `${index}:${'m'.repeat(2000)}`));
  for (const [error] of (await pipeline.exec()) ?? []) if (error !== null) throw error;
}

const KEY_COUNT = 200 + 1 + 30 * 2 + 4;

function biggest(output: string, type: string): string | undefined {
  return new RegExp(`Biggest\\s+${type} found '"([^"]+)"'`).exec(output)?.[1];
}

/** --bigkeys's summary: from "-------- summary -------" to the end. */
function summaryOf(output: string): string {
  const start = output.indexOf('-------- summary -------');
  expect(start).toBeGreaterThanOrEqual(0);
  return output.slice(start);
}

async function cli(port: number, args: string[]): Promise<string> {
  const { stdout, stderr } = await run('redis-cli', ['-p', String(port), ...args], { timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  expect(stderr).toBe('');
  return stdout;
}

describe('redis-cli --bigkeys and --memkeys over strings, hashes and sets', () => {
  let server: StartedServer;
  let real: RealRedis | undefined;

  beforeAll(async () => {
    if (cliSkip !== undefined) return;
    server = await startServer();
    const client = new Redis({ port: server.port, host: '127.0.0.1' });
    await load(client);
    client.disconnect();
    if (realRedisSkip === undefined) {
      real = await startRealRedis();
      const oracle = new Redis({ port: real.port, host: '127.0.0.1' });
      await load(oracle);
      oracle.disconnect();
    }
  });

  afterAll(async () => {
    await server?.stop();
    await real?.stop();
  });

  it.skipIf(cliSkip !== undefined)('runs --bigkeys to its summary, naming the string, hash and set with the most bytes, fields and members', async () => {
    const output = await cli(server.port, ['--bigkeys']);
    expect(output).toContain(`Sampled ${KEY_COUNT} keys in the keyspace!`);
    expect(output).toContain(`Biggest string found '"str:big"' has 20000 bytes`);
    expect(output).toContain(`Biggest   hash found '"hash:long"' has 3000 fields`);
    expect(output).toContain(`Biggest    set found '"set:long"' has 2000 members`);
    expect(output).toMatch(/32 hashs with 3665 fields \(\d+\.\d+% of keys, avg size 114\.53\)/);
    expect(output).toMatch(/32 sets with 2615 members \(\d+\.\d+% of keys, avg size 81\.72\)/);
    if (real !== undefined) expect(summaryOf(output)).toBe(summaryOf(await cli(real.port, ['--bigkeys'])));
  });

  it.skipIf(cliSkip !== undefined)('runs --memkeys to its summary, naming the hash and set that take the most memory', async () => {
    const output = await cli(server.port, ['--memkeys']);
    expect(output).toContain(`Sampled ${KEY_COUNT} keys in the keyspace!`);
    expect(biggest(output, 'string')).toBe('str:big');
    expect(biggest(output, 'hash')).toBe('hash:wide');
    expect(biggest(output, 'set')).toBe('set:fat');
    expect(output).toMatch(/32 hashs with \d+ bytes/);
    expect(output).toMatch(/32 sets with \d+ bytes/);
    if (real !== undefined) {
      const oracle = await cli(real.port, ['--memkeys']);
      for (const type of ['string', 'hash', 'set']) expect(biggest(output, type), type).toBe(biggest(oracle, type));
    }
  });
});

/** Each test's last line in -q mode: `HSET: 12345.67 requests per second, p50=0.215 msec`. */
function requestsPerSecond(output: string): Map<string, number> {
  const rates = new Map<string, number>();
  for (const line of output.split(/[\r\n]+/)) {
    const match = /^([A-Z]+): ([\d.]+) requests per second/.exec(line.trim());
    if (match !== null) rates.set(match[1]!, Number(match[2]));
  }
  return rates;
}

async function benchmark(port: number, extra: string[]): Promise<Map<string, number>> {
  const { stdout, stderr } = await run('redis-benchmark', ['-p', String(port), '-t', 'hset,sadd,spop', '-n', '20000', '-q', ...extra], { timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  expect(stderr).toBe('');
  expect(stdout).not.toMatch(/error/i);
  return requestsPerSecond(stdout);
}

describe.skipIf(benchmarkSkip !== undefined)('redis-benchmark -t hset,sadd,spop', () => {
  let server: StartedServer;
  let client: Redis;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis({ port: server.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  async function errorReplies(): Promise<number> {
    return Number(/total_error_replies:(\d+)/.exec(await client.info('stats'))?.[1]);
  }

  it('runs clean, one request rate per test, and leaves what a real Redis is left with', async () => {
    const rates = await benchmark(server.port, []);
    console.log(`redis-benchmark -n 20000: ${JSON.stringify(Object.fromEntries(rates))}`);
    expect([...rates.keys()].sort()).toEqual([...BENCHMARK_TESTS].sort());
    for (const rate of rates.values()) expect(rate).toBeGreaterThan(0);
    expect(await errorReplies()).toBe(0);
    const left = { dbsize: await client.dbsize(), hash: await client.hgetall('myhash'), set: await client.type('myset') };
    expect(left.dbsize).toBe(1);
    expect(Object.keys(left.hash)).toEqual(['element:__rand_int__']); // no -r: one field, set 20000 times
    expect(left.set).toBe('none'); // its one member popped: the set is gone
    if (realRedisSkip === undefined) {
      const real = await startRealRedis();
      const oracle = new Redis({ port: real.port, host: '127.0.0.1' });
      try {
        await benchmark(real.port, []);
        expect({ dbsize: await oracle.dbsize(), hash: await oracle.hgetall('myhash'), set: await oracle.type('myset') }).toEqual(left);
      } finally {
        oracle.disconnect();
        await real.stop();
      }
    }
  }, 120_000);

  it('runs clean pipelined (-P 16) over random fields and members, keeping HLEN and SCARD exact', async () => {
    await client.flushall();
    const rates = await benchmark(server.port, ['-P', '16', '-r', '1000']);
    console.log(`redis-benchmark -n 20000 -P 16 -r 1000: ${JSON.stringify(Object.fromEntries(rates))}`);
    expect([...rates.keys()].sort()).toEqual([...BENCHMARK_TESTS].sort());
    for (const rate of rates.values()) expect(rate).toBeGreaterThan(0);
    expect(await errorReplies()).toBe(0);
    const fields = await client.hkeys('myhash');
    expect(fields.length).toBeGreaterThan(900); // 20000 draws from 1000 values: nearly all of them
    expect(fields.length).toBeLessThanOrEqual(1000);
    expect(await client.hlen('myhash')).toBe(fields.length);
    const members = await client.smembers('myset'); // SADD drew ~1000 distinct, SPOP popped them all: gone
    expect(await client.scard('myset')).toBe(members.length);
  }, 120_000);
});
