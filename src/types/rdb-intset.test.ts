// src/types/rdb-intset.test.ts: the intset codec against intsets Redis wrote (the sets of Redis's
// tests/assets/encodings.rdb, one per width) and redis-server 7.0.15's DUMP, round trips, and
// damage that must be refused, never thrown on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { damaged } from '../../test/helpers/rdb-arbitraries.js';
import { decodeIntset, encodeIntset } from './rdb-intset.js';
import { decodeRdbString } from './rdb-string.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const texts = (entries: Buffer[] | undefined) => entries?.map((entry) => entry.toString('latin1'));
const INT64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);

/** Intsets Redis wrote: RDB strings after the type byte 11 (set_zipped_2 is LZF-compressed). */
const INTSET_GOLDEN: Array<{ source: string; members: string[]; object: string }> = [
  { source: 'encodings.rdb set_zipped_1 (int16)', members: ['1', '2', '3', '4'], object: '1002000000040000000100020003000400' },
  { source: 'encodings.rdb set_zipped_2 (int32)', members: ['100000', '200000', '300000', '400000'], object: '180400000004000000a0860100400d0300e0930400801a0600' },
  { source: 'encodings.rdb set_zipped_3 (int64)', members: ['1000000000', '2000000000', '3000000000', '4000000000', '5000000000', '6000000000'], object: '38080000000600000000ca9a3b000000000094357700000000005ed0b20000000000286bee0000000000f2052a0100000000bca06501000000' },
  { source: 'redis-server 7.0.15 SADD s 1 2 3 -70000', members: ['-70000', '1', '2', '3'], object: '18040000000400000090eefeff010000000200000003000000' },
  { source: 'redis-server 7.0.15 SADD s -32768 32767 0', members: ['-32768', '0', '32767'], object: '0e020000000300000000800000ff7f' },
  { source: 'redis-server 7.0.15 SADD s 9223372036854775807 -9223372036854775808 5 (LZF)', members: ['-9223372036854775808', '5', '9223372036854775807'], object: 'c316200408000000032003a000018005a00800ff600001ff7f' },
];

describe('intset golden bytes', () => {
  for (const { source, members, object } of INTSET_GOLDEN) {
    it(`reads and writes the intset of ${source}`, () => {
      const blob = decodeRdbString({ bytes: hex(object), offset: 0 }, 1 << 20);
      expect(blob).toBeDefined();
      expect(texts(decodeIntset(blob!))).toEqual(members);
      expect(encodeIntset(members.map(BigInt)).toString('hex')).toBe(blob!.toString('hex'));
    });
  }
});

describe('decodeIntset', () => {
  it('returns the sorted, distinct members encodeIntset was given', () => {
    fc.assert(fc.property(fc.array(INT64, { minLength: 1, maxLength: 60 }), (values) => {
      const expected = [...new Set(values)].sort((a, b) => (a < b ? -1 : 1)).map(String);
      expect(texts(decodeIntset(encodeIntset(values)))).toEqual(expected);
    }));
  });

  it('accepts a width wider than needed, as Redis does', () => {
    expect(texts(decodeIntset(hex('08000000' + '02000000' + '0100000000000000' + '0200000000000000')))).toEqual(['1', '2']);
  });

  it('refuses an unknown width, a size that does not match the count, no members, and members out of order or twice', () => {
    expect(decodeIntset(hex('03000000' + '01000000' + '010000'))).toBeUndefined();
    expect(decodeIntset(hex('02000000' + '02000000' + '0100'))).toBeUndefined();
    expect(decodeIntset(hex('02000000' + '01000000' + '010002'))).toBeUndefined();
    expect(decodeIntset(hex('02000000' + '00000000'))).toBeUndefined();
    expect(decodeIntset(hex('02000000' + '02000000' + '0200' + '0100'))).toBeUndefined();
    expect(decodeIntset(hex('02000000' + '02000000' + '0100' + '0100'))).toBeUndefined();
    expect(decodeIntset(hex('020000000100'))).toBeUndefined(); // shorter than the header
    expect(decodeIntset(hex('02000000' + 'ffffffff' + '0100'))).toBeUndefined(); // a count no blob could hold
  });

  it('never throws on damaged or random bytes', () => {
    const damagedBlobs = fc.array(INT64, { minLength: 1, maxLength: 20 }).map(encodeIntset).chain(damaged);
    fc.assert(fc.property(fc.oneof(damagedBlobs, fc.uint8Array({ maxLength: 48 }).map((bytes) => Buffer.from(bytes))), (blob) => {
      const members = decodeIntset(blob);
      if (members !== undefined) expect(8 + members.length * 2).toBeLessThanOrEqual(blob.length);
    }), { numRuns: 2000 });
  });
});
