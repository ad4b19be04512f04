// test/lists.test.ts: the list family end to end against the built server, through the clients
// people use: ioredis 6 (RESP3) and ioredis 5 (RESP2), node-redis 6 with RESP3, and redis-cli
// (raw, --no-raw, -3); then a big list (both ends, ranges, LTRIM, a restart), kill -9 after
// acknowledged pushes and pops, Redis 7.2's encodings (the steps of list.tcl's conversion tests,
// which a redis-server 7.2.4 built from source followed the same way), the generic commands on
// lists (TYPE, COPY, RENAME, MOVE, SCAN TYPE, MEMORY USAGE, DUMP / RESTORE with a real Redis), and
// a real redis-server 7.0.15 as the oracle for a fixed list of commands replayed on both in RESP2
// and RESP3, compared exactly (SCAN pages as sets; OBJECT ENCODING not at all: 7.0 answers
// quicklist for every list). Blocking pops that block are test/blocking.test.ts's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, formatReply, replyItems, type Reply } from './helpers/raw-client.js';
import { hasBinary, hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { errorOf } from './helpers/errors.js';
import { startServer, type StartedServer } from './helpers/server.js';

const run = promisify(execFile);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const BIG_LIST_ELEMENTS = 100_000;
const BATCH_ELEMENTS = 1_000;

let server: StartedServer;
let redis: Redis;

const range = (count: number, name: (index: number) => string = String) => Array.from({ length: count }, (_, index) => name(index));


async function encoding(key: string): Promise<string | null> {
  return (await redis.object('ENCODING', key)) as string | null;
}

async function pushMany(key: string, elements: string[]): Promise<void> {
  for (let start = 0; start < elements.length; start += BATCH_ELEMENTS) await redis.rpush(key, ...elements.slice(start, start + BATCH_ELEMENTS));
}

beforeAll(async () => {
  server = await startServer();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  redis.on('error', () => undefined); // refused connections while the server restarts
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushall();
  await redis.config('SET', 'list-max-listpack-size', '-2');
});

describe('ioredis', () => {
  it('pushes, reads and pops at both ends, and deletes an emptied list', async () => {
    expect(await redis.rpush('l', 'a', 'b', 'c')).toBe(3);
    expect(await redis.lpush('l', 'z', 'y')).toBe(5);
    expect(await redis.lrange('l', 0, -1)).toEqual(['y', 'z', 'a', 'b', 'c']);
    expect(await redis.lindex('l', -2)).toBe('b');
    expect(await redis.llen('l')).toBe(5);
    expect(await redis.lpop('l')).toBe('y');
    expect(await redis.rpop('l', 2)).toEqual(['c', 'b']);
    expect(await redis.lpop('l', 10)).toEqual(['z', 'a']);
    expect(await redis.exists('l')).toBe(0);
    expect(await redis.lpop('l')).toBeNull();
    expect(await redis.lpop('l', 2)).toBeNull();
    expect(await redis.rpushx('l', 'x')).toBe(0);
    expect(await redis.exists('l')).toBe(0);
  });

  it('keeps elements binary-safe, CR LF and NUL included', async () => {
    const odd = Buffer.from([0, 13, 10, 255, 0]);
    await redis.rpush('b', odd, Buffer.alloc(0), 'plain');
    expect(await redis.lrangeBuffer('b', 0, -1)).toEqual([odd, Buffer.alloc(0), Buffer.from('plain')]);
    expect(await redis.lpos('b', odd)).toBe(0);
    expect(await redis.lrem('b', 0, Buffer.alloc(0))).toBe(1);
    expect(await redis.lindexBuffer('b', 0)).toEqual(odd);
  });

  it('moves between lists and rotates one, LMOVE and RPOPLPUSH', async () => {
    await redis.rpush('src', '1', '2', '3');
    expect(await redis.lmove('src', 'dst', 'LEFT', 'RIGHT')).toBe('1');
    expect(await redis.rpoplpush('src', 'dst')).toBe('3');
    expect(await redis.lrange('dst', 0, -1)).toEqual(['3', '1']);
    expect(await redis.lmove('dst', 'dst', 'RIGHT', 'LEFT')).toBe('1');
    expect(await redis.lrange('dst', 0, -1)).toEqual(['1', '3']);
    await redis.set('str', 'x');
    expect(await errorOf(redis.lmove('src', 'str', 'LEFT', 'LEFT'))).toBe(WRONGTYPE);
    expect(await redis.lrange('src', 0, -1)).toEqual(['2']); // a WRONGTYPE destination pops nothing
    expect(await redis.lmove('src', 'dst', 'LEFT', 'LEFT')).toBe('2');
    expect(await redis.exists('src')).toBe(0);
  });

  it('answers LMPOP, LPOS, LINSERT, LREM, LSET and LTRIM', async () => {
    await redis.rpush('a', 'x', 'y', 'x', 'z', 'x');
    expect(await redis.lmpop(2, 'missing', 'a', 'RIGHT', 'COUNT', 2)).toEqual(['a', ['x', 'z']]);
    expect(await redis.lmpop(1, 'missing', 'LEFT')).toBeNull();
    expect(await redis.lpos('a', 'x', 'RANK', -1)).toBe(2);
    expect(await redis.lpos('a', 'x', 'COUNT', 0)).toEqual([0, 2]);
    expect(await redis.linsert('a', 'AFTER', 'y', 'w')).toBe(4);
    expect(await redis.linsert('a', 'BEFORE', 'nope', 'w')).toBe(-1);
    expect(await redis.lrem('a', -1, 'x')).toBe(1);
    expect(await redis.lset('a', 0, 'first')).toBe('OK');
    expect(await errorOf(redis.lset('a', 10, 'v'))).toBe('ERR index out of range');
    expect(await errorOf(redis.lset('nope', 0, 'v'))).toBe('ERR no such key');
    expect(await redis.lrange('a', 0, -1)).toEqual(['first', 'y', 'w']);
    expect(await redis.ltrim('a', 1, 1)).toBe('OK');
    expect(await redis.lrange('a', 0, -1)).toEqual(['y']);
    expect(await redis.ltrim('a', 5, 10)).toBe('OK');
    expect(await redis.exists('a')).toBe(0);
  });

  it('refuses a list command on another type before changing anything, and a string command on a list', async () => {
    await redis.set('s', 'v');
    await redis.rpush('l', 'a');
    for (const attempt of [redis.lpush('s', 'x'), redis.lpop('s'), redis.llen('s'), redis.lrange('s', 0, 1), redis.lmpop(2, 'l0', 's', 'LEFT'), redis.blpop('s', 0)].map(errorOf)) {
      expect(await attempt).toBe(WRONGTYPE); // each handled at once: later ones reject while earlier ones are awaited
    }
    expect(await errorOf(redis.get('l'))).toBe(WRONGTYPE);
    expect(await redis.get('s')).toBe('v');
    expect(await redis.lrange('l', 0, -1)).toEqual(['a']);
  });

  it('serves a run of pops from the list-end cache and shows it in INFO memory', async () => {
    await redis.rpush('queue', ...range(50, (index) => `job-${index}`));
    const popped: (string | null)[] = [];
    for (let index = 0; index < 5; index++) popped.push(await redis.lpop('queue'));
    expect(popped).toEqual(range(5, (index) => `job-${index}`));
    const info = await redis.info('memory');
    const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1]);
    expect(field('tskv_list_cache_lists')).toBeGreaterThanOrEqual(1);
    expect(field('tskv_list_cache_bytes')).toBeGreaterThan(0);
    expect(field('tskv_list_cache_bytes_max')).toBe(8 * 1024 * 1024);
    expect(field('tskv_list_cache_fills')).toBeGreaterThanOrEqual(1);
    expect(field('tskv_list_cache_hits')).toBeGreaterThanOrEqual(3); // the second pop fills, later ones hit
    await redis.del('queue');
  });

  it('speaks RESP2 through ioredis 5 as well', async () => {
    const resp2 = new Redis5({ port: server.port, host: '127.0.0.1' });
    try {
      await resp2.rpush('l', 'a', 'b');
      expect(await resp2.lpop('l', 5)).toEqual(['a', 'b']);
      expect(await resp2.lpop('l', 5)).toBeNull();
      expect(await resp2.call('LMPOP', '1', 'l', 'LEFT')).toBeNull();
      expect(await resp2.blpop('l', 0.05)).toBeNull();
    } finally {
      resp2.disconnect();
    }
  });
});

