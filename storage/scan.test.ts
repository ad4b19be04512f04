import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrayEntryIterator, compareEntries, type Entry, type EntryIterator } from './entry.js';
import { ScanCursor } from './scan.js';

/** Keys that share long prefixes (as a sorted set's index keys do) and keys that leave them early. */
const keyArbitrary = fc
  .tuple(fc.constantFrom('', 'ab', 'abcdefghijkl', 'abcdefghijkm', 'abcdefghijkl\x00\x00', 'abd'), fc.uint8Array({ maxLength: 6 }))
  .map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix, 'latin1'), tail]));

/** Children: each a sorted run of distinct keys; a key may sit in several children at different seqs. */
const childrenArbitrary = fc.array(fc.array(fc.tuple(keyArbitrary, fc.boolean()), { maxLength: 30 }), { minLength: 1, maxLength: 5 });

function scanAll(children: Entry[][], start: Buffer | undefined, end: Buffer | undefined): string[] {
  const cursor = new ScanCursor(
    { iterators: children.map((entries) => new ArrayEntryIterator(entries)), snapshotSeq: Number.MAX_SAFE_INTEGER, release: () => undefined },
    { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) },
  );
  const keys: string[] = [];
  for (let item = cursor.next(); item !== undefined; item = cursor.next()) keys.push(item.key.toString('hex'));
  return keys;
}

