// storage/engine-replication.test.ts: the engine's replication side: WAL cursors (files and the
// in-memory tail, durable batches only, contiguous), WAL retention and pins, applyReplicated, and
// a full sync through checkpoint() + installCheckpoint(), on the in-memory CrashableFileSystem.
import * as nodePath from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeCheckpointHeader, encodeCheckpointHeader, installCheckpoint, type StagedTable } from './checkpoint.js';
import { CrashableFileSystem } from './crashable-file-system.js';
import { Engine, type EngineOptions, type WalBatchRecord, type WriteOp } from './engine.js';
import { ReplicationGapError, WalCorruptionError, WalGoneError } from './errors.js';
import type { FileSystem } from './file-system.js';
import { encodeBatch } from './wal.js';

const PRIMARY = '/primary';
const REPLICA = '/replica';
const SMALL_MEMTABLE_BYTES = 64 * 1024; // a few hundred writes per memtable: rotations and flushes

function put(index: number, valueBytes = 100): WriteOp {
  return { kind: 'put', key: Buffer.from(`key-${String(index).padStart(6, '0')}`), value: Buffer.alloc(valueBytes, index % 251) };
}

const opened: Engine[] = [];

async function open(fs: FileSystem, dir: string, options: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = await Engine.open({ dir, fs, syncPolicy: 'always', memtableBytesMax: SMALL_MEMTABLE_BYTES, ...options });
  opened.push(engine);
  return engine;
}

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

async function writeMany(engine: Engine, from: number, count: number, valueBytes = 100): Promise<void> {
  for (let index = from; index < from + count; index++) await engine.write([put(index, valueBytes)]);
}

/** Every batch a cursor from fromSeq reads now, in bounded reads. */
function readAll(engine: Engine, fromSeq: number): WalBatchRecord[] {
  const cursor = engine.openWalCursor(fromSeq);
  const batches: WalBatchRecord[] = [];
  try {
    for (let reads = 0; reads < 100_000; reads++) {
      const got = cursor.read(64 * 1024);
      if (got.length === 0) break;
      batches.push(...got);
    }
  } finally {
    cursor.close();
  }
  return batches;
}

function contents(engine: Engine): string[] {
  return [...engine.scan()].map((item) => `${item.key.toString('hex')}=${item.value.toString('hex')}`);
}

function expectContiguous(batches: readonly WalBatchRecord[], fromSeq: number): void {
  let next = fromSeq;
  for (const batch of batches) {
    expect(batch.firstSeq).toBe(next);
    next = batch.lastSeq + 1;
  }
}

