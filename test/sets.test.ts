// test/sets.test.ts: the set family end to end against the built server: ioredis for behaviour
// (counts, WRONGTYPE before any change, *STORE destinations, SMOVE, SPOP / SRANDMEMBER counts and
// uniformity, SSCAN cursors, Redis 7.2's encodings, the generic commands on sets, a restart),
// node-redis in RESP3 for the reply types, and a real redis-server 7.0.15 as the oracle for a fixed
// list of commands replayed on both in RESP2 and RESP3.
// How replies are compared with Redis: exactly, except that members of SMEMBERS / SINTER / SUNION /
// SDIFF / deterministic SPOP and the items of SSCAN / SCAN pages are sorted (Redis's order is its
// table's; tskv's is hash order), and random replies (SRANDMEMBER, SPOP of part of a set) by their
// type, length and distinctness. OBJECT ENCODING is compared only where Redis 7.0 and 7.2 agree
// (intset, and hashtable past 128 members): tskv follows 7.2, whose small non-integer sets are
// listpacks; the 7.2 rules are checked in tskv alone below (they matched a redis-server 7.2.4
// built from source, step by step, when this file was written).
import { Redis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, formatReply, replyItems, type Reply } from './helpers/raw-client.js';
import { hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { errorOf } from './helpers/errors.js';
import { startServer, type StartedServer } from './helpers/server.js';

let server: StartedServer;
let tskv: Redis;

const range = (count: number, name: (index: number) => string = String) => Array.from({ length: count }, (_, index) => name(index));
const sorted = (items: Array<string | Buffer>) => items.map(String).sort();


async function encoding(key: string): Promise<string | null> {
  return (await tskv.object('ENCODING', key)) as string | null;
}

async function addMany(key: string, members: string[]): Promise<void> {
  for (let start = 0; start < members.length; start += 1000) await tskv.sadd(key, ...members.slice(start, start + 1000));
}

const LIMITS_DEFAULT = ['set-max-intset-entries', '512', 'set-max-listpack-entries', '128', 'set-max-listpack-value', '64'];

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

describe('set commands in tskv', () => {
  it('adds, counts and removes members; a repeated member counts once; removing the last deletes the key', async () => {
    expect(await tskv.sadd('s', 'a', 'b', 'a', '1', '1')).toBe(3);
    expect(await tskv.sadd('s', 'a', 'c')).toBe(1);
    expect(await tskv.scard('s')).toBe(4);
    expect(await tskv.sismember('s', 'a')).toBe(1);
    expect(await tskv.sismember('s', 'z')).toBe(0);
    expect(await tskv.smismember('s', 'a', 'z', '1', 'a')).toEqual([1, 0, 1, 1]);
    expect(sorted(await tskv.smembers('s'))).toEqual(['1', 'a', 'b', 'c']);
    expect(await tskv.srem('s', 'a', 'a', 'z')).toBe(1);
    expect(await tskv.srem('s', 'b', 'c', '1', 'x')).toBe(3);
    expect(await tskv.exists('s')).toBe(0);
    expect(await tskv.dbsize()).toBe(0);
  });

  it('keeps binary and empty members apart from their look-alikes', async () => {
    const binary = Buffer.from([0, 255, 13, 10]);
    expect(await tskv.sadd('s', binary, '', '1', '01', ' 1')).toBe(5);
    expect(await tskv.sismember('s', '')).toBe(1);
    expect(await tskv.sismember('s', Buffer.from([0, 255, 13]))).toBe(0);
    expect((await tskv.smembersBuffer('s')).some((member) => member.equals(binary))).toBe(true);
    expect(await tskv.sismember('s', '+1')).toBe(0);
  });

  it('answers a missing key as an empty set', async () => {
    expect(await tskv.scard('none')).toBe(0);
    expect(await tskv.smembers('none')).toEqual([]);
    expect(await tskv.smismember('none', 'a', 'b')).toEqual([0, 0]);
    expect(await tskv.srandmember('none')).toBeNull();
    expect(await tskv.srandmember('none', 3)).toEqual([]);
    expect(await tskv.spop('none')).toBeNull();
    expect(await tskv.spop('none', 3)).toEqual([]);
    expect(await tskv.srem('none', 'a')).toBe(0);
    expect(await tskv.sscan('none', 0)).toEqual(['0', []]);
    expect(await tskv.sunion('none', 'other')).toEqual([]);
    expect(await tskv.exists('none')).toBe(0);
  });

  it('refuses every set command on a string with WRONGTYPE and changes nothing', async () => {
    await tskv.set('str', 'v');
    await tskv.sadd('s', 'a', 'b');
    await tskv.sadd('dst', 'keep');
    const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    const refused: Array<Promise<string>> = [
      tskv.sadd('str', 'a'), tskv.srem('str', 'a'), tskv.scard('str'), tskv.sismember('str', 'a'), tskv.smismember('str', 'a'),
      tskv.smembers('str'), tskv.spop('str'), tskv.spop('str', 2), tskv.srandmember('str'), tskv.srandmember('str', 2),
      tskv.smove('str', 's', 'a'), tskv.smove('s', 'str', 'a'), tskv.sinter('s', 'str'), tskv.sinter('none', 'str'),
      tskv.sintercard(2, 's', 'str'), tskv.sinterstore('dst', 's', 'str'), tskv.sunion('s', 'str'), tskv.sunionstore('dst', 'str'),
      tskv.sdiff('s', 'str'), tskv.sdiffstore('dst', 'none', 'str'), tskv.sscan('str', 0),
    ].map(errorOf); // each handled at once: later ones reject while earlier ones are awaited
    for (const promise of refused) expect(await promise).toBe(wrongType);
    expect(await tskv.get('str')).toBe('v');
    expect(sorted(await tskv.smembers('s'))).toEqual(['a', 'b']);
    expect(await tskv.smembers('dst')).toEqual(['keep']);
    expect(await tskv.smove('none', 'str', 'a')).toBe(0); // a missing source answers before any type check
  });

  it('replaces a *STORE destination of any type, drops its TTL, and deletes it for an empty result', async () => {
    await tskv.sadd('a', '1', '2', '3', 'x');
    await tskv.sadd('b', '2', '3', '4', 'x');
    await tskv.set('dst', 'string', 'EX', 100);
    expect(await tskv.sinterstore('dst', 'a', 'b')).toBe(3);
    expect(await tskv.type('dst')).toBe('set');
    expect(await tskv.ttl('dst')).toBe(-1);
    expect(sorted(await tskv.smembers('dst'))).toEqual(['2', '3', 'x']);
    expect(await tskv.sunionstore('dst', 'a', 'b')).toBe(5);
    expect(await tskv.sdiffstore('dst', 'a', 'b')).toBe(1);
    expect(await tskv.smembers('dst')).toEqual(['1']);
    expect(await tskv.sinterstore('a', 'a', 'b')).toBe(3); // the destination is a source
    expect(sorted(await tskv.smembers('a'))).toEqual(['2', '3', 'x']);
    expect(await tskv.sdiffstore('dst', 'a', 'a')).toBe(0);
    expect(await tskv.exists('dst')).toBe(0);
    await tskv.hset('dst', 'f', 'v');
    expect(await tskv.sinterstore('dst', 'a', 'none')).toBe(0);
    expect(await tskv.exists('dst')).toBe(0);
    expect(await tskv.sunionstore('dst', 'none')).toBe(0);
  });

  it('moves a member with SMOVE, creating the destination and deleting an emptied source', async () => {
    await tskv.sadd('src', 'm', '5');
    expect(await tskv.smove('src', 'dst', 'nope')).toBe(0);
    expect(await tskv.exists('dst')).toBe(0);
    expect(await tskv.smove('src', 'dst', '5')).toBe(1);
    expect(await encoding('dst')).toBe('intset');
    expect(await tskv.smove('src', 'src', 'm')).toBe(1);
    expect(await tskv.smove('src', 'src', 'nope')).toBe(0);
    await tskv.sadd('dst', 'm');
    expect(await tskv.smove('src', 'dst', 'm')).toBe(1); // already in the destination: still 1
    expect(await tskv.exists('src')).toBe(0);
    expect(sorted(await tskv.smembers('dst'))).toEqual(['5', 'm']);
  });

  it('does not disturb a WATCH with a write that changes nothing (SADD of a member, SREM of a non-member)', async () => {
    await tskv.sadd('s', 'a');
    const watcher = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      await watcher.watch('s');
      await tskv.sadd('s', 'a');
      await tskv.srem('s', 'zz');
      await tskv.smove('s', 'other', 'zz');
      expect(await watcher.multi().scard('s').exec()).toEqual([[null, 1]]);
      await watcher.watch('s');
      await tskv.sadd('s', 'b');
      expect(await watcher.multi().scard('s').exec()).toBeNull();
    } finally {
      watcher.disconnect();
    }
  });

  it('expires a set like any key', async () => {
    await tskv.sadd('s', 'a', 'b');
    await tskv.pexpire('s', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await tskv.scard('s')).toBe(0);
    expect(await tskv.sadd('s', 'c')).toBe(1);
    expect(await tskv.smembers('s')).toEqual(['c']);
  });
});

