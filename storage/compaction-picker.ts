// storage/compaction-picker.ts: which compaction to run next (leveled; the why is in
// compaction.ts), how far behind compaction is (pending bytes), and the tuning behind both.
// Level targets are "dynamic" in RocksDB's sense (level_compaction_dynamic_level_bytes): the
// deepest non-empty level B is the base of the sizing. Its own target is the static one,
// T(B) = levelBaseBytes * ratio^(B-1), and when it outgrows it data moves into B+1, deepening the
// tree. While the bottom is smaller than T(B-1) (just after deepening) the levels above it target
// 0: they drain into it, so a small store is one sorted level, as with RocksDB, where level 0
// compacts straight into the last level until that outgrows the base size. Otherwise a level n
// above it targets min(T(n), max(size(B) / ratio^(B-n), levelBaseBytes)): upper levels stay a
// tenth of the level below, so the data they shadow (old versions, deleted keys) stays ~11% of the
// bottom plus at most levelBaseBytes, which bounds space amplification after overwrites and
// deletes; the levelBaseBytes floor (RocksDB's too) keeps level 1 from shrinking below what level
// 0 brings in, which would starve level 0 and stall writes.
// Picks, in order:
// 1. The highest score >= 1: level 0 scores fileCount / level0CompactionTrigger, level n (1..5)
//    scores bytes / target(n). Level 0 compacts all its files (they overlap; taking every one keeps
//    "every level-0 file is newer than anything below it") with the level-1 files they overlap.
//    Level n takes one file, round-robin after the level's compact pointer (the largest key of
//    the file it took last), with the level n+1 files it overlaps.
// 2. Else tombstone density: the file with the highest tombstoneCount / entryCount >= the
//    threshold, even in a small level. If no deeper file overlaps it, it is rewritten in place
//    (every tombstone in it can then be dropped); otherwise it is pushed into the next level. Not
//    while snapshots are open (they may keep the tombstones, and the pick would repeat).
import type { FileMeta } from './manifest.js';
import { LEVEL_COUNT, type TableHandle, type Version } from './version.js';

export interface CompactionTuning {
  level0CompactionTrigger: number; // level-0 files that start a compaction
  level0SlowdownTrigger: number; // level-0 files from which writes are paced
  level0StopTrigger: number; // level-0 files from which writes wait for compaction
  levelBaseBytes: number; // level-1 target
  levelSizeRatio: number; // target(n + 1) / target(n)
  targetFileBytes: number; // outputs are cut at a key boundary past this size
  grandparentOverlapBytesMax: number; // ... or once they overlap this much of level output + 1
  tombstoneDensity: number; // tombstoneCount / entryCount from which a file is compacted anyway
  pendingSlowdownBytes: number; // estimated compaction debt from which writes are paced
  pendingStopBytes: number; // ... from which writes wait
}

export const LEVEL0_COMPACTION_TRIGGER = 4;
export const LEVEL0_SLOWDOWN_TRIGGER = 8;
export const LEVEL0_STOP_TRIGGER = 12;
export const LEVEL_SIZE_RATIO = 10;
export const TARGET_FILE_BYTES_MAX = 8 * 1024 * 1024;
export const TARGET_FILE_BYTES_MIN = 1024;
export const TOMBSTONE_DENSITY = 0.5;

/**
 * Defaults from the memtable size: level 1 holds what level 0 holds when it triggers
 * (level0CompactionTrigger memtables, RocksDB's tuning rule), so an L0->L1 compaction rewrites
 * about as much as it brings in; output files are an eighth of that, at most 8 MiB.
 */
export function compactionTuning(memtableBytesMax: number, overrides: Partial<CompactionTuning> = {}): CompactionTuning {
  const level0CompactionTrigger = overrides.level0CompactionTrigger ?? LEVEL0_COMPACTION_TRIGGER;
  const levelBaseBytes = overrides.levelBaseBytes ?? level0CompactionTrigger * memtableBytesMax;
  const targetFileBytes =
    overrides.targetFileBytes ?? Math.max(TARGET_FILE_BYTES_MIN, Math.min(TARGET_FILE_BYTES_MAX, Math.floor(levelBaseBytes / 8)));
  const pendingSlowdownBytes = overrides.pendingSlowdownBytes ?? 64 * levelBaseBytes;
  return {
    level0CompactionTrigger,
    level0SlowdownTrigger: overrides.level0SlowdownTrigger ?? LEVEL0_SLOWDOWN_TRIGGER,
    level0StopTrigger: overrides.level0StopTrigger ?? LEVEL0_STOP_TRIGGER,
    levelBaseBytes,
    levelSizeRatio: overrides.levelSizeRatio ?? LEVEL_SIZE_RATIO,
    targetFileBytes,
    grandparentOverlapBytesMax: overrides.grandparentOverlapBytesMax ?? 10 * targetFileBytes,
    tombstoneDensity: overrides.tombstoneDensity ?? TOMBSTONE_DENSITY,
    pendingSlowdownBytes,
    pendingStopBytes: overrides.pendingStopBytes ?? 4 * pendingSlowdownBytes,
  };
}

