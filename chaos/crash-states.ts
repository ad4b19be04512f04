// chaos/crash-states.ts: crash-state enumeration (the ALICE method, OSDI 2014) over the engine.
//   1. record: run a small engine workload under syncPolicy 'always' on a CrashableFileSystem
//      with recording on (sequential and group-committed writes, deletes and multi-op batches,
//      records over a WAL block, a tiny memtableBytesMax so memtables rotate and flush to
//      SSTables, an explicit flush, a close and a reopen (which switches CURRENT to a new
//      manifest), a final close); for each batch note how many file-system ops had happened when
//      it was issued and when its promise resolved (acknowledged).
//   2. enumerate: replay the op log through chaos/crash-model.ts; after every op, list every crash
//      state the persistence model allows there.
//   3. check: open the engine on each distinct state (written out durably in a fresh file system).
//      It must open, and its contents must be the state after some prefix of the batches that
//      includes every batch acknowledged by then and none not yet issued. Then one more write,
//      a power loss ('drop') and a reopen: the recovered contents plus that write must survive
//      (recovery itself must leave the state durable).
//   4. really damaged states (a byte flipped in a synced file, a file removed): the engine must
//      refuse with a named storage error, or open with nothing it was never given.
// Bounded by `seconds`: distinct states are opened in a seeded random order until the deadline,
// and the report says how many of how many were checked.
// Run alone: `node --import tsx chaos/crash-states.ts [--seconds S] [--seed N]`.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CrashableFileSystem, type RecordedOp } from '../storage/crashable-file-system.js';
import { Engine, type SyncPolicy, type WriteOp } from '../storage/index.js';
import { CrashModel, type CrashState } from './crash-model.js';
import { createRng, type Rng } from './history.js';

export const DB_DIR = '/db';
export const MEMTABLE_BYTES_MAX = 1024;
const NAMED_DAMAGE_CODES = new Set(['ERR_WAL_CORRUPT', 'ERR_MANIFEST_CORRUPT', 'ERR_SSTABLE_CORRUPT', 'ERR_MISSING_FILE']);
const PROBE_KEY = Buffer.from('~probe');
const FAILURES_KEPT_MAX = 20;

export interface RecordedBatch {
  ops: WriteOp[];
  issuedAt: number; // file-system ops recorded when write() was called
  ackedAt: number | undefined; // ... when its promise resolved
}

export interface Recording {
  ops: RecordedOp[];
  batches: RecordedBatch[];
  liveAtEnd: Map<string, Buffer>;
}

export interface CrashStateFailure {
  crashPoint: number;
  state: string;
  reason: string;
}

export interface CrashStateReport {
  opsRecorded: number;
  batches: number;
  crashPoints: number;
  statesEnumerated: number; // (crash point, state) pairs
  distinctStates: number;
  distinctStatesOpened: number;
  statesChecked: number; // pairs whose state was opened and checked
  damagedStatesChecked: number;
  failures: CrashStateFailure[];
  failureCount: number;
  seconds: number;
  summary: string;
}

type Outcome = { kind: 'opened'; contents: string } | { kind: 'refused'; error: string; named: boolean } | { kind: 'not-durable'; detail: string };

// ---- 1. record --------------------------------------------------------------------------------

function value(rng: Rng, label: string): Buffer {
  return Buffer.from(`${label}:${'v'.repeat(20 + Math.floor(rng() * 80))}`);
}