describe('SPOP and SRANDMEMBER', () => {
  it('pops distinct members, all of them for a count past the size, and refuses a negative count', async () => {
    await tskv.sadd('s', ...range(10));
    const popped = await tskv.spop('s', 4);
    expect(new Set(popped).size).toBe(4);
    expect(await tskv.smismember('s', ...popped)).toEqual([0, 0, 0, 0]);
    expect(await tskv.scard('s')).toBe(6);
    expect(await tskv.spop('s', 0)).toEqual([]);
    expect(await errorOf(tskv.spop('s', -1))).toBe('ERR value is out of range, must be positive');
    expect(await errorOf(tskv.call('spop', 's', 'x'))).toBe('ERR value is out of range, must be positive');
    const single = await tskv.spop('s');
    expect(popped).not.toContain(single);
    expect(sorted([...popped, single as string, ...(await tskv.spop('s', 100))])).toEqual(sorted(range(10)));
    expect(await tskv.exists('s')).toBe(0);
  });

  it('pops from a big set with exact counts, a few members by seeking and most of it by rebuilding', async () => {
    const all = range(3000, (index) => `member:${index}`);
    await addMany('big', all);
    const few = await tskv.spop('big', 100);
    expect(new Set(few).size).toBe(100);
    expect(await tskv.scard('big')).toBe(2900);
    const most = await tskv.spop('big', 2800); // 100 left: Redis rebuilds the set from them
    expect(new Set(most).size).toBe(2800);
    const left = await tskv.smembers('big');
    expect(left).toHaveLength(100);
    expect(sorted([...few, ...most, ...left])).toEqual(sorted(all));
    expect(await encoding('big')).toBe('listpack'); // 7.2 refills a listpack with the members left
  });

  it('answers SRANDMEMBER counts as Redis: distinct and capped when positive, exactly |count| when negative', async () => {
    await tskv.sadd('s', ...range(10));
    for (const count of [1, 3, 9, 10, 50]) {
      const picks = await tskv.srandmember('s', count);
      expect(picks).toHaveLength(Math.min(count, 10));
      expect(new Set(picks).size).toBe(picks.length);
    }
    const repeats = await tskv.srandmember('s', -25);
    expect(repeats).toHaveLength(25);
    expect(new Set(repeats).size).toBeLessThan(25);
    expect(repeats.every((member) => Number(member) >= 0 && Number(member) < 10)).toBe(true);
    expect(await tskv.srandmember('s', 0)).toEqual([]);
    expect(await tskv.scard('s')).toBe(10);
    expect(await errorOf(tskv.call('srandmember', 's', '1', '2'))).toBe('ERR syntax error');
  });

  it('picks from a big set with SRANDMEMBER: distinct members that are all in the set', async () => {
    const all = new Set(range(3000, (index) => `m${index}`));
    await addMany('big', [...all]);
    const picks = await tskv.srandmember('big', 200);
    expect(new Set(picks).size).toBe(200);
    expect(picks.every((member) => all.has(member))).toBe(true);
    const repeats = await tskv.srandmember('big', -300);
    expect(repeats).toHaveLength(300);
    expect(repeats.every((member) => all.has(member))).toBe(true);
    expect(all.has((await tskv.srandmember('big')) as string)).toBe(true);
  });

  it('picks uniformly from a 10-member set (chi-square < 40 over 1000 draws, as Redis\'s set.tcl)', async () => {
    await tskv.sadd('s', ...range(10));
    const chiSquare = (draws: string[]) => {
      const counts = new Map<string, number>();
      for (const draw of draws) counts.set(draw, (counts.get(draw) ?? 0) + 1);
      expect([...counts.keys()].every((member) => Number(member) >= 0 && Number(member) < 10)).toBe(true);
      const expected = draws.length / 10;
      return range(10).reduce((sum, member) => sum + ((counts.get(member) ?? 0) - expected) ** 2 / expected, 0);
    };
    expect(chiSquare(await tskv.srandmember('s', -1000))).toBeLessThan(40);
    for (const size of [8, 2]) {
      const draws: string[] = [];
      for (let round = 0; round < 1000 / size; round++) draws.push(...(await tskv.srandmember('s', size)));
      expect(chiSquare(draws)).toBeLessThan(40);
    }
    const pipeline = tskv.pipeline();
    for (let round = 0; round < 1000; round++) pipeline.srandmember('s');
    const singles = ((await pipeline.exec()) ?? []).map(([, member]) => member as string);
    expect(chiSquare(singles)).toBeLessThan(40);
  });
});

