// test/hashes.test.ts: the hash family end to end against the built server, through the clients
// people use: ioredis 6 (RESP3, replyMapping legacy and resp3) and ioredis 5 (RESP2), node-redis 6
// with RESP3 (HGETALL as an object, or a Map with a type mapping), and redis-cli (raw, --no-raw
// and -3 output, the texts redis-cli 7.0 prints for redis-server 7.0.15's replies). Then MULTI /
// WATCH on hashes, kill -9 after acknowledged writes, a 200k-field hash (HLEN, HSCAN whose cursor
// survives a restart, DEL), OBJECT ENCODING conversions under CONFIG SET thresholds, and Redis's
// error texts for bad arguments. Expected replies and texts are redis-server 7.0.15's.
// Fields come out in hash order in tskv (insertion order in Redis's listpacks): the tests compare
// multi-field replies as sets or objects.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient, RESP_TYPES } from 'redis';
import { startServer, type StartedServer } from './helpers/server.js';
import { hasBinary } from './helpers/real-redis.js';

const run = promisify(execFile);
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const BIG_HASH_FIELDS = 200_000;
const BIG_HASH_BATCH_FIELDS = 1_000;
const SCAN_PAGES_MAX = 10_000;

let server: StartedServer;
let redis: Redis;

beforeAll(async () => {
  server = await startServer();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  redis.on('error', () => undefined); // refused connections while the server restarts
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** Each describe but the big hash's starts every test from an empty keyspace and default thresholds. */
async function freshKeyspace(): Promise<void> {
  await redis.flushall();
  await redis.config('SET', 'hash-max-listpack-entries', '512', 'hash-max-listpack-value', '64');
}

/** Every field and value of an HSCAN walk from cursor 0 back to 0, with the number of pages. */
async function hscanAll(key: string, count: number, from = '0', pattern = '*'): Promise<{ pairs: Map<string, string>; pages: number }> {
  const pairs = new Map<string, string>();
  let cursor = from;
  for (let pages = 1; pages <= SCAN_PAGES_MAX; pages++) {
    const [next, flat] = await redis.hscan(key, cursor, 'MATCH', pattern, 'COUNT', count);
    for (let index = 0; index < flat.length; index += 2) pairs.set(flat[index]!, flat[index + 1]!);
    cursor = next;
    if (cursor === '0') return { pairs, pages };
  }
  throw new Error(`HSCAN ${key} did not end within ${SCAN_PAGES_MAX} pages`);
}

describe('ioredis', () => {
  beforeEach(freshKeyspace);

  it('takes an object in HSET and gives HGETALL back as an object, in RESP3 and RESP2', async () => {
    expect(await redis.hset('user:1', { name: 'Ada', born: '1815', empty: '' })).toBe(3);
    expect(await redis.hset('user:1', { name: 'Ada Lovelace', title: 'Countess' })).toBe(1);
    const expected = { name: 'Ada Lovelace', born: '1815', empty: '', title: 'Countess' };
    expect(await redis.hgetall('user:1')).toEqual(expected);
    const resp3 = new Redis({ port: server.port, host: '127.0.0.1', replyMapping: 'resp3' });
    const resp2 = new Redis5({ port: server.port, host: '127.0.0.1' });
    try {
      expect(await resp3.hgetall('user:1')).toEqual(expected);
      expect(await resp2.hgetall('user:1')).toEqual(expected);
      expect(await resp2.hgetall('missing')).toEqual({});
      expect(await resp2.hmget('user:1', 'name', 'nope')).toEqual(['Ada Lovelace', null]);
    } finally {
      resp3.disconnect();
      resp2.disconnect();
    }
  });

  it('keeps fields and values binary-safe, CR LF and NUL included', async () => {
    const field = Buffer.from([0, 13, 10, 255]);
    const value = Buffer.from([255, 0, 13, 10, 36]);
    expect(await redis.hset('bin', field, value, '', '')).toBe(2);
    expect(await redis.hgetBuffer('bin', field)).toEqual(value);
    expect(await redis.hstrlen('bin', field)).toBe(5);
    expect(await redis.hget('bin', '')).toBe('');
    const all = await redis.hgetallBuffer('bin');
    expect(Object.keys(all)).toHaveLength(2);
    expect(await redis.hexists('bin', field)).toBe(1);
  });

  it('walks every field once with hscanStream, COUNT as a hint', async () => {
    const fields: Record<string, string> = {};
    for (let index = 0; index < 2_000; index++) fields[`f${index}`] = `v${index}`;
    await redis.hset('h', fields);
    const seen = new Map<string, string>();
    let batches = 0;
    for await (const flat of redis.hscanStream('h', { count: 100 }) as AsyncIterable<string[]>) {
      batches++;
      for (let index = 0; index < flat.length; index += 2) seen.set(flat[index]!, flat[index + 1]!);
    }
    expect(Object.fromEntries(seen)).toEqual(fields);
    expect(batches).toBeGreaterThan(1);
    const matched: string[] = [];
    for await (const flat of redis.hscanStream('h', { match: 'f1?', count: 500 }) as AsyncIterable<string[]>) {
      for (let index = 0; index < flat.length; index += 2) matched.push(flat[index]!);
    }
    expect(matched.sort()).toEqual(Array.from({ length: 10 }, (_, index) => `f1${index}`));
  });

  it('answers HRANDFIELD with fields of the hash: distinct for a positive count, repeated for a negative one', async () => {
    await redis.hset('h', { a: '1', b: '2', c: '3' });
    expect(['a', 'b', 'c']).toContain(await redis.hrandfield('h'));
    expect(await redis.hrandfield('missing')).toBeNull();
    const two = (await redis.hrandfield('h', 2)) as string[];
    expect(new Set(two).size).toBe(2);
    expect(((await redis.hrandfield('h', 10)) as string[]).sort()).toEqual(['a', 'b', 'c']);
    const repeated = (await redis.hrandfield('h', -7)) as string[];
    expect(repeated).toHaveLength(7);
    for (const field of repeated) expect(['a', 'b', 'c']).toContain(field);
    const resp2 = new Redis5({ port: server.port, host: '127.0.0.1' });
    try {
      const flat = (await resp2.call('HRANDFIELD', 'h', '-4', 'WITHVALUES')) as string[];
      expect(flat).toHaveLength(8);
      for (let index = 0; index < flat.length; index += 2) expect(String('abc'.indexOf(flat[index]!) + 1)).toBe(flat[index + 1]);
    } finally {
      resp2.disconnect();
    }
  });

  it('picks HRANDFIELD\'s single field uniformly (chi-square < 40 over 1000 draws of 10 fields)', async () => {
    // Redis's hash.tcl "HRANDFIELD - hashtable" wants every one of 3 fields within 100 draws;
    // a pick weighted by hash gaps missed a long field
    await redis.hset('uniform', Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`f${index}`, '1'])));
    const pipeline = redis.pipeline();
    for (let round = 0; round < 1000; round++) pipeline.hrandfield('uniform');
    const counts = new Map<string, number>();
    for (const [, field] of (await pipeline.exec()) ?? []) counts.set(field as string, (counts.get(field as string) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, index) => `f${index}`).sort());
    const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - 100) ** 2 / 100, 0);
    expect(chiSquare).toBeLessThan(40);
  });
});

