import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockedError } from './errors.js';
import { RealFileSystem, type FileSystem } from './file-system.js';
import { CrashableFileSystem, type CrashMode, type RecordedOp } from './crashable-file-system.js';

const DIR = '/db';

function freshFs(): CrashableFileSystem {
  const fs = new CrashableFileSystem();
  fs.mkdirp(DIR);
  return fs;
}

/** A file whose directory entry is durable, holding `synced` durably and `unsynced` after it. */
function fileWith(fs: CrashableFileSystem, name: string, synced: string, unsynced: string[]): void {
  const file = fs.create(`${DIR}/${name}`);
  file.append(Buffer.from(synced));
  file.sync();
  fs.syncDir(DIR);
  for (const chunk of unsynced) file.append(Buffer.from(chunk));
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
  return undefined;
}

describe('CrashableFileSystem', () => {
  it('drops an unsynced append on crash', () => {
    const fs = freshFs();
    fileWith(fs, 'a.log', 'synced', ['-lost']);
    expect(fs.readAll(`${DIR}/a.log`).toString()).toBe('synced-lost');
    fs.crash();
    expect(fs.readAll(`${DIR}/a.log`).toString()).toBe('synced');
  });

  it('keeps a synced append across a crash', () => {
    const fs = freshFs();
    fileWith(fs, 'a.log', 'one', ['two']);
    fs.syncFile(`${DIR}/a.log`);
    fs.crash();
    expect(fs.readAll(`${DIR}/a.log`).toString()).toBe('onetwo');
  });

  it('loses a synced file created without a directory sync', () => {
    const fs = freshFs();
    const file = fs.create(`${DIR}/new.sst`);
    file.append(Buffer.from('table'));
    file.sync();
    expect(fs.list(DIR)).toEqual(['new.sst']);
    fs.crash();
    expect(fs.exists(`${DIR}/new.sst`)).toBe(false);
    expect(fs.list(DIR)).toEqual([]);
  });

  it('reverts a rename without a directory sync, and keeps it after one', () => {
    const fs = freshFs();
    fs.writeAll(`${DIR}/CURRENT.tmp`, Buffer.from('x'));
    fs.syncFile(`${DIR}/CURRENT.tmp`);
    fs.syncDir(DIR);
    fs.rename(`${DIR}/CURRENT.tmp`, `${DIR}/CURRENT`);
    fs.crash();
    expect(fs.list(DIR)).toEqual(['CURRENT.tmp']);
    fs.rename(`${DIR}/CURRENT.tmp`, `${DIR}/CURRENT`);
    fs.syncDir(DIR);
    fs.crash();
    expect(fs.list(DIR)).toEqual(['CURRENT']);
    expect(fs.readAll(`${DIR}/CURRENT`).toString()).toBe('x');
  });

  it('brings back a removed file when the removal was not directory-synced', () => {
    const fs = freshFs();
    fileWith(fs, 'old.log', 'data', []);
    fs.remove(`${DIR}/old.log`);
    expect(fs.exists(`${DIR}/old.log`)).toBe(false);
    fs.crash();
    expect(fs.readAll(`${DIR}/old.log`).toString()).toBe('data');
  });

  it('keeps synced content of a file rewritten in place but not synced again', () => {
    const fs = freshFs();
    fileWith(fs, 'CURRENT', 'MANIFEST-000001\n', []);
    fs.writeAll(`${DIR}/CURRENT`, Buffer.from('MANIFEST-000002\n'));
    fs.crash({ mode: 'zero-fill' });
    expect(fs.readAll(`${DIR}/CURRENT`).toString()).toBe('MANIFEST-000001\n');
  });

  it('turns unsynced bytes into zeros in zero-fill mode', () => {
    const fs = freshFs();
    fileWith(fs, 'a.log', 'ab', ['cd', 'ef']);
    fs.crash({ mode: 'zero-fill' });
    expect(fs.readAll(`${DIR}/a.log`)).toEqual(Buffer.from([0x61, 0x62, 0, 0, 0, 0]));
  });

  it('cuts only the last unsynced append in tear mode', () => {
    for (let seed = 0; seed < 20; seed++) {
      const fs = freshFs();
      fileWith(fs, 'a.log', 'ab', ['cd', 'efghij']);
      fs.crash({ mode: 'tear', seed });
      const text = fs.readAll(`${DIR}/a.log`).toString();
      expect(text.length).toBeGreaterThanOrEqual(4);
      expect(text.length).toBeLessThan(10);
      expect('abcdefghij'.startsWith(text)).toBe(true);
    }
  });

  it('keeps a seeded random prefix of unsynced bytes in keep-random mode', () => {
    const lengths = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const run = (): string => {
        const fs = freshFs();
        fileWith(fs, 'a.log', 'ab', ['cdef', 'gh']);
        fs.crash({ mode: 'keep-random', seed });
        return fs.readAll(`${DIR}/a.log`).toString();
      };
      const text = run();
      expect(run()).toBe(text); // same seed, same crash state
      expect('abcdefgh'.startsWith(text) && text.length >= 2).toBe(true);
      lengths.add(text.length);
    }
    expect(lengths.size).toBeGreaterThan(3);
  });

  it('keeps a random ordered subset of unsynced directory operations in keep-random mode', () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const fs = freshFs();
      fs.writeAll(`${DIR}/a`, Buffer.from('a'));
      fs.writeAll(`${DIR}/b`, Buffer.from('b'));
      fs.crash({ mode: 'keep-random', seed });
      outcomes.add(fs.list(DIR).join(','));
    }
    expect([...outcomes].sort()).toEqual(['', 'a', 'a,b', 'b']);
  });

  it('makes every handle opened before a crash throw EBADF', async () => {
    const fs = freshFs();
    fileWith(fs, 'a.log', 'x', []);
    const writer = fs.openAppend(`${DIR}/a.log`);
    const reader = fs.openRead(`${DIR}/a.log`);
    const lock = fs.lock(`${DIR}/LOCK`);
    fs.crash();
    expect(codeOf(() => writer.append(Buffer.from('y')))).toBe('EBADF');
    expect(codeOf(() => writer.sync())).toBe('EBADF');
    expect(codeOf(() => reader.read(0, 1))).toBe('EBADF');
    expect(codeOf(() => lock.release())).toBe('EBADF');
    await expect(writer.syncAsync()).rejects.toMatchObject({ code: 'EBADF' });
    expect(fs.openAppend(`${DIR}/a.log`).size()).toBe(1);
  });

  it('does not make bytes durable when a crash hits an async sync in flight', async () => {
    const fs = freshFs();
    fileWith(fs, 'a.log', 'a', ['b']);
    const writer = fs.openAppend(`${DIR}/a.log`);
    const inFlight = writer.syncAsync();
    fs.crash();
    await expect(inFlight).rejects.toMatchObject({ code: 'EBADF' });
    expect(fs.readAll(`${DIR}/a.log`).toString()).toBe('a');

    const again = fs.openAppend(`${DIR}/a.log`);
    again.append(Buffer.from('c'));
    const done = again.syncAsync();
    again.append(Buffer.from('d')); // after the call: not covered by it
    await done;
    fs.crash();
    expect(fs.readAll(`${DIR}/a.log`).toString()).toBe('ac');
  });

  it('throws injected ENOSPC and EIO errors with .code, for count calls, on matching paths only', () => {
    const fs = freshFs();
    const file = fs.create(`${DIR}/000001.log`);
    fs.injectFault({ op: 'append', path: /\.log$/, code: 'ENOSPC', count: 2 });
    fs.injectFault({ op: 'sync', code: 'EIO', after: 1, count: 1 });
    expect(codeOf(() => file.append(Buffer.from('a')))).toBe('ENOSPC');
    expect(codeOf(() => file.append(Buffer.from('a')))).toBe('ENOSPC');
    expect(file.size()).toBe(0); // a failed append writes nothing
    file.append(Buffer.from('a'));
    fs.writeAll(`${DIR}/other.sst`, Buffer.from('b'));
    file.sync(); // the first matching sync passes (after: 1)
    let error: NodeJS.ErrnoException | undefined;
    try {
      file.sync();
    } catch (caught) {
      error = caught as NodeJS.ErrnoException;
    }
    expect(error?.code).toBe('EIO');
    expect(error?.syscall).toBe('fdatasync');
    expect(error?.message).toContain('000001.log');
    file.sync();
    fs.injectFault({ op: 'rename', code: 'EIO' });
    fs.injectFault({ op: 'syncDir', code: 'EIO' });
    fs.injectFault({ op: 'create', code: 'ENOSPC' });
    fs.injectFault({ op: 'remove', code: 'EIO' });
    fs.injectFault({ op: 'writeAll', code: 'ENOSPC' });
    expect(codeOf(() => fs.rename(`${DIR}/other.sst`, `${DIR}/x`))).toBe('EIO');
    expect(codeOf(() => fs.syncDir(DIR))).toBe('EIO');
    expect(codeOf(() => fs.create(`${DIR}/y`))).toBe('ENOSPC');
    expect(codeOf(() => fs.remove(`${DIR}/other.sst`))).toBe('EIO');
    expect(codeOf(() => fs.writeAll(`${DIR}/z`, Buffer.alloc(1)))).toBe('ENOSPC');
    expect(codeOf(() => fs.rename(`${DIR}/other.sst`, `${DIR}/x`))).toBe('EIO'); // no count: until cleared
    fs.clearFaults();
    fs.rename(`${DIR}/other.sst`, `${DIR}/x`);
    expect(fs.list(DIR)).toEqual(['000001.log', 'x']);
  });

  it('rejects syncAsync with an injected sync fault', async () => {
    const fs = freshFs();
    const file = fs.create(`${DIR}/a.log`);
    fs.injectFault({ op: 'sync', code: 'EIO', count: 1 });
    await expect(file.syncAsync()).rejects.toMatchObject({ code: 'EIO' });
    await file.syncAsync();
  });

  it('reports ENOENT, EISDIR and ENOTEMPTY like node:fs', () => {
    const fs = freshFs();
    expect(codeOf(() => fs.readAll(`${DIR}/missing`))).toBe('ENOENT');
    expect(codeOf(() => fs.openRead(`${DIR}/missing`))).toBe('ENOENT');
    expect(codeOf(() => fs.create('/nowhere/file'))).toBe('ENOENT');
    expect(codeOf(() => fs.readAll(DIR))).toBe('EISDIR');
    fs.mkdirp(`${DIR}/sub/deeper`);
    expect(codeOf(() => fs.remove(`${DIR}/sub`))).toBe('ENOTEMPTY');
    fs.remove(`${DIR}/sub/deeper`);
    fs.remove(`${DIR}/sub`);
    expect(fs.list(DIR)).toEqual([]);
  });

  it('reads positionally, shorter only at the end of the file', () => {
    const fs = freshFs();
    fs.writeAll(`${DIR}/f`, Buffer.from('0123456789'));
    const reader = fs.openRead(`${DIR}/f`);
    expect(reader.read(2, 3).toString()).toBe('234');
    expect(reader.read(8, 5).toString()).toBe('89');
    expect(reader.read(20, 5).length).toBe(0);
    const target = Buffer.alloc(8, 0x2e);
    expect(reader.readInto(2, target, 1, 3)).toBe(3);
    expect(reader.readInto(8, target, 5, 3)).toBe(2); // shorter at the end of the file
    expect(target.toString()).toBe('.234.89.');
    expect(() => reader.readInto(0, target, 6, 3)).toThrow(); // past the end of the target: a bug
    fs.truncate(`${DIR}/f`, 4);
    expect(fs.readAll(`${DIR}/f`).toString()).toBe('0123');
    fs.truncate(`${DIR}/f`, 6);
    expect(fs.readAll(`${DIR}/f`)).toEqual(Buffer.from([0x30, 0x31, 0x32, 0x33, 0, 0]));
  });

  it('counts bytes written, syncs, reads and opened readers', () => {
    const fs = freshFs();
    const file = fs.create(`${DIR}/a`);
    file.append(Buffer.alloc(10));
    file.sync();
    fs.writeAll(`${DIR}/b`, Buffer.alloc(5));
    fs.syncDir(DIR);
    fs.openRead(`${DIR}/a`).read(0, 4);
    fs.readAll(`${DIR}/b`);
    expect(fs.stats()).toEqual({ bytesWritten: 15, bytesRead: 9, syncs: 1, dirSyncs: 1, reads: 2, openReads: 1 });
    expect(fs.openReadCount).toBe(1);
    expect(fs.totalBytes(DIR)).toBe(15);
    fs.resetStats();
    expect(fs.stats().bytesWritten).toBe(0);
  });

  it('refuses a second lock on the same LOCK until it is released or the process crashes', () => {
    const fs = freshFs();
    const lock = fs.lock(`${DIR}/LOCK`);
    expect(() => fs.lock(`${DIR}/LOCK`)).toThrow(LockedError);
    lock.release();
    expect(fs.exists(`${DIR}/LOCK`)).toBe(false);
    fs.lock(`${DIR}/LOCK`);
    fs.crash();
    fs.lock(`${DIR}/LOCK`).release();
  });

  it('records enough to rebuild the live state from the recording base', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.nat(3), fc.uint8Array({ maxLength: 20 })), { maxLength: 30 }), (steps) => {
        const fs = freshFs();
        fileWith(fs, 'base', 'base', ['!']);
        fs.startRecording();
        for (const [action, fileIndex, bytes] of steps) {
          const path = `${DIR}/f${fileIndex}`;
          const present = fs.exists(path);
          if (action === 0) fs.create(path).append(Buffer.from(bytes));
          else if (action === 1 && present) fs.openAppend(path).append(Buffer.from(bytes));
          else if (action === 2 && present) fs.syncFile(path);
          else if (action === 3) fs.syncDir(DIR);
          else if (action === 4 && present) fs.rename(path, `${DIR}/f${(fileIndex + 1) % 4}`);
          else if (action === 5) fs.writeAll(path, Buffer.from(bytes));
        }
        const rebuilt = replay(fs.recordingBase()!, fs.recordedOps());
        for (const mode of ['drop', 'zero-fill'] as CrashMode[]) {
          const [left, right] = [fs.clone(), rebuilt.clone()];
          left.crash({ mode });
          right.crash({ mode });
          expect(snapshot(right)).toEqual(snapshot(left));
        }
        expect(snapshot(rebuilt)).toEqual(snapshot(fs));
      }),
      { numRuns: 100 },
    );
  });
});

