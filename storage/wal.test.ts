import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WalCorruptionError } from './errors.js';
import { type WritableFile } from './file-system.js';
import { CrashableFileSystem, createRandom, type CrashMode } from './crashable-file-system.js';
import {
  LogWriter,
  RECORD_TYPE,
  WAL_BLOCK_BYTES,
  WAL_HEADER_BYTES,
  WAL_PAGE_BYTES,
  WAL_RESERVE_BYTES,
  createWal,
  decodeBatch,
  encodeBatch,
  maskCrc,
  readLogRecords,
  readWal,
  unmaskCrc,
  type WriteOp,
} from './wal.js';

const DIR = '/db';
const PATH = `${DIR}/000003.log`;

function freshFs(): CrashableFileSystem {
  const fs = new CrashableFileSystem();
  fs.mkdirp(DIR);
  return fs;
}

/** Deterministic bytes, so a 100 KiB record costs nothing to generate or to shrink. */
function patternBytes(length: number, seed: number): Buffer {
  const random = createRandom(seed);
  const bytes = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) bytes[index] = random(256);
  return bytes;
}

function writeLog(fs: CrashableFileSystem, records: Buffer[], path = PATH): void {
  const writer = new LogWriter(fs.create(path));
  for (const record of records) writer.addRecord(record);
  writer.close();
}

function readAll(fs: CrashableFileSystem, path = PATH, isLast = true) {
  return readLogRecords(fs, path, { isLast });
}

function corruptionOf(action: () => unknown): WalCorruptionError {
  try {
    action();
  } catch (error) {
    if (error instanceof WalCorruptionError) return error;
    throw error;
  }
  throw new Error('expected a WalCorruptionError');
}

function flipByte(fs: CrashableFileSystem, offset: number, path = PATH): void {
  const data = fs.readAll(path);
  data[offset] = (data[offset] ?? 0) ^ 0x40;
  fs.writeAll(path, data);
}

/** Header fields of the physical record at offset. */
function headerAt(data: Buffer, offset: number): { length: number; type: number } {
  return { length: data.readUInt16LE(offset + 4), type: data.readUInt8(offset + 6) };
}

