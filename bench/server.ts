// bench/server.ts: tskv against redis-server on this machine, same run, with redis-benchmark.
// `npm run bench:server [-- --quick] [--repeats N]` builds dist/tskv.js, then for two pairings
//   durable: tskv --appendfsync always   vs  redis-server --appendonly yes --appendfsync always
//   memory:  tskv --appendfsync no       vs  redis-server --save '' --appendonly no
// runs PING_INLINE, PING_MBULK, SET, GET with -r 1000000 -d 100 -c 50 at -P 1 and -P 16, each test
// separately so the server's CPU time (utime + stime from /proc/PID/stat) can be charged to it.
// Before its first GET row a pairing SETs all 1M keys -r 1000000 can ask for on both servers, so
// every GET finds its key and both servers hold the same keys, and before every GET row it waits
// for tskv's flushes and compactions to end (until 2026-12-05 20:30 UTC the GET
// rows read whatever the ~3 s SET rows had written: a different count per server and per run);
// repeats every measurement (3 times by default, tskv and Redis interleaved) and prints medians of
// req/s, p50/p99 latency (ms) and server CPU microseconds per request, with tskv/Redis ratios.
// --tests set,get --pipelines 16 --pairings always,no pick a subset; --bundle <file> runs another
// build of the server (a .ts file runs under tsx: --bundle bench/node-floor.ts measures the least
// a Node server can do in tskv's place); --floor also runs bench/node-floor.ts in the same
// invocation (interleaved with tskv and Redis) and prints its ratio and CPU beside tskv's, so a
// change can be judged against the floor with one command; --node-args a,b passes flags to node
// (e.g. --cpu-prof). CPU is printed twice for tskv: the whole process, and its main thread alone
// (/proc/PID/task/PID/stat), since on machines with more cores the main thread is the limit.
// --as-shipped runs tskv as `npm start` and the Docker image do (node --max-semi-space-size=4,
// MALLOC_MMAP_THRESHOLD_=65536, as bench/memory.ts always does); without it tskv runs with node's
// and glibc's defaults, as every row before 2026-12-07 20:30 UTC was measured.
// The last column says what tskv's flushes and compactions did while a row was measured (INFO
// deltas): the CPU of the part that ran during tskv's own runs is in the row, so a compaction that
// lands in one row and not another moves its CPU per request by tens of µs.
// Not part of CI: it takes several minutes and its numbers depend on the machine.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, rawRequest, REPO_DIR, SERVER_BUNDLE } from '../test/helpers/server.js';

interface Sample { rps: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; mainCpuUsPerRequest: number }
interface Server { name: string; port: number; process: ChildProcess; dir: string }

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const repeatsIndex = argv.indexOf('--repeats');
const repeats = repeatsIndex >= 0 ? Number(argv[repeatsIndex + 1]) : quick ? 1 : 3;
function listOption(name: string): string[] | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? (argv[index + 1] ?? '').split(',').filter((item) => item !== '') : undefined;
}
const TESTS = listOption('--tests') ?? ['ping_inline', 'ping_mbulk', 'set', 'get'];
const PIPELINES = (listOption('--pipelines') ?? ['1', '16']).map(Number);
const PAIRINGS = listOption('--pairings') ?? ['always', 'no'];
const BUNDLE = listOption('--bundle')?.[0] ?? SERVER_BUNDLE;
const NODE_ARGS = listOption('--node-args') ?? []; // e.g. --node-args --cpu-prof,--cpu-prof-dir=/tmp/prof
const FLOOR = argv.includes('--floor');
const AS_SHIPPED = argv.includes('--as-shipped');
const SHIPPED_NODE_ARGS = ['--max-semi-space-size=4']; // package.json's start script, the Dockerfile's ENTRYPOINT
const SHIPPED_ENV = { MALLOC_MMAP_THRESHOLD_: '65536' }; // and their environment
const FLOOR_BUNDLE = path.join(REPO_DIR, 'bench', 'node-floor.ts');
const CLIENTS = 50;
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const TARGET_S = quick ? 1 : 3; // each measurement runs about this long
const REQUESTS_MIN = 5_000;
const REQUESTS_MAX = 5_000_000;

