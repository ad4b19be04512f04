// storage/compaction-cache.ts: a compaction's outputs take over the block cache room its inputs
// leave, so the cache holds a job's data once, not its inputs and outputs side by side (after 1M
// SETs the level-0 compaction the last flush starts held 181 MiB of blocks for 97 MiB of data).
// Each output, once written and before it is verified, releases the input blocks whose keys it
// now holds: in every input table, the blocks whose separator sorts below the output's largest key
// (the merge has consumed them; outputs never split a key). What those blocks charged in the cache
// becomes the outputs' allowance, and an output block is cached as it is verified only while the
// allowance covers its charge, down to -COMPACTION_CACHE_SLACK_BYTES (the input block straddling
// an output's end is released with the next output).
// Invariants:
// - Over a job, the cache's bytes grow by at most COMPACTION_CACHE_SLACK_BYTES through it: every
//   output block cached is paid for by input blocks evicted before it.
// - Cold inputs give cold outputs: an input block that was not cached releases nothing.
// - An input block released early stays readable: a read before the install reads it from the
//   file (and caches it again, within the budget); the install drops the rest of the inputs.
import type { BlockCache } from './block-cache.js';
import type { CompactionPlan } from './compaction-picker.js';
import type { TableHandle } from './version.js';

/** How far the outputs' cached bytes may run ahead of the input bytes released for them. */
export const COMPACTION_CACHE_SLACK_BYTES = 256 * 1024;

export class CompactionCacheHandover {
  private allowanceBytes = 0;
  private releasedBytes = 0;
  private readonly inputs: { table: TableHandle; nextBlock: number }[] = [];

  constructor(
    private readonly cache: BlockCache,
    plan: CompactionPlan,
  ) {
    const files = new Set<number>();
    for (const input of plan.inputs) for (const table of input.tables) files.add(table.meta.number);
    const cached = cache.cachedFiles(files); // one walk over the cache: only these can release anything
    for (const input of plan.inputs) {
      for (const table of input.tables) if (cached.has(table.meta.number)) this.inputs.push({ table, nextBlock: 0 });
    }
  }

  /** Whether any output block may be cached at all (some input block was cached when the job started). */
  get active(): boolean {
    return this.inputs.length > 0;
  }

  /** Evicts the input blocks every key of which sorts below largestKey: an output up to it is written. */
  releaseBelow(largestKey: Buffer): void {
    for (const input of this.inputs) {
      const reader = input.table.reader(); // used at once, not kept (the table cache may close it)
      const end = reader.blockFor(largestKey); // blocks before it have separators < largestKey
      for (let index = input.nextBlock; index < end; index++) {
        const bytes = this.cache.evictBlock(input.table.meta.number, reader.blockOffsets[index]!);
        this.allowanceBytes += bytes;
        this.releasedBytes += bytes;
      }
      if (end > input.nextBlock) input.nextBlock = end;
    }
  }

  /** Called before an output block charging bytes is cached: whether it may be (taking the allowance). */
  take(bytes: number): boolean {
    if (this.allowanceBytes - bytes < -COMPACTION_CACHE_SLACK_BYTES) return false;
    this.allowanceBytes -= bytes;
    return true;
  }

  /** Input bytes released from the cache so far (tests, logs). */
  released(): number {
    return this.releasedBytes;
  }
}
