// src/types/timeseries/raw-generation.test.ts: raw generations (series.ts): a seal that folds every
// raw sample moves the series to the next generation in the one batch that writes its chunks and
// its record, deleting no raw sample; a partial seal deletes what it folded and keeps it; the
// folded raw samples never come back (reads, a crash and reopen, COPY, MIGRATE), and flushes and
// compactions drop them once the new generation is durable, not before.
import { describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine, type WriteOp } from '../../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../../keyspace/keyspace.js';
import { ELEMENT_NAMESPACE, decodeRecord, elementPrefix, prefixEnd } from '../../keyspace/layout.js';
import { createObjectDumpPayload } from '../dump-payload.js';
import { timeseriesType } from './module.js';
import { samplesAscending, seal } from './samples.js';
import { Sealer } from './sealer.js';
import { restoreSeriesObject, seriesMigrationObject } from './series-payload.js';
import { addSample, createSeries, findSeries, type SeriesAccess } from './series-store.js';
import { SERIES_KIND, TIMESTAMP_MAX, decodeSeriesState, generationKey, rawKey } from './series.js';
import { recordSeries } from './hot-state.js';
import { createOptions, storeOpener, type TestStore } from './test-store.js';

const KEY = Buffer.from('s');
const openStore = storeOpener();
const openLazyStore = storeOpener({ syncPolicy: 'no' });

async function append(store: SeriesAccess, from: number, count: number): Promise<void> {
  if (findSeries(store, KEY) === undefined) createSeries(store, KEY, createOptions({ chunkSizeBytes: 128, duplicatePolicy: 'last' }));
  const series = findSeries(store, KEY)!;
  for (let ts = from; ts < from + count; ts++) addSample(store, KEY, series, ts, ts % 13, undefined);
  await store.keyspace.commit();
}

/** seal() of the series at KEY with its record, as the sealer does, committed; the batches engine.write got. */
async function sealCommitted(store: TestStore, maxSamples?: number): Promise<WriteOp[][]> {
  const batches: WriteOp[][] = [];
  const write = store.engine.write.bind(store.engine);
  store.engine.write = (ops) => {
    batches.push([...ops]);
    return write(ops);
  };
  try {
    const series = findSeries(store, KEY)!;
    seal(store.keyspace, series, maxSamples);
    recordSeries(store.keyspace, store.db, KEY, series);
    await store.keyspace.commit();
  } finally {
    store.engine.write = write;
  }
  return batches;
}

function stored(store: SeriesAccess, key = KEY): number[] {
  return [...samplesAscending(store.keyspace, findSeries(store, key)!, 0, TIMESTAMP_MAX)].map((sample) => sample.ts);
}

/** Every raw element of the version in the engine (any generation), as [generation, ts]. */
function rawElements(engine: Engine, version: number): number[][] {
  const prefix = elementPrefix(version, SERIES_KIND.raw);
  return [...engine.scan({ start: prefix, end: prefixEnd(prefix) })].map((item) => [item.key.readUInt32BE(prefix.length), item.key.readUInt32BE(prefix.length + 8)]);
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, index) => from + index);

async function reopen(store: TestStore): Promise<TestStore> {
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({ dir: '/db', fs: store.fs, syncPolicy: 'always', compactionFilter: garbage.filter });
  const keyspace = await Keyspace.open(engine, { garbage });
  return { engine, fs: store.fs, keyspace, db: 0, sealer: new Sealer() };
}