describe('node-redis 6 with RESP3', () => {
  it('gives the reply types it expects', async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: server.port }, RESP: 3 });
    await client.connect();
    try {
      expect(await client.rPush('l', ['a', 'b', 'c'])).toBe(3);
      expect(await client.lRange('l', 0, -1)).toEqual(['a', 'b', 'c']);
      expect(await client.lPopCount('l', 2)).toEqual(['a', 'b']);
      expect(await client.lPopCount('missing', 2)).toBeNull();
      expect(await client.lPos('l', 'c')).toBe(0);
      expect(await client.lPos('l', 'zz')).toBeNull();
      expect(await client.lmPop(['missing', 'l'], 'LEFT')).toEqual(['l', ['c']]);
      expect(await client.blPop('l', 0.05)).toBeNull();
      await client.rPush('l', 'v');
      expect(await client.blPop(['missing', 'l'], 0)).toEqual({ key: 'l', element: 'v' });
      expect(await client.blMove('l', 'd', 'LEFT', 'RIGHT', 0.05)).toBeNull();
    } finally {
      client.destroy();
    }
  });
});

const cliSkip = hasBinary('redis-cli') ? undefined : 'redis-cli is not installed (apt-get install redis-tools)';
if (cliSkip !== undefined) console.warn(`redis-cli part of test/lists.test.ts skipped: ${cliSkip}`);

