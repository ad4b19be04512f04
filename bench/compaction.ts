// bench/compaction.ts: fills the storage engine with N random keys (16-byte keys, 100-byte
// values, unique) under one memory budget and reports what compaction costs and buys:
// - write amplification: bytes the engine wrote (WAL + flushes + compactions) / user bytes (and
//   the process's write_bytes from /proc/self/io when readable: what reached the block layer)
// - space amplification at the end: directory bytes / user bytes, once compaction settled and
//   again after a manual full compaction (compactAll)
// - peak RSS (getrusage maxrss) and RSS per 10% of the fill, against the budget
// - fill rate per 10% of the keys (no collapse as the store outgrows the budget), with the stalls
//   (stops and paced slowdowns) and the max event-loop delay of each tenth
// - random-read latency p50/p99 (existing keys, one engine.get each) on the store as the fill left
//   it, and on the same store fully compacted
//   npm run bench:compaction -- [--keys 10000000] [--budget-mib 256] [--memtable-mib 64] [--reads 200000] [--dir /tmp] [--keep]
// The budget is cacheBytes + memtableBytesMax (the block cache, open tables' index and filter
// blocks, and the active memtable; an immutable memtable being flushed may add up to one more).
// The fill yields to the event loop after each batch of 1000, as a server does between socket
// reads, and honours writeStallMs()/waitForWriteRoom() as callers must.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Engine, type WriteOp } from '../storage/index.js';

const KEY_BYTES = 16;
const VALUE_BYTES = 100;
const BATCH_COUNT = 1000;
const MIB = 1024 * 1024;

interface Args {
  keys: number;
  budgetMib: number;
  memtableMib: number;
  reads: number;
  dir: string;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { keys: 10_000_000, budgetMib: 256, memtableMib: 64, reads: 200_000, dir: os.tmpdir(), keep: false };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = argv[index + 1] ?? '';
    if (name === '--keep') {
      args.keep = true;
      continue;
    }
    index++;
    if (name === '--keys') args.keys = Number(value);
    else if (name === '--budget-mib') args.budgetMib = Number(value);
    else if (name === '--memtable-mib') args.memtableMib = Number(value);
    else if (name === '--reads') args.reads = Number(value);
    else if (name === '--dir') args.dir = value;
    else throw new Error(`unknown argument ${name}`);
  }
  if (!Number.isSafeInteger(args.keys) || args.keys < 10 * BATCH_COUNT) throw new Error('--keys must be an integer >= 10000');
  if (!(args.budgetMib > args.memtableMib)) throw new Error('--budget-mib must exceed --memtable-mib');
  return args;
}