describe('set algebra and SSCAN on big sets', () => {
  it('SINTER, SINTERCARD, SUNION and SDIFF agree with a model', async () => {
    const a = range(2000, (index) => `m${index * 2}`); // even
    const b = range(3000, (index) => `m${index * 3}`); // multiples of 3
    const c = range(500, (index) => `m${index * 5}`);
    await addMany('a', a);
    await addMany('b', b);
    await addMany('c', c);
    const inB = new Set(b);
    const inC = new Set(c);
    const ab = a.filter((member) => inB.has(member));
    expect(sorted(await tskv.sinter('a', 'b'))).toEqual(sorted(ab));
    expect(sorted(await tskv.sinter('b', 'a', 'c'))).toEqual(sorted(ab.filter((member) => inC.has(member))));
    expect(await tskv.sintercard(2, 'a', 'b')).toBe(ab.length);
    expect(await tskv.sintercard(2, 'a', 'b', 'LIMIT', 10)).toBe(10);
    expect(await tskv.sintercard(2, 'a', 'b', 'LIMIT', 0)).toBe(ab.length);
    expect(sorted(await tskv.sunion('a', 'b', 'c'))).toEqual(sorted([...new Set([...a, ...b, ...c])]));
    expect(sorted(await tskv.sdiff('a', 'b', 'c'))).toEqual(sorted(a.filter((member) => !inB.has(member) && !inC.has(member))));
    expect(sorted(await tskv.sdiff('b', 'c'))).toEqual(sorted(b.filter((member) => !inC.has(member))));
    expect(await tskv.sdiffstore('d', 'c', 'a', 'b')).toBe(c.filter((member) => !inB.has(member) && !a.includes(member)).length);
  });

  it('SSCAN returns a compact set whole with cursor 0 and pages a hashtable set by cursor', async () => {
    await tskv.sadd('small', ...range(50));
    expect(await encoding('small')).toBe('intset');
    const [cursor, members] = await tskv.sscan('small', 0, 'COUNT', 5);
    expect(cursor).toBe('0');
    expect(sorted(members)).toEqual(sorted(range(50)));
    expect(sorted((await tskv.sscan('small', 0, 'MATCH', '1*'))[1])).toEqual(sorted(range(50).filter((member) => member.startsWith('1'))));
    const all = range(3000, (index) => `m${index}`);
    await addMany('big', all);
    const seen = new Set<string>();
    let next = '0';
    let pages = 0;
    do {
      const [following, page] = await tskv.sscan('big', next, 'COUNT', 100);
      expect(page.length).toBeLessThan(400);
      for (const member of page) seen.add(member);
      next = following;
      pages++;
    } while (next !== '0' && pages < 1000);
    expect(pages).toBeGreaterThan(10);
    expect(seen.size).toBe(3000);
    const matched = new Set<string>();
    next = '0';
    pages = 0;
    do {
      const [following, page] = await tskv.sscan('big', next, 'MATCH', 'm1?', 'COUNT', 500);
      for (const member of page) matched.add(member);
      next = following;
      pages++;
    } while (next !== '0' && pages < 1000);
    expect(sorted([...matched])).toEqual(sorted(range(10, (index) => `m1${index}`)));
  });
});

