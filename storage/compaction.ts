// storage/compaction.ts: one compaction job: merge the input tables of a CompactionPlan
// (compaction-picker.ts) into new tables at the output level, dropping what no reader can see.
//
// Why leveled (LevelDB/RocksDB: level 0 overlapping, levels 1..6 sorted runs of non-overlapping
// tables, each level ~10x the one above) and not tiered:
// - Reads. tskv serves point GETs off one thread; leveled bounds a lookup to the level-0 files
//   plus one table per level (a filter check each), and a SCAN to one table iterator per level.
//   Tiered keeps several overlapping runs per tier, each of which every read and scan must visit.
// - Space. The complaints are space not reclaimed after deletes and overwrites. Leveled
//   with dynamic level targets keeps everything shadowed to ~11% of the last level (space
//   amplification ~1.1); tiered needs up to 2x (RocksDB universal's default allows 3x) and a full
//   merge to reclaim deletes.
// - Memory and stalls. A leveled job touches one file plus its ~10 overlapping files (level 0:
//   all level-0 files plus what they overlap), so jobs are small and frequent, which suits running
//   them in slices on the event loop; tiered jobs merge whole tiers (gigabytes) at once.
// - The price is write amplification (~10 per level, bench/README.md has the measured figure);
//   tskv writes mostly small keys at moderate rates, so it pays that for reads and space.
//
// Rules for each entry, in entry order (key ascending, newest first):
// - compactionFilter(key) true: dropped (dead namespaces and versions; the caller
//   guarantees no read of them).
// - Snapshots split seqs into buckets (bucket = the first open snapshot >= seq, or the live one);
//   within a bucket only the newest version of a key is visible, the rest are dropped.
// - A visible delete is dropped only when it is in the oldest bucket (every snapshot sees it, so
//   no snapshot needs an older version it hides) and no table in a level below the output level
//   has a key range containing the key (nothing older can resurface); else it is written.
// - A visible put that has expired (expireAtMs <= the job's start time; dropExpired) obeys the
//   same rule: dropped when a delete would be, else written as a delete with the same seq, so an
//   older version below stays hidden.
// Invariants:
// - Outputs never split one key's versions across two tables (cuts are made only at a new key),
//   so a level stays non-overlapping; a cut happens past targetFileBytes or once the output
//   overlaps grandparentOverlapBytesMax of level outputLevel + 1 (bounds the next compaction).
// - Each output is fsynced (off the event loop), closed, reopened and fully verified, and the
//   directory fsynced, before runCompaction returns (invariant 8); installing them and removing
//   the inputs is the caller's one manifest edit (compaction-scheduler.ts).
// - Work runs in slices of at most sliceMs, with a setImmediate between them (an output's finish()
//   and its reopen run alone in a turn); after every yield env.checkRunnable() throws if the engine
//   failed, closes, or its file system went away.
// - Input blocks are read without filling the block cache (a compaction reads each block once);
//   outputs' blocks are cached only in the room their inputs' blocks leave (compaction-cache.ts).
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { BlockCache } from './block-cache.js';
import { CompactionCacheHandover } from './compaction-cache.js';
import type { CompactionPlan } from './compaction-picker.js';
import { compareKeys, MergingIterator, type CompactionFilter, type Entry, type EntryIterator } from './entry.js';
import type { FileSystem, WritableFile } from './file-system.js';
import { buildFilterInSlices, closeQuietly, sameKey, snapshotBucket, verifyTable, writerOptions, type TableOptions } from './flush.js';
import { LevelIterator } from './level-iterator.js';
import type { FileMeta } from './manifest.js';
import { tablePath } from './recovery.js';
import { SstableReader } from './sstable-reader.js';
import { SstableWriter } from './sstable-writer.js';

/** Merge work per slice before yielding to the event loop. */
export const COMPACTION_SLICE_MS = 4;
const CLOCK_CHECK_ENTRIES = 64;
const EMPTY = Buffer.alloc(0);

export interface CompactionEnvironment {
  fs: FileSystem;
  dir: string;
  tableOptions: TableOptions;
  blockCache: BlockCache;
  allocateFileNumber(): number;
  targetFileBytes: number;
  grandparentOverlapBytesMax: number;
  snapshotSeqs: readonly number[]; // open snapshots when the job was picked, ascending
  nowMs: number;
  compactionFilter: CompactionFilter | undefined;
  dropExpired: boolean;
  sliceMs: number;
  checkRunnable(): void; // throws to abandon the job
  onOutputCreated(path: string): void; // so an abandoned job's files can be removed
}