describe('WAL cursors', () => {
  it('read every durable batch in order from the files across rotations, including batches spanning blocks', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY);
    primary.setWalRetention(64 * 1024 * 1024, 0); // files only: no tail
    await writeMany(primary, 0, 300, 300);
    await primary.write([put(1000, 100_000), put(1001, 70_000)]); // one record over several 32 KiB blocks
    await writeMany(primary, 300, 300, 300);
    expect(primary.stats().flushes).toBeGreaterThan(1);
    const batches = readAll(primary, 1);
    expectContiguous(batches, 1);
    expect(batches[batches.length - 1]!.lastSeq).toBe(primary.sequence());
    const replica = await open(new CrashableFileSystem(), REPLICA);
    for (const batch of batches) await replica.applyReplicated(batch.payload).durable;
    expect(replica.sequence()).toBe(primary.sequence());
    expect(contents(replica)).toEqual(contents(primary));
  });

  it('returns only durable batches, and the rest once an fsync covers them', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY, { syncPolicy: 'no' });
    primary.setWalRetention(0, 1024 * 1024);
    await writeMany(primary, 0, 10);
    expect(primary.durableSequence()).toBeLessThan(primary.sequence());
    const durableBefore = primary.durableSequence();
    const cursor = primary.openWalCursor(durableBefore + 1);
    expect(cursor.read(1024 * 1024)).toEqual([]);
    const synced = new Promise<number>((resolve) => primary.onDurable(resolve));
    primary.requestSync();
    expect(await synced).toBe(primary.sequence());
    const batches = cursor.read(1024 * 1024);
    expectContiguous(batches, durableBefore + 1);
    expect(batches[batches.length - 1]!.lastSeq).toBe(primary.sequence());
    cursor.close();
  });

  it('serves a cursor that keeps up from the in-memory tail without opening a file', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY);
    primary.setWalRetention(0, 1024 * 1024);
    await writeMany(primary, 0, 5);
    const cursor = primary.openWalCursor(primary.sequence() + 1);
    const openRead = vi.spyOn(fs, 'openRead');
    await writeMany(primary, 5, 20);
    const batches = cursor.read(1024 * 1024);
    expect(batches).toHaveLength(20);
    expect(openRead).not.toHaveBeenCalled();
    cursor.close();
  });

  it('goes from the files to the tail when a cursor catches up', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY);
    primary.setWalRetention(64 * 1024 * 1024, 2 * 1024); // a tail of a dozen batches
    await writeMany(primary, 0, 500);
    const batches = readAll(primary, 1);
    expectContiguous(batches, 1);
    expect(batches).toHaveLength(primary.sequence());
  });

  it('fails with WalGoneError for a start the retained files no longer hold', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY);
    await writeMany(primary, 0, 600); // flushed: obsolete WALs are deleted at once (retention 0)
    expect(primary.walHistory().firstSeq).toBeGreaterThan(1);
    expect(() => primary.openWalCursor(1)).toThrow(WalGoneError);
    const first = primary.walHistory().firstSeq;
    expectContiguous(readAll(primary, first), first);
  });

  it('keeps obsolete WALs up to the retention bound, oldest deleted first', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY);
    primary.setWalRetention(1024 * 1024 * 1024, 0);
    await writeMany(primary, 0, 1500);
    expect(primary.stats().flushes).toBeGreaterThan(3);
    expect(primary.walHistory().firstSeq).toBe(1);
    expect(readAll(primary, 1)).toHaveLength(1500);
    const walCount = () => fs.list(PRIMARY).filter((name) => name.endsWith('.log')).length;
    const before = walCount();
    primary.setWalRetention(100 * 1024, 0);
    expect(walCount()).toBeLessThan(before);
    expect(primary.walHistory().retainedBytes).toBeLessThanOrEqual(100 * 1024);
    expect(() => primary.openWalCursor(1)).toThrow(WalGoneError);
    const first = primary.walHistory().firstSeq;
    expectContiguous(readAll(primary, first), first);
  });

  it('ends a cursor with WalGoneError when the file it needs next was trimmed under it', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY);
    primary.setWalRetention(1024 * 1024 * 1024, 0);
    await writeMany(primary, 0, 1500);
    const cursor = primary.openWalCursor(1);
    expect(cursor.read(100).length).toBeGreaterThan(0); // inside the first file
    primary.setWalRetention(0, 0);
    expect(() => {
      for (let reads = 0; reads < 100_000; reads++) if (cursor.read(64 * 1024).length === 0) break;
    }).toThrow(WalGoneError);
    cursor.close();
  });

  it('deletes every WAL at close, retained ones included (the next open needs none)', async () => {
    const fs = new CrashableFileSystem();
    const primary = await open(fs, PRIMARY);
    primary.setWalRetention(1024 * 1024 * 1024, 0);
    await writeMany(primary, 0, 700);
    await primary.close();
    expect(fs.list(PRIMARY).filter((name) => name.endsWith('.log'))).toHaveLength(0);
  });
});

describe('applyReplicated', () => {
  it('refuses a batch that does not follow the last sequence number, and a payload that does not decode', async () => {
    const replica = await open(new CrashableFileSystem(), REPLICA);
    expect(() => replica.applyReplicated(encodeBatch(5, [put(1)]))).toThrow(ReplicationGapError);
    expect(() => replica.applyReplicated(Buffer.from('garbage that is not a batch'))).toThrow(WalCorruptionError);
    await replica.applyReplicated(encodeBatch(1, [put(1), put(2)])).durable;
    expect(replica.sequence()).toBe(2);
    expect(replica.durableSequence()).toBe(2);
  });

  it('resumes from its own recovered sequence number after a crash that dropped unsynced batches', async () => {
    const primaryFs = new CrashableFileSystem();
    const primary = await open(primaryFs, PRIMARY);
    primary.setWalRetention(1024 * 1024 * 1024, 0);
    await writeMany(primary, 0, 400);
    const batches = readAll(primary, 1);
    const replicaFs = new CrashableFileSystem();
    let replica = await open(replicaFs, REPLICA, { syncPolicy: 'no' });
    for (const batch of batches.slice(0, 250)) void replica.applyReplicated(batch.payload).durable;
    replicaFs.crash();
    replica = await open(replicaFs, REPLICA);
    const resumeAt = replica.sequence() + 1;
    expect(resumeAt).toBeLessThanOrEqual(251);
    for (const batch of readAll(primary, resumeAt)) await replica.applyReplicated(batch.payload).durable;
    expect(contents(replica)).toEqual(contents(primary));
  });
});