describe('node-redis 6 with RESP3', () => {
  beforeEach(freshKeyspace);

  it('gives HGETALL as an object by default and as a Map with a type mapping', async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: server.port }, RESP: 3 });
    await client.connect();
    try {
      expect(await client.hSet('h', { a: '1', b: 'two', '': 'empty' })).toBe(3);
      expect(await client.hGetAll('h')).toEqual({ a: '1', b: 'two', '': 'empty' });
      expect(await client.hGetAll('missing')).toEqual({});
      const mapped = client.withTypeMapping({ [RESP_TYPES.MAP]: Map });
      const map = await mapped.hGetAll('h');
      expect(map).toBeInstanceOf(Map);
      expect(new Map(map as Map<string, string>)).toEqual(new Map([['a', '1'], ['b', 'two'], ['', 'empty']]));
      expect(await client.hIncrByFloat('h', 'a', 0.5)).toBe('1.5');
      expect(await client.hLen('h')).toBe(3);
      const picks = await client.hRandFieldCountWithValues('h', -3);
      expect(picks).toHaveLength(3);
      for (const { field, value } of picks) expect(await client.hGet('h', field)).toBe(value);
      const scanned = new Map<string, string>();
      for await (const entries of client.hScanIterator('h', { COUNT: 1 })) {
        for (const { field, value } of entries) scanned.set(field, value);
      }
      expect(Object.fromEntries(scanned)).toEqual({ a: '1.5', b: 'two', '': 'empty' });
    } finally {
      client.destroy();
    }
  });
});

