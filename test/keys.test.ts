// test/keys.test.ts: the generic key family end to end (DEL UNLINK EXISTS TYPE TOUCH RENAME
// RENAMENX COPY MOVE SWAPDB KEYS RANDOMKEY OBJECT, and SELECT isolation) through ioredis against
// the real server; texts are redis-server 7.0's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from './helpers/server.js';

let server: StartedServer;
let redis: Redis;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SAME_OBJECT = 'ERR source and destination objects are the same';
const DB_RANGE = 'ERR DB index is out of range';
const NOT_INTEGER = 'ERR value is not an integer or out of range';

beforeAll(async () => {
  server = await startServer();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await redis.select(0);
  await redis.flushall();
});

describe('DEL, UNLINK, EXISTS, TOUCH, TYPE', () => {
  it('DEL and UNLINK count the keys they removed, a repeated key once', async () => {
    await redis.mset('a', '1', 'b', '2', 'c', '3');
    expect(await redis.del('a', 'a', 'nokey')).toBe(1);
    expect(await redis.unlink('b', 'c', 'b')).toBe(2);
    expect(await redis.dbsize()).toBe(0);
  });

  it('EXISTS and TOUCH count repeats', async () => {
    await redis.set('a', '1');
    expect(await redis.exists('a', 'a', 'nokey')).toBe(2);
    expect(await redis.touch('a', 'a', 'nokey')).toBe(2);
  });

  it('TYPE says string, or none for a missing or expired key', async () => {
    await redis.set('a', '1');
    await redis.set('gone', '1', 'PX', 20);
    await sleep(40);
    expect(await redis.type('a')).toBe('string');
    expect(await redis.type('gone')).toBe('none');
    expect(await redis.type('nokey')).toBe('none');
  });
});

describe('RENAME and RENAMENX', () => {
  it('renaming a key to itself is OK (RENAMENX: 0) if it exists, no such key otherwise', async () => {
    await redis.set('a', '1');
    expect(await redis.rename('a', 'a')).toBe('OK');
    expect(await redis.renamenx('a', 'a')).toBe(0);
    await expect(redis.rename('nokey', 'nokey')).rejects.toThrow(/^ERR no such key$/);
    await expect(redis.renamenx('nokey', 'b')).rejects.toThrow(/^ERR no such key$/);
  });

  it('carries the TTL, overwrites the target, and RENAMENX refuses an existing target', async () => {
    await redis.set('a', '1', 'EX', 100);
    await redis.set('b', 'old');
    expect(await redis.rename('a', 'b')).toBe('OK');
    expect(await redis.get('b')).toBe('1');
    expect(await redis.ttl('b')).toBe(100);
    expect(await redis.exists('a')).toBe(0);
    await redis.set('c', '3');
    expect(await redis.renamenx('b', 'c')).toBe(0);
    expect(await redis.renamenx('b', 'd')).toBe(1);
  });

  it('RENAME of an expired key is no such key', async () => {
    await redis.set('a', '1', 'PX', 20);
    await sleep(40);
    await expect(redis.rename('a', 'b')).rejects.toThrow('ERR no such key');
  });
});

describe('COPY, MOVE, SWAPDB', () => {
  it('COPY copies value and TTL, refuses an existing target unless REPLACE, and may cross databases', async () => {
    await redis.set('a', '1', 'EX', 100);
    await redis.set('b', 'old');
    expect(await redis.copy('a', 'b')).toBe(0);
    expect(await redis.copy('a', 'b', 'REPLACE')).toBe(1);
    expect(await redis.get('b')).toBe('1');
    expect(await redis.ttl('b')).toBe(100);
    expect(await redis.copy('nokey', 'x')).toBe(0);
    expect(await redis.copy('a', 'a', 'DB', 3)).toBe(1);
    await redis.select(3);
    expect(await redis.get('a')).toBe('1');
  });

  it('COPY errors: same object, bad DB, syntax', async () => {
    await redis.set('a', '1');
    await expect(redis.copy('a', 'a')).rejects.toThrow(SAME_OBJECT);
    await expect(redis.copy('a', 'b', 'DB', 16)).rejects.toThrow(DB_RANGE);
    await expect(redis.copy('a', 'b', 'DB', 'x')).rejects.toThrow(NOT_INTEGER);
    await expect(redis.call('COPY', 'a', 'b', 'DB')).rejects.toThrow('ERR syntax error');
    await expect(redis.call('COPY', 'a', 'b', 'FOO')).rejects.toThrow('ERR syntax error');
  });

  it('MOVE moves a key unless the target database has it', async () => {
    await redis.set('a', '1', 'EX', 100);
    expect(await redis.move('a', 1)).toBe(1);
    expect(await redis.exists('a')).toBe(0);
    await redis.set('a', '2');
    expect(await redis.move('a', 1)).toBe(0);
    expect(await redis.move('nokey', 1)).toBe(0);
    await redis.select(1);
    expect(await redis.get('a')).toBe('1');
    expect(await redis.ttl('a')).toBe(100);
    await expect(redis.move('a', 1)).rejects.toThrow(SAME_OBJECT);
    await expect(redis.move('a', 16)).rejects.toThrow(DB_RANGE);
    await expect(redis.move('a', 'x')).rejects.toThrow(NOT_INTEGER);
  });

  it('SWAPDB swaps whole databases and their sizes', async () => {
    await redis.mset('a', '1', 'b', '2');
    await redis.select(1);
    await redis.set('c', '3');
    expect(await redis.swapdb(0, 1)).toBe('OK');
    expect(await redis.keys('*')).toEqual(expect.arrayContaining(['a', 'b']));
    expect(await redis.dbsize()).toBe(2);
    await redis.select(0);
    expect(await redis.keys('*')).toEqual(['c']);
    expect(await redis.swapdb(0, 0)).toBe('OK');
    await expect(redis.swapdb('x', 1)).rejects.toThrow('ERR invalid first DB index');
    await expect(redis.swapdb(1, 'x')).rejects.toThrow('ERR invalid second DB index');
    await expect(redis.swapdb(1, 16)).rejects.toThrow(DB_RANGE);
    await expect(redis.swapdb(-1, 0)).rejects.toThrow(DB_RANGE);
  });

  it('keeps databases apart', async () => {
    await redis.set('a', 'zero');
    await redis.select(5);
    expect(await redis.get('a')).toBeNull();
    await redis.set('a', 'five');
    await redis.select(0);
    expect(await redis.get('a')).toBe('zero');
  });
});

