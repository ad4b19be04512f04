// storage/engine-model.test.ts: the engine against a Map model, driven by random command sequences
// (fast-check asyncModelRun): Put, Delete, Batch, Get, Scan, Flush, Reopen, Crash. Memtables of a
// few KiB make rotations, flushes and many SSTables happen within a few dozen commands.
// - syncPolicy 'always': after a Crash (any crash mode, with a batch in flight whose append may be
//   torn) every acknowledged write is present and the in-flight batch is all there or all gone.
// - syncPolicy 'no': acknowledged writes may be lost, but only a suffix: the recovered state
//   equals the model after some prefix of the acknowledged history, no shorter than what the last
//   WAL sync (rotation, flush, close) made durable.
// - Compaction variant: tiny compaction triggers, level sizes and output files, a tiny table
//   cache and memory budget, so compactions (and table reopens) happen hundreds of times over the
//   runs, interleaved with Crash and Reopen; plus Compact (wait until settled) and CompactAll.
// Expired puts: compaction may drop them (or turn them into deletes), so where the model holds an
// expired put the engine may hold it or nothing, never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, type EngineOptions, type SyncPolicy, type WriteOp } from './engine.js';
import { CrashableFileSystem, type CrashMode } from './crashable-file-system.js';

const DIR = '/db';
const KEY_COUNT = 24;
const PAST_MS = 1; // expired for any clock
const FUTURE_MS = 4_102_444_800_000; // 2100-01-01

interface Stored {
  value: Buffer;
  expireAtMs: number;
}
type State = Map<string, Stored>; // hex key -> newest put (deleted keys absent; expired puts kept)

interface Model {
  state: State;
  history: State[]; // 'no': states after each acknowledged batch since the last durable point
  fsyncsSeen: number; // engine.stats().fsyncs when last looked at
}
interface Real {
  fs: CrashableFileSystem;
  engine: Engine;
  options: EngineOptions;
}

/** Over a whole runModel() call: compactions finished (all engine instances) and restarts. */
const tally = { compactions: 0, crashes: 0, reopens: 0 };

function countCompactions(engine: Engine): void {
  tally.compactions += engine.stats().compactions;
}

function keyOf(index: number): Buffer {
  return Buffer.from(`k${String(index).padStart(3, '0')}`);
}

function applyOps(state: State, ops: readonly WriteOp[]): State {
  const next = new Map(state);
  for (const op of ops) {
    if (op.kind === 'delete') next.delete(op.key.toString('hex'));
    else next.set(op.key.toString('hex'), { value: op.value, expireAtMs: op.expireAtMs ?? 0 });
  }
  return next;
}

