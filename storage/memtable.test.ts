import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { compareEntries, type Entry, type EntryIterator } from './entry.js';
import { BIG_RECORD_BYTES_MIN, Memtable, MEMTABLE_KEY_OVERHEAD_BYTES, MEMTABLE_VERSION_OVERHEAD_BYTES, SLAB_BYTES } from './memtable.js';

const label = (entry: Entry): string => `${entry.key.toString('hex')}@${entry.seq}:${entry.kind}:${entry.value.toString('hex')}:${entry.expireAtMs}`;

function drain(iterator: EntryIterator): Entry[] {
  const out: Entry[] = [];
  for (; iterator.valid(); iterator.next()) out.push(iterator.entry());
  return out;
}

/** The model: hex key -> versions, newest first. */
type Model = Map<string, Entry[]>;

function modelPut(model: Model, entry: Entry, keep: boolean): void {
  const hex = entry.key.toString('hex');
  const versions = keep ? [...(model.get(hex) ?? []), entry].sort(compareEntries) : [entry];
  model.set(hex, versions);
}

function modelEntries(model: Model): Entry[] {
  return [...model.values()].flat().sort(compareEntries);
}

interface PutOp { key: Uint8Array; kind: 'put' | 'delete'; value: Uint8Array; expireAtMs: number; keep: boolean }
const putOpArbitrary: fc.Arbitrary<PutOp> = fc.record({
  key: fc.oneof(fc.uint8Array({ maxLength: 3 }), fc.constantFrom(new Uint8Array([0xff, 0xff]), new Uint8Array(), new Uint8Array([0x80]))),
  kind: fc.constantFrom('put' as const, 'put' as const, 'delete' as const),
  value: fc.uint8Array({ maxLength: 8 }),
  expireAtMs: fc.constantFrom(0, 0, 1_700_000_000_000),
  keep: fc.boolean(),
});

function toEntry(op: PutOp, seq: number): Entry {
  const value = op.kind === 'delete' ? Buffer.alloc(0) : Buffer.from(op.value);
  return { key: Buffer.from(op.key), seq, kind: op.kind, value, expireAtMs: op.expireAtMs };
}

