// src/types/rdb-ziplist.test.ts: the ziplist codec against ziplists Redis itself wrote (the hashes
// of Redis's own test RDB files: tests/assets/hash-ziplist.rdb from Redis 6, RDB version 9, and
// encodings.rdb from Redis 2.4, RDB version 4), round trips over every encoding, and damage that
// must be refused, never thrown on. That Redis 7.0 restores what encodeZiplist writes is checked
// live in rdb-objects.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { damaged, entryBytes, entryLists } from '../../test/helpers/rdb-arbitraries.js';
import { decodeZiplist, encodeZiplist } from './rdb-ziplist.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const texts = (entries: Buffer[] | undefined) => entries?.map((entry) => entry.toString('latin1'));

/** Ziplists Redis wrote (the RDB string's bytes, after the 1-byte length). */
export const ZIPLIST_GOLDEN: Array<{ source: string; entries: string[]; blob: string }> = [
  { source: 'hash-ziplist.rdb (Redis 6)', entries: ['f1', 'v1', 'f2', 'v2'], blob: '1b00000016000000040000026631040276310402663204027632ff' },
  { source: 'encodings.rdb hash_zipped (Redis 2.4: small integers as int16)', entries: ['a', '1', 'b', '2', 'c', '3'], blob: '200000001b000000060000016103c0010004016203c0020004016303c00300ff' },
  { source: 'ziplist.c header comment', entries: ['2', '5'], blob: '0f0000000c0000000200' + '00f302f6ff' },
];

describe('ziplist golden bytes', () => {
  for (const { source, entries, blob } of ZIPLIST_GOLDEN) {
    it(`reads the ziplist of ${source}`, () => {
      expect(texts(decodeZiplist(hex(blob)))).toEqual(entries);
    });
  }

  it('writes what Redis 6 wrote', () => {
    const [redis6, , comment] = ZIPLIST_GOLDEN;
    for (const { entries, blob } of [redis6!, comment!]) expect(encodeZiplist(entries.map((entry) => Buffer.from(entry))).toString('hex')).toBe(blob);
  });
});

describe('decodeZiplist', () => {
  it('returns what encodeZiplist was given, for entries of every encoding', () => {
    fc.assert(fc.property(entryLists, (entries) => {
      expect(decodeZiplist(encodeZiplist(entries))).toEqual(entries);
    }), { numRuns: 100 });
  });

  it('reads every integer encoding, immediates and a 5-byte prevlen included', () => {
    const entries = ['0', '12', '13', '-128', '-32768', '-8388608', '-2147483648', '-9223372036854775808', 'x'.repeat(300), 'after'];
    const blob = encodeZiplist(entries.map((entry) => Buffer.from(entry)));
    expect(blob.includes(hex('fe2f010000'))).toBe(true); // the prevlen of 'after': 0xFE, then 303 (1 + 2 + 300 bytes)
    expect(texts(decodeZiplist(blob))).toEqual(entries);
  });

  it('reads a count of 65535 as unknown, and an empty ziplist as no entries', () => {
    const blob = encodeZiplist([Buffer.from('a')]);
    blob.writeUInt16LE(0xffff, 8);
    expect(texts(decodeZiplist(blob))).toEqual(['a']);
    expect(decodeZiplist(hex('0b0000000a0000000000ff'))).toEqual([]);
  });

  it('refuses a wrong total, tail, count or prevlen, an invalid encoding and an entry past the end', () => {
    const good = hex(ZIPLIST_GOLDEN[0]!.blob);
    const patched = (offset: number, bytes: string) => { const copy = Buffer.from(good); hex(bytes).copy(copy, offset); return copy; };
    expect(decodeZiplist(patched(0, '1c'))).toBeUndefined(); // total
    expect(decodeZiplist(patched(4, '15'))).toBeUndefined(); // tail not on the last entry
    expect(decodeZiplist(patched(4, 'ff'))).toBeUndefined(); // tail past the end
    expect(decodeZiplist(patched(8, '05'))).toBeUndefined(); // count
    expect(decodeZiplist(patched(14, '05'))).toBeUndefined(); // prevlen of the 2nd entry
    expect(decodeZiplist(patched(11, 'c1'))).toBeUndefined(); // encoding 0xC1
    expect(decodeZiplist(patched(11, '14'))).toBeUndefined(); // a 20-byte string in a 27-byte ziplist
    expect(decodeZiplist(patched(10, 'ff'))).toBeUndefined(); // an end byte where an entry starts
  });

  it('never throws on damaged or random bytes', () => {
    const damagedBlobs = entryLists.map(encodeZiplist).chain(damaged);
    fc.assert(fc.property(fc.oneof(damagedBlobs, fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))), (blob) => {
      const entries = decodeZiplist(blob);
      if (entries !== undefined) expect(entries.length * 2).toBeLessThanOrEqual(blob.length); // an entry takes 2 bytes or more
    }), { numRuns: 2000 });
  });

  it('agrees with its encoder on single entries of every kind', () => {
    fc.assert(fc.property(entryBytes, (entry) => {
      expect(decodeZiplist(encodeZiplist([entry]))).toEqual([entry]);
    }));
  });
});
