// test/dump.test.ts: DUMP and RESTORE end to end through ioredis against the built server, with a
// real redis-server 7.0 beside it as the oracle: payloads travel both ways, and every error reply
// (and its order of precedence) is compared with what redis-server answers to the same command.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { crc64 } from '../src/types/crc64.js';
import { hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';

let server: StartedServer;
let tskv: Redis;

const LONG_VALUE = `${'compressible text '.repeat(40)}end`;

/** A payload with the given body and a correct footer (RDB version 10 unless told). */
function framed(bodyHex: string, version = 10): Buffer {
  const head = Buffer.concat([Buffer.from(bodyHex, 'hex'), Buffer.from([version & 0xff, version >> 8])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(head));
  return Buffer.concat([head, crc]);
}

/** The reply as comparable text: the value, or 'error: <message>'. */
async function reply(client: Redis, args: Array<string | Buffer>): Promise<unknown> {
  try {
    return await client.callBuffer(...(args as [string, ...Array<string | Buffer>]));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

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
});

describe('DUMP and RESTORE in tskv', () => {
  it('answers DUMP of a missing key with null', async () => {
    expect(await tskv.dumpBuffer('missing')).toBeNull();
  });

  it('round-trips short, integer, empty, binary and long values, keeping no TTL with ttl 0', async () => {
    const values = ['bar', '12', '-70000', '', LONG_VALUE, Buffer.from([0, 13, 10, 255])];
    for (const [index, value] of values.entries()) {
      await tskv.set(`k${index}`, value);
      const payload = await tskv.dumpBuffer(`k${index}`);
      expect(await tskv.restore(`r${index}`, 0, payload)).toBe('OK');
      expect(await tskv.getBuffer(`r${index}`)).toEqual(Buffer.from(value));
      expect(await tskv.pttl(`r${index}`)).toBe(-1);
    }
    expect(await tskv.dbsize()).toBe(values.length * 2);
  });

  it('sets a relative TTL, an absolute one with ABSTTL, and creates nothing for an absolute TTL in the past', async () => {
    await tskv.set('k', 'v');
    const payload = await tskv.dumpBuffer('k');
    await tskv.restore('rel', 5000, payload);
    const pttl = await tskv.pttl('rel');
    expect(pttl).toBeGreaterThan(3000);
    expect(pttl).toBeLessThanOrEqual(5000);
    const at = Date.now() + 60_000;
    await tskv.restore('abs', at, payload, 'ABSTTL');
    expect(await tskv.pexpiretime('abs')).toBe(at);
    expect(await tskv.restore('past', 1, payload, 'ABSTTL')).toBe('OK');
    expect(await tskv.exists('past')).toBe(0);
    expect(await tskv.restore('k', 1, payload, 'REPLACE', 'ABSTTL')).toBe('OK');
    expect(await tskv.exists('k')).toBe(0);
  });

  it('replaces an existing key only with REPLACE, dropping its old TTL', async () => {
    await tskv.set('k', 'new');
    const payload = await tskv.dumpBuffer('k');
    await tskv.set('k', 'old', 'EX', 100);
    await expect(tskv.restore('k', 0, payload)).rejects.toThrow(/^BUSYKEY Target key name already exists\.$/);
    expect(await tskv.restore('k', 0, payload, 'REPLACE', 'IDLETIME', 10)).toBe('OK');
    expect(await tskv.get('k')).toBe('new');
    expect(await tskv.ttl('k')).toBe(-1);
  });

  it('keeps a restored key and its TTL across kill -9', async () => {
    await tskv.set('k', LONG_VALUE);
    const payload = await tskv.dumpBuffer('k');
    await tskv.restore('durable', 600_000, payload);
    tskv.disconnect();
    await server.kill9();
    await server.restart();
    tskv = new Redis({ port: server.port, host: '127.0.0.1' });
    expect(await tskv.get('durable')).toBe(LONG_VALUE);
    expect(await tskv.pttl('durable')).toBeGreaterThan(500_000);
  });
});

describe.skipIf(!hasRedisServer())('DUMP and RESTORE compared with redis-server', () => {
  let real: RealRedis;
  let oracle: Redis;

  beforeAll(async () => {
    real = await startRealRedis();
    oracle = new Redis({ port: real.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    oracle?.disconnect();
    await real?.stop();
  });

  beforeEach(async () => {
    await oracle.flushall();
  });

  it('DUMP writes the bytes redis-server writes', async () => {
    for (const value of ['bar', '1', '-129', '70000', '2147483648', '', LONG_VALUE, 'x'.repeat(70_000)]) {
      await tskv.set('k', value);
      await oracle.set('k', value);
      expect((await tskv.dumpBuffer('k')).toString('hex')).toBe((await oracle.dumpBuffer('k')).toString('hex'));
    }
  });

  it('restores what redis-server dumped, with the same value and TTL', async () => {
    const values = ['bar', '-5', '123456', '9223372036854775807', LONG_VALUE, 'y'.repeat(20_000)];
    for (const [index, value] of values.entries()) {
      await oracle.set(`k${index}`, value, 'PX', 100_000);
      const payload = await oracle.dumpBuffer(`k${index}`);
      const pttl = await oracle.pttl(`k${index}`);
      expect(await tskv.restore(`k${index}`, pttl, payload)).toBe('OK');
      expect(await tskv.get(`k${index}`)).toBe(value);
      const restored = await tskv.pttl(`k${index}`);
      expect(restored).toBeGreaterThan(pttl - 2000);
      expect(restored).toBeLessThanOrEqual(pttl);
    }
  });

  it('gives redis-server payloads it restores', async () => {
    for (const value of ['bar', '42', LONG_VALUE, Buffer.from([255, 0, 1])]) {
      await tskv.set('k', value);
      const payload = await tskv.dumpBuffer('k');
      expect(await oracle.restore('k', 0, payload, 'REPLACE')).toBe('OK');
      expect(await oracle.getBuffer('k')).toEqual(Buffer.from(value));
    }
  });

  it('answers every error and edge exactly as redis-server, in the same order of precedence', async () => {
    await oracle.set('src', 'value');
    const good = await oracle.dumpBuffer('src');
    const cases: Array<Array<string | Buffer>> = [
      ['RESTORE', 'busy', '0', good],
      ['RESTORE', 'new', '-1', good],
      ['RESTORE', 'new', 'abc', good],
      ['RESTORE', 'new', '0', Buffer.from('garbage')],
      ['RESTORE', 'new', '0', Buffer.from('short')],
      ['RESTORE', 'new', '0', framed('0003626172', 11)],
      ['RESTORE', 'new', '0', framed('00c4')],
      ['RESTORE', 'new', '0', framed('0082')],
      ['RESTORE', 'new', '0', framed('00c3020501')],
      ['RESTORE', 'new', '0', framed('00c30303016162')],
      ['RESTORE', 'new1', '0', framed('00c30302016162')],
      ['RESTORE', 'new2', '0', framed('00c30000')],
      ['RESTORE', 'new3', '0', framed('00036162636465')], // bytes left over before the footer
      ['RESTORE', 'new4', '0', framed('0003626172', 1)],
      ['RESTORE', 'new5', '0', framed('00c2ffffff7f')],
      ['RESTORE', 'new', '0', good, 'FOO'],
      ['RESTORE', 'new', '0', good, 'IDLETIME'],
      ['RESTORE', 'new', '0', good, 'IDLETIME', '-1'],
      ['RESTORE', 'new', '0', good, 'IDLETIME', 'x'],
      ['RESTORE', 'new', '0', good, 'FREQ', '256'],
      ['RESTORE', 'new', '0', good, 'FREQ', '-1'],
      ['RESTORE', 'new', '0', good, 'IDLETIME', '1', 'FREQ', '1'],
      ['RESTORE', 'new', '0', good, 'FREQ', '1', 'IDLETIME', '1'],
      ['RESTORE', 'busy', '-1', Buffer.from('garbage')],
      ['RESTORE', 'busy', '0', good, 'FOO'],
      ['RESTORE', 'new', '-1', Buffer.from('garbage')],
      ['RESTORE', 'new', '0', good, 'IDLETIME', '-1', 'FOO'],
      ['RESTORE', 'new6', '0', good, 'IDLETIME', '5', 'IDLETIME', '6', 'ABSTTL'],
      ['RESTORE', 'new7', '0', good, 'FREQ', '255', 'REPLACE'],
      ['RESTORE', 'new8', '9223372036854775807', good],
      ['RESTORE', 'new9', '9223372036854775807', good, 'ABSTTL'],
      ['RESTORE', 'new', '9223372036854775808', good],
      ['RESTORE', 'new'],
      ['RESTORE', 'new', '0'],
      ['DUMP'],
      ['DUMP', 'a', 'b'],
    ];
    const mismatches: string[] = [];
    for (const args of cases) {
      await tskv.set('busy', 'x');
      await oracle.set('busy', 'x');
      const [mine, theirs] = [await reply(tskv, args), await reply(oracle, args)];
      if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
        mismatches.push(`${args.map((arg) => (typeof arg === 'string' ? arg : arg.toString('hex'))).join(' ')}: tskv ${JSON.stringify(mine)}, redis ${JSON.stringify(theirs)}`);
      }
    }
    for (const key of ['new1', 'new2', 'new3', 'new4', 'new5', 'new6', 'new7', 'new8', 'new9']) {
      expect(await tskv.getBuffer(key)).toEqual(await oracle.getBuffer(key));
    }
    expect(mismatches).toEqual([]);
  });

  it('answers Bad data format for a type tskv does not store yet', async () => {
    await oracle.xadd('stream', '*', 'field', 'value');
    const payload = await oracle.dumpBuffer('stream');
    await expect(tskv.restore('stream', 0, payload)).rejects.toThrow(/^ERR Bad data format$/);
  });

  it('describes DUMP and RESTORE in COMMAND INFO as redis-server does (name, arity, flags, keys)', async () => {
    const head = (info: unknown) => (info as unknown[][]).map((entry) => entry.slice(0, 6).map(String));
    expect(head(await tskv.command('INFO', 'dump', 'restore'))).toEqual(head(await oracle.command('INFO', 'dump', 'restore')));
  });
});
