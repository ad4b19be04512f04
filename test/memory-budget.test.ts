// test/memory-budget.test.ts: maxmemory as tskv's memory budget, end to end. The memtable and
// block cache follow maxmemory (at start and after CONFIG SET); under a maxmemory below what the
// process holds, the server sheds caches and flushes early, counts it in INFO memory, and keeps
// every key and every later write (nothing is evicted, nothing refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from './helpers/server.js';
import { BLOCK_CACHE_HEAP_BYTES } from '../storage/index.js';

const MIB = 1024 * 1024;
const KEYS = 20_000;
const VALUE = 'v'.repeat(200);
const PRESSURE_WAIT_MS_MAX = 10_000;

let server: StartedServer;
let client: Redis;

beforeAll(async () => {
  server = await startServer({ args: ['--maxmemory', '64mb'] });
  client = new Redis({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

async function memoryInfo(): Promise<Record<string, string>> {
  const text = await client.info('memory');
  return Object.fromEntries(text.split('\r\n').filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]));
}

describe('maxmemory as the memory budget', () => {
  it('sizes the memtable and the cache from maxmemory, and follows CONFIG SET', async () => {
    let info = await memoryInfo();
    expect([info['maxmemory'], info['tskv_memtable_bytes_max'], info['tskv_cache_bytes_max']]).toEqual([String(64 * MIB), String(8 * MIB), String(24 * MIB)]);
    expect(await client.config('SET', 'maxmemory', '32mb')).toBe('OK');
    info = await memoryInfo();
    expect([info['tskv_memtable_bytes_max'], info['tskv_cache_bytes_max']]).toEqual([String(4 * MIB), String(12 * MIB)]);
    expect(await client.config('SET', 'maxmemory', '0')).toBe('OK');
    info = await memoryInfo();
    expect([info['tskv_memtable_bytes_max'], info['tskv_cache_bytes_max']]).toEqual([String(32 * MIB), String(256 * MIB)]);
  });

  it('explains RSS in INFO memory: engine parts, JS heap, the rest', async () => {
    const info = await memoryInfo();
    for (const field of ['tskv_memtable_arena_bytes', 'tskv_memtable_index_bytes', 'tskv_cache_bytes', 'tskv_table_index_filter_bytes', 'tskv_engine_bytes',
      'tskv_js_heap_used', 'tskv_js_heap_total', 'tskv_js_heap_resident', 'tskv_external_other_bytes', 'tskv_rss_executable_bytes', 'tskv_rss_unaccounted_bytes', 'tskv_maxmemory_pressure_events']) {
      expect(info[field], field).toMatch(/^\d+$/);
    }
    const parts = ['tskv_memtable_arena_bytes', 'tskv_memtable_index_bytes', 'tskv_cache_bytes', 'tskv_table_index_filter_bytes'].reduce((sum, field) => sum + Number(info[field]), 0);
    // outside the JS heap: each cached block's objects (in tskv_cache_bytes) are in tskv_js_heap_total already
    expect(Number(info['tskv_engine_bytes'])).toBe(parts - Number(info['tskv_cache_blocks']) * BLOCK_CACHE_HEAP_BYTES);
    expect(Number(info['tskv_memtable_index_bytes'])).toBeGreaterThan(0); // an empty memtable has its arrays
    if (process.platform === 'linux') {
      // node's own binary pages are a part of their own, not in the unaccounted rest
      expect(Number(info['tskv_rss_executable_bytes'])).toBeGreaterThan(MIB);
      expect(Number(info['tskv_rss_executable_bytes'])).toBeLessThan(Number(info['used_memory_rss']));
    }
  });

  it('under a maxmemory below what it holds, sheds caches and flushes early, and loses nothing', async () => {
    for (let start = 0; start < KEYS; start += 1_000) {
      const pipeline = client.pipeline();
      for (let index = start; index < start + 1_000; index++) pipeline.set(`key:${index}`, `${VALUE}${index}`);
      await pipeline.exec();
    }
    const before = await memoryInfo();
    expect(Number(before['tskv_memtable_bytes'])).toBeGreaterThan(MIB); // 20k * 200 B, not flushed yet at a 32 MiB memtable
    expect(await client.config('SET', 'maxmemory', '1mb')).toBe('OK'); // below any Node process's RSS
    const deadline = Date.now() + PRESSURE_WAIT_MS_MAX;
    let info = await memoryInfo();
    while (Number(info['tskv_maxmemory_pressure_events']) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      info = await memoryInfo();
    }
    expect(Number(info['tskv_maxmemory_pressure_events'])).toBeGreaterThan(0);
    expect(Number(info['tskv_memtable_bytes_max'])).toBe(MIB);
    expect(Number(info['tskv_cache_bytes'])).toBeLessThanOrEqual(MIB);
    expect(await client.set('after-pressure', 'written')).toBe('OK'); // writes are not refused
    expect(await client.dbsize()).toBe(KEYS + 1);
    const sample = await client.mget(Array.from({ length: 1_000 }, (_, index) => `key:${index * 20}`));
    expect(sample).toEqual(Array.from({ length: 1_000 }, (_, index) => `${VALUE}${index * 20}`));
    expect(await client.get('after-pressure')).toBe('written');
    expect(await client.config('SET', 'maxmemory', '0')).toBe('OK');
  });
});
