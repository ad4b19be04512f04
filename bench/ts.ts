// bench/ts.ts: a TSBS-style devops load (issue 16) on tskv's TS.* commands, against the same
// samples in redis-server as one sorted set per series, in the same run.
//   npm run bench:ts [-- --quick] [--repeats N] [--series 1000] [--days 3] [--late-percent 1]
//                    [--clients 4] [--batch-samples 10000] [--queries 100] [--bundle dist/tskv.js]
//                    [--node-args --cpu-prof,--cpu-prof-dir=/tmp/prof] [--ingest-only]
// Data and load: bench/ts-load.ts (TSBS's cpu generator: 10 integer metrics per host every 10 s;
// --series / 10 hosts over --days; TS.MADD per host row vs one ZADD key ts "ts:value" per
// sample, pipelined from --clients connections). Queries: bench/ts-queries.ts (lastpoint,
// single-groupby-1-1-1 and -5-1-12, double-groupby-1, high-cpu-1, high-cpu-all), Redis's computed
// in the client from ZRANGEBYSCORE; the first answers of each kind are checked to agree.
// Per repeat, on fresh servers, one after the other so loads never overlap:
//   1. tskv --appendfsync always, samples in order: ingest rate, RSS at every 10 % of the load;
//      the raw samples not yet sealed at the end (TS.INFO DEBUG on a few series); DEBUG COMPACT
//      (seals every series, then a full compaction), wait until INFO shows no compaction and the
//      engine counters stay still; data dir bytes per sample; range scans from cache (TS.RANGE of
//      whole series, MRANGE of all, server time from INFO commandstats usec); query latencies.
//   2. redis-server --save '' --appendonly no: the same samples with ZADD, used_memory(_rss) per
//      sample, the same queries.
//   3. and 4. both again with --late-percent of the samples sent 1-5 minutes late: ingest only.
// --quick: 200 series over 0.75 days (1/20 of the default 26M samples), 20 queries per kind.
// --ingest-only: the four loads and their checks alone (no DEBUG COMPACT, scans or queries).
// Not part of CI: the default run writes 26M samples to each server four times.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, rawRequest, REPO_DIR, SERVER_BUNDLE } from '../test/helpers/server.js';
import { makeDataset, runLoad, CPU_METRICS, type Dataset, type LoadResult, type LoadTarget } from './ts-load.js';
import { difference, queryParams, QUERY_KINDS, type Canonical } from './ts-queries.js';

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}
const QUICK = argv.includes('--quick');
const REPEATS = Number(option('--repeats') ?? 1);
const SERIES = Number(option('--series') ?? (QUICK ? 200 : 1000));
const DAYS = Number(option('--days') ?? (QUICK ? 0.75 : 3));
const LATE_PERCENT = Number(option('--late-percent') ?? 1);
const CLIENTS = Number(option('--clients') ?? 4);
const BATCH_SAMPLES = Number(option('--batch-samples') ?? 10_000);
const QUERIES = Number(option('--queries') ?? (QUICK ? 20 : 100));
const BUNDLE = path.resolve(option('--bundle') ?? SERVER_BUNDLE);
const NODE_ARGS = (option('--node-args') ?? '').split(',').filter((arg) => arg !== '');
const INGEST_ONLY = argv.includes('--ingest-only');
const SEED = 20_160_101;
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const QUIET_POLL_MS = 1_000;
const QUIET_POLLS = 3; // engine counters unchanged this many polls in a row
const QUIET_WAIT_MS_MAX = 900_000;
const DEBUG_INFO_SERIES = 20; // series whose unsealed raw samples are counted after the load
const SCAN_SERIES = 50; // whole-series TS.RANGE scans
const SCAN_MRANGE_CALLS = 3;
const COMPARED_QUERIES = 5; // answers per kind checked to agree between tskv and Redis
const PROGRESS_STEPS = 10; // RSS read at every 1/10 of the load

interface Server { name: string; port: number; process: ChildProcess; dir: string; client: Redis }