const cliSkip = hasBinary('redis-cli') ? undefined : 'redis-cli is not installed (apt-get install redis-tools)';
if (cliSkip !== undefined) console.warn(`redis-cli part of test/hashes.test.ts skipped: ${cliSkip}`);

describe.skipIf(cliSkip !== undefined)('redis-cli', () => {
  beforeEach(freshKeyspace);

  const cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('redis-cli', ['-p', String(server.port), ...args], { timeout: 20_000 });
    return stdout;
  };

  it('prints what it prints for redis-server 7.0.15, raw, --no-raw and -3', async () => {
    expect(await cli('hset', 'h', 'a', '1')).toBe('1\n');
    expect(await cli('hset', 'h', 'a', '1', 'b')).toBe("ERR wrong number of arguments for 'hset' command\n\n");
    expect(await cli('hgetall', 'h')).toBe('a\n1\n');
    expect(await cli('--no-raw', 'hgetall', 'h')).toBe('1) "a"\n2) "1"\n');
    expect(await cli('-3', '--no-raw', 'hgetall', 'h')).toBe('1# "a" => "1"\n');
    expect(await cli('-3', 'hgetall', 'h')).toBe('a 1\n');
    expect(await cli('--no-raw', 'hgetall', 'missing')).toBe('(empty array)\n');
    expect(await cli('-3', '--no-raw', 'hgetall', 'missing')).toBe('(empty hash)\n');
    expect(await cli('--no-raw', 'hget', 'h', 'zz')).toBe('(nil)\n');
    expect(await cli('-3', '--no-raw', 'hmget', 'h', 'a', 'zz')).toBe('1) "1"\n2) (nil)\n');
    expect(await cli('--no-raw', 'hincrbyfloat', 'h', 'a', '0.5')).toBe('"1.5"\n');
    expect(await cli('-3', '--no-raw', 'hrandfield', 'h', '-2', 'withvalues')).toBe('1) 1) "a"\n   2) "1.5"\n2) 1) "a"\n   2) "1.5"\n');
    expect(await cli('--no-raw', 'hrandfield', 'h', '1', 'withvalues')).toBe('1) "a"\n2) "1.5"\n');
    expect(await cli('-3', '--no-raw', 'hscan', 'h', '0')).toBe('1) "0"\n2) 1) "a"\n   2) "1.5"\n');
    expect(await cli('--no-raw', 'hexists', 'h', 'a')).toBe('(integer) 1\n');
    expect(await cli('--no-raw', 'hincrby', 'h', 'a', '1')).toBe('(error) ERR hash value is not an integer\n');
    await cli('set', 's', 'x');
    expect(await cli('--no-raw', 'hget', 's', 'a')).toBe(`(error) ${WRONGTYPE}\n`);
    expect(await cli('hdel', 'h', 'a')).toBe('1\n');
    expect(await cli('--no-raw', 'exists', 'h')).toBe('(integer) 0\n');
  });
});

