import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_SLAB_BYTES, BlockCache, BlockMemory, type BlockSlots } from './block-cache.js';
import { Block, BlockBuilder } from './block.js';

function block(tag: string): Block {
  const builder = new BlockBuilder();
  builder.addEntry({ key: Buffer.from(tag), seq: 1, kind: 'put', value: Buffer.alloc(0), expireAtMs: 0 });
  return new Block(builder.finish(), `${tag}.sst`, 0);
}

const keyOf = (found: Block | undefined): string | undefined => {
  if (found === undefined) return undefined;
  const iterator = found.iterator();
  iterator.seekToFirst();
  return iterator.entry().key.toString();
};

describe('BlockCache', () => {
  it('evicts least recently used blocks once the byte budget is exceeded', () => {
    const cache = new BlockCache(300);
    cache.set(1, 0, block('a'), 100);
    cache.set(1, 100, block('b'), 100);
    cache.set(2, 0, block('c'), 100);
    expect(cache.bytes()).toBe(300);
    expect(keyOf(cache.get(1, 0))).toBe('a'); // a is now the most recent; b is the oldest
    cache.set(2, 100, block('d'), 150);
    expect(cache.get(1, 100)).toBeUndefined();
    expect(cache.get(2, 0)).toBeUndefined();
    expect(keyOf(cache.get(1, 0))).toBe('a');
    expect(keyOf(cache.get(2, 100))).toBe('d');
    expect(cache.bytes()).toBe(250);
    expect(cache.stats()).toMatchObject({ evictions: 2, blockCount: 2, bytes: 250, capacityBytes: 300, hits: 3, misses: 2 });
  });

  it('evicts down to a byte count, least recently used first, and keeps its capacity (resize changes it)', () => {
    const cache = new BlockCache(300);
    cache.set(1, 0, block('a'), 100);
    cache.set(1, 100, block('b'), 100);
    cache.set(2, 0, block('c'), 100);
    expect(keyOf(cache.get(1, 0))).toBe('a'); // b is the oldest, then c
    cache.evictDownTo(150);
    expect([cache.has(1, 100), cache.has(2, 0), cache.has(1, 0)]).toEqual([false, false, true]);
    expect(cache.stats()).toMatchObject({ evictions: 2, bytes: 100, capacityBytes: 300 });
    cache.set(1, 100, block('b'), 100);
    cache.set(2, 0, block('c'), 100);
    expect(cache.bytes()).toBe(300); // the room came back
    cache.resize(120);
    expect(cache.stats()).toMatchObject({ bytes: 100, capacityBytes: 120 });
  });

  it('answers has() without counting a hit or a miss or making the block recent', () => {
    const cache = new BlockCache(200);
    cache.set(1, 0, block('a'), 100);
    cache.set(1, 100, block('b'), 100);
    expect(cache.has(1, 0)).toBe(true);
    expect(cache.has(1, 50)).toBe(false);
    expect(cache.has(9, 0)).toBe(false);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 });
    cache.set(2, 0, block('c'), 100); // a stayed the oldest, so it goes
    expect(cache.has(1, 0)).toBe(false);
    expect(cache.has(1, 100)).toBe(true);
  });

  it("finds blocks through a reader's slot hints, and looks again when a hint went stale", () => {
    const cache = new BlockCache(300);
    const slots: BlockSlots = new Int32Array(3);
    cache.set(1, 0, block('a'), 100, slots, 0);
    cache.set(1, 100, block('b'), 100, slots, 1);
    expect(slots[0]).toBeGreaterThan(0);
    expect(keyOf(cache.get(1, 0, slots, 0))).toBe('a'); // a hit: a is now the most recent, b the oldest
    cache.set(1, 200, block('c'), 150); // evicts b; c takes a free slot, maybe b's
    expect(cache.get(1, 100, slots, 1)).toBeUndefined(); // the stale hint is checked, not trusted
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, evictions: 1 });
    // a block cached without slots gets its hint on the first get that passes them
    expect(keyOf(cache.get(1, 200, slots, 2))).toBe('c');
    expect(slots[2]).toBeGreaterThan(0);
    // a reopened reader's hints start empty and fill in
    const reopened: BlockSlots = new Int32Array(3);
    expect(keyOf(cache.get(1, 0, reopened, 0))).toBe('a');
    expect(reopened[0]).toBe(slots[0]);
    // replacing a block and dropping the file leave the hints stale, never wrong
    cache.set(1, 0, block('a2'), 100);
    expect(keyOf(cache.get(1, 0, reopened, 0))).toBe('a2');
    cache.evictFile(1);
    expect(cache.get(1, 200, slots, 2)).toBeUndefined();
    expect(cache.get(1, 0, reopened, 0)).toBeUndefined();
    expect(cache.bytes()).toBe(0);
  });

  it('agrees with a Map model (insertion order = recency) under random sets, gets, evictions and file drops', () => {
    type Model = Map<string, { tag: string; bytes: number }>; // "file:offset" in LRU order, oldest first
    const OFFSETS = [...Array.from({ length: 40 }, (_, index) => index * 4101), 2 ** 31 + 5, 2 ** 32 + 4101, 2 ** 40]; // 172 places: the slots grow past 64
    const place = fc.record({ file: fc.integer({ min: 0, max: 3 }), offset: fc.constantFrom(...OFFSETS) });
    const command = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), place, bytes: fc.integer({ min: 1, max: 120 }), hinted: fc.boolean() }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('get' as const), place, hinted: fc.boolean() }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('has' as const), place }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('evictFile' as const), file: fc.integer({ min: 0, max: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('evictDownTo' as const), bytes: fc.integer({ min: 0, max: 20_000 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('reserve' as const), bytes: fc.integer({ min: 0, max: 400 }) }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.array(command, { maxLength: 600 }), (capacity, commands) => {
        const cache = new BlockCache(capacity);
        const model: Model = new Map();
        let reserved = 0;
        let serial = 0;
        const hints = [0, 1, 2, 3].map(() => new Int32Array(OFFSETS.length)); // one reader per file, a hint per offset
        const offsetIndex = (offset: number): number => OFFSETS.indexOf(offset);
        const used = (): number => [...model.values()].reduce((sum, entry) => sum + entry.bytes, 0);
        const evictOldest = (limit: number): number => {
          let evicted = 0;
          while (used() > limit && model.size > 0) {
            model.delete(model.keys().next().value!);
            evicted++;
          }
          return evicted;
        };
        let evictions = 0;
        for (const step of commands) {
          if (step.op === 'set') {
            const key = `${step.place.file}:${step.place.offset}`;
            const tag = `t${serial++}`;
            if (step.hinted) cache.set(step.place.file, step.place.offset, block(tag), step.bytes, hints[step.place.file], offsetIndex(step.place.offset));
            else cache.set(step.place.file, step.place.offset, block(tag), step.bytes);
            model.delete(key);
            if (step.bytes <= capacity - reserved) {
              model.set(key, { tag, bytes: step.bytes });
              evictions += evictOldest(capacity - reserved);
            }
          } else if (step.op === 'get') {
            const key = `${step.place.file}:${step.place.offset}`;
            const found = step.hinted
              ? cache.get(step.place.file, step.place.offset, hints[step.place.file], offsetIndex(step.place.offset))
              : cache.get(step.place.file, step.place.offset);
            const expected = model.get(key);
            expect(keyOf(found)).toBe(expected?.tag);
            if (expected !== undefined) {
              model.delete(key);
              model.set(key, expected);
            }
          } else if (step.op === 'has') {
            expect(cache.has(step.place.file, step.place.offset)).toBe(model.has(`${step.place.file}:${step.place.offset}`));
          } else if (step.op === 'evictFile') {
            cache.evictFile(step.file);
            for (const key of [...model.keys()]) if (key.startsWith(`${step.file}:`)) model.delete(key);
          } else if (step.op === 'evictDownTo') {
            cache.evictDownTo(step.bytes);
            evictions += evictOldest(step.bytes);
          } else {
            cache.reserve(step.bytes);
            reserved += step.bytes;
            evictions += evictOldest(Math.max(0, capacity - reserved));
          }
          expect(cache.stats()).toMatchObject({ bytes: used(), blockCount: model.size, evictions });
        }
        for (const file of [0, 1, 2, 3]) {
          const expected = [...model].filter(([key]) => key.startsWith(`${file}:`)).reduce((sum, [, entry]) => sum + entry.bytes, 0);
          expect(cache.fileBytes(file)).toBe(expected);
        }
        const someFiles = [...model].filter(([key]) => key.startsWith('0:') || key.startsWith('2:')).reduce((sum, [, entry]) => sum + entry.bytes, 0);
        expect(cache.filesBytes(new Set([0, 2]))).toBe(someFiles);
        // the recency order: evicting down to nothing takes the model's keys oldest first
        for (const [key, entry] of model) {
          const [file, offset] = key.split(':').map(Number) as [number, number];
          expect(keyOf(cache.get(file, offset))).toBe(entry.tag);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never caches a block larger than the whole capacity', () => {
    const cache = new BlockCache(100);
    cache.set(1, 0, block('a'), 60);
    cache.set(1, 60, block('big'), 101);
    expect(cache.get(1, 60)).toBeUndefined();
    expect(keyOf(cache.get(1, 0))).toBe('a');
    const none = new BlockCache(0);
    none.set(1, 0, block('a'), 1);
    expect(none.bytes()).toBe(0);
  });

  it('replaces a block set twice at the same place without double counting', () => {
    const cache = new BlockCache(1000);
    cache.set(1, 0, block('a'), 100);
    cache.set(1, 0, block('b'), 200);
    expect(cache.bytes()).toBe(200);
    expect(cache.stats().blockCount).toBe(1);
    expect(keyOf(cache.get(1, 0))).toBe('b');
  });

  it('drops every block of a file on evictFile', () => {
    const cache = new BlockCache(1000);
    cache.set(7, 0, block('a'), 100);
    cache.set(7, 100, block('b'), 100);
    cache.set(8, 0, block('c'), 100);
    cache.evictFile(7);
    cache.evictFile(99);
    expect(cache.get(7, 0)).toBeUndefined();
    expect(cache.get(7, 100)).toBeUndefined();
    expect(keyOf(cache.get(8, 0))).toBe('c');
    expect(cache.bytes()).toBe(100);
    cache.set(9, 0, block('d'), 900);
    expect(cache.bytes()).toBe(1000);
    cache.set(9, 900, block('e'), 100); // evicts c, the oldest
    expect(cache.get(8, 0)).toBeUndefined();
  });
});

describe('BlockMemory', () => {
  it('hands out 8-byte aligned, non-overlapping ranges of shared slabs', () => {
    const memory = new BlockMemory();
    const claims: { buffer: Buffer; start: number; end: number }[] = [];
    for (const bytes of [4101, 1, 4101, 17, 9000, ...Array.from({ length: Math.ceil(BLOCK_SLAB_BYTES / 4101) }, () => 4101)]) {
      const start = memory.claim(bytes);
      claims.push({ buffer: memory.buffer, start, end: start + bytes });
      expect(start % 8).toBe(0);
      expect(start + bytes).toBeLessThanOrEqual(memory.buffer.length);
    }
    for (const [index, a] of claims.entries()) {
      for (const b of claims.slice(index + 1)) {
        if (a.buffer === b.buffer) expect(a.end <= b.start || b.end <= a.start).toBe(true);
      }
    }
    expect(claims[1]!.buffer).toBe(claims[0]!.buffer);
    expect(new Set(claims.map((claim) => claim.buffer)).size).toBeGreaterThan(1); // more claims than one slab holds
  });

  it('gives a claim above a quarter of a slab a buffer of its own', () => {
    const memory = new BlockMemory();
    memory.claim(100);
    const slab = memory.buffer;
    expect(memory.claim(BLOCK_SLAB_BYTES)).toBe(0);
    expect(memory.buffer).not.toBe(slab);
    expect(memory.buffer.length).toBe(BLOCK_SLAB_BYTES);
    const own = memory.buffer;
    memory.claim(100);
    expect(memory.buffer).not.toBe(own); // the next claim starts a new slab
  });
});
