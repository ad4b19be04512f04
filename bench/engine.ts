// bench/engine.ts: the storage engine against classic-level (LevelDB) in the same run, same data:
// 16-byte keys in random order, 100-byte values. Prints a markdown table with ratios.
//   npm run bench:engine -- [--keys 1000000] [--seconds 2] [--dir /tmp]
// Workloads (each on a fresh directory unless said otherwise):
// - fill, batches of 1000 (tskv syncPolicy 'no'; classic-level sync:false), with the max
//   event-loop delay seen meanwhile (perf_hooks.monitorEventLoopDelay, resolution 5 ms: a value
//   counts the timer's own 5 ms, so the longest turn, timed by a setImmediate chain, is reported
//   too); a detail line adds its
//   p50/p99, how many turns blocked >= 10 and >= 20 ms, and the GC pauses (count, max, total)
// - fill, one write at a time, awaited (same policies)
// - random reads of the batch-filled store (tskv get, classic-level getSync), then a full scan
// - open after a clean close, and after SIGKILL of a child process that filled a store
// - syncPolicy 'always' / sync:true with 1, 8, 64 concurrent writers for --seconds each (after a
//   `sync` so earlier fills' writeback does not slow the fsyncs): writes/s and tskv's fsyncs/s
// The fill loops yield to the event loop (setImmediate) once per 1000 writes, as a server does
// between socket reads, and tskv's honour writeStallMs()/waitForWriteRoom() as callers must.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { Engine, type WriteOp } from '../storage/index.js';

const KEY_BYTES = 16;
const VALUE_BYTES = 100;
const BATCH_COUNT = 1000;
const LEVEL_OPTIONS = { keyEncoding: 'buffer', valueEncoding: 'buffer', writeBufferSize: 64 * 1024 * 1024, cacheSize: 32 * 1024 * 1024 } as const;
const ENGINE_OPTIONS = { memtableBytesMax: 64 * 1024 * 1024, cacheBytes: 32 * 1024 * 1024 } as const;

interface Args {
  keys: number;
  seconds: number;
  dir: string;
  child: 'tskv' | 'level' | undefined;
  target: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { keys: 1_000_000, seconds: 2, dir: os.tmpdir(), child: undefined, target: '' };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index];
    const value = argv[index + 1] ?? '';
    if (name === '--keys') args.keys = Number(value);
    else if (name === '--seconds') args.seconds = Number(value);
    else if (name === '--dir') args.dir = value;
    else if (name === '--child') args.child = value === 'tskv' ? 'tskv' : 'level';
    else if (name === '--target') args.target = value;
    else throw new Error(`unknown argument ${name}`);
  }
  if (!Number.isSafeInteger(args.keys) || args.keys < BATCH_COUNT) throw new Error('--keys must be an integer >= 1000');
  return args;
}

/** Keys: 8 bytes of a hash of i (random order), then i; one shared buffer, no allocation per op. */
class Dataset {
  private readonly keyBytes: Buffer;
  private readonly valuePool: Buffer;

  constructor(readonly count: number, seed: number) {
    this.keyBytes = Buffer.allocUnsafe(count * KEY_BYTES);
    for (let index = 0; index < count; index++) {
      const offset = index * KEY_BYTES;
      this.keyBytes.writeUInt32BE(mix(index * 2 + seed), offset);
      this.keyBytes.writeUInt32BE(mix(index * 2 + 1 + seed * 7), offset + 4);
      this.keyBytes.writeUInt32BE(seed, offset + 8);
      this.keyBytes.writeUInt32BE(index, offset + 12);
    }
    this.valuePool = Buffer.allocUnsafe(1 << 20);
    for (let offset = 0; offset < this.valuePool.length; offset += 4) this.valuePool.writeUInt32LE(mix(offset ^ seed), offset);
  }

  key(index: number): Buffer {
    return this.keyBytes.subarray(index * KEY_BYTES, (index + 1) * KEY_BYTES);
  }

