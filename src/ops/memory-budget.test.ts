// src/ops/memory-budget.test.ts: budgetFor's split of maxmemory (pure).
import { describe, expect, it } from 'vitest';
import { budgetFor, CACHE_BYTES_MIN, MEMTABLE_BYTES_DEFAULT, MEMTABLE_BYTES_MIN } from './memory-budget.js';

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
