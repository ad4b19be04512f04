// storage/engine.test.ts: the engine's crash-safety invariants, each with a test that fails if the
// invariant is broken, on the in-memory CrashableFileSystem (and a few on the real one).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine, type EngineLogLevel, type EngineOptions, type ScanItem, type WriteOp } from './engine.js';
import {
  EngineClosedError,
  EngineFailedError,
  LockedError,
  MissingFileError,
  SstableCorruptionError,
  WalCorruptionError,
} from './errors.js';
import { RealFileSystem, type FileSystem, type WritableFile } from './file-system.js';
import { CrashableFileSystem, type CrashOptions } from './crashable-file-system.js';
import { Memtable } from './memtable.js';
import { encodeBatch, LogWriter, readWal, WAL_RESERVE_BYTES } from './wal.js';

const DIR = '/db';

function key(index: number): Buffer {
  return Buffer.from(`key-${String(index).padStart(6, '0')}`);
}

function value(index: number, bytes = 20): Buffer {
  return Buffer.from(`value-${index}-`.padEnd(bytes, 'x'));
}

function put(index: number, bytes?: number): WriteOp {
  return { kind: 'put', key: key(index), value: value(index, bytes) };
}

const opened: Engine[] = [];

async function open(fs: CrashableFileSystem | RealFileSystem, options: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = await Engine.open({ dir: DIR, fs, syncPolicy: 'always', ...options });
  opened.push(engine);
  return engine;
}

/** After fs.crash() the old engine is abandoned: its handles are dead, so it fails quietly. */
async function crashAndReopen(
  fs: CrashableFileSystem,
  options: Partial<EngineOptions> = {},
  crash: CrashOptions = {},
): Promise<Engine> {
  fs.crash(crash);
  return open(fs, options);
}

function walFiles(fs: CrashableFileSystem): string[] {
  return fs.list(DIR).filter((name) => name.endsWith('.log'));
}

function tableFiles(fs: CrashableFileSystem): string[] {
  return fs.list(DIR).filter((name) => name.endsWith('.sst'));
}

function numbersOf(names: readonly string[]): number[] {
  return names.map((name) => Number(/^(\d+)/.exec(name)?.[1] ?? 'NaN'));
}

/** fs whose files' syncAsync waits delayMs before syncing (an fsync that stays in flight a while). */
function withSlowSyncAsync(fs: CrashableFileSystem, delayMs: number): FileSystem {
  const slow = (file: WritableFile): WritableFile => ({
    path: file.path,
    size: () => file.size(),
    append: (data) => file.append(data),
    reserve: (bytes) => file.reserve(bytes),
    trimReserve: () => file.trimReserve(),
    sync: () => file.sync(),
    syncAsync: () => new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() => file.syncAsync()),
    close: () => file.close(),
  });
  return new Proxy(fs, {
    get(target, name) {
      if (name === 'create' || name === 'openAppend') return (path: string) => slow(target[name](path));
      const member = Reflect.get(target, name, target) as unknown;
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

function flipByte(bytes: Buffer, offset: number): void {
  bytes.writeUInt8(bytes.readUInt8(offset) ^ 0xff, offset);
}

function keysOf(items: Iterable<ScanItem>): string[] {
  return [...items].map((item) => item.key.toString());
}

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

describe('write durability (always)', () => {
  it('resolves a write only after an fsync covering it returned', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    const fsyncsBefore = engine.stats().fsyncs;
    let syncsAtResolve = -1;
    const pending = engine.write([put(1)]).then(() => {
      syncsAtResolve = engine.stats().fsyncs;
    });
    expect(engine.get(key(1))).toEqual(value(1)); // applied synchronously
    expect(syncsAtResolve).toBe(-1);
    await pending;
    expect(syncsAtResolve).toBeGreaterThan(fsyncsBefore);
  });

  it('loses only unacknowledged writes when the power fails before the fsync returns', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    await engine.write([put(1)]);
    const unacknowledged = engine.write([put(2)]);
    let settled = false;
    unacknowledged.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve(); // its bytes are appended, its fsync is in flight
    await Promise.resolve();
    expect(settled).toBe(false);
    const reopened = await crashAndReopen(fs);
    await expect(unacknowledged).rejects.toThrow(EngineFailedError);
    expect(reopened.get(key(1))).toEqual(value(1));
    expect(reopened.get(key(2))).toBeUndefined();
  });

  it('shares one fsync among writes issued together and among writes queued behind an fsync', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    const before = engine.stats();
    await Promise.all(Array.from({ length: 100 }, (_, index) => engine.write([put(index)])));
    const afterBurst = engine.stats();
    expect(afterBurst.fsyncs - before.fsyncs).toBe(1);
    expect(afterBurst.walAppends - before.walAppends).toBe(1);

    const writer = async (id: number): Promise<void> => {
      for (let round = 0; round < 10; round++) await engine.write([put(1000 + id * 10 + round)]);
    };
    await Promise.all(Array.from({ length: 100 }, (_, id) => writer(id)));
    const afterWriters = engine.stats();
    expect(afterWriters.fsyncs - afterBurst.fsyncs).toBeLessThanOrEqual(25); // 1000 writes
    for (let index = 1000; index < 2000; index++) expect(engine.get(key(index))).toEqual(value(index));
  });
});

