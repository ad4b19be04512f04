// test/compact.test.ts: DEBUG COMPACT (the manual full compaction) through the server, and what
// it reclaims: a namespace dropped by FLUSHALL (the engine's compactionFilter) and overwritten
// versions, while the live keys stay readable and survive a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from './helpers/server.js';

const KEY_COUNT = 20_000;
const POLL_MS = 50;
const POLL_COUNT_MAX = 400; // 20 s

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

async function tskvInfo(): Promise<Map<string, string>> {
  const text = await redis.info('tskv');
  return new Map(text.split('\r\n').filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

/** INFO persistence's tskv_compaction_in_progress (as Redis's aof_rewrite_in_progress). */
async function compactionInProgress(): Promise<string | undefined> {
  return /tskv_compaction_in_progress:(\d+)/.exec(await redis.info('persistence'))?.[1];
}

async function compactAndWait(): Promise<Map<string, string>> {
  const before = Number((await tskvInfo()).get('compactions_total'));
  expect(await compactionInProgress()).toBe('0');
  expect(await redis.call('DEBUG', 'COMPACT')).toBe('Background compaction started');
  expect(await compactionInProgress()).toBe('1'); // 3 x 20k keys: many 4 ms slices, not one round trip
  for (let poll = 0; poll < POLL_COUNT_MAX; poll++) {
    const info = await tskvInfo();
    if (Number(info.get('compactions_total')) > before) {
      expect(await compactionInProgress()).toBe('0');
      return info;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('DEBUG COMPACT did not finish within 20 s');
}

async function fill(prefix: string, value: string): Promise<void> {
  for (let start = 0; start < KEY_COUNT; start += 1_000) {
    const pairs: string[] = [];
    for (let index = start; index < start + 1_000; index++) pairs.push(`${prefix}${index}`, value);
    await redis.mset(...pairs);
  }
}

describe('DEBUG COMPACT', () => {
  it('reclaims overwritten versions and a flushed database, keeping the live keys', async () => {
    await fill('old:', 'x'.repeat(100));
    await fill('old:', 'y'.repeat(100)); // every key overwritten once
    await redis.flushall(); // O(1): the old namespace is dead, its bytes wait for compaction
    await fill('live:', 'z'.repeat(100));
    const live = Number((await compactAndWait()).get('sstable_bytes'));
    console.log(`sstable bytes after DEBUG COMPACT: ${live}`);
    // The live data is KEY_COUNT keys of ~110 bytes; the dead namespace and the overwritten
    // versions (2 x KEY_COUNT x ~110 bytes) are gone.
    expect(live).toBeLessThan(KEY_COUNT * 160); // measured ~2.5 MB; without the filter ~4.9 MB
    expect(await redis.dbsize()).toBe(KEY_COUNT);
    expect(await redis.get('old:7')).toBeNull();
    expect(await redis.get('live:7')).toBe('z'.repeat(100));
    await server.kill9();
    await server.restart();
    redis.disconnect();
    redis = new Redis({ port: server.port, host: '127.0.0.1' });
    expect(await redis.dbsize()).toBe(KEY_COUNT);
    expect(await redis.get(`live:${KEY_COUNT - 1}`)).toBe('z'.repeat(100));
    expect(await redis.get('old:7')).toBeNull();
  });

  it('answers with the help text and refuses extra arguments like Redis', async () => {
    expect(await redis.call('DEBUG', 'HELP')).toEqual(expect.arrayContaining(['COMPACT']));
    await expect(redis.call('DEBUG', 'COMPACT', 'now')).rejects.toThrow("ERR wrong number of arguments for 'debug|compact' command");
  });
});