describe('log records', () => {
  it('writes golden bytes for a FULL record: masked crc of type + payload, u16 length, type', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('abc'), Buffer.alloc(0)]);
    // crc32(01 61 62 63) = 0x539d20a9, masked 0xe3d59212; crc32(01) = 0xa505df1b, masked 0x60ba34e3
    expect(fs.readAll(PATH).toString('hex')).toBe('1292d5e3' + '0300' + '01' + '616263' + 'e334ba60' + '0000' + '01');
  });

  it('masks and unmasks a crc like LevelDB', () => {
    expect(maskCrc(0x539d20a9)).toBe(0xe3d59212);
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (crc) => unmaskCrc(maskCrc(crc)) === crc));
  });

  it('reads back random record sequences (0 .. 100 KiB each) written with random flushes and reopens', () => {
    const recordArbitrary = fc.record({
      length: fc.oneof(fc.nat(64), fc.integer({ min: 32 * 1024 - 20, max: 32 * 1024 + 20 }), fc.nat(100 * 1024)),
      seed: fc.nat(),
      flushAfter: fc.boolean(),
      reopenAfter: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(recordArbitrary, { maxLength: 8 }), (specs) => {
        const fs = freshFs();
        const records = specs.map((spec) => patternBytes(spec.length, spec.seed));
        let writer = new LogWriter(fs.create(PATH));
        specs.forEach((spec, index) => {
          writer.addRecord(records[index]!);
          if (spec.reopenAfter) {
            writer.close();
            writer = new LogWriter(fs.openAppend(PATH)); // continues at size % 32 KiB
          } else if (spec.flushAfter) {
            writer.flush();
          }
        });
        writer.close();
        const read = readAll(fs);
        expect(read.tornTail).toBeUndefined();
        expect(read.validBytes).toBe(fs.fileSize(PATH));
        expect(read.records.length).toBe(records.length);
        read.records.forEach((record, index) => expect(record.equals(records[index]!)).toBe(true));
      }),
      { numRuns: 60 },
    );
  });

  it('reads a zero-length record, also as the very first record', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(0)]);
    expect(readAll(fs).records.map((record) => record.toString())).toEqual(['', 'x', '']);
  });

  it('splits a record over three blocks into FIRST, MIDDLE, LAST', () => {
    const fs = freshFs();
    const record = patternBytes(70_000, 1);
    writeLog(fs, [record]);
    const data = fs.readAll(PATH);
    expect(headerAt(data, 0)).toEqual({ length: WAL_BLOCK_BYTES - 7, type: RECORD_TYPE.FIRST });
    expect(headerAt(data, WAL_BLOCK_BYTES)).toEqual({ length: WAL_BLOCK_BYTES - 7, type: RECORD_TYPE.MIDDLE });
    expect(headerAt(data, 2 * WAL_BLOCK_BYTES)).toEqual({ length: 70_000 - 2 * (WAL_BLOCK_BYTES - 7), type: RECORD_TYPE.LAST });
    expect(readAll(fs).records[0]!.equals(record)).toBe(true);
  });

  it('emits an empty FIRST when exactly 7 bytes are left in a block', () => {
    const fs = freshFs();
    const filler = patternBytes(WAL_BLOCK_BYTES - 2 * WAL_HEADER_BYTES, 2); // leaves 7 bytes
    writeLog(fs, [filler, Buffer.from('hello')]);
    const data = fs.readAll(PATH);
    expect(headerAt(data, WAL_BLOCK_BYTES - 7)).toEqual({ length: 0, type: RECORD_TYPE.FIRST });
    expect(headerAt(data, WAL_BLOCK_BYTES)).toEqual({ length: 5, type: RECORD_TYPE.LAST });
    expect(data.length).toBe(WAL_BLOCK_BYTES + 7 + 5);
    expect(readAll(fs).records.map((record) => record.length)).toEqual([filler.length, 5]);
  });

  it('writes an empty record as an empty FULL in the last 7 bytes of a block', () => {
    const fs = freshFs();
    writeLog(fs, [patternBytes(WAL_BLOCK_BYTES - 2 * WAL_HEADER_BYTES, 3), Buffer.alloc(0)]);
    const data = fs.readAll(PATH);
    expect(headerAt(data, WAL_BLOCK_BYTES - 7)).toEqual({ length: 0, type: RECORD_TYPE.FULL });
    expect(data.length).toBe(WAL_BLOCK_BYTES);
    expect(readAll(fs).records.length).toBe(2);
  });

  it('zero-fills a 6-byte block trailer and starts the next record in the next block', () => {
    const fs = freshFs();
    const filler = patternBytes(WAL_BLOCK_BYTES - WAL_HEADER_BYTES - 6, 4); // leaves 6 bytes
    writeLog(fs, [filler, Buffer.from('hello')]);
    const data = fs.readAll(PATH);
    expect(data.subarray(WAL_BLOCK_BYTES - 6, WAL_BLOCK_BYTES).toString('hex')).toBe('000000000000');
    expect(headerAt(data, WAL_BLOCK_BYTES)).toEqual({ length: 5, type: RECORD_TYPE.FULL });
    expect(readAll(fs).records.map((record) => record.length)).toEqual([filler.length, 5]);
  });

  it('drops a torn header at the tail', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('first'), Buffer.from('second')]);
    fs.truncate(PATH, 7 + 5 + 3);
    const read = readAll(fs);
    expect(read.records.map(String)).toEqual(['first']);
    expect(read.validBytes).toBe(12);
    expect(read.tornTail).toMatch(/cut header/);
  });

  it('drops a torn payload at the tail', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('first'), Buffer.from('second')]);
    fs.truncate(PATH, 12 + 7 + 2);
    const read = readAll(fs);
    expect(read.records.map(String)).toEqual(['first']);
    expect(read.validBytes).toBe(12);
    expect(read.tornTail).toMatch(/cut payload/);
  });

  it('drops a FIRST without its LAST at the end of the file', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('first'), patternBytes(50_000, 5)]);
    fs.truncate(PATH, WAL_BLOCK_BYTES); // FIRST whole, MIDDLE/LAST gone
    const read = readAll(fs);
    expect(read.records.map((record) => record.length)).toEqual([5]);
    expect(read.validBytes).toBe(12);
    expect(read.tornTail).toMatch(/without LAST/);
  });

  it('drops a zero-filled tail', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('first')]);
    fs.openAppend(PATH).append(Buffer.alloc(40_000));
    const read = readAll(fs);
    expect(read.records.map(String)).toEqual(['first']);
    expect(read.validBytes).toBe(12);
    expect(read.tornTail).toMatch(/zero-filled/);
    expect(read.zeroTail).toBe(true); // as preallocated space leaves it: noted, not warned about
  });

  it('tells a tail of zeros from a torn record followed by zeros', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('first')]);
    const torn = Buffer.alloc(40_000);
    torn.write('\x12\x34\x56\x78\x09\x00\x01partial', 'latin1'); // a record header and part of its payload
    fs.openAppend(PATH).append(torn);
    const read = readAll(fs);
    expect(read.records.map(String)).toEqual(['first']);
    expect(read.validBytes).toBe(12);
    expect(read.tornTail).toMatch(/bad crc|cut payload/);
    expect(read.zeroTail).toBe(false);
  });

  it('drops a bad crc in the last record of the last file', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('first'), Buffer.from('second')]);
    flipByte(fs, 12 + 7 + 1);
    const read = readAll(fs);
    expect(read.records.map(String)).toEqual(['first']);
    expect(read.tornTail).toMatch(/bad crc/);
  });

  it('fails on a bad crc followed by valid records, naming file and offset', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('first'), Buffer.from('second'), Buffer.from('third')]);
    flipByte(fs, 12 + 7 + 1);
    const error = corruptionOf(() => readAll(fs));
    expect(error.code).toBe('ERR_WAL_CORRUPT');
    expect(error.file).toBe(PATH);
    expect(error.offset).toBe(12);
    expect(error.message).toContain(`${PATH} is corrupt at byte 12`);
  });

  it('fails on a damaged length followed by valid records in later blocks', () => {
    const fs = freshFs();
    writeLog(fs, Array.from({ length: 40 }, (_, index) => patternBytes(3000, index)));
    flipByte(fs, 3007 + 5); // high byte of the second record's length
    expect(corruptionOf(() => readAll(fs)).offset).toBe(3007);
  });

  it('fails on a bad record type under a good crc, even at the tail', () => {
    const fs = freshFs();
    const writer = new LogWriter(fs.create(PATH));
    writer.addRecord(Buffer.from('ok'));
    writer.close();
    const bogus = Buffer.alloc(7 + 2);
    bogus.writeUInt16LE(2, 4);
    bogus.writeUInt8(9, 6);
    bogus.write('zz', 7);
    // the crc of (9, 'zz'): what a writer of an unknown type would produce
    bogus.writeUInt32LE(maskCrc(crc32(Buffer.from([9, 0x7a, 0x7a]))), 0);
    fs.openAppend(PATH).append(bogus);
    expect(corruptionOf(() => readAll(fs)).reason).toMatch(/bad record type 9/);
  });

  it('drops everything after a lost page of the last WAL (a power loss wrote a later page back), and fails on one elsewhere', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('x'), patternBytes(40_000, 6)]);
    const data = fs.readAll(PATH); // "x", then the big record's FIRST, then its LAST in block 1
    const tail = data.subarray(WAL_BLOCK_BYTES);
    fs.writeAll(PATH, Buffer.concat([data.subarray(0, 8), Buffer.alloc(WAL_BLOCK_BYTES - 8), tail])); // zeros from the FIRST's header on
    let read = readAll(fs);
    expect(read.records.map(String)).toEqual(['x']);
    expect(read.validBytes).toBe(8);
    expect(read.tornTail).toMatch(/zero-filled header/);
    expect(corruptionOf(() => readAll(fs, PATH, false)).reason).toMatch(/zero-filled header \(not the last log file\)/);
    const page = Buffer.from(data); // the FIRST's header survived, a page of its payload did not: bad crc
    page.fill(0, WAL_PAGE_BYTES, 2 * WAL_PAGE_BYTES);
    fs.writeAll(PATH, page);
    read = readAll(fs);
    expect(read.records.map(String)).toEqual(['x']);
    expect(read.tornTail).toMatch(/bad crc/);
  });

  it('fails on zeros that are not a lost page followed by records, and on a LAST without a FIRST', () => {
    const fs = freshFs();
    writeLog(fs, [Buffer.from('x'), patternBytes(40_000, 6)]);
    const data = fs.readAll(PATH);
    const tail = data.subarray(WAL_BLOCK_BYTES);
    const hole = Buffer.concat([data.subarray(0, 8), Buffer.alloc(WAL_HEADER_BYTES), Buffer.alloc(WAL_BLOCK_BYTES - 8 - WAL_HEADER_BYTES, 0xee), tail]);
    fs.writeAll(PATH, hole); // a zero header, but its page holds more than zeros
    expect(corruptionOf(() => readAll(fs)).reason).toMatch(/zero-filled header, followed by valid records/);
    const flipped = Buffer.from(data);
    flipped[20] = flipped[20]! ^ 0xff; // a bad crc, no page of zeros in it
    fs.writeAll(PATH, flipped);
    expect(corruptionOf(() => readAll(fs)).reason).toMatch(/bad crc, followed by valid records/);
    const moved = Buffer.concat([data.subarray(0, 8), tail]); // LAST right after "x": in the wrong block
    fs.writeAll(PATH, moved);
    expect(corruptionOf(() => readAll(fs)).reason).toMatch(/LAST record without a FIRST/);
  });

  it('treats every kind of tail damage as corruption in a file that is not the last', () => {
    const damages: [string, (fs: CrashableFileSystem) => void][] = [
      ['cut header', (fs) => fs.truncate(PATH, 15)],
      ['cut payload', (fs) => fs.truncate(PATH, 21)],
      ['bad crc', (fs) => flipByte(fs, 20)],
      ['zero-filled', (fs) => fs.openAppend(PATH).append(Buffer.alloc(10))],
      ['without LAST', (fs) => fs.truncate(PATH, WAL_BLOCK_BYTES)],
    ];
    for (const [reason, damage] of damages) {
      const fs = freshFs();
      writeLog(fs, [Buffer.from('first'), Buffer.from('second'), ...(reason === 'without LAST' ? [patternBytes(40_000, 7)] : [])]);
      damage(fs);
      expect(readAll(fs, PATH, true).tornTail).toContain(reason);
      const error = corruptionOf(() => readAll(fs, PATH, false));
      expect(error.reason).toContain(reason);
      expect(error.reason).toContain('not the last log file');
    }
  });

  it('fails when a record sits in a block trailer', () => {
    const fs = freshFs();
    writeLog(fs, [patternBytes(WAL_BLOCK_BYTES - WAL_HEADER_BYTES - 6, 8), Buffer.from('next'), Buffer.from('more')]);
    flipByte(fs, WAL_BLOCK_BYTES - 3);
    expect(corruptionOf(() => readAll(fs)).reason).toMatch(/non-zero block trailer/);
  });
});