describe('write durability (everysec, no)', () => {
  it('acknowledges once appended; everysec syncs within a few seconds, no only at rotation', async () => {
    for (const syncPolicy of ['everysec', 'no'] as const) {
      const fs = new CrashableFileSystem();
      const engine = await open(fs, { syncPolicy });
      const before = engine.stats();
      await engine.write([put(1)]);
      const appended = engine.stats();
      expect(appended.walAppends).toBe(before.walAppends + 1);
      expect(appended.fsyncs).toBe(before.fsyncs);
      if (syncPolicy === 'everysec') {
        for (let waited = 0; waited < 50 && engine.stats().fsyncs === before.fsyncs; waited++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(engine.stats().fsyncs).toBe(before.fsyncs + 1);
        const reopened = await crashAndReopen(fs, { syncPolicy });
        expect(reopened.get(key(1))).toEqual(value(1));
      } else {
        const reopened = await crashAndReopen(fs, { syncPolicy });
        expect(reopened.get(key(1))).toBeUndefined(); // appended, never synced: lost on power loss
      }
    }
  });
});

describe('durableSequence', () => {
  it('covers a write only once an fsync covering it returned, whatever the policy', async () => {
    for (const syncPolicy of ['always', 'everysec', 'no'] as const) {
      const engine = await open(new CrashableFileSystem(), { syncPolicy });
      const start = engine.durableSequence();
      const written = engine.write([put(1), put(2)]);
      expect(engine.sequence()).toBe(start + 2);
      expect(engine.durableSequence()).toBe(start); // appended at most: not on disk yet
      await written;
      if (syncPolicy === 'always') expect(engine.durableSequence()).toBe(start + 2);
      else expect(engine.durableSequence()).toBe(start);
      await engine.flush(); // rotation syncs the WAL
      expect(engine.durableSequence()).toBe(start + 2);
    }
  });

  it('counts what recovery replayed as durable, because it syncs the WALs it replays', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { syncPolicy: 'no' });
    await engine.write([put(1)]);
    expect(engine.durableSequence()).toBeLessThan(engine.sequence());
    const afterKill = fs.clone(); // kill -9: the page cache survives, the process does not
    const restarted = await open(afterKill, { syncPolicy: 'no' });
    expect(restarted.get(key(1))).toEqual(value(1));
    expect(restarted.durableSequence()).toBe(restarted.sequence());
    afterKill.crash(); // then the power fails: what the restarted engine showed must still be there
    const reopened = await open(afterKill, { syncPolicy: 'no' });
    expect(reopened.get(key(1))).toEqual(value(1));
  });
});