describe.skipIf(cliSkip !== undefined)('redis-cli', () => {
  const cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('redis-cli', ['-p', String(server.port), ...args], { timeout: 20_000 });
    return stdout;
  };

  it('prints what it prints for redis-server 7.0.15, raw, --no-raw and -3', async () => {
    expect(await cli('rpush', 'l', 'a', 'b', 'c')).toBe('3\n');
    expect(await cli('lrange', 'l', '0', '-1')).toBe('a\nb\nc\n');
    expect(await cli('--no-raw', 'lrange', 'l', '0', '-1')).toBe('1) "a"\n2) "b"\n3) "c"\n');
    expect(await cli('--no-raw', 'lrange', 'missing', '0', '-1')).toBe('(empty array)\n');
    expect(await cli('--no-raw', 'lindex', 'l', '9')).toBe('(nil)\n');
    expect(await cli('--no-raw', 'lpop', 'missing', '2')).toBe('(nil)\n');
    expect(await cli('-3', '--no-raw', 'lpop', 'missing', '2')).toBe('(nil)\n');
    expect(await cli('--no-raw', 'lpos', 'l', 'b', 'count', '0')).toBe('1) (integer) 1\n');
    expect(await cli('--no-raw', 'blpop', 'missing', 'l', '0')).toBe('1) "l"\n2) "a"\n');
    expect(await cli('--no-raw', 'blpop', 'missing', '0.01')).toBe('(nil)\n');
    expect(await cli('-3', '--no-raw', 'lmpop', '1', 'l', 'right', 'count', '5')).toBe('1) "l"\n2) 1) "c"\n   2) "b"\n');
    expect(await cli('--no-raw', 'lset', 'l', '0', 'x')).toBe('(error) ERR no such key\n');
    expect(await cli('--no-raw', 'blpop', 'l', '-1')).toBe('(error) ERR timeout is negative\n');
  });
});

describe('a big list', () => {
  it('serves both ends, ranges and trims of 100k elements, and keeps them across a restart', async () => {
    const elements = range(BIG_LIST_ELEMENTS, (index) => `e${index}`);
    await pushMany('big', elements);
    expect(await redis.llen('big')).toBe(BIG_LIST_ELEMENTS);
    expect(await encoding('big')).toBe('quicklist');
    expect(await redis.lindex('big', 54_321)).toBe('e54321');
    expect(await redis.lindex('big', -1)).toBe(`e${BIG_LIST_ELEMENTS - 1}`);
    expect(await redis.lrange('big', 60_000, 60_004)).toEqual(range(5, (index) => `e${60_000 + index}`));
    expect(await redis.lrange('big', -3, -1)).toEqual(range(3, (index) => `e${BIG_LIST_ELEMENTS - 3 + index}`));
    expect(await redis.lpush('big', 'head')).toBe(BIG_LIST_ELEMENTS + 1);
    expect(await redis.rpop('big')).toBe(`e${BIG_LIST_ELEMENTS - 1}`);
    expect(await redis.lpos('big', 'e99990')).toBe(99_991);
    expect(await redis.linsert('big', 'BEFORE', 'e5', 'five')).toBe(BIG_LIST_ELEMENTS + 1);
    expect(await redis.lrange('big', 5, 7)).toEqual(['e4', 'five', 'e5']);
    expect(await redis.ltrim('big', 1, 50_000)).toBe('OK');
    expect(await redis.llen('big')).toBe(50_000);
    expect(await redis.lindex('big', 0)).toBe('e0');
    await server.restart();
    expect(await redis.llen('big')).toBe(50_000);
    expect(await redis.lrange('big', 49_998, -1)).toEqual(['e49997', 'e49998']);
    expect(await redis.lpop('big', 3)).toEqual(['e0', 'e1', 'e2']);
    expect(await redis.ltrim('big', 0, 9)).toBe('OK'); // keeps 10: copied to a fresh version
    expect(await redis.lrange('big', 0, -1)).toEqual(['e3', 'e4', 'five', ...range(7, (index) => `e${index + 5}`)]);
    expect(await encoding('big')).toBe('listpack');
  });
});

