import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrayEntryIterator, compareEntries, type Entry, type EntryIterator } from './entry.js';
import { LevelIterator, type LevelTable } from './level-iterator.js';

/** Tables over sorted runs of distinct keys, split into non-overlapping tables; opens counted. */
function levelOf(keys: Buffer[], splits: number[]): { tables: LevelTable[]; opened: number[] } {
  const sorted = [...new Map(keys.map((key) => [key.toString('hex'), key])).values()].sort(Buffer.compare);
  const entries = sorted.map((key, index): Entry => ({ key, seq: index + 1, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 })).sort(compareEntries);
  const cuts = [...new Set(splits.map((split) => split % (entries.length + 1)))].sort((a, b) => a - b);
  const runs: Entry[][] = [];
  let from = 0;
  for (const cut of [...cuts, entries.length]) {
    if (cut > from) runs.push(entries.slice(from, cut));
    from = Math.max(from, cut);
  }
  const opened: number[] = [];
  const tables = runs.map((run, index): LevelTable => ({
    meta: { smallestKey: run[0]!.key, largestKey: run[run.length - 1]!.key },
    iterator: (): EntryIterator => {
      opened.push(index);
      return new ArrayEntryIterator(run);
    },
  }));
  return { tables, opened };
}

function drain(iterator: EntryIterator): string[] {
  const keys: string[] = [];
  for (; iterator.valid(); iterator.next()) keys.push(iterator.entry().key.toString('hex'));
  return keys;
}

const keyArbitrary = fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes));

describe('LevelIterator', () => {
  it('seekBelow(key, end) positions as seek(key), or leaves the iterator invalid when no key lies in [key, end)', () => {
    fc.assert(
      fc.property(fc.array(keyArbitrary, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 }), keyArbitrary, keyArbitrary, (keys, splits, key, end) => {
        const { tables } = levelOf(keys, splits);
        const all = [...new Set(keys.map((each) => each.toString('hex')))].sort();
        const expected = all.filter((hex) => Buffer.compare(Buffer.from(hex, 'hex'), key) >= 0);
        const iterator = new LevelIterator(tables);
        iterator.seekBelow(key, end);
        // nothing in [key, end): invalid, or (a table iterator without seekBelow) positioned as seek
        if (expected.length > 0 && (Buffer.compare(Buffer.from(expected[0]!, 'hex'), end) < 0 || iterator.valid())) expect(drain(iterator)).toEqual(expected);
        else expect(iterator.valid()).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('opens no table for seekBelow when the table the key falls in starts at or past end', () => {
    const { tables, opened } = levelOf(['a1', 'a2', 'c1', 'c2', 'e1'].map((key) => Buffer.from(key)), [2, 4]);
    const iterator = new LevelIterator(tables);
    iterator.seekBelow(Buffer.from('b'), Buffer.from('c'));
    expect(iterator.valid()).toBe(false);
    expect(opened).toEqual([]);
    iterator.seekBelow(Buffer.from('b'), Buffer.from('c2'));
    expect(drain(iterator)).toEqual(['c1', 'c2', 'e1'].map((key) => Buffer.from(key).toString('hex')));
    expect(opened).toEqual([1, 2]);
  });
});
