import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TailSorter, type TailNodes } from './memtable-tail.js';

/** Node i is keys[i]: its prefix words as memtable.ts keeps them, compareNodes as Buffer.compare. */
function nodesOf(keys: Buffer[]): TailNodes & { compares: number } {
  const word = (key: Buffer, start: number): number => {
    let value = 0;
    for (let index = start; index < start + 4; index++) value = value * 256 + (index < key.length ? key[index]! : 0);
    return value;
  };
  const nodes = {
    prefixHigh: Uint32Array.from(keys, (key) => word(key, 0)),
    prefixLow: Uint32Array.from(keys, (key) => word(key, 4)),
    prefixNext: Uint32Array.from(keys.flatMap((key) => [word(key, 8), word(key, 12)])),
    compares: 0,
    compareNodes(a: number, b: number): number {
      nodes.compares++;
      return Buffer.compare(keys[a]!, keys[b]!);
    },
  };
  return nodes;
}

/** A raw sample key as series.ts builds it: [0xffffffff][version u64][kind 2][generation u32][ts u64]. */
function rawSampleKey(version: number, ts: number): Buffer {
  const key = Buffer.alloc(25);
  key.writeUInt32BE(0xffffffff, 0);
  key.writeUInt32BE(version, 8);
  key[12] = 2;
  key.writeUInt32BE(Math.floor(ts / 2 ** 32), 17);
  key.writeUInt32BE(ts % 2 ** 32, 21);
  return key;
}

describe('TailSorter', () => {
  it('sorts as Buffer.compare does: groups tying on 16 bytes arriving ascending, descending or shuffled, and keys ending inside the words', () => {
    const byte = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff);
    const group = fc.record({
      shared: fc.array(byte, { maxLength: 20 }),
      suffixes: fc.uniqueArray(fc.array(byte, { maxLength: 6 }), { maxLength: 30, selector: (bytes) => bytes.join(',') }),
      order: fc.constantFrom('ascending', 'descending', 'shuffled'),
    });
    fc.assert(
      fc.property(fc.array(group, { minLength: 1, maxLength: 8 }), fc.nat(), fc.nat(20), (groups, seed, sortedBefore) => {
        const seen = new Set<string>();
        const streams = groups.map(({ shared, suffixes, order }) => {
          const keys = suffixes.map((suffix) => Buffer.from([...shared, ...suffix])).filter((key) => !seen.has(key.toString('hex')) && seen.add(key.toString('hex')));
          keys.sort(Buffer.compare);
          if (order === 'descending') keys.reverse();
          if (order === 'shuffled') keys.sort((a, b) => ((a[a.length - 1] ?? 0) * 31 + seed) % 7 - ((b[b.length - 1] ?? 0) * 31 + seed) % 7);
          return keys;
        });
        const keys: Buffer[] = []; // the streams interleaved, each in its own order
        for (let round = 0; streams.some((stream) => stream.length > 0); round++) {
          const stream = streams[(seed + round) % streams.length]!;
          if (stream.length > 0) keys.push(stream.shift()!);
        }
        const nodes = nodesOf(keys);
        const order = Int32Array.from({ length: keys.length + sortedBefore }, (_, index) => index - sortedBefore); // slots before `from` left alone
        new TailSorter(Math.max(1, keys.length)).sort(nodes, order, sortedBefore, order.length);
        expect(Array.from(order.subarray(0, sortedBefore))).toEqual(Array.from({ length: sortedBefore }, (_, index) => index - sortedBefore));
        const sorted = Array.from(order.subarray(sortedBefore), (node) => keys[node]!.toString('hex'));
        expect(sorted).toEqual(keys.map((key) => key.toString('hex')).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('sorts 200 series\' samples put tick by tick with about one compare per sample, not a comparison sort\'s log2 n', () => {
    const keys: Buffer[] = [];
    for (let tick = 0; tick < 20; tick++) for (let series = 0; series < 200; series++) keys.push(rawSampleKey(1000 + series, 1_451_606_400_000 + tick * 10_000));
    const nodes = nodesOf(keys);
    const order = Int32Array.from(keys, (_, index) => index);
    new TailSorter(keys.length).sort(nodes, order, 0, keys.length);
    expect(Array.from(order, (node) => keys[node]!.toString('hex'))).toEqual(keys.map((key) => key.toString('hex')).sort());
    expect(nodes.compares).toBeLessThan(1.1 * keys.length); // a merge sort: ~12 per key, each reading past byte 16
  });
});
