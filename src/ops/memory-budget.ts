// src/ops/memory-budget.ts: Redis's `maxmemory` as tskv's one memory budget, and the INFO memory
// fields that say where the process's memory is.
//
//   maxmemory 0 (default): memtable MEMTABLE_BYTES_DEFAULT, block cache --cache-size.
//   maxmemory M > 0:        memtable clamp(M * MEMTABLE_SHARE), block cache clamp(M * CACHE_SHARE)
//                           (never more than --cache-size); the rest is the JS heap, connections'
//                           buffers and the allocator's own slack.
//   every BUDGET_CHECK_INTERVAL_MS: RSS > M -> the engine sheds what only saves time (the spare
//                           memtable arrays, cached blocks down to half the cache budget) and the
//                           active memtable is flushed early once it holds MEMTABLE_FLUSH_EARLY_MIN
//                           bytes. Data is never dropped and writes are never refused for memory
//                           (maxmemory-policy is accepted and reported, not acted on: tskv's data
//                           lives on disk, so there is nothing to evict).
//
//   idle:      a check that finds no command run since the last one lets go of the spare memtable
//                           arrays (about a memtable's worth of typed arrays kept for the next one)
//                           and trims the active memtable's arrays to what it holds.
//   idle GC: a check that finds no command run since the last one and more than IDLE_GC_GARBAGE_MIN
//                           of buffers the engine does not hold (flushed memtables, evicted blocks,
//                           compaction buffers: garbage V8 collects only under allocation pressure,
//                           so an idle server kept them for ever) runs one full GC, at most every
//                           IDLE_GC_INTERVAL_MS unless the check let go of IDLE_GC_RELEASED_MIN of
//                           memtable arrays, after IDLE_GC_SCAVENGES scavenges that let V8 shrink
//                           its young generation (retried alone at up to IDLE_SHRINK_RETRIES_MAX
//                           idle checks if it did not); the full GC compacts the old generation
//                           while the heap is under IDLE_GC_COMPACT_HEAP_MAX. A request that
//                           arrives meanwhile waits for them (~130 ms in all after 1M SETs: 11 ms of
//                           scavenges, 25 ms of full GC, 96 ms of compaction), as it would for any
//                           major GC.
//
// Invariants:
// - apply() is called at start and after every CONFIG SET; the budget follows the config at once.
// - A check costs one process.memoryUsage() (a /proc read), once per interval, off the request path.
import v8 from 'node:v8';
import vm from 'node:vm';
import { BLOCK_CACHE_HEAP_BYTES, type Engine, type EngineDetailedStats } from '../../storage/index.js';

/** The memtable size when no maxmemory is set (the engine flushes it to an SSTable at this size). */
export const MEMTABLE_BYTES_DEFAULT = 32 * 1024 * 1024;
export const MEMTABLE_BYTES_MIN = 1024 * 1024;
/** Shares of maxmemory: the memtable (its arrays add about half again), and the block cache. */
export const MEMTABLE_SHARE = 1 / 8;
export const CACHE_SHARE = 3 / 8;
export const CACHE_BYTES_MIN = 1024 * 1024;
export const BUDGET_CHECK_INTERVAL_MS = 1_000;
/** Under pressure, the active memtable is flushed early once it holds this much. */
export const MEMTABLE_FLUSH_EARLY_MIN = 1024 * 1024;
export const IDLE_GC_GARBAGE_MIN = 16 * 1024 * 1024;
export const IDLE_GC_INTERVAL_MS = 10_000;
/** An idle check that let go of this much of the memtable's arrays collects at once, interval or not. */
export const IDLE_GC_RELEASED_MIN = 4 * 1024 * 1024;

/**
 * Scavenges run back to back before the idle full GC. V8 gives back its young generation's
 * unused semi-space pages (8 MiB of RSS at `--max-semi-space-size=4`, empty at idle) only after a
 * GC that finds the recent allocation rate low, and it judges the rate over its last ten GCs or
 * five seconds, and not at all when they allocated nothing: eleven back-to-back scavenges of an
 * idle heap (~0.1 ms each but the first) make the ten before the last idle ones, the oldest after
 * the server's last request (V8 11.3, node 20; measured with --trace-gc: the eleventh gives the
 * pages back, a twelfth grows the space again, and a full GC first leaves it as it was).
 */
export const IDLE_GC_SCAVENGES = 11;

/**
 * The young generation counts as given back at or under this many resident bytes. When an idle GC
 * leaves more (work such as a compaction allocated during the idle second, so V8 found the rate
 * high), up to IDLE_SHRINK_RETRIES_MAX later idle checks run the scavenges alone again.
 */
export const YOUNG_GENERATION_IDLE_BYTES_MAX = 2 * 1024 * 1024;
export const IDLE_SHRINK_RETRIES_MAX = 5;

/**
 * The idle full GC also compacts the old generation (V8's --compact-on-every-full-gc, set around
 * it) when the JS heap holds at most this much: V8's own full GCs leave its sparse pages resident
 * (after 1M SETs, 26-31 MiB of pages for ~21 MiB of objects; compacting gives back ~7 MiB of RSS).
 * Evacuating costs time in proportion to the heap (~100 ms here for ~23 MiB, against ~25 ms for
 * the plain full GC), so a bigger heap skips it and the idle pause stays bounded.
 */
export const IDLE_GC_COMPACT_HEAP_MAX = 48 * 1024 * 1024;

type GcFunction = (options?: { type: 'minor' | 'major' }) => void;
let gcFunction: GcFunction | undefined;

