import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOOM, bloomHash, BloomFilter } from './bloom.js';

describe('BloomFilter', () => {
  it('never misses a key it was built from', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 300 }), fc.integer({ min: 1, max: 24 }), (keys, bitsPerKey) => {
        const buffers = keys.map((key) => Buffer.from(key));
        const filter = BloomFilter.build(buffers, bitsPerKey);
        for (const key of buffers) expect(BloomFilter.mayContain(filter, key)).toBe(true);
      }),
    );
  });

  it('builds the same filter from keys and from their hashes', () => {
    const keys = Array.from({ length: 500 }, (_, index) => Buffer.from(`key${index}`));
    const fromHashes = BloomFilter.build(Uint32Array.from(keys, bloomHash), 10);
    expect(fromHashes.equals(BloomFilter.build(keys, 10))).toBe(true);
  });

  it('keeps false positives at or below 1.2% at 10 bits per key (100k in, 100k absent)', () => {
    const inserted = Array.from({ length: 100_000 }, (_, index) => Buffer.from(`user:${index}`));
    const filter = BloomFilter.build(inserted, 10);
    let falsePositives = 0;
    for (let index = 100_000; index < 200_000; index++) {
      if (BloomFilter.mayContain(filter, Buffer.from(`user:${index}`))) falsePositives++;
    }
    expect(falsePositives / 100_000).toBeLessThanOrEqual(0.012);
  });

  it('stores the probe count in its last byte, clamped to [1, 30]', () => {
    const keys = [Buffer.from('a')];
    expect(BloomFilter.build(keys, 10).at(-1)).toBe(6);
    expect(BloomFilter.build(keys, 1).at(-1)).toBe(1);
    expect(BloomFilter.build(keys, 100).at(-1)).toBe(BLOOM.PROBES_MAX);
  });

  it('uses at least 64 bits, and an empty filter contains nothing', () => {
    const empty = BloomFilter.build([], 10);
    expect(empty.length).toBe(8 + 1);
    expect(BloomFilter.mayContain(empty, Buffer.from('x'))).toBe(false);
  });

  it('reads a probe count above 30 as "may contain" and a too-short filter as empty', () => {
    expect(BloomFilter.mayContain(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 31]), Buffer.from('x'))).toBe(true);
    expect(BloomFilter.mayContain(Buffer.from([6]), Buffer.from('x'))).toBe(false);
  });

  it('keeps its hash and bit layout stable (golden bytes)', () => {
    expect(['', 'a', 'abc', 'abcd', 'hello world'].map((key) => bloomHash(Buffer.from(key)).toString(16))).toEqual([
      '3f177186', 'c550cb8f', '6d747a10', 'd76fa46f', '535a8ef9',
    ]);
    expect(BloomFilter.build([Buffer.from('a'), Buffer.from('b')], 10).toString('hex')).toBe('4281800002180c1406');
  });

  it('probes the same bits as hash % bitCount, for any hash and filter size', () => {
    const reference = (filter: Buffer, keyHash: number): boolean => {
      const probeCount = filter[filter.length - 1]!;
      const bitCount = (filter.length - 1) * 8;
      let hash = keyHash;
      const mixed = (value: number): number => {
        let h = value;
        h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
        h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        return (h ^ (h >>> 16)) >>> 0;
      };
      const delta = (mixed((hash + 0x9e3779b9) >>> 0) | 1) >>> 0;
      for (let probe = 0; probe < probeCount; probe++) {
        const bit = hash % bitCount;
        if ((filter[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
        hash = (hash + delta) >>> 0;
      }
      return true;
    };
    const big = Buffer.alloc((1 << 24) + 1, 0xff); // bitCount 2^27: large quotients and remainders
    big[big.length - 1] = 6;
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 5000 }), fc.integer({ min: 1, max: 30 }), fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 50 }), fc.nat(), (byteCount, probeCount, hashes, seed) => {
        const filter = Buffer.alloc(byteCount + 1);
        for (let index = 0; index < byteCount; index++) filter[index] = (Math.imul(index + seed, 0x9e3779b1) >>> 24) | 0x81;
        filter[byteCount] = probeCount;
        for (const hash of [...hashes, 0, 0xffffffff, byteCount * 8, byteCount * 8 - 1]) {
          expect(BloomFilter.mayContainHash(filter, hash)).toBe(reference(filter, hash));
          big[(hash >>> 3) % (big.length - 1)] = 0; // some misses in the big filter too
          expect(BloomFilter.mayContainHash(big, hash)).toBe(reference(big, hash));
        }
      }),
      { numRuns: 200 },
    );
  });
});