/** utime + stime of a process, or of its main thread alone when `mainThread`. */
function cpuTicks(pid: number, mainThread = false): number {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
  return Number(fields[11]) + Number(fields[12]); // #14 utime, #15 stime
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await rawRequest(port, 'PING\r\n', 500)).startsWith('+PONG')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no PONG from port ${port}`);
}

async function startTskv(policy: 'always' | 'no', bundle = BUNDLE): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-bench-'));
  const loader = bundle.endsWith('.ts') ? ['--import', 'tsx'] : []; // e.g. bench/node-floor.ts
  const tskv = bundle === BUNDLE;
  const nodeArgs = tskv ? [...(AS_SHIPPED ? SHIPPED_NODE_ARGS : []), ...NODE_ARGS] : [];
  const env = tskv && AS_SHIPPED ? { ...process.env, ...SHIPPED_ENV } : process.env;
  const child = spawn(process.execPath, [...nodeArgs, ...loader, bundle, '--port', String(port), '--dir', dir, '--appendfsync', policy, '--loglevel', 'warning'], { stdio: 'ignore', env });
  await waitForPing(port);
  return { name: `${bundle === BUNDLE ? 'tskv' : path.basename(bundle)} ${policy}`, port, process: child, dir };
}

async function startRedis(durable: boolean): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-bench-'));
  const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(port), '--dir', dir, '--daemonize', 'no', ...persistence], { stdio: 'ignore' });
  await waitForPing(port);
  return { name: durable ? 'redis always' : 'redis no-persist', port, process: child, dir };
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  rmSync(server.dir, { recursive: true, force: true });
}

/** -n for about TARGET_S seconds, from a short probe run of the same test on the same server. */
function requestCountFor(server: Server, test: string, pipeline: number): number {
  const probe = runBenchmark(server, test, pipeline, REQUESTS_MIN);
  return Math.round(Math.min(REQUESTS_MAX, Math.max(REQUESTS_MIN, probe.rps * TARGET_S)) / 1000) * 1000;
}

function runBenchmark(server: Server, test: string, pipeline: number, n: number): Sample {
  const pid = server.process.pid as number;
  const before = cpuTicks(pid);
  const mainBefore = cpuTicks(pid, true);
  const csv = execFileSync('redis-benchmark', ['-p', String(server.port), '-r', '1000000', '-d', '100', '-t', test, '-c', String(CLIENTS), '-P', String(pipeline), '-n', String(n), '--csv'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const cpuSeconds = (cpuTicks(pid) - before) / CLOCK_TICKS_PER_S;
  const mainCpuSeconds = (cpuTicks(pid, true) - mainBefore) / CLOCK_TICKS_PER_S;
  const row = csv.trim().split('\n').find((line) => !line.startsWith('"test"'));
  if (!row) throw new Error(`no result from redis-benchmark for ${test} on ${server.name}:\n${csv}`);
  const cells = row.split(',').map((cell) => cell.replace(/"/g, ''));
  return { rps: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]), cpuUsPerRequest: (cpuSeconds * 1e6) / n, mainCpuUsPerRequest: (mainCpuSeconds * 1e6) / n };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function medianSample(samples: Sample[]): Sample {
  return {
    rps: median(samples.map((s) => s.rps)),
    p50Ms: median(samples.map((s) => s.p50Ms)),
    p99Ms: median(samples.map((s) => s.p99Ms)),
    cpuUsPerRequest: median(samples.map((s) => s.cpuUsPerRequest)),
    mainCpuUsPerRequest: median(samples.map((s) => s.mainCpuUsPerRequest)),
  };
}

/** redis-benchmark -r 1000000 asks for key:000000000000 .. key:000000999999. */
const PRELOAD_KEYS = 1_000_000;
const PRELOAD_BATCH = 1000; // SETs per write; the next batch waits for this one's replies
const PRELOAD_TIMEOUT_MS = 300_000;
const QUIET_POLL_MS = 1_000;
const QUIET_POLLS = 3; // INFO's flush and compaction counters unchanged this many polls in a row
const QUIET_WAIT_MS_MAX = 120_000;

/**
 * INFO counters of tskv's background work (absent on Redis and the floor), read before a row's first
 * measured run and after its last: Redis's and the floor's runs between tskv's count too, since
 * tskv's flushes and compactions go on while they run.
 */
const BACKGROUND_FIELDS = ['flushes_total', 'compactions_total', 'compaction_bytes_written_total', 'write_stalls_total'] as const;
type BackgroundCounters = Record<(typeof BACKGROUND_FIELDS)[number], number> & { compactionRunning: boolean };

async function backgroundCounters(server: Server): Promise<BackgroundCounters | undefined> {
  const info = await rawRequest(server.port, '*2\r\n$4\r\nINFO\r\n$3\r\nall\r\n', 5_000);
  const field = (name: string): number | undefined => {
    const match = new RegExp(`\\b${name}:(\\d+)`).exec(info);
    return match === null ? undefined : Number(match[1]);
  };
  const counters: Partial<BackgroundCounters> = { compactionRunning: field('tskv_compaction_in_progress') === 1 };
  for (const name of BACKGROUND_FIELDS) {
    const value = field(name);
    if (value === undefined) return undefined; // not tskv
    counters[name] = value;
  }
  return counters as BackgroundCounters;
}

/**
 * What tskv's flushes and compactions did while a row was measured: a row's CPU per request
 * includes them, and a compaction that lands in one pairing's runs and not the other's moves the
 * row by tens of µs (bench/README.md, issue 18: SET `no` P16 "costing more than durable SET").
 */
function backgroundCell(before: BackgroundCounters | undefined, after: BackgroundCounters | undefined): string {
  if (before === undefined || after === undefined) return '-';
  const delta = (name: (typeof BACKGROUND_FIELDS)[number]): number => after[name] - before[name];
  const compactionMiB = (delta('compaction_bytes_written_total') / 2 ** 20).toFixed(0);
  return `${delta('flushes_total')} fl, ${delta('compactions_total')} cp (${compactionMiB} MiB)${after.compactionRunning ? ', cp running' : ''}${delta('write_stalls_total') > 0 ? `, ${delta('write_stalls_total')} stalls` : ''}`;
}

/** Waits until tskv's background work the preload started (flushes, compactions) has ended: none running, counters still. */
async function waitForQuiet(server: Server): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_MS_MAX;
  let last = '';
  let unchanged = 0;
  while (unchanged < QUIET_POLLS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
    const info = await rawRequest(server.port, '*2\r\n$4\r\nINFO\r\n$3\r\nall\r\n', 5_000);
    const fields = ['tskv_flushes', 'tskv_compactions', 'tskv_immutable_memtable_bytes', 'tskv_compaction_in_progress'];
    const counters = fields.map((field) => new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? '?');
    if (counters.every((counter) => counter === '?')) return; // not tskv (bench/node-floor.ts): nothing to wait for
    const state = counters.join(',');
    unchanged = state === last && counters[2] === '0' && counters[3] === '0' ? unchanged + 1 : 0;
    last = state;
  }
}

/**
 * SETs every key the GET rows can ask for (100-byte values, as -d 100), on one server, so both
 * servers answer GET from the same million keys whatever the SET rows before wrote.
 */
async function preloadKeys(server: Server): Promise<void> {
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const value = 'x'.repeat(100);
  let waiting = 0; // replies still due for the batch in flight
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let atLineStart = true;
  socket.on('data', (chunk: Buffer) => {
    for (const byte of chunk) {
      if (atLineStart && byte === 45 /* - */) failure ??= new Error(`preload of ${server.name}: an error reply`);
      atLineStart = byte === 10;
      if (byte === 10) waiting--;
    }
    if (waiting <= 0) wake?.();
  });
  const deadline = Date.now() + PRELOAD_TIMEOUT_MS;
  try {
    for (let first = 0; first < PRELOAD_KEYS; first += PRELOAD_BATCH) {
      let batch = '';
      for (let index = first; index < first + PRELOAD_BATCH; index++) {
        const key = `key:${String(index).padStart(12, '0')}`;
        batch += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$100\r\n${value}\r\n`;
      }
      waiting = PRELOAD_BATCH;
      const replied = new Promise<void>((resolve) => (wake = resolve));
      socket.write(batch);
      await replied;
      if (failure !== undefined) throw failure;
      if (Date.now() > deadline) throw new Error(`preload of ${server.name} took over ${PRELOAD_TIMEOUT_MS} ms`);
    }
  } finally {
    socket.destroy();
  }
}

