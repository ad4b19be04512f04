// bench/flush-cost.ts: CPU of one memtable flush in-process vs on the flush worker (same memtable,
// alternating): all threads (process.cpuUsage) and the main thread alone (/proc, 10 ms ticks).
//   node --import tsx bench/flush-cost.ts [keys=150000] [rounds=4]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlockCache } from '../storage/block-cache.js';
import { RealFileSystem } from '../storage/file-system.js';
import { flushMemtable } from '../storage/flush.js';
import { FlushWorker } from '../storage/flush-worker-client.js';
import { Memtable } from '../storage/memtable.js';

function mainThreadMs(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const KEYS = Number(process.argv[2] ?? 150_000);
const ROUNDS = Number(process.argv[3] ?? 4);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-flushcost-'));
const fs = new RealFileSystem();
const memtable = new Memtable();
const value = Buffer.alloc(100, 1);
for (let index = 0; index < KEYS; index++) memtable.putParts(Buffer.from(`key:${String((index * 7919) % 1_000_000).padStart(12, '0')}`), index + 1, true, value, 0, false);
console.log(`memtable ${(memtable.approximateBytes() / 2 ** 20).toFixed(1)} MiB, ${memtable.entryCount()} entries`);
const worker = new FlushWorker(() => undefined);
let number = 1;
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['in-process', 'worker'] as const) {
    const cache = new BlockCache(64 << 20);
    const fileNumber = number++;
    const input = { fs, dir, path: path.join(dir, `${fileNumber}.sst`), fileNumber, memtable, snapshotSeqs: [], tableOptions: {}, cache, sliceMs: 4, fillCache: true };
    const cpu = process.cpuUsage();
    const mainBefore = mainThreadMs();
    const wall = performance.now();
    const output = mode === 'worker' ? await worker.flush(input) : await flushMemtable(input);
    const used = process.cpuUsage(cpu);
    output!.reader.close();
    const mainMs = mainThreadMs() - mainBefore;
    console.log(`${mode}: wall ${(performance.now() - wall).toFixed(0)} ms, CPU ${((used.user + used.system) / 1000).toFixed(0)} ms all threads, main thread ${mainMs} ms, cached blocks ${cache.stats().blockCount}`);
  }
}
await worker.close();
rmSync(dir, { recursive: true, force: true });