  value(index: number): Buffer {
    const offset = (index * 4099) % (this.valuePool.length - VALUE_BYTES);
    return this.valuePool.subarray(offset, offset + VALUE_BYTES);
  }
}

function mix(input: number): number {
  let hash = input | 0;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

function freshDir(base: string, label: string): string {
  return mkdtempSync(nodePath.join(base, `tskv-bench-${label}-`));
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((total, name) => total + statSync(nodePath.join(dir, name)).size, 0);
}

interface Row {
  name: string;
  unit: string;
  tskv: number;
  level: number | undefined;
  higherIsBetter: boolean;
}

const rows: Row[] = [];

function record(name: string, unit: string, tskv: number, level: number | undefined, higherIsBetter = true): void {
  rows.push({ name, unit, tskv, level, higherIsBetter });
  const ratio = level === undefined ? '' : `  (tskv/level ${(tskv / level).toFixed(2)})`;
  console.error(`  ${name}: tskv ${format(tskv)} ${unit}, level ${level === undefined ? '-' : format(level)} ${unit}${ratio}`);
}

function format(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

async function timed<T>(body: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await body();
  return { result, ms: performance.now() - start };
}

interface LoopDelay {
  maxDelayMs: number;
  /** The longest turn of the event loop, from a setImmediate chain (exact, unlike the histogram). */
  longestTurnMs: number;
  /** p50 / p99 / max of the delay, turns over 10 and 20 ms, and the GC pauses meanwhile. */
  detail: string;
}

/** Turns that block the loop this long or longer are counted (the storage issue's budget is ~10 ms). */
const LONG_TURN_MS = [10, 20] as const;

async function withLoopDelay<T>(body: () => Promise<T>): Promise<{ result: T; ms: number } & LoopDelay> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const gcPauses = { major: [] as number[], minor: [] as number[] };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      (kind === constants.NODE_PERFORMANCE_GC_MINOR ? gcPauses.minor : gcPauses.major).push(entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // a setImmediate chain sees every turn: count the long ones (the histogram samples on a timer)
  const longTurns = LONG_TURN_MS.map(() => 0);
  let longestTurnMs = 0;
  let lastTurnMs = performance.now();
  let watching = true;
  const watchTurn = (): void => {
    const nowMs = performance.now();
    if (nowMs - lastTurnMs > longestTurnMs) longestTurnMs = nowMs - lastTurnMs;
    LONG_TURN_MS.forEach((limitMs, index) => {
      if (nowMs - lastTurnMs >= limitMs) longTurns[index]!++;
    });
    lastTurnMs = nowMs;
    if (watching) setImmediate(watchTurn);
  };
  setImmediate(watchTurn);
  histogram.enable();
  const { result, ms } = await timed(body);
  histogram.disable();
  watching = false;
  await yieldToEventLoop(); // deliver the last gc entries
  observer.disconnect();
  const delayMs = (nanoseconds: number): string => (nanoseconds / 1e6).toFixed(1);
  const pauses = (list: number[]): string => `${list.length} (max ${Math.max(0, ...list).toFixed(1)} ms, total ${list.reduce((a, b) => a + b, 0).toFixed(0)} ms)`;
  const detail =
    `delay p50 ${delayMs(histogram.percentile(50))} / p99 ${delayMs(histogram.percentile(99))} / max ${delayMs(histogram.max)} ms; ` +
    LONG_TURN_MS.map((limitMs, index) => `${longTurns[index]} turns >= ${limitMs} ms`).join(', ') +
    `; GC pauses: major ${pauses(gcPauses.major)}, minor ${pauses(gcPauses.minor)}`;
  return { result, ms, maxDelayMs: histogram.max / 1e6, longestTurnMs, detail };
}

// ---- fills ----------------------------------------------------------------------------------

async function fillEngineBatches(engine: Engine, data: Dataset): Promise<void> {
  for (let start = 0; start < data.count; start += BATCH_COUNT) {
    if (engine.writeStallMs() > 0) await engine.waitForWriteRoom();
    const ops: WriteOp[] = [];
    for (let index = start; index < Math.min(start + BATCH_COUNT, data.count); index++) {
      ops.push({ kind: 'put', key: data.key(index), value: data.value(index) });
    }
    await engine.write(ops);
    await yieldToEventLoop();
  }
}

async function fillEngineSingles(engine: Engine, data: Dataset): Promise<void> {
  for (let index = 0; index < data.count; index++) {
    if (engine.writeStallMs() > 0) await engine.waitForWriteRoom();
    await engine.write([{ kind: 'put', key: data.key(index), value: data.value(index) }]);
    if (index % BATCH_COUNT === BATCH_COUNT - 1) await yieldToEventLoop();
  }
}

type Level = ClassicLevel<Buffer, Buffer>;

async function openLevel(dir: string): Promise<Level> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, LEVEL_OPTIONS);
  await db.open();
  return db;
}