describe('set encodings (Redis 7.2)', () => {
  it('goes intset -> listpack -> hashtable with small thresholds, and never back', async () => {
    await tskv.config('SET', 'set-max-intset-entries', '4', 'set-max-listpack-entries', '6', 'set-max-listpack-value', '5');
    await tskv.sadd('s', '1', '2', '3');
    expect(await encoding('s')).toBe('intset');
    await tskv.sadd('s', 'abc');
    expect(await encoding('s')).toBe('listpack');
    await tskv.sadd('s', '4', '5');
    expect(await encoding('s')).toBe('listpack');
    await tskv.sadd('s', '6');
    expect(await encoding('s')).toBe('hashtable');
    await tskv.srem('s', '1', '2', '3', '4', '5', '6');
    expect(await encoding('s')).toBe('hashtable');
    await tskv.sadd('i', '1', '2', '3', '4');
    expect(await encoding('i')).toBe('intset');
    await tskv.sadd('i', '5');
    expect(await encoding('i')).toBe('hashtable'); // past set-max-intset-entries, straight to hashtable
    await tskv.sadd('l', 'a');
    await tskv.sadd('l', 'abcdef');
    expect(await encoding('l')).toBe('hashtable'); // a member past set-max-listpack-value
    await tskv.sadd('n', '1', '123456');
    await tskv.sadd('n', 'a');
    expect(await encoding('n')).toBe('hashtable'); // an intset member is too long for the listpack
  });

  it('sizes a new set by its SADD arguments, duplicates included (setTypeCreate, setTypeMaybeConvert)', async () => {
    await tskv.sadd('dups', ...range(200, () => 'a'));
    expect(await encoding('dups')).toBe('hashtable');
    await tskv.sadd('ints', ...range(200, () => '1'));
    expect(await encoding('ints')).toBe('intset');
    await tskv.sadd('many', ...range(600, () => '1'));
    expect(await encoding('many')).toBe('hashtable');
    await tskv.sadd('grown', 'a');
    await tskv.sadd('grown', ...range(200, () => 'a'));
    expect(await encoding('grown')).toBe('hashtable');
    expect(await tskv.scard('grown')).toBe(1);
    await tskv.sadd('big', ...range(130));
    await tskv.sadd('big', 'a');
    expect(await encoding('big')).toBe('hashtable'); // an intset past set-max-listpack-entries skips the listpack
  });

  it('encodes *STORE results, SMOVE destinations, SPOP leftovers and copies as Redis 7.2', async () => {
    await tskv.sadd('h1', ...range(200), 'z');
    await tskv.sadd('h2', ...range(200), 'y');
    expect(await tskv.sinterstore('d', 'h1', 'h2')).toBe(200);
    expect(await encoding('d')).toBe('intset'); // only integers
    await tskv.sadd('w1', ...range(200, (index) => `m${index}`));
    await tskv.sadd('w2', 'm1', 'm2', 'q');
    await tskv.sinterstore('d', 'w1', 'w2');
    expect(await encoding('d')).toBe('listpack');
    await tskv.sadd('i1', '1', '2', '3');
    await tskv.sadd('l2', 'a', 'b');
    await tskv.sunionstore('d', 'i1', 'l2');
    expect(await encoding('d')).toBe('listpack');
    await tskv.sunionstore('d', 'i1', 'i1');
    expect(await encoding('d')).toBe('intset');
    await tskv.sadd('s0', ...range(200, (index) => `m${index}`));
    await tskv.sadd('s1', ...range(50, (index) => `m${index}`));
    await tskv.sadd('s2', ...range(40, (index) => `m${index + 50}`));
    expect(await tskv.sdiffstore('d', 's0', 's1', 's2')).toBe(110);
    expect(await encoding('d')).toBe('hashtable'); // Redis's second algorithm added all of s0 first
    await tskv.sadd('s3', ...range(150, (index) => `m${index}`));
    expect(await tskv.sdiffstore('d', 's0', 's3')).toBe(50);
    expect(await encoding('d')).toBe('listpack');
    await tskv.sadd('src', '5', 'a');
    await tskv.smove('src', 'fresh', 'a');
    expect(await encoding('fresh')).toBe('listpack');
    await tskv.spop('s0', 100);
    expect(await encoding('s0')).toBe('hashtable'); // 100 left: members popped one by one
    await tskv.spop('s0', 90);
    expect(await encoding('s0')).toBe('listpack'); // 10 left: the set is rebuilt
    await tskv.copy('src', 'copy');
    expect(await encoding('copy')).toBe('listpack');
  });
});