describe('setSyncPolicy', () => {
  it('makes what was written before durable at the switch, and each later write keeps its own promise', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { syncPolicy: 'no' });
    await engine.write([put(1)]); // acknowledged once appended, not synced
    const fsyncsBefore = engine.stats().fsyncs;
    engine.setSyncPolicy('always');
    expect(engine.stats().fsyncs).toBe(fsyncsBefore + 1);
    let resolvedAfterFsync = false;
    await engine.write([put(2)]).then(() => (resolvedAfterFsync = engine.stats().fsyncs > fsyncsBefore + 1));
    expect(resolvedAfterFsync).toBe(true); // 'always' from now on
    engine.setSyncPolicy('no');
    await engine.write([put(3)]);
    const reopened = await crashAndReopen(fs, { syncPolicy: 'no' });
    expect(reopened.get(key(1))).toEqual(value(1));
    expect(reopened.get(key(2))).toEqual(value(2));
    expect(reopened.get(key(3))).toBeUndefined(); // under 'no' again: appended, never synced
  });

  it('does not strand writes behind a background fsync that was in flight at the switch to always', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { syncPolicy: 'no', fs: withSlowSyncAsync(fs, 30) });
    await engine.write([put(1, 1_100_000)]); // past WAL_BYTES_PER_SYNC: starts a background fsync
    engine.setSyncPolicy('always');
    const settled = await Promise.race([
      engine.write([put(2)]).then(() => 'resolved'),
      new Promise((resolve) => setTimeout(() => resolve('stranded'), 10_000)), // generous: loaded CI machines
    ]);
    expect(settled).toBe('resolved');
  });

  it('settles writes staged in the same turn under the stronger promise', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { syncPolicy: 'always' });
    const staged = engine.write([put(1)]); // staged, not yet appended
    engine.setSyncPolicy('everysec');
    await staged;
    const reopened = await crashAndReopen(fs, { syncPolicy: 'everysec' });
    expect(reopened.get(key(1))).toEqual(value(1));
  });
});

