import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockCache } from './block-cache.js';
import { CrashableFileSystem } from './crashable-file-system.js';
import { Engine } from './engine.js';
import { EngineFailedError, FlushWorkerError } from './errors.js';
import { RealFileSystem } from './file-system.js';
import { flushMemtable, type FlushInput } from './flush.js';
import { FlushWorker } from './flush-worker-client.js';
import type { CompactionFilter } from './entry.js';
import { BIG_RECORD_BYTES_MIN, Memtable } from './memtable.js';

let dir: string;
let worker: FlushWorker;
let nextFileNumber = 1;

beforeAll(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'tskv-flush-worker-'));
  worker = new FlushWorker(() => undefined);
});

afterAll(async () => {
  await worker.close();
  await rm(dir, { recursive: true, force: true });
});

interface Op {
  key: number;
  isPut: boolean;
  valueLength: number;
  expireAtMs: number;
  keepOlder: boolean;
}

const opArbitrary: fc.Arbitrary<Op> = fc.record({
  key: fc.integer({ min: 0, max: 60 }),
  isPut: fc.boolean(),
  valueLength: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.constant(BIG_RECORD_BYTES_MIN + 5) }),
  expireAtMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 40 })),
  keepOlder: fc.boolean(),
});

const caseArbitrary = fc.record({
  ops: fc.array(opArbitrary, { minLength: 1, maxLength: 400 }),
  tailNodesMax: fc.integer({ min: 1, max: 16 }),
  snapshotCount: fc.integer({ min: 0, max: 4 }),
  blockBytes: fc.integer({ min: 64, max: 4096 }),
  bloomBitsPerKey: fc.integer({ min: 1, max: 16 }),
});

/** A memtable from ops (keys of varied lengths sharing prefixes, as the keyspace's do), and snapshots among its seqs. */
function build(ops: readonly Op[], tailNodesMax: number, snapshotCount: number): { memtable: Memtable; snapshotSeqs: number[] } {
  const memtable = new Memtable(tailNodesMax);
  ops.forEach((op, index) => {
    const key = Buffer.from(`key:${'x'.repeat(op.key % 7)}${op.key}`);
    const value = op.isPut ? Buffer.alloc(op.valueLength, (index * 31) & 0xff) : Buffer.alloc(0);
    memtable.putParts(key, index + 1, op.isPut, value, op.isPut ? op.expireAtMs : 0, op.keepOlder);
  });
  const snapshotSeqs = Array.from({ length: snapshotCount }, (_, index) => Math.floor(((index + 1) * ops.length) / (snapshotCount + 1)));
  return { memtable, snapshotSeqs: [...new Set(snapshotSeqs)].sort((a, b) => a - b) };
}

function entriesOf(memtable: Memtable): string[] {
  const seen: string[] = [];
  const iterator = memtable.iterator();
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
    const entry = iterator.entry();
    seen.push(`${entry.key.toString('hex')} ${entry.seq} ${entry.kind} ${entry.expireAtMs} ${entry.value.toString('hex')}`);
  }
  return seen;
}

/** The in-process flush of memtable, on an in-memory file system: the table's bytes. */
async function flushInProcess(memtable: Memtable, snapshotSeqs: number[], tableOptions: { blockBytes: number; bloomBitsPerKey: number }, compactionFilter?: CompactionFilter): Promise<Buffer | undefined> {
  const fs = new CrashableFileSystem();
  fs.mkdirp('/db');
  const output = await flushMemtable({ fs, dir: '/db', path: '/db/000001.sst', fileNumber: 1, memtable, snapshotSeqs, tableOptions, cache: new BlockCache(0), sliceMs: 1, fillCache: false, compactionFilter });
  if (output === undefined) return undefined;
  output.reader.close();
  return fs.readAll('/db/000001.sst');
}

function workerInput(memtable: Memtable, snapshotSeqs: number[], options: Partial<FlushInput> = {}): FlushInput {
  const fileNumber = nextFileNumber++;
  const path = nodePath.join(dir, `${String(fileNumber).padStart(6, '0')}.sst`);
  return { fs: new RealFileSystem(), dir, path, fileNumber, memtable, snapshotSeqs, tableOptions: {}, cache: new BlockCache(0), sliceMs: 1, fillCache: false, ...options };
}

