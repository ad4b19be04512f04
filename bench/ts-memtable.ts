// bench/ts-memtable.ts: the memtable's put of time series raw-sample keys, in process: `--series`
// series interleaved tick by tick (bench/ts.ts's ingest order: one key per sample, every series'
// key sharing its first 12 bytes with the others'), against redis-benchmark-like string keys put in
// random order and a list's keys pushed in order. Prints the process's CPU ns per put (median of
// --repeats, each table on the previous one's arrays, as the engine does). Not part of CI.
//   node --import tsx bench/ts-memtable.ts [--series 1000] [--samples 300000] [--repeats 5]
//     [--only raw,string,list] [--memtable <path of another memtable.ts, for an A/B>]
import { metadataKey } from '../src/keyspace/layout.js';
import { rawKey } from '../src/types/timeseries/series.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
const SERIES = Number(option('--series') ?? 1000);
const SAMPLES = Number(option('--samples') ?? 300_000);
const REPEATS = Number(option('--repeats') ?? 5);
const ONLY = option('--only')?.split(',') ?? ['raw', 'string', 'list'];
const { Memtable } = (await import(option('--memtable') ?? '../storage/memtable.js')) as typeof import('../storage/memtable.js');
const VALUE = Buffer.alloc(8, 1);
const START_MS = 1_451_606_400_000; // 2016-01-01, TSBS's start

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timePuts(name: string, keys: Buffer[]): void {
  const runs: number[] = [];
  let previous: InstanceType<typeof Memtable> | undefined;
  for (let repeat = 0; repeat < REPEATS + 1; repeat++) {
    // the engine hands a flushed table's arrays to the next one: run 0 grows them and is not counted
    const table = new Memtable(undefined, previous?.takeArrays());
    previous = table;
    const started = process.cpuUsage();
    for (let index = 0; index < keys.length; index++) table.putParts(keys[index]!, index + 1, true, VALUE, 0, false);
    const used = process.cpuUsage(started);
    if (repeat > 0) runs.push(((used.user + used.system) * 1e3) / keys.length);
  }
  console.log(`${name.padEnd(40)} ${median(runs).toFixed(0).padStart(6)} CPU ns/put   (${runs.map((run) => run.toFixed(0)).join(' / ')})`);
}

const seriesKeys: Buffer[] = [];
for (let tick = 0; seriesKeys.length < SAMPLES; tick++) {
  for (let series = 0; series < SERIES && seriesKeys.length < SAMPLES; series++) seriesKeys.push(rawKey(1000 + series, 0, START_MS + tick * 10_000));
}
const stringKeys = Array.from({ length: SAMPLES }, () => metadataKey(1, Buffer.from(`key:${String(Math.floor(Math.random() * SAMPLES)).padStart(12, '0')}`, 'latin1')));
const listKeys = Array.from({ length: SAMPLES }, (_, index) => {
  const key = Buffer.alloc(21, 0xff);
  key.writeUInt32BE(0, 4);
  key.writeUInt32BE(77, 8);
  key[12] = 1;
  key.writeUInt32BE(0, 13);
  key.writeUInt32BE(index, 17);
  return key;
});
if (ONLY.includes('raw')) timePuts(`raw samples, ${SERIES} series interleaved`, seriesKeys);
if (ONLY.includes('string')) timePuts('string keys, random order', stringKeys);
if (ONLY.includes('list')) timePuts('list elements, pushed in order', listKeys);
