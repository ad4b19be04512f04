// bench/ts-scan.ts: the aggregating range scan alone, in one process (no socket): a series of
// --samples samples (TSBS-like integer random walk, one every 10 s) written through
// series-store.ts, sealed into chunks and committed to an in-memory engine, then TS.RANGE key - +
// AGGREGATION <agg> <bucket> computed as the command does (runs or per-sample samples, then the
// RESP2 reply), best of --repeats, samples per second.
//   node --import tsx bench/ts-scan.ts [--samples 1000000] [--repeats 5]
import { CrashableFileSystem, Engine } from '../storage/index.js';
import { RespWriter } from '../protocol/index.js';
import { Keyspace, KeyspaceGarbage } from '../src/keyspace/keyspace.js';
import { parseRangeOptions } from '../src/types/timeseries/range-options.js';
import { queryRange, rangeQuery } from '../src/types/timeseries/range-query.js';
import { writeSamples } from '../src/types/timeseries/reply.js';
import { sampleRunsAscending } from '../src/types/timeseries/sample-runs.js';
import { samplesAscending, seal } from '../src/types/timeseries/samples.js';
import { Sealer } from '../src/types/timeseries/sealer.js';
import { addSample, createSeries, findSeries, type SeriesAccess } from '../src/types/timeseries/series-store.js';
import { TIMESTAMP_MAX } from '../src/types/timeseries/series.js';
import { recordSeries } from '../src/types/timeseries/hot-state.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const SAMPLES = option('--samples', 1_000_000);
const REPEATS = option('--repeats', 5);
const KEY = Buffer.from('cpu:host_0:usage_user');
const START_MS = 1_451_606_400_000;

async function load(): Promise<SeriesAccess> {
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem(), syncPolicy: 'always', compactionFilter: garbage.filter, memtableBytesMax: 256 * 1024 * 1024 });
  const store: SeriesAccess = { keyspace: await Keyspace.open(engine, { garbage }), db: 0, sealer: new Sealer() };
  createSeries(store, KEY, { retentionMs: undefined, chunkSizeBytes: undefined, encoding: undefined, duplicatePolicy: undefined, ignore: undefined, labels: undefined });
  let value = 50;
  let seed = 1;
  for (let index = 0; index < SAMPLES; index++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    value = Math.min(100, Math.max(0, value + ((seed % 3) - 1)));
    addSample(store, KEY, findSeries(store, KEY)!, START_MS + index * 10_000, value, undefined);
    if (index % 10_000 === 9_999) await store.keyspace.commit();
  }
  await store.keyspace.commit();
  for (let series = findSeries(store, KEY)!; series.state.rawCount > 0; series = findSeries(store, KEY)!) {
    seal(store.keyspace, series);
    recordSeries(store.keyspace, 0, KEY, series); // the record and the live state the next findSeries sees
    await store.keyspace.commit();
  }
  return store;
}

function scan(store: SeriesAccess, args: string[], runs: boolean): number {
  const options = parseRangeOptions(['TS.RANGE', KEY, ...args].map((arg) => Buffer.from(arg)), 2);
  const series = findSeries(store, KEY)!;
  const samples = samplesAscending(store.keyspace, series, options.from, Math.min(options.to, TIMESTAMP_MAX));
  const input = { samples, runs: runs ? sampleRunsAscending(store.keyspace, series, options.from, Math.min(options.to, TIMESTAMP_MAX)) : undefined };
  const out = new RespWriter(2);
  writeSamples(out, [...queryRange(rangeQuery(options, false), input)]);
  return out.take().length;
}

const store = await load();
console.log(`${SAMPLES} samples in ${findSeries(store, KEY)!.state.chunkCount} chunks; node ${process.version}`);
console.log('| query | path | samples/s (best of ' + REPEATS + ') | reply bytes |');
console.log('| --- | --- | ---: | ---: |');
for (const args of [['-', '+', 'AGGREGATION', 'max', '3600000'], ['-', '+', 'AGGREGATION', 'max', '60000'], ['-', '+', 'AGGREGATION', 'max', '3600000'], ['-', '+', 'AGGREGATION', 'avg', '3600000'], ['-', '+', 'AGGREGATION', 'max', '86400000000']]) {
  for (const runs of [false, true]) {
    let best = Infinity;
    let bytes = 0;
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const started = process.hrtime.bigint();
      bytes = scan(store, args, runs);
      best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9);
    }
    console.log(`| TS.RANGE key ${args.join(' ')} | ${runs ? 'runs' : 'per sample'} | ${Math.round(SAMPLES / best).toLocaleString('en-US')} | ${bytes} |`);
  }
}