describe('ScanCursor', () => {
  it('merges children in key order, newest version deciding, within [start, end), prefixes shared or not', () => {
    fc.assert(
      fc.property(childrenArbitrary, fc.option(keyArbitrary, { nil: undefined }), fc.option(keyArbitrary, { nil: undefined }), (raw, start, end) => {
        let seq = 1;
        const newest = new Map<string, Entry>();
        const children = raw.map((pairs) => {
          const byKey = new Map(pairs.map(([key, live]) => [key.toString('hex'), { key, live }]));
          const entries = [...byKey.values()].map(({ key, live }): Entry => {
            const entry: Entry = { key, seq: seq++, kind: live ? 'put' : 'delete', value: live ? Buffer.from('v') : Buffer.alloc(0), expireAtMs: 0 };
            const name = key.toString('hex');
            if ((newest.get(name)?.seq ?? 0) < entry.seq) newest.set(name, entry);
            return entry;
          });
          return entries.sort(compareEntries);
        });
        const expected = [...newest.values()]
          .filter((entry) => entry.kind === 'put')
          .filter((entry) => (start === undefined || Buffer.compare(entry.key, start) >= 0) && (end === undefined || Buffer.compare(entry.key, end) < 0))
          .map((entry) => entry.key)
          .sort(Buffer.compare)
          .map((key) => key.toString('hex'));
        expect(scanAll(children, start, end)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('positions a child by seekBelow when the scan has an end, and skips a child it leaves invalid', () => {
    const entry = (key: string, seq: number): Entry => ({ key: Buffer.from(key, 'latin1'), seq, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 });
    const calls: string[] = [];
    /** An ArrayEntryIterator whose seekBelow says "nothing here" (as a table whose next block starts past end does). */
    const noneBelow = (entries: Entry[]): EntryIterator => {
      const inner = new ArrayEntryIterator(entries);
      return Object.assign(inner, {
        seekBelow(key: Buffer, end: Buffer): void {
          calls.push(`${key.toString('latin1')}..${end.toString('latin1')}`);
          inner.seek(Buffer.from([0xff, 0xff])); // past every entry: invalid
        },
      });
    };
    const cursor = new ScanCursor(
      { iterators: [new ArrayEntryIterator([entry('k1', 1), entry('k3', 2)]), noneBelow([entry('k2', 3), entry('z', 4)])], snapshotSeq: 10, release: () => undefined },
      { start: Buffer.from('k'), end: Buffer.from('l') },
    );
    const keys: string[] = [];
    for (let item = cursor.next(); item !== undefined; item = cursor.next()) keys.push(item.key.toString('latin1'));
    expect(calls).toEqual(['k..l']);
    expect(keys).toEqual(['k1', 'k3']); // k2 is not seen: the child said it holds nothing below end
  });

  it('stops at end although a child past the shared prefix sorts first by its words', () => {
    // [start, end) shares 'abcdefghijkl'; a head 'abd...' leaves that prefix (it is past end) while
    // a head inside the range still comes: the heads inside must all come before it
    const inside = (tail: string): Entry => ({ key: Buffer.from(`abcdefghijkl${tail}`, 'latin1'), seq: 1, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 });
    const past: Entry = { key: Buffer.from('abd', 'latin1'), seq: 2, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 };
    const keys = scanAll([[past], [inside('\x00'), inside('\x01\x02')]], Buffer.from('abcdefghijkl', 'latin1'), Buffer.from('abcdefghijkm', 'latin1'));
    expect(keys).toEqual([inside('\x00').key.toString('hex'), inside('\x01\x02').key.toString('hex')]);
  });
});

describe('ScanCursor with lower bounds (children seeked when the merge reaches them)', () => {
  /** One reused cursor for every lazy read: open() after close() starts afresh. */
  const reused = new ScanCursor();

  /** Children of random runs at distinct seqs; bound i: undefined, child i's first key, or a key below it. */
  /** Few keys, so one key is often in several children and a bound often equals a key another child holds. */
  const fewKeys = fc.constantFrom(...['', 'ab', 'abcdefghijkl', 'abcdefghijkl\x00', 'abcdefghijkl\x01', 'abcdefghijkm', 'abd'].map((key) => Buffer.from(key, 'latin1')));
  const setArbitrary = fc.record({
    raw: fc.array(fc.array(fc.tuple(fc.oneof(fewKeys, keyArbitrary), fc.boolean()), { maxLength: 12 }), { minLength: 1, maxLength: 5 }),
    seqOrder: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    boundKinds: fc.array(fc.constantFrom('none', 'first', 'below'), { minLength: 5, maxLength: 5 }),
    snapshotFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    start: fc.option(fc.oneof(fewKeys, keyArbitrary), { nil: undefined, freq: 2 }),
    after: fc.option(fc.oneof(fewKeys, keyArbitrary), { nil: undefined, freq: 2 }),
    end: fc.option(fc.oneof(fewKeys, keyArbitrary), { nil: undefined, freq: 2 }),
    limit: fc.integer({ min: 0, max: 40 }),
  });

  /** Each child's distinct keys at distinct seqs, handed out in seqOrder's order (so any child may hold the newest version). */
  function build(raw: [Buffer, boolean][][], seqOrder: number[]): Entry[][] {
    const total = raw.reduce((sum, pairs) => sum + pairs.length, 0);
    const seqs = Array.from({ length: total }, (_, index) => index + 1).sort((a, b) => (seqOrder[a % 60]! - seqOrder[b % 60]!) || a - b);
    let next = 0;
    return raw.map((pairs) => {
      const byKey = new Map(pairs.map(([key, live]) => [key.toString('hex'), { key, live }]));
      return [...byKey.values()]
        .map(({ key, live }): Entry => {
          const seq = seqs[next++]!;
          return { key, seq, kind: live ? 'put' : 'delete', value: Buffer.from(`v${seq}`), expireAtMs: 0 };
        })
        .sort(compareEntries);
    });
  }

  function read(cursor: ScanCursor, limit: number): string[] {
    const items: string[] = [];
    for (let item = cursor.next(); item !== undefined && items.length < limit; item = cursor.next()) items.push(`${item.key.toString('hex')}=${item.value.toString()}`);
    cursor.close();
    return items;
  }

  it('reads what a cursor seeking every child at once reads, for any bounds, range, snapshot and page', () => {
    fc.assert(
      fc.property(setArbitrary, ({ raw, seqOrder, boundKinds, snapshotFraction, start, after, end, limit }) => {
        const children = build(raw, seqOrder);
        const snapshotSeq = Math.floor(snapshotFraction * (children.flat().length + 1));
        const smallestKeys = children.map((entries, index) => {
          const first = entries[0]?.key;
          const kind = boundKinds[index];
          if (first === undefined || kind === 'none') return undefined;
          return kind === 'first' || first.length === 0 ? first : first.subarray(0, first.length - 1);
        });
        const options = { ...(start === undefined ? {} : { start }), ...(after === undefined ? {} : { after }), ...(end === undefined ? {} : { end }) };
        const iterators = () => children.map((entries) => new ArrayEntryIterator(entries));
        const eager = read(new ScanCursor({ iterators: iterators(), snapshotSeq, release: () => undefined }, options), limit);
        const lazy = read(reused.open({ iterators: iterators(), snapshotSeq, smallestKeys, release: () => undefined }, options), limit);
        expect(lazy).toEqual(eager);
      }),
      { numRuns: 1000 },
    );
  });

  it('seeks a child whose bound is at or past end never, and one past the page only when the page reaches it', () => {
    const entry = (key: string, seq: number): Entry => ({ key: Buffer.from(key, 'latin1'), seq, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 });
    const seeks: number[] = [];
    const counted = (index: number, entries: Entry[]): EntryIterator => {
      const inner = new ArrayEntryIterator(entries);
      const seek = inner.seek.bind(inner);
      return Object.assign(inner, { seek: (key: Buffer) => { seeks.push(index); seek(key); } });
    };
    const children = [[entry('a1', 1), entry('a2', 2)], [entry('b1', 3)], [entry('c1', 4)], [entry('a1', 5)]];
    const cursor = new ScanCursor(
      { iterators: children.map((entries, index) => counted(index, entries)), snapshotSeq: 10, smallestKeys: [undefined, Buffer.from('b1'), Buffer.from('c'), Buffer.from('a1')], release: () => undefined },
      { start: Buffer.from('a'), end: Buffer.from('c') },
    );
    expect(cursor.next()).toMatchObject({ key: Buffer.from('a1') });
    expect(seeks).toEqual([0, 3]); // child 3 (bound a1) before a1 leaves the heap: it holds the newer a1
    expect(cursor.next()?.key.toString()).toBe('a2');
    expect(seeks).toEqual([0, 3]);
    expect(cursor.next()?.key.toString()).toBe('b1');
    expect(cursor.next()).toBeUndefined();
    expect(seeks).toEqual([0, 3, 1]); // child 2 (bound c, the end) never
  });
});
