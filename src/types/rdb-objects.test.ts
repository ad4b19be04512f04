// src/types/rdb-objects.test.ts: the hash and set objects RESTORE reads (rdb-objects.ts), first on
// their own (empty, odd, duplicate), then beside redis-server 7.0.15 (sanitize-dump-payload yes,
// so it checks blobs as deeply as tskv always does): its listpacks and intsets are byte for byte
// what our encoders write, it restores the ziplists and zipmaps we build by hand (so those vectors
// are valid Redis 6 / Redis 2 objects), and on damaged blobs it refuses exactly what we refuse and
// reads the same pairs from what it accepts.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { damaged, entryBytes, integerText } from '../../test/helpers/rdb-arbitraries.js';
import { hasRedisServer, startRealRedis, type RealRedis } from '../../test/helpers/real-redis.js';
import { RDB_TYPE, createObjectDumpPayload } from './dump-payload.js';
import { encodeIntset } from './rdb-intset.js';
import { encodeListpack } from './rdb-listpack.js';
import { readRdbHash, readRdbSet } from './rdb-objects.js';
import { decodeRdbString, encodeRdbLength, encodeRdbString, type RdbCursor } from './rdb-string.js';
import { encodeZiplist } from './rdb-ziplist.js';
import { encodeZipmap } from './rdb-zipmap.js';

const VALUE_BYTES_MAX = 512 * 1024 * 1024;
const bytes = (...texts: string[]) => texts.map((text) => Buffer.from(text));
const texts = (entries: Buffer[] | undefined) => entries?.map((entry) => entry.toString('latin1'));

/** A DUMP payload of one compact blob (an RDB string) of the given type. */
function blobPayload(rdbType: number, blob: Buffer): Buffer {
  return createObjectDumpPayload([Buffer.from([rdbType]), ...encodeRdbString(blob)]);
}

/** A DUMP payload of a type 4 hash or type 2 set: a length, then RDB strings. */
function stringsPayload(rdbType: number, length: Buffer, strings: Buffer[]): Buffer {
  return createObjectDumpPayload([Buffer.from([rdbType]), length, ...strings.flatMap((string) => encodeRdbString(string))]);
}

/** What RESTORE's reader makes of a payload's object. */
function readPayload(payload: Buffer): Buffer[] | undefined {
  const cursor: RdbCursor = { bytes: payload, offset: 1 };
  const rdbType = payload[0] as number;
  return rdbType === RDB_TYPE.set || rdbType === RDB_TYPE.setIntset || rdbType === RDB_TYPE.setListpack
    ? readRdbSet(rdbType, cursor, VALUE_BYTES_MAX)
    : readRdbHash(rdbType, cursor, VALUE_BYTES_MAX);
}