/**
 * --expose-gc's gc(), without the flag on the command line. The flag is set at the first idle
 * collection, not when this module is imported (a test importing it keeps V8 as is).
 */
function gcOf(): GcFunction {
  if (gcFunction === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as GcFunction;
  }
  return gcFunction;
}

/** IDLE_GC_SCAVENGES scavenges, then (full) one full GC; whether the young generation is given back. */
function collectGarbage(full: boolean): boolean {
  const gc = gcOf();
  for (let scavenge = 0; scavenge < IDLE_GC_SCAVENGES; scavenge++) gc({ type: 'minor' });
  if (full && process.memoryUsage().heapUsed <= IDLE_GC_COMPACT_HEAP_MAX) {
    v8.setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      v8.setFlagsFromString('--no-compact-on-every-full-gc');
    }
  } else if (full) {
    gc();
  }
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return young === undefined || young.physical_space_size <= YOUNG_GENERATION_IDLE_BYTES_MAX;
}

export interface MemoryBudgetConfig {
  maxmemoryBytes: number;
  cacheBytes: number;
}

export interface MemoryBudgetStats {
  memtableBytesMax: number;
  cacheBytesMax: number;
  pressureEvents: number; // checks that found RSS over maxmemory
  idleCollections: number; // idle GCs run
}

/**
 * The bytes the engine holds outside the JS heap (INFO memory's tskv_engine_bytes): the cache's
 * charge without each block's objects (BLOCK_CACHE_HEAP_BYTES, in the JS heap already; its slot
 * arrays are typed arrays outside the heap and stay in).
 */
export function engineResidentBytes(engine: EngineDetailedStats): number {
  const cacheOutsideHeap = Math.max(0, engine.blockCacheBytes - engine.blockCacheBlocks * BLOCK_CACHE_HEAP_BYTES);
  return engine.memtableArenaBytes + engine.memtableIndexBytes + cacheOutsideHeap + engine.tableCacheBytes;
}

/** The memtable and cache sizes for a config (pure). */
export function budgetFor(config: MemoryBudgetConfig): { memtableBytesMax: number; cacheBytes: number } {
  if (config.maxmemoryBytes <= 0) return { memtableBytesMax: MEMTABLE_BYTES_DEFAULT, cacheBytes: config.cacheBytes };
  const memtableBytesMax = Math.max(MEMTABLE_BYTES_MIN, Math.min(MEMTABLE_BYTES_DEFAULT, Math.floor(config.maxmemoryBytes * MEMTABLE_SHARE)));
  const cacheBytes = Math.max(CACHE_BYTES_MIN, Math.min(config.cacheBytes, Math.floor(config.maxmemoryBytes * CACHE_SHARE)));
  return { memtableBytesMax, cacheBytes };
}

export class MemoryBudget {
  private timer: NodeJS.Timeout | undefined;
  private current = { memtableBytesMax: MEMTABLE_BYTES_DEFAULT, cacheBytes: 0 };
  private pressureEvents = 0;
  private idleCollections = 0;
  private lastActivity = -1;
  private lastIdleCollectionMs = 0;
  private shrinkRetriesLeft = 0; // idle checks that may still scavenge to give back the young generation

  constructor(
    private readonly engineOf: () => Engine, // the server's engine (a replica's full copy replaces it)
    private readonly config: MemoryBudgetConfig,
    private readonly activity: () => number = () => 0, // commands run so far
  ) {}

  /** Applies the config's budget to the engine (at start, after CONFIG SET, to a new engine with force). */
  apply(force = false): void {
    const next = budgetFor(this.config);
    if (!force && next.memtableBytesMax === this.current.memtableBytesMax && next.cacheBytes === this.current.cacheBytes) return;
    this.current = next;
    this.engineOf().setMemoryBudget(next);
  }

  start(): void {
    this.apply();
    this.timer = setInterval(() => this.check(), BUDGET_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check: idle GC; over maxmemory, shed caches and flush the memtable early. Never drops data. */
  check(): boolean {
    const memory = process.memoryUsage();
    const engine = this.engineOf();
    const activity = this.activity();
    const idle = activity === this.lastActivity;
    this.lastActivity = activity;
    // the spare memtable arrays only save an allocation at the next flush
    const releasedBytes = idle ? engine.shedMemory(this.current.cacheBytes) : 0;
    const due = releasedBytes >= IDLE_GC_RELEASED_MIN || Date.now() - this.lastIdleCollectionMs >= IDLE_GC_INTERVAL_MS;
    if (idle && due && memory.external - engineResidentBytes(engine.stats()) > IDLE_GC_GARBAGE_MIN) {
      this.lastIdleCollectionMs = Date.now();
      this.idleCollections++;
      this.shrinkRetriesLeft = collectGarbage(true) ? 0 : IDLE_SHRINK_RETRIES_MAX;
    } else if (idle && this.shrinkRetriesLeft > 0) {
      this.shrinkRetriesLeft = collectGarbage(false) ? 0 : this.shrinkRetriesLeft - 1;
    }
    const maxmemory = this.config.maxmemoryBytes;
    if (maxmemory <= 0 || memory.rss <= maxmemory) return false;
    this.pressureEvents++;
    engine.shedMemory(Math.floor(this.current.cacheBytes / 2));
    if (engine.stats().memtableBytes >= MEMTABLE_FLUSH_EARLY_MIN) engine.flushEarly();
    return true;
  }

  stats(): MemoryBudgetStats {
    return { memtableBytesMax: this.current.memtableBytesMax, cacheBytesMax: this.current.cacheBytes, pressureEvents: this.pressureEvents, idleCollections: this.idleCollections };
  }
}