describe('crash recovery', () => {
  it('opens after a power loss wrote later pages of the WAL back but not earlier ones, keeping a prefix', async () => {
    let lostSome = false;
    for (let seed = 1; seed <= 12; seed++) {
      const fs = new CrashableFileSystem();
      const engine = await open(fs, { syncPolicy: 'always' });
      for (let index = 0; index < 20; index++) await engine.write([put(index, 300)]); // synced
      engine.setSyncPolicy('no');
      for (let index = 20; index < 120; index++) await engine.write([put(index, 300)]); // appended, never synced: ~8 pages
      const reopened = await crashAndReopen(fs, {}, { mode: 'lose-pages', seed }); // a lost page followed by records
      for (let index = 0; index < 20; index++) expect(reopened.get(key(index))).toEqual(value(index, 300));
      let kept = 20;
      while (kept < 120 && reopened.get(key(kept)) !== undefined) kept++;
      for (let index = kept; index < 120; index++) expect(reopened.get(key(index)), `key ${index} after a gap at ${kept}`).toBeUndefined();
      lostSome ||= kept < 120;
      await reopened.close();
    }
    expect(lostSome).toBe(true);
  });

  it('replays a batch entirely or not at all after a torn append', async () => {
    let sawTornTail = false;
    for (let seed = 1; seed <= 12; seed++) {
      const fs = new CrashableFileSystem();
      const engine = await open(fs, { syncPolicy: 'no' });
      const batches = 6;
      for (let batch = 0; batch < batches; batch++) {
        // 30 ops x 2 KB: each batch spans blocks, so it is fragmented into FIRST/MIDDLE/LAST.
        const ops = Array.from({ length: 30 }, (_, op) => put(batch * 100 + op, 2000));
        await engine.write(ops); // one append per batch ('no': acknowledged once appended)
      }
      const warnings: string[] = [];
      const logger = (level: EngineLogLevel, msg: string): void => {
        if (level === 'warn') warnings.push(msg);
      };
      const reopened = await crashAndReopen(fs, { syncPolicy: 'no', logger }, { mode: 'tear', seed });
      if (warnings.some((msg) => msg.includes('torn'))) sawTornTail = true;
      let previousPresent = true;
      for (let batch = 0; batch < batches; batch++) {
        const present = Array.from({ length: 30 }, (_, op) => reopened.get(key(batch * 100 + op)) !== undefined);
        expect(new Set(present).size, `seed ${seed} batch ${batch} half applied`).toBe(1);
        const isPresent = present[0]!;
        expect(!isPresent || previousPresent, `seed ${seed}: a hole before batch ${batch}`).toBe(true);
        previousPresent = isPresent;
      }
      await reopened.close();
    }
    expect(sawTornTail).toBe(true);
  });

  it('drops a torn WAL tail with a warning and reads clean once a newer WAL exists', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    await engine.write([put(1)]);
    await engine.write([put(2)]);
    const [wal] = walFiles(fs);
    expect(wal).toBeDefined();
    const path = nodePath.posix.join(DIR, wal!);
    const file = fs.openAppend(path);
    file.append(Buffer.from([0x12, 0x34, 0x56])); // a header cut short by a crash
    file.sync();
    const warnings: Record<string, unknown>[] = [];
    const reopened = await crashAndReopen(fs, {
      logger: (level, msg, fields) => {
        if (level === 'warn') warnings.push({ msg, ...fields });
      },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: path });
    expect(reopened.get(key(1))).toEqual(value(1));
    expect(reopened.get(key(2))).toEqual(value(2));
    await reopened.write([put(3)]);
    // The repaired WAL is no longer the newest: it must read as a clean, complete file.
    const third = await crashAndReopen(fs);
    for (const index of [1, 2, 3]) expect(third.get(key(index))).toEqual(value(index));
  });

  it('refuses to open on a bad crc followed by a valid record, naming the file and offset', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    for (let index = 0; index < 3; index++) await engine.write([put(index)]);
    fs.crash();
    void engine;
    const [wal] = walFiles(fs);
    const path = nodePath.posix.join(DIR, wal!);
    const bytes = fs.readAll(path);
    const firstBatchOffset = 7 + 12; // after the format-version record (header + 12-byte payload)
    flipByte(bytes, firstBatchOffset + 7 + 3); // inside the first batch's payload
    fs.writeAll(path, bytes);
    fs.syncFile(path);
    const failure = await Engine.open({ dir: DIR, fs }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WalCorruptionError);
    expect(failure).toMatchObject({ file: path, offset: firstBatchOffset });
  });

  it('refuses to open when a table named by the manifest is missing', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    await engine.write([put(1)]);
    await engine.close();
    const [table] = tableFiles(fs);
    expect(table).toBeDefined();
    const path = nodePath.posix.join(DIR, table!);
    fs.remove(path);
    const failure = await Engine.open({ dir: DIR, fs }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MissingFileError);
    expect(failure).toMatchObject({ file: path });
    expect(String(failure)).toContain(table);
  });

  it('refuses to open when a table named by the manifest is corrupt, naming it', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    await engine.write([put(1), put(2)]);
    await engine.close();
    const [table] = tableFiles(fs);
    const path = nodePath.posix.join(DIR, table!);
    const bytes = fs.readAll(path);
    flipByte(bytes, bytes.length - 1); // the footer's magic
    fs.writeAll(path, bytes);
    const failure = await Engine.open({ dir: DIR, fs }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SstableCorruptionError);
    expect(String(failure)).toContain(table);
    fs.writeAll(path, bytes.subarray(0, bytes.length - 10)); // truncated
    const truncated = await Engine.open({ dir: DIR, fs }).catch((error: unknown) => error);
    expect(truncated).toBeInstanceOf(SstableCorruptionError);
    expect(String(truncated)).toContain(table);
  });

  it('never reuses file numbers or sequence numbers across reopen and crash', async () => {
    const fs = new CrashableFileSystem();
    let engine = await open(fs, { memtableBytesMax: 4096 });
    const seen = new Set<number>();
    let lastSequence = 0;
    const noteFiles = (): void => {
      for (const number of numbersOf([...walFiles(fs), ...tableFiles(fs)])) seen.add(number);
    };
    for (let round = 0; round < 6; round++) {
      const before = new Set(seen);
      for (let index = 0; index < 40; index++) {
        await engine.write([put(round * 100 + index, 100)]);
        noteFiles();
      }
      const stats = engine.stats();
      expect(stats.lastSequence).toBeGreaterThan(lastSequence);
      lastSequence = stats.lastSequence;
      if (round % 2 === 0) {
        await engine.close();
        engine = await open(fs, { memtableBytesMax: 4096 });
      } else {
        engine = await crashAndReopen(fs, { memtableBytesMax: 4096 }, { mode: 'keep-random', seed: round });
      }
      noteFiles();
      await engine.write([put(round * 100 + 99)]);
      expect(engine.stats().lastSequence).toBe(lastSequence + 1); // continues after every acknowledged seq
      lastSequence += 1;
      const fresh = numbersOf([...walFiles(fs), ...tableFiles(fs)]).filter((number) => !before.has(number));
      for (const number of fresh) expect(number).toBeGreaterThan(Math.max(0, ...before));
      noteFiles();
    }
    for (let round = 0; round < 6; round++) {
      for (let index = 0; index < 40; index++) expect(engine.get(key(round * 100 + index))).toEqual(value(round * 100 + index, 100));
    }
  });

  it('keeps acknowledged writes across many flushes and a crash', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { memtableBytesMax: 8 * 1024 });
    for (let index = 0; index < 600; index++) await engine.write([put(index, 50)]);
    await engine.write([{ kind: 'delete', key: key(7) }]);
    expect(engine.stats().flushes).toBeGreaterThan(5);
    const reopened = await crashAndReopen(fs, { memtableBytesMax: 8 * 1024 }, { mode: 'keep-random', seed: 7 });
    for (let index = 0; index < 600; index++) {
      expect(reopened.get(key(index))).toEqual(index === 7 ? undefined : value(index, 50));
    }
    expect(keysOf(reopened.scan())).toHaveLength(599);
  });
});