/** Applies recorded ops to a state; inodes map to the path each currently lives at. */
function replay(base: CrashableFileSystem, ops: RecordedOp[]): CrashableFileSystem {
  const fs = base.clone();
  const pathOf = new Map<number, string>();
  for (const op of ops) {
    if (op.kind === 'create') {
      fs.create(op.path).close();
      pathOf.set(op.inode, op.path);
    } else if (op.kind === 'append') {
      fs.openAppend(pathOf.get(op.inode) ?? op.path).append(op.bytes);
    } else if (op.kind === 'writeAll') {
      fs.writeAll(op.path, op.bytes);
      pathOf.set(op.inode, op.path);
    } else if (op.kind === 'sync') {
      fs.syncFile(pathOf.get(op.inode) ?? op.path);
    } else if (op.kind === 'rename') {
      fs.rename(op.path, op.target);
      pathOf.set(op.inode, op.target);
    } else if (op.kind === 'syncDir') {
      fs.syncDir(op.path);
    } else if (op.kind === 'truncate') {
      fs.truncate(op.path, op.size);
    } else if (op.kind === 'remove') {
      fs.remove(op.path);
    } else {
      fs.mkdirp(op.path);
    }
  }
  return fs;
}

function snapshot(fs: FileSystem): Record<string, string> {
  return Object.fromEntries(fs.list(DIR).map((name) => [name, fs.readAll(`${DIR}/${name}`).toString('hex')]));
}

