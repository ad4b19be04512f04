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

  it("keeps a reader's slots pointing at its cached blocks only while they are cached", () => {
    const cache = new BlockCache(300);
    const slots: BlockSlots = [undefined, undefined, undefined];
    cache.set(1, 0, block('a'), 100, slots, 0);
    cache.set(1, 100, block('b'), 100, slots, 1);
    expect(keyOf(slots[0]?.block)).toBe('a');
    expect(keyOf(cache.touch(slots[0]!))).toBe('a'); // a hit: a is now the most recent, b the oldest
    cache.set(1, 200, block('c'), 150); // evicts b: its slot empties
    expect(slots[1]).toBeUndefined();
    expect(cache.get(1, 100)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, evictions: 1 });
    // a block cached without slots joins them on the first get that passes them
    expect(keyOf(cache.get(1, 200, slots, 2))).toBe('c');
    expect(keyOf(slots[2]?.block)).toBe('c');
    // a reopened reader takes the node over: the old reader's slot lets go
    const reopened: BlockSlots = [undefined, undefined, undefined];
    expect(keyOf(cache.get(1, 0, reopened, 0))).toBe('a');
    expect(slots[0]).toBeUndefined();
    expect(keyOf(reopened[0]?.block)).toBe('a');
    // replacing a block and dropping the file both empty the slots
    cache.set(1, 0, block('a2'), 100);
    expect(reopened[0]).toBeUndefined();
    cache.evictFile(1);
    expect(slots[2]).toBeUndefined();
    expect(cache.bytes()).toBe(0);
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