describe('the generic commands on sets', () => {
  it('answers TYPE, SCAN TYPE, OBJECT ENCODING and MEMORY USAGE', async () => {
    await tskv.sadd('s', '1', '2');
    await tskv.set('str', 'v');
    await tskv.hset('h', 'f', 'v');
    expect(await tskv.type('s')).toBe('set');
    expect((await tskv.scan(0, 'COUNT', 100, 'TYPE', 'set'))[1]).toEqual(['s']);
    expect(await encoding('s')).toBe('intset');
    expect(await tskv.memory('USAGE', 's')).toBe(64); // Redis 7.0.15 says the same (the differential below)
    await tskv.sadd('s', ...range(600));
    expect(await tskv.memory('USAGE', 's')).toBeGreaterThan(20_000);
  });

  it('round-trips DUMP / RESTORE and copies, renames and moves sets', async () => {
    await tskv.sadd('s', '1', 'two', 'x'.repeat(100));
    await tskv.pexpire('s', 100_000);
    const payload = await tskv.dumpBuffer('s');
    expect(payload[0]).toBe(2); // RDB_TYPE_SET
    expect(await tskv.restore('r', 0, payload)).toBe('OK');
    expect(sorted(await tskv.smembers('r'))).toEqual(sorted(await tskv.smembers('s')));
    expect(await encoding('r')).toBe('hashtable');
    expect(await errorOf(tskv.restore('r', 0, payload))).toBe('BUSYKEY Target key name already exists.');
    expect(await tskv.copy('s', 'c')).toBe(1);
    await tskv.sadd('c', 'only-in-copy');
    expect(await tskv.sismember('s', 'only-in-copy')).toBe(0);
    expect(await tskv.pttl('c')).toBeGreaterThan(0);
    expect(await tskv.rename('c', 'renamed')).toBe('OK');
    expect(await tskv.scard('renamed')).toBe(4);
    expect(await tskv.move('renamed', 1)).toBe(1);
    expect(await tskv.exists('renamed')).toBe(0);
    await tskv.select(1);
    expect(await tskv.scard('renamed')).toBe(4);
    await tskv.select(0);
    expect(await tskv.scard('s')).toBe(3);
  });

  it('keeps sets, their counts and encodings across a kill -9 and restart', async () => {
    await tskv.sadd('i', '1', '2', '3');
    await tskv.sadd('l', 'a', 'b');
    await addMany('h', range(1500, (index) => `m${index}`));
    await tskv.srem('h', 'm7');
    tskv.disconnect();
    await server.kill9();
    await server.restart();
    tskv = new Redis({ port: server.port, host: '127.0.0.1' });
    expect([await encoding('i'), await encoding('l'), await encoding('h')]).toEqual(['intset', 'listpack', 'hashtable']);
    expect(await tskv.scard('h')).toBe(1499);
    expect(await tskv.smembers('h')).toHaveLength(1499);
    expect(await tskv.sismember('h', 'm7')).toBe(0);
  });

  it('finds SINTERCARD\'s keys from numkeys in COMMAND GETKEYS', async () => {
    expect(await tskv.command('GETKEYS', 'SINTERCARD', '2', 'a', 'b', 'LIMIT', '1')).toEqual(['a', 'b']);
    expect(await errorOf(tskv.command('GETKEYS', 'SINTERCARD', '3', 'a', 'b'))).toBe('ERR Invalid arguments specified for command');
    expect(await tskv.command('GETKEYS', 'SMOVE', 'a', 'b', 'm')).toEqual(['a', 'b']);
    expect(await tskv.command('GETKEYS', 'SUNIONSTORE', 'd', 'a', 'b')).toEqual(['d', 'a', 'b']);
  });
});

describe('RESP3 reply types', () => {
  it('sends SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count as sets, SRANDMEMBER with a count and SMISMEMBER as arrays', async () => {
    await tskv.sadd('a', 'x', 'y', 'z');
    await tskv.sadd('b', 'y');
    const client = createClient({ RESP: 3, socket: { host: '127.0.0.1', port: server.port } });
    client.on('error', () => {});
    await client.connect();
    try {
      const typed = client.withTypeMapping({ [RESP_TYPES.SET]: Set });
      expect(await typed.sMembers('a')).toEqual(new Set(['x', 'y', 'z']));
      expect(await typed.sInter(['a', 'b'])).toEqual(new Set(['y']));
      expect(await typed.sUnion(['a', 'b'])).toEqual(new Set(['x', 'y', 'z']));
      expect(await typed.sDiff(['a', 'b'])).toEqual(new Set(['x', 'z']));
      expect(await typed.sMembers('none')).toEqual(new Set());
      expect(await typed.sRandMemberCount('a', 2)).toBeInstanceOf(Array);
      expect(await typed.smIsMember('a', ['x', 'q'])).toEqual([1, 0]);
      expect(await typed.sPopCount('a', 2)).toBeInstanceOf(Set);
      expect(await typed.sPopCount('none', 2)).toEqual(new Set());
    } finally {
      await client.quit();
    }
  });
});

type Mode = 'exact' | 'unordered' | 'scan' | 'random' | 'random-distinct';
interface Step {
  args: string[];
  mode: Mode;
}