export interface CompactionOutput {
  meta: FileMeta;
  reader: SstableReader; // open, verified; the caller hands it to the table cache
  path: string;
}

export interface CompactionCounters {
  entriesRead: number;
  entriesWritten: number;
  versionsDropped: number; // shadowed by a newer version in the same snapshot bucket
  tombstonesDropped: number;
  expiredDropped: number;
  expiredRewritten: number; // written as deletes
  filteredDropped: number;
}

export function emptyCounters(): CompactionCounters {
  return { entriesRead: 0, entriesWritten: 0, versionsDropped: 0, tombstonesDropped: 0, expiredDropped: 0, expiredRewritten: 0, filteredDropped: 0 };
}

/** Merges plan's inputs into verified, synced output tables (not yet installed). */
export async function runCompaction(plan: CompactionPlan, env: CompactionEnvironment): Promise<{ outputs: CompactionOutput[]; counters: CompactionCounters }> {
  const counters = emptyCounters();
  const handover = new CompactionCacheHandover(env.blockCache, plan);
  const outputs: CompactionOutput[] = [];
  const iterators: EntryIterator[] = [];
  for (const input of plan.inputs) {
    if (input.level === 0) for (const table of input.tables) iterators.push(table.iterator(false));
    else iterators.push(new LevelIterator(input.tables, false));
  }
  const merged = new MergingIterator(iterators);
  const decide = entryDecider(plan, env, counters);
  const splitter = outputSplitter(plan, env);
  let builder: OutputBuilder | undefined;
  try {
    merged.seekToFirst();
    let lastKey: Buffer | undefined;
    let sliceStartMs = performance.now();
    let sinceClockCheck = 0;
    while (merged.valid()) {
      const input = merged.entry();
      counters.entriesRead++;
      const entry = decide(input);
      if (entry !== undefined) {
        const newKey = lastKey === undefined || !sameKey(lastKey, entry.key);
        if (newKey && splitter(entry.key, builder)) {
          outputs.push(await finishOutput(builder!, env, handover));
          builder = undefined;
        }
        builder ??= startOutput(env);
        builder.writer.add(entry);
        counters.entriesWritten++;
        lastKey = entry.key;
      }
      merged.next();
      if (++sinceClockCheck >= CLOCK_CHECK_ENTRIES) {
        sinceClockCheck = 0;
        if (performance.now() - sliceStartMs >= env.sliceMs) {
          await yieldToEventLoop();
          env.checkRunnable();
          sliceStartMs = performance.now();
        }
      }
    }
    if (builder !== undefined) {
      const last = builder;
      builder = undefined;
      outputs.push(await finishOutput(last, env, handover));
    }
    if (outputs.length > 0) {
      await yieldToEventLoop(); // the last verify slice, and the caller's manifest edit, each get a turn
      env.checkRunnable();
      env.fs.syncDir(env.dir); // invariant 8: directory entries durable before the edit
    }
    return { outputs, counters };
  } catch (error) {
    if (builder !== undefined) closeQuietly(builder.file);
    for (const output of outputs) output.reader.discard();
    throw error;
  }
}

interface OutputBuilder {
  fileNumber: number;
  path: string;
  file: WritableFile;
  writer: SstableWriter;
}

function startOutput(env: CompactionEnvironment): OutputBuilder {
  env.checkRunnable(); // never create a file on a file system that crashed under us
  const fileNumber = env.allocateFileNumber();
  const path = tablePath(env.dir, fileNumber);
  env.onOutputCreated(path);
  const file = env.fs.create(path);
  return { fileNumber, path, file, writer: new SstableWriter(file, writerOptions(env.tableOptions)) };
}