/** One repeat's figures, by name (medians across repeats are printed). */
type Figures = Map<string, number>;

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((text) => text.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN) * 1024;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await rawRequest(port, 'PING\r\n', 500)).startsWith('+PONG')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no PONG from port ${port}`);
}

async function startServer(target: LoadTarget): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `${target}-bench-ts-`));
  const child = target === 'tskv'
    ? spawn(process.execPath, [...NODE_ARGS, ...(BUNDLE.endsWith('.ts') ? ['--import', 'tsx'] : []), BUNDLE, '--port', String(port), '--dir', dir, '--appendfsync', 'always', '--loglevel', 'warning'], { stdio: 'ignore' })
    : spawn('redis-server', ['--port', String(port), '--dir', dir, '--daemonize', 'no', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPing(port);
  const client = new Redis({ port, host: '127.0.0.1', protocol: 2, lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: true, commandTimeout: 600_000 });
  return { name: target === 'tskv' ? 'tskv always' : 'redis no-persist', port, process: child, dir, client };
}

async function stopServer(server: Server): Promise<void> {
  server.client.disconnect();
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  rmSync(server.dir, { recursive: true, force: true });
}

async function infoFields(client: Redis, section: string): Promise<Map<string, string>> {
  const text = await client.info(section);
  return new Map(text.split('\r\n').filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]));
}

/** INFO commandstats usec and calls of one command. */
async function commandStats(client: Redis, command: string): Promise<{ calls: number; usec: number }> {
  const line = (await infoFields(client, 'commandstats')).get(`cmdstat_${command}`) ?? 'calls=0,usec=0';
  return { calls: Number(/calls=(\d+)/.exec(line)?.[1] ?? 0), usec: Number(/usec=(\d+)/.exec(line)?.[1] ?? 0) };
}

/** Until INFO shows no flush or compaction running and the engine counters stay still. */
async function waitForQuiet(client: Redis): Promise<number> {
  const started = Date.now();
  let last = '';
  let unchanged = 0;
  while (unchanged < QUIET_POLLS) {
    if (Date.now() - started > QUIET_WAIT_MS_MAX) throw new Error(`tskv still compacting after ${QUIET_WAIT_MS_MAX} ms`);
    await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
    const info = await infoFields(client, 'all');
    const state = ['tskv_flushes', 'tskv_compactions', 'tskv_sstable_files', 'tskv_sstable_bytes', 'tskv_last_sequence'].map((name) => info.get(name)).join(',');
    const idle = info.get('tskv_compaction_in_progress') === '0' && info.get('tskv_immutable_memtable_bytes') === '0';
    unchanged = idle && state === last ? unchanged + 1 : 0;
    last = state;
  }
  return (Date.now() - started) / 1000;
}

function dataDirBytes(dir: string): { sst: number; total: number } {
  let sst = 0;
  let total = 0;
  for (const name of readdirSync(dir)) {
    const size = statSync(path.join(dir, name)).size;
    total += size;
    if (name.endsWith('.sst')) sst += size;
  }
  return { sst, total };
}

async function createSeries(server: Server, data: Dataset): Promise<void> {
  const pipeline = server.client.pipeline();
  data.keys.forEach((key, s) => {
    const host = Math.floor(s / CPU_METRICS.length);
    pipeline.call('TS.CREATE', key, 'LABELS', 'hostname', `host_${host}`, 'region', data.regions[host]!, 'metric', CPU_METRICS[s % CPU_METRICS.length]!);
  });
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** Loads the data into a fresh server; RSS at every tenth of the load goes into figures. */
async function ingest(server: Server, data: Dataset, target: LoadTarget, latePercent: number, figures: Figures, prefix: string): Promise<LoadResult> {
  const pid = server.process.pid as number;
  const total = data.seriesCount * data.ticks;
  let nextStep = 1;
  const cpuBefore = cpuSeconds(pid);
  const clientCpuBefore = process.cpuUsage();
  const result = await runLoad(data, {
    port: server.port, target, clients: CLIENTS, batchSamples: BATCH_SAMPLES, latePercent, seed: SEED,
    onProgress: (acked) => {
      while (nextStep <= PROGRESS_STEPS && acked >= (total * nextStep) / PROGRESS_STEPS) {
        figures.set(`${prefix} rss at ${nextStep * 10}%`, rssBytes(pid));
        nextStep++;
      }
    },
  });
  const clientCpu = process.cpuUsage(clientCpuBefore);
  if (result.samples !== total) throw new Error(`${server.name}: ${result.samples} samples acknowledged, ${total} sent`);
  figures.set(`${prefix} samples/s`, result.samples / result.seconds);
  figures.set(`${prefix} seconds`, result.seconds);
  figures.set(`${prefix} server cpu us/sample`, ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.samples);
  figures.set(`${prefix} client cpu us/sample`, ((clientCpu.user + clientCpu.system) / result.samples));
  figures.set(`${prefix} late samples`, result.lateSamples);
  figures.set(`${prefix} commands`, result.commands);
  log(`${server.name}${latePercent > 0 ? ` ${latePercent}% late` : ''}: ${result.samples} samples in ${result.seconds.toFixed(1)} s = ${(result.samples / result.seconds).toFixed(0)}/s (${result.lateSamples} late)`);
  return result;
}

/** Sum over every series of what the server says it holds (TS.INFO totalSamples / ZCARD). */
async function storedSamples(server: Server, data: Dataset, target: LoadTarget): Promise<number> {
  const pipeline = server.client.pipeline();
  for (const key of data.keys) {
    if (target === 'tskv') pipeline.call('TS.INFO', key);
    else pipeline.zcard(key);
  }
  let sum = 0;
  for (const [error, reply] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    if (target === 'redis') sum += reply as number;
    else {
      const fields = reply as unknown[];
      sum += Number(fields[fields.indexOf('totalSamples') + 1]);
    }
  }
  return sum;
}

/** Raw (unsealed) samples right after the load, over a few series: totalSamples - chunk samples. */
async function unsealedSamples(server: Server, data: Dataset): Promise<number> {
  let raw = 0;
  const step = Math.max(1, Math.floor(data.seriesCount / DEBUG_INFO_SERIES));
  let series = 0;
  for (let s = 0; s < data.seriesCount && series < DEBUG_INFO_SERIES; s += step, series++) {
    const fields = (await server.client.call('TS.INFO', data.keys[s]!, 'DEBUG')) as unknown[];
    const chunks = fields[fields.indexOf('Chunks') + 1] as unknown[][];
    const inChunks = chunks.reduce((sum, chunk) => sum + Number(chunk[chunk.indexOf('samples') + 1]), 0);
    raw += Number(fields[fields.indexOf('totalSamples') + 1]) - inChunks;
  }
  return raw / series;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Runs every query kind QUERIES times; keeps the first answers (tskv) or compares with them (Redis). */
async function runQueries(server: Server, data: Dataset, target: LoadTarget, figures: Figures, answers: Map<string, Canonical[]>): Promise<void> {
  for (const kind of QUERY_KINDS) {
    const params = queryParams(data, kind, QUERIES, SEED + kind.name.length);
    const latencies: number[] = [];
    let disagreements = 0;
    let firstDisagreement: string | undefined;
    for (const [index, param] of params.entries()) {
      const started = process.hrtime.bigint();
      const answer = await (target === 'tskv' ? kind.tskv(server.client, data, param) : kind.redis(server.client, data, param));
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (index >= COMPARED_QUERIES) continue;
      if (target === 'tskv') answers.set(kind.name, [...(answers.get(kind.name) ?? []), answer]);
      else {
        const expected = answers.get(kind.name)?.[index];
        const diff = expected === undefined ? 'no tskv answer' : difference(expected, answer);
        if (diff !== undefined) {
          disagreements++;
          firstDisagreement ??= diff;
        }
      }
    }
    latencies.sort((a, b) => a - b);
    figures.set(`${target} ${kind.name} p50`, percentile(latencies, 50));
    figures.set(`${target} ${kind.name} p99`, percentile(latencies, 99));
    if (target === 'redis') {
      figures.set(`${kind.name} disagreements`, disagreements);
      if (firstDisagreement !== undefined) log(`${kind.name}: tskv and Redis disagree: ${firstDisagreement}`);
    }
  }
}

/** Range scans from cache, samples per second of server time (INFO commandstats usec). */
async function runScans(server: Server, data: Dataset, figures: Figures): Promise<void> {
  const client = server.client;
  const allMetrics = `metric=(${CPU_METRICS.join(',')})`;
  await client.call('TS.MRANGE', '-', '+', 'AGGREGATION', 'max', 3_600_000, 'FILTER', allMetrics); // warms the block cache
  const count = Math.min(SCAN_SERIES, data.seriesCount);
  const pid = server.process.pid as number;
  for (const bucketMs of [60_000, 3_600_000]) {
    const before = await commandStats(client, 'ts.range');
    const cpuBefore = cpuSeconds(pid);
    const started = process.hrtime.bigint();
    for (let index = 0; index < count; index++) {
      const key = data.keys[Math.floor((index * data.seriesCount) / count)]!;
      await client.call('TS.RANGE', key, '-', '+', 'AGGREGATION', 'max', bucketMs);
    }
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuS = cpuSeconds(pid) - cpuBefore;
    const after = await commandStats(client, 'ts.range');
    const samples = count * data.ticks;
    figures.set(`scan range ${bucketMs} server samples/s`, samples / ((after.usec - before.usec) / 1e6));
    figures.set(`scan range ${bucketMs} server cpu samples/s`, samples / cpuS);
    figures.set(`scan range ${bucketMs} client samples/s`, samples / wallS);
  }
  const before = await commandStats(client, 'ts.mrange');
  const cpuBefore = cpuSeconds(pid);
  const started = process.hrtime.bigint();
  for (let call = 0; call < SCAN_MRANGE_CALLS; call++) await client.call('TS.MRANGE', '-', '+', 'AGGREGATION', 'max', 3_600_000, 'FILTER', allMetrics);
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuS = cpuSeconds(pid) - cpuBefore;
  const after = await commandStats(client, 'ts.mrange');
  const samples = SCAN_MRANGE_CALLS * data.seriesCount * data.ticks;
  figures.set('scan mrange server samples/s', samples / ((after.usec - before.usec) / 1e6));
  figures.set('scan mrange server cpu samples/s', samples / cpuS);
  figures.set('scan mrange client samples/s', samples / wallS);
}

/** After the in-order load: DEBUG COMPACT, disk and memory, range scans, queries. */
async function examineTskv(tskv: Server, data: Dataset, figures: Figures, answers: Map<string, Canonical[]>): Promise<void> {
  const total = data.seriesCount * data.ticks;
  await tskv.client.call('DEBUG', 'COMPACT');
  figures.set('tskv compaction wait s', await waitForQuiet(tskv.client));
  const disk = dataDirBytes(tskv.dir);
  figures.set('tskv data dir bytes', disk.total);
  figures.set('tskv data dir bytes/sample', disk.total / total);
  figures.set('tskv sstable bytes/sample', disk.sst / total);
  figures.set('tskv rss after compaction', rssBytes(tskv.process.pid as number));
  log(`tskv compacted: ${disk.total} bytes in ${tskv.dir} (${(disk.total / total).toFixed(3)} B/sample)`);
  await runScans(tskv, data, figures);
  await runQueries(tskv, data, 'tskv', figures, answers);
  figures.set('tskv rss after queries', rssBytes(tskv.process.pid as number));
}

async function repeatOnce(data: Dataset, figures: Figures): Promise<void> {
  const total = data.seriesCount * data.ticks;
  const answers = new Map<string, Canonical[]>();

  const tskv = await startServer('tskv');
  try {
    await createSeries(tskv, data);
    await ingest(tskv, data, 'tskv', 0, figures, 'tskv');
    figures.set('tskv unsealed raw samples per series after load', await unsealedSamples(tskv, data));
    figures.set('tskv rss after load', rssBytes(tskv.process.pid as number));
    const stored = await storedSamples(tskv, data, 'tskv');
    if (stored !== total) throw new Error(`tskv holds ${stored} samples, ${total} written`);
    if (!INGEST_ONLY) await examineTskv(tskv, data, figures, answers);
  } finally {
    await stopServer(tskv);
  }

  const redis = await startServer('redis');
  try {
    await ingest(redis, data, 'redis', 0, figures, 'redis');
    const stored = await storedSamples(redis, data, 'redis');
    if (stored !== total) throw new Error(`redis holds ${stored} samples, ${total} written`);
    if (!INGEST_ONLY) {
      const memory = await infoFields(redis.client, 'memory');
      figures.set('redis used_memory_rss', Number(memory.get('used_memory_rss')));
      figures.set('redis used_memory_rss/sample', Number(memory.get('used_memory_rss')) / total);
      figures.set('redis used_memory/sample', Number(memory.get('used_memory')) / total);
      await runQueries(redis, data, 'redis', figures, answers);
    }
  } finally {
    await stopServer(redis);
  }

  if (LATE_PERCENT <= 0) return;
  for (const target of ['tskv', 'redis'] as const) {
    const server = await startServer(target);
    try {
      if (target === 'tskv') await createSeries(server, data);
      await ingest(server, data, target, LATE_PERCENT, figures, `${target} late`);
      const stored = await storedSamples(server, data, target);
      if (stored !== total) throw new Error(`${server.name} holds ${stored} samples after the late load, ${total} written`);
    } finally {
      await stopServer(server);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function report(runs: Figures[], data: Dataset): void {
  const get = (name: string) => median(runs.map((figures) => figures.get(name) ?? NaN));
  const all = (name: string) => runs.map((figures) => (figures.get(name) ?? NaN));
  const int = (value: number) => Math.round(value).toLocaleString('en-US');
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const fixed = (value: number, digits = 2) => value.toFixed(digits);
  const total = data.seriesCount * data.ticks;
  const ratios = (a: string, b: string) => runs.map((figures) => (figures.get(a) ?? NaN) / (figures.get(b) ?? NaN));
  const ratioText = (a: string, b: string) => `${fixed(median(ratios(a, b)))}${runs.length > 1 ? ` (${ratios(a, b).map((r) => fixed(r)).join(', ')})` : ''}`;
  console.log(`\n${data.seriesCount} series (${data.hosts} hosts x ${CPU_METRICS.length}), ${data.ticks} samples each at 10 s = ${int(total)} samples; ${CLIENTS} clients, batches of ~${BATCH_SAMPLES} samples; medians of ${runs.length} repeat(s)\n`);
  console.log('| ingest | samples/s | seconds | server CPU µs/sample | client CPU µs/sample |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [label, prefix] of [['tskv always, in order', 'tskv'], ['redis no-persist, in order', 'redis'], [`tskv always, ${LATE_PERCENT}% late`, 'tskv late'], [`redis no-persist, ${LATE_PERCENT}% late`, 'redis late']] as const) {
    if (!runs[0]!.has(`${prefix} samples/s`)) continue;
    console.log(`| ${label} | ${int(get(`${prefix} samples/s`))} | ${fixed(get(`${prefix} seconds`), 1)} | ${fixed(get(`${prefix} server cpu us/sample`))} | ${fixed(get(`${prefix} client cpu us/sample`))} |`);
  }
  console.log(`\ntskv / redis ingest: ${ratioText('tskv samples/s', 'redis samples/s')} (goal >= 1.0)`);
  if (runs[0]!.has('tskv late samples/s')) {
    console.log(`tskv ${LATE_PERCENT}% late / in order: ${ratioText('tskv late samples/s', 'tskv samples/s')} (goal >= 0.95; ${int(get('tskv late late samples'))} late samples); redis: ${ratioText('redis late samples/s', 'redis samples/s')}`);
    console.log(`tskv server CPU per sample, ${LATE_PERCENT}% late / in order: ${ratioText('tskv late server cpu us/sample', 'tskv server cpu us/sample')} (goal <= 1.05: steadier than the rates)`);
  }
  console.log(`tskv raw samples not yet sealed at the end of the load: ${fixed(get('tskv unsealed raw samples per series after load'), 0)} per series (mean of ${DEBUG_INFO_SERIES})`);
  if (INGEST_ONLY) return;
  console.log('\n| memory and disk | tskv | redis |');
  console.log('| --- | ---: | ---: |');
  for (let step = 1; step <= PROGRESS_STEPS; step++) {
    if (step % 2 === 1 && step !== 1) continue;
    console.log(`| RSS at ${step * 10}% of the load | ${mib(get(`tskv rss at ${step * 10}%`))} | ${mib(get(`redis rss at ${step * 10}%`))} |`);
  }
  console.log(`| RSS after the load | ${mib(get('tskv rss after load'))} | ${mib(get('redis used_memory_rss'))} (used_memory_rss) |`);
  console.log(`| RSS after DEBUG COMPACT / after the queries | ${mib(get('tskv rss after compaction'))} / ${mib(get('tskv rss after queries'))} | |`);
  console.log(`| bytes per sample | ${fixed(get('tskv data dir bytes/sample'), 3)} on disk (data dir; SSTables ${fixed(get('tskv sstable bytes/sample'), 3)}) | ${fixed(get('redis used_memory_rss/sample'), 1)} RSS (used_memory ${fixed(get('redis used_memory/sample'), 1)}) |`);
  console.log(`\ntskv: DEBUG COMPACT settled in ${fixed(get('tskv compaction wait s'), 1)} s; data dir ${int(get('tskv data dir bytes'))} bytes (goal <= 2 B/sample)`);
  console.log('\n| query | tskv p50 / p99 ms | redis (ZRANGEBYSCORE + client) p50 / p99 ms | p50 tskv / redis | answers differ (first 5) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const kind of QUERY_KINDS) {
    console.log(`| ${kind.name} | ${fixed(get(`tskv ${kind.name} p50`))} / ${fixed(get(`tskv ${kind.name} p99`))} | ${fixed(get(`redis ${kind.name} p50`))} / ${fixed(get(`redis ${kind.name} p99`))} | ${fixed(get(`tskv ${kind.name} p50`) / get(`redis ${kind.name} p50`))} | ${all(`${kind.name} disagreements`).join(', ')} |`);
  }
  console.log('\n| tskv range scan, after DEBUG COMPACT, from cache | samples/s of server time (INFO commandstats usec) | samples/s of server CPU (/proc) | samples/s seen by the client |');
  console.log('| --- | ---: | ---: | ---: |');
  const scanRow = (label: string, name: string) => console.log(`| ${label} | ${int(get(`${name} server samples/s`))} | ${int(get(`${name} server cpu samples/s`))} | ${int(get(`${name} client samples/s`))} |`);
  scanRow(`TS.RANGE key - + AGGREGATION max 60000, ${Math.min(SCAN_SERIES, data.seriesCount)} whole series`, 'scan range 60000');
  scanRow('TS.RANGE key - + AGGREGATION max 3600000, the same', 'scan range 3600000');
  scanRow(`TS.MRANGE - + AGGREGATION max 3600000 FILTER metric=(all), x${SCAN_MRANGE_CALLS}`, 'scan mrange');
  console.log('(goal: aggregating range queries scan >= 20M samples/s from cache)');
}

function machine(): string {
  const cpus = os.cpus();
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2];
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, node ${process.version}, redis-server ${redisVersion}, tmpdir ${os.tmpdir()}, load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`;
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  console.log(`bundle ${path.relative(REPO_DIR, BUNDLE)}; args: ${argv.join(' ') || '(none)'}`);
  const started = Date.now();
  const data = makeDataset(SERIES, DAYS, SEED);
  log(`data: ${data.seriesCount} series x ${data.ticks} samples generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const runs: Figures[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const figures: Figures = new Map();
    await repeatOnce(data, figures);
    runs.push(figures);
  }
  report(runs, data);
  console.log(`\nload average at the end: ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

await main();