function visible(state: State): [string, string][] {
  const nowMs = Date.now();
  return [...state]
    .filter(([, stored]) => stored.expireAtMs === 0 || stored.expireAtMs > nowMs)
    .map(([key, stored]): [string, string] => [key, stored.value.toString('hex')])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Everything the engine holds for the key universe, expired puts included. */
function readState(engine: Engine): State {
  const state: State = new Map();
  for (let index = 0; index < KEY_COUNT; index++) {
    const key = keyOf(index);
    const entry = engine.getEntry(key, { includeExpired: true });
    if (entry !== undefined) state.set(key.toString('hex'), { value: Buffer.from(entry.value), expireAtMs: entry.expireAtMs });
  }
  return state;
}

function isExpiredStored(stored: Stored): boolean {
  return stored.expireAtMs !== 0 && stored.expireAtMs <= Date.now();
}

/** actual (from the engine) agrees with model: equal, except expired model puts may be missing. */
function sameState(model: State, actual: State): boolean {
  for (const [key, stored] of actual) {
    const expected = model.get(key);
    if (expected === undefined || !expected.value.equals(stored.value) || expected.expireAtMs !== stored.expireAtMs) return false;
  }
  for (const [key, stored] of model) if (!actual.has(key) && !isExpiredStored(stored)) return false;
  return true;
}

function describeState(state: State): string {
  return JSON.stringify([...state].map(([key, stored]) => [Buffer.from(key, 'hex').toString(), stored.value.length, stored.expireAtMs]));
}

function assertMatches(model: Model, real: Real, when: string): void {
  const actual = readState(real.engine);
  if (!sameState(model.state, actual)) {
    throw new Error(`${when}: engine ${describeState(actual)} != model ${describeState(model.state)}`);
  }
  const scanned = [...real.engine.scan()].map((item): [string, string] => [item.key.toString('hex'), item.value.toString('hex')]);
  const expected = visible(model.state);
  if (JSON.stringify(scanned) !== JSON.stringify(expected)) throw new Error(`${when}: scan differs from the model`);
}

/** 'no': a WAL fsync made every batch written so far durable. */
function noteDurable(model: Model, real: Real): void {
  model.history = [model.state];
  model.fsyncsSeen = real.engine.stats().fsyncs;
}

/**
 * A WAL fsync (a rotation, in write() or after a background flush) appends everything staged
 * first, so one seen after a write() call covers that write and all before it. (The background
 * fsync group-commit.ts starts every WAL_BYTES_PER_SYNC = 1 MiB would not, but a WAL here never
 * grows that large: memtables of at most 12 KiB and batches of at most ~150 KB.)
 */
function noteFsyncs(model: Model, real: Real): void {
  if (real.engine.stats().fsyncs !== model.fsyncsSeen) noteDurable(model, real);
}

abstract class WriteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ops: WriteOp[]) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.engine.waitForWriteRoom();
    noteFsyncs(model, real);
    const durable = real.engine.write(this.ops);
    model.state = applyOps(model.state, this.ops);
    model.history.push(model.state);
    noteFsyncs(model, real);
    await durable;
    noteFsyncs(model, real);
  }
  abstract toString(): string;
}

class PutCommand extends WriteCommand {
  toString = (): string => `put ${describeOps(this.ops)}`;
}
class DeleteCommand extends WriteCommand {
  toString = (): string => `delete ${describeOps(this.ops)}`;
}
class BatchCommand extends WriteCommand {
  toString = (): string => `batch ${describeOps(this.ops)}`;
}

function describeOps(ops: readonly WriteOp[]): string {
  return ops
    .map((op) =>
      op.kind === 'put' ? `${op.key.toString()}=${op.value.length}B${op.expireAtMs ? `@${op.expireAtMs}` : ''}` : `-${op.key.toString()}`,
    )
    .join(',');
}

class GetCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly key: Buffer) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const stored = model.state.get(this.key.toString('hex'));
    const live = stored !== undefined && (stored.expireAtMs === 0 || stored.expireAtMs > Date.now());
    const actual = real.engine.get(this.key);
    const expected = live ? stored.value : undefined;
    if ((actual === undefined) !== (expected === undefined) || (actual !== undefined && !actual.equals(expected!))) {
      throw new Error(`get ${this.key.toString()}: ${actual?.length} != ${expected?.length}`);
    }
  }
  toString = (): string => `get ${this.key.toString()}`;
}

class ScanCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly start: number | undefined,
    readonly end: number | undefined,
    readonly after: number | undefined,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const options: { start?: Buffer; end?: Buffer; after?: Buffer } = {};
    if (this.start !== undefined) options.start = keyOf(this.start);
    if (this.end !== undefined) options.end = keyOf(this.end);
    if (this.after !== undefined) options.after = keyOf(this.after);
    const inRange = (hex: string): boolean => {
      const key = Buffer.from(hex, 'hex');
      return (
        (options.start === undefined || Buffer.compare(key, options.start) >= 0) &&
        (options.end === undefined || Buffer.compare(key, options.end) < 0) &&
        (options.after === undefined || Buffer.compare(key, options.after) > 0)
      );
    };
    const expected = visible(model.state).filter(([key]) => inRange(key));
    const actual: [string, string][] = [];
    // Async iteration with writes of unrelated data in between: the scan keeps its snapshot.
    for await (const item of real.engine.scan(options)) actual.push([item.key.toString('hex'), item.value.toString('hex')]);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(`scan ${this.toString()}: ${actual.length} items, expected ${expected.length}`);
    }
  }
  toString = (): string => `scan start=${this.start} end=${this.end} after=${this.after}`;
}

class FlushCommand implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.engine.flush();
    noteDurable(model, real);
    assertMatches(model, real, 'after flush');
  }
  toString = (): string => 'flush';
}