describe('raw generations', () => {
  it('a seal of every raw sample writes its chunks, the next generation (record and element) in one batch, and deletes none', async () => {
    const store = await openStore();
    await append(store, 1, 100);
    const version = findSeries(store, KEY)!.record.version;
    const batches = await sealCommitted(store);
    expect(batches).toHaveLength(1);
    const ops = batches[0]!;
    expect(ops.filter((op) => op.kind === 'delete')).toEqual([]);
    const chunkPrefix = elementPrefix(version, SERIES_KIND.chunk);
    expect(ops.filter((op) => op.key.subarray(0, chunkPrefix.length).equals(chunkPrefix)).length).toBeGreaterThan(1);
    const generation = ops.find((op) => op.key.equals(generationKey(version)));
    expect(generation?.kind === 'put' && generation.value.readUInt32BE(0)).toBe(1);
    const records = ops.filter((op) => op.kind === 'put' && op.key.readUInt32BE(0) !== 0 && op.key.readUInt32BE(0) !== ELEMENT_NAMESPACE);
    expect(records.map((op) => op.kind === 'put' && decodeSeriesState(decodeRecord(op.value).payload).rawGeneration)).toEqual([1]);
    expect(findSeries(store, KEY)!.state).toMatchObject({ rawGeneration: 1, rawCount: 0 });
    expect(stored(store)).toEqual(range(1, 100));
  });

  it('a partial seal deletes the raw samples it folded and keeps the generation', async () => {
    const store = await openStore();
    await append(store, 1, 100);
    const version = findSeries(store, KEY)!.record.version;
    const [ops] = await sealCommitted(store, 30);
    expect(ops!.filter((op) => op.kind === 'delete').map((op) => op.key)).toEqual(range(1, 30).map((ts) => rawKey(version, 0, ts)));
    expect(ops!.some((op) => op.key.equals(generationKey(version)))).toBe(false);
    expect(findSeries(store, KEY)!.state).toMatchObject({ rawGeneration: 0, rawCount: 70 });
    await sealCommitted(store);
    expect(findSeries(store, KEY)!.state).toMatchObject({ rawGeneration: 1, rawCount: 0 });
    expect(stored(store)).toEqual(range(1, 100));
  });

  it('never brings sealed raw samples back: reads, a crash and reopen, COPY; a full compaction drops them', async () => {
    let store = await openStore();
    await append(store, 1, 100);
    await sealCommitted(store);
    await append(store, 101, 20);
    await append(store, 50, 1); // a late sample over a chunk's: raw, in generation 1
    const version = findSeries(store, KEY)!.record.version;
    expect(rawElements(store.engine, version).filter(([generation]) => generation === 0)).toHaveLength(100); // left for compaction
    expect(stored(store)).toEqual(range(1, 120));
    store.fs.crash({ mode: 'drop', seed: 1 });
    store = await reopen(store);
    expect(findSeries(store, KEY)!.state).toMatchObject({ rawGeneration: 1, rawCount: 21 });
    expect(findSeries(store, KEY)!.record.count).toBe(120);
    expect(stored(store)).toEqual(range(1, 120));
    store.keyspace.set(0, Buffer.from('copy'), timeseriesType.copy!(store.keyspace, store.keyspace.get(0, KEY)!));
    await store.keyspace.commit();
    expect(stored(store, Buffer.from('copy'))).toEqual(range(1, 120));
    const copyVersion = store.keyspace.get(0, Buffer.from('copy'))!.version;
    expect(rawElements(store.engine, copyVersion)).toEqual([...range(50, 1), ...range(101, 20)].map((ts) => [1, ts]));
    await store.engine.compactAll();
    expect(rawElements(store.engine, version)).toEqual([...range(50, 1), ...range(101, 20)].map((ts) => [1, ts]));
    expect(stored(store)).toEqual(range(1, 120));
    await sealCommitted(store); // read through the engine (no raw buffer after a reopen): all of them, the next generation
    expect(findSeries(store, KEY)!.state).toMatchObject({ rawGeneration: 2, rawCount: 0 });
    await store.engine.compactAll();
    expect(rawElements(store.engine, version)).toEqual([]);
    expect(stored(store)).toEqual(range(1, 120));
    await store.engine.close();
  });

  it('moves (MIGRATE) the raw samples of the current generation alone, and the generation', async () => {
    const store = await openStore();
    await append(store, 1, 100);
    await sealCommitted(store);
    await append(store, 101, 5);
    const record = store.keyspace.get(0, KEY)!;
    const payload = createObjectDumpPayload(seriesMigrationObject(store.keyspace, record));
    const restored = restoreSeriesObject(store.keyspace, { bytes: payload, offset: 1 })!;
    store.keyspace.set(0, Buffer.from('moved'), restored);
    await store.keyspace.commit();
    expect(rawElements(store.engine, restored.version)).toEqual(range(101, 5).map((ts) => [1, ts]));
    expect(store.keyspace.element(generationKey(restored.version))?.readUInt32BE(0)).toBe(1);
    expect(stored(store, Buffer.from('moved'))).toEqual(range(1, 105));
  });

  it('keeps a past generation while the generation element that passed it is not durable', async () => {
    const store = await openLazyStore();
    await append(store, 1, 100);
    const version = findSeries(store, KEY)!.record.version;
    await sealCommitted(store);
    const { garbage } = store.keyspace;
    const sealedKey = rawKey(version, 0, 1);
    expect(store.engine.durableSequence()).toBeLessThan(store.engine.sequence());
    expect(garbage.filter(sealedKey)).toBe(false);
    expect(garbage.filter(rawKey(version, 1, 200))).toBe(false); // the current generation, always kept
    await syncAll(store.engine);
    expect(garbage.filter(sealedKey)).toBe(true);
    expect(garbage.filter(rawKey(version, 1, 200))).toBe(false);
    expect(garbage.filter(rawKey(version + 1, 0, 1))).toBe(true); // no such version: dead anyway
  });
});

/** Until every write so far is durable. */
async function syncAll(engine: Engine): Promise<void> {
  const target = engine.sequence();
  engine.requestSync();
  for (let turn = 0; turn < 1000 && engine.durableSequence() < target; turn++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(engine.durableSequence()).toBeGreaterThanOrEqual(target);
}