describe('failure', () => {
  it('fails read-only on an fsync error: rejects pending and later writes, keeps reads, never retries', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    await engine.write([put(1)]);
    fs.injectFault({ op: 'sync', path: /\.log$/, code: 'EIO' });
    const failed = engine.write([put(2)]);
    await expect(failed).rejects.toThrow(EngineFailedError);
    await expect(failed).rejects.toThrow(/WAL fsync failed.*EIO/);
    expect(engine.failure()).toBeInstanceOf(EngineFailedError);
    expect(() => engine.write([put(3)])).toThrow(EngineFailedError);
    expect(engine.get(key(1))).toEqual(value(1));
    expect(keysOf(engine.scan())).toContain(key(1).toString());
    fs.clearFaults();
    const syncs = fs.stats().syncs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fs.stats().syncs).toBe(syncs);
    await engine.close();
    expect(() => engine.write([put(4)])).toThrow(EngineFailedError);
    const reopened = await open(fs); // the LOCK was released; acknowledged data is there
    expect(reopened.get(key(1))).toEqual(value(1));
  });

  it('fails on an append error and on a manifest error during a flush', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { syncPolicy: 'no' });
    fs.injectFault({ op: 'append', path: /\.log$/, code: 'ENOSPC' });
    await expect(engine.write([put(1)])).rejects.toThrow(/WAL append failed.*ENOSPC/);
    expect(() => engine.write([put(2)])).toThrow(EngineFailedError);

    const fs2 = new CrashableFileSystem();
    const engine2 = await open(fs2, { memtableBytesMax: 2048 });
    fs2.injectFault({ op: 'sync', path: /MANIFEST/, code: 'EIO' });
    const writes: Promise<void>[] = [];
    for (let index = 0; index < 40 && engine2.failure() === undefined; index++) {
      writes.push(engine2.write([put(index, 100)]).catch(() => undefined));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    await engine2.flush().catch(() => undefined);
    expect(engine2.failure()?.message).toMatch(/manifest update failed/);
    expect(engine2.get(key(0))).toEqual(value(0, 100));
  });

  it('throws LockedError on a second open of the same directory', async () => {
    const fs = new CrashableFileSystem();
    await open(fs);
    await expect(Engine.open({ dir: DIR, fs })).rejects.toThrow(LockedError);
  });

  it('throws EngineClosedError on writes and reads after close', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    await engine.close();
    expect(() => engine.write([put(1)])).toThrow(EngineClosedError);
    expect(() => engine.get(key(1))).toThrow(EngineClosedError);
  });
});