describe('durability', () => {
  it('keeps every acknowledged push and forgets every acknowledged pop after kill -9', async () => {
    await redis.rpush('d', ...range(20, (index) => `v${index}`));
    const pipeline = redis.pipeline();
    for (let index = 0; index < 50; index++) pipeline.lpush('d', `h${index}`);
    for (let index = 0; index < 7; index++) pipeline.rpop('d');
    pipeline.lmove('d', 'e', 'LEFT', 'LEFT');
    pipeline.linsert('d', 'AFTER', 'v3', 'middle');
    pipeline.lrem('d', 0, 'h10');
    await pipeline.exec();
    const before = await redis.lrange('d', 0, -1);
    await server.kill9();
    await server.restart();
    expect(await redis.lrange('d', 0, -1)).toEqual(before);
    expect(await redis.lrange('e', 0, -1)).toEqual(['h49']);
  });
});

describe('encodings (Redis 7.2)', () => {
  // list.tcl "List listpack -> quicklist encoding conversion" and "quicklist -> listpack"
  it('converts a listpack past list-max-listpack-size and back once within half of it', async () => {
    const large = 'x'.repeat(5000);
    await redis.config('SET', 'list-max-listpack-size', '3');
    await redis.rpush('l', 'a', 'b', 'c');
    expect(await encoding('l')).toBe('listpack');
    await redis.rpush('l', 'd');
    expect(await encoding('l')).toBe('quicklist');
    await redis.rpop('l', 3);
    expect(await encoding('l')).toBe('listpack');
    await redis.del('l');
    await redis.rpush('l', 'a', 'a', 'a', 'd');
    await redis.lrem('l', 3, 'a');
    expect(await encoding('l')).toBe('listpack');
    await redis.del('l');
    await redis.rpush('l', 'a', 'b', 'c', 'd');
    await redis.ltrim('l', 1, 1);
    expect(await encoding('l')).toBe('listpack');
    await redis.config('SET', 'list-max-listpack-size', '-1');
    await redis.del('l');
    await redis.rpush('l', 'a', 'b', 'c');
    await redis.linsert('l', 'AFTER', 'b', large);
    expect(await encoding('l')).toBe('quicklist');
    await redis.lrem('l', 1, large);
    expect(await encoding('l')).toBe('listpack');
    await redis.lset('l', 0, large);
    expect(await encoding('l')).toBe('quicklist');
    await redis.lset('l', 0, 'a');
    expect(await encoding('l')).toBe('listpack');
    await redis.config('SET', 'list-max-listpack-size', '0');
    await redis.del('l');
    await redis.rpush('l', 'a');
    expect(await encoding('l')).toBe('listpack');
    await redis.rpush('l', 'b');
    expect(await encoding('l')).toBe('quicklist');
  });

  it('keeps the encoding through COPY and re-derives it on RESTORE', async () => {
    await redis.config('SET', 'list-max-listpack-size', '3');
    await redis.rpush('l', 'a', 'b', 'c', 'd');
    await redis.copy('l', 'c');
    expect(await encoding('c')).toBe('quicklist');
    await redis.rpop('l');
    const payload = await redis.dumpBuffer('l');
    await redis.restore('r', 0, payload);
    expect(await encoding('l')).toBe('quicklist'); // Redis converts back only at half the limit
    expect(await encoding('r')).toBe('listpack'); // ... but a list loaded whole fits one node
  });
});

describe('the generic commands on lists', () => {
  it('types, copies, renames, moves and scans lists, with their elements', async () => {
    await redis.rpush('l', 'a', 'b');
    expect(await redis.type('l')).toBe('list');
    expect(await redis.copy('l', 'c')).toBe(1);
    await redis.rpush('c', 'z');
    expect(await redis.lrange('l', 0, -1)).toEqual(['a', 'b']);
    expect(await redis.rename('c', 'r')).toBe('OK');
    expect(await redis.lrange('r', 0, -1)).toEqual(['a', 'b', 'z']);
    expect(await redis.move('r', 1)).toBe(1);
    await redis.set('s', 'x');
    await redis.hset('h', 'f', 'v');
    expect((await redis.scan(0, 'COUNT', 100, 'TYPE', 'list'))[1]).toEqual(['l']);
    await redis.select(1);
    try {
      expect(await redis.lrange('r', 0, -1)).toEqual(['a', 'b', 'z']);
    } finally {
      await redis.select(0);
    }
    const usage = (await redis.memory('USAGE', 'l')) as number;
    expect(usage).toBeGreaterThan(20);
    await pushMany('big', range(2000, (index) => `element-${index}`));
    expect((await redis.memory('USAGE', 'big')) as number).toBeGreaterThan(2000 * 10);
  });
});