/** What the replica's side of a full sync does: tables into a staging dir, synced; then install. */
function copyCheckpoint(primary: Engine, replicaFs: FileSystem): { lastSequence: number; staged: StagedTable[]; release: () => void } {
  const checkpoint = primary.checkpoint();
  const header = decodeCheckpointHeader(encodeCheckpointHeader(checkpoint.lastSequence, checkpoint.tables));
  const stagingDir = nodePath.join(REPLICA, 'replica-sync');
  replicaFs.mkdirp(stagingDir);
  const staged = header.tables.map((meta, index) => {
    const source = checkpoint.openTable(checkpoint.tables[index]!);
    const path = nodePath.join(stagingDir, `${index}.sst`);
    const target = replicaFs.create(path);
    for (let offset = 0; offset < source.size(); offset += 10_000) target.append(source.read(offset, 10_000));
    target.sync();
    target.close();
    source.close();
    return { meta, path };
  });
  replicaFs.syncDir(stagingDir);
  return { lastSequence: header.lastSequence, staged, release: () => checkpoint.release() };
}

describe('full sync: checkpoint and installCheckpoint', () => {
  it('puts the primary tables in place of a replica database, then the stream from the checkpoint on completes it', async () => {
    const primaryFs = new CrashableFileSystem();
    const primary = await open(primaryFs, PRIMARY); // retention 0: only the checkpoint's pin keeps the WAL
    await writeMany(primary, 0, 800);
    const replicaFs = new CrashableFileSystem();
    const old = await open(replicaFs, REPLICA);
    await old.write([{ kind: 'put', key: Buffer.from('only-on-the-replica'), value: Buffer.from('x') }]);
    for (let index = 0; index < 50; index++) await old.write([put(100_000 + index)]); // its own WAL history
    const copy = copyCheckpoint(primary, replicaFs);
    await writeMany(primary, 800, 700); // flushes: the WAL after the checkpoint stays pinned
    await old.close();
    installCheckpoint(replicaFs, REPLICA, copy.lastSequence, copy.staged);
    const replica = await open(replicaFs, REPLICA);
    expect(replica.sequence()).toBe(copy.lastSequence);
    expect(replica.get(Buffer.from('only-on-the-replica'))).toBeUndefined();
    for (const batch of readAll(primary, copy.lastSequence + 1)) await replica.applyReplicated(batch.payload).durable;
    copy.release();
    expect(contents(replica)).toEqual(contents(primary));
    expect(replica.sequence()).toBe(primary.sequence());
    expect(() => primary.openWalCursor(copy.lastSequence + 1)).toThrow(WalGoneError); // the pin is gone
  });

  it('leaves the old database whole after a crash before the switch, and the new one after it', async () => {
    const primary = await open(new CrashableFileSystem(), PRIMARY);
    await writeMany(primary, 0, 600);
    await primary.flush();
    const replicaFs = new CrashableFileSystem();
    const old = await open(replicaFs, REPLICA);
    await old.write([{ kind: 'put', key: Buffer.from('old'), value: Buffer.from('1') }]);
    await old.close();
    const copy = copyCheckpoint(primary, replicaFs);
    replicaFs.injectFault({ op: 'rename', path: /CURRENT\.tmp$/, code: 'EIO' }); // the switch itself fails
    expect(() => installCheckpoint(replicaFs, REPLICA, copy.lastSequence, copy.staged)).toThrow();
    replicaFs.clearFaults();
    replicaFs.crash();
    const reopened = await open(replicaFs, REPLICA);
    expect(reopened.get(Buffer.from('old'))?.toString()).toBe('1');
    expect(reopened.stats().sstableFiles).toBe(1); // the moved-in tables were orphans, removed
    await reopened.close();
    const again = copyCheckpoint(primary, replicaFs);
    installCheckpoint(replicaFs, REPLICA, again.lastSequence, again.staged);
    replicaFs.crash();
    const replica = await open(replicaFs, REPLICA);
    expect(replica.get(Buffer.from('old'))).toBeUndefined();
    expect(contents(replica)).toEqual(contents(primary));
    copy.release();
    again.release();
  });
});
