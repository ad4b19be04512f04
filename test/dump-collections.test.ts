// test/dump-collections.test.ts: DUMP and RESTORE of hashes and sets between the built server and
// redis-server 7.0.15 (sanitize-dump-payload yes: it checks payloads as deeply as tskv always
// does), both ways. Each Redis encoding (listpack, ziplist from Redis 6, zipmap from Redis 2,
// hashtable; intset and hashtable sets) is made there, with CONFIG thresholds where needed, dumped,
// and restored into both servers under the same thresholds: fields, members and OBJECT ENCODING
// must agree. Damaged payloads must get the same error from both and change nothing.
// Set cases run once a set type module reads RDB types 2 and 11 (src/types/index.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { crc64 } from '../src/types/crc64.js';
import { RDB_TYPE } from '../src/types/dump-payload.js';
import { encodeIntset } from '../src/types/rdb-intset.js';
import { encodeListpack } from '../src/types/rdb-listpack.js';
import { encodeRdbLength, encodeRdbString } from '../src/types/rdb-string.js';
import { encodeZiplist } from '../src/types/rdb-ziplist.js';
import { restorerOf } from '../src/types/index.js';
import { hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';

const REDIS_DEFAULTS = { 'hash-max-listpack-entries': '512', 'hash-max-listpack-value': '64', 'set-max-intset-entries': '512' };

/** A DUMP payload around an RDB object (type byte first), with the given RDB version. */
function framed(object: Buffer[], version = 10): Buffer {
  const head = Buffer.concat([...object, Buffer.from([version & 0xff, version >> 8])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(head));
  return Buffer.concat([head, crc]);
}

const blobObject = (rdbType: number, blob: Buffer) => [Buffer.from([rdbType]), ...encodeRdbString(blob)];
const stringsObject = (rdbType: number, count: number, strings: string[]) => [Buffer.from([rdbType]), encodeRdbLength(count), ...strings.flatMap((text) => encodeRdbString(Buffer.from(text)))];
const bytes = (...texts: string[]) => texts.map((text) => Buffer.from(text));

/** A Tcl-style escaped payload from Redis's tests/integration/corrupt-dump.tcl. */
const tcl = (text: string) => Buffer.from(text.replace(/\\x/g, ''), 'hex');

let server: StartedServer;
let tskv: Redis;
let real: RealRedis;
let redis: Redis;

async function configureRedis(settings: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(settings)) await redis.config('SET', name, value);
}

/** A hash as sorted "field=value" lines (hex), or a set as sorted members (hex), or the error. */
async function contents(client: Redis, key: string): Promise<string[] | string> {
  try {
    const type = await client.type(key);
    if (type === 'hash') {
      const flat = (await client.callBuffer('HGETALL', key)) as Buffer[];
      const lines: string[] = [];
      for (let index = 0; index < flat.length; index += 2) lines.push(`${flat[index]!.toString('hex')}=${flat[index + 1]!.toString('hex')}`);
      return lines.sort();
    }
    if (type === 'set') return (await client.smembersBuffer(key)).map((member) => member.toString('hex')).sort();
    return type;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

async function restoreReply(client: Redis, key: string, payload: Buffer, ...options: string[]): Promise<string> {
  try {
    return await (client.restore as (...args: unknown[]) => Promise<string>)(key, 0, payload, ...options);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** Restores payload as `key` on both servers; expects the same contents and OBJECT ENCODING. */
async function restoreOnBoth(key: string, payload: Buffer, compareEncoding = true): Promise<{ contents: string[] | string; encoding: unknown }> {
  expect(await restoreReply(redis, key, payload)).toBe('OK');
  expect(await restoreReply(tskv, key, payload)).toBe('OK');
  const theirs = await contents(redis, key);
  expect(await contents(tskv, key)).toEqual(theirs);
  const encoding = await redis.object('ENCODING', key);
  if (compareEncoding) expect(await tskv.object('ENCODING', key)).toBe(encoding);
  return { contents: theirs, encoding };
}

beforeAll(async () => {
  server = await startServer();
  tskv = new Redis({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  tskv?.disconnect();
  await server?.stop();
});

describe.skipIf(!hasRedisServer())('hashes and sets between tskv and redis-server 7.0.15', () => {
  beforeAll(async () => {
    real = await startRealRedis(['--sanitize-dump-payload', 'yes']);
    redis = new Redis({ port: real.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    redis?.disconnect();
    await real?.stop();
  });

  beforeEach(async () => {
    await configureRedis(REDIS_DEFAULTS);
    await redis.flushall();
    await tskv.flushall();
  });

  const manyFields = (count: number, valueBytes = 3) => Array.from({ length: count }, (_, index) => [`field:${index}`, `${index}`.padStart(valueBytes, 'v')]).flat();

  const HASH_CASES: Array<{ name: string; rdbType: number; encoding: string; made?: Record<string, string>; fields: Array<string | Buffer> }> = [
    { name: 'a small hash', rdbType: RDB_TYPE.hashListpack, encoding: 'listpack', fields: ['a', '1', 'b', 'hello', '12', '-5'] },
    { name: 'integers of every listpack width', rdbType: RDB_TYPE.hashListpack, encoding: 'listpack', fields: ['0', '127', '-4096', '30000', '-8000000', '2000000000', '9223372036854775807', '-9223372036854775808', '007', '-0', '1e3', ''] },
    { name: 'binary fields and values', rdbType: RDB_TYPE.hashListpack, encoding: 'listpack', fields: [Buffer.from([0, 255, 13, 10]), Buffer.from([1, 2, 3]), 'k', Buffer.alloc(64, 0xfe)] },
    { name: 'compressible values (an LZF blob)', rdbType: RDB_TYPE.hashListpack, encoding: 'listpack', fields: manyFields(20, 60) },
    { name: 'more fields than hash-max-listpack-entries', rdbType: RDB_TYPE.hash, encoding: 'hashtable', fields: manyFields(600) },
    { name: 'a value longer than hash-max-listpack-value', rdbType: RDB_TYPE.hash, encoding: 'hashtable', fields: ['short', 'x', 'long', 'y'.repeat(65)] },
    { name: 'a listpack whose values exceed the target threshold', rdbType: RDB_TYPE.hashListpack, encoding: 'listpack', made: { 'hash-max-listpack-value': '500' }, fields: ['a', 'z'.repeat(300), 'b', '1'] },
    { name: 'a listpack with more fields than the target allows', rdbType: RDB_TYPE.hashListpack, encoding: 'hashtable', made: { 'hash-max-listpack-entries': '1000' }, fields: manyFields(600) },
  ];

  for (const { name, rdbType, encoding, made, fields } of HASH_CASES) {
    it(`restores ${name} dumped by redis-server as redis-server restores it`, async () => {
      await configureRedis(made ?? {});
      await redis.hset('source', ...fields);
      const payload = await redis.dumpBuffer('source');
      expect(payload[0]).toBe(rdbType);
      await configureRedis(REDIS_DEFAULTS);
      const restored = await restoreOnBoth('copy', payload);
      expect(restored.encoding).toBe(encoding);
      expect(restored.contents).toEqual(await contents(redis, 'source'));
      expect(await tskv.hlen('copy')).toBe(fields.length / 2);
    });
  }

  it('restores ziplists (Redis 6, RDB version 9) and a zipmap (Redis 2, version 3) as redis-server does', async () => {
    const payloads = [
      framed([Buffer.from('0d1b1b00000016000000040000026631040276310402663204027632ff', 'hex')], 9), // Redis's tests/assets/hash-ziplist.rdb
      framed([Buffer.from('0910020266310200763102663202007632ff', 'hex')], 3), // tests/assets/hash-zipmap.rdb
      framed(blobObject(RDB_TYPE.hashZiplist, encodeZiplist(bytes('0', '12', '13', '-128', '-32768', 'x'.repeat(300), 'after', ''))), 9),
      framed(blobObject(RDB_TYPE.hashZiplist, encodeZiplist(bytes(...manyFields(600)))), 9), // more fields than the target allows
    ];
    const encodings: unknown[] = [];
    for (const [index, payload] of payloads.entries()) encodings.push((await restoreOnBoth(`k${index}`, payload)).encoding);
    expect(encodings).toEqual(['listpack', 'listpack', 'listpack', 'hashtable']);
    expect(await tskv.hgetall('k0')).toEqual({ f1: 'v1', f2: 'v2' });
    expect(await tskv.hgetall('k1')).toEqual({ f1: 'v1', f2: 'v2' });
  });

  it('gives redis-server hashes it restores with the same fields and encoding', async () => {
    const cases: Array<Array<string | Buffer>> = [
      ['a', '1', 'b', 'hello'],
      ['0', '-9223372036854775808', Buffer.from([0, 255]), Buffer.from([13, 10])],
      manyFields(600),
      ['long', 'y'.repeat(65)],
      manyFields(20, 60),
    ];
    for (const [index, fields] of cases.entries()) {
      await tskv.hset(`h${index}`, ...fields);
      const payload = await tskv.dumpBuffer(`h${index}`);
      expect(await restoreReply(redis, `h${index}`, payload)).toBe('OK');
      expect(await contents(redis, `h${index}`)).toEqual(await contents(tskv, `h${index}`));
      expect(await redis.object('ENCODING', `h${index}`)).toBe(await tskv.object('ENCODING', `h${index}`));
      expect(await restoreReply(tskv, `again${index}`, payload)).toBe('OK');
      expect(await contents(tskv, `again${index}`)).toEqual(await contents(tskv, `h${index}`));
    }
  });

  it('answers the same error on both servers for damaged, cut, duplicate, odd and empty objects, keeping the old value', async () => {
    const goodListpack = encodeListpack(bytes('a', '1', 'b', '2'));
    const patched = (blob: Buffer, offset: number, byte: number) => { const copy = Buffer.from(blob); copy[offset] = byte; return copy; };
    const oddListpack = encodeListpack(bytes('a', '1', 'b'));
    const payloads: Array<[string, Buffer]> = [
      ['ziplist: invalid entry length (corrupt-dump.tcl)', tcl('\\x0D\\x1B\\x1B\\x00\\x00\\x00\\x16\\x00\\x00\\x00\\x04\\x00\\x00\\x02\\x61\\x00\\x04\\x02\\x62\\x00\\x04\\x14\\x63\\x00\\x04\\x02\\x64\\x00\\xFF\\x09\\x00\\xD9\\x10\\x54\\x92\\x15\\xF5\\x5F\\x52')],
      ['ziplist: invalid zlbytes (corrupt-dump.tcl)', tcl('\\x0D\\x1B\\x25\\x00\\x00\\x00\\x16\\x00\\x00\\x00\\x04\\x00\\x00\\x02\\x61\\x00\\x04\\x02\\x62\\x00\\x04\\x02\\x63\\x00\\x04\\x02\\x64\\x00\\xFF\\x09\\x00\\xB7\\xF7\\x6E\\x9F\\x43\\x43\\x14\\xC6')],
      ['ziplist: duplicate fields (corrupt-dump.tcl)', tcl('\\x0D\\x1B\\x1B\\x00\\x00\\x00\\x16\\x00\\x00\\x00\\x04\\x00\\x00\\x02\\x61\\x00\\x04\\x02\\x62\\x00\\x04\\x02\\x61\\x00\\x04\\x02\\x64\\x00\\xFF\\x09\\x00\\xA1\\x98\\x36\\x78\\xCC\\x8E\\x93\\x2E')],
      ['listpack: wrong total bytes', framed(blobObject(RDB_TYPE.hashListpack, patched(goodListpack, 0, goodListpack.length + 1)))],
      ['listpack: wrong backlen', framed(blobObject(RDB_TYPE.hashListpack, patched(goodListpack, 8, 9)))],
      ['listpack: no end byte', framed(blobObject(RDB_TYPE.hashListpack, patched(goodListpack, goodListpack.length - 1, 0)))],
      ['listpack: cut short', framed(blobObject(RDB_TYPE.hashListpack, goodListpack.subarray(0, goodListpack.length - 3)))],
      ['listpack: a field without its value', framed(blobObject(RDB_TYPE.hashListpack, oddListpack))],
      ['listpack: duplicate fields', framed(blobObject(RDB_TYPE.hashListpack, encodeListpack(bytes('a', '1', 'a', '2'))))],
      ['listpack: empty', framed(blobObject(RDB_TYPE.hashListpack, encodeListpack([])))],
      ['listpack: an RDB string cut short', framed([Buffer.from([RDB_TYPE.hashListpack, 0x20]), goodListpack])],
      ['hash: duplicate fields', framed(stringsObject(RDB_TYPE.hash, 2, ['a', '1', 'a', '2']))],
      ['hash: empty', framed(stringsObject(RDB_TYPE.hash, 0, []))],
      ['hash: fewer fields than its length', framed(stringsObject(RDB_TYPE.hash, 3, ['a', '1', 'b', '2']))],
      ['intset: out of order', framed(blobObject(RDB_TYPE.setIntset, Buffer.from('02000000020000000200' + '0100', 'hex')))],
      ['intset: duplicates', framed(blobObject(RDB_TYPE.setIntset, Buffer.from('02000000020000000100' + '0100', 'hex')))],
      ['intset: empty', framed(blobObject(RDB_TYPE.setIntset, Buffer.from('0200000000000000', 'hex')))],
      ['intset: a width of 3', framed(blobObject(RDB_TYPE.setIntset, Buffer.from('03000000010000000100' + '00', 'hex')))],
      ['set: duplicate members', framed(stringsObject(RDB_TYPE.set, 2, ['a', 'a']))],
      ['set: empty', framed(stringsObject(RDB_TYPE.set, 0, []))],
      ['set listpack (type 20, unknown to Redis 7.0)', framed(blobObject(RDB_TYPE.setListpack, encodeListpack(bytes('a', 'b'))))],
    ];
    const mismatches: string[] = [];
    for (const [label, payload] of payloads) {
      await redis.set('k', 'old');
      await tskv.set('k', 'old');
      const theirs = await restoreReply(redis, 'k', payload, 'REPLACE');
      const mine = await restoreReply(tskv, 'k', payload, 'REPLACE');
      if (theirs !== 'error: ERR Bad data format' || mine !== theirs) mismatches.push(`${label}: tskv ${mine}, redis ${theirs}`);
      expect(await tskv.get('k')).toBe('old');
      expect(await redis.get('k')).toBe('old');
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses a payload of RDB version 11 (Redis 7.2) as redis-server 7.0 does', async () => {
    const payload = framed(blobObject(RDB_TYPE.hashListpack, encodeListpack(bytes('a', '1'))), 11);
    expect(await restoreReply(tskv, 'k', payload)).toBe(await restoreReply(redis, 'k', payload));
    expect(await restoreReply(tskv, 'k', payload)).toBe('error: ERR DUMP payload version or checksum are wrong');
  });

  it('keeps a restored hash across kill -9', async () => {
    await redis.hset('source', ...manyFields(50));
    const payload = await redis.dumpBuffer('source');
    expect(await restoreReply(tskv, 'durable', payload)).toBe('OK');
    tskv.disconnect();
    await server.kill9();
    await server.restart();
    tskv = new Redis({ port: server.port, host: '127.0.0.1' });
    expect(await contents(tskv, 'durable')).toEqual(await contents(redis, 'source'));
    expect(await tskv.object('ENCODING', 'durable')).toBe('listpack');
  });

  describe('sets', () => {
    const integers = (count: number, step = 7) => Array.from({ length: count }, (_, index) => String(index * step - 1000));

    it('restores intsets and sets dumped by redis-server as redis-server restores them', async () => {
      const cases: Array<{ rdbType: number; encoding?: string; made?: Record<string, string>; members: string[] }> = [
        { rdbType: RDB_TYPE.setIntset, encoding: 'intset', members: ['1', '2', '3', '-70000'] },
        { rdbType: RDB_TYPE.setIntset, encoding: 'intset', members: ['-9223372036854775808', '9223372036854775807', '0'] },
        { rdbType: RDB_TYPE.set, encoding: 'hashtable', members: integers(600) }, // over set-max-intset-entries
        { rdbType: RDB_TYPE.setIntset, encoding: 'hashtable', made: { 'set-max-intset-entries': '1000' }, members: integers(600) },
        { rdbType: RDB_TYPE.set, members: ['a', 'b', '1', 'x'.repeat(100)] }, // 7.0: hashtable, 7.2: listpack
        { rdbType: RDB_TYPE.set, members: ['007', '-0', ' 1', '1.5'] },
      ];
      for (const [index, { rdbType, encoding, made, members }] of cases.entries()) {
        await configureRedis(made ?? {});
        await redis.sadd(`source${index}`, ...members);
        const payload = await redis.dumpBuffer(`source${index}`);
        expect(payload[0]).toBe(rdbType);
        await configureRedis(REDIS_DEFAULTS);
        const restored = await restoreOnBoth(`copy${index}`, payload, encoding !== undefined);
        if (encoding !== undefined) expect(restored.encoding).toBe(encoding);
        expect(await tskv.scard(`copy${index}`)).toBe(members.length);
      }
    });

    it('gives redis-server sets it restores with the same members', async () => {
      const cases: Array<{ members: string[]; intset: boolean }> = [
        { members: ['1', '2', '-3'], intset: true },
        { members: integers(600), intset: false },
        { members: ['a', Buffer.from([0, 255]).toString('latin1'), '5'], intset: false },
      ];
      for (const [index, { members, intset }] of cases.entries()) {
        await tskv.sadd(`s${index}`, ...members);
        const payload = await tskv.dumpBuffer(`s${index}`);
        expect(await restoreReply(redis, `s${index}`, payload)).toBe('OK');
        expect(await contents(redis, `s${index}`)).toEqual(await contents(tskv, `s${index}`));
        if (intset) expect(await redis.object('ENCODING', `s${index}`)).toBe('intset');
        expect(await restoreReply(tskv, `again${index}`, payload)).toBe('OK');
        expect(await contents(tskv, `again${index}`)).toEqual(await contents(tskv, `s${index}`));
      }
    });

    it('restores a hand-built intset of each width as redis-server does', async () => {
      for (const [index, values] of [[1n, 2n], [-70000n, 5n], [2n ** 40n, -1n]].entries()) {
        await restoreOnBoth(`w${index}`, framed(blobObject(RDB_TYPE.setIntset, encodeIntset(values))));
      }
    });
  });
});