const UNORDERED_COMMANDS = new Set(['smembers', 'sinter', 'sunion', 'sdiff']);
const step = (...args: string[]): Step => {
  const name = args[0]!.toLowerCase();
  return { args, mode: UNORDERED_COMMANDS.has(name) ? 'unordered' : name === 'sscan' || name === 'scan' ? 'scan' : 'exact' };
};
const unordered = (...args: string[]): Step => ({ args, mode: 'unordered' });
const random = (...args: string[]): Step => ({ args, mode: 'random' });
const randomDistinct = (...args: string[]): Step => ({ args, mode: 'random-distinct' });

function comparable(reply: Reply, mode: Mode): string {
  if (reply.type !== 'array' && reply.type !== 'set') return mode === 'random' && reply.type === 'bulk' ? 'bulk' : formatReply(reply);
  const items = reply.value.map(formatReply);
  switch (mode) {
    case 'exact':
      return formatReply(reply);
    case 'unordered':
      return `${reply.type}:${items.sort().join(', ')}`;
    case 'scan': {
      const [cursor, page] = reply.value;
      return `${formatReply(cursor!)} ${reply.type}:${replyItems(page!).map(formatReply).sort().join(', ')}`;
    }
    case 'random':
      return `${reply.type} of ${items.length}`;
    case 'random-distinct':
      return `${reply.type} of ${items.length}, distinct ${new Set(items).size === items.length}`;
  }
}

