// test/flush-worker.test.ts: the built server (dist/tskv.js) flushes its memtables on the flush
// worker thread (dist/flush-worker.js, storage/flush-worker-client.ts): with --maxmemory 8mb the
// memtable is 1 MiB, so a few MiB of SETs make several worker flushes. Every acknowledged write
// is read back after a kill -9 taken while flushes run, and SIGTERM still ends the process
// (the worker thread keeps nothing alive).
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from './helpers/server.js';

const KEY_COUNT = 30_000;
const VALUE = 'v'.repeat(200);

let server: StartedServer | undefined;

afterAll(async () => {
  await server?.stop();
});

function info(text: string, field: string): number {
  const line = text.split('\r\n').find((candidate) => candidate.startsWith(`${field}:`));
  return Number(line?.slice(field.length + 1));
}

describe('memtable flushes on the worker thread', () => {
  it('flushes on the worker, keeps every acknowledged write across kill -9, and exits on SIGTERM', async () => {
    server = await startServer({ args: ['--maxmemory', '8mb', '--appendfsync', 'always', '--flush-worker', 'yes'] });
    let redis = new Redis({ port: server.port, host: '127.0.0.1' });
    for (let start = 0; start < KEY_COUNT; start += 1000) {
      const pipeline = redis.pipeline();
      for (let index = start; index < start + 1000; index++) pipeline.set(`key:${index}`, `${VALUE}${index}`);
      await pipeline.exec(); // acknowledged: in the WAL, fsynced
    }
    expect(server.output()).toContain('flush worker started');
    expect(info(await redis.info(), 'tskv_flushes')).toBeGreaterThanOrEqual(3);
    redis.disconnect();
    await server.kill9(); // a flush of the last memtables may be in flight on the worker
    await server.restart();
    redis = new Redis({ port: server.port, host: '127.0.0.1' });
    for (let start = 0; start < KEY_COUNT; start += 1000) {
      const keys = Array.from({ length: 1000 }, (_, offset) => `key:${start + offset}`);
      const values = await redis.mget(...keys);
      values.forEach((value, offset) => expect(value).toBe(`${VALUE}${start + offset}`));
    }
    redis.disconnect();
    await server.stop();
    expect(await server.exited()).toEqual({ code: 0, signal: null });
    server = undefined;
  }, 120_000);
});