export type CompactionReason = 'level0' | 'size' | 'tombstones' | 'manual';

export interface CompactionPlan {
  reason: CompactionReason;
  level: number; // the (shallowest) input level
  outputLevel: number;
  inputs: { level: number; tables: TableHandle[] }[]; // level 0 oldest first; deeper levels sorted
  grandparents: FileMeta[]; // level outputLevel + 1 files overlapping the inputs (output splitting)
  deeperLevels: FileMeta[][]; // levels below outputLevel, each sorted: can a key be older below?
}

/** Per level (0..6): level 0 its file count, levels 1..6 their bytes. */
export interface LevelShape {
  level0Files: number;
  bytes: number[];
  bottom: number; // deepest non-empty level >= 1 (1 when all are empty)
}

export function levelShape(version: Version): LevelShape {
  const bytes: number[] = [];
  let bottom = 1;
  for (let level = 0; level < LEVEL_COUNT; level++) {
    bytes.push(version.levelBytes(level));
    if (level >= 1 && version.levels[level]!.length > 0) bottom = level;
  }
  return { level0Files: version.levels[0]!.length, bytes, bottom };
}

/** Target bytes per level (index 0 unused: level 0 is sized by file count). */
export function levelTargets(shape: LevelShape, tuning: CompactionTuning): number[] {
  const targets = [Infinity];
  const bottomBytes = shape.bytes[shape.bottom]!;
  const staticTargetOf = (level: number): number => tuning.levelBaseBytes * tuning.levelSizeRatio ** (level - 1);
  const draining = shape.bottom > 1 && bottomBytes < staticTargetOf(shape.bottom - 1);
  for (let level = 1; level < LEVEL_COUNT; level++) {
    const staticTarget = staticTargetOf(level);
    if (level >= shape.bottom) {
      targets.push(staticTarget);
    } else if (draining) {
      targets.push(0);
    } else {
      const fromBottom = bottomBytes / tuning.levelSizeRatio ** (shape.bottom - level);
      targets.push(Math.min(staticTarget, Math.max(fromBottom, tuning.levelBaseBytes)));
    }
  }
  return targets;
}

/** Scores per level: >= 1 means the level needs compacting. Level 6 has nowhere to go: 0. */
export function levelScores(shape: LevelShape, tuning: CompactionTuning): number[] {
  const targets = levelTargets(shape, tuning);
  const scores = [shape.level0Files / tuning.level0CompactionTrigger];
  for (let level = 1; level < LEVEL_COUNT; level++) {
    const bytes = shape.bytes[level]!;
    const target = targets[level]!;
    scores.push(level === LEVEL_COUNT - 1 || bytes === 0 ? 0 : target === 0 ? Infinity : bytes / target);
  }
  return scores;
}

/**
 * Bytes compaction must still rewrite to bring every level under its target (RocksDB's
 * estimate): level 0 past its trigger costs itself plus level 1; each level over target costs its
 * excess times (1 + next level / this level), and the excess is carried into the next level.
 */
export function pendingCompactionBytes(shape: LevelShape, tuning: CompactionTuning): number {
  const targets = levelTargets(shape, tuning);
  let pending = 0;
  let carried = 0;
  if (shape.level0Files >= tuning.level0CompactionTrigger) {
    pending += shape.bytes[0]! + shape.bytes[1]!;
    carried = shape.bytes[0]!;
  }
  for (let level = 1; level < LEVEL_COUNT - 1; level++) {
    const bytes = shape.bytes[level]! + carried;
    carried = 0;
    if (bytes <= targets[level]! || bytes === 0) continue;
    const excess = bytes - targets[level]!;
    pending += excess * (1 + shape.bytes[level + 1]! / bytes);
    carried = excess;
  }
  return Math.round(pending);
}

export function pickCompaction(
  version: Version,
  tuning: CompactionTuning,
  compactPointers: (Buffer | undefined)[],
  snapshotsOpen: boolean,
): CompactionPlan | undefined {
  const shape = levelShape(version);
  const scores = levelScores(shape, tuning);
  let best = 0;
  for (let level = 1; level < LEVEL_COUNT; level++) if (scores[level]! > scores[best]!) best = level;
  if (scores[best]! >= 1) {
    if (best === 0) return planLevel0(version, 'level0');
    const file = nextFileAfterPointer(version.levels[best]!, compactPointers[best]);
    compactPointers[best] = file.meta.largestKey;
    return planPushDown(version, best, file, 'size');
  }
  if (snapshotsOpen) return undefined;
  return pickByTombstones(version, tuning);
}