/** Everything both servers get, in order; run once per protocol on a flushed server. */
const STEPS: Step[] = [
  step('SET', 'str', 'v'),
  step('HSET', 'hash', 'f', 'v'),
  step('SADD', 'ints', '1', '2', '3', '-7', '9223372036854775807'),
  step('SADD', 'ints', '2', '3', '4'),
  step('SCARD', 'ints'),
  step('OBJECT', 'ENCODING', 'ints'),
  step('MEMORY', 'USAGE', 'ints'),
  step('SADD', 'dup', 'a', 'a', 'b', 'a'),
  step('SADD', 'mixed', '1', 'a', '007', ' 1', '1.5', '-0', '9223372036854775808', ''),
  step('SISMEMBER', 'ints', '1'), step('SISMEMBER', 'ints', '01'), step('SISMEMBER', 'mixed', '007'), step('SISMEMBER', 'mixed', ''),
  step('SISMEMBER', 'missing', 'a'),
  step('SMISMEMBER', 'ints', '1', 'x', '4', '1'), step('SMISMEMBER', 'missing', 'a', 'b'),
  step('SMEMBERS', 'ints'), step('SMEMBERS', 'mixed'), step('SMEMBERS', 'missing'),
  step('SREM', 'dup', 'a', 'a', 'zz'), step('SREM', 'dup', 'b', 'c'), step('EXISTS', 'dup'), step('SREM', 'missing', 'a'),
  step('SCARD', 'missing'),
  // WRONGTYPE, for every command, and nothing changed
  step('SADD', 'str', 'a'), step('SADD', 'hash', 'a'), step('SREM', 'str', 'a'), step('SCARD', 'str'), step('SISMEMBER', 'str', 'a'),
  step('SMISMEMBER', 'str', 'a'), step('SMEMBERS', 'str'), step('SPOP', 'str'), step('SPOP', 'str', '2'), step('SRANDMEMBER', 'str'),
  step('SRANDMEMBER', 'str', '2'), step('SMOVE', 'str', 'ints', '1'), step('SMOVE', 'ints', 'str', '1'), step('SMOVE', 'missing', 'str', '1'),
  step('SISMEMBER', 'ints', '1'), step('SINTER', 'ints', 'str'), step('SINTER', 'missing', 'str'), step('SINTERCARD', '2', 'ints', 'str'),
  step('SINTERSTORE', 'ints', 'ints', 'str'), step('SUNION', 'str', 'ints'), step('SUNIONSTORE', 'dst', 'ints', 'str'),
  step('SDIFF', 'ints', 'str'), step('SDIFFSTORE', 'dst', 'missing', 'str'), step('SSCAN', 'str', '0'), step('SCARD', 'ints'),
  step('GET', 'str'), step('HGET', 'hash', 'f'),
  // arity, syntax and number errors
  step('SADD', 'k'), step('SREM', 'k'), step('SPOP'), step('SPOP', 'ints', '1', '2'), step('SPOP', 'ints', '-1'), step('SPOP', 'ints', 'x'),
  step('SPOP', 'str', '-1'), step('SRANDMEMBER', 'ints', '1', '2'), step('SRANDMEMBER', 'ints', 'x'),
  step('SRANDMEMBER', 'ints', '-9223372036854775808'), step('SRANDMEMBER', 'ints', '99999999999999999999'), step('SMOVE', 'a', 'b'),
  step('SMISMEMBER', 'k'), step('SINTER'), step('SINTERSTORE', 'd'), step('SINTERCARD', '1'),
  step('SINTERCARD', '0', 'a'), step('SINTERCARD', 'x', 'a'), step('SINTERCARD', '-1', 'a'), step('SINTERCARD', '3', 'a', 'b'),
  step('SINTERCARD', '1', 'a', 'LIMIT'), step('SINTERCARD', '1', 'a', 'LIMIT', '-1'), step('SINTERCARD', '1', 'a', 'LIMIT', 'x'),
  step('SINTERCARD', '1', 'a', 'FOO', '1'), step('SINTERCARD', '1', 'str', 'LIMIT', 'x'),
  step('SSCAN', 'ints', 'x'), step('SSCAN', 'ints', '0', 'COUNT', '0'), step('SSCAN', 'ints', '0', 'TYPE', 'set'),
  step('SSCAN', 'ints', '0', 'MATCH'), step('SSCAN', 'missing', '0', 'COUNT', '0'), step('SSCAN', 'missing', 'x'),
  // algebra
  step('SADD', 'A', '1', '2', '3', 'a', 'b'), step('SADD', 'B', '2', '3', '4', 'b', 'c'), step('SADD', 'C', '3', 'b', 'z'),
  step('SINTER', 'A', 'B'), step('SINTER', 'A', 'B', 'C'), step('SINTER', 'A', 'missing'), step('SINTER', 'A', 'A'), step('SINTER', 'A'),
  step('SINTERCARD', '2', 'A', 'B'), step('SINTERCARD', '3', 'A', 'B', 'C'), step('SINTERCARD', '2', 'A', 'B', 'LIMIT', '1'),
  step('SINTERCARD', '2', 'A', 'B', 'LIMIT', '0'), step('SINTERCARD', '1', 'missing'), step('SINTERCARD', '2', 'A', 'B', 'limit', '9', 'LIMIT', '2'),
  step('SUNION', 'A', 'B', 'C', 'missing'), step('SUNION', 'missing'),
  step('SDIFF', 'A', 'B'), step('SDIFF', 'A', 'B', 'C'), step('SDIFF', 'A', 'missing'), step('SDIFF', 'missing', 'A'), step('SDIFF', 'A', 'A'),
  step('SDIFF', 'A', 'B', 'A'), step('SDIFF', 'A'),
  step('SINTERSTORE', 'dst', 'A', 'B'), step('SMEMBERS', 'dst'),
  step('SINTERSTORE', 'istore', 'ints', 'A'), step('SMEMBERS', 'istore'), step('OBJECT', 'ENCODING', 'istore'),
  step('SET', 'strdst', 'x', 'EX', '100'), step('SUNIONSTORE', 'strdst', 'A', 'C'), step('TYPE', 'strdst'), step('TTL', 'strdst'),
  step('SMEMBERS', 'strdst'), step('SDIFFSTORE', 'strdst', 'A', 'A'), step('EXISTS', 'strdst'),
  step('SINTERSTORE', 'dst', 'A', 'missing'), step('EXISTS', 'dst'), step('SUNIONSTORE', 'dst', 'missing'),
  step('SDIFFSTORE', 'A2', 'A', 'B', 'C'), step('SMEMBERS', 'A2'), step('SINTERSTORE', 'A', 'A', 'B'), step('SMEMBERS', 'A'),
  // SMOVE
  step('SADD', 'src', 'm1', 'm2'), step('SMOVE', 'src', 'dst2', 'm1'), step('SMEMBERS', 'dst2'), step('SMOVE', 'src', 'dst2', 'nope'),
  step('SMOVE', 'src', 'src', 'm2'), step('SMOVE', 'src', 'src', 'nope'), step('SMOVE', 'src', 'dst2', 'm2'), step('EXISTS', 'src'),
  step('SMOVE', 'dst2', 'ints', '5'), step('SADD', 'dst2', '5'), step('SMOVE', 'dst2', 'ints', '5'), step('SMEMBERS', 'ints'),
  step('SMOVE', 'ints', 'n1', '5'), step('OBJECT', 'ENCODING', 'n1'),
  // SPOP where the reply is not random, then where it is
  step('SADD', 'one', 'x'), step('SPOP', 'one'), step('EXISTS', 'one'), step('SPOP', 'one'), step('SPOP', 'missing', '3'),
  step('SADD', 'few', 'a', 'b', 'c'), step('SPOP', 'few', '0'), unordered('SPOP', 'few', '3'), step('EXISTS', 'few'),
  step('SADD', 'few', 'a', 'b', 'c'), unordered('SPOP', 'few', '10'), step('EXISTS', 'few'), step('SPOP', 'few', '0'),
  step('SADD', 'rnd', ...range(10)), randomDistinct('SPOP', 'rnd', '4'), step('SCARD', 'rnd'), random('SPOP', 'rnd'), step('SCARD', 'rnd'),
  // SRANDMEMBER
  step('SRANDMEMBER', 'one'), step('SRANDMEMBER', 'missing', '5'), step('SRANDMEMBER', 'missing', '-5'), step('SRANDMEMBER', 'ints', '0'),
  step('SRANDMEMBER', 'few'), randomDistinct('SRANDMEMBER', 'rnd', '3'), randomDistinct('SRANDMEMBER', 'rnd', '100'),
  random('SRANDMEMBER', 'rnd', '-20'), randomDistinct('SRANDMEMBER', 'A', '1'), random('SRANDMEMBER', 'A'), step('SADD', 'solo', 's'),
  step('SRANDMEMBER', 'solo', '-3'), step('SRANDMEMBER', 'solo', '3'),
  // SSCAN
  step('SSCAN', 'ints', '0'), step('SSCAN', 'ints', '0', 'MATCH', '*2*'), step('SSCAN', 'ints', '7', 'COUNT', '1'),
  step('SSCAN', 'mixed', '0', 'COUNT', '100'), step('SSCAN', 'missing', '0'),
  // encodings where Redis 7.0 and 7.2 agree, and MEMORY USAGE
  step('CONFIG', 'SET', 'set-max-intset-entries', '4'), step('SADD', 'e1', '1', '2', '3', '4'), step('OBJECT', 'ENCODING', 'e1'),
  step('SADD', 'e1', '5'), step('OBJECT', 'ENCODING', 'e1'), step('SREM', 'e1', '5', '4', '3'), step('OBJECT', 'ENCODING', 'e1'),
  step('CONFIG', 'SET', 'set-max-intset-entries', '512'),
  step('SADD', 'big', ...range(600, (index) => String(index * 7))), step('OBJECT', 'ENCODING', 'big'), step('MEMORY', 'USAGE', 'big'),
  step('MEMORY', 'USAGE', 'big', 'SAMPLES', '0'), step('SCARD', 'big'),
  step('SADD', 'strs', ...range(256, (index) => `member:${String(index).padStart(3, '0')}`)), step('OBJECT', 'ENCODING', 'strs'),
  step('MEMORY', 'USAGE', 'strs', 'SAMPLES', '0'), step('SADD', 'wide', '1', '70000'), step('MEMORY', 'USAGE', 'wide'),
  step('SADD', 'wider', '1', '5000000000'), step('MEMORY', 'USAGE', 'wider'),
  step('SINTERCARD', '2', 'big', 'ints'), step('SINTER', 'big', 'ints'), step('SDIFF', 'ints', 'big'), step('SUNION', 'ints', 'big'),
  // generic commands
  step('TYPE', 'ints'), step('SCAN', '0', 'TYPE', 'set', 'COUNT', '1000'), step('COPY', 'ints', 'intscopy'), step('SMEMBERS', 'intscopy'),
  step('OBJECT', 'ENCODING', 'intscopy'), step('SADD', 'intscopy', '99'), step('SISMEMBER', 'ints', '99'), step('RENAME', 'intscopy', 'renamed'),
  step('SMEMBERS', 'renamed'), step('MOVE', 'renamed', '1'), step('EXISTS', 'renamed'), step('SELECT', '1'), step('SMEMBERS', 'renamed'),
  step('SELECT', '0'),
  // WATCH sees only writes that change the set
  step('WATCH', 'rnd'), step('SADD', 'rnd', '9', '8', '7', '6', '5', '4', '3', '2', '1', '0'), step('MULTI'), step('SCARD', 'missing'),
  step('EXEC'), step('WATCH', 'A'), step('SREM', 'A', 'nope'), step('SMOVE', 'A', 'B', 'nope'), step('MULTI'), step('SCARD', 'missing'),
  step('EXEC'), step('WATCH', 'A'), step('SADD', 'A', 'new'), step('MULTI'), step('SCARD', 'missing'), step('EXEC'),
  step('MULTI'), step('SADD', 'tx', 'a'), step('SCARD', 'tx'), step('SMEMBERS', 'tx'), step('EXEC'),
];