describe('MULTI / EXEC and WATCH on a hash', () => {
  beforeEach(freshKeyspace);

  it('queues hash commands and answers each in EXEC', async () => {
    const results = await redis.multi().hset('h', 'a', '1', 'b', '2').hincrby('h', 'a', 5).hget('h', 'a').hlen('h')
      .hincrby('h', 'zz', 1).hdel('h', 'zz', 'b').hgetall('h').exec();
    expect(results).toEqual([[null, 2], [null, 6], [null, '6'], [null, 2], [null, 1], [null, 2], [null, { a: '6' }]]);
  });

  // Redis signals a modified key whenever HSET / HMSET / HINCRBY* ran, whatever they changed;
  // HDEL only when a field went, HSETNX only when it set one.
  it.each([
    ['HSET of an existing field to the same value', ['HSET', 'h', 'a', '1'], true],
    ['HMSET of the same values', ['HMSET', 'h', 'a', '1', 'b', '2'], true],
    ['HINCRBY by 0', ['HINCRBY', 'h', 'b', '0'], true],
    ['HINCRBYFLOAT by 0', ['HINCRBYFLOAT', 'h', 'b', '0'], true],
    ['HDEL of the last fields (the key goes)', ['HDEL', 'h', 'a', 'b'], true],
    ['HDEL of a missing field', ['HDEL', 'h', 'zz'], false],
    ['HSETNX of an existing field', ['HSETNX', 'h', 'a', 'other'], false],
    ['HINCRBY of a field that is not an integer', ['HINCRBY', 'h', 's', '1'], false],
    ['HSET on another key', ['HSET', 'other', 'a', '1'], false],
  ])('WATCH: %s %s EXEC', async (_what, command, fires) => {
    await redis.hset('h', { a: '1', b: '2', s: 'text' });
    const watcher = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      expect(await watcher.watch('h')).toBe('OK');
      await redis.call(command[0]!, ...command.slice(1)).catch(() => undefined);
      const result = await watcher.multi().hlen('h').exec();
      expect(result).toEqual(fires ? null : [[null, await redis.hlen('h')]]);
    } finally {
      watcher.disconnect();
    }
  });
});