describe('Memtable.exportFrozen / importFrozen', () => {
  it('gives a table whose iteration returns the same entries, in the same order', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ ops, tailNodesMax }) => {
        const { memtable } = build(ops, tailNodesMax, 0);
        const imported = Memtable.importFrozen(memtable.exportFrozen());
        expect(imported.entryCount()).toBe(memtable.entryCount());
        expect(entriesOf(imported)).toEqual(entriesOf(memtable));
      }),
      { numRuns: 200 },
    );
  });

  it('copies the same bytes in steps of any size as in one go', () => {
    fc.assert(
      fc.property(caseArbitrary, fc.integer({ min: 1, max: 5000 }), ({ ops, tailNodesMax }, stepBytes) => {
        const { memtable } = build(ops, tailNodesMax, 0);
        const whole = memtable.exportFrozen();
        const { frozen, copy } = memtable.exportFrozenInSteps();
        let steps = 1;
        while (!copy(stepBytes)) steps++;
        expect(steps).toBeGreaterThanOrEqual(Math.floor(whole.buffer.byteLength / 8 / stepBytes));
        expect(Buffer.from(frozen.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
        expect({ ...frozen, buffer: undefined }).toEqual({ ...whole, buffer: undefined });
      }),
      { numRuns: 100 },
    );
  });
});