const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
if (skipReason !== undefined) console.warn(`list differential test skipped: ${skipReason}`);

const FIXED_COMMANDS: readonly (readonly string[])[] = [
  ['SET', 's', 'string'],
  // pushes and their errors
  ['LPUSH', 'l'], ['RPUSH'], ['LPUSH', 's', 'x'], ['RPUSH', 's', 'x'], ['LPUSHX', 's', 'x'], ['RPUSHX', 'missing', 'x'],
  ['LPUSHX', 'missing', 'x', 'y'], ['EXISTS', 'missing'],
  ['RPUSH', 'l', 'a', 'b', 'c'], ['LPUSH', 'l', '1', '2', '3'], ['RPUSHX', 'l', 'z', 'zz'], ['LPUSHX', 'l', '-1'],
  ['LRANGE', 'l', '0', '-1'], ['LLEN', 'l'], ['LLEN', 'missing'], ['LLEN', 's'], ['TYPE', 'l'],
  // LINDEX / LSET
  ['LINDEX', 'l', '0'], ['LINDEX', 'l', '-1'], ['LINDEX', 'l', '100'], ['LINDEX', 'l', '-100'], ['LINDEX', 'l', 'x'],
  ['LINDEX', 'missing', 'x'], ['LINDEX', 's', '0'], ['LINDEX', 's', 'x'], ['LINDEX', 'l', '9223372036854775807'], ['LINDEX', 'l', '-9223372036854775808'],
  ['LSET', 'l', '0', 'first'], ['LSET', 'l', '-1', 'last'], ['LSET', 'l', '100', 'x'], ['LSET', 'l', 'x', 'y'], ['LSET', 'missing', '0', 'x'],
  ['LSET', 'missing', 'x', 'y'], ['LSET', 's', '0', 'x'], ['LRANGE', 'l', '0', '-1'],
  // LRANGE
  ['LRANGE', 'l', '2', '4'], ['LRANGE', 'l', '-3', '-1'], ['LRANGE', 'l', '-100', '100'], ['LRANGE', 'l', '5', '2'], ['LRANGE', 'l', '100', '200'],
  ['LRANGE', 'l', 'a', '1'], ['LRANGE', 'l', '0', 'b'], ['LRANGE', 'missing', '0', '-1'], ['LRANGE', 'missing', 'x', '1'], ['LRANGE', 's', '0', '-1'],
  ['LRANGE', 'l', '-9223372036854775808', '9223372036854775807'],
  // LINSERT
  ['LINSERT', 'l', 'BEFORE', 'a', 'before-a'], ['LINSERT', 'l', 'after', 'a', 'after-a'], ['LINSERT', 'l', 'AFTER', 'last', 'tail!'],
  ['LINSERT', 'l', 'before', 'first', 'head!'], ['LINSERT', 'l', 'before', 'nope', 'x'], ['LINSERT', 'l', 'middle', 'a', 'x'],
  ['LINSERT', 'missing', 'before', 'a', 'x'], ['LINSERT', 'missing', 'nowhere', 'a', 'x'], ['LINSERT', 's', 'before', 'a', 'x'], ['LRANGE', 'l', '0', '-1'],
  // LPOS
  ['RPUSH', 'p', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'x'], ['LPOS', 'p', 'a'], ['LPOS', 'p', 'c'], ['LPOS', 'p', 'nope'], ['LPOS', 'p', 'a', 'RANK', '2'],
  ['LPOS', 'p', 'a', 'RANK', '-1'], ['LPOS', 'p', 'a', 'RANK', '-2'], ['LPOS', 'p', 'a', 'RANK', '4'], ['LPOS', 'p', 'a', 'RANK', '0'],
  ['LPOS', 'p', 'a', 'COUNT', '0'], ['LPOS', 'p', 'a', 'COUNT', '2'], ['LPOS', 'p', 'a', 'COUNT', '2', 'RANK', '2'], ['LPOS', 'p', 'a', 'COUNT', '0', 'RANK', '-1'],
  ['LPOS', 'p', 'a', 'COUNT', '-1'], ['LPOS', 'p', 'a', 'COUNT', 'x'], ['LPOS', 'p', 'a', 'MAXLEN', '3'], ['LPOS', 'p', 'a', 'MAXLEN', '3', 'COUNT', '0'],
  ['LPOS', 'p', 'x', 'MAXLEN', '7'], ['LPOS', 'p', 'a', 'RANK', '-1', 'MAXLEN', '2'], ['LPOS', 'p', 'a', 'RANK', '-1', 'MAXLEN', '2', 'COUNT', '0'],
  ['LPOS', 'p', 'a', 'MAXLEN', '-1'], ['LPOS', 'p', 'a', 'MAXLEN', 'x'], ['LPOS', 'p', 'a', 'RANK', 'x'], ['LPOS', 'p', 'a', 'RANK'], ['LPOS', 'p', 'a', 'FOO', '1'],
  ['LPOS', 'missing', 'a'], ['LPOS', 'missing', 'a', 'COUNT', '1'], ['LPOS', 'missing', 'a', 'RANK', '0'], ['LPOS', 's', 'a'], ['LPOS', 'p', 'nope', 'COUNT', '3'],
  ['LPOS', 'p', 'a', 'RANK', '9223372036854775807'], ['LPOS', 'p', 'a', 'COUNT', '9223372036854775807'],
  // LREM
  ['LREM', 'p', '1', 'a'], ['LRANGE', 'p', '0', '-1'], ['LREM', 'p', '-1', 'a'], ['LRANGE', 'p', '0', '-1'], ['LREM', 'p', '0', 'b'], ['LRANGE', 'p', '0', '-1'],
  ['LREM', 'p', '5', 'nope'], ['LREM', 'p', 'x', 'a'], ['LREM', 'missing', '0', 'a'], ['LREM', 's', '0', 'a'], ['LREM', 'p', '0', 'c'], ['LRANGE', 'p', '0', '-1'],
  ['LREM', 'p', '-9223372036854775808', 'a'], ['LREM', 'p', '0', 'x'], ['EXISTS', 'p'], ['LREM', 'p', '0', 'a'],
  ['RPUSH', 'r', 'a', 'x', 'a', 'y', 'a', 'z', 'a', 'w', 'a'], ['LREM', 'r', '-2', 'a'], ['LRANGE', 'r', '0', '-1'], ['LREM', 'r', '2', 'a'], ['LRANGE', 'r', '0', '-1'],
  // LTRIM
  ['RPUSH', 't', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], ['LTRIM', 't', '1', '-2'], ['LRANGE', 't', '0', '-1'], ['LTRIM', 't', '2', '100'],
  ['LRANGE', 't', '0', '-1'], ['LTRIM', 't', '-2', '-1'], ['LRANGE', 't', '0', '-1'], ['LTRIM', 't', 'x', '1'], ['LTRIM', 'missing', '0', '1'],
  ['LTRIM', 'missing', 'x', '1'], ['LTRIM', 's', '0', '1'], ['LTRIM', 't', '5', '1'], ['EXISTS', 't'],
  ['RPUSH', 't', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], ['LTRIM', 't', '4', '4'], ['LRANGE', 't', '0', '-1'], ['LTRIM', 't', '-100', '100'], ['LRANGE', 't', '0', '-1'],
  // LPOP / RPOP
  ['RPUSH', 'q', 'a', 'b', 'c', 'd', 'e'], ['LPOP', 'q'], ['RPOP', 'q'], ['LPOP', 'q', '0'], ['LPOP', 'q', '1'], ['RPOP', 'q', '1'], ['LPOP', 'q', '-1'],
  ['LPOP', 'q', 'x'], ['RPOP', 'q', '1', '2'], ['LPOP', 'missing'], ['LPOP', 'missing', '0'], ['LPOP', 'missing', '2'], ['RPOP', 'missing', '2'], ['LPOP', 's'],
  ['LPOP', 's', '1'], ['LPOP', 's', 'x'], ['LPOP', 'missing', 'x'], ['RPOP', 'q', '10'], ['EXISTS', 'q'],
  ['RPUSH', 'q', 'a', 'b', 'c', 'd', 'e'], ['RPOP', 'q', '3'], ['LPOP', 'q', '10'], ['EXISTS', 'q'], ['LPOP'], ['RPOP'],
  // LMOVE / RPOPLPUSH
  ['RPUSH', 'm', 'a', 'b', 'c'], ['LMOVE', 'm', 'm', 'LEFT', 'RIGHT'], ['LRANGE', 'm', '0', '-1'], ['LMOVE', 'm', 'm', 'RIGHT', 'LEFT'], ['LRANGE', 'm', '0', '-1'],
  ['LMOVE', 'm', 'm', 'left', 'left'], ['LMOVE', 'm', 'm', 'right', 'right'], ['LRANGE', 'm', '0', '-1'], ['LMOVE', 'm', 'm2', 'LEFT', 'LEFT'],
  ['LMOVE', 'm', 'm2', 'RIGHT', 'RIGHT'], ['LRANGE', 'm2', '0', '-1'], ['LMOVE', 'm', 's', 'LEFT', 'LEFT'], ['LRANGE', 'm', '0', '-1'], ['LMOVE', 's', 'm', 'LEFT', 'LEFT'],
  ['LMOVE', 'missing', 's', 'LEFT', 'LEFT'], ['LMOVE', 'missing', 'm', 'LEFT', 'LEFT'], ['LMOVE', 'm', 'm2', 'UP', 'LEFT'], ['LMOVE', 'm', 'm2', 'LEFT', 'DOWN'],
  ['LMOVE', 'm', 'm2', 'LEFT', 'RIGHT'], ['EXISTS', 'm'], ['RPOPLPUSH', 'm2', 'm'], ['RPOPLPUSH', 'm2', 'm'], ['RPOPLPUSH', 'm2', 'm2'], ['LRANGE', 'm2', '0', '-1'],
  ['LRANGE', 'm', '0', '-1'], ['RPOPLPUSH', 'missing', 'm'], ['RPOPLPUSH', 's', 'm'], ['RPOPLPUSH', 'm', 's'], ['LMOVE', 'm2', 'm2', 'LEFT', 'RIGHT'],
  ['RPUSH', 'one', 'x'], ['LMOVE', 'one', 'one', 'LEFT', 'RIGHT'], ['LRANGE', 'one', '0', '-1'], ['RPOPLPUSH', 'one', 'one'], ['LLEN', 'one'],
  // LMPOP
  ['RPUSH', 'mp1', 'a', 'b', 'c'], ['RPUSH', 'mp2', 'x', 'y'], ['LMPOP', '2', 'missing', 'mp1', 'LEFT'], ['LMPOP', '2', 'missing', 'mp1', 'RIGHT', 'COUNT', '5'],
  ['LMPOP', '2', 'mp1', 'mp2', 'left', 'count', '1'], ['LMPOP', '1', 'missing', 'LEFT'], ['LMPOP', '2', 's', 'mp2', 'LEFT'], ['LMPOP', '2', 'missing', 's', 'LEFT'],
  ['LMPOP', '0', 'mp2', 'LEFT'], ['LMPOP', '-1', 'mp2', 'LEFT'], ['LMPOP', 'x', 'mp2', 'LEFT'], ['LMPOP', '3', 'mp2', 'LEFT'], ['LMPOP', '1', 'mp2', 'UP'],
  ['LMPOP', '1', 'mp2', 'LEFT', 'COUNT', '0'], ['LMPOP', '1', 'mp2', 'LEFT', 'COUNT', 'x'], ['LMPOP', '1', 'mp2', 'LEFT', 'COUNT'],
  ['LMPOP', '1', 'mp2', 'LEFT', 'COUNT', '1', 'COUNT', '1'], ['LMPOP', '1', 'mp2', 'LEFT', 'FOO'], ['LMPOP', '1', 'mp2'], ['LMPOP', '1', 'mp2', 'RIGHT', 'COUNT', '9223372036854775807'],
  ['EXISTS', 'mp2'], ['LMPOP', '9223372036854775807', 'mp2', 'LEFT'],
  // blocking forms that find an element, or fail before blocking
  ['RPUSH', 'bl', 'a', 'b', 'c', 'd'], ['BLPOP', 'missing', 'bl', '0'], ['BRPOP', 'bl', 'missing', '1'], ['BLPOP', 's', 'bl', '0'], ['BLPOP', 'bl', 'x'],
  ['BLPOP', 'bl', '-1'], ['BLPOP', 'bl', '-0.0001'], ['BLPOP', 'bl', '0.01'], ['BLPOP', 'bl', '-inf'], ['BLPOP', 'bl', 'nan'], ['BLPOP', 'bl', ''], ['BLPOP', 'bl'],
  ['RPUSH', 'bl', 'a', 'b', 'c'], ['BLMOVE', 'bl', 'bl2', 'LEFT', 'RIGHT', '0'], ['BLMOVE', 'bl', 'bl2', 'LEFT', 'RIGHT', 'x'], ['BLMOVE', 'bl', 'bl2', 'UP', 'RIGHT', 'x'],
  ['BLMOVE', 'bl', 's', 'LEFT', 'RIGHT', '0'], ['BLMOVE', 's', 'bl', 'LEFT', 'RIGHT', '0'], ['BRPOPLPUSH', 'bl', 'bl2', '0'], ['BRPOPLPUSH', 'bl', 'bl2', '-1'],
  ['BRPOPLPUSH', 's', 'bl2', '0'], ['LRANGE', 'bl2', '0', '-1'],
  ['BLMPOP', '0', '2', 'missing', 'bl2', 'LEFT', 'COUNT', '10'], ['BLMPOP', 'x', '1', 'bl2', 'LEFT'], ['BLMPOP', '0', '0', 'bl2', 'LEFT'], ['BLMPOP', '0', '1', 'bl2', 'UP'],
  ['BLMPOP', '-1', '1', 'bl2', 'LEFT'], ['BLMPOP', '0', '2', 's', 'bl2', 'LEFT'], ['BLMPOP', '0', '5', 'bl2', 'LEFT'], ['BLMPOP', 'x', '0', 'bl2', 'LEFT'],
  // never blocking inside MULTI
  ['MULTI'], ['BLPOP', 'empty', '0'], ['BRPOP', 'empty', '0'], ['BLMOVE', 'empty', 'x', 'LEFT', 'LEFT', '0'], ['BRPOPLPUSH', 'empty', 'x', '0'],
  ['BLMPOP', '0', '1', 'empty', 'LEFT'], ['RPUSH', 'empty', 'v'], ['BLPOP', 'empty', '0'], ['EXEC'],
  // types, keyspace commands, DUMP / RESTORE
  ['RPUSH', 'k', 'a', '1', '-2', '12345678901', 'b'.repeat(70)], ['TYPE', 'k'], ['RENAME', 'k', 'k2'], ['LRANGE', 'k2', '0', '-1'], ['COPY', 'k2', 'k3'],
  ['LRANGE', 'k3', '0', '-1'], ['RPUSH', 'k3', 'more'], ['LLEN', 'k2'], ['MOVE', 'k3', '1'], ['EXISTS', 'k3'], ['SCAN', '0', 'TYPE', 'list', 'COUNT', '1000'],
  ['DUMP', 'k2'], ['DEL', 'k2', 'k3'], ['DUMP', 'missing'], ['OBJECT', 'FREQ', 'l'],
];
/** A reply as a comparable string: SCAN's keys sorted (tskv's order is its hash order). */
function comparable(reply: Reply, args: readonly string[]): string {
  if (args[0] === 'SCAN' && reply.type === 'array') {
    const [cursor, keys] = replyItems(reply);
    return `${formatReply(cursor!)} ${replyItems(keys!).map(formatReply).sort().join(',')}`;
  }
  return formatReply(reply);
}