async function fillLevelBatches(db: Level, data: Dataset): Promise<void> {
  for (let start = 0; start < data.count; start += BATCH_COUNT) {
    const ops: { type: 'put'; key: Buffer; value: Buffer }[] = [];
    for (let index = start; index < Math.min(start + BATCH_COUNT, data.count); index++) {
      ops.push({ type: 'put', key: data.key(index), value: data.value(index) });
    }
    await db.batch(ops, { sync: false });
    await yieldToEventLoop();
  }
}

async function fillLevelSingles(db: Level, data: Dataset): Promise<void> {
  for (let index = 0; index < data.count; index++) {
    await db.put(data.key(index), data.value(index), { sync: false });
    if (index % BATCH_COUNT === BATCH_COUNT - 1) await yieldToEventLoop();
  }
}

// ---- reads ----------------------------------------------------------------------------------

function readEngine(engine: Engine, data: Dataset, reads: number): number {
  let found = 0;
  let state = 12345;
  for (let read = 0; read < reads; read++) {
    state = mix(state + read);
    if (engine.get(data.key(state % data.count)) !== undefined) found++;
  }
  return found;
}

function readLevel(db: Level, data: Dataset, reads: number): number {
  let found = 0;
  let state = 12345;
  for (let read = 0; read < reads; read++) {
    state = mix(state + read);
    if (db.getSync(data.key(state % data.count)) !== undefined) found++;
  }
  return found;
}

function scanEngine(engine: Engine): number {
  let count = 0;
  for (const item of engine.scan()) if (item.value.length === VALUE_BYTES) count++;
  return count;
}

async function scanLevel(db: Level): Promise<number> {
  let count = 0;
  const iterator = db.iterator();
  try {
    for (;;) {
      const entries = await iterator.nextv(1000);
      if (entries.length === 0) break;
      for (const [, value] of entries) if (value.length === VALUE_BYTES) count++;
    }
  } finally {
    await iterator.close();
  }
  return count;
}

// ---- kill -9 --------------------------------------------------------------------------------

async function runChild(args: Args): Promise<void> {
  const data = new Dataset(args.keys, 3);
  if (args.child === 'tskv') {
    const engine = await Engine.open({ dir: args.target, syncPolicy: 'no', ...ENGINE_OPTIONS });
    await fillEngineBatches(engine, data);
  } else {
    const db = await openLevel(args.target);
    await fillLevelBatches(db, data);
  }
  process.stdout.write('filled\n');
  setInterval(() => undefined, 1 << 30); // wait for SIGKILL
}

async function fillInChildAndKill(kind: 'tskv' | 'level', target: string, keys: number): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--child', kind, '--target', target, '--keys', String(keys)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('filled')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child ${kind} exited with ${code} before filling`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// ---- durable writers ------------------------------------------------------------------------