describe('FlushWorker', () => {
  it('writes the same table bytes as the in-process flush, snapshots, deletes, expiries and big values included', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async ({ ops, tailNodesMax, snapshotCount, blockBytes, bloomBitsPerKey }) => {
        const { memtable, snapshotSeqs } = build(ops, tailNodesMax, snapshotCount);
        const tableOptions = { blockBytes, bloomBitsPerKey };
        const expected = await flushInProcess(memtable, snapshotSeqs, tableOptions);
        const input = workerInput(memtable, snapshotSeqs, { tableOptions });
        const output = await worker.flush(input);
        expect(expected).toBeDefined();
        expect(output).toBeDefined();
        output!.reader.close();
        const actual = await readFile(input.path);
        expect(actual.equals(expected!)).toBe(true);
        expect(output!.meta.sizeBytes).toBe(expected!.length);
        expect(output!.meta.smallestKey).toBeInstanceOf(Buffer);
        await rm(input.path);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('drops the keys the compaction filter condemns, as the in-process flush does (verdicts taken on the main thread)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 4 }), async ({ ops, tailNodesMax, snapshotCount, blockBytes, bloomBitsPerKey }, modulus, remainder) => {
        const { memtable, snapshotSeqs } = build(ops, tailNodesMax, snapshotCount);
        const tableOptions = { blockBytes, bloomBitsPerKey };
        const filter: CompactionFilter = (key) => key[key.length - 1]! % modulus === remainder % modulus;
        let calls = 0;
        const counted: CompactionFilter = (key) => {
          calls++;
          return filter(key);
        };
        const expected = await flushInProcess(memtable, snapshotSeqs, tableOptions, filter);
        const input = workerInput(memtable, snapshotSeqs, { tableOptions, compactionFilter: counted });
        const output = await worker.flush(input);
        expect(calls).toBe(memtable.keyCount()); // once per key, on this thread
        expect(output === undefined).toBe(expected === undefined); // a memtable the filter emptied leaves no table
        if (output === undefined) return;
        output.reader.close();
        const actual = await readFile(input.path);
        expect(actual.equals(expected!)).toBe(true);
        await rm(input.path);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('fills the block cache with the table blocks as the in-process flush does, when asked and they fit', async () => {
    const { memtable } = build(Array.from({ length: 3000 }, (_, index) => ({ key: index, isPut: true, valueLength: 100, expireAtMs: 0, keepOlder: false })), 2048, 0);
    const local = new BlockCache(8 << 20);
    const fs = new CrashableFileSystem();
    fs.mkdirp('/db');
    const expected = await flushMemtable({ fs, dir: '/db', path: '/db/000001.sst', fileNumber: 1, memtable, snapshotSeqs: [], tableOptions: {}, cache: local, sliceMs: 1, fillCache: true });
    const cache = new BlockCache(8 << 20);
    const input = workerInput(memtable, [], { cache, fillCache: true });
    const output = await worker.flush(input);
    expect(cache.stats().blockCount).toBe(output!.reader.blockCount);
    expect(cache.stats().blockCount).toBe(local.stats().blockCount);
    expect(cache.fileBytes(input.fileNumber)).toBe(local.fileBytes(1));
    const readsBefore = output!.reader.stats.blockReads;
    expect(output!.reader.get(Buffer.from('key:xxx1011'))?.value.length).toBe(100);
    expect(output!.reader.stats.blockReads).toBe(readsBefore); // from the cache
    output!.reader.close();
    expected!.reader.close();
    // too big for the cache's room: nothing cached
    const small = new BlockCache(1 << 10);
    const uncached = await worker.flush(workerInput(memtable, [], { cache: small, fillCache: true }));
    expect(small.stats().blockCount).toBe(0);
    uncached!.reader.close();
  });

  it('rejects with FlushWorkerError when the flush fails in the worker, and flushes again after', async () => {
    const { memtable } = build([{ key: 1, isPut: true, valueLength: 10, expireAtMs: 0, keepOlder: false }], 16, 0);
    const missing = workerInput(memtable, [], { path: nodePath.join(dir, 'no-such-dir', '000001.sst') });
    const failure = await worker.flush(missing).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FlushWorkerError);
    expect(String((failure as Error).message)).toContain('ENOENT');
    const output = await worker.flush(workerInput(memtable, []));
    expect(output?.meta.entryCount).toBe(1);
    output!.reader.close();
  });

  it('rejects with FlushWorkerError when the thread dies, and starts a new one for the next flush', async () => {
    const { memtable } = build([{ key: 1, isPut: true, valueLength: 10, expireAtMs: 0, keepOlder: false }], 16, 0);
    const startsBefore = worker.stats().workerStarts;
    worker.exitOnNextRequest = true;
    await expect(worker.flush(workerInput(memtable, []))).rejects.toThrow(/exited \(code 7\)/);
    const output = await worker.flush(workerInput(memtable, []));
    expect(output?.meta.entryCount).toBe(1);
    expect(worker.stats().workerStarts).toBe(startsBefore + 1);
    output!.reader.close();
  });

  it('refuses flushes once closed', async () => {
    const closing = new FlushWorker(() => undefined);
    const { memtable } = build([{ key: 1, isPut: true, valueLength: 10, expireAtMs: 0, keepOlder: false }], 16, 0);
    (await closing.flush(workerInput(memtable, [])))!.reader.close();
    await closing.close();
    await expect(closing.flush(workerInput(memtable, []))).rejects.toThrow(FlushWorkerError);
  });
});

describe('Engine with the flush worker', () => {
  it('flushes on the worker with the real file system, and the tables read back after a reopen', async () => {
    const engineDir = await mkdtemp(nodePath.join(dir, 'engine-'));
    const engine = await Engine.open({ dir: engineDir, memtableBytesMax: 64 * 1024, syncPolicy: 'no' });
    const value = Buffer.alloc(200, 7);
    for (let index = 0; index < 2000; index++) await engine.write([{ kind: 'put', key: Buffer.from(`k${index}`), value }]);
    await engine.flush();
    expect(engine.stats().flushesInWorker).toBeGreaterThanOrEqual(2);
    expect(engine.stats().flushesInWorker).toBe(engine.stats().flushes);
    await engine.close();
    const reopened = await Engine.open({ dir: engineDir, flushWorker: false });
    for (let index = 0; index < 2000; index += 97) expect(reopened.get(Buffer.from(`k${index}`))).toEqual(value);
    await reopened.close();
  });

  it('fails the engine when the worker thread dies during a flush, as a flush error does', async () => {
    const engineDir = await mkdtemp(nodePath.join(dir, 'engine-'));
    const engine = await Engine.open({ dir: engineDir, memtableBytesMax: 64 * 1024, testHooks: { flushWorkerExits: true } });
    await engine.write([{ kind: 'put', key: Buffer.from('acknowledged'), value: Buffer.from('yes') }]);
    await expect(engine.flush()).rejects.toThrow(EngineFailedError);
    expect(engine.stats().failed).toBe(true);
    expect(() => engine.write([{ kind: 'put', key: Buffer.from('after'), value: Buffer.from('no') }])).toThrow(EngineFailedError);
    await engine.close();
    const reopened = await Engine.open({ dir: engineDir, flushWorker: false });
    expect(reopened.get(Buffer.from('acknowledged'))).toEqual(Buffer.from('yes'));
    await reopened.close();
  });

  it('keeps the in-process flush for an in-memory file system', async () => {
    const fs = new CrashableFileSystem();
    const engine = await Engine.open({ dir: '/db', fs });
    await engine.write([{ kind: 'put', key: Buffer.from('a'), value: Buffer.from('1') }]);
    await engine.flush();
    expect(engine.stats().flushes).toBe(1);
    expect(engine.stats().flushesInWorker).toBe(0);
    await engine.close();
    await expect(Engine.open({ dir: '/db', fs, flushWorker: true })).rejects.toThrow(/real file system/);
  });
});