async function runPairing(label: string, tskv: Server, redis: Server, floor: Server | undefined): Promise<string[]> {
  const rows: string[] = [];
  let preloaded = false;
  for (const pipeline of PIPELINES) {
    for (const test of TESTS) {
      if (test === 'get') {
        if (!preloaded) {
          preloaded = true;
          await preloadKeys(tskv);
          await preloadKeys(redis);
          if (floor) await preloadKeys(floor);
        }
        await waitForQuiet(tskv); // also after the SET rows just before
      }
      const tskvSamples: Sample[] = [];
      const redisSamples: Sample[] = [];
      const floorSamples: Sample[] = [];
      const tskvRequests = requestCountFor(tskv, test, pipeline);
      const redisRequests = requestCountFor(redis, test, pipeline);
      const floorRequests = floor ? requestCountFor(floor, test, pipeline) : 0;
      const backgroundBefore = await backgroundCounters(tskv);
      for (let repeat = 0; repeat < repeats; repeat++) {
        tskvSamples.push(runBenchmark(tskv, test, pipeline, tskvRequests));
        redisSamples.push(runBenchmark(redis, test, pipeline, redisRequests));
        if (floor) floorSamples.push(runBenchmark(floor, test, pipeline, floorRequests));
      }
      const background = backgroundCell(backgroundBefore, await backgroundCounters(tskv));
      const a = medianSample(tskvSamples);
      const b = medianSample(redisSamples);
      const f = floor ? medianSample(floorSamples) : undefined;
      const floorCells = f ? ` ${(f.rps / b.rps).toFixed(2)} | ${f.cpuUsPerRequest.toFixed(2)} |` : '';
      const row = `| ${label} | ${test.toUpperCase()} | ${pipeline} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ${(a.rps / b.rps).toFixed(2)} | ${a.p50Ms.toFixed(3)} / ${a.p99Ms.toFixed(3)} | ${b.p50Ms.toFixed(3)} / ${b.p99Ms.toFixed(3)} | ${a.cpuUsPerRequest.toFixed(2)} | ${a.mainCpuUsPerRequest.toFixed(2)} | ${b.cpuUsPerRequest.toFixed(2)} |${floorCells} ${background} |`;
      console.log(row);
      rows.push(row);
    }
  }
  return rows;
}