describe('write batches', () => {
  it('encodes golden bytes for a batch', () => {
    const ops: WriteOp[] = [
      { kind: 'put', key: Buffer.from('k'), value: Buffer.from('vv'), expireAtMs: 0x0102030405 },
      { kind: 'delete', key: Buffer.from('x') },
    ];
    const expected =
      '0700000000000000' + '02000000' + // firstSeq 7, 2 ops
      '01' + '01000000' + '6b' + '02000000' + '7676' + '0504030201000000' + // put k=vv, expireAtMs
      '02' + '01000000' + '78'; // delete x
    expect(encodeBatch(7, ops).toString('hex')).toBe(expected);
    expect(decodeBatch(Buffer.from(expected, 'hex'))).toEqual({ firstSeq: 7, ops });
  });

  const keyArbitrary = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes));
  const opArbitrary: fc.Arbitrary<WriteOp> = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), key: keyArbitrary, value: keyArbitrary, expireAtMs: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
    fc.record({ kind: fc.constant('put' as const), key: keyArbitrary, value: keyArbitrary }),
    fc.record({ kind: fc.constant('delete' as const), key: keyArbitrary }),
  );

  it('round-trips random batches', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 }), fc.array(opArbitrary, { maxLength: 20 }), (firstSeq, ops) => {
        expect(decodeBatch(encodeBatch(firstSeq, ops))).toEqual({ firstSeq, ops });
      }),
    );
  });

  it('rejects garbage and every truncation with a WalCorruptionError, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeBatch(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(WalCorruptionError);
        }
      }),
    );
    const whole = encodeBatch(1, [{ kind: 'put', key: Buffer.from('key'), value: Buffer.from('value') }]);
    for (let length = 0; length < whole.length; length++) {
      expect(() => decodeBatch(whole.subarray(0, length))).toThrow(WalCorruptionError);
    }
    expect(() => decodeBatch(Buffer.concat([whole, Buffer.of(0)]))).toThrow(/after the last op/);
  });
});