describe('RealFileSystem', () => {
  let dir = '';
  const fs = new RealFileSystem();
  beforeEach(() => {
    dir = nodeFs.mkdtempSync(nodePath.join(tmpdir(), 'tskv-fs-'));
  });
  afterEach(() => {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  });

  it('appends, syncs and reads back positionally', async () => {
    const path = nodePath.join(dir, '000001.log');
    const file = fs.create(path);
    file.append(Buffer.from('hello '));
    file.sync();
    file.append(Buffer.from('world'));
    await file.syncAsync();
    expect(file.size()).toBe(11);
    file.close();
    const more = fs.openAppend(path);
    expect(more.size()).toBe(11);
    more.append(Buffer.from('!'));
    more.close();
    const reader = fs.openRead(path);
    expect(reader.size()).toBe(12);
    expect(reader.read(6, 5).toString()).toBe('world');
    expect(reader.read(10, 100).toString()).toBe('d!');
    const target = Buffer.alloc(9, 0x2e);
    expect(reader.readInto(6, target, 1, 5)).toBe(5);
    expect(reader.readInto(11, target, 7, 2)).toBe(1); // shorter at the end of the file
    expect(target.toString()).toBe('.world.!.');
    reader.close();
    expect(fs.readAll(path).toString()).toBe('hello world!');
    expect(fs.fileSize(path)).toBe(12);
  });

  it('reserves zeros past the end that appends then overwrite in place, and trims them off', async () => {
    const path = nodePath.join(dir, '000002.log');
    const file = fs.create(path);
    file.append(Buffer.from('head'));
    file.reserve(300_000); // more than one chunk of zeros
    expect(file.size()).toBe(4); // appended bytes only
    expect(fs.fileSize(path)).toBe(300_004);
    file.append(Buffer.from('-tail'));
    expect(file.size()).toBe(9);
    expect(fs.fileSize(path)).toBe(300_004); // written inside the reserved space
    file.reserve(100); // already reserved: nothing written
    expect(fs.fileSize(path)).toBe(300_004);
    await file.syncAsync();
    const content = fs.readAll(path);
    expect(content.subarray(0, 9).toString()).toBe('head-tail');
    expect(content.subarray(9).every((byte) => byte === 0)).toBe(true);
    file.append(Buffer.alloc(400_000, 1)); // past the reserved end: the file grows as usual
    expect(fs.fileSize(path)).toBe(400_009);
    file.reserve(10);
    file.trimReserve();
    file.sync();
    expect(fs.fileSize(path)).toBe(400_009);
    file.trimReserve(); // nothing reserved: nothing to cut
    file.close();
    expect(fs.readAll(path).subarray(0, 9).toString()).toBe('head-tail');
  });

  it('creates, lists sorted, renames, truncates, removes and syncs the directory', () => {
    fs.mkdirp(nodePath.join(dir, 'db'));
    const db = nodePath.join(dir, 'db');
    fs.writeAll(nodePath.join(db, 'b'), Buffer.from('bb'));
    fs.writeAll(nodePath.join(db, 'a'), Buffer.from('aaaa'));
    fs.syncFile(nodePath.join(db, 'a'));
    expect(fs.list(db)).toEqual(['a', 'b']);
    fs.rename(nodePath.join(db, 'a'), nodePath.join(db, 'c'));
    fs.truncate(nodePath.join(db, 'c'), 1);
    fs.syncDir(db);
    expect(fs.readAll(nodePath.join(db, 'c')).toString()).toBe('a');
    fs.remove(nodePath.join(db, 'b'));
    expect(fs.exists(nodePath.join(db, 'b'))).toBe(false);
    expect(fs.list(db)).toEqual(['c']);
    expect(codeOf(() => fs.readAll(nodePath.join(db, 'b')))).toBe('ENOENT');
  });
});