async function finishOutput(builder: OutputBuilder, env: CompactionEnvironment, handover: CompactionCacheHandover): Promise<CompactionOutput> {
  // the filter is built in slices; finish() (index, footer) and the reopen each get their own turn
  await yieldToEventLoop();
  env.checkRunnable();
  await buildFilterInSlices(builder.writer, env.sliceMs, env.checkRunnable);
  const built = builder.writer.finish();
  await builder.file.syncAsync(); // invariant 8: durable before named (off the event loop)
  builder.file.close();
  env.checkRunnable();
  await yieldToEventLoop();
  env.checkRunnable();
  const reader = SstableReader.open(env.fs, builder.path, builder.fileNumber, env.blockCache);
  try {
    // the output's blocks are cached only in the room the input blocks it replaces leave
    if (handover.active) handover.releaseBelow(built.largestKey);
    const cacheInput = handover.active ? { fillCache: true, mayCache: (bytes: number) => handover.take(bytes) } : {};
    await verifyTable({ fs: env.fs, path: builder.path, sliceMs: env.sliceMs, ...cacheInput }, reader, built); // invariant 8
  } catch (error) {
    reader.discard();
    throw error;
  }
  const meta: FileMeta = { number: builder.fileNumber, level: -1 /* set by the caller: the plan's output level */, ...built };
  return { meta, reader, path: builder.path };
}

/** Per entry: the entry to write (maybe rewritten as a delete), or undefined to drop it. */
function entryDecider(plan: CompactionPlan, env: CompactionEnvironment, counters: CompactionCounters): (entry: Entry) => Entry | undefined {
  const { snapshotSeqs, compactionFilter, nowMs, dropExpired } = env;
  const isBaseLevelForKey = baseLevelCheck(plan.deeperLevels);
  let previousKey: Buffer | undefined;
  let previousBucket = -1;
  return (entry) => {
    const bucket = snapshotBucket(snapshotSeqs, entry.seq);
    const shadowed = previousKey !== undefined && previousBucket === bucket && sameKey(previousKey, entry.key);
    previousKey = entry.key;
    previousBucket = bucket;
    if (compactionFilter !== undefined && compactionFilter(entry.key)) {
      counters.filteredDropped++;
      return undefined;
    }
    if (shadowed) {
      counters.versionsDropped++;
      return undefined;
    }
    const expired = dropExpired && entry.kind === 'put' && entry.expireAtMs !== 0 && entry.expireAtMs <= nowMs;
    if (entry.kind === 'put' && !expired) return entry;
    if (bucket === 0 && isBaseLevelForKey(entry.key)) {
      if (expired) counters.expiredDropped++;
      else counters.tombstonesDropped++;
      return undefined;
    }
    if (!expired) return entry;
    counters.expiredRewritten++;
    return { key: entry.key, seq: entry.seq, kind: 'delete', value: EMPTY, expireAtMs: 0 };
  };
}

/**
 * True when no table below the output level has a key range containing key (LevelDB's
 * IsBaseLevelForKey). Keys arrive ascending, so each level keeps a cursor that only moves forward.
 */
function baseLevelCheck(deeperLevels: readonly (readonly FileMeta[])[]): (key: Buffer) => boolean {
  const cursors = deeperLevels.map(() => 0);
  return (key) => {
    for (let level = 0; level < deeperLevels.length; level++) {
      const files = deeperLevels[level]!;
      let cursor = cursors[level]!;
      while (cursor < files.length && compareKeys(files[cursor]!.largestKey, key) < 0) cursor++;
      cursors[level] = cursor;
      const file = files[cursor];
      if (file !== undefined && compareKeys(file.smallestKey, key) <= 0) return false;
    }
    return true;
  };
}

/**
 * Called at each new key: true when the current output should end before it (LevelDB's
 * ShouldStopBefore plus the size cut). Tracks how many grandparent bytes the output overlaps.
 */
function outputSplitter(plan: CompactionPlan, env: CompactionEnvironment): (key: Buffer, builder: OutputBuilder | undefined) => boolean {
  const grandparents = plan.grandparents;
  let index = 0;
  let overlappedBytes = 0;
  let seenKey = false;
  return (key, builder) => {
    while (index < grandparents.length && compareKeys(key, grandparents[index]!.largestKey) > 0) {
      if (seenKey) overlappedBytes += grandparents[index]!.sizeBytes;
      index++;
    }
    seenKey = true;
    if (builder === undefined) return false;
    if (builder.writer.estimatedBytes() >= env.targetFileBytes || overlappedBytes > env.grandparentOverlapBytesMax) {
      overlappedBytes = 0;
      return true;
    }
    return false;
  };
}