describe('WAL files', () => {
  const put = (key: string): WriteOp => ({ kind: 'put', key: Buffer.from(key), value: Buffer.from(`v-${key}`) });

  it('opens each file with a format-version record and replays batches after it', () => {
    const fs = freshFs();
    const wal = createWal(fs, PATH);
    expect(fs.fileSize(PATH)).toBe(0); // staged, not written
    wal.addRecord(encodeBatch(1, [put('a'), put('b')]));
    wal.addRecord(encodeBatch(3, [{ kind: 'delete', key: Buffer.from('a') }]));
    wal.close();
    expect(fs.readAll(PATH).subarray(7, 7 + 12).toString('hex')).toBe(Buffer.from('tskv.wal').toString('hex') + '01000000');
    const read = readWal(fs, PATH, { isLast: false });
    expect(read.batches.map((batch) => batch.firstSeq)).toEqual([1, 3]);
    expect(read.batches[0]!.ops).toEqual([put('a'), put('b')]);
  });

  it('reads an empty last WAL as no batches, and an empty older WAL as corrupt', () => {
    const fs = freshFs();
    fs.create(PATH).close();
    expect(readWal(fs, PATH, { isLast: true })).toEqual({ batches: [], validBytes: 0, tornTail: undefined, zeroTail: false });
    expect(corruptionOf(() => readWal(fs, PATH, { isLast: false })).reason).toMatch(/no format-version record/);
  });

  it('fails on a wrong format version or a missing version record', () => {
    const fs = freshFs();
    const writer = new LogWriter(fs.create(PATH));
    writer.addRecord(Buffer.concat([Buffer.from('tskv.wal'), Buffer.from('02000000', 'hex')]));
    writer.close();
    expect(corruptionOf(() => readWal(fs, PATH, { isLast: true })).reason).toMatch(/unsupported WAL format version 2/);
    writeLog(fs, [encodeBatch(1, [put('a')])]);
    expect(corruptionOf(() => readWal(fs, PATH, { isLast: true })).reason).toMatch(/not a tskv WAL/);
  });

  it('fails on a garbage batch under a good crc, naming the record offset', () => {
    const fs = freshFs();
    const wal = createWal(fs, PATH);
    wal.addRecord(encodeBatch(1, [put('a')]));
    wal.addRecord(Buffer.from('not a batch'));
    wal.close();
    const error = corruptionOf(() => readWal(fs, PATH, { isLast: true }));
    expect(error.file).toBe(PATH);
    expect(error.offset).toBe(7 + 12 + 7 + encodeBatch(1, [put('a')]).length);
    expect(error.reason).toMatch(/bad batch/);
  });

  it('fails on sequence numbers going backwards', () => {
    const fs = freshFs();
    const wal = createWal(fs, PATH);
    wal.addRecord(encodeBatch(5, [put('a'), put('b')]));
    wal.addRecord(encodeBatch(6, [put('c')]));
    wal.close();
    expect(corruptionOf(() => readWal(fs, PATH, { isLast: true })).reason).toMatch(/firstSeq 6 is below 7/);
  });

  it('replays, after a crash in any mode, every synced batch and then a prefix of the rest', async () => {
    const modes: CrashMode[] = ['drop', 'keep-random', 'tear', 'zero-fill'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.nat(40_000), sync: fc.boolean() }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(...modes),
        fc.nat(),
        async (groups, mode, seed) => {
          const fs = freshFs();
          const wal = createWal(fs, PATH);
          wal.sync();
          fs.syncDir(DIR);
          let seq = 1;
          let syncedBatches = 0;
          const written: number[] = [];
          for (const group of groups) {
            wal.addRecord(encodeBatch(seq, [{ kind: 'put', key: Buffer.from('k'), value: patternBytes(group.size, seq) }]));
            written.push(seq);
            seq += 1;
            if (group.sync) {
              await wal.syncAsync();
              syncedBatches = written.length;
            } else {
              wal.flush();
            }
          }
          fs.crash({ mode, seed });
          const read = readWal(fs, PATH, { isLast: true });
          const replayed = read.batches.map((batch) => batch.firstSeq);
          expect(replayed).toEqual(written.slice(0, replayed.length));
          expect(replayed.length).toBeGreaterThanOrEqual(syncedBatches);
          expect(read.tornTail === undefined).toBe(read.validBytes === fs.fileSize(PATH));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('preallocates ahead of its appends once asked, stops on a failed preallocation, and always trims', () => {
    const calls: string[] = [];
    let size = 0;
    let failReserve = false;
    const file: WritableFile = {
      path: PATH,
      size: () => size,
      append: (data) => {
        size += data.length;
      },
      reserve: (bytes) => {
        calls.push(`reserve ${bytes}`);
        if (failReserve) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
      trimReserve: () => calls.push('trim'),
      sync: () => calls.push('sync'),
      syncAsync: async () => undefined,
      close: () => undefined,
    };
    const writer = new LogWriter(file);
    writer.addRecord(Buffer.from('before'));
    writer.flush();
    expect(calls).toEqual([]); // no preallocation until asked (the format record's sync is not slowed)
    writer.setReserve(WAL_RESERVE_BYTES);
    writer.addRecord(Buffer.from('first'));
    writer.flush();
    expect(calls).toEqual([`reserve ${WAL_RESERVE_BYTES}`]);
    writer.addRecord(Buffer.alloc(100));
    writer.flush();
    expect(calls).toHaveLength(1); // still most of a MiB ahead
    writer.addRecord(Buffer.alloc(WAL_RESERVE_BYTES));
    failReserve = true;
    writer.flush(); // less than a quarter left: reserve again, which fails (a full disk)
    expect(calls).toEqual([`reserve ${WAL_RESERVE_BYTES}`, `reserve ${WAL_RESERVE_BYTES}`]);
    writer.addRecord(Buffer.alloc(WAL_RESERVE_BYTES)); // appends go on; no more preallocation
    writer.flush();
    expect(calls).toHaveLength(2);
    writer.trimReserve(); // whatever a failed preallocation left is the file's to cut
    expect(calls[2]).toBe('trim');
  });

  it('keeps a writer failed after a failed append, rethrowing the first error', () => {
    const fs = freshFs();
    const wal = createWal(fs, PATH);
    fs.injectFault({ op: 'append', code: 'ENOSPC', count: 1 });
    expect(() => wal.flush()).toThrow(/ENOSPC/);
    expect(() => wal.addRecord(Buffer.from('x'))).toThrow(/ENOSPC/);
    expect(() => wal.sync()).toThrow(/ENOSPC/);
    wal.close();
  });
});
