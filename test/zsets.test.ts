// test/zsets.test.ts: the sorted set family end to end against the built server: ioredis for
// behaviour (ZADD's options, WRONGTYPE before any change, emptied keys deleted, *STORE
// destinations, ranges of a big zset against a model, the tail reads, ZRANDMEMBER counts and
// uniformity, ZSCAN cursors, encodings, WATCH and MULTI, the generic commands, a kill -9
// restart), node-redis in RESP3 for the reply types (doubles, pairs), redis-cli's output and
// --bigkeys / --memkeys, and a real redis-server 7.0.15 as the oracle for a fixed list of commands
// replayed on both in RESP2 and RESP3, and for DUMP payloads restored across.
// How replies are compared with Redis: exactly, except ZSCAN pages of a skiplist zset (items
// sorted: Redis's order is its table's, tskv's hash order) and random picks (ZRANDMEMBER) by type,
// length and distinctness. MEMORY USAGE of a skiplist zset is compared within 20% (Redis's node
// sizes follow its random levels).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, formatReply, replyItems, type Reply } from './helpers/raw-client.js';
import { hasBinary, hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { errorOf } from './helpers/errors.js';
import { startServer, type StartedServer } from './helpers/server.js';

const run = promisify(execFile);
let server: StartedServer;
let tskv: Redis;

function range(count: number): string[];
function range<T>(count: number, name: (index: number) => T): T[];
function range(count: number, name: (index: number) => unknown = String): unknown[] {
  return Array.from({ length: count }, (_, index) => name(index));
}
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';


async function encoding(key: string): Promise<string | null> {
  return (await tskv.object('ENCODING', key)) as string | null;
}

/** ZADD of [member, score] pairs, 1000 at a time. */
async function addMany(client: Redis, key: string, members: ReadonlyArray<readonly [string, number]>): Promise<void> {
  for (let start = 0; start < members.length; start += 1000) {
    await client.zadd(key, ...members.slice(start, start + 1000).flatMap(([member, score]) => [String(score), member]));
  }
}

const LIMITS_DEFAULT = ['zset-max-listpack-entries', '128', 'zset-max-listpack-value', '64'];

beforeAll(async () => {
  server = await startServer();
  tskv = new Redis({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  tskv?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await tskv.flushall();
  await tskv.config('SET', ...LIMITS_DEFAULT);
});

describe('sorted set commands in tskv', () => {
  it('adds, scores, counts and removes members; removing the last deletes the key', async () => {
    expect(await tskv.zadd('z', 1, 'a', 2, 'b', 3, 'a')).toBe(2);
    expect(await tskv.zscore('z', 'a')).toBe('3');
    expect(await tskv.zcard('z')).toBe(2);
    expect(await tskv.zmscore('z', 'a', 'nope', 'b')).toEqual(['3', null, '2']);
    expect(await tskv.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['b', '2', 'a', '3']);
    expect(await tskv.zrem('z', 'a', 'a', 'nope')).toBe(1);
    expect(await tskv.zrem('z', 'b')).toBe(1);
    expect(await tskv.exists('z')).toBe(0);
    expect(await tskv.dbsize()).toBe(0);
  });

  it('applies ZADD NX, XX, GT, LT, CH and INCR as Redis 7.0', async () => {
    await tskv.zadd('z', 5, 'a');
    expect(await tskv.zadd('z', 'NX', 1, 'a', 1, 'b')).toBe(1);
    expect(await tskv.zadd('z', 'XX', 'CH', 7, 'a', 9, 'c')).toBe(1);
    expect(await tskv.zscore('z', 'c')).toBeNull();
    expect(await tskv.zadd('z', 'GT', 'CH', 6, 'a', 8, 'd')).toBe(1); // 6 < 7: kept; d is new
    expect(await tskv.zadd('z', 'LT', 'CH', 6, 'a')).toBe(1);
    expect(await tskv.zadd('z', 'INCR', 2.5, 'a')).toBe('8.5');
    expect(await tskv.zadd('z', 'GT', 'INCR', -1, 'a')).toBeNull();
    expect(await tskv.zadd('z', 'XX', 'INCR', 1, 'nope')).toBeNull();
    expect(await tskv.zincrby('z', '0.1', 'fresh')).toBe('0.10000000000000001');
    expect(await tskv.zadd('z', 'CH', 1, 'x', 2, 'x')).toBe(2); // added, then updated
    expect(await errorOf(tskv.zadd('z', 'NX', 'XX', 1, 'a'))).toBe('ERR XX and NX options at the same time are not compatible');
    expect(await errorOf(tskv.zadd('z', 'GT', 'LT', 1, 'a'))).toBe('ERR GT, LT, and/or NX options at the same time are not compatible');
    expect(await errorOf(tskv.zadd('z', 'INCR', 1, 'a', 2, 'b'))).toBe('ERR INCR option supports a single increment-element pair');
    expect(await errorOf(tskv.zadd('z', 'nan', 'a'))).toBe('ERR value is not a valid float');
    expect(await errorOf(tskv.zadd('z', 1, 'a', 2))).toBe('ERR syntax error');
    await tskv.zadd('z', 'inf', 'top');
    expect(await errorOf(tskv.zincrby('z', '-inf', 'top'))).toBe('ERR resulting score is not a number (NaN)');
    expect(await tskv.zscore('z', 'top')).toBe('inf');
    expect(await tskv.zadd('none', 'XX', 1, 'a')).toBe(0);
    expect(await tskv.exists('none')).toBe(0);
  });

  it('refuses every sorted set command on a string with WRONGTYPE and changes nothing', async () => {
    await tskv.set('str', 'v');
    await tskv.zadd('z', 1, 'a', 2, 'b');
    await tskv.zadd('dst', 1, 'keep');
    const refused: Array<Promise<string>> = [
      tskv.zadd('str', 1, 'a'), tskv.zincrby('str', 1, 'a'), tskv.zrem('str', 'a'), tskv.zcard('str'), tskv.zscore('str', 'a'),
      tskv.zmscore('str', 'a'), tskv.zrank('str', 'a'), tskv.zrevrank('str', 'a'), tskv.zcount('str', 0, 1), tskv.zlexcount('str', '-', '+'),
      tskv.zrange('str', '0', '-1'), tskv.zrangestore('dst', 'str', '0', '-1'), tskv.zrevrange('str', '0', '1'), tskv.zrangebyscore('str', '0', '1'),
      tskv.zrevrangebyscore('str', 1, 0), tskv.zrangebylex('str', '-', '+'), tskv.zrevrangebylex('str', '+', '-'),
      tskv.zremrangebyscore('str', 0, 1), tskv.zremrangebyrank('str', 0, 1), tskv.zremrangebylex('str', '-', '+'), tskv.zpopmin('str'),
      tskv.zpopmax('str', 2), tskv.zmpop(2, 'none', 'str', 'MIN'), tskv.zrandmember('str'), tskv.zrandmember('str', 2),
      tskv.zunion(2, 'z', 'str'), tskv.zinter(2, 'z', 'str'), tskv.zdiff(2, 'z', 'str'), tskv.zunionstore('dst', 2, 'z', 'str'),
      tskv.zinterstore('dst', 2, 'str', 'z'), tskv.zdiffstore('dst', 1, 'str'), tskv.zintercard(2, 'z', 'str'), tskv.zscan('str', 0),
    ].map(errorOf); // each handled at once: later ones reject while earlier ones are awaited
    for (const promise of refused) expect(await promise).toBe(WRONGTYPE);
    expect(await tskv.get('str')).toBe('v');
    expect(await tskv.zrange('z', '0', '-1')).toEqual(['a', 'b']);
    expect(await tskv.zrange('dst', '0', '-1')).toEqual(['keep']);
    expect(await tskv.zmpop(2, 'z', 'str', 'MIN')).toEqual(['z', [['a', '1']]]); // the first zset found is popped; later keys are not looked at
  });

  it('answers a missing key as an empty sorted set', async () => {
    expect(await tskv.zcard('none')).toBe(0);
    expect(await tskv.zscore('none', 'a')).toBeNull();
    expect(await tskv.zrank('none', 'a')).toBeNull();
    expect(await tskv.zrange('none', '0', '-1')).toEqual([]);
    expect(await tskv.zpopmin('none')).toEqual([]);
    expect(await tskv.zmpop(1, 'none', 'MAX')).toBeNull();
    expect(await tskv.zrandmember('none')).toBeNull();
    expect(await tskv.zrandmember('none', 5)).toEqual([]);
    expect(await tskv.zscan('none', 0)).toEqual(['0', []]);
    expect(await tskv.zcount('none', '-inf', '+inf')).toBe(0);
    expect(await tskv.zremrangebyrank('none', 0, -1)).toBe(0);
  });

  it('deletes a key emptied by ZPOPMIN, ZPOPMAX, ZMPOP and ZREMRANGEBY*', async () => {
    for (const empty of [
      () => tskv.zpopmin('z', 10), () => tskv.zpopmax('z', 3), () => tskv.zmpop(1, 'z', 'MIN', 'COUNT', 5),
      () => tskv.zremrangebyrank('z', 0, -1), () => tskv.zremrangebyscore('z', '-inf', '+inf'), () => tskv.zremrangebylex('z', '-', '+'),
    ]) {
      await tskv.zadd('z', 0, 'a', 0, 'b', 0, 'c');
      await empty();
      expect(await tskv.exists('z')).toBe(0);
    }
  });

  it('replaces a *STORE destination of any type, drops its TTL, and deletes it for an empty result', async () => {
    await tskv.zadd('a', 1, 'x', 2, 'y');
    await tskv.sadd('s', 'y', 'w');
    await tskv.set('dst', 'string', 'EX', 100);
    expect(await tskv.zunionstore('dst', 2, 'a', 's', 'WEIGHTS', 2, 10)).toBe(3);
    expect(await tskv.type('dst')).toBe('zset');
    expect(await tskv.ttl('dst')).toBe(-1);
    expect(await tskv.zrange('dst', '0', '-1', 'WITHSCORES')).toEqual(['x', '2', 'w', '10', 'y', '14']);
    expect(await tskv.zinterstore('dst', 2, 'a', 's', 'AGGREGATE', 'MAX')).toBe(1);
    expect(await tskv.zrange('dst', '0', '-1', 'WITHSCORES')).toEqual(['y', '2']);
    expect(await tskv.zdiffstore('dst', 2, 'a', 'a')).toBe(0);
    expect(await tskv.exists('dst')).toBe(0);
    await tskv.hset('dst', 'f', 'v');
    expect(await tskv.zrangestore('dst', 'missing', 0, -1)).toBe(0);
    expect(await tskv.exists('dst')).toBe(0);
    expect(await tskv.zrangestore('dst', 'a', 1, 2, 'BYSCORE', 'LIMIT', 1, 1)).toBe(1);
    expect(await tskv.zrange('dst', '0', '-1')).toEqual(['y']);
    expect(await tskv.zunionstore('a', 2, 'a', 'a')).toBe(2); // the destination is a source
    expect(await tskv.zrange('a', '0', '-1', 'WITHSCORES')).toEqual(['x', '2', 'y', '4']);
  });

  it('does not disturb a WATCH with a write that changes nothing, and runs in MULTI', async () => {
    await tskv.zadd('z', 1, 'a');
    const watcher = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      await watcher.watch('z');
      await tskv.zadd('z', 1, 'a');
      await tskv.zadd('z', 'XX', 5, 'nope');
      await tskv.zrem('z', 'nope');
      await tskv.zremrangebyscore('z', 10, 20);
      expect(await watcher.multi().zcard('z').exec()).toEqual([[null, 1]]);
      await watcher.watch('z');
      await tskv.zincrby('z', 1, 'a');
      expect(await watcher.multi().zcard('z').exec()).toBeNull();
      const replies = await watcher.multi().zadd('tx', 1, 'a', 2, 'b').zpopmin('tx').zrange('tx', '0', '-1', 'WITHSCORES').exec();
      expect(replies).toEqual([[null, 2], [null, ['a', '1']], [null, ['b', '2']]]);
    } finally {
      watcher.disconnect();
    }
  });
});

describe('ZRANGE by rank from the head cache (types/zset-head-cache.ts)', () => {
  const head = async (key: string) => tskv.zrange(key, '0', '2', 'WITHSCORES');

  it('forgets a zset that expired, lazily or by the active cycle', async () => {
    await tskv.zadd('hc', 1, 'a', 2, 'b', 3, 'c');
    expect(await head('hc')).toEqual(['a', '1', 'b', '2', 'c', '3']);
    await tskv.pexpire('hc', 60);
    expect(await head('hc')).toEqual(['a', '1', 'b', '2', 'c', '3']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await head('hc')).toEqual([]); // lazy: this read finds it expired
    await tskv.zadd('hc2', 1, 'a');
    expect(await head('hc2')).toEqual(['a', '1']);
    await tskv.pexpire('hc2', 60);
    const deadline = Date.now() + 2_000; // the active cycle runs every 100 ms
    while ((await tskv.dbsize()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await tskv.dbsize()).toBe(0);
    await tskv.zadd('hc2', 5, 'z');
    expect(await head('hc2')).toEqual(['z', '5']);
  });

  it('answers what EXEC committed, reads inside it included, and forgets a flushed database', async () => {
    await tskv.zadd('hc', 1, 'a', 2, 'b', 3, 'c');
    expect(await head('hc')).toEqual(['a', '1', 'b', '2', 'c', '3']);
    const replies = await tskv.multi().zincrby('hc', 10, 'a').zrange('hc', '0', '0').zadd('hc', 0, 'q').exec();
    expect(replies).toEqual([[null, '11'], [null, ['b']], [null, 1]]);
    expect(await head('hc')).toEqual(['q', '0', 'b', '2', 'c', '3']);
    expect(await tskv.zrevrange('hc', '0', '0')).toEqual(['a']);
    await tskv.flushdb();
    expect(await head('hc')).toEqual([]);
    await tskv.zadd('hc', 7, 'n');
    expect(await head('hc')).toEqual(['n', '7']);
  });

  it('forgets what a blocked ZPOPMIN served by a later ZADD took', async () => {
    const blocked = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      const popped = blocked.bzpopmin('hc', 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const pipeline = await tskv.pipeline().zadd('hc', 1, 'a', 2, 'b').zrange('hc', '0', '1').exec(); // the read may fill before or after the pop
      expect(await popped).toEqual(['hc', 'a', '1']);
      expect(pipeline?.[0]?.[1]).toBe(2);
      expect(await tskv.zrange('hc', '0', '1')).toEqual(['b']);
    } finally {
      blocked.disconnect();
    }
  });

  it('reports its size in INFO memory', async () => {
    await tskv.zadd('hc', 1, 'a');
    await tskv.zrange('hc', '0', '0');
    const info = await tskv.info('memory');
    expect(Number(/tskv_zset_cache_zsets:(\d+)/.exec(info)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/tskv_zset_cache_bytes:(\d+)/.exec(info)?.[1])).toBeGreaterThan(0);
    expect(Number(/tskv_zset_cache_bytes_max:(\d+)/.exec(info)?.[1])).toBe(16 * 1024 * 1024);
  });
});

describe('ranges of a big zset', () => {
  const SIZE = 3000;
  // scores in runs of equal values (ties ordered by member), negative and fractional ones
  const members = range(SIZE, (index) => `m${String((index * 7919) % SIZE).padStart(5, '0')}`).map((member, index) => [member, Math.floor(index / 3) / 4 - 100] as const);
  const model = [...members].sort((a, b) => a[1] - b[1] || Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  const names = (slice: ReadonlyArray<readonly [string, number]>) => slice.map(([member]) => member);

  beforeEach(async () => {
    await addMany(tskv, 'big', members);
  });

  it('reads by rank from either end, ZRANGE -10 -1 and ZREVRANGE 0 9 from the tail', async () => {
    expect(await encoding('big')).toBe('skiplist');
    expect(await tskv.zrange('big', '0', '9')).toEqual(names(model.slice(0, 10)));
    expect(await tskv.zrange('big', '-10', '-1')).toEqual(names(model.slice(-10)));
    expect(await tskv.zrevrange('big', '0', '9')).toEqual(names(model.slice(-10).reverse()));
    expect(await tskv.zrange('big', '0', '2', 'REV', 'WITHSCORES')).toEqual(model.slice(-3).reverse().flatMap(([member, score]) => [member, String(score)]));
    expect(await tskv.zrange('big', '1500', '1504')).toEqual(names(model.slice(1500, 1505)));
    expect(await tskv.zrevrange('big', '2990', '5000')).toEqual(names(model.slice(0, 10).reverse()));
    expect(await tskv.zrange('big', '-5000', '1')).toEqual(names(model.slice(0, 2)));
    expect(await tskv.zrange('big', '5', '2')).toEqual([]);
  });

  it('ranks members and counts ranges from either side', async () => {
    for (const index of [0, 1, 7, 1499, 2998, 2999]) {
      const [member] = model[index]!;
      expect(await tskv.zrank('big', member)).toBe(index);
      expect(await tskv.zrevrank('big', member)).toBe(SIZE - 1 - index);
    }
    const count = (low: number, high: number) => model.filter(([, score]) => score >= low && score <= high).length;
    expect(await tskv.zcount('big', '-inf', '+inf')).toBe(SIZE);
    expect(await tskv.zcount('big', -100, -99)).toBe(count(-100, -99));
    expect(await tskv.zcount('big', 0, 10)).toBe(count(0, 10));
    expect(await tskv.zcount('big', '(0', '(0.25')).toBe(0);
  });

  it('reads score ranges forward and in reverse, with LIMIT', async () => {
    const inRange = model.filter(([, score]) => score > 50 && score <= 60);
    expect(await tskv.zrangebyscore('big', '(50', 60)).toEqual(names(inRange));
    expect(await tskv.zrangebyscore('big', '(50', 60, 'LIMIT', 3, 4)).toEqual(names(inRange.slice(3, 7)));
    expect(await tskv.zrevrangebyscore('big', 60, '(50', 'LIMIT', 3, 4)).toEqual(names([...inRange].reverse().slice(3, 7)));
    expect(await tskv.zrevrangebyscore('big', '+inf', '-inf', 'LIMIT', 0, 5)).toEqual(names(model.slice(-5).reverse()));
    expect(await tskv.zrevrangebyscore('big', '+inf', '-inf', 'LIMIT', 2990, 100)).toEqual(names(model.slice(0, 10).reverse()));
    expect(await tskv.zrange('big', 60, '(50', 'BYSCORE', 'REV')).toEqual(names([...inRange].reverse()));
    expect(await tskv.zpopmax('big', 2)).toEqual(model.slice(-2).reverse().flatMap(([member, score]) => [member, String(score)]));
    expect(await tskv.zremrangebyrank('big', -3, -1)).toBe(3);
    expect(await tskv.zrange('big', '-1', '-1')).toEqual(names(model.slice(-6, -5)));
    expect(await tskv.zremrangebyscore('big', '-inf', -99)).toBe(model.filter(([, score]) => score <= -99).length);
  });

  it('reads lexicographic ranges of a one-score zset', async () => {
    await addMany(tskv, 'lex', range(2000, (index) => [`user:${String(index).padStart(5, '0')}`, 0] as const));
    expect(await tskv.zrangebylex('lex', '[user:01000', '(user:01005')).toEqual(range(5, (index) => `user:0${1000 + index}`));
    expect(await tskv.zrevrangebylex('lex', '+', '-', 'LIMIT', 0, 3)).toEqual(['user:01999', 'user:01998', 'user:01997']);
    expect(await tskv.zlexcount('lex', '(user:00010', '+')).toBe(1989);
    expect(await tskv.zremrangebylex('lex', '-', '[user:00099')).toBe(100);
    expect(await tskv.zrange('lex', '[user:00100', '[user:00101', 'BYLEX')).toEqual(['user:00100', 'user:00101']);
  });
});

describe('ZRANDMEMBER and ZSCAN', () => {
  it('answers counts as Redis: distinct and capped when positive, exactly |count| when negative, scores with WITHSCORES', async () => {
    await tskv.zadd('z', ...range(10).flatMap((index) => [String(index), `m${index}`]));
    for (const count of [1, 3, 9, 10, 50]) {
      const picks = await tskv.zrandmember('z', count);
      expect(picks).toHaveLength(Math.min(count, 10));
      expect(new Set(picks).size).toBe(picks.length);
    }
    const repeats = await tskv.zrandmember('z', -25);
    expect(repeats).toHaveLength(25);
    const withScores = await tskv.zrandmember('z', 4, 'WITHSCORES');
    expect(withScores).toHaveLength(8);
    for (let index = 0; index < 8; index += 2) expect(withScores[index]).toBe(`m${withScores[index + 1]}`);
    expect(await tskv.zrandmember('z', 10, 'WITHSCORES')).toEqual(range(10).reverse().flatMap((index) => [`m${index}`, String(index)]));
    expect(await errorOf(tskv.call('zrandmember', 'z', '4611686018427387904', 'WITHSCORES'))).toBe('ERR value is out of range');
  });

  it('picks uniformly (chi-square < 40 over 1000 draws, as Redis\'s zset.tcl)', async () => {
    await tskv.zadd('z', ...range(10).flatMap((index) => [String(index), String(index)]));
    const chiSquare = (draws: string[]) => {
      const counts = new Map<string, number>();
      for (const draw of draws) counts.set(draw, (counts.get(draw) ?? 0) + 1);
      return range(10).reduce((sum, member) => sum + ((counts.get(member) ?? 0) - 100) ** 2 / 100, 0);
    };
    expect(chiSquare(await tskv.zrandmember('z', -1000))).toBeLessThan(40);
    const draws: string[] = [];
    for (let round = 0; round < 250; round++) draws.push(...(await tskv.zrandmember('z', 4)));
    expect(chiSquare(draws)).toBeLessThan(40);
    const pipeline = tskv.pipeline();
    for (let round = 0; round < 1000; round++) pipeline.zrandmember('z');
    expect(chiSquare(((await pipeline.exec()) ?? []).map(([, member]) => member as string))).toBeLessThan(40);
  });

  it('returns a listpack zset whole in score order and pages a skiplist zset by cursor', async () => {
    await tskv.zadd('small', 2, 'b', 1, 'a', 1e17, 'c');
    expect(await tskv.zscan('small', 0, 'COUNT', 1)).toEqual(['0', ['a', '1', 'b', '2', 'c', '100000000000000000']]);
    await addMany(tskv, 'big', range(3000, (index) => [`m${index}`, index + 0.5] as const));
    const seen = new Map<string, string>();
    let cursor = '0';
    let pages = 0;
    do {
      const [next, page] = await tskv.zscan('big', cursor, 'COUNT', 100);
      for (let index = 0; index < page.length; index += 2) seen.set(page[index]!, page[index + 1]!);
      cursor = next;
      pages++;
    } while (cursor !== '0' && pages < 1000);
    expect(pages).toBeGreaterThan(10);
    expect(seen.size).toBe(3000);
    expect(seen.get('m7')).toBe('7.5');
    const [, matched] = await tskv.zscan('small', 0, 'MATCH', 'b*');
    expect(matched).toEqual(['b', '2']);
  });
});

describe('encodings and the generic commands', () => {
  it('goes listpack -> skiplist past either threshold, never back, and keeps -0 only in a skiplist', async () => {
    await tskv.config('SET', 'zset-max-listpack-entries', '3', 'zset-max-listpack-value', '5');
    await tskv.zadd('z', '-0', 'a', 1, 'b', 2, 'c'); // '-0' as text: ioredis would send the number -0 as "0"
    expect(await encoding('z')).toBe('listpack');
    expect(await tskv.zscore('z', 'a')).toBe('0'); // a listpack stores the integer 0
    await tskv.zadd('z', '-0', 'd');
    expect(await encoding('z')).toBe('skiplist');
    expect(await tskv.zscore('z', 'd')).toBe('-0');
    await tskv.zrem('z', 'b', 'c', 'd');
    expect(await encoding('z')).toBe('skiplist');
    await tskv.zadd('long', 1, 'abcdef');
    expect(await encoding('long')).toBe('skiplist');
    await tskv.zunionstore('small', 1, 'z');
    expect(await encoding('small')).toBe('listpack'); // a *STORE result starts over
  });

  it('answers TYPE, SCAN TYPE, OBJECT ENCODING and MEMORY USAGE', async () => {
    await tskv.zadd('z', 1, 'a', 2, 'b');
    await tskv.set('str', 'v');
    expect(await tskv.type('z')).toBe('zset');
    expect((await tskv.scan(0, 'COUNT', 100, 'TYPE', 'zset'))[1]).toEqual(['z']);
    expect(await tskv.memory('USAGE', 'z')).toBe(80); // Redis 7.0.15 says the same
  });

  it('round-trips DUMP / RESTORE and copies, renames and moves zsets', async () => {
    await tskv.zadd('z', 1, 'one', -0.5, 'half', 'inf', 'top');
    await tskv.pexpire('z', 100_000);
    const payload = await tskv.dumpBuffer('z');
    expect(payload[0]).toBe(5); // RDB_TYPE_ZSET_2
    expect(await tskv.restore('r', 0, payload)).toBe('OK');
    expect(await tskv.zrange('r', '0', '-1', 'WITHSCORES')).toEqual(['half', '-0.5', 'one', '1', 'top', 'inf']);
    expect(await tskv.copy('z', 'c')).toBe(1);
    await tskv.zadd('c', 5, 'only-in-copy');
    expect(await tskv.zscore('z', 'only-in-copy')).toBeNull();
    expect(await tskv.pttl('c')).toBeGreaterThan(0);
    expect(await tskv.rename('c', 'renamed')).toBe('OK');
    expect(await tskv.zcard('renamed')).toBe(4);
    expect(await tskv.move('renamed', 1)).toBe(1);
    await tskv.select(1);
    expect(await tskv.zrange('renamed', '-1', '-1')).toEqual(['top']);
    await tskv.select(0);
  });

  it('keeps zsets, their scores and encodings across a kill -9 and restart', async () => {
    await tskv.zadd('l', 1, 'a', 2, 'b');
    await addMany(tskv, 's', range(1500, (index) => [`m${index}`, index / 3] as const));
    await tskv.zrem('s', 'm7');
    await tskv.zadd('s', '-0', 'negative-zero');
    tskv.disconnect();
    await server.kill9();
    await server.restart();
    tskv = new Redis({ port: server.port, host: '127.0.0.1' });
    expect([await encoding('l'), await encoding('s')]).toEqual(['listpack', 'skiplist']);
    expect(await tskv.zcard('s')).toBe(1500);
    expect(await tskv.zscore('s', 'm7')).toBeNull();
    expect(await tskv.zscore('s', 'negative-zero')).toBe('-0');
    expect(await tskv.zrange('s', '-1', '-1', 'WITHSCORES')).toEqual(['m1499', '499.66666666666669']);
  });

  it("finds the numkeys commands' keys in COMMAND GETKEYS", async () => {
    expect(await tskv.command('GETKEYS', 'ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2')).toEqual(['d', 'a', 'b']);
    expect(await tskv.command('GETKEYS', 'ZMPOP', '2', 'a', 'b', 'MIN')).toEqual(['a', 'b']);
    expect(await tskv.command('GETKEYS', 'ZRANGESTORE', 'd', 's', '0', '1')).toEqual(['d', 's']);
    expect(await errorOf(tskv.command('GETKEYS', 'ZINTER', '3', 'a', 'b'))).toBe('ERR Invalid arguments specified for command');
  });
});

describe('RESP3 reply types', () => {
  it('sends scores as doubles and WITHSCORES as [member, score] pairs', async () => {
    await tskv.zadd('z', 1.5, 'a', 2, 'b', 'inf', 'c');
    const client = createClient({ RESP: 3, socket: { host: '127.0.0.1', port: server.port } });
    client.on('error', () => {});
    await client.connect();
    try {
      expect(await client.zScore('z', 'a')).toBe(1.5);
      expect(await client.zScore('z', 'c')).toBe(Infinity);
      expect(await client.zScore('z', 'nope')).toBeNull();
      expect(await client.zmScore('z', ['a', 'nope'])).toEqual([1.5, null]);
      expect(await client.zIncrBy('z', 1, 'b')).toBe(3);
      expect(await client.zRangeWithScores('z', 0, 1)).toEqual([{ value: 'a', score: 1.5 }, { value: 'b', score: 3 }]);
      expect(await client.sendCommand(['ZRANGE', 'z', '0', '0', 'WITHSCORES'])).toEqual([['a', 1.5]]);
      expect(await client.sendCommand(['ZPOPMIN', 'z'])).toEqual(['a', 1.5]); // no count: flat
      expect(await client.sendCommand(['ZPOPMAX', 'z', '1'])).toEqual([['c', Infinity]]);
      expect(await client.sendCommand(['ZRANDMEMBER', 'z', '1', 'WITHSCORES'])).toEqual([['b', 3]]);
      expect(await client.sendCommand(['ZMPOP', '1', 'none', 'MIN'])).toBeNull();
    } finally {
      await client.quit();
    }
  });
});

describe.skipIf(!hasBinary('redis-cli') || !hasRedisServer())('redis-cli', () => {
  it('prints ZRANGE WITHSCORES and ZSCORE, and counts zsets in --bigkeys and --memkeys, as for Redis', async () => {
    const redis = await startRealRedis();
    try {
      const outputs: string[] = [];
      for (const port of [server.port, redis.port]) {
        const cli = async (...args: string[]) => (await run('redis-cli', ['-p', String(port), ...args], { timeout: 20_000 })).stdout;
        await cli('FLUSHALL');
        await cli('ZADD', 'z', '1', 'a', '2.5', 'b', '-0', 'c');
        const summary = (text: string) => text.split('\n').filter((line) => /zset/.test(line)).join('\n');
        outputs.push([
          await cli('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), await cli('-3', 'ZRANGE', 'z', '0', '-1', 'WITHSCORES'), await cli('-3', 'ZSCORE', 'z', 'b'),
          summary(await cli('--bigkeys')), summary(await cli('--memkeys')),
        ].join('\n---\n'));
      }
      expect(outputs[0]).toBe(outputs[1]);
      expect(outputs[0]).toContain("Biggest   zset found '\"z\"' has 3 members");
    } finally {
      await redis.stop();
    }
  });
});

type Mode = 'exact' | 'scan' | 'keys' | 'random';
interface Step {
  args: string[];
  mode: Mode;
}
const step = (...args: string[]): Step => ({ args, mode: 'exact' });
const scan = (...args: string[]): Step => ({ args, mode: 'scan' });
const random = (...args: string[]): Step => ({ args, mode: 'random' });
const keys = (...args: string[]): Step => ({ args, mode: 'keys' });

function comparable(reply: Reply, mode: Mode): string {
  if (mode === 'exact' || (reply.type !== 'array' && reply.type !== 'set')) return mode === 'random' && reply.type === 'bulk' ? 'bulk' : formatReply(reply);
  if (mode === 'random') return `${reply.type} of ${reply.value.length}, distinct ${new Set(reply.value.map(formatReply)).size === reply.value.length}`;
  const [cursor, page] = reply.value;
  const items = replyItems(page!);
  if (mode === 'keys') return `${formatReply(cursor!)} ${items.map(formatReply).sort().join(', ')}`;
  const pairs: string[] = [];
  for (let index = 0; index < items.length; index += 2) pairs.push(`${formatReply(items[index]!)}=${formatReply(items[index + 1]!)}`);
  return `${formatReply(cursor!)} ${pairs.sort().join(', ')}`;
}

/** Everything both servers get, in order; run once per protocol on a flushed server. */
const STEPS: Step[] = [
  step('SET', 'str', 'v'),
  step('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '-0', 'd', '0.1', 'e', 'inf', 'f', '-inf', 'g', '1e17', 'h', '4611686018427387905', 'i'),
  step('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), step('ZSCORE', 'z', 'd'), step('ZSCORE', 'z', 'e'), step('ZMSCORE', 'z', 'a', 'nope', 'f'),
  step('OBJECT', 'ENCODING', 'z'), step('MEMORY', 'USAGE', 'z'), step('ZSCAN', 'z', '0'), step('ZCARD', 'z'), step('ZRANK', 'z', 'c'),
  step('ZREVRANK', 'z', 'c'), step('ZRANK', 'z', 'nope'), step('ZCOUNT', 'z', '(0', '(3'), step('ZCOUNT', 'z', '-inf', '+inf'),
  step('ZCOUNT', 'z', '0', '0'), step('ZRANGEBYSCORE', 'z', '(0', '3', 'WITHSCORES'), step('ZREVRANGEBYSCORE', 'z', '3', '(0', 'WITHSCORES'),
  step('ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '1', '2'), step('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '2', '-1'),
  step('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '-1', '3'), step('ZRANGEBYSCORE', 'z', ' 1', '2'), step('ZRANGEBYSCORE', 'z', '', '('),
  step('ZRANGEBYSCORE', 'z', '1e400', 'inf'), step('ZRANGEBYSCORE', 'z', 'nan', 'inf'), step('ZRANGEBYSCORE', 'z', '1 ', 'inf'),
  step('ZRANGE', 'z', '1', '5', 'BYSCORE', 'REV', 'WITHSCORES'), step('ZRANGE', 'z', '5', '1', 'BYSCORE', 'REV', 'WITHSCORES'),
  step('ZRANGE', 'z', '0', '-1', 'REV', 'WITHSCORES'), step('ZRANGE', 'z', '-3', '-1'), step('ZREVRANGE', 'z', '0', '1', 'WITHSCORES'),
  step('ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'), step('ZRANGE', 'z', '0', '1', 'LIMIT', '0', '-1'), step('ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'),
  step('ZRANGE', 'z', '0', '1', 'REV', 'REV'), step('ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX'), step('ZRANGEBYSCORE', 'z', '0', '1', 'REV'),
  step('ZRANGEBYSCORE', 'z', 'x', '1'), step('ZRANGEBYLEX', 'z', 'a', 'b'), step('ZRANGE', 'z', '0', '1', 'LIMIT', 'x', '1'),
  // ZADD options and errors
  step('ZADD', 'z', 'NX', 'XX', '1', 'a'), step('ZADD', 'z', 'GT', 'LT', '1', 'a'), step('ZADD', 'z', 'INCR', '1', 'a', '2', 'b'),
  step('ZADD', 'z', '1'), step('ZADD', 'z', 'abc', 'a'), step('ZADD', 'z', 'nan', 'a'), step('ZINCRBY', 'z', '5', 'a'),
  step('ZINCRBY', 'z', 'inf', 'f'), step('ZINCRBY', 'z', '-inf', 'f'), step('ZINCRBY', 'z', 'NX', 'a'), step('ZADD', 'z', 'CH', '10', 'a', '20', 'zz'),
  step('ZADD', 'z', 'XX', 'CH', 'INCR', '1', 'nope'), step('ZADD', 'z', 'GT', '0', 'a'), step('ZADD', 'z', 'GT', 'CH', '100', 'a'),
  step('ZADD', 'z', 'LT', 'INCR', '-1', 'a'), step('ZADD', 'xx', 'XX', '1', 'a'), step('EXISTS', 'xx'), step('ZADD', 'xx', 'XX', 'INCR', '1', 'a'),
  step('ZADD', 'g', 'GT', '5', 'new'), step('ZADD', 'g', '1e400', 'x'), step('ZADD', 'g', '5e-324', 'x'), step('ZSCORE', 'g', 'x'),
  step('ZADD', 'g', ' 1', 'y'), step('ZADD', 'ch', 'CH', '1', 'a', '2', 'a', '3', 'b'), step('ZRANGE', 'ch', '0', '-1', 'WITHSCORES'),
  step('ZREM', 'z', 'a', 'zz', 'nope'),
  // pops
  step('ZPOPMIN', 'z'), step('ZPOPMAX', 'z', '2'), step('ZPOPMIN', 'z', '-1'), step('ZPOPMIN', 'z', 'x'), step('ZPOPMIN', 'z', '0'),
  step('ZPOPMAX', 'none'), step('ZPOPMIN', 'z', '1', '2'), step('ZMPOP', '1', 'z', 'MIN', 'COUNT', '2'), step('ZMPOP', '2', 'none', 'z', 'MAX'),
  step('ZMPOP', '1', 'none', 'MIN'), step('ZMPOP', '0', 'z', 'MIN'), step('ZMPOP', '1', 'z'), step('ZMPOP', '1', 'z', 'foo'),
  step('ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'), step('ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1'), step('ZMPOP', 'x', 'z', 'MIN'),
  step('ZMPOP', '5', 'z', 'MIN'), step('ZMPOP', '2', 'z', 'str', 'MIN'), step('ZMPOP', '2', 'none', 'str', 'MIN'), step('ZRANGE', 'z', '0', '-1', 'WITHSCORES'),
  // WRONGTYPE
  step('ZADD', 'str', '1', 'a'), step('ZRANGE', 'str', '0', '-1'), step('ZSCORE', 'str', 'a'), step('ZUNION', '2', 'z', 'str', 'FOO'),
  step('ZRANGESTORE', 'dst', 'str', '0', '-1'), step('ZSCAN', 'str', '0'), step('ZPOPMIN', 'str'), step('ZRANDMEMBER', 'str', '2'),
  // lex ranges: one score, then several (Redis's listpack walk)
  step('ZADD', 'lex', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'f', '0', 'g'),
  step('ZRANGEBYLEX', 'lex', '-', '+'), step('ZRANGEBYLEX', 'lex', '[b', '(e'), step('ZRANGEBYLEX', 'lex', '(b', '[e', 'LIMIT', '1', '2'),
  step('ZREVRANGEBYLEX', 'lex', '+', '-'), step('ZREVRANGEBYLEX', 'lex', '[e', '(b'), step('ZREVRANGEBYLEX', 'lex', '+', '-', 'LIMIT', '2', '3'),
  step('ZREVRANGEBYLEX', 'lex', '+', '-', 'LIMIT', '2', '-1'), step('ZREVRANGEBYLEX', 'lex', '+', '-', 'LIMIT', '-1', '2'),
  step('ZLEXCOUNT', 'lex', '-', '+'), step('ZLEXCOUNT', 'lex', '[b', '[d'), step('ZLEXCOUNT', 'lex', '+', '-'), step('ZLEXCOUNT', 'lex', '(a', '(a'),
  step('ZLEXCOUNT', 'lex', '[a', '[a'), step('ZRANGEBYLEX', 'lex', '-', '-'), step('ZRANGEBYLEX', 'lex', '+', '+'),
  step('ZRANGE', 'lex', '[d', '[b', 'BYLEX', 'REV', 'LIMIT', '1', '1'), step('ZREMRANGEBYLEX', 'lex', '[b', '(d'), step('ZRANGE', 'lex', '0', '-1'),
  step('ZADD', 'mixed', '1', 'z', '2', 'a', '3', 'm', '4', 'b'), step('ZRANGEBYLEX', 'mixed', '[b', '+'), step('ZRANGEBYLEX', 'mixed', '[n', '+'),
  step('ZREVRANGEBYLEX', 'mixed', '+', '[b'), step('ZREVRANGEBYLEX', 'mixed', '[c', '-'), step('ZLEXCOUNT', 'mixed', '[b', '+'),
  step('ZLEXCOUNT', 'mixed', '-', '[m'), step('ZREMRANGEBYLEX', 'mixed', '[b', '+'), step('ZRANGE', 'mixed', '0', '-1'),
  // algebra
  step('ZADD', 'A', '1', 'a', '2', 'b', '3', 'c'), step('ZADD', 'B', '10', 'b', '20', 'c', '30', 'd'), step('SADD', 'S', 'a', 'd', 'x'),
  step('ZUNION', '2', 'A', 'B', 'WITHSCORES'), step('ZUNION', '2', 'A', 'B', 'WEIGHTS', '2', '3', 'WITHSCORES'),
  step('ZUNION', '2', 'A', 'B', 'AGGREGATE', 'MIN', 'WITHSCORES'), step('ZUNION', '3', 'A', 'B', 'S', 'AGGREGATE', 'MAX', 'WITHSCORES'),
  step('ZINTER', '2', 'A', 'B', 'WITHSCORES'), step('ZINTER', '3', 'A', 'B', 'S', 'WITHSCORES'), step('ZINTER', '2', 'A', 'S', 'WITHSCORES', 'AGGREGATE', 'MAX'),
  step('ZDIFF', '2', 'A', 'B', 'WITHSCORES'), step('ZDIFF', '3', 'A', 'B', 'S', 'WITHSCORES'), step('ZDIFF', '1', 'A'),
  step('ZUNION', '0', 'A'), step('ZUNION', '-1', 'A'), step('ZUNION', '3', 'A', 'B'), step('ZUNION', '2', 'A', 'B', 'WEIGHTS', '1'),
  step('ZUNION', '2', 'A', 'B', 'WEIGHTS', '1', 'x'), step('ZUNION', '2', 'A', 'B', 'AGGREGATE', 'foo'), step('ZDIFF', '2', 'A', 'B', 'WEIGHTS', '1', '2'),
  step('ZUNIONSTORE', 'dst', '2', 'A', 'B'), step('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'), step('OBJECT', 'ENCODING', 'dst'),
  step('ZINTERSTORE', 'dst', '2', 'A', 'B', 'WEIGHTS', '1', '-1'), step('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'), step('ZDIFFSTORE', 'dst', '2', 'A', 'A'),
  step('EXISTS', 'dst'), step('ZUNIONSTORE', 'str2', '1', 'A'), step('ZINTERCARD', '2', 'A', 'B'), step('ZINTERCARD', '2', 'A', 'B', 'LIMIT', '1'),
  step('ZINTERCARD', '2', 'A', 'B', 'LIMIT', '-1'), step('ZINTERCARD', '2', 'A', 'B', 'LIMIT', 'x'), step('ZINTERCARD', '0', 'A'),
  step('ZINTERCARD', '2', 'A', 'B', 'WITHSCORES'), step('ZINTERSTORE', 'dst', '2', 'A', 'B', 'WITHSCORES'),
  step('ZADD', 'inf1', 'inf', 'a'), step('ZADD', 'inf2', '-inf', 'a'), step('ZUNION', '2', 'inf1', 'inf2', 'WITHSCORES'),
  step('ZINTER', '2', 'inf1', 'inf2', 'WEIGHTS', '0', '1', 'AGGREGATE', 'MAX', 'WITHSCORES'), step('ZUNION', '2', 'inf1', 'inf2', 'WEIGHTS', '0', '1', 'WITHSCORES'),
  step('ZADD', 'n', '0', 'a'), step('ZUNIONSTORE', 'nz', '1', 'n', 'WEIGHTS', '-1'), step('ZSCORE', 'nz', 'a'),
  step('CONFIG', 'SET', 'zset-max-listpack-entries', '0'), step('ZUNIONSTORE', 'nz', '1', 'n', 'WEIGHTS', '-1'), step('ZSCORE', 'nz', 'a'),
  step('CONFIG', 'SET', 'zset-max-listpack-entries', '128'),
  // ZRANGESTORE and ZREMRANGEBY*
  step('ZRANGESTORE', 'dst', 'A', '0', '-1'), step('ZRANGESTORE', 'dst', 'A', '(3', '1', 'BYSCORE', 'REV'), step('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
  step('ZRANGESTORE', 'dst', 'A', '[a', '[b', 'BYLEX'), step('ZRANGESTORE', 'dst', 'missing', '0', '-1'), step('EXISTS', 'dst'),
  step('ZRANGESTORE', 'dst', 'A', '0', '-1', 'WITHSCORES'), step('ZREMRANGEBYRANK', 'A', '0', '0'), step('ZREMRANGEBYSCORE', 'B', '(10', '+inf'),
  step('ZREMRANGEBYSCORE', 'B', 'x', '1'), step('ZREMRANGEBYLEX', 'B', 'x', 'y'), step('ZREMRANGEBYRANK', 'B', 'x', '1'), step('ZRANGE', 'B', '0', '-1', 'WITHSCORES'),
  // -0, the skiplist, ZSCAN scores and MEMORY USAGE
  step('CONFIG', 'SET', 'zset-max-listpack-entries', '3'), step('ZADD', 's', '-0', 'a'), step('ZADD', 's', '1', 'b', '2', 'c', '3', 'd'),
  step('OBJECT', 'ENCODING', 's'), step('ZADD', 's', '-0', 'e'), step('ZSCORE', 's', 'a'), step('ZSCORE', 's', 'e'), step('ZRANGE', 's', '0', '-1', 'WITHSCORES'),
  scan('ZSCAN', 's', '0'), step('ZADD', 't', '1', 'a', '2', 'b', '1e17', 'big', '0.5', 'half'), scan('ZSCAN', 't', '0', 'COUNT', '100'),
  step('CONFIG', 'SET', 'zset-max-listpack-entries', '128'), step('CONFIG', 'SET', 'zset-max-listpack-value', '3'), step('ZADD', 'u', '1', 'abcd'),
  step('OBJECT', 'ENCODING', 'u'), step('CONFIG', 'SET', 'zset-max-listpack-value', '64'),
  step('ZADD', 'm2', ...range(100, (index) => [String(index * 1.5), `member:${index}`]).flat()), step('MEMORY', 'USAGE', 'm2'),
  step('ZADD', 'm4', '4611686018427387904', 'a', '-4611686018427387904', 'c', '9e18', 'd', '70000', 'e', '2147483648', 'f'), step('MEMORY', 'USAGE', 'm4'),
  step('ZSCAN', 'm4', '0'), step('ZSCAN', 'm4', '0', 'MATCH', '*a*'), step('ZSCAN', 'm4', 'x'), step('ZSCAN', 'm4', '0', 'COUNT', '0'),
  step('ZSCAN', 'm4', '0', 'TYPE', 'zset'), step('ZSCAN', 'none', '0', 'COUNT', '0'),
  // ZRANDMEMBER
  step('ZRANDMEMBER', 'none'), step('ZRANDMEMBER', 'none', '5'), step('ZRANDMEMBER', 'm4', '0'), step('ZRANDMEMBER', 'm4', '1', 'WITHSCORE'),
  step('ZRANDMEMBER', 'm4', '1', '2', '3'), step('ZRANDMEMBER', 'm4', 'x'), step('ZRANDMEMBER', 'm4', '4611686018427387904', 'WITHSCORES'),
  step('ZRANDMEMBER', 'm4', '100', 'WITHSCORES'), random('ZRANDMEMBER', 'm4'), random('ZRANDMEMBER', 'm4', '3'), random('ZRANDMEMBER', 'm4', '-7'),
  random('ZRANDMEMBER', 'm4', '2', 'WITHSCORES'),
  // arity
  step('ZRANK', 'g'), step('ZRANK', 'g', 'a', 'b'), step('ZSCORE', 'g'), step('ZMSCORE', 'g'), step('ZRANGE', 'g', '0'), step('ZRANGESTORE', 'd', 'g', '0'),
  step('ZCARD'), step('ZCOUNT', 'g', '0'), step('ZPOPMIN'), step('ZADD', 'g'), step('ZINCRBY', 'g', '1'), step('ZREM', 'g'), step('ZUNION'),
  step('ZUNIONSTORE', 'd'), step('ZINTERCARD', '1'), step('ZMPOP', '1'), step('ZRANDMEMBER'), step('ZSCAN', 'g'), step('ZREMRANGEBYSCORE', 'g', '1'),
  // generic commands, WATCH and MULTI
  step('TYPE', 'A'), keys('SCAN', '0', 'TYPE', 'zset', 'COUNT', '1000'), step('COPY', 'A', 'Acopy'), step('ZRANGE', 'Acopy', '0', '-1', 'WITHSCORES'),
  step('RENAME', 'Acopy', 'renamed'), step('MOVE', 'renamed', '1'), step('SELECT', '1'), step('ZRANGE', 'renamed', '0', '-1'), step('SELECT', '0'),
  step('WATCH', 'A'), step('ZADD', 'A', '2', 'b'), step('ZREM', 'A', 'nope'), step('MULTI'), step('ZCARD', 'A'), step('EXEC'),
  step('WATCH', 'A'), step('ZINCRBY', 'A', '1', 'b'), step('MULTI'), step('ZCARD', 'A'), step('EXEC'),
  step('MULTI'), step('ZADD', 'tx', '1', 'a'), step('ZPOPMAX', 'tx'), step('ZADD', 'tx', 'x', 'a'), step('EXEC'), step('EXISTS', 'tx'),
];

const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
if (skipReason !== undefined) console.warn(`zset differential test skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('sorted sets against redis-server 7.0.15', () => {
  let redis: RealRedis;
  let redisClient: Redis;

  beforeAll(async () => {
    redis = await startRealRedis();
    redisClient = new Redis({ port: redis.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    redisClient?.disconnect();
    await redis?.stop();
  });

  it('answers the same list of commands alike, in RESP2 and RESP3', async () => {
    for (const protocol of [2, 3] as const) {
      const clients = await Promise.all([RawClient.connect(server.port), RawClient.connect(redis.port)]);
      try {
        const replies: string[][] = [];
        for (const client of clients) {
          await client.send(['FLUSHALL']);
          await client.send(['CONFIG', 'SET', ...LIMITS_DEFAULT]);
          await client.send(['HELLO', String(protocol)]);
          const raw = await client.pipeline(STEPS.map((entry) => entry.args));
          replies.push(raw.map((reply, index) => comparable(reply, STEPS[index]!.mode)));
        }
        const [ours, theirs] = replies as [string[], string[]];
        const differences = STEPS.map((entry, index) => [entry.args.join(' ').slice(0, 80), ours[index], theirs[index]])
          .filter(([, mine, real]) => mine !== real);
        expect(differences).toEqual([]);
        expect(theirs.filter((reply) => reply.startsWith('-WRONGTYPE')).length).toBeGreaterThan(6);
      } finally {
        for (const client of clients) client.close();
      }
    }
  });

  it('restores in Redis what tskv dumps, and in tskv what Redis dumps (listpack and skiplist)', async () => {
    await redisClient.flushall();
    const zsets: Record<string, Array<readonly [string, number]>> = {
      small: [['a', 1], ['b', 0], ['c', 0.1], ['d', Infinity], ['e', 1e17]],
      big: range(300, (index) => [`m${index}`, index * 0.25 - 3] as const),
      long: [['x'.repeat(100), 1], ['y', 2]],
    };
    for (const [key, members] of Object.entries(zsets)) {
      await addMany(tskv, key, members);
      await addMany(redisClient, key, members);
      expect(await redisClient.restore(`${key}:fromTskv`, 0, await tskv.dumpBuffer(key))).toBe('OK');
      expect(await redisClient.zrange(`${key}:fromTskv`, '0', '-1', 'WITHSCORES')).toEqual(await redisClient.zrange(key, '0', '-1', 'WITHSCORES'));
      const payload = await redisClient.dumpBuffer(key);
      expect(payload[0]).toBe(key === 'small' ? 17 : 5); // RDB_TYPE_ZSET_LISTPACK, RDB_TYPE_ZSET_2
      expect(await tskv.restore(`${key}:fromRedis`, 0, payload)).toBe('OK');
      expect(await tskv.zrange(`${key}:fromRedis`, '0', '-1', 'WITHSCORES')).toEqual(await redisClient.zrange(key, '0', '-1', 'WITHSCORES'));
      expect(await encoding(`${key}:fromRedis`)).toBe(await redisClient.object('ENCODING', key));
    }
  });

  it('reports MEMORY USAGE of a skiplist zset within 20% of Redis', async () => {
    await redisClient.flushall();
    const members = range(1000, (index) => [`member:${index}`, index] as const);
    await addMany(tskv, 'big', members);
    await addMany(redisClient, 'big', members);
    const [ours, theirs] = [Number(await tskv.memory('USAGE', 'big', 'SAMPLES', '0')), Number(await redisClient.memory('USAGE', 'big', 'SAMPLES', '0'))];
    expect(Math.abs(ours - theirs) / theirs).toBeLessThan(0.2);
  });
});