describe('kill -9 after acknowledged writes', () => {
  beforeEach(freshKeyspace);

  it('keeps every acknowledged HSET, HDEL, HINCRBY and HINCRBYFLOAT, and each encoding', async () => {
    const model = new Map<string, Map<string, string>>();
    const pipeline = redis.pipeline();
    for (let index = 0; index < 300; index++) {
      const key = `hash:${index}`;
      const fields = new Map<string, string>();
      const count = 1 + (index % 9) * (index % 7 === 0 ? 100 : 1); // some past 512 fields: hashtable
      for (let field = 0; field < count; field++) fields.set(`f${field}`, index % 11 === 0 ? 'x'.repeat(70) : `${index}.${field}`);
      pipeline.hset(key, Object.fromEntries(fields));
      if (index % 3 === 0) {
        pipeline.hdel(key, 'f0');
        fields.delete('f0');
      }
      pipeline.hincrby(key, 'counter', index);
      fields.set('counter', String(index));
      pipeline.hincrbyfloat(key, 'ratio', '0.1');
      fields.set('ratio', '0.1');
      model.set(key, fields);
    }
    for (const [error] of (await pipeline.exec()) ?? []) expect(error).toBeNull();
    const encodings = await Promise.all([...model.keys()].map((key) => redis.object('ENCODING', key)));
    expect(new Set(encodings)).toEqual(new Set(['listpack', 'hashtable']));
    await server.kill9();
    await server.restart();
    expect(await redis.dbsize()).toBe(model.size);
    for (const [key, fields] of model) {
      expect(await redis.hgetall(key)).toEqual(Object.fromEntries(fields));
      expect(await redis.hlen(key)).toBe(fields.size);
    }
    expect(await Promise.all([...model.keys()].map((key) => redis.object('ENCODING', key)))).toEqual(encodings);
  });

  it('keeps the outcome of RENAME, COPY, DEL and re-create, MOVE and EXPIRE on hashes', async () => {
    await redis.hset('a', { x: '1', y: '2' });
    await redis.hset('b', { old: 'gone' });
    await redis.hset('c', { c: '3' });
    await redis.hset('d', { stale: 'field' });
    await redis.hset('e', { e: '5' });
    expect(await redis.rename('a', 'b')).toBe('OK'); // b's old fields must not come back
    expect(await redis.copy('b', 'copy')).toBe(1);
    expect(await redis.hset('copy', 'z', '26')).toBe(1); // the copy has fields of its own
    expect(await redis.del('d')).toBe(1);
    expect(await redis.hset('d', 'fresh', '1')).toBe(1); // a new hash where a deleted one was
    expect(await redis.move('c', 1)).toBe(1);
    expect(await redis.expire('e', 1000)).toBe(1);
    await redis.hset('gone', { g: '1' });
    expect(await redis.pexpire('gone', 20)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.kill9();
    await server.restart();
    expect(await redis.hgetall('b')).toEqual({ x: '1', y: '2' });
    expect(await redis.hgetall('copy')).toEqual({ x: '1', y: '2', z: '26' });
    expect(await redis.hgetall('d')).toEqual({ fresh: '1' });
    expect(await redis.exists('a', 'c', 'gone')).toBe(0);
    expect(await redis.hgetall('e')).toEqual({ e: '5' });
    expect(await redis.ttl('e')).toBeGreaterThan(990);
    const db1 = new Redis({ port: server.port, host: '127.0.0.1', db: 1 });
    try {
      expect(await db1.hgetall('c')).toEqual({ c: '3' });
    } finally {
      db1.disconnect();
    }
  });
});

// One hash, built once; the tests run in order and the last one deletes it.
describe(`a hash of ${BIG_HASH_FIELDS} fields`, () => {
  beforeAll(async () => {
    await freshKeyspace();
    const pipeline = redis.pipeline();
    for (let start = 0; start < BIG_HASH_FIELDS; start += BIG_HASH_BATCH_FIELDS) {
      const args: string[] = [];
      for (let index = start; index < start + BIG_HASH_BATCH_FIELDS; index++) args.push(`field:${index}`, `v${index}`);
      pipeline.hset('big', ...args);
    }
    const replies = (await pipeline.exec()) ?? [];
    expect(replies.map(([error, created]) => error ?? created)).toEqual(Array(BIG_HASH_FIELDS / BIG_HASH_BATCH_FIELDS).fill(BIG_HASH_BATCH_FIELDS));
  }, 120_000);

  it('answers HLEN from its metadata, before and after kill -9', async () => {
    expect(await redis.hlen('big')).toBe(BIG_HASH_FIELDS);
    expect(await redis.object('ENCODING', 'big')).toBe('hashtable');
    expect(await redis.hset('big', 'field:7', 'changed', 'extra', '1')).toBe(1);
    expect(await redis.hlen('big')).toBe(BIG_HASH_FIELDS + 1);
    await server.kill9();
    await server.restart();
    expect(await redis.hlen('big')).toBe(BIG_HASH_FIELDS + 1);
    expect(await redis.hget('big', 'field:7')).toBe('changed');
    expect(await redis.hdel('big', 'extra')).toBe(1);
    expect(await redis.hlen('big')).toBe(BIG_HASH_FIELDS);
  }, 120_000);

  it('returns every field at least once over an HSCAN with COUNT, its cursor valid across a restart', async () => {
    const seen = new Map<string, string>();
    let cursor = '0';
    for (let page = 0; page < 50; page++) {
      const [next, flat] = await redis.hscan('big', cursor, 'COUNT', 1000);
      for (let index = 0; index < flat.length; index += 2) seen.set(flat[index]!, flat[index + 1]!);
      cursor = next;
    }
    expect(cursor).not.toBe('0');
    expect(seen.size).toBeGreaterThan(0);
    expect(seen.size).toBeLessThan(BIG_HASH_FIELDS);
    await server.restart();
    const rest = await hscanAll('big', 1000, cursor);
    for (const [field, value] of rest.pairs) seen.set(field, value);
    expect(seen.size).toBe(BIG_HASH_FIELDS);
    for (let index = 0; index < BIG_HASH_FIELDS; index += 997) expect(seen.get(`field:${index}`)).toBe(`v${index}`);
    expect(seen.get('field:7')).toBe('changed');
    const matched = await hscanAll('big', 10_000, '0', 'field:1999?');
    expect([...matched.pairs.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, index) => `field:1999${index}`));
  }, 120_000);

  it('answers HRANDFIELD from the whole hash past the read-everything size: distinct, repeated, with values', async () => {
    const distinct = (await redis.hrandfield('big', 3000)) as string[];
    expect(distinct).toHaveLength(3000);
    expect(new Set(distinct).size).toBe(3000);
    const pairs = (await redis.call('HRANDFIELD', 'big', '-3000', 'WITHVALUES')) as [string, string][]; // RESP3: [field, value] pairs
    expect(pairs).toHaveLength(3000);
    const repeated = pairs.flat();
    for (let index = 0; index < repeated.length; index += 2) {
      const field = repeated[index]!;
      expect(field).toMatch(/^field:\d+$/);
      expect(repeated[index + 1]).toBe(field === 'field:7' ? 'changed' : `v${field.slice(6)}`);
    }
    for (const field of distinct) expect(Number(field.slice(6))).toBeLessThan(BIG_HASH_FIELDS);
    const spread = new Set(distinct.map((field) => Math.floor(Number(field.slice(6)) / 20_000)));
    expect(spread.size).toBe(10); // picks from all over the hash, not one run of it
  });

  it('DEL answers 1 and leaves no field behind, also after kill -9; a new hash under the key starts empty', async () => {
    const startedAt = Date.now();
    expect(await redis.del('big')).toBe(1);
    console.log(`DEL of a ${BIG_HASH_FIELDS}-field hash answered in ${Date.now() - startedAt} ms`);
    expect(await redis.exists('big')).toBe(0);
    expect(await redis.hlen('big')).toBe(0);
    expect(await redis.hget('big', 'field:1')).toBeNull();
    expect(await redis.hscan('big', '0')).toEqual(['0', []]);
    expect(await redis.hset('big', 'fresh', '1')).toBe(1);
    await server.kill9();
    await server.restart();
    expect(await redis.hgetall('big')).toEqual({ fresh: '1' });
    expect(await redis.object('ENCODING', 'big')).toBe('listpack');
  }, 120_000);
});

