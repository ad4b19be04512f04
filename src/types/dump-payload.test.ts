// src/types/dump-payload.test.ts: the DUMP payload codec against bytes taken from redis-server 7.0.15:
// fixed golden payloads, then (when redis-server is installed) a live comparison over generated
// values, compressible and not, so the LZF compressor is held to Redis's exact output.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, startRealRedis, type RealRedis } from '../../test/helpers/real-redis.js';
import { crc64 } from './crc64.js';
import { createDumpPayload, decodeDumpPayload, verifyDumpPayload } from './dump-payload.js';

const VALUE_BYTES_MAX = 512 * 1024 * 1024;

/** DUMP replies of redis-server 7.0.15 (`SET k <value>; DUMP k`). */
const GOLDEN: Array<[string, string]> = [
  ['bar', '00036261720a00e6be4960ee66fd17'],
  ['1', '00c0010a002678e7b6d10111fc'],
  ['-129', '00c17fff0a001760822854808480'],
  ['70000', '00c2701101000a0001a408fe953095a5'],
  ['2147483648', '000a323134373438333634380a00e7b129a34c1d76ee'],
  ['', '00000a005d9b5c400f7fa2da'],
  ['a'.repeat(100), '00c3094064016161e057000161610a00e8a3b507b06df271'],
  ['hello world hello world hello world hello world', '00c3142f0c68656c6c6f20776f726c642068e0170b016c640a0012cacc2b5baf55ba'],
];

/** A payload with the given body and a correct footer (version 10 unless told). */
function framed(body: Buffer, version = 10): Buffer {
  const head = Buffer.concat([body, Buffer.from([version & 0xff, version >> 8])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(head));
  return Buffer.concat([head, crc]);
}

describe('DUMP payload golden bytes', () => {
  for (const [value, hex] of GOLDEN) {
    const label = value.length > 20 ? `${value.slice(0, 12)}... (${value.length} bytes)` : JSON.stringify(value);
    it(`writes and reads ${label} as Redis does`, () => {
      const payload = Buffer.from(hex, 'hex');
      expect(createDumpPayload(Buffer.from(value)).toString('hex')).toBe(hex);
      expect(verifyDumpPayload(payload)).toBe(true);
      expect(decodeDumpPayload(payload, VALUE_BYTES_MAX)?.toString()).toBe(value);
    });
  }
});

describe('verifyDumpPayload', () => {
  const good = Buffer.from(GOLDEN[0]?.[1] as string, 'hex');
  it('refuses a payload shorter than its footer', () => {
    expect(verifyDumpPayload(good.subarray(good.length - 9))).toBe(false);
    expect(verifyDumpPayload(Buffer.alloc(0))).toBe(false);
  });
  it('refuses a flipped bit anywhere', () => {
    for (let index = 0; index < good.length; index++) {
      const bad = Buffer.from(good);
      bad[index] = (bad[index] as number) ^ 0x10;
      expect(verifyDumpPayload(bad)).toBe(false);
    }
  });
  it('accepts RDB versions up to 10 and refuses 11', () => {
    const body = Buffer.from('0003626172', 'hex');
    expect(verifyDumpPayload(framed(body, 1))).toBe(true);
    expect(verifyDumpPayload(framed(body, 9))).toBe(true);
    expect(verifyDumpPayload(framed(body, 11))).toBe(false);
  });
});

describe('decodeDumpPayload', () => {
  const decode = (hex: string, max = VALUE_BYTES_MAX) => decodeDumpPayload(framed(Buffer.from(hex, 'hex')), max)?.toString('latin1');

  it('reads every length prefix and integer width', () => {
    expect(decode('00' + '4005' + Buffer.from('hello').toString('hex'))).toBe('hello'); // 14-bit length
    expect(decode('00' + '8000000003' + '616263')).toBe('abc'); // 32-bit length
    expect(decode('00' + '810000000000000002' + '6162')).toBe('ab'); // 64-bit length
    expect(decode('00c080')).toBe('-128');
    expect(decode('00c10080')).toBe('-32768');
    expect(decode('00c2ffffff7f')).toBe('2147483647');
  });

  it('fails on a type other than string, an unknown encoding or length prefix, and data cut short', () => {
    expect(decode('0103616263')).toBeUndefined(); // a list
    expect(decode('00c4')).toBeUndefined(); // encoding 4
    expect(decode('0082')).toBeUndefined(); // length prefix 0x82
    expect(decode('00')).toBeUndefined(); // reads into the footer: length 10 needs 10 more bytes
    expect(decodeDumpPayload(Buffer.from('003f', 'hex'), VALUE_BYTES_MAX)).toBeUndefined();
  });

  it('fails on LZF that does not expand to its stated length, or past the value limit', () => {
    expect(decode('00c3' + '02' + '05' + '0161')).toBeUndefined(); // literal run cut short
    expect(decode('00c3' + '03' + '03' + '016162')).toBeUndefined(); // expands to 2, says 3
    expect(decode('00c3' + '03' + '02' + '016162')).toBe('ab');
    expect(decode('00c3' + '03' + '02' + '016162', 1)).toBeUndefined();
    expect(decode('00' + '05' + '6162636465', 4)).toBeUndefined();
  });

  it('round-trips any value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.stringMatching(/^(0|-?[1-9][0-9]{0,12})$/).map((text) => Buffer.from(text))), (bytes) => {
        const value = Buffer.from(bytes);
        const payload = createDumpPayload(value);
        expect(verifyDumpPayload(payload)).toBe(true);
        expect(decodeDumpPayload(payload, VALUE_BYTES_MAX)?.equals(value)).toBe(true);
      }),
    );
  });
});

describe.skipIf(!hasRedisServer())('DUMP payloads compared with a live redis-server', () => {
  let real: RealRedis;
  let client: Redis;
  beforeAll(async () => {
    real = await startRealRedis();
    client = new Redis({ port: real.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    client?.disconnect();
    await real?.stop();
  });

  it('writes the bytes redis-server writes, for integers, short, long, random and repetitive strings', async () => {
    const values = fc.sample(
      fc.oneof(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => Buffer.from(String(value))),
        fc.integer().map((value) => Buffer.from(String(value))),
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' '), maxLength: 3000 }).map((text) => Buffer.from(text)),
        fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 400 })).map(([text, times]) => Buffer.from(text.repeat(times))),
      ),
      { numRuns: 600, seed: 7 },
    );
    const pipeline = client.pipeline();
    values.forEach((value, index) => pipeline.set(`k${index}`, value).dumpBuffer(`k${index}`));
    const replies = (await pipeline.exec()) ?? [];
    const mismatches: string[] = [];
    values.forEach((value, index) => {
      const payload = replies[index * 2 + 1]?.[1] as Buffer;
      if (!createDumpPayload(value).equals(payload)) mismatches.push(value.subarray(0, 40).toString('hex'));
      if (!decodeDumpPayload(payload, VALUE_BYTES_MAX)?.equals(value)) mismatches.push(`decode ${value.subarray(0, 40).toString('hex')}`);
    });
    expect(mismatches).toEqual([]);
  });
});