describe('reads', () => {
  it('hides expired entries, in the memtable, in tables and after reopen', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs);
    const past = Date.now() - 1000;
    const future = Date.now() + 3_600_000;
    await engine.write([
      { kind: 'put', key: key(1), value: value(1), expireAtMs: past },
      { kind: 'put', key: key(2), value: value(2), expireAtMs: future },
      put(3),
    ]);
    const check = (target: Engine): void => {
      expect(target.get(key(1))).toBeUndefined();
      expect(target.getEntry(key(1))).toBeUndefined();
      expect(target.getEntry(key(1), { includeExpired: true })).toMatchObject({ value: value(1), expireAtMs: past });
      expect(target.getEntry(key(2))).toMatchObject({ value: value(2), expireAtMs: future });
      expect([...target.scan()].map((item) => [item.key.toString(), item.expireAtMs])).toEqual([
        [key(2).toString(), future],
        [key(3).toString(), undefined],
      ]);
    };
    check(engine);
    await engine.flush();
    check(engine);
    const crashed = await crashAndReopen(fs);
    check(crashed);
    await crashed.close();
    check(await open(fs));
  });

  it('gives a scan the state at its start, through later writes, deletes and a flush', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { memtableBytesMax: 4096 });
    for (let index = 0; index < 100; index += 2) await engine.write([put(index, 60)]);
    const expected = Array.from({ length: 50 }, (_, index) => key(index * 2).toString());

    const iterator = engine.scan()[Symbol.iterator]();
    const seen = [iterator.next().value!.key.toString()];
    await engine.write([put(1), put(51), put(99), { kind: 'delete', key: key(50) }, put(98, 10)]);
    await engine.flush();
    for (let index = 100; index < 200; index++) await engine.write([put(index, 60)]);
    for (let step = iterator.next(); step.done !== true; step = iterator.next()) {
      seen.push(step.value.key.toString());
      if (step.value.key.equals(key(98))) expect(step.value.value).toEqual(value(98, 60));
    }
    expect(seen).toEqual(expected);

    const asyncSeen: string[] = [];
    const snapshotKeys = keysOf(engine.scan());
    for await (const item of engine.scan()) {
      asyncSeen.push(item.key.toString());
      if (asyncSeen.length % 10 === 0) {
        await engine.write([put(1000 + asyncSeen.length, 60), { kind: 'delete', key: key(asyncSeen.length * 2) }]);
      }
    }
    expect(asyncSeen).toEqual(snapshotKeys);
    expect(engine.stats().openSnapshots).toBe(0);
  });

  it('keeps the snapshot of a scan while memtables rotate and later ones reuse the arrays of flushed ones', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { memtableBytesMax: 256 * 1024, syncPolicy: 'no' });
    const taken: boolean[] = [];
    const takeArrays = Memtable.prototype.takeArrays;
    const spy = vi.spyOn(Memtable.prototype, 'takeArrays').mockImplementation(function (this: Memtable) {
      const arrays = takeArrays.call(this);
      taken.push(arrays !== undefined);
      return arrays;
    });
    try {
      const batch = (from: number, to: number): WriteOp[] => Array.from({ length: to - from }, (_, offset) => put(from + offset, 30));
      for (let from = 0; from < 4_000; from += 500) await engine.write(batch(from, from + 500));
      const iterator = engine.scan()[Symbol.iterator](); // pins the memtables it reads
      const seen = [iterator.next().value!.key.toString()];
      for (let round = 0; round < 12; round++) {
        // overwrite what the scan will read, and add keys it must not see, over several rotations
        for (let from = 0; from < 4_000; from += 500) await engine.write(batch(from, from + 500).map((op) => ({ ...op, value: Buffer.from(`round-${round}`) })));
        for (let from = 10_000 + round * 1_000; from < 11_000 + round * 1_000; from += 500) await engine.write(batch(from, from + 500));
        // let the flushes finish (bounded): under load a slow flush lets the next memtable grow past
        // memtableBytesMax instead of rotating, and this test wants rotations
        for (let wait = 0; wait < 400 && engine.stats().immutableMemtableBytes > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (let step = iterator.next(); step.done !== true; step = iterator.next()) {
        seen.push(step.value.key.toString());
        expect(step.value.value).toEqual(value(Number(step.value.key.toString().slice(4)), 30));
      }
      expect(seen).toEqual(Array.from({ length: 4_000 }, (_, index) => key(index).toString()));
      expect(engine.stats().flushes).toBeGreaterThan(6);
      expect(taken).toContain(false); // the scan's pin kept a flushed memtable's arrays from reuse
      expect(taken).toContain(true); // and later ones were reused
      for (let index = 0; index < 4_000; index += 97) expect(engine.get(key(index))).toEqual(Buffer.from('round-11'));
      for (let index = 10_000; index < 22_000; index += 101) expect(engine.get(key(index))).toEqual(value(index, 30));
    } finally {
      spy.mockRestore();
    }
  });

  it('honours start (inclusive), end (exclusive) and after (exclusive)', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { memtableBytesMax: 2048 });
    for (let index = 0; index < 40; index++) await engine.write([put(index, 40)]);
    await engine.write([{ kind: 'delete', key: key(5) }]);
    const live = Array.from({ length: 40 }, (_, index) => index).filter((index) => index !== 5);
    const range = (options: Parameters<Engine['scan']>[0]): number[] =>
      [...engine.scan(options)].map((item) => Number(item.key.toString().slice(4)));
    expect(range({})).toEqual(live);
    expect(range({ start: key(3), end: key(8) })).toEqual([3, 4, 6, 7]);
    expect(range({ after: key(3), end: key(8) })).toEqual([4, 6, 7]);
    expect(range({ after: key(4) })).toEqual(live.filter((index) => index > 4));
    expect(range({ start: key(10), after: key(3) })).toEqual(live.filter((index) => index >= 10));
    expect(range({ start: key(3), after: key(10), end: key(14) })).toEqual([11, 12, 13]);
    expect(range({ start: key(9), end: key(9) })).toEqual([]);
    const page = engine.scanPage({ start: key(3) }, 3);
    expect(page.items.map((item) => item.key.toString())).toEqual([key(3), key(4), key(6)].map(String));
    expect(page.more).toBe(true);
    expect(engine.scanPage({ after: key(37) }, 2)).toMatchObject({ more: false });
    expect(engine.scanPage({ after: key(37) }, 2).items).toHaveLength(2);
    expect(engine.stats().openSnapshots).toBe(0);
  });
});

