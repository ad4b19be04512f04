import { describe, expect, it } from 'vitest';
import { BlockCache } from './block-cache.js';
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
