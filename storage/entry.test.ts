import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrayEntryIterator, compareEntries, MergingIterator, type Entry, type EntryIterator } from './entry.js';

function put(key: string, seq: number, value = ''): Entry {
  return { key: Buffer.from(key, 'latin1'), seq, kind: 'put', value: Buffer.from(value), expireAtMs: 0 };
}

function drain(iterator: EntryIterator): Entry[] {
  const out: Entry[] = [];
  for (; iterator.valid(); iterator.next()) out.push(iterator.entry());
  return out;
}

const label = (entry: Entry): string => `${entry.key.toString('hex')}@${entry.seq}`;

describe('compareEntries', () => {
  it('orders by key ascending, then seq descending', () => {
    const sorted = [put('b', 1), put('a', 1), put('a', 5), put('', 3), put('ab', 2)].sort(compareEntries);
    expect(sorted.map(label)).toEqual(['@3', '61@5', '61@1', '6162@2', '62@1']);
  });

  it('compares keys as unsigned bytes, not as strings', () => {
    const low = { ...put('', 1), key: Buffer.from([0x7f]) };
    const high = { ...put('', 1), key: Buffer.from([0x80]) };
    expect(compareEntries(low, high)).toBeLessThan(0);
  });
});

describe('MergingIterator', () => {
  // Children with distinct (key, seq) pairs spread randomly over them.
  const childrenArbitrary = fc
    .uniqueArray(fc.tuple(fc.uint8Array({ maxLength: 3 }), fc.integer({ min: 0, max: 50 })), {
      maxLength: 60,
      selector: ([key, seq]) => `${Buffer.from(key).toString('hex')}@${seq}`,
    })
    .chain((pairs) => fc.tuple(fc.constant(pairs), fc.array(fc.nat(3), { minLength: pairs.length, maxLength: pairs.length })))
    .map(([pairs, owners]) => {
      const children: Entry[][] = [[], [], [], []];
      pairs.forEach(([key, seq], index) => children[owners[index]!]!.push({ ...put('', seq), key: Buffer.from(key) }));
      return children.map((child) => child.sort(compareEntries));
    });

  it('yields the union of its children in entry order', () => {
    fc.assert(
      fc.property(childrenArbitrary, (children) => {
        const merged = new MergingIterator(children.map((child) => new ArrayEntryIterator(child)));
        merged.seekToFirst();
        const expected = children.flat().sort(compareEntries);
        expect(drain(merged).map(label)).toEqual(expected.map(label));
      }),
    );
  });

  it('seeks every child to the first entry >= the key', () => {
    fc.assert(
      fc.property(childrenArbitrary, fc.uint8Array({ maxLength: 3 }), (children, probe) => {
        const target = Buffer.from(probe);
        const merged = new MergingIterator(children.map((child) => new ArrayEntryIterator(child)));
        merged.seek(target);
        const expected = children.flat().sort(compareEntries).filter((entry) => Buffer.compare(entry.key, target) >= 0);
        expect(drain(merged).map(label)).toEqual(expected.map(label));
      }),
    );
  });

  it('puts the higher seq of one key first across children', () => {
    const older = new ArrayEntryIterator([put('k', 1, 'old'), put('z', 9)]);
    const newer = new ArrayEntryIterator([put('a', 3), put('k', 7, 'new')]);
    const merged = new MergingIterator([older, newer]);
    merged.seekToFirst();
    expect(drain(merged).map((entry) => `${entry.key.toString()}@${entry.seq}`)).toEqual(['a@3', 'k@7', 'k@1', 'z@9']);
  });

  it('breaks an exact tie by child order', () => {
    const first = new ArrayEntryIterator([put('k', 4, 'first')]);
    const second = new ArrayEntryIterator([put('k', 4, 'second')]);
    const merged = new MergingIterator([second, first]);
    merged.seekToFirst();
    expect(drain(merged).map((entry) => entry.value.toString())).toEqual(['second', 'first']);
  });

  it('is invalid with no children and after the last entry', () => {
    const none = new MergingIterator([]);
    none.seekToFirst();
    expect(none.valid()).toBe(false);
    const one = new MergingIterator([new ArrayEntryIterator([put('a', 1)])]);
    one.seek(Buffer.from('b'));
    expect(one.valid()).toBe(false);
    expect(() => one.entry()).toThrow();
  });
});

describe('ArrayEntryIterator', () => {
  it('seeks to the newest version of the first key >= the target', () => {
    const iterator = new ArrayEntryIterator([put('a', 1), put('c', 9), put('c', 2), put('d', 1)]);
    iterator.seek(Buffer.from('b'));
    expect(label(iterator.entry())).toBe('63@9');
    iterator.seek(Buffer.from('c'));
    expect(label(iterator.entry())).toBe('63@9');
  });
});