describe('memtable rotation', () => {
  it('reports a write stall while the previous memtable flushes, and ends it', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { memtableBytesMax: 4096 });
    let index = 0;
    while (engine.writeStallMs() === 0 && index < 10_000) void engine.write([put(index++, 100)]);
    expect(engine.writeStallMs()).toBeGreaterThan(0);
    await engine.waitForWriteRoom();
    expect(engine.writeStallMs()).toBe(0);
    await engine.flush();
    const stats = engine.stats();
    expect(stats.stallCount).toBeGreaterThanOrEqual(1);
    expect(stats.flushes).toBeGreaterThanOrEqual(2);
    for (let check = 0; check < index; check++) expect(engine.get(key(check))).toEqual(value(check, 100));
  });

  it('removes replayed and obsolete WALs only after a flush made them obsolete, and close replays nothing', async () => {
    const fs = new CrashableFileSystem();
    const engine = await open(fs, { memtableBytesMax: 1 << 20 });
    for (let index = 0; index < 50; index++) await engine.write([put(index)]);
    const crashed = await crashAndReopen(fs, { memtableBytesMax: 1 << 20 });
    expect(walFiles(fs)).toHaveLength(2); // the replayed one stays until a flush
    await crashed.flush();
    expect(walFiles(fs)).toHaveLength(1);
    await crashed.write([put(1000)]);
    await crashed.close();
    expect(walFiles(fs)).toHaveLength(0);
    const reopened = await open(fs);
    expect(reopened.stats().replayedBatches).toBe(0);
    for (let index = 0; index < 50; index++) expect(reopened.get(key(index))).toEqual(value(index));
    expect(reopened.get(key(1000))).toEqual(value(1000));
  });
});