/** Everything into the deepest non-empty level (at least 1), in one compaction (manual). */
export function planFullCompaction(version: Version): CompactionPlan | undefined {
  const shape = levelShape(version);
  const inputs: CompactionPlan['inputs'] = [];
  for (let level = 0; level < LEVEL_COUNT; level++) {
    const tables = version.levels[level]!;
    if (tables.length > 0) inputs.push({ level, tables: [...tables] });
  }
  if (inputs.length === 0) return undefined;
  return { reason: 'manual', level: inputs[0]!.level, outputLevel: shape.bottom, inputs, grandparents: [], deeperLevels: [] };
}

function pickByTombstones(version: Version, tuning: CompactionTuning): CompactionPlan | undefined {
  let chosen: TableHandle | undefined;
  let chosenLevel = -1;
  let chosenDensity = 0;
  for (let level = 0; level < LEVEL_COUNT; level++) {
    for (const table of version.levels[level]!) {
      const { tombstoneCount, entryCount } = table.meta;
      if (tombstoneCount === 0 || entryCount === 0) continue;
      const density = tombstoneCount / entryCount;
      if (density >= tuning.tombstoneDensity && density > chosenDensity) {
        chosen = table;
        chosenLevel = level;
        chosenDensity = density;
      }
    }
  }
  if (chosen === undefined) return undefined;
  if (chosenLevel === 0) return planLevel0(version, 'tombstones');
  const deeper = deeperLevels(version, chosenLevel);
  const overlapsBelow = deeper.some((files) => overlapping(files, chosen.meta.smallestKey, chosen.meta.largestKey).length > 0);
  if (!overlapsBelow || chosenLevel === LEVEL_COUNT - 1) {
    return {
      reason: 'tombstones',
      level: chosenLevel,
      outputLevel: chosenLevel,
      inputs: [{ level: chosenLevel, tables: [chosen] }],
      grandparents: [],
      deeperLevels: deeper,
    };
  }
  return planPushDown(version, chosenLevel, chosen, 'tombstones');
}

function planLevel0(version: Version, reason: CompactionReason): CompactionPlan {
  const level0 = [...version.levels[0]!];
  const { smallest, largest } = keyRange(level0.map((table) => table.meta));
  const level1 = overlappingTables(version.levels[1]!, smallest, largest);
  const inputs = [{ level: 0, tables: level0 }];
  if (level1.length > 0) inputs.push({ level: 1, tables: level1 });
  return finishPlan(version, reason, 0, 1, inputs);
}

function planPushDown(version: Version, level: number, file: TableHandle, reason: CompactionReason): CompactionPlan {
  const next = overlappingTables(version.levels[level + 1]!, file.meta.smallestKey, file.meta.largestKey);
  const inputs = [{ level, tables: [file] }];
  if (next.length > 0) inputs.push({ level: level + 1, tables: next });
  return finishPlan(version, reason, level, level + 1, inputs);
}

function finishPlan(
  version: Version,
  reason: CompactionReason,
  level: number,
  outputLevel: number,
  inputs: CompactionPlan['inputs'],
): CompactionPlan {
  const { smallest, largest } = keyRange(inputs.flatMap((input) => input.tables.map((table) => table.meta)));
  const deeper = deeperLevels(version, outputLevel);
  const grandparents = deeper.length > 0 ? overlapping(deeper[0]!, smallest, largest) : [];
  return { reason, level, outputLevel, inputs, grandparents, deeperLevels: deeper };
}

function deeperLevels(version: Version, level: number): FileMeta[][] {
  const result: FileMeta[][] = [];
  for (let deeper = level + 1; deeper < LEVEL_COUNT; deeper++) result.push(version.levels[deeper]!.map((table) => table.meta));
  return result;
}

function nextFileAfterPointer(tables: readonly TableHandle[], pointer: Buffer | undefined): TableHandle {
  if (pointer !== undefined) {
    for (const table of tables) if (Buffer.compare(table.meta.smallestKey, pointer) > 0) return table;
  }
  return tables[0]!;
}

function keyRange(metas: readonly FileMeta[]): { smallest: Buffer; largest: Buffer } {
  let smallest = metas[0]!.smallestKey;
  let largest = metas[0]!.largestKey;
  for (const meta of metas) {
    if (Buffer.compare(meta.smallestKey, smallest) < 0) smallest = meta.smallestKey;
    if (Buffer.compare(meta.largestKey, largest) > 0) largest = meta.largestKey;
  }
  return { smallest, largest };
}

function overlappingTables(tables: readonly TableHandle[], smallest: Buffer, largest: Buffer): TableHandle[] {
  return tables.filter((table) => Buffer.compare(table.meta.largestKey, smallest) >= 0 && Buffer.compare(table.meta.smallestKey, largest) <= 0);
}

function overlapping(files: readonly FileMeta[], smallest: Buffer, largest: Buffer): FileMeta[] {
  return files.filter((meta) => Buffer.compare(meta.largestKey, smallest) >= 0 && Buffer.compare(meta.smallestKey, largest) <= 0);
}