class ReopenCommand implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.engine.close();
    countCompactions(real.engine);
    tally.reopens++;
    real.engine = await Engine.open(real.options);
    noteDurable(model, real);
    if (real.engine.stats().replayedBatches !== 0) throw new Error('a clean close left WAL records to replay');
    assertMatches(model, real, 'after reopen');
  }
  toString = (): string => 'reopen';
}

class CrashCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly mode: CrashMode,
    readonly seed: number,
    readonly inFlight: WriteOp[] | undefined, // issued, not awaited; crash after `ticks` microtasks
    readonly ticks: number,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const policy = real.options.syncPolicy;
    let candidates = policy === 'always' ? [model.state] : [...model.history];
    if (this.inFlight !== undefined) {
      const ops = this.inFlight;
      const withBatch = applyOps(model.state, ops);
      candidates = policy === 'always' ? [model.state, withBatch] : [...candidates, withBatch];
      void real.engine.write(ops).catch(() => undefined);
      for (let tick = 0; tick < this.ticks; tick++) await Promise.resolve();
    }
    real.fs.crash({ mode: this.mode, seed: this.seed });
    countCompactions(real.engine); // the old engine stops at its next file-system call
    tally.crashes++;
    real.engine = await Engine.open(real.options);
    const actual = readState(real.engine);
    const match = candidates.find((candidate) => sameState(candidate, actual));
    if (match === undefined) {
      throw new Error(
        `after crash (${policy}, ${this.mode}): engine ${describeState(actual)} matches none of ` +
          candidates.map(describeState).join(' | '),
      );
    }
    model.state = match;
    noteDurable(model, real);
    assertMatches(model, real, 'after crash');
  }
  toString = (): string =>
    `crash ${this.mode} seed=${this.seed}${this.inFlight ? ` in-flight ${describeOps(this.inFlight)} ticks=${this.ticks}` : ''}`;
}

/** Waits until compaction has settled (or runs a full compaction), then compares. */
class CompactCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly full: boolean) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    if (this.full) {
      await real.engine.compactAll(); // flushes first: everything written is durable
      noteDurable(model, real);
    } else {
      await real.engine.waitForCompactions();
    }
    assertMatches(model, real, this.full ? 'after compactAll' : 'after compactions settled');
  }
  toString = (): string => (this.full ? 'compactAll' : 'compact');
}

const keyIndex = fc.integer({ min: 0, max: KEY_COUNT - 1 });
const valueArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 120 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 12_000 }) },
);
const putOp: fc.Arbitrary<WriteOp> = fc
  .record({ key: keyIndex, value: valueArb, expiry: fc.constantFrom(0, 0, 0, 0, PAST_MS, FUTURE_MS) })
  .map(({ key, value, expiry }) =>
    expiry === 0
      ? { kind: 'put', key: keyOf(key), value: Buffer.from(value) }
      : { kind: 'put', key: keyOf(key), value: Buffer.from(value), expireAtMs: expiry },
  );
const deleteOp: fc.Arbitrary<WriteOp> = keyIndex.map((key) => ({ kind: 'delete', key: keyOf(key) }));
const batchOps = fc.array(fc.oneof({ weight: 3, arbitrary: putOp }, { weight: 1, arbitrary: deleteOp }), {
  minLength: 1,
  maxLength: 12,
});
const optionalKey = fc.option(keyIndex, { nil: undefined });

const commands = [
  putOp.map((op) => new PutCommand([op])),
  putOp.map((op) => new PutCommand([op])),
  putOp.map((op) => new PutCommand([op])),
  deleteOp.map((op) => new DeleteCommand([op])),
  batchOps.map((ops) => new BatchCommand(ops)),
  batchOps.map((ops) => new BatchCommand(ops)),
  keyIndex.map((key) => new GetCommand(keyOf(key))),
  fc.tuple(optionalKey, optionalKey, optionalKey).map(([start, end, after]) => new ScanCommand(start, end, after)),
  fc.constant(new FlushCommand()),
  fc.constant(new ReopenCommand()),
  fc
    .tuple(
      fc.constantFrom<CrashMode>('drop', 'keep-random', 'tear', 'zero-fill'),
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.option(batchOps, { nil: undefined }),
      fc.integer({ min: 0, max: 4 }),
    )
    .map(([mode, seed, inFlight, ticks]) => new CrashCommand(mode, seed, inFlight, ticks)),
];