function mix(input: number): number {
  let hash = input | 0;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** Key i: 8 hashed bytes (random order), 4 fixed, then i (unique). Made on demand: no key table in RSS. */
function writeKey(target: Buffer, offset: number, index: number): void {
  target.writeUInt32BE(mix(index * 2), offset);
  target.writeUInt32BE(mix(index * 2 + 1), offset + 4);
  target.writeUInt32BE(0x74736b76, offset + 8);
  target.writeUInt32BE(index, offset + 12);
}

function keyOf(index: number): Buffer {
  const key = Buffer.allocUnsafe(KEY_BYTES);
  writeKey(key, 0, index);
  return key;
}

const VALUE_POOL = (() => {
  const pool = Buffer.allocUnsafe(1 << 20);
  for (let offset = 0; offset < pool.length; offset += 4) pool.writeUInt32LE(mix(offset ^ 0x5bd1e995), offset);
  return pool;
})();

function valueOf(index: number): Buffer {
  const offset = (index * 4099) % (VALUE_POOL.length - VALUE_BYTES);
  return VALUE_POOL.subarray(offset, offset + VALUE_BYTES);
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((total, name) => total + statSync(nodePath.join(dir, name)).size, 0);
}

/** write_bytes of /proc/self/io (bytes this process caused to be sent to storage), if readable. */
function processWriteBytes(): number | undefined {
  try {
    const match = /^write_bytes:\s+(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(1);
const rssBytes = (): number => process.memoryUsage.rss();
const peakRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

interface Decile {
  keys: number;
  seconds: number;
  rate: number;
  rssMib: number;
  levelFiles: string;
  stalls: number;
  stallMs: number;
  slowdowns: number;
  slowdownMs: number;
  maxLoopDelayMs: number;
}

async function fill(engine: Engine, keys: number): Promise<Decile[]> {
  const deciles: Decile[] = [];
  const tenth = Math.ceil(keys / 10);
  let decileStartMs = performance.now();
  let decileStartKeys = 0;
  let before = engine.stats();
  let loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const keyBatch = Buffer.allocUnsafe(BATCH_COUNT * KEY_BYTES);
  for (let start = 0; start < keys; start += BATCH_COUNT) {
    if (engine.writeStallMs() > 0) await engine.waitForWriteRoom();
    const count = Math.min(BATCH_COUNT, keys - start);
    const ops: WriteOp[] = [];
    for (let offset = 0; offset < count; offset++) {
      writeKey(keyBatch, offset * KEY_BYTES, start + offset);
      ops.push({ kind: 'put', key: keyBatch.subarray(offset * KEY_BYTES, (offset + 1) * KEY_BYTES), value: valueOf(start + offset) });
    }
    void engine.write(ops); // 'no' policy: acknowledged once appended; failures show in failure()
    await yieldToEventLoop();
    const done = start + count;
    if (done - decileStartKeys >= tenth || done === keys) {
      loopDelay.disable();
      const nowMs = performance.now();
      const stats = engine.stats();
      deciles.push({
        keys: done,
        seconds: (nowMs - decileStartMs) / 1000,
        rate: (done - decileStartKeys) / ((nowMs - decileStartMs) / 1000),
        rssMib: rssBytes() / MIB,
        levelFiles: stats.levelFiles.join('/'),
        stalls: stats.stallCount - before.stallCount,
        stallMs: stats.stallMs - before.stallMs,
        slowdowns: stats.slowdownCount - before.slowdownCount,
        slowdownMs: stats.slowdownMs - before.slowdownMs,
        maxLoopDelayMs: loopDelay.max / 1e6,
      });
      const last = deciles[deciles.length - 1]!;
      console.error(
        `  ${String(done).padStart(9)} keys  ${Math.round(last.rate).toLocaleString('en-US').padStart(8)} keys/s  rss ${last.rssMib.toFixed(0)} MiB  levels ${last.levelFiles}  stops ${last.stalls} (${last.stallMs} ms)  paced ${last.slowdowns} (${last.slowdownMs} ms)  max loop delay ${last.maxLoopDelayMs.toFixed(0)} ms`,
      );
      before = stats;
      decileStartMs = nowMs;
      decileStartKeys = done;
      loopDelay = monitorEventLoopDelay({ resolution: 5 });
      loopDelay.enable();
    }
  }
  loopDelay.disable();
  const failure = engine.failure();
  if (failure !== undefined) throw failure;
  return deciles;
}

interface ReadFigures {
  p50Us: number;
  p99Us: number;
  p999Us: number;
  readsPerSec: number;
  tablesPerGet: number;
  blockReadsPerGet: number;
}

/** Random gets of existing keys, after a warm-up of a tenth as many; every key must be found. */
function randomReads(engine: Engine, keys: number, reads: number, seed: number): ReadFigures {
  let state = seed;
  const nextIndex = (): number => {
    state = mix(state + 0x9e3779b9);
    return state % keys;
  };
  for (let index = 0; index < Math.ceil(reads / 10); index++) engine.get(keyOf(nextIndex()));
  const before = engine.stats();
  const latenciesNs = new Float64Array(reads);
  const startMs = performance.now();
  for (let index = 0; index < reads; index++) {
    const keyIndex = nextIndex();
    const key = keyOf(keyIndex);
    const began = process.hrtime.bigint();
    const value = engine.get(key);
    latenciesNs[index] = Number(process.hrtime.bigint() - began);
    if (value === undefined || !value.equals(valueOf(keyIndex))) throw new Error(`key ${keyIndex} missing or wrong`);
  }
  const seconds = (performance.now() - startMs) / 1000;
  const after = engine.stats();
  latenciesNs.sort();
  const at = (quantile: number): number => latenciesNs[Math.min(reads - 1, Math.floor(quantile * reads))]! / 1000;
  return {
    p50Us: at(0.5),
    p99Us: at(0.99),
    p999Us: at(0.999),
    readsPerSec: reads / seconds,
    tablesPerGet: (after.tablesProbed - before.tablesProbed) / reads,
    blockReadsPerGet: (after.blockReads - before.blockReads) / reads,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(nodePath.join(args.dir, 'tskv-bench-compaction-'));
  const memtableBytesMax = args.memtableMib * MIB;
  const cacheBytes = (args.budgetMib - args.memtableMib) * MIB;
  const userBytes = args.keys * (KEY_BYTES + VALUE_BYTES);
  console.error(
    `bench:compaction: ${args.keys.toLocaleString('en-US')} keys (${mib(userBytes)} MiB of user data), budget ${args.budgetMib} MiB ` +
      `= cacheBytes ${mib(cacheBytes)} + memtable ${args.memtableMib} MiB, dir ${dir}`,
  );
  const writeBytesBefore = processWriteBytes();
  const engine = await Engine.open({ dir, syncPolicy: 'no', memtableBytesMax, cacheBytes });
  try {
    const fillStartMs = performance.now();
    const deciles = await fill(engine, args.keys);
    const fillSeconds = (performance.now() - fillStartMs) / 1000;
    const settleStartMs = performance.now();
    await engine.flush();
    await engine.waitForCompactions();
    const settleSeconds = (performance.now() - settleStartMs) / 1000;
    const settled = engine.stats();
    const writeBytesAfterFill = processWriteBytes();
    const settledDirBytes = dirBytes(dir);
    const peakRssAfterFill = peakRssBytes();
    console.error(`  filled in ${fillSeconds.toFixed(1)} s, compaction settled ${settleSeconds.toFixed(1)} s later; levels ${settled.levelFiles.join('/')}`);
    const readsAsFilled = randomReads(engine, args.keys, args.reads, 1);
    const rssAfterReads = rssBytes();
    const cacheAfterReads = engine.stats();
    const compactStartMs = performance.now();
    await engine.compactAll();
    const compactSeconds = (performance.now() - compactStartMs) / 1000;
    const compactedDirBytes = dirBytes(dir);
    const readsCompacted = randomReads(engine, args.keys, args.reads, 1);
    const final = engine.stats();
    const engineBytes = settled.walBytes + settled.flushBytesWritten + settled.compactionBytesWritten;
    const osWrites = writeBytesBefore !== undefined && writeBytesAfterFill !== undefined ? writeBytesAfterFill - writeBytesBefore : undefined;

    const lines: string[] = [];
    lines.push(`| fill, 10% of the keys each | keys/s | RSS MiB | level files L0/L1/.. | stops (ms) | paced writes (ms) | max event-loop delay ms |`);
    lines.push(`| ---: | ---: | ---: | --- | ---: | ---: | ---: |`);
    for (const decile of deciles) {
      lines.push(
        `| ${decile.keys.toLocaleString('en-US')} | ${Math.round(decile.rate).toLocaleString('en-US')} | ${decile.rssMib.toFixed(0)} | ${decile.levelFiles} | ` +
          `${decile.stalls} (${decile.stallMs}) | ${decile.slowdowns} (${decile.slowdownMs}) | ${decile.maxLoopDelayMs.toFixed(0)} |`,
      );
    }
    lines.push('');
    lines.push(`| figure | value |`);
    lines.push(`| --- | ---: |`);
    lines.push(`| fill, whole run | ${Math.round(args.keys / fillSeconds).toLocaleString('en-US')} keys/s (${fillSeconds.toFixed(1)} s) |`);
    lines.push(`| write amplification (WAL + flush + compaction bytes / user bytes) | ${(engineBytes / userBytes).toFixed(2)} |`);
    lines.push(`| ... of which compaction | ${(settled.compactionBytesWritten / userBytes).toFixed(2)} |`);
    if (osWrites !== undefined) lines.push(`| write amplification, /proc/self/io write_bytes / user bytes | ${(osWrites / userBytes).toFixed(2)} |`);
    lines.push(`| compactions (bytes read / written) | ${settled.compactions} (${mib(settled.compactionBytesRead)} / ${mib(settled.compactionBytesWritten)} MiB) |`);
    lines.push(`| space amplification, settled (directory / user bytes) | ${(settledDirBytes / userBytes).toFixed(2)} (${mib(settledDirBytes)} MiB) |`);
    lines.push(`| space amplification after compactAll | ${(compactedDirBytes / userBytes).toFixed(2)} (${mib(compactedDirBytes)} MiB, ${compactSeconds.toFixed(1)} s) |`);
    lines.push(`| peak RSS during fill (budget ${args.budgetMib} MiB + one immutable memtable) | ${mib(peakRssAfterFill)} MiB |`);
    lines.push(
      `| RSS after the random gets (block cache ${mib(cacheAfterReads.blockCacheBytes)} + open tables ${mib(cacheAfterReads.tableCacheBytes)} MiB of cacheBytes ${mib(cacheBytes)}) | ${mib(rssAfterReads)} MiB |`,
    );
    lines.push(`| peak RSS, whole run (includes compactAll) | ${mib(peakRssBytes())} MiB |`);
    lines.push(`| stops / paced writes during the fill | ${settled.stallCount} (${settled.stallMs} ms) / ${settled.slowdownCount} (${settled.slowdownMs} ms) |`);
    lines.push(`| table cache: readers open, bytes; block cache bytes | ${final.tableCacheReaders}, ${mib(final.tableCacheBytes)} MiB; ${mib(final.blockCacheBytes)} MiB |`);
    for (const [label, reads] of [['as filled', readsAsFilled], ['fully compacted', readsCompacted]] as const) {
      lines.push(
        `| random get, ${label}: p50 / p99 / p99.9 | ${reads.p50Us.toFixed(1)} / ${reads.p99Us.toFixed(1)} / ${reads.p999Us.toFixed(1)} us ` +
          `(${Math.round(reads.readsPerSec).toLocaleString('en-US')} gets/s, ${reads.tablesPerGet.toFixed(2)} tables and ${reads.blockReadsPerGet.toFixed(2)} block reads per get) |`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    await engine.close();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
