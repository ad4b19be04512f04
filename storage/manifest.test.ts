import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestCorruptionError, MissingFileError } from './errors.js';
import { CrashableFileSystem, type CrashMode } from './crashable-file-system.js';
import {
  MANIFEST_BYTES_MAX,
  Manifest,
  decodeVersionEdit,
  encodeVersionEdit,
  manifestFileName,
  readCurrent,
  type FileMeta,
  type ManifestState,
  type VersionEdit,
} from './manifest.js';
import { LogWriter, maskCrc } from './wal.js';

const DIR = '/db';

function freshFs(): CrashableFileSystem {
  const fs = new CrashableFileSystem();
  fs.mkdirp(DIR);
  return fs;
}

function meta(number: number, level: number, smallest: string, largest: string, extra: Partial<FileMeta> = {}): FileMeta {
  return {
    number,
    level,
    sizeBytes: 1000 + number,
    smallestKey: Buffer.from(smallest),
    largestKey: Buffer.from(largest),
    entryCount: 10,
    tombstoneCount: 1,
    smallestSeq: 1,
    largestSeq: 9,
    ...extra,
  };
}

function levelNumbers(state: ManifestState): number[][] {
  return state.levels.map((files) => files.map((file) => file.number));
}

function corruptionOf(action: () => unknown): ManifestCorruptionError {
  try {
    action();
  } catch (error) {
    if (error instanceof ManifestCorruptionError) return error;
    throw error;
  }
  throw new Error('expected a ManifestCorruptionError');
}