describe('Memtable', () => {
  it('matches a Map model for get, snapshot get and ordered iteration', () => {
    fc.assert(
      fc.property(fc.array(putOpArbitrary, { maxLength: 120 }), fc.array(fc.nat(130), { maxLength: 10 }), fc.constantFrom(1, 3, 2048), (ops, snapshots, tail) => {
        const table = new Memtable(tail);
        const model: Model = new Map();
        ops.forEach((op, index) => {
          const entry = toEntry(op, index + 1);
          table.put(entry, op.keep);
          modelPut(model, entry, op.keep);
        });
        const iterator = table.iterator();
        iterator.seekToFirst();
        expect(drain(iterator).map(label)).toEqual(modelEntries(model).map(label));
        expect(table.entryCount()).toBe(modelEntries(model).length);
        for (const versions of model.values()) {
          const key = versions[0]!.key;
          expect(label(table.get(key)!)).toBe(label(versions[0]!));
          for (const snapshot of snapshots) {
            const visible = versions.find((version) => version.seq <= snapshot);
            expect(table.get(key, snapshot) && label(table.get(key, snapshot)!)).toBe(visible && label(visible));
          }
        }
        expect(table.get(Buffer.from([1, 2, 3, 4]))).toBeUndefined();
      }),
    );
  });

  it('seeks to the newest version of the first key >= the target', () => {
    fc.assert(
      fc.property(fc.array(putOpArbitrary, { maxLength: 80 }), fc.uint8Array({ maxLength: 3 }), fc.constantFrom(1, 3, 2048), (ops, probe, tail) => {
        const table = new Memtable(tail);
        const model: Model = new Map();
        ops.forEach((op, index) => {
          const entry = toEntry(op, index + 1);
          table.put(entry, op.keep);
          modelPut(model, entry, op.keep);
        });
        const target = Buffer.from(probe);
        const iterator = table.iterator();
        iterator.seek(target);
        const expected = modelEntries(model).filter((entry) => Buffer.compare(entry.key, target) >= 0);
        expect(drain(iterator).map(label)).toEqual(expected.map(label));
      }),
    );
  });

  it('keeps iterating correctly when puts land between next() calls', () => {
    fc.assert(
      fc.property(fc.array(putOpArbitrary, { maxLength: 60 }), fc.array(putOpArbitrary, { maxLength: 60 }), fc.constantFrom(1, 2, 5, 2048), (before, during, tail) => {
        const table = new Memtable(tail);
        let seq = 0;
        for (const op of before) table.put(toEntry(op, ++seq), op.keep);
        const initial = drainFromFirst(table);
        const iterator = table.iterator();
        iterator.seekToFirst();
        const seen: Entry[] = [];
        let pending = 0;
        while (iterator.valid()) {
          seen.push(iterator.entry());
          const op = during[pending++];
          if (op !== undefined) table.put(toEntry(op, ++seq), op.keep);
          iterator.next();
        }
        for (let index = 1; index < seen.length; index++) expect(compareEntries(seen[index - 1]!, seen[index]!)).toBeLessThan(0);
        // Every version present from start to end was yielded.
        const final = new Set(drainFromFirst(table).map(label));
        const seenLabels = new Set(seen.map(label));
        for (const entry of initial) if (final.has(label(entry))) expect(seenLabels.has(label(entry))).toBe(true);
      }),
    );
  });

  it('re-seeks correctly after puts merge the tail mid-iteration', () => {
    const table = new Memtable();
    const key = (value: number): Buffer => {
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32BE(value);
      return buffer;
    };
    let seq = 0;
    for (let index = 0; index < 3000; index++) table.put({ key: key(index * 2), seq: ++seq, kind: 'put', value: Buffer.alloc(0), expireAtMs: 0 }, false);
    const iterator = table.iterator();
    iterator.seekToFirst();
    const seen: number[] = [];
    let state = 7;
    while (iterator.valid()) {
      seen.push(iterator.entry().key.readUInt32BE());
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      table.put({ key: key((state % 6000) | 1), seq: ++seq, kind: 'put', value: Buffer.alloc(0), expireAtMs: 0 }, true);
      iterator.next();
    }
    for (let index = 1; index < seen.length; index++) expect(seen[index]!).toBeGreaterThanOrEqual(seen[index - 1]!);
    const evens = seen.filter((value) => value % 2 === 0);
    expect(evens).toEqual(Array.from({ length: 3000 }, (_, index) => index * 2));
  });

  it('copies key and value on put', () => {
    const table = new Memtable();
    const key = Buffer.from('key');
    const value = Buffer.from('value');
    table.put({ key, seq: 1, kind: 'put', value, expireAtMs: 0 }, false);
    key.fill(0);
    value.fill(0);
    const found = table.get(Buffer.from('key'));
    expect(found?.value.toString()).toBe('value');
    expect(found?.key.toString()).toBe('key');
  });

  it('keeps older versions only when asked, and counts the bytes of every version stored', () => {
    const table = new Memtable();
    const key = Buffer.from('k');
    table.put({ key, seq: 1, kind: 'put', value: Buffer.from('aaaa'), expireAtMs: 0 }, false);
    const one = 1 + MEMTABLE_KEY_OVERHEAD_BYTES + 4 + MEMTABLE_VERSION_OVERHEAD_BYTES;
    expect(table.approximateBytes()).toBe(one);
    table.put({ key, seq: 2, kind: 'put', value: Buffer.from('bb'), expireAtMs: 0 }, true);
    expect(table.entryCount()).toBe(2);
    expect(table.approximateBytes()).toBe(one + 2 + MEMTABLE_VERSION_OVERHEAD_BYTES);
    expect(table.get(key, 1)?.value.toString()).toBe('aaaa');
    table.put({ key, seq: 3, kind: 'delete', value: Buffer.alloc(0), expireAtMs: 0 }, false);
    expect(table.entryCount()).toBe(1);
    expect(table.keyCount()).toBe(1);
    // replaced versions keep their arena bytes until the table is dropped
    expect(table.approximateBytes()).toBe(one + 2 + 2 * MEMTABLE_VERSION_OVERHEAD_BYTES);
    expect(table.get(key)?.kind).toBe('delete');
    expect(table.get(key, 2)).toBeUndefined();
  });

  it('refuses a put that would replace a newer version', () => {
    const table = new Memtable();
    table.put({ key: Buffer.from('k'), seq: 5, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 }, false);
    expect(() => table.put({ key: Buffer.from('k'), seq: 4, kind: 'put', value: Buffer.from('v'), expireAtMs: 0 }, false)).toThrow();
  });

  it('stores values of every size, big ones in slabs of their own', () => {
    const table = new Memtable();
    const sizes = [0, 1, 47, 48, 49, 1000, BIG_RECORD_BYTES_MIN - 1, BIG_RECORD_BYTES_MIN, SLAB_BYTES - 10, SLAB_BYTES + 5];
    sizes.forEach((size, index) => {
      const value = Buffer.alloc(size, index + 1);
      table.put({ key: Buffer.alloc(size % 300, index), seq: index + 1, kind: 'put', value, expireAtMs: 0 }, false);
    });
    sizes.forEach((size, index) => {
      const found = table.get(Buffer.alloc(size % 300, index));
      expect(found?.value.equals(Buffer.alloc(size, index + 1))).toBe(true);
    });
    expect(drainFromFirst(table).map((entry) => entry.value.length).sort((a, b) => a - b)).toEqual([...sizes].sort((a, b) => a - b));
  });

  it('finds every key, old and new, while its hash table doubles', () => {
    const table = new Memtable();
    const keyOf = (index: number): Buffer => Buffer.from(`key-${(index * 7919) % 10_007}`);
    for (let index = 0; index < 10_000; index++) {
      table.put({ key: keyOf(index), seq: index + 1, kind: 'put', value: Buffer.from([index & 0xff]), expireAtMs: 0 }, false);
      // the key just added, one added long before (maybe not yet moved to the new table), one never added
      expect(table.get(keyOf(index))?.seq).toBe(index + 1);
      const older = (index * 31) % (index + 1);
      expect(table.get(keyOf(older))?.seq).toBe(older + 1);
      expect(table.get(Buffer.from(`absent-${index}`))).toBeUndefined();
    }
    // a put to an existing key finds its node (no second node for the same key)
    for (let index = 0; index < 10_000; index += 97) {
      table.put({ key: keyOf(index), seq: 20_000 + index, kind: 'delete', value: Buffer.alloc(0), expireAtMs: 0 }, false);
    }
    expect(table.keyCount()).toBe(10_000);
    expect(table.entryCount()).toBe(10_000);
    expect(table.get(keyOf(97))?.kind).toBe('delete');
  });

  it('hands its arrays to a new memtable only when unpinned, and the new one behaves as a fresh one', () => {
    const keyOf = (index: number): Buffer => Buffer.from(`key-${(index * 7919) % 30_011}`);
    const put = (table: Memtable, index: number, seq: number): void =>
      table.put({ key: keyOf(index), seq, kind: index % 9 === 0 ? 'delete' : 'put', value: index % 9 === 0 ? Buffer.alloc(0) : Buffer.from([index & 0xff]), expireAtMs: 0 }, index % 5 === 0);
    const retired = new Memtable();
    for (let index = 0; index < 5_000; index++) put(retired, index, index + 1);
    const kept = retired.get(keyOf(1))!; // handed out before: its bytes live in a slab, not in the arrays
    retired.pin();
    expect(retired.takeArrays()).toBeUndefined(); // a scan still reads it
    retired.unpin();
    const arrays = retired.takeArrays();
    expect(arrays).toBeDefined();
    expect(retired.keyCount()).toBe(0); // an empty table now, with arrays of its own
    expect(retired.get(keyOf(1))).toBeUndefined();
    expect(kept.value).toEqual(Buffer.from([1]));
    const recycled = new Memtable(undefined, arrays);
    const fresh = new Memtable();
    expect(recycled.get(keyOf(1))).toBeUndefined();
    for (let index = 0; index < 12_000; index++) { // past the recycled arrays' size: they grow again
      put(recycled, index, 100_000 + index);
      put(fresh, index, 100_000 + index);
      if (index % 1000 === 0) expect(recycled.get(keyOf(index >>> 1))).toEqual(fresh.get(keyOf(index >>> 1)));
    }
    expect(recycled.keyCount()).toBe(fresh.keyCount());
    expect(recycled.entryCount()).toBe(fresh.entryCount());
    const first = recycled.iterator();
    const second = fresh.iterator();
    first.seekToFirst();
    second.seekToFirst();
    expect(drain(first).map(label)).toEqual(drain(second).map(label));
    const small = new Memtable();
    small.put({ key: Buffer.from('a'), seq: 1, kind: 'put', value: Buffer.from('1'), expireAtMs: 0 }, false);
    const reused = new Memtable(undefined, small.takeArrays());
    expect(reused.get(Buffer.from('a'))).toBeUndefined(); // a recycled table starts empty, whatever its size
  });

  it('trims arrays sized for a full table to what it holds, and reads, iterates and grows as before', () => {
    const keyOf = (index: number): Buffer => Buffer.from(`key-${(index * 7919) % 300_007}`);
    const put = (table: Memtable, index: number, seq: number): void =>
      table.put({ key: keyOf(index), seq, kind: 'put', value: Buffer.from([index & 0xff]), expireAtMs: 0 }, index % 5 === 0);
    const full = new Memtable();
    for (let index = 0; index < 100_000; index++) put(full, index, index + 1);
    const recycled = new Memtable(undefined, full.takeArrays());
    const fresh = new Memtable();
    const iterator = recycled.iterator();
    for (let index = 0; index < 30_000; index++) {
      put(recycled, index, 300_000 + index);
      put(fresh, index, 300_000 + index);
      if (index === 10) iterator.seekToFirst(); // an iterator open across the trim goes on
    }
    const before = recycled.residentBytes().indexBytes;
    const released = recycled.trimArrays();
    expect(released).toBeGreaterThan(4 * 1024 * 1024);
    expect(recycled.residentBytes().indexBytes).toBe(before - released);
    expect(recycled.trimArrays()).toBe(0); // nothing left to trim
    expect(drain(iterator).length).toBeGreaterThan(0);
    for (let index = 0; index < 30_000; index += 101) expect(recycled.get(keyOf(index))).toEqual(fresh.get(keyOf(index)));
    for (let index = 30_000; index < 60_000; index++) { // past the trimmed arrays' size: they grow again
      put(recycled, index, 300_000 + index);
      put(fresh, index, 300_000 + index);
    }
    expect(recycled.keyCount()).toBe(fresh.keyCount());
    for (let index = 0; index < 60_000; index += 97) expect(recycled.get(keyOf(index))).toEqual(fresh.get(keyOf(index)));
    expect(drainFromFirst(recycled).map(label)).toEqual(drainFromFirst(fresh).map(label));
    const retired = new Memtable();
    retired.takeArrays();
    expect(retired.trimArrays()).toBe(0);
  });

  it('orders many keys through several merges of the tail', () => {
    const table = new Memtable();
    const keys: Buffer[] = [];
    let state = 12345;
    for (let index = 0; index < 20_000; index++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const key = Buffer.alloc(4);
      key.writeUInt32BE(state);
      keys.push(key);
      table.put({ key, seq: index + 1, kind: 'put', value: Buffer.from([index & 0xff]), expireAtMs: 0 }, false);
    }
    const expected = [...new Set(keys.map((key) => key.toString('hex')))].sort();
    expect(drainFromFirst(table).map((entry) => entry.key.toString('hex'))).toEqual(expected);
    for (const key of keys.slice(0, 1000)) expect(table.get(key)?.key.equals(key)).toBe(true);
  });

  it('orders runs of ascending and descending keys with a long shared prefix, mixed with others', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ order: fc.constantFrom(-1, 1, 0), length: fc.integer({ min: 1, max: 40 }), start: fc.nat(1000) }), { maxLength: 12 }),
        fc.constantFrom(1, 3, 64, 2048),
        (runs, tailNodesMax) => {
          const table = new Memtable(tailNodesMax);
          const hexes = new Set<string>();
          let seq = 1;
          for (const [runIndex, run] of runs.entries()) {
            for (let step = 0; step < run.length; step++) {
              const key = Buffer.alloc(21, 0xee); // 21 bytes as a list element key: equal up to the index
              key.writeUInt32BE(runIndex % 3, 9);
              const index = run.order === 0 ? (run.start * 7919 + step * 104729) % 5000 : run.start + run.order * step;
              key.writeUInt32BE(index >>> 0, 17);
              hexes.add(key.toString('hex'));
              table.put({ key, seq: seq++, kind: 'put', value: Buffer.from([step & 0xff]), expireAtMs: 0 }, false);
            }
          }
          expect(drainFromFirst(table).map((entry) => entry.key.toString('hex'))).toEqual([...hexes].sort());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('seeks alike before and after it samples main, and after merges change main, keys sharing long prefixes or not', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 18 }), { minLength: 1, maxLength: 300 }), fc.array(fc.uint8Array({ maxLength: 18 }), { maxLength: 40 }), fc.nat(16), (suffixes, targets, shared) => {
        const prefix = Buffer.alloc(shared, 7); // up to 16 bytes every key shares, as a sorted set's elements share 12
        const table = new Memtable(8); // a tiny tail: main takes most keys and changes often
        const keys = new Map<string, Buffer>();
        const check = (): void => {
          const sorted = [...keys.values()].sort(Buffer.compare);
          for (const target of [...targets, ...suffixes.slice(0, 20)].map((bytes) => Buffer.concat([prefix, bytes]))) {
            const expected = sorted.findIndex((key) => Buffer.compare(key, target) >= 0);
            const iterator = table.iterator();
            iterator.seek(target);
            expect(iterator.valid() ? iterator.entry().key.toString('hex') : undefined).toBe(expected < 0 ? undefined : sorted[expected]!.toString('hex'));
          }
        };
        suffixes.forEach((suffix, index) => {
          const key = Buffer.concat([prefix, suffix]);
          keys.set(key.toString('hex'), key);
          table.put({ key, seq: index + 1, kind: 'put', value: Buffer.alloc(0), expireAtMs: 0 }, false);
          if (index % 97 === 0) for (let round = 0; round < 8; round++) check(); // enough seeks for the samples to be taken
        });
        for (let round = 0; round < 8; round++) check();
      }),
      { numRuns: 200 },
    );
  });

  it('orders and seeks keys sharing 0 to 24 bytes as Buffer.compare does, through the prefix words and past them', () => {
    // bytes from a small alphabet (0x00, 0x01, 0x7f, 0x80, 0xff) so that keys tie on whole words, differ
    // in one byte of a word, and end inside one (zero-padded); element-like keys tie on bytes 0..7
    const byte = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff);
    const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.array(byte, { maxLength }).map((array) => Buffer.from(array));
    fc.assert(
      fc.property(fc.nat(24), fc.array(bytes(14), { minLength: 1, maxLength: 200 }), fc.array(bytes(14), { maxLength: 20 }), fc.constantFrom(1, 3, 64, 2048), (shared, suffixes, targets, tailNodesMax) => {
        const prefix = Buffer.alloc(shared, 0xff).fill(0, Math.min(4, shared), Math.min(8, shared)); // as an element key: 0xffffffff, then a version's zero high half
        const table = new Memtable(tailNodesMax);
        const keys = new Map<string, Buffer>();
        const check = (): void => {
          const sorted = [...keys.values()].sort(Buffer.compare);
          expect(drainFromFirst(table).map((entry) => entry.key.toString('hex'))).toEqual(sorted.map((key) => key.toString('hex')));
          for (const target of [...targets, ...suffixes.slice(0, 10)].map((suffix) => Buffer.concat([prefix, suffix]))) {
            const expected = sorted.find((key) => Buffer.compare(key, target) >= 0);
            const iterator = table.iterator();
            iterator.seek(target);
            expect(iterator.valid() ? iterator.entry().key.toString('hex') : undefined).toBe(expected?.toString('hex'));
          }
        };
        suffixes.forEach((suffix, index) => {
          const key = Buffer.concat([prefix, suffix]);
          keys.set(key.toString('hex'), key);
          table.put({ key, seq: index + 1, kind: 'put', value: Buffer.alloc(0), expireAtMs: 0 }, false);
          if (index % 61 === 0) check();
        });
        for (let round = 0; round < 8; round++) check(); // enough seeks for main's samples to be taken
      }),
      { numRuns: 300 },
    );
  });

  it('orders time series raw sample keys put interleaved over many series as Buffer.compare does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.nat(2 ** 24), { minLength: 1, maxLength: 40 }), fc.nat(3), fc.constantFrom(1, 3, 64, 2048), (ticks, versions, generation, tailNodesMax) => {
        const table = new Memtable(tailNodesMax);
        const keys = new Map<string, Buffer>();
        let seq = 1;
        for (let tick = 0; tick < ticks; tick++) {
          for (const version of versions) {
            // [0xffffffff][version u64][kind 2][generation u32][ts u64], as series.ts's rawKey
            const key = Buffer.alloc(25);
            key.writeUInt32BE(0xffffffff, 0);
            key.writeUInt32BE(version, 8);
            key[12] = 2;
            key.writeUInt32BE(generation + (tick % 3) * 0x100, 13); // generations differing in byte 15, the last word's
            key.writeUInt32BE(1_451_606_400 + tick * ((version % 7) + 1), 21); // series step at different rates
            keys.set(key.toString('hex'), key);
            table.put({ key, seq: seq++, kind: 'put', value: Buffer.alloc(8), expireAtMs: 0 }, false);
          }
        }
        const sorted = [...keys.values()].sort(Buffer.compare);
        expect(drainFromFirst(table).map((entry) => entry.key.toString('hex'))).toEqual(sorted.map((key) => key.toString('hex')));
        const iterator = table.iterator();
        for (const key of sorted.filter((_, index) => index % 17 === 0)) {
          iterator.seek(key);
          expect(iterator.entry().key.equals(key)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('Memtable tail sorted at reads', () => {
  it('puts 200 series\' samples tick by tick with about one key compare a put: appended to the tail, sorted in groups', () => {
    const table = new Memtable(4096);
    const compares = vi.spyOn(Memtable.prototype, 'compareNodes');
    let seq = 1;
    const keys: Buffer[] = [];
    for (let tick = 0; tick < 40; tick++) {
      for (let series = 0; series < 200; series++) {
        const key = Buffer.alloc(25); // [0xffffffff][version u64][kind 2][generation u32][ts u64], as series.ts's rawKey
        key.writeUInt32BE(0xffffffff, 0);
        key.writeUInt32BE(1000 + series, 8);
        key[12] = 2;
        key.writeUInt32BE(1_451_606_400 + tick * 10, 21);
        keys.push(key);
        table.put({ key, seq: seq++, kind: 'put', value: Buffer.alloc(8), expireAtMs: 0 }, false);
      }
    }
    const perPut = compares.mock.calls.length / keys.length;
    compares.mockRestore();
    expect(drainFromFirst(table).map((entry) => entry.key.toString('hex'))).toEqual(keys.map((key) => key.toString('hex')).sort());
    expect(perPut).toBeLessThan(2); // a binary insertion into the tail took ~12, the last few reading the arena
  });

  it('reads in order between any number of puts: a few placed one by one, more sorted and merged into the sorted part', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ puts: fc.array(fc.tuple(fc.nat(5), fc.nat(40)), { minLength: 1, maxLength: 30 }), seek: fc.nat(40), walkSteps: fc.nat(6) }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(4, 16, 64, 4096),
        (rounds, tailNodesMax) => {
          const table = new Memtable(tailNodesMax);
          const keys = new Map<string, Buffer>();
          const keyOf = (group: number, index: number): Buffer => {
            const key = Buffer.alloc(21, 0xee); // groups tie on 16 bytes, as a list's or a series' elements
            key.writeUInt32BE(group, 8);
            key.writeUInt32BE(index, 17);
            return key;
          };
          let seq = 1;
          const walking = table.iterator(); // survives the puts between its steps
          walking.seekToFirst();
          for (const { puts, seek, walkSteps } of rounds) {
            for (const [group, index] of puts) {
              const key = keyOf(group, index);
              keys.set(key.toString('hex'), key);
              table.put({ key, seq: seq++, kind: 'put', value: Buffer.alloc(0), expireAtMs: 0 }, false);
            }
            const sorted = [...keys.keys()].sort();
            const iterator = table.iterator();
            const target = keyOf(seek % 6, seek);
            iterator.seek(target);
            expect(iterator.valid() ? iterator.entry().key.toString('hex') : undefined).toBe(sorted.find((hex) => hex >= target.toString('hex')));
            for (let step = 0; step < walkSteps && walking.valid(); step++) {
              const before = walking.entry().key.toString('hex');
              walking.next();
              if (walking.valid()) expect(walking.entry().key.toString('hex') > before).toBe(true);
            }
          }
          expect(drainFromFirst(table).map((entry) => entry.key.toString('hex'))).toEqual([...keys.keys()].sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});

function drainFromFirst(table: Memtable): Entry[] {
  const iterator = table.iterator();
  iterator.seekToFirst();
  return drain(iterator);
}