describe('readRdbHash and readRdbSet', () => {
  it('read every hash type to the same pairs', () => {
    const pairs = bytes('f1', 'v1', '7', '-300', 'x'.repeat(100), '');
    const expected = texts(pairs);
    expect(texts(readPayload(stringsPayload(RDB_TYPE.hash, encodeRdbLength(3), pairs)))).toEqual(expected);
    expect(texts(readPayload(blobPayload(RDB_TYPE.hashListpack, encodeListpack(pairs))))).toEqual(expected);
    expect(texts(readPayload(blobPayload(RDB_TYPE.hashZiplist, encodeZiplist(pairs))))).toEqual(expected);
    expect(texts(readPayload(blobPayload(RDB_TYPE.hashZipmap, encodeZipmap(pairs))))).toEqual(expected);
  });

  it('read every set type to the same members', () => {
    const members = bytes('-5', '0', '70000');
    expect(texts(readPayload(stringsPayload(RDB_TYPE.set, encodeRdbLength(3), members)))).toEqual(texts(members));
    expect(texts(readPayload(blobPayload(RDB_TYPE.setIntset, encodeIntset([70000n, -5n, 0n]))))).toEqual(texts(members));
    expect(texts(readPayload(blobPayload(RDB_TYPE.setListpack, encodeListpack(members))))).toEqual(texts(members));
  });

  it('refuse empty objects of every type', () => {
    for (const rdbType of [RDB_TYPE.hash, RDB_TYPE.set]) expect(readPayload(stringsPayload(rdbType, encodeRdbLength(0), []))).toBeUndefined();
    for (const rdbType of [RDB_TYPE.hashListpack, RDB_TYPE.setListpack]) expect(readPayload(blobPayload(rdbType, encodeListpack([])))).toBeUndefined();
    expect(readPayload(blobPayload(RDB_TYPE.hashZiplist, encodeZiplist([])))).toBeUndefined();
    expect(readPayload(blobPayload(RDB_TYPE.hashZipmap, Buffer.from('00ff', 'hex')))).toBeUndefined();
    expect(readPayload(blobPayload(RDB_TYPE.setIntset, Buffer.from('0200000000000000', 'hex')))).toBeUndefined();
  });

  it('refuse a field without its value and a field or member given twice, "12" and the integer 12 alike', () => {
    expect(readPayload(blobPayload(RDB_TYPE.hashListpack, encodeListpack(bytes('a', '1', 'b'))))).toBeUndefined();
    expect(readPayload(blobPayload(RDB_TYPE.hashZiplist, encodeZiplist(bytes('a', '1', 'b'))))).toBeUndefined();
    expect(readPayload(stringsPayload(RDB_TYPE.hash, encodeRdbLength(2), bytes('a', '1', 'b')))).toBeUndefined();
    // listpack writes '12' as an integer entry: a string entry "12" beside it is the same field
    const stringTwelve = Buffer.from('82313202', 'hex');
    const withStringTwelve = Buffer.concat([encodeListpack(bytes('12', 'x', 'y')).subarray(0, -1), stringTwelve, Buffer.from('ff', 'hex')]);
    withStringTwelve.writeUInt32LE(withStringTwelve.length, 0);
    withStringTwelve.writeUInt16LE(4, 4);
    expect(readPayload(blobPayload(RDB_TYPE.hashListpack, withStringTwelve))).toBeUndefined();
    expect(readPayload(blobPayload(RDB_TYPE.hashListpack, encodeListpack(bytes('a', '1', 'a', '2'))))).toBeUndefined();
    expect(texts(readPayload(blobPayload(RDB_TYPE.hashListpack, encodeListpack(bytes('a', '1', 'b', '1')))))).toEqual(['a', '1', 'b', '1']);
    expect(readPayload(stringsPayload(RDB_TYPE.hash, encodeRdbLength(2), bytes('a', '1', 'a', '2')))).toBeUndefined();
    expect(readPayload(stringsPayload(RDB_TYPE.set, encodeRdbLength(2), bytes('a', 'a')))).toBeUndefined();
    expect(readPayload(blobPayload(RDB_TYPE.setListpack, encodeListpack(bytes('a', 'b', 'a'))))).toBeUndefined();
  });

  it('read a length written with an encoded-value prefix as its low 6 bits, as rdbLoadLen does', () => {
    expect(texts(readPayload(stringsPayload(RDB_TYPE.hash, Buffer.from([0xc1]), bytes('a', '1'))))).toEqual(['a', '1']);
  });

  it('refuse a count larger than the payload holds without allocating for it', () => {
    const huge = Buffer.from([0x81, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // 2^53 - 1
    expect(readPayload(stringsPayload(RDB_TYPE.hash, huge, bytes('a', '1')))).toBeUndefined();
    expect(readPayload(stringsPayload(RDB_TYPE.set, huge, bytes('a')))).toBeUndefined();
  });

  it('refuse a blob that is not an RDB string, and types that are not theirs', () => {
    expect(readPayload(createObjectDumpPayload([Buffer.from([RDB_TYPE.hashListpack, 0xc4])]))).toBeUndefined();
    expect(readRdbHash(RDB_TYPE.set, { bytes: Buffer.from([1, 0]), offset: 0 }, VALUE_BYTES_MAX)).toBeUndefined();
    expect(readRdbSet(RDB_TYPE.hash, { bytes: Buffer.from([1, 0]), offset: 0 }, VALUE_BYTES_MAX)).toBeUndefined();
  });
});

describe.skipIf(!hasRedisServer())('compact objects compared with redis-server 7.0.15', () => {
  let real: RealRedis;
  let redis: Redis;

  beforeAll(async () => {
    real = await startRealRedis(['--sanitize-dump-payload', 'yes', '--hash-max-listpack-entries', '100000', '--hash-max-listpack-value', '100000', '--set-max-intset-entries', '100000']);
    redis = new Redis({ port: real.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    redis?.disconnect();
    await real?.stop();
  });

  beforeEach(async () => {
    await redis.flushall();
  });

  /** The blob inside the DUMP of key (type byte, then one RDB string). */
  async function dumpedBlob(key: string, rdbType: number): Promise<Buffer> {
    const payload = await redis.dumpBuffer(key);
    expect(payload[0]).toBe(rdbType);
    const blob = decodeRdbString({ bytes: payload, offset: 1 }, VALUE_BYTES_MAX);
    if (blob === undefined) throw new Error('no RDB string in the payload');
    return blob;
  }

  /** RESTORE into redis-server: its pairs / members (sorted), or its error. */
  async function restoredByRedis(payload: Buffer, rdbType: number): Promise<string[] | string> {
    await redis.del('k');
    try {
      await redis.restore('k', 0, payload);
    } catch (error) {
      return (error as Error).message;
    }
    if (rdbType === RDB_TYPE.setIntset) return (await redis.smembersBuffer('k')).map((member) => member.toString('latin1')).sort();
    const flat = await redis.callBuffer('HGETALL', 'k') as Buffer[];
    return flat.map((entry) => entry.toString('latin1')).sort();
  }

  const sortedTexts = (entries: Buffer[] | undefined) => texts(entries)?.sort();

  it('writes the listpack redis-server writes for a hash, field order kept', async () => {
    const fields = fc.uniqueArray(entryBytes, { minLength: 1, maxLength: 30, selector: (field) => field.toString('latin1') });
    await fc.assert(fc.asyncProperty(fields, fc.array(entryBytes, { minLength: 30, maxLength: 30 }), async (names, values) => {
      const pairs = names.flatMap((name, index) => [name, values[index] as Buffer]);
      await redis.del('h');
      await redis.hset('h', ...pairs);
      expect(await redis.object('ENCODING', 'h')).toBe('listpack');
      expect((await dumpedBlob('h', RDB_TYPE.hashListpack)).equals(encodeListpack(pairs))).toBe(true);
    }), { numRuns: 40 });
  });

  it('writes the intset redis-server writes for a set of integers', async () => {
    await fc.assert(fc.asyncProperty(fc.array(integerText, { minLength: 1, maxLength: 60 }), async (members) => {
      await redis.del('s');
      await redis.sadd('s', ...members);
      expect(await redis.object('ENCODING', 's')).toBe('intset');
      expect((await dumpedBlob('s', RDB_TYPE.setIntset)).equals(encodeIntset(members.map((member) => BigInt(member.toString()))))).toBe(true);
    }), { numRuns: 40 });
  });

  it('restores hand-built Redis 6 ziplists and Redis 2 zipmaps to the pairs we read', async () => {
    const cases: Buffer[][] = [
      bytes('f1', 'v1', 'f2', 'v2'),
      bytes('0', '12', '13', '-128', '-32768', '-8388608', '-2147483648', '-9223372036854775808', 'x'.repeat(300), 'after', '', 'empty field'),
      bytes('long', 'y'.repeat(20_000), 'next', 'z'.repeat(254)),
      [Buffer.from([0, 255, 13, 10]), Buffer.from('binary field')],
    ];
    for (const pairs of cases) {
      for (const [rdbType, blob] of [[RDB_TYPE.hashZiplist, encodeZiplist(pairs)], [RDB_TYPE.hashZipmap, encodeZipmap(pairs)]] as const) {
        const payload = blobPayload(rdbType, blob);
        expect(await restoredByRedis(payload, rdbType)).toEqual(sortedTexts(pairs));
        expect(await redis.object('ENCODING', 'k')).toBe('listpack');
        expect(sortedTexts(readPayload(payload))).toEqual(sortedTexts(pairs));
      }
    }
  });

  it('refuses exactly the damaged listpacks, ziplists and intsets redis-server refuses, and reads the same from the rest', async () => {
    const pairLists = fc.uniqueArray(entryBytes, { minLength: 1, maxLength: 8, selector: (field) => field.toString('latin1') })
      .chain((fields) => fc.array(entryBytes, { minLength: fields.length, maxLength: fields.length }).map((values) => fields.flatMap((field, index) => [field, values[index] as Buffer])));
    const intsets = fc.array(integerText, { minLength: 1, maxLength: 8 }).map((members) => encodeIntset(members.map((member) => BigInt(member.toString()))));
    const blobs = fc.oneof(
      pairLists.chain((pairs) => damaged(encodeListpack(pairs)).map((blob) => [RDB_TYPE.hashListpack, blob] as const)),
      pairLists.chain((pairs) => damaged(encodeZiplist(pairs)).map((blob) => [RDB_TYPE.hashZiplist, blob] as const)),
      intsets.chain((blob) => damaged(blob).map((damagedBlob) => [RDB_TYPE.setIntset, damagedBlob] as const)),
    );
    const accepted: number[] = [0, 0];
    await fc.assert(fc.asyncProperty(blobs, async ([rdbType, blob]) => {
      const payload = blobPayload(rdbType, blob);
      const theirs = await restoredByRedis(payload, rdbType);
      const ours = readPayload(payload);
      if (ours === undefined) accepted[0]! += 1;
      else accepted[1]! += 1;
      expect(ours === undefined ? 'ERR Bad data format' : sortedTexts(ours)).toEqual(theirs);
    }), { numRuns: 600 });
    expect(accepted[0]).toBeGreaterThan(50); // the damage reached both outcomes
    expect(accepted[1]).toBeGreaterThan(50);
  });
});