describe('OBJECT ENCODING under CONFIG SET thresholds', () => {
  beforeEach(freshKeyspace);

  it('turns a listpack into a hashtable past hash-max-listpack-entries, for good', async () => {
    await redis.config('SET', 'hash-max-listpack-entries', '4');
    await redis.hset('h', { a: '1', b: '2', c: '3', d: '4' });
    expect(await redis.object('ENCODING', 'h')).toBe('listpack');
    await redis.hset('h', 'd', 'changed');
    expect(await redis.object('ENCODING', 'h')).toBe('listpack');
    await redis.hset('h', 'e', '5');
    expect(await redis.object('ENCODING', 'h')).toBe('hashtable');
    await redis.hdel('h', 'a', 'b', 'c', 'd');
    expect(await redis.object('ENCODING', 'h')).toBe('hashtable'); // Redis never converts back
    await redis.config('SET', 'hash-max-ziplist-entries', '0'); // the Redis 6 name is an alias
    await redis.hset('h0', 'a', '1');
    expect(await redis.object('ENCODING', 'h0')).toBe('hashtable');
  });

  it('turns a listpack into a hashtable when a field or value passes hash-max-listpack-value', async () => {
    await redis.config('SET', 'hash-max-listpack-value', '4');
    await redis.hset('short', 'abcd', 'wxyz');
    expect(await redis.object('ENCODING', 'short')).toBe('listpack');
    await redis.hset('field', 'abcde', '1');
    expect(await redis.object('ENCODING', 'field')).toBe('hashtable');
    await redis.hset('value', 'a', 'vwxyz');
    expect(await redis.object('ENCODING', 'value')).toBe('hashtable');
    await redis.hset('incr', 'a', '9999');
    await redis.hincrby('incr', 'a', 1); // "10000": 5 bytes, as in Redis's hashTypeSet
    expect(await redis.object('ENCODING', 'incr')).toBe('hashtable');
    await redis.hsetnx('nx', 'a', '12345');
    expect(await redis.object('ENCODING', 'nx')).toBe('hashtable');
  });

  it('keeps the encoding through RENAME and COPY, and re-derives it on RESTORE', async () => {
    await redis.config('SET', 'hash-max-listpack-entries', '2');
    await redis.hset('h', { a: '1', b: '2', c: '3' });
    await redis.hdel('h', 'c');
    expect(await redis.object('ENCODING', 'h')).toBe('hashtable');
    expect(await redis.copy('h', 'copy')).toBe(1);
    expect(await redis.rename('h', 'renamed')).toBe('OK');
    expect(await redis.object('ENCODING', 'copy')).toBe('hashtable');
    expect(await redis.object('ENCODING', 'renamed')).toBe('hashtable');
    const payload = await redis.dumpBuffer('renamed');
    expect(await redis.restore('restored', 0, payload)).toBe('OK');
    expect(await redis.object('ENCODING', 'restored')).toBe('listpack'); // 2 fields: within the threshold
    expect(await redis.hgetall('restored')).toEqual({ a: '1', b: '2' });
  });
});