export async function recordWorkload(seed: number, syncPolicy: SyncPolicy = 'always'): Promise<Recording> {
  const rng = createRng(seed);
  const fs = new CrashableFileSystem();
  fs.startRecording();
  const batches: RecordedBatch[] = [];
  const open = () => Engine.open({ dir: DB_DIR, fs, syncPolicy, memtableBytesMax: MEMTABLE_BYTES_MAX });
  let engine = await open();
  const key = () => Buffer.from(`key-${String(Math.floor(rng() * 12)).padStart(2, '0')}`);
  const write = (ops: WriteOp[]): Promise<void> => {
    const batch: RecordedBatch = { ops, issuedAt: fs.recordedOps().length, ackedAt: undefined };
    batches.push(batch);
    return engine.write(ops).then(() => {
      batch.ackedAt = fs.recordedOps().length;
    });
  };
  const put = (label: string): WriteOp => ({ kind: 'put', key: key(), value: value(rng, label) });
  let n = 0;
  for (let i = 0; i < 20; i++) await write([put(`s${n++}`)]);
  for (let round = 0; round < 6; round++) {
    await Promise.all([
      write([put(`g${n++}`), { kind: 'delete', key: key() }]),
      write([put(`g${n++}`)]),
      write([put(`g${n++}`), put(`g${n++}`), put(`g${n++}`)]),
    ]);
  }
  // Records larger than a WAL block (32 KiB): fragmented FIRST/MIDDLE/LAST, torn in between.
  await write([{ kind: 'put', key: key(), value: Buffer.alloc(40 * 1024, 0x41 + (n++ % 26)) }]);
  await write([put(`f${n++}`), { kind: 'put', key: key(), value: Buffer.alloc(70 * 1024, 0x41 + (n++ % 26)) }]);
  await engine.flush();
  for (let i = 0; i < 4; i++) await write([rng() < 0.3 ? { kind: 'delete', key: key() } : put(`a${n++}`)]);
  await engine.close();
  engine = await open();
  for (let i = 0; i < 10; i++) await write([put(`r${n++}`)]);
  await Promise.all([write([put(`h${n++}`)]), write([{ kind: 'delete', key: key() }, put(`h${n++}`)])]);
  await engine.close();
  const liveAtEnd = new Map<string, Buffer>();
  for (const name of fs.list(DB_DIR)) liveAtEnd.set(path.posix.join(DB_DIR, name), fs.readAll(path.posix.join(DB_DIR, name)));
  return { ops: fs.recordedOps(), batches, liveAtEnd };
}

// ---- the model's contents after each prefix of batches -------------------------------------