describe('on the real file system', () => {
  let dir: string | undefined;
  afterEach(async () => {
    for (const engine of opened.splice(0)) await engine.close().catch(() => undefined); // before rm
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keeps zeros preallocated past the live WAL only, trimming a WAL as it rotates out', async () => {
    dir = await mkdtemp(nodePath.join(tmpdir(), 'tskv-engine-'));
    const walDir = dir;
    const fs = new RealFileSystem();
    const engine = await Engine.open({ dir: walDir, fs, memtableBytesMax: 32 * 1024 });
    opened.push(engine);
    const wals = (): string[] => fs.list(walDir).filter((name) => name.endsWith('.log')).map((name) => nodePath.join(walDir, name));
    let checked = 0;
    for (let index = 0; index < 2_000 && checked < 5; index++) {
      const before = wals();
      const written = engine.write([put(index, 100)]); // a rotation happens inside write(), before it settles
      const after = wals();
      if (after.length > before.length) {
        const rotatedOut = after[after.length - 2]!;
        const live = after[after.length - 1]!;
        expect(fs.fileSize(rotatedOut)).toBe(readWal(fs, rotatedOut, { isLast: false }).validBytes); // ends at its last record
        checked++;
        await written;
        await engine.write([put(100_000 + index, 100)]);
        expect(fs.fileSize(live)).toBeGreaterThanOrEqual(WAL_RESERVE_BYTES); // its first appends reserved space ahead
      } else {
        await written;
      }
    }
    expect(checked).toBe(5);
  });

  it('opens what a kill -9 leaves right after a new WAL is created, with the WAL before it ending at its last record', async () => {
    dir = await mkdtemp(nodePath.join(tmpdir(), 'tskv-engine-'));
    const liveDir = nodePath.join(dir, 'live');
    const real = new RealFileSystem();
    real.mkdirp(liveDir);
    const snapshots: { dir: string; acked: number }[] = [];
    let acked = -1;
    let newestWal: string | undefined;
    // Builds before the fix trimmed the older WAL after creating the newer: that state still opens
    // (the newest WAL holds no batch), and zeros after an older WAL's records stay corruption otherwise.
    const untrimmed = (from: string, name: string): string => {
      const copy = nodePath.join(dir!, name);
      real.mkdirp(copy);
      for (const file of real.list(from)) if (file !== 'LOCK') real.writeAll(nodePath.join(copy, file), real.readAll(nodePath.join(from, file)));
      const wals = real.list(copy).filter((file) => file.endsWith('.log'));
      const older = nodePath.join(copy, wals[wals.length - 2]!);
      real.writeAll(older, Buffer.concat([real.readAll(older), Buffer.alloc(WAL_RESERVE_BYTES)]));
      return copy;
    };
    // A kill -9 keeps what was written (the page cache), so copying the files is its state. The
    // newest WAL's directory entry is synced right after its format record: copy there.
    const fs = new Proxy(real, {
      get(target, name) {
        if (name === 'syncDir') {
          return (path: string) => {
            target.syncDir(path);
            const wals = target.list(liveDir).filter((file) => file.endsWith('.log'));
            if (path !== liveDir || wals.length < 2 || wals[wals.length - 1] === newestWal || snapshots.length >= 4) return;
            newestWal = wals[wals.length - 1];
            const copy = nodePath.join(dir!, `kill-${snapshots.length}`);
            target.mkdirp(copy);
            for (const file of target.list(liveDir)) if (file !== 'LOCK') target.writeAll(nodePath.join(copy, file), target.readAll(nodePath.join(liveDir, file)));
            snapshots.push({ dir: copy, acked });
          };
        }
        const member = Reflect.get(target, name, target) as unknown;
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
    const engine = await Engine.open({ dir: liveDir, fs, memtableBytesMax: 32 * 1024 });
    opened.push(engine);
    for (let index = 0; index < 3_000 && snapshots.length < 4; index++) {
      await engine.write([put(index, 100)]);
      acked = index;
    }
    expect(snapshots.length).toBe(4);
    const legacyDir = untrimmed(snapshots[1]!.dir, 'legacy'); // before the loop below opens (and changes) the snapshot
    const damagedDir = untrimmed(snapshots[2]!.dir, 'damaged');
    const newest = real.list(damagedDir).filter((file) => file.endsWith('.log')).pop()!;
    const log = new LogWriter(real.openAppend(nodePath.join(damagedDir, newest)));
    log.addRecord(encodeBatch(1e9, [put(900_000, 100)])); // the newest WAL holds a batch: nothing excuses the zeros
    log.sync();
    log.close();
    for (const snapshot of snapshots) {
      const wals = real.list(snapshot.dir).filter((file) => file.endsWith('.log')).map((file) => nodePath.join(snapshot.dir, file));
      for (const wal of wals.slice(0, -1)) expect(real.fileSize(wal)).toBe(readWal(real, wal, { isLast: false }).validBytes);
      const reopened = await Engine.open({ dir: snapshot.dir, fs: real }); // a zero tail on an older WAL is corruption
      opened.push(reopened);
      for (let index = 0; index <= snapshot.acked; index++) expect(reopened.get(key(index))).toEqual(value(index, 100));
    }
    const legacy = await Engine.open({ dir: legacyDir, fs: real });
    opened.push(legacy);
    for (let index = 0; index <= snapshots[1]!.acked; index++) expect(legacy.get(key(index))).toEqual(value(index, 100));
    await expect(Engine.open({ dir: damagedDir, fs: real })).rejects.toThrow(WalCorruptionError);
  });

  it('writes, flushes, reopens and refuses a second open', async () => {
    dir = await mkdtemp(nodePath.join(tmpdir(), 'tskv-engine-'));
    const fs = new RealFileSystem();
    const engine = await Engine.open({ dir, fs, memtableBytesMax: 16 * 1024 });
    opened.push(engine);
    await expect(Engine.open({ dir, fs })).rejects.toThrow(LockedError);
    await Promise.all(Array.from({ length: 500 }, (_, index) => engine.write([put(index, 80)])));
    await engine.flush();
    expect(engine.stats().flushes).toBeGreaterThan(1);
    await engine.close();
    const reopened = await Engine.open({ dir, fs });
    opened.push(reopened);
    expect(reopened.stats().replayedBatches).toBe(0);
    for (let index = 0; index < 500; index++) expect(reopened.get(key(index))).toEqual(value(index, 80));
    expect(keysOf(reopened.scan())).toHaveLength(500);
  });
});
