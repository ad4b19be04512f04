// test/expiry.test.ts: the expiry family end to end (EXPIRE PEXPIRE EXPIREAT PEXPIREAT with
// NX/XX/GT/LT, TTL PTTL EXPIRETIME PEXPIRETIME PERSIST), expired keys on every read path, the
// active expiry cycle, and expiry across kill -9 and restart. Texts are redis-server 7.0's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from './helpers/server.js';

let server: StartedServer;
let redis: Redis;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(): Promise<void> {
  redis?.disconnect();
  redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined); // refused connections while the server restarts
  await redis.ping();
}

beforeAll(async () => {
  server = await startServer();
  await connect();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushall();
});

describe('EXPIRE family', () => {
  it('a negative TTL deletes the key at once and replies 1', async () => {
    await redis.set('k', 'v');
    expect(await redis.expire('k', -1)).toBe(1);
    expect(await redis.exists('k')).toBe(0);
    await redis.set('k', 'v');
    expect(await redis.pexpireat('k', 1)).toBe(1);
    expect(await redis.get('k')).toBeNull();
    expect(await redis.dbsize()).toBe(0);
  });

  it('replies 0 for a missing key, even with an option', async () => {
    expect(await redis.expire('nokey', 10)).toBe(0);
    expect(await redis.call('EXPIRE', 'nokey', '10', 'XX')).toBe(0);
  });

  it('NX, XX, GT and LT: no TTL is infinite', async () => {
    await redis.set('k', 'v');
    expect(await redis.call('EXPIRE', 'k', '100', 'XX')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '100', 'GT')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '100', 'LT')).toBe(1);
    expect(await redis.call('EXPIRE', 'k', '50', 'NX')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '200', 'GT')).toBe(1);
    expect(await redis.ttl('k')).toBe(200);
    expect(await redis.call('EXPIRE', 'k', '300', 'LT')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '50', 'lt')).toBe(1);
    expect(await redis.ttl('k')).toBe(50);
    expect(await redis.call('EXPIRE', 'k', '60', 'XX', 'GT')).toBe(1);
  });

  it('refuses bad options, non-integers and overflow with Redis texts', async () => {
    await redis.set('k', 'v');
    await expect(redis.call('EXPIRE', 'k', '10', 'NX', 'XX')).rejects.toThrow('ERR NX and XX, GT or LT options at the same time are not compatible');
    await expect(redis.call('EXPIRE', 'k', '10', 'GT', 'LT')).rejects.toThrow('ERR GT and LT options at the same time are not compatible');
    await expect(redis.call('EXPIRE', 'k', '10', 'foo')).rejects.toThrow('ERR Unsupported option foo');
    await expect(redis.call('EXPIRE', 'nokey', 'abc', 'foo')).rejects.toThrow('ERR Unsupported option foo');
    await expect(redis.expire('k', 'abc')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(redis.expire('k', '9223372036854776')).rejects.toThrow("ERR invalid expire time in 'expire' command");
    await expect(redis.expire('k', '9223372036854775')).rejects.toThrow("ERR invalid expire time in 'expire' command");
    await expect(redis.pexpire('k', '9223372036854775807')).rejects.toThrow("ERR invalid expire time in 'pexpire' command");
    expect(await redis.ttl('k')).toBe(-1);
  });

  it('TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 missing, -1 no TTL, else the time', async () => {
    expect(await redis.ttl('nokey')).toBe(-2);
    expect(await redis.pttl('nokey')).toBe(-2);
    expect(await redis.call('EXPIRETIME', 'nokey')).toBe(-2);
    await redis.set('k', 'v');
    expect(await redis.pttl('k')).toBe(-1);
    expect(await redis.call('PEXPIRETIME', 'k')).toBe(-1);
    const at = Date.now() + 100_000;
    await redis.pexpireat('k', at);
    expect(await redis.call('PEXPIRETIME', 'k')).toBe(at);
    expect(await redis.call('EXPIRETIME', 'k')).toBe(Math.floor((at + 500) / 1000));
    await redis.expireat('k', Math.floor(at / 1000));
    expect(await redis.call('PEXPIRETIME', 'k')).toBe(Math.floor(at / 1000) * 1000);
  });

  it('PERSIST removes a TTL once', async () => {
    await redis.set('k', 'v', 'EX', 100);
    expect(await redis.persist('k')).toBe(1);
    expect(await redis.persist('k')).toBe(0);
    expect(await redis.persist('nokey')).toBe(0);
    expect(await redis.ttl('k')).toBe(-1);
  });
});

describe('expired keys', () => {
  it('are absent on every read path the moment they expire', async () => {
    await redis.set('plain', 'p');
    await redis.set('gone', 'v', 'PX', 30);
    await redis.set('gone2', 'v', 'PX', 30);
    await sleep(60);
    expect(await redis.get('gone')).toBeNull();
    expect(await redis.exists('gone', 'gone2')).toBe(0);
    expect(await redis.type('gone')).toBe('none');
    expect(await redis.ttl('gone')).toBe(-2);
    expect(await redis.mget('gone', 'plain')).toEqual([null, 'p']);
    expect(await redis.keys('*')).toEqual(['plain']);
    expect(await redis.scan(0, 'COUNT', 100)).toEqual(['0', ['plain']]);
    await expect(redis.rename('gone', 'x')).rejects.toThrow('ERR no such key');
    expect(await redis.strlen('gone')).toBe(0);
    expect(await redis.incr('gone2')).toBe(1);
  });

  it('are reclaimed by the active expiry cycle, so DBSIZE drops', async () => {
    const pairs: string[] = [];
    for (let index = 0; index < 500; index++) pairs.push(`t${index}`);
    const pipeline = redis.pipeline();
    for (const key of pairs) pipeline.set(key, 'v', 'PX', 1500);
    pipeline.set('stay', 'v');
    await pipeline.exec();
    expect(await redis.dbsize()).toBe(501);
    const deadline = Date.now() + 10_000;
    while ((await redis.dbsize()) > 1 && Date.now() < deadline) await sleep(50);
    expect(await redis.dbsize()).toBe(1);
  });
});

describe('expiry across a restart', () => {
  it('keeps absolute expiry times and DBSIZE after kill -9, and a key that expired meanwhile is gone', async () => {
    const at = Date.now() + 100_000;
    await redis.set('long', 'v', 'PXAT', at);
    await redis.set('short', 'v', 'PX', 300);
    await redis.set('plain', 'v');
    await server.kill9();
    await sleep(400);
    await server.restart();
    await connect();
    expect(await redis.call('PEXPIRETIME', 'long')).toBe(at);
    expect(await redis.get('short')).toBeNull();
    expect(await redis.ttl('plain')).toBe(-1);
    const deadline = Date.now() + 10_000;
    while ((await redis.dbsize()) > 2 && Date.now() < deadline) await sleep(50);
    expect(await redis.dbsize()).toBe(2);
  });
});
