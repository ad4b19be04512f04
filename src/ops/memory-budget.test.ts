// src/ops/memory-budget.test.ts: budgetFor's split of maxmemory (pure), what the engine holds outside
// the JS heap, and what an idle check sheds.
import { describe, expect, it } from 'vitest';
import { BLOCK_CACHE_HEAP_BYTES, BLOCK_CACHE_OVERHEAD_BYTES, type Engine, type EngineDetailedStats } from '../../storage/index.js';
import { budgetFor, CACHE_BYTES_MIN, engineResidentBytes, IDLE_GC_GARBAGE_MIN, IDLE_GC_RELEASED_MIN, MemoryBudget, MEMTABLE_BYTES_DEFAULT, MEMTABLE_BYTES_MIN } from './memory-budget.js';

const MIB = 1024 * 1024;

describe('budgetFor', () => {
  it('without maxmemory: the default memtable and --cache-size', () => {
    expect(budgetFor({ maxmemoryBytes: 0, cacheBytes: 64 * MIB })).toEqual({ memtableBytesMax: MEMTABLE_BYTES_DEFAULT, cacheBytes: 64 * MIB });
  });

  it('with maxmemory: an eighth for the memtable, three eighths for the cache', () => {
    expect(budgetFor({ maxmemoryBytes: 64 * MIB, cacheBytes: 1024 * MIB })).toEqual({ memtableBytesMax: 8 * MIB, cacheBytes: 24 * MIB });
  });

  it('never above the defaults: a big maxmemory keeps the default memtable and --cache-size', () => {
    expect(budgetFor({ maxmemoryBytes: 64 * 1024 * MIB, cacheBytes: 64 * MIB })).toEqual({ memtableBytesMax: MEMTABLE_BYTES_DEFAULT, cacheBytes: 64 * MIB });
  });

  it('never below the minimums: a tiny maxmemory still leaves a working engine', () => {
    expect(budgetFor({ maxmemoryBytes: 1024, cacheBytes: 64 * MIB })).toEqual({ memtableBytesMax: MEMTABLE_BYTES_MIN, cacheBytes: CACHE_BYTES_MIN });
  });
});

describe('engineResidentBytes', () => {
  it('counts cached blocks\' contents but not their objects, which the JS heap holds', () => {
    const blocks = 10;
    const stats = { memtableArenaBytes: 1000, memtableIndexBytes: 200, blockCacheBytes: blocks * (4096 + BLOCK_CACHE_OVERHEAD_BYTES), blockCacheBlocks: blocks, tableCacheBytes: 30 };
    expect(engineResidentBytes(stats as unknown as EngineDetailedStats)).toBe(1000 + 200 + blocks * (4096 + BLOCK_CACHE_OVERHEAD_BYTES - BLOCK_CACHE_HEAP_BYTES) + 30);
  });
});

describe('MemoryBudget.check', () => {
  it('lets go of the spare memtable arrays when no command ran since the last check, and only then', () => {
    const shed: number[] = [];
    const engine = {
      setMemoryBudget: () => undefined,
      shedMemory: (cacheBytes: number) => shed.push(cacheBytes),
      stats: () => ({ memtableArenaBytes: 0, memtableIndexBytes: 0, blockCacheBytes: 0, blockCacheBlocks: 0, tableCacheBytes: 0 }) as unknown as EngineDetailedStats,
    } as unknown as Engine;
    let commands = 0;
    const budget = new MemoryBudget(() => engine, { maxmemoryBytes: 0, cacheBytes: 64 * MIB }, () => commands);
    budget.apply(true);
    budget.check(); // the first check has nothing to compare with
    expect(shed).toEqual([]);
    commands = 10;
    budget.check(); // commands ran
    expect(shed).toEqual([]);
    budget.check(); // idle: the cache keeps its budget, the spare arrays go
    expect(shed).toEqual([64 * MIB]);
  });

  it('runs one full GC when idle with more than IDLE_GC_GARBAGE_MIN of buffers the engine does not hold', () => {
    const garbage = Buffer.alloc(IDLE_GC_GARBAGE_MIN + MIB); // external memory no engine stat claims
    let releasedBytes = 0;
    const engine = {
      setMemoryBudget: () => undefined,
      shedMemory: () => releasedBytes,
      stats: () => ({ memtableArenaBytes: 0, memtableIndexBytes: 0, blockCacheBytes: 0, blockCacheBlocks: 0, tableCacheBytes: 0 }) as unknown as EngineDetailedStats,
    } as unknown as Engine;
    const budget = new MemoryBudget(() => engine, { maxmemoryBytes: 0, cacheBytes: 64 * MIB }, () => 0);
    budget.apply(true);
    budget.check(); // the first check: not idle yet
    expect(budget.stats().idleCollections).toBe(0);
    budget.check(); // idle, garbage over the threshold: gc() (the flag is set now, not at import)
    budget.check(); // within IDLE_GC_INTERVAL_MS of the last: none
    expect(budget.stats().idleCollections).toBe(1);
    releasedBytes = IDLE_GC_RELEASED_MIN; // the check trimmed the memtable's arrays: collect them now
    budget.check();
    expect(budget.stats().idleCollections).toBe(2);
    expect(garbage.length).toBeGreaterThan(IDLE_GC_GARBAGE_MIN);
  });
});