function canonical(entries: Iterable<[string, string]>): string {
  return [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(';');
}

/** contents string -> the prefix lengths (batches applied) that produce it. */
function prefixStates(batches: readonly RecordedBatch[]): Map<string, number[]> {
  const model = new Map<string, string>();
  const states = new Map<string, number[]>();
  const note = (count: number) => {
    const key = canonical(model);
    states.set(key, [...(states.get(key) ?? []), count]);
  };
  note(0);
  batches.forEach((batch, index) => {
    for (const op of batch.ops) {
      if (op.kind === 'put') model.set(op.key.toString('hex'), op.value.toString('hex'));
      else model.delete(op.key.toString('hex'));
    }
    note(index + 1);
  });
  return states;
}

// ---- 3. open one state -----------------------------------------------------------------------

function stateHash(state: CrashState): string {
  const hash = createHash('sha1');
  for (const [file, content] of [...state.files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    hash.update(`${file}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}

function durableFileSystem(state: CrashState): CrashableFileSystem {
  const fs = new CrashableFileSystem();
  for (const dir of state.dirs) fs.mkdirp(dir);
  for (const [file, content] of state.files) {
    fs.writeAll(file, content);
    fs.syncFile(file);
  }
  for (const dir of state.dirs) fs.syncDir(dir);
  return fs;
}

function readContents(engine: Engine): string {
  const entries: [string, string][] = [];
  for (const item of engine.scan()) entries.push([item.key.toString('hex'), item.value.toString('hex')]);
  return canonical(entries);
}

function describeError(error: unknown): { text: string; named: boolean } {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { text: `${name}${code === '' ? '' : ` ${code}`}: ${message}`, named: NAMED_DAMAGE_CODES.has(code) };
}

async function openState(state: CrashState): Promise<Outcome> {
  const fs = durableFileSystem(state);
  const open = () => Engine.open({ dir: DB_DIR, fs, syncPolicy: 'always', memtableBytesMax: MEMTABLE_BYTES_MAX });
  let contents: string;
  try {
    const engine = await open();
    contents = readContents(engine);
    // Recovery must leave what it recovered durable: one more acknowledged write, a power loss,
    // and the same contents plus that write must come back.
    const probe = Buffer.from('after-recovery');
    await engine.write([{ kind: 'put', key: PROBE_KEY, value: probe }]);
  } catch (error) {
    const { text, named } = describeError(error);
    return { kind: 'refused', error: text, named };
  }
  fs.crash({ mode: 'drop' });
  try {
    const reopened = await open();
    const after = readContents(reopened);
    await reopened.close();
    const expected = canonical([
      ...contents.split(';').filter((pair) => pair !== '').map((pair) => pair.split('=') as [string, string]),
      [PROBE_KEY.toString('hex'), Buffer.from('after-recovery').toString('hex')],
    ]);
    if (after !== expected) return { kind: 'not-durable', detail: `after recovery + 1 write + power loss the contents changed (${summarize(contents)} -> ${summarize(after)})` };
  } catch (error) {
    return { kind: 'not-durable', detail: `reopen after recovery + 1 write + power loss failed: ${describeError(error).text}` };
  }
  return { kind: 'opened', contents };
}

function summarize(contents: string): string {
  const pairs = contents === '' ? [] : contents.split(';');
  return `${pairs.length} keys`;
}

// ---- 2 + 3: enumerate and check ----------------------------------------------------------------

interface Candidate {
  crashPoint: number;
  hash: string;
  label: string;
}

export interface CrashStateOptions {
  seconds?: number; // the bound on opening states (the damaged states get 5 s more at most)
  statesMax?: number; // the bound on distinct states opened (all of them by default); whichever bound comes first
  seed?: number;
  // The policy the workload is recorded under; the check always demands 'always' semantics, so
  // anything else must fail (a self-test of the checker).
  recordSyncPolicy?: SyncPolicy;
}

export async function checkCrashStates(options: CrashStateOptions = {}): Promise<CrashStateReport> {
  const startedAt = performance.now();
  const deadline = startedAt + (options.seconds ?? 25) * 1000;
  const seed = options.seed ?? 1;
  const recording = await recordWorkload(seed, options.recordSyncPolicy ?? 'always');
  const prefixes = prefixStates(recording.batches);
  const model = new CrashModel();
  const states = new Map<string, CrashState>();
  const candidates: Candidate[] = [];
  for (let crashPoint = 0; crashPoint <= recording.ops.length; crashPoint++) {
    if (crashPoint > 0) model.apply(recording.ops[crashPoint - 1]!);
    for (const state of model.crashStates(seed * 7919 + crashPoint)) {
      const hash = stateHash(state);
      if (!states.has(hash)) states.set(hash, state);
      candidates.push({ crashPoint, hash, label: state.label });
    }
  }
  checkReplay(model, recording);

  // Open distinct states in a seeded random order until the deadline.
  const order = [...states.keys()];
  shuffle(order, createRng(seed));
  const outcomes = new Map<string, Outcome>();
  const statesMax = options.statesMax ?? order.length;
  for (const hash of order) {
    if (performance.now() > deadline || outcomes.size >= statesMax) break;
    outcomes.set(hash, await openState(states.get(hash)!));
  }

  const failures: CrashStateFailure[] = [];
  let failureCount = 0;
  const fail = (failure: CrashStateFailure) => {
    failureCount++;
    if (failures.length < FAILURES_KEPT_MAX) failures.push(failure);
  };
  let statesChecked = 0;
  for (const candidate of candidates) {
    const outcome = outcomes.get(candidate.hash);
    if (outcome === undefined) continue;
    statesChecked++;
    const reason = judge(outcome, candidate.crashPoint, recording.batches, prefixes);
    if (reason !== undefined) fail({ crashPoint: candidate.crashPoint, state: candidate.label, reason });
  }

  const damaged = await checkDamagedStates(recording, deadline + 5_000);
  for (const failure of damaged.failures) fail(failure);

  const seconds = (performance.now() - startedAt) / 1000;
  const report: CrashStateReport = {
    opsRecorded: recording.ops.length,
    batches: recording.batches.length,
    crashPoints: recording.ops.length + 1,
    statesEnumerated: candidates.length,
    distinctStates: states.size,
    distinctStatesOpened: outcomes.size,
    statesChecked,
    damagedStatesChecked: damaged.checked,
    failures,
    failureCount,
    seconds,
    summary: '',
  };
  report.summary = `crash-states: ops=${report.opsRecorded} batches=${report.batches} crash_points=${report.crashPoints}` +
    ` states=${report.statesEnumerated} distinct=${report.distinctStates} opened=${report.distinctStatesOpened}` +
    ` checked=${report.statesChecked} damaged_checked=${report.damagedStatesChecked} failures=${report.failureCount} seconds=${seconds.toFixed(1)}`;
  return report;
}

/** Why the outcome is wrong at this crash point, or undefined when it is allowed. */
function judge(outcome: Outcome, crashPoint: number, batches: readonly RecordedBatch[], prefixes: Map<string, number[]>): string | undefined {
  if (outcome.kind === 'refused') return `open refused a state the model says is undamaged: ${outcome.error}`;
  if (outcome.kind === 'not-durable') return outcome.detail;
  let acked = 0;
  let issued = 0;
  batches.forEach((batch, index) => {
    if (batch.ackedAt !== undefined && batch.ackedAt <= crashPoint) acked = index + 1;
    if (batch.issuedAt < crashPoint) issued = index + 1;
  });
  const matches = prefixes.get(outcome.contents) ?? [];
  if (matches.some((count) => count >= acked && count <= issued)) return undefined;
  if (matches.length > 0) {
    return `contents are the state after ${matches.join('/')} batches; allowed ${acked}..${issued} (${acked} acknowledged)` +
      (Math.max(...matches) < acked ? ': acknowledged writes lost' : ': batches not yet issued');
  }
  return `contents are no prefix of the history (${summarize(outcome.contents)}); allowed ${acked}..${issued} batches`;
}

function checkReplay(model: CrashModel, recording: Recording): void {
  const live = model.liveFiles();
  for (const [file, content] of recording.liveAtEnd) {
    if (!live.get(file)?.equals(content)) throw new Error(`crash model replay diverged from the file system at ${file}`);
  }
}

// ---- 4. really damaged states ------------------------------------------------------------------

async function checkDamagedStates(recording: Recording, deadline: number): Promise<{ checked: number; failures: CrashStateFailure[] }> {
  const everWritten = new Map<string, Set<string>>();
  for (const batch of recording.batches) {
    for (const op of batch.ops) {
      if (op.kind !== 'put') continue;
      const key = op.key.toString('hex');
      if (!everWritten.has(key)) everWritten.set(key, new Set());
      everWritten.get(key)!.add(op.value.toString('hex'));
    }
  }
  const base = [...recording.liveAtEnd].filter(([file]) => !file.endsWith('/LOCK'));
  const states: { label: string; files: Map<string, Buffer> }[] = [];
  for (const [file, content] of base) {
    states.push({ label: `${file} removed`, files: new Map(base.filter(([other]) => other !== file)) });
    for (const position of [0, content.length >> 1, content.length - 1]) {
      if (position < 0 || position >= content.length) continue;
      const flipped = Buffer.from(content);
      flipped[position] = flipped[position]! ^ 0x5a;
      states.push({ label: `${file} byte ${position} flipped`, files: new Map([...base.filter(([other]) => other !== file), [file, flipped]]) });
    }
  }
  const failures: CrashStateFailure[] = [];
  let checked = 0;
  for (const damaged of states) {
    if (performance.now() > deadline) break;
    checked++;
    const crashPoint = recording.ops.length;
    let engine: Engine | undefined;
    try {
      const fs = durableFileSystem({ files: damaged.files, dirs: ['/', DB_DIR], label: damaged.label });
      engine = await Engine.open({ dir: DB_DIR, fs, syncPolicy: 'always', memtableBytesMax: MEMTABLE_BYTES_MAX });
      for (const item of engine.scan()) {
        const key = item.key.toString('hex');
        if (!everWritten.get(key)?.has(item.value.toString('hex'))) {
          failures.push({ crashPoint, state: damaged.label, reason: `opened and returned a value never written for key ${item.key.toString()}` });
          break;
        }
      }
    } catch (error) {
      const { text, named } = describeError(error);
      if (!named) failures.push({ crashPoint, state: damaged.label, reason: `refused without a named corruption error: ${text}` });
    } finally {
      try {
        await engine?.close();
      } catch {
        // closing an engine over damaged files may fail too; the open was what we judged
      }
    }
  }
  return { checked, failures };
}

function shuffle<T>(items: T[], rng: Rng): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(rng() * (index + 1));
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const index = args.indexOf(name);
    return index >= 0 ? Number(args[index + 1]) : fallback;
  };
  const report = await checkCrashStates({ seconds: flag('--seconds', 25), seed: flag('--seed', 1) });
  for (const failure of report.failures) process.stderr.write(`crash point ${failure.crashPoint} [${failure.state}]: ${failure.reason}\n`);
  process.stdout.write(`${report.summary}\n`);
  process.exit(report.failureCount > 0 ? 1 : 0);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