describe('version edits', () => {
  it('encodes golden bytes for an edit', () => {
    const edit: VersionEdit = {
      logNumber: 3,
      nextFileNumber: 13,
      lastSequence: 258,
      removeFiles: [{ level: 1, number: 9 }],
      addFiles: [
        { level: 0, number: 12, sizeBytes: 4096, entryCount: 2, tombstoneCount: 1, smallestSeq: 5, largestSeq: 6, smallestKey: Buffer.from('a'), largestKey: Buffer.from('bc') },
      ],
    };
    const expected =
      '02' + '0300000000000000' + // LOG_NUMBER 3
      '03' + '0d00000000000000' + // NEXT_FILE_NUMBER 13
      '04' + '0201000000000000' + // LAST_SEQUENCE 258
      '05' + '01' + '0900000000000000' + // REMOVE_FILE level 1, number 9
      '06' + '00' + '0c00000000000000' + // ADD_FILE level 0, number 12
      '0010000000000000' + '0200000000000000' + '0100000000000000' + // sizeBytes 4096, entries 2, tombstones 1
      '0500000000000000' + '0600000000000000' + // seqs 5 .. 6
      '01000000' + '61' + '02000000' + '6263'; // keys "a" .. "bc"
    expect(encodeVersionEdit(edit).toString('hex')).toBe(expected);
    expect(decodeVersionEdit(Buffer.from(expected, 'hex'))).toEqual({ edit, snapshot: false });
    expect(encodeVersionEdit({ lastSequence: 1 }, { snapshot: true }).toString('hex')).toBe('01' + '01000000' + '04' + '0100000000000000');
  });

  it('frames an edit as a log record with a masked crc', () => {
    const fs = freshFs();
    const writer = new LogWriter(fs.create(`${DIR}/m`));
    const payload = encodeVersionEdit({ logNumber: 3 });
    writer.addRecord(payload);
    writer.close();
    const crc = maskCrc(crc32(Buffer.concat([Buffer.of(1), payload]))).toString(16).padStart(8, '0');
    const crcLe = Buffer.from(crc, 'hex').reverse().toString('hex');
    expect(fs.readAll(`${DIR}/m`).toString('hex')).toBe(crcLe + '0900' + '01' + '020300000000000000');
  });

  it('skips optional tags and rejects unknown ones', () => {
    const optional = Buffer.concat([Buffer.from('81' + '03000000' + 'aabbcc', 'hex'), encodeVersionEdit({ lastSequence: 7 })]);
    expect(decodeVersionEdit(optional).edit).toEqual({ lastSequence: 7 });
    expect(() => decodeVersionEdit(Buffer.from('09', 'hex'))).toThrow(/unknown tag 9/);
  });

  it('round-trips random edits and rejects garbage only with ManifestCorruptionError', () => {
    const key = fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes));
    const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    const file = fc.record({ number: count, level: fc.nat(6), sizeBytes: count, smallestKey: key, largestKey: key, entryCount: count, tombstoneCount: count, smallestSeq: count, largestSeq: count });
    const edit = fc.record(
      { logNumber: count, nextFileNumber: count, lastSequence: count, addFiles: fc.array(file, { minLength: 1, maxLength: 4 }), removeFiles: fc.array(fc.record({ level: fc.nat(6), number: count }), { minLength: 1, maxLength: 4 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(edit, fc.boolean(), (value, snapshot) => {
        expect(decodeVersionEdit(encodeVersionEdit(value, { snapshot }))).toEqual({ edit: value, snapshot });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        try {
          decodeVersionEdit(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(ManifestCorruptionError);
        }
      }),
    );
  });
});

describe('Manifest', () => {
  it('creates MANIFEST-000001 with an empty snapshot and a CURRENT naming it', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    expect(fs.list(DIR)).toEqual(['CURRENT', 'MANIFEST-000001']);
    expect(fs.readAll(`${DIR}/CURRENT`).toString()).toBe('MANIFEST-000001\n');
    expect(manifest.state).toEqual({ logNumber: 0, nextFileNumber: 2, lastSequence: 0, levels: [[], [], [], [], [], [], []] });
    expect(manifest.liveFileNumbers()).toEqual(new Set([1]));
    manifest.close();
  });

  it('survives a crash right after create', () => {
    const fs = freshFs();
    Manifest.create(fs, DIR);
    fs.crash();
    expect(Manifest.open(fs, DIR).state.nextFileNumber).toBe(3);
  });

  it('makes each apply durable before it returns, and replays it on open into a new manifest', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    const sst = manifest.allocateFileNumber();
    manifest.apply({ logNumber: 5, lastSequence: 100, addFiles: [meta(sst, 0, 'a', 'm')] });
    manifest.apply({ addFiles: [meta(7, 1, 'n', 'z'), meta(8, 1, 'b', 'c')] });
    manifest.apply({ removeFiles: [{ level: 0, number: sst }], addFiles: [meta(9, 0, 'a', 'b')] });
    const before = manifest.state;
    expect(levelNumbers(before)).toEqual([[9], [8, 7], [], [], [], [], []]);
    fs.crash({ mode: 'drop' });
    const reopened = Manifest.open(fs, DIR);
    expect(levelNumbers(reopened.state)).toEqual(levelNumbers(before));
    expect(reopened.state.logNumber).toBe(5);
    expect(reopened.state.lastSequence).toBe(100);
    expect(reopened.state.levels[1]![0]).toEqual(meta(8, 1, 'b', 'c'));
    expect(reopened.manifestNumber).toBeGreaterThan(9);
    expect(fs.list(DIR)).toEqual(['CURRENT', manifestFileName(reopened.manifestNumber)]);
    expect(reopened.liveFileNumbers()).toEqual(new Set([9, 8, 7, reopened.manifestNumber]));
  });

  it('keeps L0 in apply order and levels 1+ sorted by smallest key; never mutates an old state', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    manifest.apply({ addFiles: [meta(5, 0, 'x', 'y'), meta(3, 0, 'a', 'b'), meta(10, 2, 'q', 'r')] });
    const old = manifest.state;
    manifest.apply({ addFiles: [meta(11, 0, 'c', 'd'), meta(12, 2, 'a', 'b')] });
    expect(levelNumbers(old)).toEqual([[5, 3], [], [10], [], [], [], []]);
    expect(levelNumbers(manifest.state)).toEqual([[5, 3, 11], [], [12, 10], [], [], [], []]);
  });

  it('persists a nextFileNumber above every number it names or hands out', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    manifest.apply({ addFiles: [meta(40, 0, 'a', 'b')] }); // a number it never handed out
    expect(manifest.state.nextFileNumber).toBe(41);
    const wal = manifest.allocateFileNumber();
    expect(wal).toBe(41);
    manifest.markFileNumberUsed(60);
    manifest.apply({ logNumber: wal });
    expect(manifest.state.nextFileNumber).toBe(61);
    fs.writeAll(`${DIR}/000070.log`, Buffer.alloc(0)); // a WAL created after the last edit
    fs.syncDir(DIR);
    fs.crash();
    const reopened = Manifest.open(fs, DIR);
    expect(reopened.manifestNumber).toBe(71);
    expect(reopened.allocateFileNumber()).toBe(72);
  });

  it('asserts on an edit that cannot apply', () => {
    const manifest = Manifest.create(freshFs(), DIR);
    expect(() => manifest.apply({ removeFiles: [{ level: 0, number: 99 }] })).toThrow(/not in level 0/);
    manifest.apply({ addFiles: [meta(2, 1, 'a', 'f')] });
    expect(() => manifest.apply({ addFiles: [meta(3, 1, 'e', 'g')] })).toThrow(/overlap in level 1/);
    expect(() => manifest.apply({ addFiles: [meta(2, 0, 'a', 'b')] })).toThrow(/already live/);
    expect(() => manifest.apply({ lastSequence: -1 })).toThrow(/not a non-negative integer/);
    expect(levelNumbers(manifest.state)[1]).toEqual([2]);
  });

  it('tolerates a torn tail: the last edit cut mid-record is dropped', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    manifest.apply({ addFiles: [meta(2, 0, 'a', 'b')] });
    manifest.apply({ addFiles: [meta(3, 0, 'c', 'd')] });
    const path = `${DIR}/${manifestFileName(manifest.manifestNumber)}`;
    fs.truncate(path, fs.fileSize(path) - 5);
    fs.syncFile(path);
    const reopened = Manifest.open(fs, DIR);
    expect(levelNumbers(reopened.state)[0]).toEqual([2]);
  });

  it('fails on damage followed by valid edits, naming the manifest and offset', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    const path = `${DIR}/${manifestFileName(manifest.manifestNumber)}`;
    const snapshotEnd = fs.fileSize(path);
    manifest.apply({ addFiles: [meta(2, 0, 'a', 'b')] });
    manifest.apply({ addFiles: [meta(3, 0, 'c', 'd')] });
    const data = fs.readAll(path);
    data[snapshotEnd + 10] = (data[snapshotEnd + 10] ?? 0) ^ 1;
    fs.writeAll(path, data);
    const error = corruptionOf(() => Manifest.open(fs, DIR));
    expect(error.code).toBe('ERR_MANIFEST_CORRUPT');
    expect(error.file).toBe(path);
    expect(error.offset).toBe(snapshotEnd);
  });

  it('fails on a bad CURRENT, a missing CURRENT and a missing manifest', () => {
    const fs = freshFs();
    expect(() => Manifest.open(fs, DIR)).toThrow(MissingFileError);
    Manifest.create(fs, DIR);
    fs.writeAll(`${DIR}/CURRENT`, Buffer.from('MANIFEST-000001'));
    expect(corruptionOf(() => Manifest.open(fs, DIR)).file).toBe(`${DIR}/CURRENT`);
    fs.writeAll(`${DIR}/CURRENT`, Buffer.from('MANIFEST-000009\n'));
    expect(readCurrent(fs, DIR)).toBe(9);
    expect(() => Manifest.open(fs, DIR)).toThrow(MissingFileError);
  });

  it('fails on a manifest that does not open with a snapshot', () => {
    const fs = freshFs();
    Manifest.create(fs, DIR);
    const writer = new LogWriter(fs.create(`${DIR}/MANIFEST-000001`));
    writer.addRecord(encodeVersionEdit({ logNumber: 1, nextFileNumber: 2, lastSequence: 0 }));
    writer.close();
    expect(corruptionOf(() => Manifest.open(fs, DIR)).reason).toMatch(/not a snapshot/);
  });

  it('starts a new manifest with a snapshot once it passes MANIFEST_BYTES_MAX, switching CURRENT', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    const bigKey = (letter: string) => Buffer.alloc(20_000, letter);
    let expected: number[][] = [];
    let rotations = 0;
    for (let round = 0; rotations < 2; round++) {
      const before = manifest.manifestNumber;
      const number = manifest.allocateFileNumber();
      const live = manifest.state.levels[0]![0];
      manifest.apply({
        lastSequence: round,
        addFiles: [{ ...meta(number, 0, '', ''), smallestKey: bigKey('a'), largestKey: bigKey('b') }],
        ...(live ? { removeFiles: [{ level: 0, number: live.number }] } : {}),
      });
      if (manifest.manifestNumber !== before) {
        rotations += 1;
        expect(fs.list(DIR)).toEqual(['CURRENT', manifestFileName(manifest.manifestNumber)]);
        expect(fs.fileSize(`${DIR}/${manifestFileName(manifest.manifestNumber)}`)).toBeLessThan(50_000);
      }
      expected = levelNumbers(manifest.state);
      expect(round).toBeLessThan(500);
    }
    const state = manifest.state;
    fs.crash();
    const reopened = Manifest.open(fs, DIR);
    expect(levelNumbers(reopened.state)).toEqual(expected);
    expect(reopened.state.lastSequence).toBe(state.lastSequence);
    expect(MANIFEST_BYTES_MAX).toBe(1024 * 1024);
  });

  it('applyAsync changes the state only once its fsync returned; a crash before that loses the edit', async () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    await manifest.applyAsync({ logNumber: 3, addFiles: [meta(2, 0, 'a', 'b')] });
    expect(levelNumbers(manifest.state)[0]).toEqual([2]);
    const pending = manifest.applyAsync({ addFiles: [meta(4, 1, 'c', 'd')] });
    expect(levelNumbers(manifest.state)[1]).toEqual([]); // not yet durable: not yet the state
    await expect(manifest.applyAsync({ lastSequence: 9 })).rejects.toThrow(/another is in flight/);
    fs.crash({ mode: 'drop' }); // while the second edit's fsync is in flight
    await pending.catch(() => undefined);
    const reopened = Manifest.open(fs, DIR);
    expect(levelNumbers(reopened.state)).toEqual([[2], [], [], [], [], [], []]);
    expect(reopened.state.logNumber).toBe(3);
  });

  it('fails applyAsync on a failed fsync and stays failed, with its state unchanged', async () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    fs.injectFault({ op: 'sync', code: 'EIO', count: 1 });
    await expect(manifest.applyAsync({ addFiles: [meta(2, 0, 'a', 'b')] })).rejects.toThrow(/EIO/);
    expect(levelNumbers(manifest.state)[0]).toEqual([]);
    expect(() => manifest.apply({ lastSequence: 5 })).toThrow(/EIO/);
    manifest.close();
  });

  it('stays failed after a failed sync, with its state unchanged', () => {
    const fs = freshFs();
    const manifest = Manifest.create(fs, DIR);
    fs.injectFault({ op: 'sync', code: 'EIO', count: 1 });
    expect(() => manifest.apply({ addFiles: [meta(2, 0, 'a', 'b')] })).toThrow(/EIO/);
    expect(levelNumbers(manifest.state)[0]).toEqual([]);
    expect(() => manifest.apply({ lastSequence: 5 })).toThrow(/EIO/);
    manifest.close();
  });

  it('after a crash at any I/O step of an apply or an open, opens to the state before or after it', () => {
    const modes: CrashMode[] = ['drop', 'keep-random', 'tear', 'zero-fill'];
    const ops = ['append', 'sync', 'create', 'rename', 'syncDir', 'writeAll', 'remove'] as const;
    fc.assert(
      fc.property(fc.nat(12), fc.constantFrom(...ops), fc.nat(3), fc.constantFrom(...modes), fc.nat(), (edits, op, after, mode, seed) => {
        const fs = freshFs();
        const options = { manifestBytesMax: 2048 };
        let manifest = Manifest.create(fs, DIR, options);
        let acknowledged = levelNumbers(manifest.state);
        let attempted = acknowledged; // the state the last apply was writing
        const apply = (index: number): void => {
          const number = manifest.allocateFileNumber();
          attempted = levelNumbers(manifest.state);
          attempted[0]!.push(number);
          manifest.apply({ lastSequence: index, addFiles: [{ ...meta(number, 0, 'a', 'b'), smallestKey: Buffer.alloc(200, index) }] });
          acknowledged = levelNumbers(manifest.state);
        };
        for (let index = 0; index < edits; index++) apply(index);
        manifest = Manifest.open(fs, DIR, options); // a rotation
        fs.injectFault({ op, code: 'EIO', after, count: 1 });
        try {
          for (let index = edits; index < edits + 12; index++) apply(index);
          attempted = acknowledged;
          Manifest.open(fs, DIR, options);
        } catch (error) {
          expect(String(error)).toMatch(/EIO/);
        }
        fs.clearFaults();
        fs.crash({ mode, seed });
        const recovered = levelNumbers(Manifest.open(fs, DIR, options).state);
        expect([JSON.stringify(acknowledged), JSON.stringify(attempted)]).toContain(JSON.stringify(recovered));
      }),
      { numRuns: 300 },
    );
  });
});