describe.skipIf(skipReason !== undefined)('lists against redis-server 7.0.15', () => {
  let real: RealRedis;
  let realClient: Redis;

  beforeAll(async () => {
    real = await startRealRedis();
    realClient = new Redis({ port: real.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    realClient?.disconnect();
    await real?.stop();
  });

  it('answers the same list of commands alike, in RESP2 and RESP3', async () => {
    for (const protocol of [2, 3] as const) {
      const clients = await Promise.all([RawClient.connect(server.port), RawClient.connect(real.port)]);
      try {
        const replies: string[][] = [];
        for (const client of clients) {
          await client.send(['FLUSHALL']);
          await client.send(['HELLO', String(protocol)]);
          const raw = await client.pipeline(FIXED_COMMANDS);
          replies.push(raw.map((reply, index) => comparable(reply, FIXED_COMMANDS[index]!)));
        }
        const [ours, theirs] = replies as [string[], string[]];
        const differences = FIXED_COMMANDS.map((args, index) => [args.join(' ').slice(0, 80), ours[index], theirs[index]]).filter(([, mine, redis]) => mine !== redis);
        expect(differences).toEqual([]);
        expect(theirs.filter((reply) => reply.startsWith('-WRONGTYPE')).length).toBeGreaterThan(20);
      } finally {
        for (const client of clients) client.close();
      }
    }
  });

  it('restores in Redis what tskv dumps, and in tskv what Redis dumps, one node or many', async () => {
    await realClient.flushall();
    const lists: Record<string, string[]> = {
      small: ['a', '', '1', '-9223372036854775808', 'x'.repeat(300)],
      nodes: range(3000, (index) => `element-${index}`),
      huge: [range(5, (index) => 'y'.repeat(20_000 + index)), 'z'].flat(),
    };
    for (const [key, elements] of Object.entries(lists)) {
      await pushMany(key, elements);
      await realClient.rpush(`${key}:redis`, ...elements);
      expect(await realClient.restore(key, 0, await redis.dumpBuffer(key))).toBe('OK');
      expect(await realClient.lrange(key, 0, -1)).toEqual(elements);
      expect(await redis.restore(`${key}:redis`, 0, await realClient.dumpBuffer(`${key}:redis`))).toBe('OK');
      expect(await redis.lrange(`${key}:redis`, 0, -1)).toEqual(elements);
      expect(await redis.dumpBuffer(key)).toEqual(await realClient.dumpBuffer(`${key}:redis`)); // nodes filled alike
    }
  });
});
