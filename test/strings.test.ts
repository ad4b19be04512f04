// test/strings.test.ts: the string family end to end through ioredis 6 (RESP3) and ioredis 5
// (RESP2) against the real server. Expected replies and error texts are redis-server 7.0's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { startServer, type StartedServer } from './helpers/server.js';

let server: StartedServer;
let redis: Redis;
let redis2: Redis5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NOT_INTEGER = 'ERR value is not an integer or out of range';

beforeAll(async () => {
  server = await startServer();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  redis2 = new Redis5({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  redis?.disconnect();
  redis2?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushall();
});

describe('GET and SET', () => {
  it('SET GET on a missing key replies null and then sets the value', async () => {
    expect(await redis.set('k', 'v', 'GET')).toBeNull();
    expect(await redis.get('k')).toBe('v');
    expect(await redis.set('k', 'w', 'GET')).toBe('v');
  });

  it('keeps keys and values binary-safe, CR LF and NUL included', async () => {
    const key = Buffer.from([0, 13, 10, 255, 36]);
    const value = Buffer.from([13, 10, 0, 42, 128, 255]);
    await redis.set(key, value);
    expect(await redis.getBuffer(key)).toEqual(value);
    expect(await redis.strlen(key)).toBe(6);
  });

  it('SET NX and XX apply only to a missing and to an existing key; NX with GET returns the old value', async () => {
    expect(await redis.set('k', '1', 'XX')).toBeNull();
    expect(await redis.set('k', '1', 'NX')).toBe('OK');
    expect(await redis.set('k', '2', 'NX')).toBeNull();
    expect(await redis.set('k', '3', 'NX', 'GET')).toBe('1');
    expect(await redis.set('k', '4', 'XX', 'GET')).toBe('1');
    expect(await redis.get('k')).toBe('4');
  });

  it('refuses conflicting or incomplete options with a syntax error', async () => {
    for (const args of [['NX', 'XX'], ['EX'], ['EX', '10', 'PX', '10'], ['KEEPTTL', 'EX', '1'], ['PERSIST'], ['FOO']]) {
      await expect(redis.call('SET', 'k', 'v', ...args)).rejects.toThrow(/^ERR syntax error$/);
    }
  });

  it('refuses a zero, negative or overflowing expire with the command name in the text', async () => {
    await expect(redis.set('k', 'v', 'PX', 0)).rejects.toThrow("ERR invalid expire time in 'set' command");
    await expect(redis.set('k', 'v', 'EX', -1)).rejects.toThrow("ERR invalid expire time in 'set' command");
    await expect(redis.set('k', 'v', 'EX', '9223372036854776')).rejects.toThrow("ERR invalid expire time in 'set' command");
    await expect(redis.set('k', 'v', 'PX', '9223372036854775807')).rejects.toThrow("ERR invalid expire time in 'set' command");
    await expect(redis.setex('k', 0, 'v')).rejects.toThrow("ERR invalid expire time in 'setex' command");
    await expect(redis.psetex('k', -5, 'v')).rejects.toThrow("ERR invalid expire time in 'psetex' command");
    await expect(redis.set('k', 'v', 'EX', 'ten')).rejects.toThrow(NOT_INTEGER);
    expect(await redis.exists('k')).toBe(0);
  });

  it('SET KEEPTTL keeps the TTL, a plain SET and GETSET drop it', async () => {
    await redis.set('k', 'v', 'EX', 100);
    await redis.set('k', 'w', 'KEEPTTL');
    expect(await redis.ttl('k')).toBe(100);
    await redis.set('k', 'x');
    expect(await redis.ttl('k')).toBe(-1);
    await redis.setex('k', 100, 'y');
    expect(await redis.getset('k', 'z')).toBe('y');
    expect(await redis.ttl('k')).toBe(-1);
  });

  it('a plain SET over an expired key or hash counts one expired key and keeps DBSIZE and expires exact', async () => {
    const expiredBefore = Number(/expired_keys:(\d+)/.exec(await redis.info('stats'))?.[1]);
    await redis.set('k', '1', 'PX', 30);
    await redis.hset('h', 'f', '1');
    await redis.pexpire('h', 30);
    await redis.set('live', '1', 'PX', 60_000);
    await sleep(80);
    expect(await redis.set('k', '2')).toBe('OK');
    expect(await redis.set('h', '2')).toBe('OK');
    expect(await redis.set('live', '2')).toBe('OK');
    expect(Number(/expired_keys:(\d+)/.exec(await redis.info('stats'))?.[1]) - expiredBefore).toBe(2);
    expect(await redis.dbsize()).toBe(3);
    expect(await redis.info('keyspace')).toMatch(/db0:keys=3,expires=0,/);
    expect([await redis.get('k'), await redis.get('h'), await redis.type('h'), await redis.pttl('live')]).toEqual(['2', '2', 'string', -1]);
  });

  it('SET with PXAT in the past leaves no visible key', async () => {
    expect(await redis.set('k', 'v', 'PXAT', 1)).toBe('OK');
    expect(await redis.get('k')).toBeNull();
    expect(await redis.exists('k')).toBe(0);
  });

  it('SETNX, SETEX and PSETEX', async () => {
    expect(await redis.setnx('k', 'a')).toBe(1);
    expect(await redis.setnx('k', 'b')).toBe(0);
    await redis.psetex('p', 100_000, 'v');
    const pttl = await redis.pttl('p');
    expect(pttl).toBeGreaterThan(90_000);
    expect(pttl).toBeLessThanOrEqual(100_000);
  });
});

describe('GETEX and GETDEL', () => {
  it('GETEX on a missing key replies null before looking at the expire time', async () => {
    expect(await redis.call('GETEX', 'nokey', 'EX', '0')).toBeNull();
    await expect(redis.call('GETEX', 'nokey', 'FOO')).rejects.toThrow('ERR syntax error');
    await redis.set('k', 'v');
    await expect(redis.call('GETEX', 'k', 'EX', '0')).rejects.toThrow("ERR invalid expire time in 'getex' command");
  });

  it('GETEX sets, replaces and removes the TTL, and deletes at a past EXAT', async () => {
    await redis.set('k', 'v');
    expect(await redis.call('GETEX', 'k', 'EX', '50')).toBe('v');
    expect(await redis.ttl('k')).toBe(50);
    expect(await redis.call('GETEX', 'k', 'PERSIST')).toBe('v');
    expect(await redis.ttl('k')).toBe(-1);
    expect(await redis.call('GETEX', 'k', 'EXAT', '1')).toBe('v');
    expect(await redis.exists('k')).toBe(0);
  });

  it('GETDEL returns the value once', async () => {
    await redis.set('k', 'v');
    expect(await redis.getdel('k')).toBe('v');
    expect(await redis.getdel('k')).toBeNull();
  });
});

describe('MGET, MSET, MSETNX', () => {
  it('MSET with an odd number of arguments is a wrong-arity error', async () => {
    await expect(redis.call('MSET', 'a', '1', 'b')).rejects.toThrow("ERR wrong number of arguments for 'mset' command");
    await expect(redis.call('MSETNX', 'a', '1', 'b')).rejects.toThrow("ERR wrong number of arguments for 'msetnx' command");
  });

  it('MSETNX sets all or none', async () => {
    expect(await redis.msetnx('a', '1', 'b', '2')).toBe(1);
    expect(await redis.msetnx('b', '3', 'c', '4')).toBe(0);
    expect(await redis.mget('a', 'b', 'c')).toEqual(['1', '2', null]);
  });

  it('MSET of the same key twice keeps the last value and counts the key once', async () => {
    await redis.mset('a', '1', 'a', '2');
    expect(await redis.get('a')).toBe('2');
    expect(await redis.dbsize()).toBe(1);
  });
});

describe('INCR family', () => {
  it('INCR on "  1" is not an integer, and nor are "01", "+1" and "1.0"', async () => {
    for (const value of ['  1', '01', '+1', '1.0', '', '-0']) {
      await redis.set('n', value);
      await expect(redis.incr('n')).rejects.toThrow(NOT_INTEGER);
    }
    await expect(redis.incrby('n', '1 ')).rejects.toThrow(NOT_INTEGER);
  });

  it('counts from 0 on a missing key and keeps the TTL', async () => {
    expect(await redis.incr('n')).toBe(1);
    expect(await redis.incrby('n', 41)).toBe(42);
    expect(await redis.decr('n')).toBe(41);
    expect(await redis.decrby('n', 50)).toBe(-9);
    await redis.expire('n', 100);
    await redis.incr('n');
    expect(await redis.ttl('n')).toBe(100);
  });

  it('refuses 64-bit overflow and DECRBY of the minimum with Redis texts', async () => {
    await redis.set('n', '9223372036854775807');
    await expect(redis.incr('n')).rejects.toThrow('ERR increment or decrement would overflow');
    await redis.set('n', '-9223372036854775808');
    await expect(redis.decr('n')).rejects.toThrow('ERR increment or decrement would overflow');
    await expect(redis.decrby('n', '-9223372036854775808')).rejects.toThrow('ERR decrement would overflow');
    expect(await redis.incrby('n', '9223372036854775807')).toBe(-1);
    expect(await redis.get('n')).toBe('-1');
  });

  it('INCRBYFLOAT adds in long double precision and prints like Redis', async () => {
    await redis.set('f', '10.5');
    expect(await redis.incrbyfloat('f', '0.1')).toBe('10.6');
    expect(await redis.incrbyfloat('g', '3.0e3')).toBe('3000');
    expect(await redis.incrbyfloat('g', '-3000')).toBe('0');
    expect(await redis.incrbyfloat('h', '1.1')).toBe('1.1');
    expect(await redis.incrbyfloat('h', '2.2')).toBe('3.3');
    expect(await redis.incrbyfloat('x', '0x1p3')).toBe('8');
  });

  it('INCRBYFLOAT refuses non-floats and a result of inf', async () => {
    await redis.set('f', 'abc');
    await expect(redis.incrbyfloat('f', '1')).rejects.toThrow('ERR value is not a valid float');
    await expect(redis.incrbyfloat('g', ' 1')).rejects.toThrow('ERR value is not a valid float');
    await expect(redis.incrbyfloat('g', 'nan')).rejects.toThrow('ERR value is not a valid float');
    await expect(redis.incrbyfloat('g', 'inf')).rejects.toThrow('ERR increment would produce NaN or Infinity');
    expect(await redis.exists('g')).toBe(0);
  });
});

describe('APPEND, STRLEN, GETRANGE, SETRANGE', () => {
  it('APPEND to an expired key starts from an empty string', async () => {
    await redis.set('k', 'old', 'PX', 30);
    await sleep(60);
    expect(await redis.append('k', 'new')).toBe(3);
    expect(await redis.get('k')).toBe('new');
    expect(await redis.ttl('k')).toBe(-1);
  });

  it('APPEND of nothing to a missing key creates an empty string', async () => {
    expect(await redis.append('k', '')).toBe(0);
    expect(await redis.exists('k')).toBe(1);
    expect(await redis.strlen('nokey')).toBe(0);
  });

  it('GETRANGE clamps like Redis, including negative and reversed ranges', async () => {
    await redis.set('k', 'hello');
    const cases: [number, number, string][] = [[0, -1, 'hello'], [-1, -5, ''], [10, 20, ''], [-100, -50, 'h'], [3, 1, ''], [1, 2, 'el'], [-3, -1, 'llo']];
    for (const [start, end, expected] of cases) expect(await redis.getrange('k', start, end)).toBe(expected);
    expect(await redis.getrange('nokey', 0, -1)).toBe('');
    expect(await redis.call('SUBSTR', 'k', '1', '3')).toBe('ell');
    await expect(redis.getrange('k', 0, '99999999999999999999')).rejects.toThrow(NOT_INTEGER);
  });

  it('SETRANGE pads with zero bytes, and refuses a negative offset or one past 512 MB', async () => {
    expect(await redis.setrange('k', 3, 'ab')).toBe(5);
    expect(await redis.getBuffer('k')).toEqual(Buffer.from([0, 0, 0, 97, 98]));
    expect(await redis.setrange('k', 0, 'X')).toBe(5);
    expect(await redis.setrange('k', 1, '')).toBe(5);
    expect(await redis.setrange('nokey', 5, '')).toBe(0);
    expect(await redis.exists('nokey')).toBe(0);
    await expect(redis.setrange('k', -1, 'x')).rejects.toThrow('ERR offset is out of range');
    await expect(redis.setrange('k', 536870912, 'x')).rejects.toThrow('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
  });
});

describe('LCS', () => {
  beforeEach(async () => {
    await redis.mset('key1', 'ohmytext', 'key2', 'mynewtext');
  });

  it('returns the string, its length, or the match ranges', async () => {
    expect(await redis.call('LCS', 'key1', 'key2')).toBe('mytext');
    expect(await redis.call('LCS', 'key1', 'key2', 'LEN')).toBe(6);
    expect(await redis2.call('LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN')).toEqual(['matches', [[[4, 7], [5, 8], 4]], 'len', 6]);
    expect(await redis2.call('LCS', 'key1', 'key2', 'IDX')).toEqual(['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6]);
  });

  it('answers IDX as a map over RESP3', async () => {
    const reply = (await redis.call('LCS', 'key1', 'key2', 'IDX')) as unknown;
    expect(reply).toEqual(['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6]); // ioredis flattens maps
  });

  it('refuses LEN with IDX and unknown options', async () => {
    await expect(redis.call('LCS', 'key1', 'key2', 'IDX', 'LEN')).rejects.toThrow('ERR If you want both the length and indexes, please just use IDX.');
    await expect(redis.call('LCS', 'key1', 'key2', 'FOO')).rejects.toThrow('ERR syntax error');
    expect(await redis.call('LCS', 'nokey', 'key2')).toBe('');
  });
});