const compactionCommands = [
  ...commands,
  fc.constant(new CompactCommand(false)),
  fc.constant(new CompactCommand(true)),
];

/** Compaction variant: triggers so small that nearly every flush starts one. */
const TINY_COMPACTION: Partial<EngineOptions> = {
  compaction: {
    level0CompactionTrigger: 2,
    level0SlowdownTrigger: 3,
    level0StopTrigger: 5,
    levelBaseBytes: 4 * 1024,
    levelSizeRatio: 3,
    targetFileBytes: 1024,
    tombstoneDensity: 0.3,
  },
  cacheBytes: 16 * 1024,
  openTablesMax: 3,
};

/** A model test stops starting runs once RUN_SECONDS have passed and it has this many runs. */
const RUNS_MIN = 10;
const RUN_SECONDS = 20;
/** A compaction model test's runs are enough once each tally passed this. */
const COMPACTION_TALLY_MIN = 100;
const compactionTallied = (): boolean => tally.compactions > COMPACTION_TALLY_MIN && tally.crashes + tally.reopens > COMPACTION_TALLY_MIN;

/**
 * numRuns runs, but none starts once RUN_SECONDS have passed and enough() holds. Not fast-check's
 * skipAllAfterTimeLimit: on a loaded machine it skipped the remaining runs and failed the property
 * with "too many pre-condition failures". Each run is bounded by maxCommands and the test's timeout.
 */
async function runModel(syncPolicy: SyncPolicy, numRuns: number, variant?: Partial<EngineOptions>, enough: (runs: number) => boolean = (runs) => runs >= RUNS_MIN): Promise<void> {
  const deadlineMs = Date.now() + RUN_SECONDS * 1000;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.commands(variant === undefined ? commands : compactionCommands, { maxCommands: 100, size: 'large' }),
      fc.integer({ min: 2048, max: 12 * 1024 }),
      async (cmds, memtableBytesMax) => {
        if (enough(runs) && Date.now() > deadlineMs) return;
        runs++;
        const fs = new CrashableFileSystem();
        const options: EngineOptions = { dir: DIR, fs, syncPolicy, memtableBytesMax, blockBytes: 256, ...variant };
        const real: Real = { fs, engine: await Engine.open(options), options };
        const initial: State = new Map();
        const model: Model = { state: initial, history: [initial], fsyncsSeen: real.engine.stats().fsyncs };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await real.engine.close();
          countCompactions(real.engine);
          real.engine = await Engine.open(options);
          assertMatches(model, real, 'final reopen');
        } finally {
          await real.engine.close().catch(() => undefined);
          countCompactions(real.engine);
        }
      },
    ),
    { numRuns },
  );
}

describe('engine against a Map model', () => {
  it('keeps every acknowledged write and every batch whole under syncPolicy always', async () => {
    await runModel('always', 50);
  });

  it('recovers a prefix of the acknowledged history under syncPolicy no', async () => {
    await runModel('no', 50);
  });

  it('keeps every acknowledged write through hundreds of compactions, crashes and reopens (always)', async () => {
    tally.compactions = 0;
    tally.crashes = 0;
    tally.reopens = 0;
    await runModel('always', 150, TINY_COMPACTION, compactionTallied);
    expect(tally.compactions).toBeGreaterThan(COMPACTION_TALLY_MIN);
    expect(tally.crashes + tally.reopens).toBeGreaterThan(COMPACTION_TALLY_MIN);
  }, 120_000);

  it('recovers a prefix of the history through hundreds of compactions, crashes and reopens (no)', async () => {
    tally.compactions = 0;
    tally.crashes = 0;
    tally.reopens = 0;
    await runModel('no', 150, TINY_COMPACTION, compactionTallied);
    expect(tally.compactions).toBeGreaterThan(COMPACTION_TALLY_MIN);
    expect(tally.crashes + tally.reopens).toBeGreaterThan(COMPACTION_TALLY_MIN);
  }, 120_000);
});
