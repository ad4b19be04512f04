// test/hash-compaction.test.ts: the keyspace's compaction filter end to end. DEL of a hash writes
// O(1) entries (its metadata and 'ver' entry), leaving its fields in the tables; DEBUG COMPACT then
// drops them (the fields of a dead version, src/keyspace/garbage.ts), so the table bytes on disk
// fall by the hash's size, while a live hash keeps every field and no read path ever shows a field
// of the deleted one (not before the compaction either, nor in a new hash at the same key).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from './helpers/server.js';

const BIG_FIELDS = 100_000;
const LIVE_FIELDS = 10_000;
const HUGE_FIELDS = 1_000_000;
const FIELDS_PER_HSET = 1_000;
const HSETS_IN_FLIGHT = 50;
const POLL_MS = 50;
const POLL_COUNT_MAX = 1_200; // 60 s

let server: StartedServer;
let redis: Redis;

beforeAll(async () => {
  server = await startServer({ args: ['--appendfsync', 'everysec'] });
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const value = (index: number) => `value-${index}-${'v'.repeat(index % 24)}`;

/** HSET key with count fields `${prefix}${i}`, pipelined (HSETS_IN_FLIGHT commands of FIELDS_PER_HSET pairs). */
async function fillHash(key: string, prefix: string, count: number): Promise<void> {
  let pending: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += FIELDS_PER_HSET) {
    const pairs: string[] = [];
    for (let index = start; index < Math.min(count, start + FIELDS_PER_HSET); index++) pairs.push(`${prefix}${index}`, value(index));
    pending.push(redis.hset(key, ...pairs));
    if (pending.length >= HSETS_IN_FLIGHT) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
}

async function tskvInfo(): Promise<Map<string, string>> {
  const text = await redis.info('tskv');
  return new Map(text.split('\r\n').filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

/** DEBUG COMPACT, then waits until compactions_total moves (test/compact.test.ts's way). */
async function compactAndWait(): Promise<Map<string, string>> {
  const before = Number((await tskvInfo()).get('compactions_total'));
  expect(await redis.call('DEBUG', 'COMPACT')).toBe('Background compaction started');
  for (let poll = 0; poll < POLL_COUNT_MAX; poll++) {
    const info = await tskvInfo();
    if (Number(info.get('compactions_total')) > before) return info;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('DEBUG COMPACT did not finish within 60 s');
}

/** Bytes of the .sst files in the data directory. */
function tableBytesOnDisk(): number {
  return readdirSync(server.dir).filter((name) => name.endsWith('.sst')).reduce((sum, name) => sum + statSync(path.join(server.dir, name)).size, 0);
}

async function lastSequence(): Promise<number> {
  return Number(/tskv_last_sequence:(\d+)/.exec(await redis.info('persistence'))?.[1]);
}

describe('DEL of a big hash, then DEBUG COMPACT', () => {
  it('drops the deleted hash fields from the tables and keeps every field of a live hash', async () => {
    await fillHash('live', 'l', LIVE_FIELDS);
    await fillHash('big', 'f', BIG_FIELDS);
    expect(await redis.hlen('big')).toBe(BIG_FIELDS);
    const withBoth = Number((await compactAndWait()).get('sstable_bytes'));
    const withBothOnDisk = tableBytesOnDisk();

    const sequence = await lastSequence();
    expect(await redis.del('big')).toBe(1);
    expect(await lastSequence() - sequence).toBeLessThanOrEqual(8); // metadata, 'ver', count: not 100k deletes
    // Before any compaction the fields are still in the tables, but nothing reads them.
    expect(await redis.exists('big')).toBe(0);
    expect(await redis.hset('big', 'fresh', '1')).toBe(1);
    expect(await redis.hgetall('big')).toEqual({ fresh: '1' });
    expect(await redis.hget('big', 'f7')).toBeNull();
    expect(await redis.del('big')).toBe(1);

    const afterDel = Number((await compactAndWait()).get('sstable_bytes'));
    const afterDelOnDisk = tableBytesOnDisk();
    console.log(`table bytes: ${withBoth} with both hashes (${withBothOnDisk} on disk), ${afterDel} after DEL + DEBUG COMPACT (${afterDelOnDisk} on disk)`);
    // The live hash is a tenth of the big one: what is left is about its size, not the sum.
    expect(afterDel).toBeLessThan(withBoth * 0.2);
    expect(afterDelOnDisk).toBeLessThan(withBothOnDisk * 0.2);

    expect(await redis.hlen('live')).toBe(LIVE_FIELDS);
    const live = await redis.hgetall('live');
    expect(Object.keys(live)).toHaveLength(LIVE_FIELDS);
    for (let index = 0; index < LIVE_FIELDS; index++) {
      if (live[`l${index}`] !== value(index)) throw new Error(`live field l${index} = ${live[`l${index}`]}`);
    }
    redis.disconnect();
    await server.kill9();
    await server.restart();
    redis = new Redis({ port: server.port, host: '127.0.0.1' });
    expect(await redis.hlen('live')).toBe(LIVE_FIELDS);
    expect(await redis.exists('big')).toBe(0);
    expect(await redis.dbsize()).toBe(1);
  }, 120_000);

  it(`deletes a ${HUGE_FIELDS}-field hash in O(1): a handful of entries, answered in well under a second`, async () => {
    await fillHash('huge', 'h', HUGE_FIELDS);
    expect(await redis.hlen('huge')).toBe(HUGE_FIELDS);
    const sequence = await lastSequence();
    const startedMs = performance.now();
    expect(await redis.del('huge')).toBe(1);
    const elapsedMs = performance.now() - startedMs;
    console.log(`DEL of a ${HUGE_FIELDS}-field hash: ${elapsedMs.toFixed(1)} ms`);
    expect(await lastSequence() - sequence).toBeLessThanOrEqual(8);
    expect(elapsedMs).toBeLessThan(1_000); // a generous bound: bench/ measures the real time
    expect(await redis.exists('huge')).toBe(0);
  }, 300_000);
});