function machine(): string {
  const cpus = os.cpus();
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2];
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, node ${process.version}, redis-server ${redisVersion}, tmpdir ${os.tmpdir()}`;
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  console.log(`redis-benchmark -r 1000000 -d 100 -c ${CLIENTS} -P {1,16} -n <about ${TARGET_S} s of requests> -t <one test> --csv; medians of ${repeats}; bundle ${path.relative(REPO_DIR, BUNDLE)}${AS_SHIPPED ? ` as shipped (node ${SHIPPED_NODE_ARGS.join(" ")}, ${JSON.stringify(SHIPPED_ENV)})` : ""}`);
  const floorHeader = FLOOR ? ' floor ratio | floor CPU µs/req |' : '';
  console.log(`| pairing | test | P | tskv req/s | redis req/s | ratio | tskv p50/p99 ms | redis p50/p99 ms | tskv CPU µs/req | tskv main-thread CPU µs/req | redis CPU µs/req |${floorHeader} tskv flushes, compactions during the row |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${FLOOR ? ' --- | --- |' : ''} --- |`);
  for (const durable of [true, false]) {
    if (!PAIRINGS.includes(durable ? 'always' : 'no')) continue;
    const tskv = await startTskv(durable ? 'always' : 'no');
    const redis = await startRedis(durable);
    const floor = FLOOR ? await startTskv(durable ? 'always' : 'no', FLOOR_BUNDLE) : undefined;
    try {
      await runPairing(durable ? 'always vs always' : 'no vs no-persist', tskv, redis, floor);
    } finally {
      await stop(tskv);
      await stop(redis);
      if (floor) await stop(floor);
    }
  }
}

await main();
