// bench/hot-path.ts: in-process microbenchmarks of the server's hot path, without sockets, to
// measure one layer at a time: the memtable (put, get), the keyspace on the engine (a SET as the
// command runs it: lookup, stage, commit; a GET: lookup), and the SSTable point read after a flush.
// `node --import tsx bench/hot-path.ts [--keys 300000] [--only memtable,keyspace] [--repeats 3]`
// Keys are redis-benchmark's (`key:%012d`, drawn at random from --keys), values 100 bytes, the
// engine under syncPolicy 'no' in a temp dir. Prints µs per operation (median of the repeats) and
// the heap held after the memtable fill. Not part of CI.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine } from '../storage/index.js';
import { Memtable } from '../storage/memtable.js';
import { Keyspace, KEY_TYPE } from '../src/keyspace/keyspace.js';
import { metadataKey } from '../src/keyspace/layout.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
const KEYS = Number(option('--keys') ?? 300_000);
const REPEATS = Number(option('--repeats') ?? 3);
const ONLY = option('--only')?.split(',');
const VALUE = Buffer.alloc(100, 'x');

function userKey(index: number): Buffer {
  return Buffer.from(`key:${String(index).padStart(12, '0')}`, 'latin1');
}

function randomKeys(count: number): Buffer[] {
  return Array.from({ length: count }, () => userKey(Math.floor(Math.random() * KEYS)));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function report(name: string, samples: number[]): void {
  console.log(`${name.padEnd(44)} ${median(samples).toFixed(3).padStart(8)} µs/op   (${samples.map((s) => s.toFixed(2)).join(' / ')})`);
}

function benchMemtable(): void {
  const put: number[] = [];
  const get: number[] = [];
  let heapMiB = 0;
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const keys = randomKeys(KEYS).map((key) => metadataKey(1, key));
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const table = new Memtable();
    let started = performance.now();
    for (let index = 0; index < keys.length; index++) {
      table.put({ key: keys[index]!, seq: index + 1, kind: 'put', value: VALUE, expireAtMs: 0 }, false);
    }
    put.push(((performance.now() - started) * 1000) / keys.length);
    globalThis.gc?.();
    heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    started = performance.now();
    let found = 0;
    for (const key of keys) if (table.get(key) !== undefined) found++;
    get.push(((performance.now() - started) * 1000) / keys.length);
    if (found !== keys.length) throw new Error('memtable lost keys');
  }
  report(`memtable put (${KEYS} random keys)`, put);
  report('memtable get (present)', get);
  console.log(`memtable heap after fill: ${heapMiB.toFixed(1)} MiB${globalThis.gc ? '' : ' (run with --expose-gc for an exact figure)'}`);
}

async function benchKeyspace(): Promise<void> {
  const set: number[] = [];
  const getMemtable: number[] = [];
  const getTables: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-hot-'));
    const engine = await Engine.open({ dir, syncPolicy: 'no' });
    try {
      const keyspace = await Keyspace.open(engine);
      const keys = randomKeys(KEYS);
      let started = performance.now();
      let commits: Promise<void>[] = [];
      for (let index = 0; index < keys.length; index++) {
        const key = keys[index]!;
        keyspace.get(0, key); // SET's lookupKeyWrite
        keyspace.set(0, key, { type: KEY_TYPE.string, encoding: 0, expireAtMs: 0, version: 0, count: 0, payload: VALUE });
        commits.push(keyspace.commit()!);
        if (commits.length === 800) { // a server turn: 50 clients x 16 pipelined
          await Promise.all(commits);
          commits = [];
          if (engine.writeStallMs() > 0) await engine.waitForWriteRoom();
        }
      }
      await Promise.all(commits);
      set.push(((performance.now() - started) * 1000) / keys.length);
      started = performance.now();
      for (const key of keys) if (keyspace.get(0, key) === undefined) throw new Error('keyspace lost a key');
      getMemtable.push(((performance.now() - started) * 1000) / keys.length);
      await engine.flush();
      started = performance.now();
      for (const key of keys) if (keyspace.get(0, key) === undefined) throw new Error('keyspace lost a key');
      getTables.push(((performance.now() - started) * 1000) / keys.length);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  report(`keyspace SET: get + set + commit (${KEYS} keys)`, set);
  report('keyspace GET after the fill (memtables + tables)', getMemtable);
  report('keyspace GET after a flush (tables only)', getTables);
}

console.log(`node ${process.version}; ${KEYS} keys of 16 bytes, 100-byte values; medians of ${REPEATS}`);
if (ONLY === undefined || ONLY.includes('memtable')) benchMemtable();
if (ONLY === undefined || ONLY.includes('keyspace')) await benchKeyspace();