describe('KEYS and RANDOMKEY', () => {
  it('KEYS matches Redis globs and skips expired keys', async () => {
    await redis.mset('ab', '1', 'ac', '1', 'b[c]', '1', 'a*', '1', 'hello', '1', 'hallo', '1', 'hxllo', '1');
    await redis.set('agone', '1', 'PX', 20);
    await sleep(40);
    const sorted = async (pattern: string) => (await redis.keys(pattern)).sort();
    expect(await sorted('a*')).toEqual(['a*', 'ab', 'ac']);
    expect(await sorted('a?')).toEqual(['a*', 'ab', 'ac']);
    expect(await sorted('a\\*')).toEqual(['a*']);
    expect(await sorted('h[ae]llo')).toEqual(['hallo', 'hello']);
    expect(await sorted('h[^e]llo')).toEqual(['hallo', 'hxllo']);
    expect(await sorted('h[a-b]llo')).toEqual(['hallo']);
    expect(await sorted('b\\[c\\]')).toEqual(['b[c]']);
    expect(await redis.keys('*')).toHaveLength(7);
  });

  it('KEYS returns every one of 100k keys in one reply', async () => {
    for (let start = 0; start < 100_000; start += 5000) {
      const pairs: string[] = [];
      for (let index = start; index < start + 5000; index++) pairs.push(`key:${index}`, 'v');
      await redis.mset(...pairs);
    }
    const keys = await redis.keys('key:*');
    expect(keys).toHaveLength(100_000);
    expect(new Set(keys).size).toBe(100_000);
    expect(await redis.keys('key:9999?')).toHaveLength(10);
  });

  it('RANDOMKEY is null on an empty database and never an expired key', async () => {
    expect(await redis.randomkey()).toBeNull();
    await redis.set('live', '1');
    for (let index = 0; index < 50; index++) await redis.set(`gone${index}`, '1', 'PX', 20);
    await sleep(40);
    for (let attempt = 0; attempt < 20; attempt++) expect(await redis.randomkey()).toBe('live');
  });
});

describe('OBJECT', () => {
  it('answers ENCODING, REFCOUNT and IDLETIME plausibly and FREQ as Redis without LFU', async () => {
    await redis.mset('int', '123', 'small', 'abc', 'big', 'x'.repeat(45), 'shared', '42');
    expect(await redis.object('ENCODING', 'int')).toBe('int');
    expect(await redis.object('ENCODING', 'small')).toBe('embstr');
    expect(await redis.object('ENCODING', 'big')).toBe('raw');
    expect(await redis.object('ENCODING', 'nokey')).toBeNull();
    expect(await redis.object('REFCOUNT', 'shared')).toBe(2147483647);
    expect(await redis.object('REFCOUNT', 'small')).toBe(1);
    expect(await redis.object('IDLETIME', 'small')).toBe(0);
    await expect(redis.object('FREQ', 'small')).rejects.toThrow('ERR An LFU maxmemory policy is not selected');
  });

  it('says raw for a string APPEND or SETRANGE edited in place, as Redis, until it is replaced', async () => {
    await redis.set('a', '123');
    await redis.append('a', '4');
    await redis.setrange('n', 0, 'hi');
    await redis.append('fresh', '99');
    expect(await redis.object('ENCODING', 'a')).toBe('raw');
    expect(await redis.object('ENCODING', 'n')).toBe('raw');
    expect(await redis.object('ENCODING', 'fresh')).toBe('int'); // a new key: the value as given
    await redis.expire('a', 100);
    await redis.rename('a', 'b');
    await redis.copy('b', 'c');
    expect(await redis.object('ENCODING', 'b')).toBe('raw');
    expect(await redis.object('ENCODING', 'c')).toBe('raw');
    await redis.set('b', '5');
    expect(await redis.object('ENCODING', 'b')).toBe('int');
    expect(await redis.setrange('e', 0, '')).toBe(0);
    expect(await redis.exists('e')).toBe(0);
  });

  it('answers HELP and refuses unknown subcommands and wrong arity as Redis', async () => {
    const help = (await redis.call('OBJECT', 'HELP')) as string[];
    expect(help[0]).toBe('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toHaveLength(15);
    await expect(redis.call('OBJECT', 'FOO')).rejects.toThrow("ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
    await expect(redis.call('OBJECT', 'ENCODING')).rejects.toThrow("ERR wrong number of arguments for 'object|encoding' command");
  });
});
