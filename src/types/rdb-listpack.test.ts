// src/types/rdb-listpack.test.ts: the listpack codec against listpacks redis-server 7.0.15 wrote
// (DUMP payloads of listpack-encoded hashes), round trips over every encoding, and damage that
// must be refused, never thrown on. Live byte-for-byte comparisons are in rdb-objects.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { damaged, entryBytes, entryLists } from '../../test/helpers/rdb-arbitraries.js';
import { decodeListpack, encodeListpack } from './rdb-listpack.js';
import { decodeRdbString } from './rdb-string.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const texts = (entries: Buffer[] | undefined) => entries?.map((entry) => entry.toString('latin1'));

/** The listpack inside a DUMP payload of type 16 (an RDB string after the type byte). */
function listpackOf(payloadHex: string): Buffer {
  const blob = decodeRdbString({ bytes: hex(payloadHex), offset: 1 }, 1 << 20);
  if (blob === undefined) throw new Error('not an RDB string');
  return blob;
}

/** redis-server 7.0.15: HSET h <entries> (in this order); DUMP h. */
const LISTPACK_GOLDEN: Array<{ entries: string[]; payload: string }> = [
  {
    entries: ['a', '1', 'b', 'hello', '12', '-5'],
    payload: '101b1b000000060081610201018162028568656c6c6f060c01dffb02ff0a0086c822c4f8cf2368',
  },
  {
    entries: ['5', '-5', '1000', '30000', '-8000000', '2000000000', '9223372036854775807', '-9223372036854775808', '007', '12345678901234567890', '', 'x'.repeat(63), 'y'.repeat(64), 'bin\u0000\u00ff'],
    payload: '10c3405c40db1edb0000000e000501dffb02c3e802f1307503f200ee8504f30094357705f4ff8000027f09f42026400011800983303037049431323334353637383930e0010904158001bf78e035000340e04079e0360009428662696e00c3bf07ff0a00022ad4294ca1b597',
  },
];

describe('listpack golden bytes', () => {
  for (const [index, { entries, payload }] of LISTPACK_GOLDEN.entries()) {
    it(`reads and writes listpack ${index} as redis-server does`, () => {
      const blob = listpackOf(payload);
      const expected = entries.map((entry) => Buffer.from(entry)); // ioredis sends strings as UTF-8
      expect(decodeListpack(blob)).toEqual(expected);
      expect(encodeListpack(expected).toString('hex')).toBe(blob.toString('hex'));
    });
  }
});

describe('decodeListpack', () => {
  it('returns what encodeListpack was given, for entries of every encoding', () => {
    fc.assert(fc.property(entryLists, (entries) => {
      expect(decodeListpack(encodeListpack(entries))).toEqual(entries);
    }), { numRuns: 100 });
  });

  it('reads a count of 65535 as unknown and walks the entries', () => {
    const blob = encodeListpack([Buffer.from('a'), Buffer.from('7')]);
    blob.writeUInt16LE(0xffff, 4);
    expect(texts(decodeListpack(blob))).toEqual(['a', '7']);
  });

  it('reads an empty listpack as no entries', () => {
    expect(decodeListpack(hex('0700000000' + '00ff'))).toEqual([]);
  });

  it('reads every integer width, negatives included', () => {
    // 13-bit -1, i16 -300, i24 -70000, i32 -3000000000 is i64; i32 -2^31, i64 -1
    const blob = encodeListpack([-1n, -300n, -70000n, -2147483648n, -1n << 40n].map((value) => Buffer.from(String(value))));
    expect(texts(decodeListpack(blob))).toEqual(['-1', '-300', '-70000', '-2147483648', String(-1n << 40n)]);
  });

  it('refuses a wrong total, a missing end byte, a wrong count and bytes after the end', () => {
    const good = encodeListpack([Buffer.from('ab'), Buffer.from('12')]);
    const withTotal = (total: number) => { const copy = Buffer.from(good); copy.writeUInt32LE(total, 0); return copy; };
    expect(decodeListpack(withTotal(good.length + 1))).toBeUndefined();
    expect(decodeListpack(withTotal(good.length - 1))).toBeUndefined();
    const noEnd = Buffer.from(good);
    noEnd[noEnd.length - 1] = 0;
    expect(decodeListpack(noEnd)).toBeUndefined();
    const wrongCount = Buffer.from(good);
    wrongCount.writeUInt16LE(3, 4);
    expect(decodeListpack(wrongCount)).toBeUndefined();
    const early = Buffer.concat([good.subarray(0, 6), hex('ff'), good.subarray(6)]);
    early.writeUInt32LE(early.length, 0);
    expect(decodeListpack(early)).toBeUndefined(); // an end byte before the last byte
    expect(decodeListpack(hex('060000000000'))).toBeUndefined(); // shorter than header + end
  });

  it('refuses an invalid encoding byte, a wrong backlen and an entry reaching the end byte', () => {
    expect(decodeListpack(hex('0900000001' + '00' + 'f501ff'))).toBeUndefined(); // 0xF5
    expect(decodeListpack(hex('0900000001' + '00' + '0502ff'))).toBeUndefined(); // backlen 2 for a 1-byte entry
    expect(decodeListpack(hex('0900000001' + '00' + '0501ff'))).toEqual([Buffer.from('5')]);
    expect(decodeListpack(hex('0b00000001' + '00' + '83616201ff'))).toBeUndefined(); // string of 3 with 2 bytes left
    expect(decodeListpack(hex('0c00000001' + '00' + 'f0ffffffff' + 'ff'))).toBeUndefined(); // 32-bit length past the end
    expect(decodeListpack(hex('0800000001' + '00' + 'e0ff'))).toBeUndefined(); // 12-bit length byte is the end byte
  });

  it('never throws on damaged or random bytes', () => {
    const damagedBlobs = entryLists.map(encodeListpack).chain(damaged);
    fc.assert(fc.property(fc.oneof(damagedBlobs, fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))), (blob) => {
      const entries = decodeListpack(blob);
      if (entries !== undefined) expect(entries.length * 2).toBeLessThanOrEqual(blob.length); // an entry takes 2 bytes or more
    }), { numRuns: 2000 });
  });

  it('agrees with its encoder on single entries of every kind', () => {
    fc.assert(fc.property(entryBytes, (entry) => {
      expect(decodeListpack(encodeListpack([entry]))).toEqual([entry]);
    }));
  });
});
