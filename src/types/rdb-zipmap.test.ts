// src/types/rdb-zipmap.test.ts: the zipmap codec against the zipmap Redis wrote (the hash of
// Redis's tests/assets/hash-zipmap.rdb, RDB version 3), round trips, and damage that must be
// refused, never thrown on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { damaged, entryBytes } from '../../test/helpers/rdb-arbitraries.js';
import { decodeZipmap, encodeZipmap } from './rdb-zipmap.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const texts = (entries: Buffer[] | undefined) => entries?.map((entry) => entry.toString('latin1'));
const pairLists = fc.array(fc.tuple(entryBytes, entryBytes), { minLength: 1, maxLength: 20 }).map((pairs) => pairs.flat());

/** hash-zipmap.rdb: the RDB string after the type byte 9 and the key. */
const ZIPMAP_REDIS = '02' + '026631' + '0200' + '7631' + '026632' + '0200' + '7632' + 'ff';

describe('decodeZipmap', () => {
  it('reads the zipmap Redis wrote, and writes the same bytes', () => {
    expect(texts(decodeZipmap(hex(ZIPMAP_REDIS)))).toEqual(['f1', 'v1', 'f2', 'v2']);
    expect(encodeZipmap(['f1', 'v1', 'f2', 'v2'].map((text) => Buffer.from(text))).toString('hex')).toBe(ZIPMAP_REDIS);
  });

  it('returns the pairs encodeZipmap was given, long lengths included', () => {
    fc.assert(fc.property(pairLists, (pairs) => {
      expect(decodeZipmap(encodeZipmap(pairs))).toEqual(pairs);
    }), { numRuns: 100 });
  });

  it('skips free bytes after a value, and reads a count of 254 as unknown', () => {
    expect(texts(decodeZipmap(hex('01' + '0161' + '0102' + '62' + '0000' + 'ff')))).toEqual(['a', 'b']);
    expect(texts(decodeZipmap(hex('fe' + '0161' + '0100' + '62' + 'ff')))).toEqual(['a', 'b']);
  });

  it('refuses no pairs, a wrong count, a pair past the end, and a short length written long', () => {
    expect(decodeZipmap(hex('00ff'))).toBeUndefined();
    expect(decodeZipmap(hex('02' + '0161' + '0100' + '62' + 'ff'))).toBeUndefined();
    expect(decodeZipmap(hex('01' + '0561' + '0100' + '62' + 'ff'))).toBeUndefined();
    expect(decodeZipmap(hex('01' + '0161' + '0109' + '62' + 'ff'))).toBeUndefined(); // free bytes past the end
    expect(decodeZipmap(hex('01' + 'fe01000000' + '61' + '0100' + '62' + 'ff'))).toBeUndefined();
    expect(decodeZipmap(hex('01' + '0161' + 'ff'))).toBeUndefined(); // a field without its value
    expect(decodeZipmap(hex('01'))).toBeUndefined();
  });

  it('never throws on damaged or random bytes', () => {
    const damagedBlobs = pairLists.map(encodeZipmap).chain(damaged);
    fc.assert(fc.property(fc.oneof(damagedBlobs, fc.uint8Array({ maxLength: 48 }).map((bytes) => Buffer.from(bytes))), (blob) => {
      const entries = decodeZipmap(blob);
      if (entries !== undefined) expect(entries.length).toBeLessThanOrEqual(blob.length);
    }), { numRuns: 2000 });
  });
});