async function durableWriters(
  write: (key: Buffer, value: Buffer) => Promise<void>,
  writers: number,
  seconds: number,
  data: Dataset,
): Promise<{ writes: number; ms: number }> {
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  const start = performance.now();
  const writer = async (): Promise<number> => {
    let done = 0;
    while (performance.now() < deadline) {
      const index = next++ % data.count;
      await write(data.key(index), data.value(index));
      done++;
    }
    return done;
  };
  const counts = await Promise.all(Array.from({ length: writers }, writer));
  return { writes: counts.reduce((a, b) => a + b, 0), ms: performance.now() - start };
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child !== undefined) return runChild(args);
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(`# bench/engine.ts: ${args.keys.toLocaleString('en-US')} keys (${KEY_BYTES} B) x ${VALUE_BYTES} B values`);
  console.log(`node ${process.version}, ${os.cpus().length} x ${cpu}, ${os.platform()} ${os.release()}, data in ${args.dir}`);
  console.log(`tskv memtable 64 MiB, cache 32 MiB; classic-level writeBufferSize 64 MiB, cacheSize 32 MiB\n`);
  const data = new Dataset(args.keys, 1);
  const dirs: string[] = [];
  const dir = (label: string): string => {
    const created = freshDir(args.dir, label);
    dirs.push(created);
    return created;
  };
  try {
    // Fill in batches, then read, scan, reopen.
    const engineDir = dir('tskv');
    let engine = await Engine.open({ dir: engineDir, syncPolicy: 'no', ...ENGINE_OPTIONS });
    const engineFill = await withLoopDelay(() => fillEngineBatches(engine, data));
    const levelDir = dir('level');
    const db = await openLevel(levelDir);
    const levelFill = await withLoopDelay(() => fillLevelBatches(db, data));
    record('fill random, batches of 1000', 'writes/s', (args.keys / engineFill.ms) * 1000, (args.keys / levelFill.ms) * 1000);
    record('max event-loop delay, batch fill', 'ms', engineFill.maxDelayMs, levelFill.maxDelayMs, false);
    record('longest event-loop turn, batch fill', 'ms', engineFill.longestTurnMs, levelFill.longestTurnMs, false);
    console.error(`    tskv batch fill: ${engineFill.detail}`);
    console.error(`    level batch fill: ${levelFill.detail}`);

    const reads = Math.min(args.keys, 500_000);
    const engineReads = await timed(async () => readEngine(engine, data, reads));
    const levelReads = await timed(async () => readLevel(db, data, reads));
    if (engineReads.result !== reads || levelReads.result !== reads) {
      throw new Error(`reads found ${engineReads.result} / ${levelReads.result} of ${reads}`);
    }
    record('random reads after fill', 'reads/s', (reads / engineReads.ms) * 1000, (reads / levelReads.ms) * 1000);
    console.error(`  tskv tables: ${JSON.stringify(engine.stats().levelFiles)}, bloom negatives ${engine.stats().bloomNegatives}`);

    const engineScan = await timed(async () => scanEngine(engine));
    const levelScan = await timed(() => scanLevel(db));
    if (engineScan.result !== args.keys || levelScan.result !== args.keys) {
      throw new Error(`scans saw ${engineScan.result} / ${levelScan.result} of ${args.keys}`);
    }
    record('full scan', 'entries/s', (args.keys / engineScan.ms) * 1000, (args.keys / levelScan.ms) * 1000);

    const engineClose = await timed(() => engine.close());
    const levelClose = await timed(() => db.close());
    record('close (flushes the memtable)', 'ms', engineClose.ms, levelClose.ms, false);
    const engineOpen = await timed(() => Engine.open({ dir: engineDir, syncPolicy: 'no', ...ENGINE_OPTIONS }));
    engine = engineOpen.result;
    const levelOpen = await timed(() => openLevel(levelDir));
    record('open after clean close', 'ms', engineOpen.ms, levelOpen.ms, false);
    record('disk bytes after fill', 'MB', dirBytes(engineDir) / 1e6, dirBytes(levelDir) / 1e6, false);
    await engine.close();
    await levelOpen.result.close();

    // Fill one write at a time.
    const singleEngine = await Engine.open({ dir: dir('tskv-single'), syncPolicy: 'no', ...ENGINE_OPTIONS });
    const engineSingles = await withLoopDelay(() => fillEngineSingles(singleEngine, data));
    await singleEngine.close();
    const singleLevel = await openLevel(dir('level-single'));
    const levelSingles = await withLoopDelay(() => fillLevelSingles(singleLevel, data));
    await singleLevel.close();
    record('fill random, one at a time', 'writes/s', (args.keys / engineSingles.ms) * 1000, (args.keys / levelSingles.ms) * 1000);
    record('max event-loop delay, single fill', 'ms', engineSingles.maxDelayMs, levelSingles.maxDelayMs, false);
    record('longest event-loop turn, single fill', 'ms', engineSingles.longestTurnMs, levelSingles.longestTurnMs, false);
    console.error(`    tskv single fill: ${engineSingles.detail}`);
    console.error(`    level single fill: ${levelSingles.detail}`);

    // Open after kill -9 of a filling process.
    const killedEngineDir = dir('tskv-killed');
    await fillInChildAndKill('tskv', killedEngineDir, args.keys);
    const killedLevelDir = dir('level-killed');
    await fillInChildAndKill('level', killedLevelDir, args.keys);
    const engineRecovery = await timed(() => Engine.open({ dir: killedEngineDir, syncPolicy: 'no', ...ENGINE_OPTIONS }));
    const levelRecovery = await timed(() => openLevel(killedLevelDir));
    const recoveredEngine = engineRecovery.result;
    const recoveredLevel = levelRecovery.result;
    const replayed = recoveredEngine.stats().replayedBatches;
    const engineCount = scanEngine(recoveredEngine);
    const levelCount = await scanLevel(recoveredLevel);
    if (engineCount !== args.keys || levelCount !== args.keys) {
      throw new Error(`after SIGKILL: tskv has ${engineCount}, level ${levelCount} of ${args.keys} acknowledged keys`);
    }
    record(`open after SIGKILL (tskv replayed ${replayed} batches)`, 'ms', engineRecovery.ms, levelRecovery.ms, false);
    await recoveredEngine.close();
    await recoveredLevel.close();

    // Durable writes with concurrent writers.
    for (const writers of [1, 8, 64]) {
      execFileSync('sync'); // write back the fills first, so their dirty pages do not slow these fsyncs
      const durable = await Engine.open({ dir: dir(`tskv-always-${writers}`), syncPolicy: 'always', ...ENGINE_OPTIONS });
      const fsyncsBefore = durable.stats().fsyncs;
      const engineRun = await durableWriters((key, value) => durable.write([{ kind: 'put', key, value }]), writers, args.seconds, data);
      const fsyncs = durable.stats().fsyncs - fsyncsBefore;
      await durable.close();
      execFileSync('sync');
      const levelDurable = await openLevel(dir(`level-sync-${writers}`));
      const levelRun = await durableWriters((key, value) => levelDurable.put(key, value, { sync: true }), writers, args.seconds, data);
      await levelDurable.close();
      record(`durable writes, ${writers} writer(s)`, 'writes/s', (engineRun.writes / engineRun.ms) * 1000, (levelRun.writes / levelRun.ms) * 1000);
      record(`  tskv fsyncs, ${writers} writer(s)`, 'fsyncs/s', (fsyncs / engineRun.ms) * 1000, undefined);
    }
  } finally {
    for (const created of dirs) rmSync(created, { recursive: true, force: true });
  }
  printTable(args);
}

function printTable(args: Args): void {
  console.log(`| workload (${args.keys.toLocaleString('en-US')} keys) | unit | tskv | classic-level | tskv / classic-level |`);
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const row of rows) {
    const ratio = row.level === undefined ? '' : `${(row.tskv / row.level).toFixed(2)}${row.higherIsBetter ? '' : ' (lower is better)'}`;
    console.log(`| ${row.name} | ${row.unit} | ${format(row.tskv)} | ${row.level === undefined ? '-' : format(row.level)} | ${ratio} |`);
  }
}

await main();