const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
if (skipReason !== undefined) console.warn(`set differential test skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('sets against redis-server 7.0.15', () => {
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
          await client.send(['CONFIG', 'SET', 'set-max-intset-entries', '512']);
          await client.send(['HELLO', String(protocol)]);
          const raw = await client.pipeline(STEPS.map((entry) => entry.args));
          replies.push(raw.map((reply, index) => comparable(reply, STEPS[index]!.mode)));
        }
        const [ours, theirs] = replies as [string[], string[]];
        const differences = STEPS.map((entry, index) => [entry.args.join(' ').slice(0, 80), ours[index], theirs[index]])
          .filter(([, mine, real]) => mine !== real);
        expect(differences).toEqual([]);
        expect(theirs.filter((reply) => reply.startsWith('-WRONGTYPE')).length).toBeGreaterThan(15);
      } finally {
        for (const client of clients) client.close();
      }
    }
  });

  it('restores in Redis what tskv dumps, and in tskv what Redis dumps of a hashtable set', async () => {
    await redisClient.flushall();
    const sets: Record<string, string[]> = {
      ints: ['1', '-5', '70000', '9223372036854775807'], mixed: ['1', 'a', '', 'x'.repeat(300)], big: range(700, (index) => `m${index}`),
    };
    for (const [key, members] of Object.entries(sets)) {
      await tskv.sadd(key, ...members);
      expect(await redisClient.restore(key, 0, await tskv.dumpBuffer(key))).toBe('OK');
      expect(sorted(await redisClient.smembers(key))).toEqual(sorted(members));
    }
    expect(await redisClient.object('ENCODING', 'ints')).toBe('intset');
    await redisClient.sadd('fromRedis', ...range(300, (index) => `r${index}`));
    const payload = await redisClient.dumpBuffer('fromRedis');
    expect(payload[0]).toBe(2); // Redis 7.0 dumps a hashtable set as RDB_TYPE_SET
    expect(await tskv.restore('fromRedis', 0, payload)).toBe('OK');
    expect(sorted(await tskv.smembers('fromRedis'))).toEqual(sorted(range(300, (index) => `r${index}`)));
    expect(await encoding('fromRedis')).toBe('hashtable');
  });
});