describe('error texts for bad arguments', () => {
  beforeEach(freshKeyspace);

  it.each([
    [['HSET', 'h', 'a'], "ERR wrong number of arguments for 'hset' command"],
    [['HSET', 'h', 'a', '1', 'b'], "ERR wrong number of arguments for 'hset' command"],
    [['HMSET', 'h', 'a'], "ERR wrong number of arguments for 'hmset' command"],
    [['HINCRBY', 'h', 'n', 'x'], NOT_INTEGER],
    [['HINCRBY', 'h', 'n', '1.5'], NOT_INTEGER],
    [['HINCRBY', 'h', 'n', '1', '2'], "ERR wrong number of arguments for 'hincrby' command"],
    [['HINCRBY', 'h', 's', '1'], 'ERR hash value is not an integer'],
    [['HINCRBY', 'h', 'max', '1'], 'ERR increment or decrement would overflow'],
    [['HINCRBY', 'h', 'min', '-1'], 'ERR increment or decrement would overflow'],
    [['HINCRBYFLOAT', 'h', 'n', 'nan'], 'ERR value is not a valid float'],
    [['HINCRBYFLOAT', 'h', 'n', 'inf'], 'ERR value is NaN or Infinity'],
    [['HINCRBYFLOAT', 'h', 's', '1'], 'ERR hash value is not a float'],
    [['HINCRBYFLOAT', 'h', 'huge', '1e4932'], 'ERR increment would produce NaN or Infinity'],
    [['HRANDFIELD', 'h', '-9223372036854775808'], 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'],
    [['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'], 'ERR value is out of range'],
    [['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'], 'ERR value is out of range'],
    [['HRANDFIELD', 'h', '1', 'WITHVALUE'], 'ERR syntax error'],
    [['HRANDFIELD', 'h', '1', 'WITHVALUES', 'x'], 'ERR syntax error'],
    [['HRANDFIELD', 'h', 'x'], NOT_INTEGER],
    [['HSCAN', 'h', 'x'], 'ERR invalid cursor'],
    [['HSCAN', 'h', '0', 'COUNT', '0'], 'ERR syntax error'],
    [['HSCAN', 'h', '0', 'TYPE', 'hash'], 'ERR syntax error'],
    [['HGET', 's1', 'a'], WRONGTYPE],
    [['HSET', 's1', 'a', '1'], WRONGTYPE],
  ])('%j answers %s', async (command, text) => {
    await redis.hset('h', { n: '1', s: 'abc', max: '9223372036854775807', min: '-9223372036854775808', huge: '1e4932' });
    await redis.set('s1', 'string');
    await expect(redis.call(command[0]!, ...command.slice(1))).rejects.toThrow(new RegExp(`^${text.replace(/[()[\]*?.+^$|\\]/g, '\\$&')}$`));
    expect(await redis.hgetall('h')).toEqual({ n: '1', s: 'abc', max: '9223372036854775807', min: '-9223372036854775808', huge: '1e4932' });
  });

  it('formats HINCRBYFLOAT results as Redis does (long double, %.17Lf without trailing zeros)', async () => {
    expect(await redis.hincrbyfloat('h', 'f', '10.50')).toBe('10.5');
    expect(await redis.hincrbyfloat('h', 'f', '0.1')).toBe('10.6');
    expect(await redis.hincrbyfloat('h', 'f', '-10.6')).toBe('0');
    expect(await redis.hincrbyfloat('h', 'f', '5.0e3')).toBe('5000');
    expect(await redis.hincrbyfloat('h', 'g', '1.7e308')).toBe('170000000000000000003136778025197596795270213889694133733043585763202456051205820994061869588900300336978523841885631712661403498918000793480728637410016696547450658600006812401305436257622907062380271462782244438270443691335452761319068709501902589182028026014367280506332405764915517562011679309777401282560');
    expect(await redis.hincrbyfloat('h', 't', '0.1')).toBe('0.1');
    expect(await redis.hincrbyfloat('h', 't', '0.2')).toBe('0.3');
    expect(await redis.hincrbyfloat('h', 'u', '1e-5')).toBe('0.00001');
    expect(await redis.hincrbyfloat('h', 'u', '-1e-20')).toBe('0.00001');
    expect(await redis.hincrbyfloat('h', 'v', '3.0e-310')).toBe('0');
    expect(await redis.hincrbyfloat('h', 'big', '9223372036854775807')).toBe('9223372036854775807');
    expect(await redis.hincrbyfloat('h', 'big', '1')).toBe('9223372036854775808');
  });
});
