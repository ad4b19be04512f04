// storage/checkpoint.ts: a copy of a database as of one sequence number, for a replica's full
// sync. The primary's side (Engine.checkpoint) pins one Version: its SSTables (immutable files,
// kept while pinned) hold every write up to its lastSequence and none after; the WAL files from
// there on are pinned too, so the stream can continue where the tables end. The replica writes
// the tables into a staging directory and installCheckpoint() puts them in place of whatever its
// directory held; Engine.open then opens on them.
// The checkpoint header (what the replica needs besides the table bytes) reuses the manifest's
// version-edit codec: lastSequence and one ADD_FILE per table, in manifest order (level by level,
// level 0 oldest first), file numbers as the primary has them.
// Invariants (installCheckpoint):
// - The switch is the rename of CURRENT (manifest.ts setCurrentManifest): a crash before it leaves
//   the old database (the tables moved in are orphans the next open removes), a crash after it
//   the new one.
// - Before the switch every table is in the directory under a fresh file number (above any in
//   use), the new manifest is synced, and so is the directory.
// - The new manifest's logNumber is above every WAL in the directory: the old database's WALs are
//   obsolete (the next open removes them), never replayed onto the new tables.
// - The directory's LOCK is held throughout: the engine that used the directory is closed.
import * as nodePath from 'node:path';
import { ManifestCorruptionError } from './errors.js';
import type { FileSystem, ReadableFile } from './file-system.js';
import {
  CURRENT_FILE_NAME, decodeVersionEdit, encodeVersionEdit, manifestFileName, readCurrent, replayManifest, setCurrentManifest, type FileMeta,
} from './manifest.js';
import { parseFileName, tablePath } from './recovery.js';
import { LogWriter } from './wal.js';

export type { FileMeta } from './manifest.js';

/** A pinned copy of a database (Engine.checkpoint): release() once its tables were read. */
export interface EngineCheckpoint {
  /** The tables hold every write up to this sequence number and none after it. */
  readonly lastSequence: number;
  /** In manifest order: level by level, level 0 oldest first. */
  readonly tables: readonly FileMeta[];
  /** Opens a table's file for reading (it stays on disk while the checkpoint is pinned). */
  openTable(meta: FileMeta): ReadableFile;
  release(): void;
}

/** lastSequence and the tables' metadata as one buffer (a manifest snapshot edit). */
export function encodeCheckpointHeader(lastSequence: number, tables: readonly FileMeta[]): Buffer {
  return encodeVersionEdit({ lastSequence, addFiles: [...tables] });
}

/** The header's fields; garbage throws ManifestCorruptionError('checkpoint', ...). */
export function decodeCheckpointHeader(bytes: Buffer): { lastSequence: number; tables: FileMeta[] } {
  const { edit } = decodeVersionEdit(bytes);
  if (edit.lastSequence === undefined) throw new ManifestCorruptionError('checkpoint', 0, 'the checkpoint header has no lastSequence');
  return { lastSequence: edit.lastSequence, tables: edit.addFiles ?? [] };
}

/** A table of the checkpoint as the replica staged it: its primary's metadata and the synced file. */
export interface StagedTable {
  meta: FileMeta;
  path: string; // in a directory on the same file system as dir (it is renamed into dir)
}

/**
 * Replaces the database in dir (if any) by the staged tables, as of lastSequence (see the header).
 * The engine on dir must be closed; the staged files must be synced.
 */
export function installCheckpoint(fs: FileSystem, dir: string, lastSequence: number, tables: readonly StagedTable[]): void {
  fs.mkdirp(dir);
  const lock = fs.lock(nodePath.join(dir, 'LOCK'));
  try {
    let next = highestFileNumber(fs, dir) + 1;
    if (fs.exists(nodePath.join(dir, CURRENT_FILE_NAME))) {
      const state = replayManifest(fs, nodePath.join(dir, manifestFileName(readCurrent(fs, dir))));
      next = Math.max(next, state.nextFileNumber);
    }
    const addFiles: FileMeta[] = [];
    for (const table of tables) {
      const number = next++;
      fs.rename(table.path, tablePath(dir, number));
      addFiles.push({ ...table.meta, number });
    }
    const manifestNumber = next++;
    const logNumber = next++; // above every WAL here: the old database's WALs are obsolete
    const writer = new LogWriter(fs.create(nodePath.join(dir, manifestFileName(manifestNumber))));
    try {
      writer.addRecord(encodeVersionEdit({ logNumber, nextFileNumber: next, lastSequence, addFiles }, { snapshot: true }));
      writer.sync();
    } finally {
      writer.close();
    }
    fs.syncDir(dir); // the renamed tables and the manifest's entry, before CURRENT names it
    setCurrentManifest(fs, dir, manifestNumber);
  } finally {
    lock.release();
  }
}

function highestFileNumber(fs: FileSystem, dir: string): number {
  let highest = 0;
  for (const name of fs.list(dir)) {
    const parsed = parseFileName(name);
    if (parsed !== undefined) highest = Math.max(highest, parsed.number);
  }
  return highest;
}
